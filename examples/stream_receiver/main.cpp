// stream_receiver: durable delivery. A Qurable webhook endpoint on cpp-httplib that answers 202 only once the event is
// in a Redis Stream, and workers that process the stream as a consumer group: each event is handled once, or retried
// until it is (a failed or crashed run is claimed again), or moved to the dead-letter stream. Copy it when an
// acknowledged event must survive a crash of this process, or when the work must spread over processes or machines.
//
//   QURABLE_WEBHOOK_SECRET=whsec_... stream_receiver [--port 8080] [--redis-host H --redis-port P | --redis-socket S]
//       [--workers 2]          receiver and workers in one process
//   ... --workers 0            receiver only (scale the HTTP side alone)
//   ... --no-http              workers only (no secret needed), on any machine that reaches the same Redis
//       serves until SIGINT or SIGTERM. See README.md and docs/durable-delivery.md.
//
// What the 202 means: Redis confirmed the append (its persistence setting decides whether that survives a crash of
// Redis' machine: docs/durable-delivery.md). When Redis cannot take the event, the answer is 503 + Retry-After and the
// platform retries. Workers dedupe by "<eventType>:<loyaltyEventKey>" (for 24 h, redis_worker_options::committed_ttl),
// so a delivery appended twice is handled once.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>

#include <qurable/webhooks.hpp>
#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/queue/redis_stream_receiver.hpp>
#include <qurable/webhooks/queue/redis_stream_worker.hpp>

#include "../common/example_support.hpp"  // log lines, the demo handlers, argument helpers
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
using qurable_examples::loyalty_handlers;
using qurable_examples::mount;
using qurable_examples::parse_number;
using qurable_examples::secret_env;
using qurable_examples::set_limit;
using qurable_examples::simulated_outage;
using qurable_examples::split_secrets;
using qurable_examples::wait_for_stop;

// ---------------------------------------------------------------------------------------------------------------------
// Configuration.

// Redis' password, from the environment as the signing secret is: a command line is readable by every local user.
constexpr const char* redis_password_env = "QURABLE_REDIS_PASSWORD";

