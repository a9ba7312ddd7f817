// beast_receiver: a Qurable webhook endpoint on Boost.Beast, asynchronous (async_accept, async_read_header,
// async_read, async_write) on an io_context run by a few threads. Copy it as the starting point of your service.
//
//   QURABLE_WEBHOOK_SECRET=whsec_... beast_receiver [--host 127.0.0.1] [--port 8080] [--path /webhooks] [--threads 2]
//       serves until SIGINT or SIGTERM. See README.md for every flag.
//
// What to keep when you copy it: the session (the header is read first, so a declared Content-Length over the limit
// is answered 413 before any body byte is read; the raw body is handed to the receiver untouched, read into a string
// with room for simdjson's padding so it is parsed in place), the receiver's configuration in main(), and the shape
// of loyalty_handlers (examples/common/example_support.hpp). Replace the bodies of the handlers with your own work.
//
// The handlers run on the io_context's threads, inside handle(): a slow handler holds one of them for its duration.
// Size --threads for that, or hand slow work to a queue (examples/queue_receiver).

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
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

#include <simdjson.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <qurable/webhooks.hpp>
#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>

#include "../common/example_support.hpp"  // log lines, demo handlers, argument helpers
#include "../common/http_guard.hpp"       // framing and content coding, checked from the header
#include "../common/observability.hpp"    // the JSON log line per request, --metrics-port

namespace qw = qurable::webhooks;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// From examples/common/example_support.hpp.
using qurable_examples::check_framing;
using qurable_examples::framing_headers;
using qurable_examples::framing_refusal;
using qurable_examples::log_line;
using qurable_examples::loyalty_handlers;
using qurable_examples::metrics_usage;
using qurable_examples::observability;
using qurable_examples::parse_number;
using qurable_examples::secret_env;
using qurable_examples::simulated_outage;
using qurable_examples::split_secrets;

using loyalty_receiver = qw::receiver<loyalty_handlers>;

// ---------------------------------------------------------------------------------------------------------------------
// The HTTP glue for Boost.Beast.

beast::string_view to_beast(std::string_view s) { return {s.data(), s.size()}; }
std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

using request = http::request<http::string_body>;

// The receiver asks for headers in lowercase; Beast's field lookup is case-insensitive. Empty means absent.
struct beast_headers {
  const request& message;
  std::string_view operator()(std::string_view name) const {
    const auto it = message.find(to_beast(name));
    return it == message.end() ? std::string_view() : to_std(it->value());
  }
};

// What every session needs; lives in main() for as long as the io_context runs.
struct endpoint_context {
  const loyalty_receiver& webhooks;
  std::string path;
  std::chrono::seconds request_timeout;  // a whole request, headers and body, from its first byte
  std::chrono::seconds idle_timeout;     // a keep-alive connection waiting for its next request
  std::size_t max_connections;           // open at once; more are closed as soon as accepted
  std::atomic<std::size_t> connections{0};
};

