#pragma once
// The cpp-httplib glue shared by examples/httplib_receiver and examples/queue_receiver: mount() routes a path to a
// receiver, and hardened_server is an httplib::Server that a client without the secret cannot slow down or take
// offline. Copy this folder with the example.
//
// What hardened_server adds to cpp-httplib, and why (measured on cpp-httplib 0.11.4, Debian 12):
// - Single-write responses and TCP_NODELAY. httplib writes a response's header and body in two writes; on a
//   keep-alive connection the second waits for the client's delayed ACK (Nagle): about 40 ms per request, ≈ 300
//   requests/s whatever the handler does. Here a response is buffered and leaves in one write.
// - A deadline for the whole request (request line, headers and body: --request-timeout-s), counted from its first
//   byte. httplib's own timeouts are per read: a client sending one byte a second held a thread forever.
// - A bound on idle keep-alive time (--idle-timeout-s) and on the requests per connection; one connection per
//   worker thread at a time (httplib is thread-per-connection), --threads workers.
// - Framing and content coding checked before the body is read (http_guard.hpp): httplib decompresses gzip and
//   brotli request bodies itself, past any limit (a 24 KB brotli body held a thread at full CPU for 56 s); invalid or
//   conflicting Content-Length was read as 0 or ignored. Those requests are answered 400/415/413 from the header, and
//   the connection is closed.
// - stop_gracefully(): no new connection or request is started; a request being read gets at most `stop_grace` more,
//   a handler already running finishes. SIGTERM then ends the process within a few seconds whatever clients do.
//
// How: httplib::Server runs each accepted connection through its virtual process_and_close_socket(); this class
// overrides it with its own keep-alive loop over its own Stream (buffered, deadline-aware), and lets httplib's
// process_request() parse, route and answer each request. That is cpp-httplib 0.11's extension surface (Stream and
// process_request() are public/protected there); later releases changed process_request()'s parameters, so check
// the signature when you move to another version.
//
// What it cannot do: it has no limit on connections waiting for a free worker (httplib's queue is unbounded), and a
// client that opens more slow connections than there are workers delays everyone else by up to one request timeout.
// Put a reverse proxy in front for that (examples/nginx), as for TLS.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <httplib.h>
#include <simdjson.h>

#include <qurable/webhooks/http/receiver.hpp>

#include "example_support.hpp"
#include "http_guard.hpp"

