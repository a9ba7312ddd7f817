#pragma once
// Serves a prometheus_observer's text exposition (its registry's families and its histograms: collect()) at
// GET /metrics on a port of its own (the webhook port stays separate: metrics are for the operator's network, webhooks
// for the platform's), with cpp-httplib, on a thread of its own. For the examples' --metrics-port N; a service that
// already runs prometheus-cpp's pull Exposer or another HTTP server can serve prometheus_text() from there instead.
//
//   prometheus::Registry registry;
//   qw::prometheus_observer metrics(registry);
//   qurable::examples::metrics_server server(metrics, "127.0.0.1", 9464);   // 0: any free port, see port()
//
// Needs cpp-httplib and qurable::webhooks_prometheus (prometheus-cpp's core: the text serializer is part of it).

#include <prometheus/text_serializer.h>
#include <qurable/webhooks/observe/prometheus.hpp>

#include <httplib.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace qurable::examples {

// The current values (the observer's registry, then its histograms) in Prometheus' text format 0.0.4.
inline std::string prometheus_text(const qurable::webhooks::prometheus_observer& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.collect());
}

class metrics_server {
 public:
  static constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

  // Binds host:port (port 0: an ephemeral port) before returning, so a scrape right after construction connects;
  // throws std::runtime_error when the port cannot be bound.
  metrics_server(const qurable::webhooks::prometheus_observer& metrics, const std::string& host, int port) {
    server_.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& response) {
      response.set_content(prometheus_text(metrics), content_type);
    });
    port_ = port == 0 ? server_.bind_to_any_port(host.c_str()) : (server_.bind_to_port(host.c_str(), port) ? port : -1);
    if (port_ <= 0) throw std::runtime_error("metrics_server: cannot listen on " + host + ":" + std::to_string(port));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() only stops a server that is running: wait for it (bounded), so that destroying right away cannot hang.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;

  ~metrics_server() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const noexcept { return port_; }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace qurable::examples
