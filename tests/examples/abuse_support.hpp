#pragma once
// The attacks of the abuse suite (tests/examples/test_abuse.cpp, tests/examples/test_nginx.cpp), made by a client
// without the secret against a server on 127.0.0.1, and the liveness probe run during each: a valid signed event
// must still be answered 2xx. Every loop is bounded in count and time.

#include <zlib.h>

#include <brotli/encode.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>

#include <qurable/webhooks/testing/event_builder.hpp>

#include "catch.hpp"
#include "examples/e2e_support.hpp"
#include "examples/raw_http.hpp"

namespace qtest::abuse {

using namespace std::chrono_literals;

// A valid event, signed with the endpoint's secret, with its own id and loyaltyEventKey, posted on a new connection.
// Returns the status (0: no answer within the generous bound).
inline int post_valid(int port, const std::string& path, const std::string& tag) {
  namespace qwt = qurable::webhooks::testing;
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(10s);
  client.set_read_timeout(20s);
  client.set_write_timeout(10s);
  const std::string body = qwt::event_builder(qwt::examples::member_created).loyalty_event_key("ev_live_" + tag).body();
  const httplib::Result r =
      client.Post(path.c_str(), e2e::signed_headers(body, "msg_live_" + tag), body, "application/json");
  return r ? r->status : 0;
}

inline std::string request_head(const std::string& path, std::string_view extra) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + std::string(extra);
}

// ---------------------------------------------------------------------------------------------------------------------
// Slow and idle connections: `count` connections kept open by one thread; each tick (100 ms) every slow connection
// gets one more byte. A connection the server closes is counted and replaced, so the pressure stays on until stop().

enum class slow_kind { body, headers, idle };

class siege {
 public:
  siege(int port, std::string path, slow_kind kind, int count)
      : port_(port), path_(std::move(path)), kind_(kind), count_(count), thread_([this] { run(); }) {}
  siege(const siege&) = delete;
  siege& operator=(const siege&) = delete;
  ~siege() { stop(); }

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }

  int opened() const { return opened_; }
  int closed_by_server() const { return closed_; }

  // Waits until the server has closed at least `n` of the connections (up to `timeout`).
  bool wait_closed(int n, std::chrono::milliseconds timeout) const {
    const auto until = raw::clock::now() + timeout;
    while (closed_ < n && raw::clock::now() < until) std::this_thread::sleep_for(50ms);
    return closed_ >= n;
  }

 private:
  struct slot {
    std::unique_ptr<raw::connection> c;
    std::size_t sent = 0;
  };

  std::string opening() const {
    switch (kind_) {
      case slow_kind::body: return request_head(path_, "Content-Length: 100000\r\n\r\n{");
      case slow_kind::headers: return "POST " + path_ + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
      case slow_kind::idle: break;
    }
    return {};
  }

  void open(slot& s) {
    s.c = std::make_unique<raw::connection>(port_);
    s.sent = 0;
    ++opened_;
    if (s.c->ok()) s.c->send(opening(), 1s);
  }

  void run() {
    std::vector<slot> slots(static_cast<std::size_t>(count_));
    for (slot& s : slots) open(s);
    const auto give_up = raw::clock::now() + 60s;  // bound, whatever the test does
    while (!stopping_ && raw::clock::now() < give_up) {
      std::this_thread::sleep_for(100ms);
      for (slot& s : slots) {
        if (stopping_) break;
        if (!s.c->ok() || s.c->closed_now()) {
          ++closed_;
          open(s);
          continue;
        }
        if (kind_ == slow_kind::body) s.c->send(" ", 1s);
        if (kind_ == slow_kind::headers) s.c->send(s.sent++ % 16 == 15 ? "\r\nX-Slow: " : "a", 1s);
      }
    }
  }

  int port_;
  std::string path_;
  slow_kind kind_;
  int count_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> opened_{0};
  std::atomic<int> closed_{0};
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------------------------------
// Compressed bombs: a few KB that expand to many MB.

inline std::string gzip_bomb(std::size_t expanded) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK);  // 15 + 16: gzip wrapper
  const std::string zeros(1 << 20, '\0');
  std::string out;
  char buffer[64 * 1024];
  for (std::size_t fed = 0; fed < expanded; fed += zeros.size()) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = static_cast<uInt>(zeros.size());
    const int flush = fed + zeros.size() >= expanded ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer);
      z.avail_out = sizeof buffer;
      deflate(&z, flush);
      out.append(buffer, sizeof buffer - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

inline std::string brotli_bomb(std::size_t expanded) {
  BrotliEncoderState* s = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
  REQUIRE(s != nullptr);
  BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, 5);
  const std::string zeros(1 << 20, '\0');
  std::string out;
  for (std::size_t fed = 0; fed < expanded; fed += zeros.size()) {
    const bool last = fed + zeros.size() >= expanded;
    std::size_t in_left = zeros.size();
    const std::uint8_t* in = reinterpret_cast<const std::uint8_t*>(zeros.data());
    do {
      std::size_t out_left = 0;
      std::uint8_t* next_out = nullptr;
      REQUIRE(BrotliEncoderCompressStream(s, last ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS, &in_left, &in,
                                          &out_left, &next_out, nullptr));
      std::size_t size = 0;
      const std::uint8_t* produced = BrotliEncoderTakeOutput(s, &size);
      out.append(reinterpret_cast<const char*>(produced), size);
    } while (in_left > 0 || BrotliEncoderHasMoreOutput(s) || (last && !BrotliEncoderIsFinished(s)));
  }
  BrotliEncoderDestroyInstance(s);
  return out;
}

