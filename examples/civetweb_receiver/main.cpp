// civetweb_receiver: a Qurable webhook endpoint on civetweb (the C library, as Debian/Ubuntu's libcivetweb-dev ships
// it). Copy it as the starting point of your service.
//
//   QURABLE_WEBHOOK_SECRET=whsec_... civetweb_receiver [--host 127.0.0.1] [--port 8080] [--path /webhooks]
//       serves until SIGINT or SIGTERM. See README.md for every flag.
//
// What to keep when you copy it: on_webhook() (the declared Content-Length checked before any body byte is read,
// "100 Continue" sent only for a request we will read, the raw body read into a string with room for simdjson's
// padding, the receiver's answer sent as is), the receiver's configuration in main(), and the shape of
// loyalty_handlers (examples/common/example_support.hpp). Replace the bodies of the handlers with your own work.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <list>
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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <civetweb.h>
#include <simdjson.h>

#include <qurable/webhooks.hpp>
#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>

#include "../common/example_support.hpp"  // log lines, demo handlers, argument helpers
#include "../common/http_guard.hpp"       // framing and content coding, checked from the header
#include "../common/observability.hpp"    // the JSON log line per request

namespace qw = qurable::webhooks;

namespace {

// From examples/common/example_support.hpp.
using qurable_examples::block_stop_signals;
using qurable_examples::check_framing;
using qurable_examples::framing_headers;
using qurable_examples::framing_refusal;
using qurable_examples::log_line;
using qurable_examples::loyalty_handlers;
using qurable_examples::parse_number;
using qurable_examples::secret_env;
using qurable_examples::simulated_outage;
using qurable_examples::split_secrets;
using qurable_examples::wait_for_stop;

using loyalty_receiver = qw::receiver<loyalty_handlers>;

// ---------------------------------------------------------------------------------------------------------------------
// The HTTP glue for civetweb (1.15 and later: mg_response_header_*).

// The receiver asks for headers in lowercase; mg_get_header compares names case-insensitively and returns a pointer
// into the connection (null when absent), valid for the request.
struct civetweb_headers {
  const mg_connection* conn;
  const char* operator()(std::string_view name) const { return mg_get_header(conn, std::string(name).c_str()); }
};

// civetweb bounds each wait for data by request_timeout_ms, but an mg_read returns only once its buffer is full: a
// client sending one byte every few hundred milliseconds keeps one mg_read, and the worker thread, busy for hours.
// civetweb has no per-request deadline and does not expose the socket, so this watchdog enforces one: a body being
// read is registered with its deadline, and past it the watchdog finds the connection's socket (by its two
// addresses) and shuts it down; the blocked mg_read then returns, and civetweb closes the connection. The socket
// cannot be closed and reused meanwhile: its worker thread is inside mg_read, within the registration.
class body_watchdog {
 public:
  using clock = std::chrono::steady_clock;

  struct body_read {
    const mg_request_info* request;
    clock::time_point deadline;
    bool cut = false;
  };

  body_watchdog() : thread_([this] { run(); }) {}
  ~body_watchdog() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  // Registers a body read for the lifetime of the guard.
  class guard {
   public:
    guard(body_watchdog& w, const mg_request_info* request, std::chrono::milliseconds timeout) : w_(w) {
      const std::lock_guard<std::mutex> lock(w_.mutex_);
      it_ = w_.reads_.insert(w_.reads_.end(), body_read{request, clock::now() + timeout});
    }
    ~guard() {
      const std::lock_guard<std::mutex> lock(w_.mutex_);
      w_.reads_.erase(it_);
    }
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;

    bool expired() const { return clock::now() >= it_->deadline; }

   private:
    body_watchdog& w_;
    std::list<body_read>::iterator it_;
  };

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) {
      const auto now = clock::now();
      for (body_read& read : reads_) {
        if (read.cut || now < read.deadline) continue;
        read.cut = true;
        const int fd = find_socket(*read.request);
        if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
      }
    }
  }

  // The socket connected from the request's remote port to its server port (a rare, bounded scan: only for a request
  // past its deadline).
  static int find_socket(const mg_request_info& request) {
    const long max_fd = std::min(::sysconf(_SC_OPEN_MAX), 65536L);
    for (int fd = 0; fd < max_fd; ++fd) {
      sockaddr_storage peer{}, local{};
      socklen_t peer_size = sizeof peer, local_size = sizeof local;
      if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) continue;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) continue;
      if (port_of(peer) == request.remote_port && port_of(local) == request.server_port) return fd;
    }
    return -1;
  }

  static int port_of(const sockaddr_storage& a) {
    if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
    if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
    return -1;
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::list<body_read> reads_;
  bool stopping_ = false;
  std::thread thread_;
};

