// `httplib_receiver --demo`, run as the README tells users to run it: exit code 0, the three events dispatched with
// 200, and the typed fields the handlers saw printed.

#include <chrono>
#include <optional>
#include <string>

#include "catch.hpp"
#include "examples/child_process.hpp"
#include "examples/e2e_support.hpp"

using namespace std::chrono_literals;

TEST_CASE("httplib_receiver --demo sends the three examples, signed, and every one is dispatched with 200", "[e2e]") {
  qtest::child_process demo({QURABLE_HTTPLIB_RECEIVER_EXE, "--demo"}, {}, {qtest::e2e::secret_env});
  REQUIRE(demo.started());
  const std::optional<int> code = demo.wait_exit(30s);
  INFO(demo.output());
  REQUIRE(code);
  CHECK(*code == 0);

  CHECK(demo.count("<- 200 {\"outcome\":\"dispatched\"}") == 3);
  for (const qtest::e2e::platform_example& example : qtest::e2e::platform_examples) {
    const auto line = demo.wait_for_line(
        [&](const std::string& l) {
          return l.find(qtest::e2e::handled_line(example.type, example.key)) != std::string::npos &&
                 l.find(example.printed) != std::string::npos;
        },
        0s);
    CHECK(line);
  }
  CHECK(demo.count("name=John Doe") == 1);
  CHECK(demo.count("demo: 3/3 answered 200, 3/3 handled: ok") == 1);
}

TEST_CASE("httplib_receiver rejects unknown arguments with exit code 2", "[e2e]") {
  qtest::child_process bad({QURABLE_HTTPLIB_RECEIVER_EXE, "--no-such-flag"});
  REQUIRE(bad.started());
  const std::optional<int> code = bad.wait_exit(10s);
  INFO(bad.output());
  REQUIRE(code);
  CHECK(*code == 2);
  CHECK(bad.output().find("usage:") != std::string::npos);
}
