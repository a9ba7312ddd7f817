// Where the views point and how long they live: the zero-copy and copying input paths, a parser reused across
// many events, views kept while handling, parsers on several threads. Meant to run under AddressSanitizer too.

#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <qurable/webhooks.hpp>

#include "catch.hpp"
#include "support/fields.hpp"
#include "support/fixtures.hpp"
#include "support/json_edit.hpp"

namespace qw = qurable::webhooks;

namespace {

bool points_into(std::string_view view, const char* begin, std::size_t size) {
  return view.data() >= begin && view.data() + view.size() <= begin + size;
}

// The payload of a coupon event as raw JSON text: it points into the input simdjson read.
std::string_view raw_text_of(const qw::parse_result& r) {
  REQUIRE(r);
  REQUIRE(r->get_if<qw::coupon_event>() != nullptr);
  return r->envelope().payload.text();
}

std::string coupon_body() { return qtest::read_fixture(qtest::coupon_code_used_file); }

// A description of `body` from a parser that has seen nothing else.
std::string fresh_description(const std::string& body) {
  qw::parser parser;
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  return qtest::describe(*r);
}

// Whether parser::parse accepts an argument of type T (false when the overload is deleted or ambiguous).
template <class T, class = void>
struct can_parse : std::false_type {};
template <class T>
struct can_parse<T, std::void_t<decltype(std::declval<qw::parser&>().parse(std::declval<T>()))>> : std::true_type {};

}  // namespace

// The event borrows the body, so a body that dies with the call must not compile; every owner of a body does.
static_assert(!can_parse<std::string>::value, "parse(std::string&&) must be deleted");
static_assert(!can_parse<simdjson::padded_string>::value, "parse(padded_string&&) must be deleted");
static_assert(can_parse<const std::string&>::value && can_parse<std::string&>::value);
static_assert(can_parse<const simdjson::padded_string&>::value && can_parse<simdjson::padded_string&>::value);
static_assert(can_parse<std::string_view>::value && can_parse<const char*>::value);
static_assert(can_parse<simdjson::padded_string_view>::value);

TEST_CASE("parse(std::string_view) copies the body; the views do not point into it", "[lifetime][padding]") {
  std::string body = coupon_body();
  qw::parser parser;
  const qw::parse_result r = parser.parse(std::string_view(body));
  const std::string_view text = raw_text_of(r);
  CHECK_FALSE(text.empty());
  CHECK_FALSE(points_into(text, body.data(), body.size()));
  const std::string before = qtest::describe(*r);
  // Overwriting the caller's bytes changes nothing the parser handed out.
  std::memset(&body[0], 'x', body.size());
  CHECK(qtest::describe(*r) == before);
  CHECK(text.front() == '{');
}

TEST_CASE("parse(const std::string&) reads in place when there is room for the padding", "[lifetime][padding]") {
  std::string body = coupon_body();
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  REQUIRE(body.capacity() - body.size() >= simdjson::SIMDJSON_PADDING);
  qw::parser parser;
  const qw::parse_result r = parser.parse(body);
  const std::string_view text = raw_text_of(r);
  CHECK(points_into(text, body.data(), body.size()));
  CHECK(body.find(text) == static_cast<std::size_t>(text.data() - body.data()));
  // raw_json::padded() hands the same bytes on, with the padding that lies in the string's spare capacity.
  const qw::raw_json& payload = r->envelope().payload;
  CHECK(payload.padded().data() == payload.text().data());
  CHECK(payload.padded().size() == payload.text().size());
  CHECK(payload.padded().capacity() >= payload.text().size() + simdjson::SIMDJSON_PADDING);
}

TEST_CASE("parse(const std::string&) copies when the string has no room for the padding", "[lifetime][padding]") {
  const std::string source = coupon_body();
  std::string body(source.data(), source.size());
  body.shrink_to_fit();
  if (body.capacity() - body.size() >= simdjson::SIMDJSON_PADDING) {
    SUCCEED("this standard library leaves spare capacity after shrink_to_fit: nothing to test");
    return;
  }
  qw::parser parser;
  const qw::parse_result r = parser.parse(body);
  const std::string_view text = raw_text_of(r);
  CHECK_FALSE(points_into(text, body.data(), body.size()));
  CHECK(qtest::describe(*r) == fresh_description(source));
}

