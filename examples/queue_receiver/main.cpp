// queue_receiver: acknowledge now, process later. A Qurable webhook endpoint on cpp-httplib whose handlers are slow:
// each request is checked (method, size, Content-Type, signature) and fully validated on the request thread, answered
// 202 at once, and handled later by worker threads (qurable::webhooks::async_receiver). Copy it when your handlers
// take longer than the platform should wait for an answer.
//
//   QURABLE_WEBHOOK_SECRET=whsec_... queue_receiver [--port 8080] [--workers 2] [--capacity 64] [--handler-delay-ms
//   1000]
//       serves until SIGINT or SIGTERM, then finishes every accepted event before exiting. See README.md.
//
// The trade-off (docs/retries.md): once 202 is sent the platform considers the event delivered. A handler that fails
// on a worker is not retried by the platform: it reaches the dead-letter hook with the exact body, and it is yours to
// replay. Events accepted but not handled yet are lost if the process dies. Use the synchronous receiver
// (examples/httplib_receiver) when that is not acceptable, or make the dead-letter hook write somewhere durable.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <pthread.h>

#include <httplib.h>

#include <qurable/webhooks.hpp>
#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/queue/async_receiver.hpp>

#include "../common/example_support.hpp"  // log lines, demo handlers, argument helpers
#include "../common/httplib_server.hpp"   // hardened_server, mount(): the HTTP glue for cpp-httplib
#include "../common/observability.hpp"    // the JSON log line per request

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
using qurable_examples::mount;
using qurable_examples::or_dash;
using qurable_examples::parse_number;
using qurable_examples::secret_env;
using qurable_examples::set_limit;
using qurable_examples::simulated_outage;
using qurable_examples::split_secrets;
using qurable_examples::wait_for_stop;

// ---------------------------------------------------------------------------------------------------------------------
// The handlers: they run on the worker threads, after the 202, several at once (const, sharing nothing but
// thread-safe state). The views they receive point into the queue slot's copy of the body and stay valid for the call.
// `delay` stands for slow work: a call to another service, a database transaction...
struct slow_handlers {
  std::chrono::milliseconds delay{0};
  simulated_outage* outage = nullptr;

  qw::handler_result operator()(const qw::member_created& e) const {
    if (auto failed = work(e.envelope)) return *failed;
    const qw::member_profile& profile = e.execution_results.profile;
    log_line("event member-created key=", e.envelope.loyalty_event_key, " member=", e.payload.loyalty_member_id,
             " email=", or_dash(profile.email), " name=", or_dash(profile.name), " ", or_dash(profile.last_name),
             " (after ", delay.count(), " ms of work)");
    return qw::handler_result::success();
  }

  qw::handler_result operator()(const qw::coupon_event& e) const {  // coupon-code-assigned and coupon-code-used
    if (auto failed = work(e.envelope)) return *failed;
    const qw::coupon_usage& usage = e.execution_results;
    const qw::coupon_book& book = e.payload.coupon_book;
    log_line("event ", e.envelope.event_type, " key=", e.envelope.loyalty_event_key, " code=", usage.coupon.code,
             " member=", or_dash(e.envelope.loyalty_member_id), " book=\"", book.name,
             "\" discount=", book.discount_amount, " ", book.discount_type, " (after ", delay.count(), " ms of work)");
    return qw::handler_result::success();
  }

  // Every other type, including the ones the platform adds later.
  qw::handler_result operator()(const qw::event_envelope& e) const {
    if (auto failed = work(e)) return *failed;
    log_line("event other type=", e.event_type, " key=", e.loyalty_event_key);
    return qw::handler_result::success();
  }

 private:
  std::optional<qw::handler_result> work(const qw::event_envelope& e) const {
    std::this_thread::sleep_for(delay);
    if (outage == nullptr || !outage->fails_now(e.loyalty_event_key)) return std::nullopt;
    log_line("failing ", e.event_type, " key=", e.loyalty_event_key, " (simulated downstream failure, --fail-once)");
    return qw::handler_result::failure("simulated downstream failure (--fail-once)");
  }
};

using queue = qw::async_receiver<slow_handlers>;

// ---------------------------------------------------------------------------------------------------------------------
// Configuration.

struct options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/webhooks";
  std::size_t max_body_bytes = qw::parser_options{}.max_body_size;
  std::size_t workers = 2;
  std::size_t capacity = 64;
  long long handler_delay_ms = 1000;
  long long retry_after_s = 30;
  std::vector<std::string> fail_once;
  http_limits limits;
};

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: queue_receiver [--host HOST] [--port PORT] [--path PATH] [--workers N] [--capacity N]\n"
      "                      [--handler-delay-ms MS] [--retry-after-s S] [--max-body-bytes N]\n"
      "                      [--threads N] [--request-timeout-s S] [--idle-timeout-s S]\n"
      "                      [--fail-once LOYALTY_EVENT_KEY]...\n"
      "\n"
      "  --host HOST           address to listen on (default 127.0.0.1)\n"
      "  --port PORT           port to listen on; 0 picks a free one (default 8080)\n"
      "  --path PATH           the endpoint's path (default /webhooks)\n"
      "  --workers N           threads running the handlers (default 2)\n"
      "  --capacity N          events accepted and not finished yet; beyond, 503 + Retry-After (default 64)\n"
      "  --handler-delay-ms MS how long each handler works, standing for a slow downstream (default 1000)\n"
      "  --retry-after-s S     Retry-After sent with every 503 (default 30)\n"
      "  --max-body-bytes N    largest body accepted, in bytes (default 1048576); larger is answered 413\n"
      "%s"
      "  --fail-once KEY       demo knob: the handler fails the first time it runs for the event with this\n"
      "                        loyaltyEventKey; after the 202 that failure goes to the dead-letter hook\n"
      "\n"
      "environment:\n"
      "  %s  the endpoint's signing secret, whsec_<base64>; while rotating, the new and\n"
      "                          the old one separated by a space\n"
      "\n"
      "Prints \"listening on http://HOST:PORT/PATH\" once ready, then one line per request, handled event and\n"
      "dead letter. On SIGINT or SIGTERM it stops accepting, handles every accepted event, and exits.\n",
      limits_usage, secret_env);
}

