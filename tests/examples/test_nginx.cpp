// examples/nginx end to end: Debian's nginx, started from the production template (examples/nginx/nginx.conf.template)
// rendered into the build tree (its own pid, logs and temporary files, listening on 127.0.0.1), in front of the real
// httplib_receiver. Signed events go through it and must still verify (the body reaches the receiver byte for
// byte); then the abuse suite's attacks go at nginx, and the receiver behind it must stay live and unaware of them.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include <httplib.h>

#include "catch.hpp"
#include "examples/abuse_support.hpp"
#include "examples/child_process.hpp"
#include "examples/e2e_support.hpp"
#include "examples/raw_http.hpp"
#include "support/fixtures.hpp"

namespace {

using namespace std::chrono_literals;
namespace e2e = qtest::e2e;
namespace abuse = qtest::abuse;

const std::string receiver_exe = QURABLE_HTTPLIB_RECEIVER_EXE;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A loopback port nobody listens on right now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t size = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// nginx from the template, in front of `receiver_port`; stopped (SIGTERM: fast shutdown of master and workers) when
// the test ends, whatever happened.
class nginx_in_front {
 public:
  explicit nginx_in_front(int receiver_port) : port_(free_port()) {
    static int instance = 0;
    // One directory per nginx of this run, emptied first (the last run's logs stay until the next run).
    runtime_ = std::string(QURABLE_NGINX_RUNTIME_DIR) + "/" + std::to_string(++instance);
    std::error_code ignored;
    std::filesystem::remove_all(runtime_, ignored);
    REQUIRE(std::filesystem::create_directories(runtime_));
    std::ifstream in(QURABLE_NGINX_TEMPLATE);
    REQUIRE(in);
    std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    config = replace_all(config, "${QW_LISTEN}", "127.0.0.1:" + std::to_string(port_));
    config = replace_all(config, "${QW_RECEIVER}", "127.0.0.1:" + std::to_string(receiver_port));
    config = replace_all(config, "${QW_RUNTIME}", runtime_);
    std::istringstream lines(config);
    for (std::string line; std::getline(lines, line);) {  // every placeholder outside comments is filled
      if (line.find('#') != std::string::npos) line.erase(line.find('#'));
      INFO(line);
      REQUIRE(!contains(line, "${"));
    }
    std::ofstream(runtime_ + "/nginx.conf") << config;
    // As root (CI), workers would run as `nobody`, which may not reach the build tree: keep them as the test's user.
    const std::string globals = ::geteuid() == 0 ? "daemon off; user root;" : "daemon off;";
    process_.emplace(std::vector<std::string>{QURABLE_NGINX_EXE, "-p", runtime_, "-c", runtime_ + "/nginx.conf", "-e",
                                              runtime_ + "/error.log", "-g", globals});
    REQUIRE(process_->started());
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!accepting() && std::chrono::steady_clock::now() < until && process_->running()) {
      std::this_thread::sleep_for(20ms);
      process_->drain();
    }
    INFO(process_->output() << error_log());
    REQUIRE(accepting());
  }
  nginx_in_front(const nginx_in_front&) = delete;
  nginx_in_front& operator=(const nginx_in_front&) = delete;
  ~nginx_in_front() {
    if (process_) process_->stop(SIGTERM, 10s);
  }

  int port() const { return port_; }
  std::string error_log() const {
    std::ifstream in(runtime_ + "/error.log");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  bool accepting() const {
    qtest::raw::connection c(port_);
    return c.ok();
  }

  int port_;
  std::string runtime_;
  std::optional<qtest::child_process> process_;
};

std::vector<std::string> receiver_args() { return {"--request-timeout-s", "1", "--idle-timeout-s", "1"}; }

// The receiver's JSON request lines ({"log":"request",...}): what reached it through nginx. Call it once the receiver
// has exited (its output is then complete: a pipe gets it in batches).
std::size_t requests_seen(e2e::example_server& receiver) {
  receiver.process().drain();
  return receiver.process().count(R"({"log":"request")");
}

void check_receiver_stops(e2e::example_server& receiver) {
  const std::optional<int> code = receiver.process().stop(SIGTERM, 10s);
  INFO(receiver.process().output());
  REQUIRE(code);
  CHECK(*code == 0);
}

}  // namespace

