// End-to-end test of examples/queue_receiver (acknowledge now, process later): the real binary on an ephemeral
// loopback port, a real HTTP client. Its handlers take --handler-delay-ms, standing for slow work, which makes the
// order of things observable: the 202 comes back before the "event ..." line the worker prints.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <httplib.h>

#include <qurable/webhooks/testing/event_builder.hpp>

#include "catch.hpp"
#include "examples/e2e_support.hpp"
#include "support/fixtures.hpp"

namespace {

using namespace std::chrono_literals;
namespace e2e = qtest::e2e;
namespace qwt = qurable::webhooks::testing;

const std::string exe = QURABLE_QUEUE_RECEIVER_EXE;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("queue_receiver answers 202 at once and handles the events later, on a worker", "[e2e]") {
  e2e::example_server server(exe, {"--workers", "2", "--capacity", "8", "--handler-delay-ms", "1500"});
  auto client = server.client();

  int n = 0;
  for (const e2e::platform_example& example : e2e::platform_examples) {
    const httplib::Result r =
        server.post_signed(*client, qtest::read_fixture(example.file), "msg_q" + std::to_string(++n));
    REQUIRE(r);
    CHECK(r->status == 202);
    CHECK(contains(r->body, R"("outcome":"accepted")"));
    if (n == 1) {  // answered while the handler is still working (it takes 1.5 s)
      server.process().drain();
      CHECK(server.process().count("event ") == 0);
    }
  }
  for (const e2e::platform_example& example : e2e::platform_examples) {
    INFO(server.process().output());
    CHECK(server.saw(e2e::handled_line(example.type, example.key), 20s));
  }

  // Duplicates are still answered on the request thread: 200, the handler does not run again.
  const httplib::Result duplicate = server.post_signed(*client, qtest::read_fixture("member-created.json"), "msg_q1");
  REQUIRE(duplicate);
  CHECK(duplicate->status == 200);
  CHECK(contains(duplicate->body, R"("outcome":"duplicate")"));

  // Validation happens before the 202: what cannot be handled is refused synchronously, never queued.
  const httplib::Result bad_json = server.post_signed(*client, R"({"event":)");
  REQUIRE(bad_json);
  CHECK(bad_json->status == 400);
  const std::string event = qtest::read_fixture("coupon-code-used.json");
  const httplib::Result unsigned_ = client->Post(server.path().c_str(), event, "application/json");
  REQUIRE(unsigned_);
  CHECK(unsigned_->status == 401);
  const httplib::Result big = server.post_signed(*client, std::string(1024 * 1024 + 1, ' '));
  REQUIRE(big);
  CHECK(big->status == 413);
  const httplib::Result text = client->Post(server.path().c_str(), e2e::signed_headers(event), event, "text/plain");
  REQUIRE(text);
  CHECK(text->status == 415);

  client.reset();
  REQUIRE(server.stop() == 0);
  INFO(server.process().output());
  CHECK(server.process().count("event ") == 3);
}

TEST_CASE("queue_receiver: a full queue answers 503 with Retry-After, and takes the event once there is room",
          "[e2e]") {
  e2e::example_server server(
      exe, {"--workers", "1", "--capacity", "1", "--handler-delay-ms", "1500", "--retry-after-s", "7"});
  auto client = server.client();
  const std::string first = qtest::read_fixture("member-created.json");
  const std::string second = qtest::read_fixture("coupon-code-assigned.json");

  const httplib::Result accepted = server.post_signed(*client, first, "msg_first");
  REQUIRE(accepted);
  CHECK(accepted->status == 202);

  const httplib::Result full = server.post_signed(*client, second, "msg_second");
  REQUIRE(full);
  CHECK(full->status == 503);
  CHECK(full->get_header_value("Retry-After") == "7");
  CHECK(contains(full->body, R"("outcome":"overloaded")"));

  // The platform retries later; by then the first event is done and its slot free.
  CHECK(server.saw(e2e::handled_line("member-created", "ev_01JSKZG24NMDB0RRQHF247NSCX"), 20s));
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 202; ++attempt) {
    const httplib::Result retry = server.post_signed(*client, second, "msg_second");
    REQUIRE(retry);
    status = retry->status;
    if (status != 202) std::this_thread::sleep_for(50ms);
  }
  CHECK(status == 202);
  CHECK(server.saw(e2e::handled_line("coupon-code-assigned", "ev_01JSG9YM0YZHBS9X3G0VMVMAW6"), 20s));

  client.reset();
  REQUIRE(server.stop() == 0);
  INFO(server.process().output());
  CHECK(server.process().count("event coupon-code-assigned") == 1);
}

TEST_CASE("queue_receiver: a handler failure after the 202 goes to the dead-letter hook; a replay is handled",
          "[e2e]") {
  const std::string key = "ev_e2e_queue_fails_once";
  e2e::example_server server(exe, {"--handler-delay-ms", "0", "--fail-once", key});
  auto client = server.client();
  const std::string body = qwt::event_builder(qwt::examples::coupon_code_used).loyalty_event_key(key).body();

  const httplib::Result first = server.post_signed(*client, body, "msg_fail");
  REQUIRE(first);
  CHECK(first->status == 202);  // the platform considers it delivered
  INFO(server.process().output());
  CHECK(server.saw("failing coupon-code-used key=" + key));
  CHECK(server.saw("dead-letter handler_failed"));

  // The reservation was released, so a replay from the dead letters (or a redelivery) runs the handler again.
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 202; ++attempt) {
    const httplib::Result replay = server.post_signed(*client, body, "msg_fail");
    REQUIRE(replay);
    status = replay->status;
    if (status != 202) std::this_thread::sleep_for(50ms);  // 503 in_flight while the failed run is being finished
  }
  CHECK(status == 202);
  CHECK(server.saw(e2e::handled_line("coupon-code-used", key)));

  client.reset();
  REQUIRE(server.stop() == 0);
  CHECK(server.process().count(e2e::handled_line("coupon-code-used", key)) == 1);
}

TEST_CASE("queue_receiver: SIGTERM stops accepting and handles every accepted event before exiting", "[e2e]") {
  e2e::example_server server(exe, {"--workers", "1", "--handler-delay-ms", "700"});
  auto client = server.client();
  for (const e2e::platform_example& example : e2e::platform_examples) {
    const httplib::Result r = server.post_signed(*client, qtest::read_fixture(example.file), example.key);
    REQUIRE(r);
    CHECK(r->status == 202);
  }
  client.reset();
  REQUIRE(server.stop() == 0);  // three handlers of 0.7 s on one worker: the exit waits for them
  INFO(server.process().output());
  for (const e2e::platform_example& example : e2e::platform_examples) {
    CHECK(server.process().count(e2e::handled_line(example.type, example.key)) == 1);
  }
  const auto handled_last = server.process().wait_for_text("event coupon-code-used", 0s);
  const auto stopped = server.process().wait_for_text("stopped on signal", 0s);
  REQUIRE(handled_last);
  REQUIRE(stopped);
  CHECK(*handled_last < *stopped);
}