// A compressed request with a declared length, signed or not (the attacker has no secret: not).
inline std::string compressed_request(const std::string& path, std::string_view encoding, const std::string& body) {
  return request_head(path, "Content-Encoding: " + std::string(encoding) +
                                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n") +
         body;
}

// ---------------------------------------------------------------------------------------------------------------------
// Framing errors: requests whose end cannot be known for sure.

struct framing_case {
  const char* what;
  std::string headers;  // after the request line and Host, ending with the blank line, then a body
};

inline std::vector<framing_case> framing_cases() {
  return {
      {"two different Content-Length", "Content-Length: 2\r\nContent-Length: 7\r\n\r\n{}\r\n{}\r\n"},
      {"Content-Length: abc", "Content-Length: abc\r\n\r\n{}"},
      {"Content-Length: -1", "Content-Length: -1\r\n\r\n{}"},
      {"overflowing Content-Length", "Content-Length: 184467440737095516160\r\n\r\n{}"},
      {"Content-Length with Transfer-Encoding", "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"Transfer-Encoding: gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// The checks, for a server (or a proxy) on `port`.

inline void check_live(int port, const std::string& path, const std::string& tag) {
  const int status = post_valid(port, path, tag);
  INFO("a valid signed event sent during the attack (" << tag << ") got " << status);
  CHECK(status >= 200);
  CHECK(status < 300);
}

// Four gzip and four brotli bombs at once: each refused 415 naming the accepted coding, from the header, and (when
// `expect_close`) the connection closed.
inline void check_bombs(int port, const std::string& path, bool expect_close = true) {
  const std::string gzip = gzip_bomb(std::size_t{64} << 20);       // 64 MiB of zeros
  const std::string brotli = brotli_bomb(std::size_t{256} << 20);  // 256 MiB of zeros
  INFO("gzip bomb " << gzip.size() << " bytes, brotli bomb " << brotli.size() << " bytes");
  REQUIRE(gzip.size() < 128 * 1024);
  REQUIRE(brotli.size() < 128 * 1024);
  std::vector<std::unique_ptr<raw::connection>> bombs;
  for (int i = 0; i < 8; ++i) {
    bombs.push_back(std::make_unique<raw::connection>(port));
    REQUIRE(bombs.back()->ok());
    const bool br = i % 2 == 1;
    bombs.back()->send(compressed_request(path, br ? "br" : "gzip", br ? brotli : gzip));
  }
  check_live(port, path, "bombs");
  for (auto& c : bombs) {
    const std::optional<raw::response> r = c->read_response(10s);
    REQUIRE(r);
    INFO(r->head);
    CHECK(r->status == 415);
    CHECK(r->has_header("Accept-Encoding: identity"));
    if (expect_close) CHECK(c->closed_by_server(10s));
  }
}

// Each framing error on its own connection: 400 (501 for an unknown transfer coding), then the connection closed.
inline void check_framing_errors(int port, const std::string& path) {
  for (const framing_case& f : framing_cases()) {
    INFO(f.what);
    raw::connection c(port);
    REQUIRE(c.ok());
    c.send(request_head(path, f.headers));
    const std::optional<raw::response> r = c.read_response(10s);
    REQUIRE(r);
    INFO(r->head);
    CHECK((r->status == 400 || (r->status == 501 && f.headers.rfind("Transfer-Encoding: gzip", 0) == 0)));
    CHECK(c.closed_by_server(10s));
  }
  check_live(port, path, "framing");
}

// Declared bodies over the limit: 413 from the header, without waiting for the body, and the connection closed.
inline void check_oversized(int port, const std::string& path) {
  std::vector<std::unique_ptr<raw::connection>> big;
  for (int i = 0; i < 4; ++i) {
    big.push_back(std::make_unique<raw::connection>(port));
    REQUIRE(big.back()->ok());
    big.back()->send(request_head(path, "Content-Length: 2097152\r\n\r\n{\"event\":"));
  }
  check_live(port, path, "oversized");
  for (auto& c : big) {
    const std::optional<raw::response> r = c->read_response(10s);
    REQUIRE(r);
    INFO(r->head);
    CHECK(r->status == 413);
    CHECK(c->closed_by_server(10s));
  }
}

}  // namespace qtest::abuse