TEST_CASE("signed events through nginx verify and are handled; the body arrives byte for byte", "[e2e][nginx]") {
  e2e::example_server receiver(receiver_exe, receiver_args());
  nginx_in_front nginx(receiver.port());
  httplib::Client client("127.0.0.1", nginx.port());
  client.set_read_timeout(15s);

  int n = 0;
  for (const e2e::platform_example& example : e2e::platform_examples) {
    const std::string body = qtest::read_fixture(example.file);
    const std::string id = "msg_nginx_" + std::to_string(++n);
    const httplib::Result r =
        client.Post(receiver.path().c_str(), e2e::signed_headers(body, id), body, "application/json");
    REQUIRE(r);
    INFO(r->body << nginx.error_log());
    CHECK(r->status == 200);
    CHECK(contains(r->body, R"("outcome":"dispatched")"));
    CHECK(receiver.saw(e2e::handled_line(example.type, example.key)));
  }
  {  // the same delivery again: the receiver's idempotency answers through nginx
    const std::string body = qtest::read_fixture("member-created.json");
    const httplib::Result r =
        client.Post(receiver.path().c_str(), e2e::signed_headers(body, "msg_nginx_1"), body, "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(contains(r->body, R"("outcome":"duplicate")"));
  }
  {  // a body changed on the way: 401 from the receiver (nginx passes what it gets)
    std::string body = qtest::read_fixture("member-created.json");
    const httplib::Headers headers = e2e::signed_headers(body, "msg_nginx_x");
    body.replace(body.find("John"), 4, "Joan");
    const httplib::Result r = client.Post(receiver.path().c_str(), headers, body, "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  {  // chunked from the client: nginx buffers it and sends it on with a Content-Length; still verifies
    const std::string body = qtest::read_fixture("coupon-code-used.json");
    std::size_t sent = 0;
    const httplib::Result r = client.Post(
        receiver.path().c_str(), e2e::signed_headers(body, "msg_nginx_chunked"),
        [&](std::size_t, httplib::DataSink& sink) {
          const std::size_t part = std::min<std::size_t>(100, body.size() - sent);
          if (part == 0) {
            sink.done();
          } else {
            sink.write(body.data() + sent, part);
            sent += part;
          }
          return true;
        },
        "application/json");
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == 200);  // verified; the event itself was delivered above, so it is answered as a duplicate
  }
  check_receiver_stops(receiver);
  CHECK(requests_seen(receiver) == 6);
}

TEST_CASE("through nginx: slow bodies and headers and idle connections never reach the receiver", "[abuse][nginx]") {
  e2e::example_server receiver(receiver_exe, receiver_args());
  nginx_in_front nginx(receiver.port());
  {
    abuse::siege bodies(nginx.port(), receiver.path(), abuse::slow_kind::body, 16);
    abuse::siege headers(nginx.port(), receiver.path(), abuse::slow_kind::headers, 16);
    abuse::siege idle(nginx.port(), receiver.path(), abuse::slow_kind::idle, 64);
    std::this_thread::sleep_for(500ms);
    abuse::check_live(nginx.port(), receiver.path(), "nginx_slow");
    std::this_thread::sleep_for(1500ms);  // longer than the receiver's own deadlines: they never started there
    CHECK(bodies.opened() == 16);         // nginx held them all, cheaply, without cutting them yet
    check_receiver_stops(receiver);       // SIGTERM while the attack goes on
    CHECK(requests_seen(receiver) == 1);  // only the valid event reached it
  }
}

TEST_CASE("through nginx: bombs 415, framing errors 400/501, oversized 413; the receiver stays live",
          "[abuse][nginx]") {
  e2e::example_server receiver(receiver_exe, receiver_args());
  nginx_in_front nginx(receiver.port());
  // nginx answers the bombs itself and then discards their raw bytes without decoding them, keeping the connection.
  abuse::check_bombs(nginx.port(), receiver.path(), /*expect_close=*/false);
  abuse::check_framing_errors(nginx.port(), receiver.path());
  abuse::check_oversized(nginx.port(), receiver.path());
  INFO(nginx.error_log());
  check_receiver_stops(receiver);
  CHECK(requests_seen(receiver) == 3);  // the three liveness events, nothing else
}