TEST_CASE("parse(padded_string_view) reads in place, or copies when the capacity is too small", "[lifetime][padding]") {
  const std::string source = coupon_body();
  const std::size_t size = source.size();
  const std::string expected = fresh_description(source);
  qw::parser parser;

  SECTION("enough capacity: in place") {
    std::unique_ptr<char[]> buffer(new char[size + simdjson::SIMDJSON_PADDING]);
    std::memcpy(buffer.get(), source.data(), size);
    const qw::parse_result r =
        parser.parse(simdjson::padded_string_view(buffer.get(), size, size + simdjson::SIMDJSON_PADDING));
    CHECK(points_into(raw_text_of(r), buffer.get(), size));
    CHECK(qtest::describe(*r) == expected);
  }
  SECTION("a simdjson::padded_string, as a view or as itself: in place") {
    simdjson::padded_string padded(source);
    const qw::parse_result r = parser.parse(simdjson::padded_string_view(padded));
    CHECK(points_into(raw_text_of(r), padded.data(), padded.size()));
    CHECK(qtest::describe(*r) == expected);
    qw::parser other;
    const qw::parse_result direct = other.parse(padded);
    CHECK(points_into(raw_text_of(direct), padded.data(), padded.size()));
    CHECK(qtest::describe(*direct) == expected);
  }
  // A buffer of exactly `size` bytes: reading the padding in place would be a heap overflow (AddressSanitizer).
  for (std::size_t missing : {std::size_t{1}, simdjson::SIMDJSON_PADDING}) {
    INFO("capacity short of the padding by " << missing);
    const std::size_t capacity = size + simdjson::SIMDJSON_PADDING - missing;
    std::unique_ptr<char[]> buffer(new char[capacity]);
    std::memcpy(buffer.get(), source.data(), size);
    const qw::parse_result r = parser.parse(simdjson::padded_string_view(buffer.get(), size, capacity));
    CHECK_FALSE(points_into(raw_text_of(r), buffer.get(), capacity));
    CHECK(qtest::describe(*r) == expected);
  }
  SECTION("a capacity smaller than the size is not trusted") {
    std::unique_ptr<char[]> buffer(new char[size]);
    std::memcpy(buffer.get(), source.data(), size);
    const qw::parse_result r = parser.parse(buffer.get(), size, size / 2);
    CHECK_FALSE(points_into(raw_text_of(r), buffer.get(), size));
    CHECK(qtest::describe(*r) == expected);
  }
}

TEST_CASE("a reused parser gives each event its own values, with no items left from the previous one",
          "[lifetime][reuse]") {
  // Bodies chosen so that lists shrink, grow, vanish and come back between consecutive events.
  std::vector<std::string> bodies;
  qtest::json_node big = qtest::fixture_tree(qtest::member_created_file);
  qtest::json_set(big, "/event/executionResults/tiers",
                  "[{\"loyaltyTierId\":1,\"loyaltyProgramId\":1},{\"loyaltyTierId\":2,\"loyaltyProgramId\":1},"
                  "{\"loyaltyTierId\":3,\"loyaltyProgramId\":2}]");
  qtest::json_set(big, "/event/executionResults/profile/emails", "[\"a@x.io\",\"b@x.io\",\"c@x.io\",\"d@x.io\"]");
  qtest::json_set(big, "/event/payload/profile/emails", "[\"p@x.io\",\"q@x.io\"]");
  qtest::json_set(big, "/event/executionResults/organizations",
                  "[{\"active\":true,\"createdAt\":\"2025-01-01T00:00:00Z\",\"updatedAt\":\"2025-01-01T00:00:00Z\","
                  "\"loyaltyMemberId\":\"m1\",\"publicLoyaltyMemberId\":\"p1\"},{\"active\":false,\"createdAt\":"
                  "\"2025-01-02T00:00:00Z\",\"updatedAt\":\"2025-01-02T00:00:00Z\",\"loyaltyMemberId\":\"m2\","
                  "\"publicLoyaltyMemberId\":\"p2\"}]");
  bodies.push_back(qtest::json_dump(big));
  qtest::json_node small = qtest::fixture_tree(qtest::member_created_file);
  qtest::json_remove(small, "/event/executionResults/profile/emails");
  qtest::json_set(small, "/event/executionResults/tiers", "[]");
  qtest::json_set(small, "/event/executionResults/profile/govId", "null");
  bodies.push_back(qtest::json_dump(small));
  for (std::string_view file : qtest::all_fixture_files) bodies.push_back(qtest::read_fixture(file));
  bodies.push_back(R"({"event": {"eventType": "points-earned", "status": "ok", "payload": {"points": 5}}})");
  bodies.push_back("{\"event\": [}");  // a rejected body between valid ones
  qtest::json_node renamed = qtest::fixture_tree(qtest::coupon_code_assigned_file);
  qtest::reverse_json_members(renamed);
  qtest::json_set(renamed, "/event/payload/couponBook/discountAmount", "12.5");
  bodies.push_back(qtest::json_dump(renamed, true));

  std::vector<std::string> expected;
  for (const std::string& b : bodies) {
    qw::parser fresh;
    const qw::parse_result r = fresh.parse(b);
    expected.push_back(r ? qtest::describe(*r)
                         : "rejected " + std::string(qw::to_string(r.error().code)) + " " +
                               std::string(r.error().path));
  }
  CHECK(expected[1].find("profile/emails=0 items") != std::string::npos);
  CHECK(expected[1].find("executionResults/tiers=0 items") != std::string::npos);

  qw::parser parser;
  std::size_t order = 7;
  for (int round = 0; round < 300; ++round) {
    order = (order * 31 + 11) % bodies.size();  // a fixed, irregular order with repeats
    const std::string& b = bodies[order];
    const qw::parse_result r = parser.parse(b);
    const std::string got =
        r ? qtest::describe(*r)
          : "rejected " + std::string(qw::to_string(r.error().code)) + " " + std::string(r.error().path);
    INFO("round " << round << ", body " << order);
    REQUIRE(got == expected[order]);
  }
  // Big then small, directly: the small event's lists are its own.
  REQUIRE(parser.parse(bodies[0]));
  const qw::parse_result r = parser.parse(bodies[1]);
  REQUIRE(r);
  const qw::member_created& m = *r->get_if<qw::member_created>();
  CHECK(m.execution_results.tiers.empty());
  CHECK(m.execution_results.profile.emails.empty());
  CHECK_FALSE(m.execution_results.profile.gov_id.has_value());
  CHECK(m.execution_results.organizations.size() == 1);
  CHECK(m.payload.profile.emails.empty());
}