struct options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/webhooks";
  bool http = true;
  std::size_t workers = 2;
  qw::redis_stream_options stream;  // Redis address and key names: the defaults of redis_stream.hpp
  long long visibility_timeout_ms = 30'000;
  unsigned max_attempts = 5;
  std::size_t max_body_bytes = qw::parser_options{}.max_body_size;
  long long retry_after_s = 30;
  std::vector<std::string> fail_once;
  http_limits limits;
};

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: stream_receiver [--host HOST] [--port PORT] [--path PATH] [--workers N] [--no-http]\n"
      "                       [--redis-host H] [--redis-port P] [--redis-socket PATH]\n"
      "                       [--stream KEY] [--group NAME] [--dead KEY] [--key-prefix PREFIX]\n"
      "                       [--visibility-timeout-ms MS] [--max-attempts N] [--retry-after-s S]\n"
      "                       [--max-body-bytes N] [--threads N] [--request-timeout-s S] [--idle-timeout-s S]\n"
      "                       [--fail-once LOYALTY_EVENT_KEY]...\n"
      "\n"
      "  --host HOST              address to listen on (default 127.0.0.1)\n"
      "  --port PORT              port to listen on; 0 picks a free one (default 8080)\n"
      "  --path PATH              the endpoint's path (default /webhooks)\n"
      "  --workers N              worker threads consuming the stream in this process; 0: receive only (default 2)\n"
      "  --no-http                run the workers only: no HTTP server, no secret needed\n"
      "  --redis-host H, --redis-port P   Redis over TCP (default 127.0.0.1 6379)\n"
      "  --redis-socket PATH      Redis over its unix socket instead\n"
      "  --stream KEY, --group NAME, --dead KEY, --key-prefix PREFIX\n"
      "                           the work stream, its consumer group, the dead-letter stream and the prefix of the\n"
      "                           idempotency records (defaults: qurable:webhooks-stream, qurable-webhooks,\n"
      "                           qurable:webhooks-dead, qurable:webhooks:)\n"
      "  --visibility-timeout-ms MS  an entry left pending this long (failed handler, dead worker) is claimed\n"
      "                           again; also the longest a handler may take (default 30000)\n"
      "  --max-attempts N         handler runs before an entry goes to the dead-letter stream (default 5)\n"
      "  --retry-after-s S        Retry-After sent with every 503 (default 30)\n"
      "  --max-body-bytes N       largest body accepted, in bytes (default 1048576); larger is answered 413.\n"
      "                           Workers apply it too: give receivers and workers the same value\n"
      "%s"
      "  --fail-once KEY          demo knob: the handler fails the first time it runs for the event with this\n"
      "                           loyaltyEventKey; a worker runs it again after the visibility timeout\n"
      "\n"
      "environment:\n"
      "  %s  the endpoint's signing secret, whsec_<base64>; while rotating, the new and\n"
      "                          the old one separated by a space (not needed with --no-http)\n"
      "  %s  Redis' password, when it requires one (AUTH on every connection)\n"
      "\n"
      "Prints \"listening on http://HOST:PORT/PATH\" (or \"workers running\" with --no-http) once ready, then one\n"
      "line per request, handled event and dead letter. On SIGINT or SIGTERM it stops taking requests, lets each\n"
      "worker finish the batch in hand, and exits; what is not acknowledged stays in the stream for the next worker.\n",
      limits_usage, secret_env, redis_password_env);
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
    qw::redis_connection_options& redis = o.stream.connection;
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    } else if (arg == "--host" && value(v)) {
      o.host = std::string(v);
    } else if (arg == "--port" && value(v) && parse_number(v, o.port) && o.port >= 0 && o.port <= 65535) {
    } else if (arg == "--path" && value(v) && !v.empty() && v.front() == '/') {
      o.path = std::string(v);
    } else if (arg == "--workers" && value(v) && parse_number(v, o.workers) && o.workers <= 256) {
    } else if (arg == "--no-http") {
      o.http = false;
    } else if (arg == "--redis-host" && value(v) && !v.empty()) {
      redis.host = std::string(v);
    } else if (arg == "--redis-port" && value(v) && parse_number(v, redis.port) && redis.port > 0 &&
               redis.port <= 65535) {
    } else if (arg == "--redis-socket" && value(v) && !v.empty()) {
      redis.unix_socket = std::string(v);
    } else if (arg == "--stream" && value(v) && !v.empty()) {
      o.stream.stream = std::string(v);
    } else if (arg == "--group" && value(v) && !v.empty()) {
      o.stream.group = std::string(v);
    } else if (arg == "--dead" && value(v) && !v.empty()) {
      o.stream.dead_letter_stream = std::string(v);
    } else if (arg == "--key-prefix" && value(v) && !v.empty()) {
      o.stream.key_prefix = std::string(v);
    } else if (arg == "--visibility-timeout-ms" && value(v) && parse_number(v, o.visibility_timeout_ms) &&
               o.visibility_timeout_ms >= 100) {
    } else if (arg == "--max-attempts" && value(v) && parse_number(v, o.max_attempts) && o.max_attempts > 0) {
    } else if (arg == "--retry-after-s" && value(v) && parse_number(v, o.retry_after_s) && o.retry_after_s >= 0) {
    } else if (arg == "--max-body-bytes" && value(v) && parse_number(v, o.max_body_bytes) && o.max_body_bytes > 0) {
    } else if (is_limit_flag(arg) && value(v) && set_limit(arg, v, o.limits)) {
    } else if (arg == "--fail-once" && value(v) && !v.empty()) {
      o.fail_once.emplace_back(v);
    } else {
      std::fprintf(stderr, "stream_receiver: bad or incomplete argument: %s\n\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (const char* password = std::getenv(redis_password_env)) o.stream.connection.password = password;
  if (!o.http && o.workers == 0) {
    std::fprintf(stderr, "stream_receiver: --no-http with --workers 0 would do nothing\n");
    return 2;
  }
  return std::nullopt;
}

using worker = qw::redis_stream_worker<loyalty_handlers>;

// The workers: one redis_stream_worker per thread (a worker object is single-threaded), each its own consumer in the
// group. The handlers are the same as the synchronous examples'; here they run after the 202, on these threads.
class worker_threads {
 public:
  worker_threads(std::size_t count, const options& o, simulated_outage& outage) {
    qw::redis_worker_options wo;
    wo.visibility_timeout = std::chrono::milliseconds(o.visibility_timeout_ms);
    wo.max_attempts = o.max_attempts;
    wo.parser.max_body_size = o.max_body_bytes;
    // After max_attempts failed runs the entry is in the dead-letter stream: list and re-queue it with qurable-replay.
    wo.dead_letter = [](std::string_view body, const qw::outcome& out) {
      log_line("dead-letter (worker) ", qw::to_string(out.kind), " ", body.size(), " bytes: ", out.message,
               " (in the dead-letter stream; re-queue it with qurable-replay)");
    };
    wo.log = [](std::string_view line) { log_line("worker: ", line); };
    for (std::size_t i = 0; i < count; ++i) {
      workers_.push_back(std::make_unique<worker>(loyalty_handlers{&outage, nullptr}, o.stream, wo));
    }
    try {
      for (const std::unique_ptr<worker>& w : workers_) threads_.emplace_back([run = w.get()] { run->run(); });
    } catch (...) {  // a thread that could not start: stop and join those that did, then say so
      stop();
      throw;
    }
  }

  worker_threads(const worker_threads&) = delete;
  worker_threads& operator=(const worker_threads&) = delete;
  ~worker_threads() { stop(); }

  // Each worker finishes the batch in hand; entries not acknowledged stay pending for another worker.
  void stop() {
    for (const std::unique_ptr<worker>& w : workers_) w->stop();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    for (const std::unique_ptr<worker>& w : workers_) {
      const qw::redis_worker_stats& s = w->stats();
      if (s.processed + s.duplicates + s.failed + s.dead_lettered + s.redis_errors == 0) continue;
      log_line("worker ", w->consumer(), ": processed=", s.processed, " duplicates=", s.duplicates,
               " failed=", s.failed, " dead_lettered=", s.dead_lettered, " redis_errors=", s.redis_errors);
    }
    workers_.clear();
    threads_.clear();
  }

 private:
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::thread> threads_;
};

std::string redis_address(const qw::redis_connection_options& c) {
  return c.unix_socket.empty() ? c.host + ":" + std::to_string(c.port) : "unix:" + c.unix_socket;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (const std::optional<int> stop = parse_arguments(argc, argv, o)) return *stop;
  const sigset_t signals = block_stop_signals();  // before any thread starts

  std::optional<qw::authenticator> auth;
  if (o.http) {
    const char* secret_text = std::getenv(secret_env);
    const std::vector<std::string> secrets = split_secrets(secret_text != nullptr ? secret_text : "");
    if (secrets.empty()) {
      std::fprintf(stderr, "stream_receiver: set %s to the endpoint's signing secret (whsec_...)\n", secret_env);
      return 2;
    }
    auth.emplace(qw::authenticator::standard_webhooks(qw::standard_webhooks_verifier(secrets)));
    if (auth->status() != qw::verify_reason::ok) {  // fail at startup, not on the first delivery
      const std::string_view reason = qw::to_string(auth->status());
      std::fprintf(stderr, "stream_receiver: %s: %.*s\n", secret_env, static_cast<int>(reason.size()), reason.data());
      return 2;
    }
  }

  simulated_outage outage(o.fail_once);
  // Refused deliveries (4xx: the platform may not retry them) and 503s when Redis could not take the event (it
  // retries those). A real service writes the 4xx ones somewhere durable; this one only says it would.
  qurable_examples::observability observed;  // one JSON log line per request; outlives the receiver
  qw::receiver_options receiver_options;
  receiver_options.parser.max_body_size = o.max_body_bytes;
  receiver_options.observer = observed.get();
  receiver_options.retry_after = std::chrono::seconds(o.retry_after_s);
  receiver_options.dead_letter = [](std::string_view body, const qw::outcome& out) {
    log_line("dead-letter ", qw::to_string(out.kind), " ", out.http_status, " ", body.size(), " bytes");
  };

  std::unique_ptr<qw::redis_stream_receiver> webhooks;
  if (o.http) {
    // One Redis connection per request thread: a request never waits for another's round trip to Redis.
    qw::redis_stream_options receiver_stream = o.stream;
    receiver_stream.connection.pool_size = o.limits.threads;
    webhooks = std::make_unique<qw::redis_stream_receiver>(qw::authentication::with(std::move(*auth)), receiver_options,
                                                           receiver_stream);
    // Not fatal: until Redis answers, deliveries get 503 + Retry-After and the platform retries them.
    if (!webhooks->ping()) {
      log_line("warning: Redis at ", redis_address(o.stream.connection), " does not answer (", webhooks->last_error(),
               "): deliveries are answered 503 until it does");
    }
  }
  worker_threads workers(o.workers, o, outage);

  hardened_server server(o.limits);
  std::thread listener;
  std::atomic<bool> listening{o.http};
  std::atomic<bool> listen_failed{false};
  if (o.http) {
    mount(server, o.path, *webhooks);
    const int port = bind_port(server, o.host, o.port);
    if (port < 0) {
      std::fprintf(stderr, "stream_receiver: cannot listen on %s:%d\n", o.host.c_str(), o.port);
      return 1;
    }
    listener = std::thread([&server, &listening, &listen_failed] {
      listen_failed = !server.listen_after_bind();
      listening = false;
    });
    // "listening" is printed once the server runs: a stop before that would not reach it.
    for (int i = 0; i < 500 && listening && !server.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    log_line("listening on http://", o.host, ":", port, o.path, " (Standard Webhooks signatures; Redis Stream ",
             o.stream.stream, " at ", redis_address(o.stream.connection), "; ", o.workers, " worker(s))");
  } else {
    log_line("workers running (", o.workers, " on Redis Stream ", o.stream.stream, " at ",
             redis_address(o.stream.connection), ", group ", o.stream.group, ")");
  }

  const int signal = wait_for_stop(signals, [&] { return !o.http || listening.load(); });
  // The HTTP side first (no new deliveries), then the workers: nothing is lost either way, since what a worker has not
  // acknowledged stays pending in the stream and is claimed by the next one.
  if (o.http) {
    server.stop_gracefully();
    listener.join();
  }
  workers.stop();
  if (listen_failed && signal < 0) {  // the HTTP server died: exit non-zero, so that a supervisor restarts it
    std::fprintf(stderr, "stream_receiver: the HTTP server stopped unexpectedly\n");
    return 1;
  }
  log_line("stopped", signal > 0 ? " on signal " + std::to_string(signal) : std::string());
  return 0;
}
