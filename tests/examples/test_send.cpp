// qurable-send against a real example server (httplib_receiver on an ephemeral loopback port): the three examples
// delivered, a 5xx retried until it succeeds, files sent byte for byte, and giving up after the last attempt.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "examples/child_process.hpp"
#include "examples/e2e_support.hpp"

namespace {

using namespace std::chrono_literals;
namespace e2e = qtest::e2e;

const std::string server_exe = QURABLE_HTTPLIB_RECEIVER_EXE;
const std::string send_exe = QURABLE_QURABLE_SEND_EXE;

// Runs qurable-send to completion (bounded) with `args`, signing with `secret`; its exit code and output.
std::pair<std::optional<int>, std::string> run_send(std::vector<std::string> args,
                                                    std::string_view secret = e2e::secret) {
  args.insert(args.begin(), send_exe);
  qtest::child_process send(args, {{e2e::secret_env, std::string(secret)}});
  REQUIRE(send.started());
  const std::optional<int> code = send.wait_exit(60s);
  return {code, send.output()};
}

// A loopback port nobody listens on (bound, then released).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t size = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("qurable-send delivers the three examples, retrying the one the server fails once", "[e2e]") {
  // The coupon-code-used example fails on its first delivery (a simulated outage) and succeeds on the retry.
  const std::string failing = "ev_c11viQYM0YZHBS9X3G0VMVyfMQ";
  e2e::example_server server(server_exe, {"--fail-once", failing});

  const auto [code, output] = run_send({"--url", server.url(), "--initial-backoff-ms", "50"});
  INFO(output);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(contains(output, "member-created ev_01JSKZG24NMDB0RRQHF247NSCX"));
  CHECK(contains(output, "attempt 1/5 -> 500"));
  CHECK(contains(output, "retrying in 50 ms"));
  CHECK(contains(output, "attempt 2/5 -> 200 {\"outcome\":\"dispatched\"}"));
  CHECK(contains(output, "delivered 3/3"));

  REQUIRE(server.stop() == 0);
  INFO(server.process().output());
  for (const e2e::platform_example& example : e2e::platform_examples) {
    CHECK(server.process().count(e2e::handled_line(example.type, example.key)) == 1);
  }
  CHECK(server.process().count("failing coupon-code-used key=" + failing) == 1);
}

TEST_CASE("qurable-send posts the given files byte for byte; a second run is acknowledged as duplicates", "[e2e]") {
  e2e::example_server server(server_exe);
  const std::string unknown = std::string(QURABLE_FIXTURES_DIR) + "/unknown-type.json";
  const std::string member = std::string(QURABLE_FIXTURES_DIR) + "/member-created.json";

  const auto [code, output] = run_send({"--url", server.url(), unknown, member});
  INFO(output);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(contains(output, "points-earned ev_01JT3M8Q6ZK2V4X9B7N5C1D0EF"));
  CHECK(contains(output, "delivered 2/2"));

  const auto [again, second] = run_send({"--url", server.url(), member});
  INFO(second);
  REQUIRE(again);
  CHECK(*again == 0);
  CHECK(contains(second, R"(-> 200 {"outcome":"duplicate"})"));

  REQUIRE(server.stop() == 0);
  CHECK(server.process().count("event other type=points-earned") == 1);
  CHECK(server.process().count("event member-created") == 1);
}

TEST_CASE("qurable-send gives up after the last attempt and exits 1", "[e2e]") {
  SECTION("signed with a secret the endpoint does not know: 401 every time") {
    e2e::example_server server(server_exe);
    const auto [code, output] = run_send({"--url", server.url(), "--max-attempts", "2", "--initial-backoff-ms", "10",
                                          std::string(QURABLE_FIXTURES_DIR) + "/member-created.json"},
                                         e2e::other_secret);
    INFO(output);
    REQUIRE(code);
    CHECK(*code == 1);
    CHECK(contains(output, "attempt 1/2 -> 401"));
    CHECK(contains(output, "attempt 2/2 -> 401"));
    CHECK(contains(output, "giving up"));
    CHECK(contains(output, "delivered 0/1"));
    REQUIRE(server.stop() == 0);
  }
  SECTION("nobody listening: no answer") {
    const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/webhooks";
    const auto [code, output] =
        run_send({"--url", url, "--max-attempts", "3", "--initial-backoff-ms", "10", "--timeout-s", "2",
                  std::string(QURABLE_FIXTURES_DIR) + "/member-created.json"});
    INFO(output);
    REQUIRE(code);
    CHECK(*code == 1);
    CHECK(contains(output, "attempt 3/3 -> no answer"));
    CHECK(contains(output, "retrying in 20 ms"));  // the backoff doubles
  }
}

TEST_CASE("qurable-send refuses bad usage with exit code 2", "[e2e]") {
  CHECK(run_send({}).first == 2);                                              // no --url
  CHECK(run_send({"--url", "ftp://example.com/x"}).first == 2);                // not http(s)
  CHECK(run_send({"--url", "http://127.0.0.1:1/x"}, "whsec_!!!").first == 2);  // invalid secret
}
