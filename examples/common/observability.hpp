#pragma once
// What the HTTP examples observe, from one receiver_options::observer (include/qurable/webhooks/observe/):
//   - one JSON log line per request (json_log_observer), on the examples' stdout, always;
//   - with --metrics-port N, Prometheus metrics (prometheus_observer) served at http://HOST:N/metrics by
//     metrics_server.hpp, on a port of its own (HOST: --metrics-host, default 127.0.0.1: metrics are for the
//     operator's network, not the platform's). Compiled only with QURABLE_EXAMPLES_METRICS, which the examples'
//     CMake defines when qurable::webhooks_prometheus exists; without it, --metrics-port is refused (exit 2).
//
//   observability observed;
//   ... parse --metrics-port/--metrics-host with observed.parse_flag(arg, value) ...
//   if (const auto stop = observed.start("httplib_receiver")) return *stop;   // binds the metrics port
//   receiver_options.observer = observed.get();

#include <array>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <qurable/webhooks/observe/json_log.hpp>
#include <qurable/webhooks/observe/observer.hpp>

#include "example_support.hpp"

#if defined(QURABLE_EXAMPLES_METRICS)
#include <prometheus/registry.h>

#include <qurable/webhooks/observe/prometheus.hpp>

#include "metrics_server.hpp"
#endif

namespace qurable_examples {

// The flags' lines for usage().
constexpr const char* metrics_usage =
    "  --metrics-port N   serve Prometheus metrics at http://METRICS_HOST:N/metrics (0: a free port, printed)\n"
    "  --metrics-host H   address of the metrics port (default 127.0.0.1)\n";

class observability {
 public:
  // Lines go through the examples' stdout (write_text: the same lock and buffering as every other line).
  observability() : log_([](std::string_view line) { write_text(line); }) {}
  observability(const observability&) = delete;
  observability& operator=(const observability&) = delete;

  // Takes --metrics-port and --metrics-host (value: the flag's argument). False when `flag` is not one of them or
  // its value is bad.
  bool parse_flag(std::string_view flag, std::string_view value) {
    if (flag == "--metrics-port") {
      int port = -1;
      if (!parse_number(value, port) || port < 0 || port > 65535) return false;
      metrics_port_ = port;
      return true;
    }
    if (flag == "--metrics-host" && !value.empty()) {
      metrics_host_ = std::string(value);
      return true;
    }
    return false;
  }
  static bool is_flag(std::string_view flag) { return flag == "--metrics-port" || flag == "--metrics-host"; }

  // Starts the metrics port when asked for. Empty to go on; else the exit code (2: not built in, 1: cannot listen).
  std::optional<int> start(const char* program) {
    if (!metrics_port_) return std::nullopt;
#if defined(QURABLE_EXAMPLES_METRICS)
    try {
      metrics_ = std::make_unique<metrics>(metrics_host_, *metrics_port_);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "%s: %s\n", program, error.what());
      return 1;
    }
    both_ = std::make_unique<qw::observer_fanout<2>>(std::array<qw::observer*, 2>{&log_, &metrics_->observer});
    log_line("metrics on http://", metrics_host_, ":", metrics_->server.port(), "/metrics");
    return std::nullopt;
#else
    std::fprintf(stderr,
                 "%s: --metrics-port: metrics are not built in (build with prometheus-cpp: Debian prometheus-cpp-dev, "
                 "so that qurable::webhooks_prometheus exists)\n",
                 program);
    return 2;
#endif
  }

  // For receiver_options::observer: the log line, and the metrics when their port is served.
  qw::observer* get() noexcept {
#if defined(QURABLE_EXAMPLES_METRICS)
    if (both_) return both_.get();
#endif
    return &log_;
  }

 private:
#if defined(QURABLE_EXAMPLES_METRICS)
  struct metrics {
    metrics(const std::string& host, int port) : observer(registry), server(observer, host, port) {}
    prometheus::Registry registry;
    qw::prometheus_observer observer;
    qurable::examples::metrics_server server;  // last: stops serving before the observer and registry go
  };
  std::unique_ptr<metrics> metrics_;
  std::unique_ptr<qw::observer_fanout<2>> both_;
#endif
  qw::json_log_observer log_;
  std::optional<int> metrics_port_;
  std::string metrics_host_ = "127.0.0.1";
};

}  // namespace qurable_examples
