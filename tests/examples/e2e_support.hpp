#pragma once
// What the end-to-end tests of the examples share: the test secret, signing a body the way the platform does
// (Standard Webhooks), starting an example server binary on an ephemeral port, and a real HTTP client for it.

#include <chrono>
#include <cstddef>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <httplib.h>

#include <qurable/webhooks/auth/standard_webhooks.hpp>

#include "catch.hpp"
#include "examples/child_process.hpp"
#include "support/fixtures.hpp"

namespace qtest::e2e {

// The endpoint's secret in these tests (32 bytes), and one it does not know.
inline constexpr std::string_view secret = "whsec_cXVyYWJsZS13ZWJob29rcyBlMmUgdGVzdCBzZWNyZXQ=";
inline constexpr std::string_view other_secret = "whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCwgMzJieSE=";
inline constexpr const char* secret_env = "QURABLE_WEBHOOK_SECRET";

// The three examples, their types and loyaltyEventKeys, and a field of each that the handlers print.
struct platform_example {
  std::string_view file;
  std::string_view type;
  std::string_view key;
  std::string_view printed;  // a typed field as the example handlers print it
};
inline constexpr platform_example platform_examples[] = {
    {"member-created.json", "member-created", "ev_01JSKZG24NMDB0RRQHF247NSCX", "email=test-user@email.com"},
    {"coupon-code-assigned.json", "coupon-code-assigned", "ev_01JSG9YM0YZHBS9X3G0VMVMAW6",
     "code=PyMsNLgHR3yfMQAAc11viQ"},
    {"coupon-code-used.json", "coupon-code-used", "ev_c11viQYM0YZHBS9X3G0VMVyfMQ", "discount=20 percentage"},
};

// The line an example prints when its handler took an event.
inline std::string handled_line(std::string_view type, std::string_view key) {
  return "event " + std::string(type) + " key=" + std::string(key);
}

// Headers of a signed delivery: webhook-id, webhook-timestamp (now + `skew`) and webhook-signature.
inline httplib::Headers signed_headers(std::string_view body, std::string_view id = "msg_e2e",
                                       std::string_view with_secret = secret,
                                       std::chrono::seconds skew = std::chrono::seconds(0)) {
  const std::string timestamp = std::to_string(static_cast<long long>(std::time(nullptr) + skew.count()));
  const std::optional<std::string> signature =
      qurable::webhooks::sign_standard_webhooks(with_secret, id, timestamp, body);
  REQUIRE(signature);
  return {{"webhook-id", std::string(id)}, {"webhook-timestamp", timestamp}, {"webhook-signature", *signature}};
}

// An example server binary, started with `--host 127.0.0.1 --port 0` and the test secret (unless `env` says
// otherwise), once it has printed "listening on http://127.0.0.1:PORT/PATH".
class example_server {
 public:
  example_server(const std::string& exe, std::vector<std::string> args = {},
                 std::vector<std::pair<std::string, std::string>> env = {{secret_env, std::string(secret)}})
      : process_(arguments(exe, std::move(args)), std::move(env), {secret_env}) {
    REQUIRE(process_.started());
    const std::optional<std::size_t> line = process_.wait_for_text("listening on http://", 10s);
    INFO(process_.output());
    REQUIRE(line);
    const std::string& text = process_.lines()[*line];
    const std::size_t host = text.find("http://127.0.0.1:");
    REQUIRE(host != std::string::npos);
    std::size_t at = host + std::string_view("http://127.0.0.1:").size();
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') port_ = port_ * 10 + (text[at++] - '0');
    REQUIRE(port_ > 0);
    const std::size_t end = text.find(' ', at);
    path_ = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
  }

  int port() const noexcept { return port_; }
  const std::string& path() const noexcept { return path_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + path_; }
  child_process& process() noexcept { return process_; }

  // A client of this server with bounded timeouts.
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_connection_timeout(std::chrono::seconds(5));
    c->set_read_timeout(std::chrono::seconds(15));
    c->set_write_timeout(std::chrono::seconds(15));
    return c;
  }

  // POSTs `body` signed with the test secret (as the platform would).
  httplib::Result post_signed(httplib::Client& c, const std::string& body, std::string_view id = "msg_e2e") const {
    return c.Post(path_.c_str(), signed_headers(body, id), body, "application/json");
  }

  // Waits until a line containing `text` appears (it may already have).
  bool saw(std::string_view text, std::chrono::milliseconds timeout = 10s) {
    return process_.wait_for_text(text, timeout).has_value();
  }

  // SIGTERM, then the exit code (nothing if it had to be killed).
  std::optional<int> stop() { return process_.stop(SIGTERM, 15s); }

 private:
  static std::vector<std::string> arguments(const std::string& exe, std::vector<std::string> args) {
    std::vector<std::string> all{exe, "--host", "127.0.0.1", "--port", "0"};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  child_process process_;
  int port_ = 0;
  std::string path_;
};

}  // namespace qtest::e2e
