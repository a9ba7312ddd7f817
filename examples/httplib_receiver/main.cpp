// httplib_receiver: a Qurable webhook endpoint on cpp-httplib. Copy it as the starting point of your service.
//
//   httplib_receiver --demo
//       starts the endpoint on 127.0.0.1 (ephemeral port), sends it the platform's three example events signed the
//       way the platform signs them, prints what the handlers saw and each answer, and stops.
//   QURABLE_WEBHOOK_SECRET=whsec_... httplib_receiver [--host 127.0.0.1] [--port 8080] [--path /webhooks]
//       serves until SIGINT or SIGTERM. See README.md for every flag.
//
// What to keep when you copy it: examples/common (httplib_server.hpp: hardened_server, which bounds every request and
// connection in time and answers in one write, and mount(), which checks framing, content coding and size from the
// header before any body byte is read and hands the raw body over untouched), the receiver's configuration in
// make_options() and serve(), and the shape of loyalty_handlers (example_support.hpp); put your work in its bodies.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <pthread.h>

#include <httplib.h>
#include <simdjson.h>

#include <qurable/webhooks.hpp>
#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>  // the platform's documented example events, for --demo only

#include "../common/example_support.hpp"  // log lines, demo handlers, argument helpers
#include "../common/httplib_server.hpp"   // hardened_server, mount(): the HTTP glue for cpp-httplib
#include "../common/observability.hpp"    // the JSON log line per request, --metrics-port

namespace qw = qurable::webhooks;

namespace {

// From examples/common/example_support.hpp.
using qurable_examples::bind_port;
using qurable_examples::block_stop_signals;
using qurable_examples::hardened_server;
using qurable_examples::http_limits;
using qurable_examples::is_limit_flag;
using qurable_examples::limits_usage;
using qurable_examples::log_line;
using qurable_examples::loyalty_handlers;
using qurable_examples::metrics_usage;
using qurable_examples::mount;
using qurable_examples::observability;
using qurable_examples::parse_number;
using qurable_examples::secret_env;
using qurable_examples::set_limit;
using qurable_examples::simulated_outage;
using qurable_examples::split_secrets;
using qurable_examples::stop_signal_set;
using qurable_examples::wait_for_stop;

// --demo signs with this secret. Never use it for a real endpoint.
constexpr std::string_view demo_secret = "whsec_cXVyYWJsZS13ZWJob29rcyBkZW1vIHNlY3JldCwgMzI=";

using loyalty_receiver = qw::receiver<loyalty_handlers>;

// ---------------------------------------------------------------------------------------------------------------------
// Configuration.

struct options {
  bool demo = false;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/webhooks";
  std::size_t max_body_bytes = qw::parser_options{}.max_body_size;
  std::vector<std::string> fail_once;
  http_limits limits;
  observability observed;  // --metrics-port, --metrics-host
};

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: httplib_receiver --demo\n"
      "       httplib_receiver [--host HOST] [--port PORT] [--path PATH] [--max-body-bytes N]\n"
      "                        [--threads N] [--request-timeout-s S] [--idle-timeout-s S]\n"
      "                        [--fail-once LOYALTY_EVENT_KEY]... [--metrics-port N [--metrics-host HOST]]\n"
      "\n"
      "  --demo             start on 127.0.0.1 (ephemeral port), send the platform's three example events\n"
      "                     to it, signed, print what the handlers saw, and stop (exit 0 when all got 200)\n"
      "  --host HOST        address to listen on (default 127.0.0.1)\n"
      "  --port PORT        port to listen on; 0 picks a free one (default 8080)\n"
      "  --path PATH        the endpoint's path (default /webhooks)\n"
      "  --max-body-bytes N largest body accepted, in bytes (default 1048576); larger is answered 413\n"
      "%s"
      "  --fail-once KEY    demo knob: the handler fails (500) the first delivery of the event with this\n"
      "                     loyaltyEventKey, as if a downstream service were down; the retry succeeds\n"
      "%s"
      "\n"
      "environment:\n"
      "  %s  the endpoint's signing secret, whsec_<base64>; while rotating, the new and\n"
      "                          the old one separated by a space\n"
      "\n"
      "Prints \"listening on http://HOST:PORT/PATH\" once ready, then one JSON line per request\n"
      "({\"log\":\"request\",...}) and a line per handled event and dead letter. Stops on SIGINT or SIGTERM.\n",
      limits_usage, metrics_usage, secret_env);
}