// What the request handler needs; lives in main() for as long as the server runs.
struct endpoint_context {
  const loyalty_receiver& webhooks;
  std::string path;
  std::chrono::milliseconds body_timeout;  // reading one request's body, on top of civetweb's header deadline
  body_watchdog& watchdog;
};

void send(mg_connection* conn, int status, std::string_view body, const qw::response* answer, bool close,
          std::string_view extra_name = {}, std::string_view extra_value = {}) {
  mg_response_header_start(conn, status);
  mg_response_header_add(conn, "Content-Type", "application/json", -1);
  if (!extra_name.empty()) {
    mg_response_header_add(conn, std::string(extra_name).c_str(), extra_value.data(),
                           static_cast<int>(extra_value.size()));
  }
  if (answer != nullptr) {
    for (const qw::http_header& header : answer->headers()) {
      mg_response_header_add(conn, std::string(header.name).c_str(), header.value.data(),
                             static_cast<int>(header.value.size()));
    }
  }
  mg_response_header_add(conn, "Content-Length", std::to_string(body.size()).c_str(), -1);
  if (close) mg_response_header_add(conn, "Connection", "close", -1);
  mg_response_header_send(conn);
  mg_write(conn, body.data(), body.size());
}

// The receiver's answer. Not logged here: the receiver's observer writes the request's JSON log line.
int answer(mg_connection* conn, const mg_request_info*, const qw::response& r, bool close = false) {
  send(conn, r.status(), r.body(), &r, close);
  return r.status();  // civetweb: a status (1-999) means "handled", and goes to its access log
}

bool expects_continue(const mg_connection* conn) {
  const char* expect = mg_get_header(conn, "Expect");
  return expect != nullptr && std::string_view(expect).size() == 12 &&
         std::equal(expect, expect + 12, "100-continue", [](char a, char b) { return (a | 0x20) == (b | 0x20); });
}

// Before closing after an answer sent from the header. civetweb closes a connection whose body was not read, and
// closing a socket with unread input makes the kernel reset it, which can destroy our answer before a client that
// writes its whole body first reads it. So read and drop the body, up to a bound in bytes and in time; a client that
// sent "Expect: 100-continue" never sends it (it got the answer instead of "100 Continue").
void drain_before_close(mg_connection* conn, const endpoint_context& context) {
  if (expects_continue(conn)) return;
  const body_watchdog::guard deadline(context.watchdog, mg_get_request_info(conn), context.body_timeout);
  char discard[16 * 1024];
  std::size_t dropped = 0;
  for (int n; dropped < 4 * context.webhooks.max_body_size() && !deadline.expired() &&
              (n = mg_read(conn, discard, sizeof discard)) > 0;) {
    dropped += static_cast<std::size_t>(n);
  }
}

// Runs on civetweb's worker threads, one request at a time per thread.
int on_webhook(mg_connection* conn, void* data) {
  const endpoint_context& context = *static_cast<const endpoint_context*>(data);
  const loyalty_receiver& webhooks = context.webhooks;
  const mg_request_info* request = mg_get_request_info(conn);
  if (context.path != request->local_uri) {  // a handler also gets the URIs below its own
    send(conn, 404, R"({"outcome":"not_found"})", nullptr, false);
    return 404;
  }

  // Framing and content coding, from the header (examples/common/http_guard.hpp): civetweb never decompresses, but a
  // compressed body would fail the signature or the parse only after being read; conflicting or invalid framing must
  // not be guessed at. Answered, then the connection is closed.
  framing_headers framing;
  for (int i = 0; i < request->num_headers; ++i) {
    const mg_header& h = request->http_headers[i];
    const std::string_view name = h.name;
    if (qurable_examples::equals_ignoring_case(name, "Content-Length")) framing.content_length.emplace_back(h.value);
    if (qurable_examples::equals_ignoring_case(name, "Transfer-Encoding")) {
      framing.transfer_encoding.emplace_back(h.value);
    }
    if (qurable_examples::equals_ignoring_case(name, "Content-Encoding"))
      framing.content_encoding.emplace_back(h.value);
  }
  if (const std::optional<framing_refusal> refused = check_framing(framing)) {
    log_line("request ", request->request_method, " ", request->local_uri, " -> ", refused->status, " refused (",
             refused->body, ")");
    send(conn, refused->status, refused->body, nullptr, /*close=*/true, refused->header_name, refused->header_value);
    drain_before_close(conn, context);
    return refused->status;
  }

  std::optional<std::size_t> declared;
  if (request->content_length >= 0) declared = static_cast<std::size_t>(request->content_length);
  if (std::optional<qw::response> refused = webhooks.check_content_length(declared)) {
    const int status = answer(conn, request, *refused, /*close=*/true);
    drain_before_close(conn, context);
    return status;
  }
  // civetweb does not answer "Expect: 100-continue" for request handlers: the client waits for it before sending.
  if (expects_continue(conn)) mg_printf(conn, "HTTP/1.1 100 Continue\r\n\r\n");

  // Room for the padding simdjson reads past the end: the receiver then parses this string in place. At most one
  // byte more than the limit is kept (a chunked body has no declared length): enough for handle() to answer 413.
  const std::size_t keep = webhooks.max_body_size() + 1;
  std::string body;
  body.reserve(std::min(declared.value_or(0), keep) + simdjson::SIMDJSON_PADDING);
  // civetweb bounds each mg_read by request_timeout_ms; this bounds the whole body. A client that trickles it gets
  // no answer and the connection is closed.
  {  // the deadline covers reading the body, not the handler
    const body_watchdog::guard deadline(context.watchdog, request, context.body_timeout);
    char buffer[16 * 1024];
    for (;;) {
      const int n = mg_read(conn, buffer, sizeof buffer);
      if (deadline.expired()) {
        log_line("request ", request->request_method, " ", request->local_uri,
                 " -> closed (body not received in time)");
        return 408;  // civetweb closes a connection whose body was not read to the end
      }
      if (n < 0) return 400;  // the connection broke mid-body: nothing to answer to
      if (n == 0) break;
      if (body.size() < keep) body.append(buffer, std::min(static_cast<std::size_t>(n), keep - body.size()));
    }
  }
  // The handler runs here, on this worker thread. The body is the raw bytes as received.
  return answer(conn, request, webhooks.handle(request->request_method, civetweb_headers{conn}, body));
}