// One connection: read a request's header, check it, read its body, answer, and again while the client keeps the
// connection alive. Everything runs on the connection's strand.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, endpoint_context& context) : stream_(std::move(socket)), context_(context) {
    ++context_.connections;
  }
  ~session() { --context_.connections; }

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::wait_for_request, shared_from_this()));
  }

 private:
  // Waits for the first bytes of the next request, for the idle timeout at most; then the request's own deadline runs.
  void wait_for_request() {
    if (buffer_.size() > 0) return read_header();  // pipelined
    stream_.expires_after(context_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, std::size_t size) {
    if (ec) return;  // idle too long, or closed by the client
    buffer_.commit(size);
    read_header();
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    // No body limit while reading the header: Beast would refuse a large Content-Length right there, with an error
    // instead of our 413. It is set in on_header, once the receiver has checked the declared length. (Not
    // boost::none: Beast 1.74 compares the declared length with the optional, and any length exceeds "none".)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    // One deadline for the header and the body: a client trickling either is cut off when it passes.
    stream_.expires_after(context_.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return close();
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return refuse(400, R"({"outcome":"bad_request","message":"malformed request"})");  // incl. bad Content-Length
    }
    if (ec) return;  // timeout, reset: drop the connection
    request& req = parser_->get();
    const std::string_view target = to_std(req.target());
    if (target.substr(0, target.find('?')) != context_.path) return not_found();

    // Framing and content coding, from the header (examples/common/http_guard.hpp): Beast never decompresses, but a
    // compressed body would fail the signature or the parse only after being read.
    framing_headers framing;
    for (const auto& field : req) {
      if (beast::iequals(field.name_string(), "Content-Length"))
        framing.content_length.emplace_back(to_std(field.value()));
      if (beast::iequals(field.name_string(), "Transfer-Encoding")) {
        framing.transfer_encoding.emplace_back(to_std(field.value()));
      }
      if (beast::iequals(field.name_string(), "Content-Encoding")) {
        framing.content_encoding.emplace_back(to_std(field.value()));
      }
    }
    if (const std::optional<framing_refusal> refused = check_framing(framing)) {
      return refuse(refused->status, refused->body, refused->header_name, refused->header_value);
    }

    std::optional<std::size_t> declared;
    if (const auto length = parser_->content_length()) {
      declared = static_cast<std::size_t>(std::min<std::uint64_t>(*length, SIZE_MAX));
    }
    if (std::optional<qw::response> refused = context_.webhooks.check_content_length(declared)) {
      return write(*refused, /*close=*/true);  // the body is never read, so the connection cannot be reused
    }
    // Room for the padding simdjson reads past the end: the receiver then parses this string in place. (Beast's
    // string_body reserves the declared length again when it starts, which keeps the larger capacity.)
    if (declared) req.body().reserve(*declared + simdjson::SIMDJSON_PADDING);
    // Beast's own limit, the receiver's: a chunked body growing past it stops with http::error::body_limit.
    parser_->body_limit(context_.webhooks.max_body_size());

    if (beast::iequals(req[http::field::expect], "100-continue")) {  // the client waits for this before the body
      continue_ = {http::status::continue_, req.version()};
      return http::async_write(stream_, continue_,
                               beast::bind_front_handler(&session::on_continue, shared_from_this()));
    }
    read_body();
  }

  void on_continue(beast::error_code ec, std::size_t) {
    if (ec) return;
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      // A body without Content-Length (chunked) grew past the limit: the same 413 as a declared one.
      return write(context_.webhooks.body_too_large(), true);
    }
    if (ec) return;
    const request& req = parser_->get();
    // The handler runs here, on this io_context thread. The body is the raw bytes as received.
    const qw::response answer = context_.webhooks.handle(to_std(req.method_string()), beast_headers{req}, req.body());
    write(answer, !req.keep_alive());
  }

  void write(const qw::response& answer, bool close) {
    response_ = {};
    response_.version(parser_->get().version());
    response_.result(static_cast<unsigned>(answer.status()));
    response_.set(http::field::content_type, to_beast(answer.content_type()));
    for (const qw::http_header& header : answer.headers()) response_.set(to_beast(header.name), to_beast(header.value));
    response_.body().assign(answer.body().data(), answer.body().size());
    response_.keep_alive(!close);
    response_.prepare_payload();
    http::async_write(stream_, response_, beast::bind_front_handler(&session::on_write, shared_from_this(), close));
  }

  // Answers from the header (or a malformed request) and closes: where the next request starts is not known.
  void refuse(int status, std::string_view body, std::string_view header_name = {},
              std::string_view header_value = {}) {
    log_line("request ", to_std(parser_->get().method_string()), " ", to_std(parser_->get().target()), " -> ", status,
             " refused (", body, ")");
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(status));
    response_.set(http::field::content_type, "application/json");
    if (!header_name.empty()) response_.set(to_beast(header_name), to_beast(header_value));
    response_.body().assign(body.data(), body.size());
    response_.keep_alive(false);
    response_.prepare_payload();
    http::async_write(stream_, response_, beast::bind_front_handler(&session::on_write, shared_from_this(), true));
  }

  void not_found() {
    response_ = {};
    response_.version(parser_->get().version());
    response_.result(http::status::not_found);
    response_.set(http::field::content_type, "application/json");
    response_.body() = R"({"outcome":"not_found"})";
    response_.keep_alive(false);
    response_.prepare_payload();
    http::async_write(stream_, response_, beast::bind_front_handler(&session::on_write, shared_from_this(), true));
  }

  void on_write(bool close, beast::error_code ec, std::size_t) {
    if (ec) return;
    if (close) return this->close();
    wait_for_request();  // keep-alive: the next request on this connection
  }

  // Ends the connection after the last response. The client may still be sending a body we chose not to read (a
  // 413 answered from the header): closing a socket with unread input makes the kernel send a reset, which can
  // destroy the response before the client reads it. So shut down our side only, then read and drop whatever
  // arrives until the client closes, for a few seconds at most (a "lingering close", as nginx does).
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(5));
    linger();
  }

  void linger() {
    stream_.async_read_some(net::buffer(discard_), beast::bind_front_handler(&session::on_linger, shared_from_this()));
  }

  void on_linger(beast::error_code ec, std::size_t) {
    if (!ec) linger();  // else end of stream or the deadline: the session ends and the socket closes
  }

  beast::tcp_stream stream_;
  endpoint_context& context_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::empty_body> continue_;
  http::response<http::string_body> response_;
  char discard_[16 * 1024];
};

