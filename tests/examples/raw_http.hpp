#pragma once
// A raw TCP client for the abuse tests: it sends exactly the bytes a test writes (malformed framing, a header a byte
// at a time, a compressed body), reads what comes back, and tells whether the server closed the connection. Every
// wait is bounded. Loopback only.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qtest::raw {

using clock = std::chrono::steady_clock;

struct response {
  int status = 0;
  std::string head;  // status line and header fields
  std::string body;
  bool has_header(std::string_view name_and_value) const {  // "Name: value", case-insensitively
    std::string h = head, want(name_and_value);
    for (char& c : h) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    for (char& c : want) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return h.find(want) != std::string::npos;
  }
};

class connection {
 public:
  explicit connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<unsigned short>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  connection(connection&& other) noexcept : fd_(other.fd_), closed_(other.closed_), in_(std::move(other.in_)) {
    other.fd_ = -1;
  }
  ~connection() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool ok() const noexcept { return fd_ >= 0; }

  // Sends all of `bytes` (waiting up to `timeout` for room); false if the connection is closed or full.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto until = clock::now() + timeout;
    while (!bytes.empty() && fd_ >= 0) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!wait(POLLOUT, until)) return false;
      } else {
        return false;
      }
    }
    return bytes.empty();
  }

  // Reads one response (head, then a Content-Length body), up to `timeout`.
  std::optional<response> read_response(std::chrono::milliseconds timeout) {
    const auto until = clock::now() + timeout;
    for (;;) {
      const std::size_t end = in_.find("\r\n\r\n");
      if (end != std::string::npos) {
        response r;
        r.head = in_.substr(0, end + 2);
        if (r.head.size() > 12 && r.head.compare(0, 5, "HTTP/") == 0) r.status = std::atoi(r.head.c_str() + 9);
        std::size_t length = 0;
        for (const char* name : {"\r\ncontent-length:", "\r\nContent-Length:"}) {
          const std::size_t at = r.head.find(name);
          if (at != std::string::npos) length = static_cast<std::size_t>(std::atol(r.head.c_str() + at + 17));
        }
        if (in_.size() >= end + 4 + length) {
          r.body = in_.substr(end + 4, length);
          in_.erase(0, end + 4 + length);
          return r;
        }
      }
      if (closed_ || !fill(until)) return std::nullopt;
    }
  }

  // True if the server closed the connection (end of stream or reset) within `timeout`; what it sent is kept.
  bool closed_by_server(std::chrono::milliseconds timeout) {
    const auto until = clock::now() + timeout;
    while (!closed_ && fill(until)) {
    }
    return closed_;
  }

  // The same, without waiting.
  bool closed_now() {
    fill(clock::now());
    return closed_;
  }

 private:
  bool wait(short events, clock::time_point until) const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
    pollfd p{fd_, events, 0};
    return ::poll(&p, 1, static_cast<int>(left > 0 ? left : 0)) > 0;
  }

  // Reads what arrives (waiting until `until` for something); false at the deadline, or once closed.
  bool fill(clock::time_point until) {
    if (fd_ < 0) {
      closed_ = true;
      return false;
    }
    char buffer[16 * 1024];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n > 0) {
        if (in_.size() < (1u << 20)) in_.append(buffer, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        closed_ = true;
        return false;
      }
      if (errno == EINTR) continue;
      if (clock::now() >= until || !wait(POLLIN, until)) return false;
    }
  }

  int fd_ = -1;
  bool closed_ = false;
  std::string in_;
};

}  // namespace qtest::raw