namespace qurable_examples {

namespace qw = qurable::webhooks;

struct http_limits {
  std::chrono::milliseconds request_timeout{10'000};  // a whole request, headers and body, from its first byte
  std::chrono::milliseconds idle_timeout{5'000};      // a keep-alive connection waiting for its next request
  std::chrono::milliseconds write_timeout{5'000};     // sending one response
  std::chrono::milliseconds stop_grace{2'000};        // after stop_gracefully(), for a request being read
  std::size_t threads = 32;                           // connections served at once (one per thread)
  std::size_t requests_per_connection = 10'000;       // then the connection is closed (Connection: close)
};

// ---------------------------------------------------------------------------------------------------------------------
// One connection, as the httplib::Stream that process_request() reads from and writes to.

class connection final : public httplib::Stream {
 public:
  using clock = std::chrono::steady_clock;

  connection(int fd, const http_limits& limits, const std::atomic<bool>& stopping,
             const std::atomic<clock::rep>& stop_deadline)
      : fd_(fd), limits_(limits), stopping_(stopping), stop_deadline_(stop_deadline) {}

  // The connection being served on this thread, so that a handler can ask to close it after its answer.
  static connection*& current() {
    thread_local connection* on_this_thread = nullptr;
    return on_this_thread;
  }
  void close_after_response() noexcept { close_ = true; }
  bool closing() const noexcept { return close_ || broken_; }

  // Waits (up to the idle timeout, or until stopping) for the first byte of the next request; true if it came.
  bool wait_for_request() {
    if (in_begin_ < in_end_) return true;  // pipelined
    const auto until = clock::now() + limits_.idle_timeout;
    if (!wait(POLLIN, until, /*while_stopping=*/false)) return false;
    deadline_ = clock::now() + limits_.request_timeout;
    return fill() > 0;
  }

  // Starts the deadline of a request (when its first byte was already buffered).
  void start_request() { deadline_ = clock::now() + limits_.request_timeout; }

  // Sends what the response wrote, in one write when it fits the socket buffer.
  bool flush() {
    std::size_t sent = 0;
    const auto until = clock::now() + limits_.write_timeout;
    while (sent < out_.size() && !broken_) {
      const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!wait(POLLOUT, until, true)) broken_ = true;
      } else {
        broken_ = true;
      }
    }
    out_.clear();
    return !broken_;
  }

  // Closes after the last answer. Closing a socket with unread input makes the kernel send a reset, which can destroy
  // the answer before the client reads it (a 413 or 415 answered from the header, before the body): so shut down our
  // side, read and drop what still arrives for a short while (as nginx's lingering close), then close.
  void close_socket() {
    flush();
    ::shutdown(fd_, SHUT_WR);
    // Only after an answer given before the body was read; an idle or timed-out connection closes at once.
    const auto until = clock::now() + std::chrono::milliseconds(close_ && !broken_ ? 500 : 0);
    char discard[16 * 1024];
    for (std::size_t dropped = 0; dropped < (1u << 20) && wait(POLLIN, until, true);) {
      const ssize_t n = ::recv(fd_, discard, sizeof discard, 0);
      if (n <= 0) break;
      dropped += static_cast<std::size_t>(n);
    }
    ::close(fd_);
  }

  // httplib::Stream.
  bool is_readable() const override { return in_begin_ < in_end_ || wait(POLLIN, deadline(), true); }
  bool is_writable() const override { return !broken_; }

  ssize_t read(char* ptr, std::size_t size) override {
    if (!out_.empty() && !flush()) return -1;  // "100 Continue" must leave before we wait for the body
    if (in_begin_ == in_end_ && fill() <= 0) return -1;
    const std::size_t n = std::min(size, in_end_ - in_begin_);
    std::memcpy(ptr, in_ + in_begin_, n);
    in_begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    if (broken_) return -1;
    out_.append(ptr, size);
    if (out_.size() >= 256 * 1024 && !flush()) return -1;  // large bodies go out as they come
    return static_cast<ssize_t>(size);
  }

  // Asked for every request: looked up once per connection.
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (remote_port_ < 0) address(&::getpeername, remote_ip_, remote_port_);
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (local_port_ < 0) address(&::getsockname, local_ip_, local_port_);
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return fd_; }

 private:
  clock::time_point deadline() const {
    const clock::time_point stop{clock::duration(stop_deadline_.load())};
    return stopping_ && stop < deadline_ ? stop : deadline_;
  }

  // Reads what is there into the buffer, waiting until the request's deadline. -1: timeout, error or stopping.
  ssize_t fill() {
    in_begin_ = in_end_ = 0;
    for (;;) {
      const ssize_t n = ::recv(fd_, in_, sizeof in_, MSG_DONTWAIT);
      if (n >= 0) {
        in_end_ = static_cast<std::size_t>(n);
        return n;
      }
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait(POLLIN, deadline(), true)) {
        broken_ = true;
        return -1;
      }
    }
  }

  // Polls in short slices, so that stopping is noticed; false at `until`, or at once when stopping unless
  // `while_stopping` (then the stop deadline applies through deadline()).
  bool wait(short events, clock::time_point until, bool while_stopping) const {
    for (;;) {
      if (stopping_ && !while_stopping) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, events, 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
      if (while_stopping && stopping_) until = std::min(until, deadline());
    }
  }

  template <class GetName>
  void address(GetName get, std::string& ip, int& port) const {
    sockaddr_storage a{};
    socklen_t size = sizeof a;
    if (get(fd_, reinterpret_cast<sockaddr*>(&a), &size) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
      ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
      port = ntohs(v4->sin_port);
    } else if (a.ss_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
      port = ntohs(v6->sin6_port);
    }
    ip = text;
  }

  int fd_;
  const http_limits& limits_;
  const std::atomic<bool>& stopping_;
  const std::atomic<clock::rep>& stop_deadline_;
  clock::time_point deadline_ = clock::now();
  char in_[16 * 1024];
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::string out_;
  bool close_ = false;
  bool broken_ = false;
  mutable std::string remote_ip_, local_ip_;
  mutable int remote_port_ = -1, local_port_ = -1;
};

// ---------------------------------------------------------------------------------------------------------------------
// The server.

class hardened_server : public httplib::Server {
 public:
  explicit hardened_server(const http_limits& limits) : limits_(limits) {
    const std::size_t threads = std::max<std::size_t>(1, limits.threads);
    new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    set_tcp_nodelay(true);
  }

