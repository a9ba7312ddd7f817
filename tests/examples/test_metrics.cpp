// End-to-end test of an example's --metrics-port (httplib_receiver, beast_receiver): the real binary
// (QURABLE_EXAMPLE_EXE) with its webhook port and its metrics port on ephemeral loopback ports; signed events (valid,
// a duplicate, a bad signature, a malformed body) sent by a real HTTP client; /metrics scraped over HTTP; the counters'
// exact values checked on the text, which must pass the strict parser of tests/support/prometheus_text.hpp and, when
// promtool is installed (QURABLE_PROMTOOL), `promtool check metrics`. Also the JSON log line per request. About 1 s.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

#include "catch.hpp"
#include "examples/e2e_support.hpp"
#include "support/fixtures.hpp"
#include "support/prometheus_text.hpp"

namespace {

using namespace std::chrono_literals;
namespace e2e = qtest::e2e;

const std::string exe = QURABLE_EXAMPLE_EXE;
const std::string name = QURABLE_EXAMPLE_NAME;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// The port of "metrics on http://127.0.0.1:PORT/metrics", printed before "listening on".
int metrics_port(e2e::example_server& server) {
  const std::optional<std::size_t> line = server.process().wait_for_text("metrics on http://127.0.0.1:", 5s);
  REQUIRE(line);
  const std::string& text = server.process().lines()[*line];
  std::size_t at = text.find("127.0.0.1:") + std::string_view("127.0.0.1:").size();
  int port = 0;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') port = port * 10 + (text[at++] - '0');
  return port;
}

std::string scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5s);
  client.set_read_timeout(5s);
  const httplib::Result r = client.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(contains(r->get_header_value("Content-Type"), "text/plain"));
  return r->body;
}

std::string requests(std::string_view event_type, std::string_view outcome, int status) {
  return "qurable_webhooks_requests_total{event_type=\"" + std::string(event_type) + "\",outcome=\"" +
         std::string(outcome) + "\",status=\"" + std::to_string(status) + "\"}";
}

}  // namespace

TEST_CASE("--metrics-port: /metrics counts each outcome exactly; the exposition parses", "[e2e][metrics]") {
  INFO(name);
  e2e::example_server server(exe, {"--metrics-port", "0"});
  const int port = metrics_port(server);
  REQUIRE(port > 0);
  CHECK(port != server.port());

  // Before any request: the families that exist from the start, at 0.
  {
    const std::string text = scrape(port);
    INFO(text);
    qurable::test::exposition before;
    const std::optional<std::string> problem = qurable::test::parse_exposition(text, before);
    INFO(problem.value_or(""));
    REQUIRE_FALSE(problem);
    CHECK(before.value("qurable_webhooks_dead_letters_total") == 0);
    CHECK(before.value("qurable_webhooks_duplicates_total") == 0);
    CHECK(before.count("qurable_webhooks_requests_total") == 0);
  }

  auto client = server.client();
  const std::string member = qtest::read_fixture("member-created.json");
  const std::string used = qtest::read_fixture("coupon-code-used.json");
  const std::string assigned = qtest::read_fixture("coupon-code-assigned.json");
  const std::string malformed = "{\"event\": [1, 2";

  const httplib::Result first = server.post_signed(*client, member, "msg_metrics_1");
  REQUIRE(first);
  CHECK(first->status == 200);
  const httplib::Result second = server.post_signed(*client, used, "msg_metrics_2");
  REQUIRE(second);
  CHECK(second->status == 200);
  // The platform's redelivery of the first event (a new attempt, the same loyaltyEventKey).
  const httplib::Result again = server.post_signed(*client, member, "msg_metrics_3");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(contains(again->body, R"("outcome":"duplicate")"));
  const httplib::Result forged =
      client->Post(server.path().c_str(), e2e::signed_headers(assigned, "msg_metrics_4", e2e::other_secret), assigned,
                   "application/json");
  REQUIRE(forged);
  CHECK(forged->status == 401);
  const httplib::Result broken = server.post_signed(*client, malformed, "msg_metrics_5");
  REQUIRE(broken);
  CHECK(broken->status == 400);
  client.reset();

  const std::string text = scrape(port);
  INFO(text);
  qurable::test::exposition m;
  const std::optional<std::string> problem = qurable::test::parse_exposition(text, m);
  INFO(problem.value_or(""));
  REQUIRE_FALSE(problem);

  CHECK(m.types.at("qurable_webhooks_requests_total") == "counter");
  CHECK(m.value(requests("member-created", "dispatched", 200)) == 1);
  CHECK(m.value(requests("coupon-code-used", "dispatched", 200)) == 1);
  CHECK(m.value(requests("member-created", "duplicate", 200)) == 1);
  CHECK(m.value(requests("none", "unauthorized", 401)) == 1);
  CHECK(m.value(requests("none", "rejected", 400)) == 1);
  CHECK(m.count("qurable_webhooks_requests_total") == 5);  // nothing else was counted
  CHECK(m.value(R"(qurable_webhooks_rejections_total{code="unauthorized"})") == 1);
  CHECK(m.value(R"(qurable_webhooks_rejections_total{code="invalid_json"})") == 1);
  CHECK(m.value(R"(qurable_webhooks_rejections_total{code="wrong_type"})") == 0);
  CHECK(m.value("qurable_webhooks_duplicates_total") == 1);
  // The examples dead-letter authenticated refusals and failures: the malformed body, not the forged one.
  CHECK(m.value("qurable_webhooks_dead_letters_total") == 1);
  CHECK(m.value("qurable_webhooks_store_errors_total") == 0);
  // Parse time: the four requests that passed authentication were parsed (the duplicate too); handler time: two.
  CHECK(m.value("qurable_webhooks_parse_seconds_count") == 4);
  CHECK(m.value(R"(qurable_webhooks_handler_seconds_count{event_type="member-created"})") == 1);
  CHECK(m.value(R"(qurable_webhooks_handler_seconds_count{event_type="coupon-code-used"})") == 1);

#if defined(QURABLE_PROMTOOL)
  CHECK(qurable::test::promtool_check(QURABLE_PROMTOOL, text, name + ".metrics.txt") == 0);
#endif

  REQUIRE(server.stop() == 0);
  // One JSON line per request, from the same observer.
  CHECK(server.process().count(R"({"log":"request")") == 5);
  CHECK(server.process().count(
            R"("outcome":"rejected","status":400,"event_type":null,"key":null,"code":"invalid_json")") == 1);
  CHECK(server.process().count(R"("outcome":"duplicate","status":200,"event_type":"member-created")") == 1);
}

TEST_CASE("--metrics-port: a bad port is refused at startup", "[e2e][metrics]") {
  INFO(name);
  qtest::child_process process({exe, "--port", "0", "--metrics-port", "65536"},
                               {{e2e::secret_env, std::string(e2e::secret)}}, {e2e::secret_env});
  REQUIRE(process.started());
  const std::optional<int> code = process.wait_exit(10s);
  INFO(process.output());
  REQUIRE(code);
  CHECK(*code == 2);
  CHECK(contains(process.output(), "--metrics-port"));
}
