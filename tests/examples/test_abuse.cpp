// The abuse suite, against one receiver example (QURABLE_EXAMPLE_EXE, with QURABLE_EXAMPLE_ARGS): attacks a client
// without the secret can make (slow bodies, slow headers, idle connections, gzip and brotli bombs, framing errors,
// oversized bodies). Each case checks that the server defends itself (the slow connections are cut, the bombs refused
// from the header...), that a valid signed event sent during the attack is still answered 2xx (a liveness check with
// a generous bound, not a timing test), and that SIGTERM stops the server while the attack goes on.
//
// The servers run with --request-timeout-s 1 --idle-timeout-s 1 so that the deadlines show within the test's time.

#include <chrono>
#include <csignal>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "examples/abuse_support.hpp"
#include "examples/e2e_support.hpp"
#if defined(QURABLE_EXAMPLE_NEEDS_REDIS)
#include "support/redis_server.hpp"
#endif

namespace {

using namespace std::chrono_literals;
namespace e2e = qtest::e2e;
namespace abuse = qtest::abuse;

const std::string exe = QURABLE_EXAMPLE_EXE;
const std::string name = QURABLE_EXAMPLE_NAME;

std::vector<std::string> server_args() {
  std::vector<std::string> args{"--request-timeout-s", "1", "--idle-timeout-s", "1"};
  std::istringstream extra(QURABLE_EXAMPLE_ARGS);
  for (std::string a; extra >> a;) args.push_back(a);
#if defined(QURABLE_EXAMPLE_NEEDS_REDIS)  // the durable receiver answers 2xx only once Redis has the event
  // Keys of its own per server, so that an entry one case left is never handled (and counted) by the next.
  static int servers = 0;
  const std::string keys = "abuse" + std::to_string(++servers) + ":";
  args.insert(args.end(), {"--redis-socket", qtest::shared_redis_server().socket(), "--stream", keys + "stream",
                           "--dead", keys + "dead", "--key-prefix", keys + "key:"});
#endif
  return args;
}

// SIGTERM while the attack goes on: the server exits 0 within 10 s (else child_process kills it: no exit code).
void check_stops(e2e::example_server& server) {
  const auto start = std::chrono::steady_clock::now();
  const std::optional<int> code = server.process().stop(SIGTERM, 10s);
  INFO(name << ": " << server.process().output());
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

void check_slow(abuse::slow_kind kind, int connections, const char* tag) {
  INFO(name << ", " << tag);
  e2e::example_server server(exe, server_args());
  abuse::siege attack(server.port(), server.path(), kind, connections);
  std::this_thread::sleep_for(300ms);  // the attack is in place
  abuse::check_live(server.port(), server.path(), tag);
  // The server cut the attacker's connections (request deadline or idle bound), each at least once.
  CHECK(attack.wait_closed(connections, 15s));
  check_stops(server);
  attack.stop();
  INFO("connections opened by the attacker: " << attack.opened()
                                              << ", closed by the server: " << attack.closed_by_server());
  CHECK(attack.opened() >= connections);
}

}  // namespace

TEST_CASE("slow bodies: cut at the request deadline; valid events still answered; SIGTERM stops", "[abuse]") {
  check_slow(abuse::slow_kind::body, 16, "slow_body");
}

TEST_CASE("slow headers: cut at the request deadline; valid events still answered; SIGTERM stops", "[abuse]") {
  check_slow(abuse::slow_kind::headers, 16, "slow_headers");
}

TEST_CASE("idle connections: closed at the idle bound; valid events still answered; SIGTERM stops", "[abuse]") {
  check_slow(abuse::slow_kind::idle, 64, "idle");
}

TEST_CASE("gzip and brotli bombs: 415 from the header; valid events still answered; SIGTERM stops", "[abuse]") {
  INFO(name);
  e2e::example_server server(exe, server_args());
  abuse::check_bombs(server.port(), server.path());
#if defined(QURABLE_EXAMPLE_NEEDS_REDIS)  // handled after the 202, on a worker: wait for it before stopping
  CHECK(server.saw("event ", 20s));
#endif
  check_stops(server);
  CHECK(server.process().count("event ") == 1);  // only the valid event reached a handler (all output is in: exited)
}

TEST_CASE("framing errors: 400 and the connection closed; valid events still answered; SIGTERM stops", "[abuse]") {
  INFO(name);
  e2e::example_server server(exe, server_args());
  abuse::check_framing_errors(server.port(), server.path());
  check_stops(server);
}

TEST_CASE("oversized bodies: 413 from the header; valid events still answered; SIGTERM stops", "[abuse]") {
  INFO(name);
  e2e::example_server server(exe, server_args());
  abuse::check_oversized(server.port(), server.path());
  check_stops(server);
}
