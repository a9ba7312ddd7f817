// End-to-end test of examples/stream_receiver (durable delivery): the real binary on an ephemeral loopback port, a
// real HTTP client, a real redis-server (a child of this test, on a unix socket). What is checked is what the
// platform and the operator see: the answer, the "event ..." lines the workers print, and what is left in Redis.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>

#include <qurable/webhooks/testing/event_builder.hpp>

#include "catch.hpp"
#include "examples/e2e_support.hpp"
#include "support/fixtures.hpp"
#include "support/redis_server.hpp"

namespace {

using namespace std::chrono_literals;
namespace e2e = qtest::e2e;
namespace qwt = qurable::webhooks::testing;

const std::string exe = QURABLE_STREAM_RECEIVER_EXE;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// The example's flags for `redis`, with key names of their own per test (`name`), so tests never share a stream.
std::vector<std::string> redis_args(const qtest::redis_server& redis, const std::string& name,
                                    std::vector<std::string> more) {
  std::vector<std::string> args{"--redis-socket", redis.socket(), "--stream",     name + ":stream",
                                "--dead",         name + ":dead", "--key-prefix", name + ":key:"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

long long stream_length(qtest::redis_server& redis, const std::string& stream) {
  qtest::raw_client c(redis.socket());
  return c.run({"XLEN", stream}).integer;
}

// Polls until the work stream is empty (every entry acknowledged and deleted), up to `timeout`.
bool drained(qtest::redis_server& redis, const std::string& stream, std::chrono::milliseconds timeout = 10s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (stream_length(redis, stream) != 0) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

}  // namespace

TEST_CASE("stream_receiver answers 202 once the event is in Redis, and its workers handle each event once", "[e2e]") {
  qtest::redis_server& redis = qtest::shared_redis_server();
  e2e::example_server server(exe, redis_args(redis, "once", {"--workers", "2"}));
  auto client = server.client();

  int n = 0;
  for (const e2e::platform_example& example : e2e::platform_examples) {
    const httplib::Result r =
        server.post_signed(*client, qtest::read_fixture(example.file), "msg_s" + std::to_string(++n));
    REQUIRE(r);
    CHECK(r->status == 202);
    CHECK(contains(r->body, R"("outcome":"accepted")"));
  }
  INFO(server.process().output());
  for (const e2e::platform_example& example : e2e::platform_examples) {
    CHECK(server.saw(e2e::handled_line(example.type, example.key), 20s));
    CHECK(server.saw(example.printed));
  }
  CHECK(drained(redis, "once:stream"));  // acknowledged and deleted: nothing left to process

  // A redelivery (the platform retrying after a lost answer) is appended again and acknowledged as a duplicate by a
  // worker: its handler does not run twice.
  const httplib::Result again = server.post_signed(*client, qtest::read_fixture("member-created.json"), "msg_s1");
  REQUIRE(again);
  CHECK(again->status == 202);
  CHECK(drained(redis, "once:stream"));

  client.reset();
  REQUIRE(server.stop() == 0);
  CHECK(stream_length(redis, "once:dead") == 0);
  CHECK(server.process().count("event ") == 3);
  CHECK(server.process().count(e2e::handled_line("member-created", "ev_01JSKZG24NMDB0RRQHF247NSCX")) == 1);
  CHECK(server.process().count("duplicates=1") == 1);  // the worker that took the redelivery says so at exit
}

TEST_CASE("stream_receiver: what cannot be processed is refused on the request thread and never appended", "[e2e]") {
  // Receive only (no worker would take an entry away): the stream holds exactly what was answered 202.
  qtest::redis_server& redis = qtest::shared_redis_server();
  e2e::example_server server(exe, redis_args(redis, "refused", {"--workers", "0"}));
  auto client = server.client();
  const std::string event = qtest::read_fixture("coupon-code-used.json");

  const httplib::Result bad_json = server.post_signed(*client, R"({"event":)");
  REQUIRE(bad_json);
  CHECK(bad_json->status == 400);
  const httplib::Result not_an_event = server.post_signed(*client, R"({"event":{"status":"success"}})");
  REQUIRE(not_an_event);
  CHECK(not_an_event->status == 422);
  const httplib::Result unsigned_ = client->Post(server.path().c_str(), event, "application/json");
  REQUIRE(unsigned_);
  CHECK(unsigned_->status == 401);
  const httplib::Result big = server.post_signed(*client, std::string(1024 * 1024 + 1, ' '));
  REQUIRE(big);
  CHECK(big->status == 413);
  const httplib::Result text = client->Post(server.path().c_str(), e2e::signed_headers(event), event, "text/plain");
  REQUIRE(text);
  CHECK(text->status == 415);
  CHECK(stream_length(redis, "refused:stream") == 0);

  const httplib::Result accepted = server.post_signed(*client, event, "msg_refused");
  REQUIRE(accepted);
  CHECK(accepted->status == 202);
  CHECK(stream_length(redis, "refused:stream") == 1);

  client.reset();
  REQUIRE(server.stop() == 0);
  INFO(server.process().output());
  CHECK(server.process().count("event ") == 0);  // --workers 0
  // The authenticated refusals reach the dead-letter hook with their bodies (400 and 422); 401, 413 and 415 are
  // answered before the signature is checked (docs/receiving.md), so there is no trusted body to keep.
  CHECK(server.process().count("dead-letter rejected 400") == 1);
  CHECK(server.process().count("dead-letter rejected 422") == 1);
  CHECK(server.process().count("dead-letter ") == 2);
}

TEST_CASE("stream_receiver: a handler that fails is run again by a worker after the visibility timeout", "[e2e]") {
  qtest::redis_server& redis = qtest::shared_redis_server();
  const std::string key = "ev_e2e_stream_fails_once";
  e2e::example_server server(
      exe, redis_args(redis, "retry", {"--workers", "1", "--visibility-timeout-ms", "300", "--fail-once", key}));
  auto client = server.client();
  const std::string body = qwt::event_builder(qwt::examples::coupon_code_used).loyalty_event_key(key).body();

  const httplib::Result r = server.post_signed(*client, body, "msg_retry");
  REQUIRE(r);
  CHECK(r->status == 202);
  INFO(server.process().output());
  CHECK(server.saw("failing coupon-code-used key=" + key));
  CHECK(server.saw(e2e::handled_line("coupon-code-used", key), 20s));  // claimed again, and handled
  CHECK(drained(redis, "retry:stream"));

  client.reset();
  REQUIRE(server.stop() == 0);
  CHECK(server.process().count(e2e::handled_line("coupon-code-used", key)) == 1);
  CHECK(server.process().count("dead-letter") == 0);
}

TEST_CASE("stream_receiver: while Redis does not answer, deliveries get 503 with Retry-After; the retry is taken",
          "[e2e]") {
  // A server of this test's own, paused: the append times out (command timeout 1 s), nothing is acknowledged.
  qtest::redis_server redis(QURABLE_REDIS_SERVER, QURABLE_REDIS_PID_DIR);
  e2e::example_server server(exe, redis_args(redis, "down", {"--workers", "1", "--retry-after-s", "9"}));
  auto client = server.client();
  const std::string body = qtest::read_fixture("coupon-code-assigned.json");

  redis.pause();
  const httplib::Result down = server.post_signed(*client, body, "msg_down");
  redis.resume();
  REQUIRE(down);
  CHECK(down->status == 503);
  CHECK(down->get_header_value("Retry-After") == "9");
  CHECK(contains(down->body, R"("outcome":"store_unavailable")"));

  // The platform's retry, once Redis is back.
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 202; ++attempt) {
    const httplib::Result retry = server.post_signed(*client, body, "msg_down");
    REQUIRE(retry);
    status = retry->status;
    if (status != 202) std::this_thread::sleep_for(50ms);
  }
  CHECK(status == 202);
  INFO(server.process().output());
  CHECK(server.saw(e2e::handled_line("coupon-code-assigned", "ev_01JSG9YM0YZHBS9X3G0VMVMAW6"), 20s));

  client.reset();
  REQUIRE(server.stop() == 0);
  // The timed-out append may still have reached Redis: then a worker acknowledged that copy as a duplicate.
  CHECK(server.process().count(e2e::handled_line("coupon-code-assigned", "ev_01JSG9YM0YZHBS9X3G0VMVMAW6")) == 1);
}

TEST_CASE("stream_receiver: a receiver-only process and a workers-only process share the work through Redis", "[e2e]") {
  qtest::redis_server& redis = qtest::shared_redis_server();
  e2e::example_server receiver(exe, redis_args(redis, "split", {"--workers", "0"}));
  qtest::child_process workers({exe, "--no-http", "--workers", "1", "--redis-socket", redis.socket(), "--stream",
                                "split:stream", "--dead", "split:dead", "--key-prefix", "split:key:"},
                               {}, {e2e::secret_env});  // no secret: a worker never sees a request
  REQUIRE(workers.started());
  REQUIRE(workers.wait_for_text("workers running", 10s).has_value());
  auto client = receiver.client();

  for (const e2e::platform_example& example : e2e::platform_examples) {
    const httplib::Result r = receiver.post_signed(*client, qtest::read_fixture(example.file), example.key);
    REQUIRE(r);
    CHECK(r->status == 202);
  }
  INFO(workers.output());
  for (const e2e::platform_example& example : e2e::platform_examples) {
    CHECK(workers.wait_for_text(e2e::handled_line(example.type, example.key), 20s).has_value());
  }
  CHECK(drained(redis, "split:stream"));

  client.reset();
  REQUIRE(receiver.stop() == 0);
  CHECK(receiver.process().count("event ") == 0);  // --workers 0: it only receives
  REQUIRE(workers.stop() == 0);
  CHECK(workers.count("event ") == 3);
}