TEST_CASE("views stay valid while a handler runs and until the next parse", "[lifetime]") {
  const std::string member = qtest::read_fixture(qtest::member_created_file);
  const std::string used = qtest::read_fixture(qtest::coupon_code_used_file);
  qw::parser parser;

  // A handler may keep views (not copies) for the whole call, and use them after more work.
  std::vector<std::string_view> kept;
  std::string joined;
  const qw::outcome out = qw::receive(parser, member, qw::overloaded{[&](const qw::member_created& e) {
                                        kept.push_back(e.envelope.loyalty_event_key);
                                        for (std::string_view email : e.execution_results.profile.emails)
                                          kept.push_back(email);
                                        kept.push_back(e.execution_results.organizations[0].public_loyalty_member_id);
                                        std::vector<std::string> noise(100, std::string(64, 'n'));  // heap churn
                                        for (std::string_view v : kept) joined += std::string(v) + "|";
                                      }});
  CHECK(out.kind == qw::outcome_kind::dispatched);
  CHECK(joined == "ev_01JSKZG24NMDB0RRQHF247NSCX|test-user@email.com|11111-11111|");
  // After receive() returns, the outcome's views and the handler's views are valid until the next parse.
  CHECK(out.event_type == "member-created");
  CHECK(out.loyalty_event_key == "ev_01JSKZG24NMDB0RRQHF247NSCX");
  CHECK(kept[1] == "test-user@email.com");

  // A parse_result may be copied; the copy refers to the same event.
  const qw::parse_result first = parser.parse(member);
  const qw::parse_result copy = first;
  CHECK(&copy.value() == &first.value());
  CHECK(copy->get_if<qw::member_created>()->execution_results.ledger_wallet_id.value_or(0) == 16069);

  // The next parse replaces the event; views taken from it afterwards are correct.
  const qw::parse_result second = parser.parse(used);
  REQUIRE(second);
  CHECK(second->type() == qw::event_type::coupon_code_used);
  CHECK(second->envelope().loyalty_event_key == "ev_c11viQYM0YZHBS9X3G0VMVyfMQ");
}

TEST_CASE("two parsers' views are independent", "[lifetime]") {
  const std::string member = qtest::read_fixture(qtest::member_created_file);
  const std::string used = qtest::read_fixture(qtest::coupon_code_used_file);
  qw::parser a, b;
  const qw::parse_result ra = a.parse(member);
  REQUIRE(ra);
  const qw::member_created& m = *ra->get_if<qw::member_created>();
  const std::string before = qtest::describe(m);
  for (int i = 0; i < 50; ++i) {
    REQUIRE(b.parse(i % 2 ? used : member));
  }
  CHECK(qtest::describe(m) == before);
  CHECK(m.execution_results.profile.emails[0] == "test-user@email.com");
}

TEST_CASE("one parser per thread: parsers share nothing", "[lifetime][threads]") {
  std::vector<std::string> bodies;
  for (std::string_view file : qtest::all_fixture_files) bodies.push_back(qtest::read_fixture(file));
  std::vector<std::string> expected;
  for (const std::string& b : bodies) expected.push_back(fresh_description(b));

  constexpr int threads = 4;
  std::vector<int> mismatches(threads, -1);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      qw::parser parser;
      int bad = 0;
      for (int i = 0; i < 300; ++i) {
        const std::size_t which = static_cast<std::size_t>(i + t) % bodies.size();
        const qw::parse_result r = parser.parse(bodies[which]);
        if (!r || qtest::describe(*r) != expected[which]) ++bad;
      }
      mismatches[static_cast<std::size_t>(t)] = bad;
    });
  }
  for (std::thread& w : workers) w.join();
  for (int bad : mismatches) CHECK(bad == 0);
}