  const http_limits& limits() const noexcept { return limits_; }

  // httplib listens with a backlog of 5: a burst of connections (idle ones from an attacker, or the platform's own
  // parallel deliveries) overflows it, and the kernel drops the SYNs of the next clients, which retry after 1 s, 3 s,
  // 7 s... Calling listen() again on the bound socket sets the backlog to the system's maximum.
  void widen_backlog() { ::listen(svr_sock_, SOMAXCONN); }

  // Stops accepting; idle connections close at once, a request being read gets stop_grace more, running handlers
  // finish. listen_after_bind() returns once every worker is done.
  void stop_gracefully() {
    stop_deadline_ = (connection::clock::now() + limits_.stop_grace).time_since_epoch().count();
    stopping_ = true;
    stop();
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    const int on = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    connection c(sock, limits_, stopping_, stop_deadline_);
    connection::current() = &c;
    bool ok = true;
    for (std::size_t n = 1; ok && !c.closing() && c.wait_for_request(); ++n) {
      c.start_request();
      bool closed = false;
      ok = process_request(c, n >= limits_.requests_per_connection || stopping_, closed, nullptr) && c.flush();
      if (closed) break;
    }
    connection::current() = nullptr;
    c.close_socket();
    return ok;
  }

  http_limits limits_;
  std::atomic<bool> stopping_{false};
  std::atomic<connection::clock::rep> stop_deadline_{0};
};

// ---------------------------------------------------------------------------------------------------------------------
// Routing a path to a receiver.

// The receiver asks for headers in lowercase; httplib's header map compares names case-insensitively. Returning a
// pointer into the request avoids copying the value.
struct httplib_headers {
  const httplib::Request& request;
  const std::string* operator()(std::string_view name) const {
    const auto it = request.headers.find(std::string(name));
    return it == request.headers.end() ? nullptr : &it->second;
  }
};

inline void log_response(const httplib::Request& request, int status, std::string_view kind, std::string details) {
  log_line("request ", request.method, " ", request.path, " -> ", status, " ", kind, details);
}

// The receiver's answer. Not logged here: the receiver's observer writes the request's JSON log line
// (examples/common/observability.hpp), with the outcome, event type, key, error code and stage times.
inline void send(const httplib::Request&, httplib::Response& res, const qw::response& answer) {
  res.status = answer.status();
  for (const qw::http_header& header : answer.headers()) {
    res.set_header(std::string(header.name), std::string(header.value));
  }
  res.set_content(answer.body().data(), answer.body().size(), std::string(answer.content_type()).c_str());
}

// Answers from the header and closes the connection after the answer.
inline void close_with(const httplib::Request& request, httplib::Response& res, int status, std::string_view body,
                       std::string_view header_name = {}, std::string_view header_value = {}) {
  res.status = status;
  if (!header_name.empty()) res.set_header(std::string(header_name), std::string(header_value));
  res.set_header("Connection", "close");
  res.set_content(body.data(), body.size(), "application/json");
  if (connection* c = connection::current()) c->close_after_response();
  log_response(request, status, "refused", std::string(" (") + std::string(body) + ")");
}

// The checks made from the header alone: framing, content coding, declared size. True when answered.
template <class Receiver>
bool refuse_from_header(const Receiver& webhooks, const httplib::Request& req, httplib::Response& res) {
  framing_headers h;
  const auto collect = [&req](const char* name, header_values& out) {
    const auto [begin, end] = req.headers.equal_range(name);
    for (auto it = begin; it != end; ++it) out.emplace_back(it->second);
  };
  collect("Content-Length", h.content_length);
  collect("Transfer-Encoding", h.transfer_encoding);
  collect("Content-Encoding", h.content_encoding);
  if (const std::optional<framing_refusal> refused = check_framing(h)) {
    close_with(req, res, refused->status, refused->body, refused->header_name, refused->header_value);
    return true;
  }
  std::optional<std::size_t> declared;
  if (!h.content_length.empty()) declared = static_cast<std::size_t>(*parse_content_length(h.content_length.front()));
  if (std::optional<qw::response> too_large = webhooks.check_content_length(declared)) {
    send(req, res, *too_large);
    res.set_header("Connection", "close");  // the body is not read: the connection cannot be reused
    if (connection* c = connection::current()) c->close_after_response();
    return true;
  }
  return false;
}

// Routes every method on `path` to the receiver (receiver or async_receiver; not const: async_receiver::handle is
// not). Requests are checked from their header first (before "100 Continue" is sent, before any body byte is read);
// the body is then read raw, never decompressed, into a string with room for simdjson's padding, and handed over.
template <class Receiver>
void mount(hardened_server& server, const std::string& path, Receiver& webhooks) {
  server.set_payload_max_length(webhooks.max_body_size());
  const auto check = [&webhooks, path](const httplib::Request& req, httplib::Response& res) {
    return req.path == path && refuse_from_header(webhooks, req, res);
  };
  // Runs before the body is read: for every request, after "Expect: 100-continue" (below) when there is one.
  server.set_pre_routing_handler([check](const httplib::Request& req, httplib::Response& res) {
    return check(req, res) ? httplib::Server::HandlerResponse::Handled : httplib::Server::HandlerResponse::Unhandled;
  });
  // "Expect: 100-continue": answer the refusal instead of inviting the body.
  server.set_expect_100_continue_handler(
      [check](const httplib::Request& req, httplib::Response& res) { return check(req, res) ? res.status : 100; });

  server.Post(path, [&webhooks](const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& read_body) {
    const httplib_headers headers{req};
    if (req.is_multipart_form_data()) {
      // httplib parses multipart bodies itself (and needs both callbacks); it is not JSON anyway: drain, then 415.
      read_body([](const httplib::MultipartFormData&) { return true; }, [](const char*, std::size_t) { return true; });
      return send(req, res, webhooks.handle(req.method, headers, std::string_view()));
    }
    // The declared length was checked from the header. A chunked body is read up to one byte over the limit, enough
    // to answer 413; then reading stops and the connection is closed.
    const std::size_t keep = webhooks.max_body_size() + 1;
    std::string body;
    body.reserve(std::min<std::size_t>(req.get_header_value<std::uint64_t>("Content-Length"), keep) +
                 simdjson::SIMDJSON_PADDING);
    const bool complete = read_body([&body, keep](const char* data, std::size_t size) {
      body.append(data, std::min(size, keep - body.size()));
      return body.size() < keep;
    });
    if (body.size() >= keep) {
      send(req, res, webhooks.body_too_large());
      res.set_header("Connection", "close");
      if (connection* c = connection::current()) c->close_after_response();
      return;
    }
    if (!complete) {  // the connection broke or the request's deadline passed mid-body: nothing to answer to
      if (connection* c = connection::current()) c->close_after_response();
      res.status = 408;
      return;
    }
    send(req, res, webhooks.handle(req.method, headers, body));
  });

  // Other methods get the receiver's 405 (with Allow: POST).
  const auto not_post = [&webhooks](const httplib::Request& req, httplib::Response& res) {
    send(req, res, webhooks.handle(req.method, httplib_headers{req}, req.body));
  };
  server.Get(path, not_post);
  server.Put(path, not_post);
  server.Patch(path, not_post);
  server.Delete(path, not_post);
  server.Options(path, not_post);
}

// Binds host:port (port 0: a free one) and returns the port, or -1.
inline int bind_port(hardened_server& server, const std::string& host, int port) {
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound >= 0) server.widen_backlog();
  return bound;
}

// The flags of http_limits: --request-timeout-s S, --idle-timeout-s S, --threads N.
inline bool is_limit_flag(std::string_view arg) {
  return arg == "--request-timeout-s" || arg == "--idle-timeout-s" || arg == "--threads";
}
inline bool set_limit(std::string_view arg, std::string_view value, http_limits& limits) {
  long long n = 0;
  if (!parse_number(value, n) || n <= 0 || n > 3600) return false;
  if (arg == "--request-timeout-s") limits.request_timeout = std::chrono::seconds(n);
  if (arg == "--idle-timeout-s") limits.idle_timeout = std::chrono::seconds(n);
  if (arg == "--threads") limits.threads = static_cast<std::size_t>(n);
  return true;
}

// For usage texts.
constexpr const char* limits_usage =
    "  --threads N           connections served at once, one per thread (default 32)\n"
    "  --request-timeout-s S deadline for a whole request, headers and body (default 10)\n"
    "  --idle-timeout-s S    how long an idle keep-alive connection is kept (default 5)\n";

}  // namespace qurable_examples