// Accepts connections and starts a session on its own strand for each.
class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(net::io_context& io, const tcp::endpoint& at, endpoint_context& context)
      : io_(io), acceptor_(net::make_strand(io)), context_(context) {
    acceptor_.open(at.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void accept() {
    acceptor_.async_accept(net::make_strand(io_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;  // closed: stopping
    if (!ec && context_.connections >= context_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // over the bound: closed at once, the client retries later
    } else if (!ec) {
      // Responses leave in one write already; TCP_NODELAY also covers "100 Continue" followed by the answer.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<session>(std::move(socket), context_)->start();
    }
    accept();
  }

  net::io_context& io_;
  tcp::acceptor acceptor_;
  endpoint_context& context_;
};

// ---------------------------------------------------------------------------------------------------------------------
// Configuration.

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string path = "/webhooks";
  std::size_t max_body_bytes = qw::parser_options{}.max_body_size;
  int threads = 2;
  int request_timeout_s = 10;
  int idle_timeout_s = 5;
  std::size_t max_connections = 1024;
  std::vector<std::string> fail_once;
  observability observed;  // --metrics-port, --metrics-host
};

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: beast_receiver [--host HOST] [--port PORT] [--path PATH] [--threads N] [--max-body-bytes N]\n"
      "                      [--request-timeout-s S] [--idle-timeout-s S] [--max-connections N]\n"
      "                      [--fail-once LOYALTY_EVENT_KEY]... [--metrics-port N [--metrics-host HOST]]\n"
      "\n"
      "  --host HOST        address to listen on (default 127.0.0.1)\n"
      "  --port PORT        port to listen on; 0 picks a free one (default 8080)\n"
      "  --path PATH        the endpoint's path (default /webhooks)\n"
      "  --threads N        threads running the io_context, and so the handlers (default 2)\n"
      "  --max-body-bytes N largest body accepted, in bytes (default 1048576); larger is answered 413\n"
      "  --request-timeout-s S  deadline for a whole request, headers and body (default 10)\n"
      "  --idle-timeout-s S     how long an idle keep-alive connection is kept (default 5)\n"
      "  --max-connections N    connections open at once; more are closed when accepted (default 1024)\n"
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
      metrics_usage, secret_env);
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
    } else if (arg == "--port" && value(v) && parse_number(v, o.port)) {
    } else if (arg == "--path" && value(v) && !v.empty() && v.front() == '/') {
      o.path = std::string(v);
    } else if (arg == "--threads" && value(v) && parse_number(v, o.threads) && o.threads > 0) {
    } else if (arg == "--max-body-bytes" && value(v) && parse_number(v, o.max_body_bytes) && o.max_body_bytes > 0) {
    } else if (arg == "--request-timeout-s" && value(v) && parse_number(v, o.request_timeout_s) &&
               o.request_timeout_s > 0 && o.request_timeout_s <= 3600) {
    } else if (arg == "--idle-timeout-s" && value(v) && parse_number(v, o.idle_timeout_s) && o.idle_timeout_s > 0 &&
               o.idle_timeout_s <= 3600) {
    } else if (arg == "--max-connections" && value(v) && parse_number(v, o.max_connections) && o.max_connections > 0) {
    } else if (arg == "--fail-once" && value(v) && !v.empty()) {
      o.fail_once.emplace_back(v);
    } else if (observability::is_flag(arg) && value(v) && o.observed.parse_flag(arg, v)) {
    } else {
      std::fprintf(stderr, "beast_receiver: bad or incomplete argument: %s\n\n", argv[i]);
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

  const char* secret_text = std::getenv(secret_env);
  const std::vector<std::string> secrets = split_secrets(secret_text != nullptr ? secret_text : "");
  if (secrets.empty()) {
    std::fprintf(stderr, "beast_receiver: set %s to the endpoint's signing secret (whsec_...)\n", secret_env);
    return 2;
  }
  qw::authenticator auth = qw::authenticator::standard_webhooks(qw::standard_webhooks_verifier(secrets));
  if (auth.status() != qw::verify_reason::ok) {  // fail at startup, not on the first delivery
    const std::string_view reason = qw::to_string(auth.status());
    std::fprintf(stderr, "beast_receiver: %s: %.*s\n", secret_env, static_cast<int>(reason.size()), reason.data());
    return 2;
  }

  // Before the receiver: it must outlive it. Binds the metrics port when --metrics-port was given.
  if (const std::optional<int> stop = o.observed.start("beast_receiver")) return *stop;

  qw::memory_store processed;  // dedupes within this process; must outlive the receiver
  qw::receiver_options receiver_options;
  receiver_options.parser.max_body_size = o.max_body_bytes;
  receiver_options.idempotency = &processed;
  // One JSON log line per request, and the Prometheus metrics with --metrics-port (examples/common/observability.hpp).
  receiver_options.observer = o.observed.get();
  // Every refused or failed delivery with its exact bytes: a real service stores them durably to inspect or replay.
  receiver_options.dead_letter = [](std::string_view body, const qw::outcome& out) {
    log_line("dead-letter ", qw::to_string(out.kind), " ", out.http_status, " ", body.size(), " bytes");
  };
  simulated_outage outage(o.fail_once);
  const loyalty_receiver webhooks(loyalty_handlers{&outage}, qw::authentication::with(std::move(auth)),
                                  receiver_options);
  endpoint_context context{webhooks, o.path, std::chrono::seconds(o.request_timeout_s),
                           std::chrono::seconds(o.idle_timeout_s), o.max_connections};

  net::io_context io{o.threads};
  std::shared_ptr<listener> server;
  try {
    server = std::make_shared<listener>(io, tcp::endpoint(net::ip::make_address(o.host), o.port), context);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "beast_receiver: cannot listen on %s:%u: %s\n", o.host.c_str(), o.port, error.what());
    return 1;
  }
  server->accept();
  log_line("listening on http://", o.host, ":", server->port(), o.path, " (Standard Webhooks signatures, ",
           secrets.size(), " secret(s), ", o.threads, " thread(s))");

  // SIGINT/SIGTERM stop the io_context: handlers already running finish, open connections are dropped, and
  // deliveries not answered yet are retried by the platform.
  int stopped_by = 0;
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io, &stopped_by](beast::error_code ec, int signal) {
    if (!ec) stopped_by = signal;
    io.stop();
  });

  std::vector<std::thread> threads;
  for (int i = 1; i < o.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& t : threads) t.join();
  log_line("stopped", stopped_by > 0 ? " on signal " + std::to_string(stopped_by) : std::string());
  return 0;
}