std::optional<int> parse_arguments(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string_view& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string_view v;
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    } else if (arg == "--host" && value(v)) {
      o.host = std::string(v);
    } else if (arg == "--port" && value(v) && parse_number(v, o.port) && o.port >= 0 && o.port <= 65535) {
    } else if (arg == "--path" && value(v) && !v.empty() && v.front() == '/') {
      o.path = std::string(v);
    } else if (arg == "--workers" && value(v) && parse_number(v, o.workers) && o.workers > 0) {
    } else if (arg == "--capacity" && value(v) && parse_number(v, o.capacity) && o.capacity > 0) {
    } else if (arg == "--handler-delay-ms" && value(v) && parse_number(v, o.handler_delay_ms) &&
               o.handler_delay_ms >= 0) {
    } else if (arg == "--retry-after-s" && value(v) && parse_number(v, o.retry_after_s) && o.retry_after_s >= 0) {
    } else if (arg == "--max-body-bytes" && value(v) && parse_number(v, o.max_body_bytes) && o.max_body_bytes > 0) {
    } else if (is_limit_flag(arg) && value(v) && set_limit(arg, v, o.limits)) {
    } else if (arg == "--fail-once" && value(v) && !v.empty()) {
      o.fail_once.emplace_back(v);
    } else {
      std::fprintf(stderr, "queue_receiver: bad or incomplete argument: %s\n\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (const std::optional<int> stop = parse_arguments(argc, argv, o)) return *stop;
  const sigset_t signals = block_stop_signals();  // before any thread starts (the workers start with the queue)

  const char* secret_text = std::getenv(secret_env);
  const std::vector<std::string> secrets = split_secrets(secret_text != nullptr ? secret_text : "");
  if (secrets.empty()) {
    std::fprintf(stderr, "queue_receiver: set %s to the endpoint's signing secret (whsec_...)\n", secret_env);
    return 2;
  }
  qw::authenticator auth = qw::authenticator::standard_webhooks(qw::standard_webhooks_verifier(secrets));
  if (auth.status() != qw::verify_reason::ok) {  // fail at startup, not on the first delivery
    const std::string_view reason = qw::to_string(auth.status());
    std::fprintf(stderr, "queue_receiver: %s: %.*s\n", secret_env, static_cast<int>(reason.size()), reason.data());
    return 2;
  }

  qw::memory_store processed;  // dedupes within this process; must outlive the queue
  qw::receiver_options receiver_options;
  receiver_options.parser.max_body_size = o.max_body_bytes;
  receiver_options.idempotency = &processed;
  // One JSON log line per request (examples/common/observability.hpp). Must outlive the receiver.
  qurable_examples::observability observed;
  receiver_options.observer = observed.get();
  receiver_options.retry_after = std::chrono::seconds(o.retry_after_s);
  // Refused deliveries, and, after a 202, handlers that failed on a worker: the platform will not retry those, so
  // this is the only place they exist. A real service writes them somewhere durable and replays them; this one only
  // says it would.
  receiver_options.dead_letter = [](std::string_view body, const qw::outcome& out) {
    log_line("dead-letter ", qw::to_string(out.kind), " ", out.http_status, " ", body.size(), " bytes",
             out.kind == qw::outcome_kind::handler_failed ? " (after 202: replay it, the platform will not)" : "");
  };
  qw::async_options queue_options;
  queue_options.workers = o.workers;
  queue_options.capacity = o.capacity;
  simulated_outage outage(o.fail_once);
  queue webhooks(slow_handlers{std::chrono::milliseconds(o.handler_delay_ms), &outage},
                 qw::authentication::with(std::move(auth)), receiver_options, queue_options);

  hardened_server server(o.limits);
  mount(server, o.path, webhooks);
  const int port = bind_port(server, o.host, o.port);
  if (port < 0) {
    std::fprintf(stderr, "queue_receiver: cannot listen on %s:%d\n", o.host.c_str(), o.port);
    return 1;
  }
  std::atomic<bool> listening{true};
  std::thread listener([&server, &listening] {
    server.listen_after_bind();
    listening = false;
  });
  log_line("listening on http://", o.host, ":", port, o.path, " (Standard Webhooks signatures, ", o.workers,
           " worker(s), capacity ", o.capacity, ", handlers take ", o.handler_delay_ms, " ms)");

  const int signal = wait_for_stop(signals, [&listening] { return listening.load(); });
  // Stop the HTTP server first (no new deliveries), then let the workers finish everything already accepted.
  server.stop_gracefully();
  listener.join();
  log_line("stopping: ", webhooks.pending(), " accepted event(s) still to handle");
  webhooks.shutdown();
  log_line("stopped", signal > 0 ? " on signal " + std::to_string(signal) : std::string());
  return 0;
}