// ---------------------------------------------------------------------------------------------------------------------
// Configuration.

struct options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/webhooks";
  std::size_t max_body_bytes = qw::parser_options{}.max_body_size;
  int threads = 32;
  int request_timeout_s = 10;
  int idle_timeout_s = 5;
  std::vector<std::string> fail_once;
};

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: civetweb_receiver [--host HOST] [--port PORT] [--path PATH] [--threads N] [--max-body-bytes N]\n"
      "                         [--request-timeout-s S] [--idle-timeout-s S] [--fail-once LOYALTY_EVENT_KEY]...\n"
      "\n"
      "  --host HOST        address to listen on (default 127.0.0.1)\n"
      "  --port PORT        port to listen on; 0 picks a free one (default 8080)\n"
      "  --path PATH        the endpoint's path (default /webhooks)\n"
      "  --threads N        civetweb worker threads, and so requests handled at once (default 32)\n"
      "  --max-body-bytes N largest body accepted, in bytes (default 1048576); larger is answered 413\n"
      "  --request-timeout-s S  deadline for a request: half for its headers, half for its body (default 10)\n"
      "  --idle-timeout-s S     how long an idle keep-alive connection is kept (default 5)\n"
      "  --fail-once KEY    demo knob: the handler fails (500) the first delivery of the event with this\n"
      "                     loyaltyEventKey, as if a downstream service were down; the retry succeeds\n"
      "\n"
      "environment:\n"
      "  %s  the endpoint's signing secret, whsec_<base64>; while rotating, the new and\n"
      "                          the old one separated by a space\n"
      "\n"
      "Prints \"listening on http://HOST:PORT/PATH\" once ready, then one line per request, handled event and\n"
      "dead letter. Stops on SIGINT or SIGTERM.\n",
      secret_env);
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
    } else if (arg == "--host" && value(v) && !v.empty()) {
      o.host = std::string(v);
    } else if (arg == "--port" && value(v) && parse_number(v, o.port) && o.port >= 0 && o.port <= 65535) {
    } else if (arg == "--path" && value(v) && !v.empty() && v.front() == '/') {
      o.path = std::string(v);
    } else if (arg == "--threads" && value(v) && parse_number(v, o.threads) && o.threads > 0) {
    } else if (arg == "--max-body-bytes" && value(v) && parse_number(v, o.max_body_bytes) && o.max_body_bytes > 0) {
    } else if (arg == "--request-timeout-s" && value(v) && parse_number(v, o.request_timeout_s) &&
               o.request_timeout_s > 0 && o.request_timeout_s <= 3600) {
    } else if (arg == "--idle-timeout-s" && value(v) && parse_number(v, o.idle_timeout_s) && o.idle_timeout_s > 0 &&
               o.idle_timeout_s <= 3600) {
    } else if (arg == "--fail-once" && value(v) && !v.empty()) {
      o.fail_once.emplace_back(v);
    } else {
      std::fprintf(stderr, "civetweb_receiver: bad or incomplete argument: %s\n\n", argv[i]);
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
  const sigset_t signals = block_stop_signals();  // before any thread starts: civetweb's inherit the mask

  const char* secret_text = std::getenv(secret_env);
  const std::vector<std::string> secrets = split_secrets(secret_text != nullptr ? secret_text : "");
  if (secrets.empty()) {
    std::fprintf(stderr, "civetweb_receiver: set %s to the endpoint's signing secret (whsec_...)\n", secret_env);
    return 2;
  }
  qw::authenticator auth = qw::authenticator::standard_webhooks(qw::standard_webhooks_verifier(secrets));
  if (auth.status() != qw::verify_reason::ok) {  // fail at startup, not on the first delivery
    const std::string_view reason = qw::to_string(auth.status());
    std::fprintf(stderr, "civetweb_receiver: %s: %.*s\n", secret_env, static_cast<int>(reason.size()), reason.data());
    return 2;
  }

  qw::memory_store processed;  // dedupes within this process; must outlive the receiver
  qw::receiver_options receiver_options;
  receiver_options.parser.max_body_size = o.max_body_bytes;
  receiver_options.idempotency = &processed;
  // One JSON log line per request (examples/common/observability.hpp).
  qurable_examples::observability observed;
  receiver_options.observer = observed.get();
  // Every refused or failed delivery with its exact bytes: a real service stores them durably to inspect or replay.
  receiver_options.dead_letter = [](std::string_view body, const qw::outcome& out) {
    log_line("dead-letter ", qw::to_string(out.kind), " ", out.http_status, " ", body.size(), " bytes");
  };
  simulated_outage outage(o.fail_once);
  const loyalty_receiver webhooks(loyalty_handlers{&outage}, qw::authentication::with(std::move(auth)),
                                  receiver_options);
  // Half of the request's deadline for its headers (civetweb's request_timeout_ms, which also bounds each mg_read),
  // half for its body (on_webhook).
  body_watchdog watchdog;  // must outlive the server (declared before it stops)
  const endpoint_context context{webhooks, o.path, std::chrono::milliseconds(o.request_timeout_s * 500), watchdog};

  mg_init_library(0);
  const bool ipv6 = o.host.find(':') != std::string::npos;
  const std::string ports = (ipv6 ? "[" + o.host + "]" : o.host) + ":" + std::to_string(o.port);
  const std::string threads = std::to_string(o.threads);
  const std::string header_timeout = std::to_string(o.request_timeout_s * 500);
  const std::string idle_timeout = std::to_string(o.idle_timeout_s * 1000);
  const char* config[] = {
      "listening_ports", ports.c_str(), "num_threads", threads.c_str(), "enable_keep_alive", "yes",
      // civetweb sends a response's header and body in separate writes: without TCP_NODELAY the body waits for the
      // client's delayed ACK on a keep-alive connection (about 40 ms per request).
      "tcp_nodelay", "1",
      // Bounds: the request's headers (and each read), an idle keep-alive connection, the lingering close.
      "request_timeout_ms", header_timeout.c_str(), "keep_alive_timeout_ms", idle_timeout.c_str(), "linger_timeout_ms",
      "500", nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char* message) {
    log_line("civetweb: ", message);
    return 1;
  };
  // civetweb refuses an invalid Content-Length ("abc", "-1") itself, with 411: answer 400 as for every other framing
  // error (http_guard.hpp); civetweb closes the connection after an error.
  callbacks.http_error = [](mg_connection* conn, int status, const char*) {
    if (status != 411) return 1;  // civetweb's own error page
    const std::string_view body = R"({"outcome":"bad_request","message":"invalid or conflicting Content-Length"})";
    log_line("request -> 400 refused (", body, ")");
    send(conn, 400, body, nullptr, /*close=*/true);
    return 0;
  };
  mg_context* server = mg_start(&callbacks, nullptr, config);
  if (server == nullptr) {
    std::fprintf(stderr, "civetweb_receiver: cannot listen on %s\n", ports.c_str());
    mg_exit_library();
    return 1;
  }
  mg_set_request_handler(server, o.path.c_str(), on_webhook, const_cast<endpoint_context*>(&context));
  mg_server_port bound[4] = {};
  const int count = mg_get_server_ports(server, 4, bound);
  const int port = count > 0 ? bound[0].port : o.port;
  log_line("listening on http://", ipv6 ? "[" + o.host + "]" : o.host, ":", port, o.path,
           " (Standard Webhooks signatures, ", secrets.size(), " secret(s), ", o.threads, " thread(s))");

  const int signal = wait_for_stop(signals, [] { return true; });
  mg_stop(server);  // waits for the requests being handled; unanswered deliveries are retried by the platform
  mg_exit_library();
  log_line("stopped", signal > 0 ? " on signal " + std::to_string(signal) : std::string());
  return 0;
}
