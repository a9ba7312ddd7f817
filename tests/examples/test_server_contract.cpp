// End-to-end test of a synchronous example server (httplib_receiver, beast_receiver, civetweb_receiver): the real
// binary (QURABLE_EXAMPLE_EXE) on an ephemeral loopback port, driven by a real HTTP client (cpp-httplib), checked by
// the HTTP answers and by the lines the server prints ("event <type> key=<key> ...", one per handled event).

#include <chrono>
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

const std::string exe = QURABLE_EXAMPLE_EXE;
const std::string name = QURABLE_EXAMPLE_NAME;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("the platform's three events are dispatched, each handled once; duplicates and unknown types are 200",
          "[e2e]") {
  INFO(name);
  e2e::example_server server(exe);
  auto client = server.client();

  int n = 0;
  for (const e2e::platform_example& example : e2e::platform_examples) {
    const std::string body = qtest::read_fixture(example.file);
    const std::string id = "msg_e2e_" + std::to_string(++n);
    const httplib::Result r = server.post_signed(*client, body, id);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(contains(r->body, R"("outcome":"dispatched")"));
    CHECK(contains(r->get_header_value("Content-Type"), "application/json"));
    const std::string line = e2e::handled_line(example.type, example.key);
    INFO(server.process().output());
    REQUIRE(server.saw(line));
    // The typed fields reached the handler.
    const auto typed = server.process().wait_for_line(
        [&](const std::string& l) { return contains(l, line) && contains(l, example.printed); }, 1s);
    CHECK(typed);
  }

  // The platform delivers at least once: the same event again is acknowledged without running the handler.
  const std::string again = qtest::read_fixture("member-created.json");
  const httplib::Result duplicate = server.post_signed(*client, again, "msg_e2e_1");
  REQUIRE(duplicate);
  CHECK(duplicate->status == 200);
  CHECK(contains(duplicate->body, R"("outcome":"duplicate")"));

  // An event type the examples do not know (the platform adds types): 2xx, so it is not retried forever.
  const httplib::Result unknown = server.post_signed(*client, qtest::read_fixture("unknown-type.json"), "msg_e2e_4");
  REQUIRE(unknown);
  CHECK(unknown->status >= 200);
  CHECK(unknown->status < 300);
  CHECK(server.saw("type=points-earned"));

  client.reset();  // closes its keep-alive connection, so the server need not wait for it
  REQUIRE(server.stop() == 0);
  INFO(server.process().output());
  CHECK(server.process().count(e2e::handled_line("member-created", "ev_01JSKZG24NMDB0RRQHF247NSCX")) == 1);
  CHECK(server.process().count(std::string(R"({"log":"request")")) == 5);
}