// Returns the exit code to stop with, or nothing to go on.
std::optional<int> parse_arguments(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string_view& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string_view v;
    if (arg == "--demo") {
      o.demo = true;
    } else if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    } else if (arg == "--host" && value(v)) {
      o.host = std::string(v);
    } else if (arg == "--port" && value(v) && parse_number(v, o.port) && o.port >= 0 && o.port <= 65535) {
    } else if (arg == "--path" && value(v) && !v.empty() && v.front() == '/') {
      o.path = std::string(v);
    } else if (arg == "--max-body-bytes" && value(v) && parse_number(v, o.max_body_bytes) && o.max_body_bytes > 0) {
    } else if (is_limit_flag(arg) && value(v) && set_limit(arg, v, o.limits)) {
    } else if (arg == "--fail-once" && value(v) && !v.empty()) {
      o.fail_once.emplace_back(v);
    } else if (observability::is_flag(arg) && value(v) && o.observed.parse_flag(arg, v)) {
    } else {
      std::fprintf(stderr, "httplib_receiver: bad or incomplete argument: %s\n\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  return std::nullopt;
}

qw::receiver_options make_options(options& o, qw::idempotency_store& processed) {
  qw::receiver_options ro;
  // One JSON log line per request, and the Prometheus metrics with --metrics-port (examples/common/observability.hpp).
  ro.observer = o.observed.get();
  ro.parser.max_body_size = o.max_body_bytes;
  // Dedupe redeliveries within this process. Several instances behind a load balancer need a shared store instead.
  ro.idempotency = &processed;
  // Every authenticated delivery that was refused or failed, with its exact bytes. A real service writes them
  // somewhere durable to inspect or replay; this one only says it would. Requests refused before authentication
  // (401, 405, 415, oversize) come from anyone and stay out unless ro.dead_letter_unauthenticated is set.
  ro.dead_letter = [](std::string_view body, const qw::outcome& o) {
    log_line("dead-letter ", qw::to_string(o.kind), " ", o.http_status, " ", body.size(), " bytes");
  };
  return ro;
}

// ---------------------------------------------------------------------------------------------------------------------
// Running the server.

int serve(options& o) {
  const char* secret_text = std::getenv(secret_env);
  const std::vector<std::string> secrets = split_secrets(secret_text != nullptr ? secret_text : "");
  if (secrets.empty()) {
    std::fprintf(stderr, "httplib_receiver: set %s to the endpoint's signing secret (whsec_...)\n", secret_env);
    return 2;
  }
  qw::authenticator auth = qw::authenticator::standard_webhooks(qw::standard_webhooks_verifier(secrets));
  if (auth.status() != qw::verify_reason::ok) {  // fail at startup, not on the first delivery
    std::fprintf(stderr, "httplib_receiver: %s: %.*s\n", secret_env,
                 static_cast<int>(qw::to_string(auth.status()).size()), qw::to_string(auth.status()).data());
    return 2;
  }

  // Before the receiver: it must outlive it. Binds the metrics port when --metrics-port was given.
  if (const std::optional<int> stop = o.observed.start("httplib_receiver")) return *stop;
  qw::memory_store processed;  // must outlive the receiver
  simulated_outage outage(o.fail_once);
  const loyalty_receiver webhooks(loyalty_handlers{&outage, nullptr}, qw::authentication::with(std::move(auth)),
                                  make_options(o, processed));

  hardened_server server(o.limits);
  mount(server, o.path, webhooks);
  const int port = bind_port(server, o.host, o.port);
  if (port < 0) {
    std::fprintf(stderr, "httplib_receiver: cannot listen on %s:%d\n", o.host.c_str(), o.port);
    return 1;
  }
  std::atomic<bool> listening{true};
  std::thread listener([&server, &listening] {
    server.listen_after_bind();
    listening = false;
  });
  log_line("listening on http://", o.host, ":", port, o.path, " (Standard Webhooks signatures, ", secrets.size(),
           " secret(s))");

  const int signal = wait_for_stop(stop_signal_set(), [&listening] { return listening.load(); });
  // Running handlers finish; requests still being read get a short grace; deliveries not answered are retried.
  server.stop_gracefully();
  listener.join();
  log_line("stopped", signal > 0 ? " on signal " : "", signal > 0 ? std::to_string(signal) : std::string());
  return 0;
}

// --demo: the server above, on an ephemeral port, and the platform's side played by an httplib client.
int demo() {
  options o;
  o.host = "127.0.0.1";
  qw::memory_store processed;
  std::atomic<int> handled{0};
  const loyalty_receiver webhooks(
      loyalty_handlers{nullptr, &handled},
      qw::authentication::with(qw::authenticator::standard_webhooks(qw::standard_webhooks_verifier(demo_secret))),
      make_options(o, processed));

  hardened_server server(o.limits);
  mount(server, o.path, webhooks);
  const int port = bind_port(server, o.host, 0);
  if (port < 0) {
    std::fprintf(stderr, "httplib_receiver --demo: cannot listen on 127.0.0.1\n");
    return 1;
  }
  std::thread listener([&server] { server.listen_after_bind(); });
  for (int i = 0; i < 500 && !server.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  log_line("demo: receiver listening on http://127.0.0.1:", port, o.path,
           " (Standard Webhooks signatures with a demo secret)");

  // The platform's side: POST each example, signed with the endpoint's secret (see examples/send for a full sender).
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(10));
  const std::pair<std::string_view, std::string_view> events[] = {
      {"member-created", qw::testing::examples::member_created},
      {"coupon-code-assigned", qw::testing::examples::coupon_code_assigned},
      {"coupon-code-used", qw::testing::examples::coupon_code_used},
  };
  int answered_200 = 0;
  int n = 0;
  for (const auto& [type, example] : events) {
    const std::string body(example);
    const std::string id = "msg_demo_" + std::to_string(++n);
    const std::string timestamp = std::to_string(std::time(nullptr));
    const std::optional<std::string> signature = qw::sign_standard_webhooks(demo_secret, id, timestamp, body);
    if (!signature) {
      log_line("demo: cannot sign (libcrypto failure)");
      break;
    }
    const httplib::Headers headers{
        {"webhook-id", id}, {"webhook-timestamp", timestamp}, {"webhook-signature", *signature}};
    log_line("-> POST ", o.path, " ", type, " (", body.size(), " bytes, webhook-id ", id, ")");
    const httplib::Result result = client.Post(o.path.c_str(), headers, body, "application/json");
    if (!result) {
      log_line("<- no answer: ", httplib::to_string(result.error()));
      continue;
    }
    log_line("<- ", result->status, " ", result->body);
    if (result->status == 200) ++answered_200;
  }

  client.stop();
  server.stop_gracefully();
  listener.join();
  const bool ok = answered_200 == 3 && handled == 3;
  log_line("demo: ", answered_200, "/3 answered 200, ", handled.load(), "/3 handled: ", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (const std::optional<int> stop = parse_arguments(argc, argv, o)) return *stop;
  block_stop_signals();  // before any thread starts, so that every thread inherits the mask
  return o.demo ? demo() : serve(o);
}