// One server for all the refusals (each check its own block), so that they do not pay a server start each.
TEST_CASE("refusals: bad JSON 400, bad or missing signature 401, oversize 413, not JSON 415, not POST 405", "[e2e]") {
  INFO(name);
  e2e::example_server server(exe);
  auto client = server.client();
  const std::string path = server.path();
  const std::string event = qtest::read_fixture("member-created.json");

  {  // bad JSON, correctly signed: 400 with the error code
    const std::string body = R"({"event":{"eventType":"member-created",)";
    const httplib::Result r = server.post_signed(*client, body);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(contains(r->body, R"("code":"invalid_json")"));
  }
  {  // a valid event that is not a valid member-created (its routing key is a number): 422 with the path
    const std::string body = qwt::event_builder(qwt::examples::member_created).set("/event/loyaltyEventKey", 1).body();
    const httplib::Result r = server.post_signed(*client, body);
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK(contains(r->body, "/event/loyaltyEventKey"));
  }
  {  // signed with another secret: 401, and the body does not say why
    const httplib::Result r =
        client->Post(path.c_str(), e2e::signed_headers(event, "msg_x", e2e::other_secret), event, "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(r->body == R"({"outcome":"unauthorized"})");
  }
  {  // signature of other bytes (the body was changed in transit): 401
    std::string tampered = event;
    tampered.replace(tampered.find("John"), 4, "Joan");
    const httplib::Result r =
        client->Post(path.c_str(), e2e::signed_headers(event, "msg_x"), tampered, "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  {  // no signature headers: 401
    const httplib::Result r = client->Post(path.c_str(), event, "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  {  // a timestamp ten minutes old (a replay): 401
    const httplib::Result r =
        client->Post(path.c_str(), e2e::signed_headers(event, "msg_x", e2e::secret, -600s), event, "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  {  // declared Content-Length over 1 MiB: 413, and the connection still works afterwards
    const std::string big(1024 * 1024 + 1, ' ');
    const httplib::Result r = server.post_signed(*client, big);
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(contains(r->body, "body_too_large"));
    const httplib::Result next = server.post_signed(*client, event, "msg_after_413");
    REQUIRE(next);
    CHECK(next->status == 200);
  }
  {  // a chunked body growing past 1 MiB: 413
    std::size_t sent = 0;
    const std::string chunk(64 * 1024, ' ');
    const httplib::Result r = client->Post(
        path.c_str(), e2e::signed_headers(event),
        [&](std::size_t, httplib::DataSink& sink) {
          if (sent >= 2 * 1024 * 1024) {
            sink.done();
          } else {
            sink.write(chunk.data(), chunk.size());
            sent += chunk.size();
          }
          return true;
        },
        "application/json");
    REQUIRE(r);
    CHECK(r->status == 413);
  }
  {  // text/plain: 415 with Accept
    const httplib::Result r = client->Post(path.c_str(), e2e::signed_headers(event), event, "text/plain");
    REQUIRE(r);
    CHECK(r->status == 415);
    CHECK(r->get_header_value("Accept") == "application/json");
  }
  {  // a multipart form: 415 (cpp-httplib parses multipart bodies itself; the example must still answer)
    const httplib::MultipartFormDataItems form{{"event", event, "event.json", "application/json"}};
    const httplib::Result r = client->Post(path.c_str(), e2e::signed_headers(event), form);
    REQUIRE(r);
    CHECK(r->status == 415);
  }
  {  // GET: 405 with Allow: POST
    const httplib::Result r = client->Get(path.c_str());
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(r->get_header_value("Allow") == "POST");
  }

  client.reset();  // closes its keep-alive connection, so the server need not wait for it
  REQUIRE(server.stop() == 0);
  INFO(server.process().output());
  // The handler saw none of the refused bodies: only the valid delivery sent after the 413.
  CHECK(server.process().count("event ") == 1);
}

TEST_CASE("a handler failure is answered 5xx; the platform's retry is handled, once", "[e2e]") {
  INFO(name);
  const std::string key = "ev_e2e_fails_once";
  e2e::example_server server(exe, {"--fail-once", key});
  auto client = server.client();
  const std::string body = qwt::event_builder(qwt::examples::coupon_code_used).loyalty_event_key(key).body();
  const std::string line = e2e::handled_line("coupon-code-used", key);

  const httplib::Result first = server.post_signed(*client, body, "msg_retry");
  REQUIRE(first);
  CHECK(first->status >= 500);
  CHECK(first->status < 600);
  CHECK(contains(first->body, "handler_failed"));
  CHECK(server.saw("failing coupon-code-used key=" + key));
  server.process().drain();
  CHECK(server.process().count(line) == 0);

  const httplib::Result retry = server.post_signed(*client, body, "msg_retry");
  REQUIRE(retry);
  CHECK(retry->status == 200);
  CHECK(contains(retry->body, R"("outcome":"dispatched")"));
  CHECK(server.saw(line));

  const httplib::Result duplicate = server.post_signed(*client, body, "msg_retry");
  REQUIRE(duplicate);
  CHECK(duplicate->status == 200);
  CHECK(contains(duplicate->body, R"("outcome":"duplicate")"));

  client.reset();  // closes its keep-alive connection, so the server need not wait for it
  REQUIRE(server.stop() == 0);
  INFO(server.process().output());
  CHECK(server.process().count(line) == 1);
  CHECK(server.process().count("dead-letter handler_failed") == 1);
}

TEST_CASE("secret rotation: with two secrets configured, a signature by either passes", "[e2e]") {
  INFO(name);
  e2e::example_server server(exe, {},
                             {{e2e::secret_env, std::string(e2e::other_secret) + " " + std::string(e2e::secret)}});
  auto client = server.client();
  const std::string body = qtest::read_fixture("member-created.json");
  const httplib::Result by_new = client->Post(
      server.path().c_str(), e2e::signed_headers(body, "msg_a", e2e::other_secret), body, "application/json");
  REQUIRE(by_new);
  CHECK(by_new->status == 200);
  const std::string other = qwt::event_builder(qwt::examples::member_created).loyalty_event_key("ev_e2e_b").body();
  const httplib::Result by_old = server.post_signed(*client, other, "msg_b");
  REQUIRE(by_old);
  CHECK(by_old->status == 200);
  client.reset();  // closes its keep-alive connection, so the server need not wait for it
  REQUIRE(server.stop() == 0);
}

TEST_CASE("without a secret the server refuses to start", "[e2e]") {
  INFO(name);
  qtest::child_process process({exe, "--host", "127.0.0.1", "--port", "0"}, {}, {e2e::secret_env});
  REQUIRE(process.started());
  const std::optional<int> code = process.wait_exit(10s);
  INFO(process.output());
  REQUIRE(code);
  CHECK(*code == 2);
  CHECK(contains(process.output(), e2e::secret_env));
}
