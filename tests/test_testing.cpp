// The test kit: embedded examples, the event builder (set/remove through JSON Pointers), the JSON writer's escaping,
// and the header map. Every built body is checked with the SDK's own parser.
#include "catch.hpp"

#include <qurable/webhooks.hpp>
#include <qurable/webhooks/json_writer.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(QURABLE_FIXTURES_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Reads a string back with simdjson DOM: what any JSON reader would see.
std::string dom_string(const std::string& json) {
  simdjson::dom::parser parser;
  std::string_view value;
  REQUIRE(parser.parse(json).get_string().get(value) == simdjson::SUCCESS);
  return std::string(value);
}

double dom_double(const std::string& json) {
  simdjson::dom::parser parser;
  double value = 0;
  REQUIRE(parser.parse(json).get_double().get(value) == simdjson::SUCCESS);
  return value;
}

}  // namespace

TEST_CASE("the embedded examples are the fixtures, byte for byte", "[testing]") {
  CHECK(qwt::examples::member_created == read_fixture("member-created.json"));
  CHECK(qwt::examples::coupon_code_assigned == read_fixture("coupon-code-assigned.json"));
  CHECK(qwt::examples::coupon_code_used == read_fixture("coupon-code-used.json"));
  CHECK(qwt::example(qw::event_type::member_created) == qwt::examples::member_created);
  CHECK(qwt::example(qw::event_type::coupon_code_assigned) == qwt::examples::coupon_code_assigned);
  CHECK(qwt::example(qw::event_type::coupon_code_used) == qwt::examples::coupon_code_used);
  CHECK(qwt::example(qw::event_type::unknown).empty());

  qw::parser parser;
  for (const auto type :
       {qw::event_type::member_created, qw::event_type::coupon_code_assigned, qw::event_type::coupon_code_used}) {
    const qw::parse_result r = parser.parse(qwt::example(type));
    REQUIRE(r);
    CHECK(r->type() == type);
  }
}

TEST_CASE("an unedited builder writes the same event, compactly", "[testing][builder]") {
  qw::parser parser;
  for (const std::string_view example :
       {qwt::examples::member_created, qwt::examples::coupon_code_assigned, qwt::examples::coupon_code_used}) {
    const qwt::event_builder builder(example);
    CHECK(builder.ok());
    const std::string body = builder.body();
    CHECK(body.size() < example.size());
    CHECK(body.find('\n') == std::string::npos);

    const qw::parse_result original = parser.parse(example);
    REQUIRE(original);
    const std::string key(original->envelope().loyalty_event_key);
    simdjson::dom::parser dom;
    simdjson::dom::element payload;
    REQUIRE(dom.parse(original->envelope().payload.padded()).get(payload) == simdjson::SUCCESS);
    const std::string payload_minified = simdjson::minify(payload);
    const qw::parse_result rebuilt = parser.parse(body);
    REQUIRE(rebuilt);
    CHECK(rebuilt->envelope().loyalty_event_key == key);
    CHECK(rebuilt->envelope().payload.text() == payload_minified);
  }
}

TEST_CASE("set replaces values of every kind and the body parses with them", "[testing][builder]") {
  qw::parser parser;
  const std::string body = qwt::event_builder(qwt::examples::coupon_code_used)
                               .set("/event/executionResults/amountUsed", 7)
                               .set("/event/executionResults/updatedTotalUsages", std::int64_t{9007199254740993})
                               .set("/event/payload/couponBook/discountAmount", 12.5)
                               .set("/event/payload/couponBook/name", std::string("Winter sale"))
                               .set("/event/externalId", "order-1")
                               .set("/event/description", nullptr)
                               .set("/event/executionResults/revertedUsageId", "123")
                               .body();
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  const qw::coupon_code_used* e = r->get_if<qw::coupon_code_used>();
  REQUIRE(e);
  CHECK(e->execution_results.amount_used == 7);
  CHECK(e->execution_results.updated_total_usages == 9007199254740993);
  CHECK(e->payload.coupon_book.discount_amount == 12.5);
  CHECK(e->payload.coupon_book.name == "Winter sale");
  CHECK(e->envelope.external_id == std::optional<std::string_view>("order-1"));
  CHECK_FALSE(e->envelope.description);
  CHECK(e->execution_results.reverted_usage_id == std::optional<std::string_view>("123"));
}

TEST_CASE("set adds missing members, appends to arrays, and set_json inserts structures", "[testing][builder]") {
  qw::parser parser;
  qwt::event_builder builder(qwt::examples::member_created);
  builder
      .set("/event/executionResults/tiers/-", 0)  // replaced just below
      .set_json("/event/executionResults/tiers/1",
                R"({"loyaltyTierId":2,"loyaltyProgramId":1,"loyaltyManualTierId":5,"loyaltySystemTierId":null})")
      .set("/event/executionResults/profile/emails/1", "second@example.com")  // index == size appends
      .set("/event/somethingNew", true)
      .set_json("/event/tags", R"(["vip", {"a": [1, 2.5, null]}])");
  REQUIRE(builder.ok());
  const std::string body = builder.body();
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  const qw::member_created* e = r->get_if<qw::member_created>();
  REQUIRE(e);
  REQUIRE(e->execution_results.tiers.size() == 2);
  CHECK(e->execution_results.tiers[1].loyalty_tier_id == 2);
  CHECK(e->execution_results.tiers[1].loyalty_manual_tier_id == std::optional<std::int64_t>(5));
  REQUIRE(e->execution_results.profile.emails.size() == 2);
  CHECK(e->execution_results.profile.emails[1] == "second@example.com");
  CHECK(e->envelope.tags.text() == R"(["vip",{"a":[1,2.5,null]}])");
  CHECK(body.find(R"("somethingNew":true)") != std::string::npos);
}

TEST_CASE("remove deletes members and array items", "[testing][builder]") {
  qw::parser parser;
  const std::string body = qwt::event_builder(qwt::examples::member_created)
                               .remove("/event/executionResults/profile/email")
                               .remove("/event/executionResults/profile/emails/0")
                               .remove("/event/externalId")
                               .body();
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  const qw::member_created* e = r->get_if<qw::member_created>();
  REQUIRE(e);
  CHECK_FALSE(e->execution_results.profile.email);
  CHECK(e->execution_results.profile.emails.empty());
  CHECK_FALSE(e->envelope.external_id);

  // Removing a required field makes a body the parser rejects, with the path.
  const std::string without_key =
      qwt::event_builder(qwt::examples::member_created).remove("/event/systemUniqueKey").body();
  const qw::parse_result missing = parser.parse(without_key);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == qw::error_code::missing_field);
}

TEST_CASE("eventType and loyaltyEventKey shortcuts", "[testing][builder]") {
  qw::parser parser;
  const std::string body = qwt::event_builder(qwt::examples::coupon_code_assigned)
                               .event_type("coupon-code-used")
                               .loyalty_event_key("ev_x")
                               .body();
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  CHECK(r->type() == qw::event_type::coupon_code_used);
  CHECK(r->envelope().loyalty_event_key == "ev_x");

  const std::string unknown_body = qwt::event_builder().event_type("tier-upgraded").body();
  const qw::parse_result unknown = parser.parse(unknown_body);
  REQUIRE(unknown);
  CHECK(unknown->type() == qw::event_type::unknown);
  CHECK(unknown->envelope().event_type == "tier-upgraded");
}

TEST_CASE("strings round-trip through escaping: quotes, backslashes, control characters, UTF-8", "[testing][json]") {
  std::string every_ascii;
  for (int c = 1; c < 128; ++c) every_ascii += static_cast<char>(c);
  const std::string samples[] = {
      "",
      "plain",
      "quote \" backslash \\ slash /",
      "\b\f\n\r\t",
      std::string("nul \0 inside", 12),
      every_ascii,
      "Zo\xC3\xAB \xE2\x82\xAC \xF0\x9F\x8E\x89",  // Zoë € 🎉
  };
  qw::parser parser;
  for (const std::string& s : samples) {
    std::string json;
    qw::write_json_string(json, s);
    for (const char c : json) CHECK(static_cast<unsigned char>(c) >= 0x20);  // no raw control character left
    CHECK(dom_string(json) == s);

    // Through the builder and the SDK's own parser too.
    const std::string body =
        qwt::event_builder(qwt::examples::member_created).set("/event/executionResults/profile/name", s).body();
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    CHECK(r->get_if<qw::member_created>()->execution_results.profile.name == std::optional<std::string_view>(s));
  }
  std::string json;
  qw::write_json_string(json, "a\"b\\c\x01");
  CHECK(json == R"("a\"b\\c\u0001")");
}

TEST_CASE("bytes that are not UTF-8 are written as given, so invalid bodies can be built on purpose",
          "[testing][json]") {
  qw::parser parser;
  const std::string body =
      qwt::event_builder(qwt::examples::member_created).set("/event/status", std::string("bad \xFF byte")).body();
  const qw::parse_result r = parser.parse(body);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == qw::error_code::invalid_utf8);
}

TEST_CASE("numbers are written so that they read back exactly", "[testing][json]") {
  for (const double d :
       {0.0, -0.0, 0.1, -2.5, 20.0, 1e300, 5e-324, 123456789.123456789, std::numeric_limits<double>::max()}) {
    std::string json;
    qw::write_json_double(json, d);
    CHECK(dom_double(json) == d);
  }
  std::string json;
  qw::write_json_double(json, std::nan(""));
  CHECK(json == "null");
  json.clear();
  qw::write_json_integer(json, std::numeric_limits<std::int64_t>::min());
  CHECK(json == "-9223372036854775808");
  json.clear();
  qw::write_json_integer(json, std::numeric_limits<std::uint64_t>::max());
  CHECK(json == "18446744073709551615");

  // Large unsigned values survive a round trip through the builder.
  const std::string body =
      qwt::event_builder(R"({"n":18446744073709551615,"d":1.5e-7,"i":-3})").set("/m", std::uint64_t{1} << 63).body();
  CHECK(body == R"({"n":18446744073709551615,"d":1.5e-07,"i":-3,"m":9223372036854775808})");
}

TEST_CASE("JSON Pointer escapes and the root", "[testing][builder]") {
  CHECK(qwt::event_builder("{}").set("/a~1b", 1).set("/m~0n", 2).set("/", 3).body() == R"({"a/b":1,"m~n":2,"":3})");
  CHECK(qwt::event_builder("{}").set("", "whole").body() == R"("whole")");
  CHECK(qwt::event_builder(R"({"a/b":{"c":1}})").remove("/a~1b/c").body() == R"({"a/b":{}})");
  CHECK(qwt::event_builder(R"({"a":[1,2,3]})").remove("/a/1").set("/a/0", "x").body() == R"({"a":["x",3]})");
}

TEST_CASE("failed edits are reported, the first one kept", "[testing][builder]") {
  const auto error_of = [](qwt::event_builder b) { return b.ok() ? std::string() : b.error(); };
  CHECK(error_of(qwt::event_builder().set("event/status", "x")) == "set event/status: not a JSON Pointer");
  CHECK(error_of(qwt::event_builder().set("/event/nope/x", 1)) == "set /event/nope/x: no parent value");
  CHECK(error_of(qwt::event_builder().set("/event/status/x", 1)) ==
        "set /event/status/x: the parent is neither an object nor an array");
  CHECK(error_of(qwt::event_builder().set("/event/executionResults/tiers/5", 1)) ==
        "set /event/executionResults/tiers/5: no such array index");
  CHECK(error_of(qwt::event_builder().set("/event/executionResults/tiers/01", 1)) ==
        "set /event/executionResults/tiers/01: no such array index");
  CHECK(error_of(qwt::event_builder().set("/a~2", 1)) == "set /a~2: not a JSON Pointer");
  CHECK(error_of(qwt::event_builder().remove("/event/nothing")) == "remove /event/nothing: no such member");
  CHECK(error_of(qwt::event_builder().remove("/event/executionResults/tiers/1")) ==
        "remove /event/executionResults/tiers/1: no such array index");
  CHECK(error_of(qwt::event_builder().remove("")) == "remove : cannot remove the whole document");
  CHECK(error_of(qwt::event_builder().set_json("/event/tags", "[1,")).rfind("set_json: the value is not JSON: ", 0) ==
        0);
  CHECK(error_of(qwt::event_builder("{oops")).rfind("the starting document is not JSON: ", 0) == 0);

  qwt::event_builder b;
  b.remove("/first/missing").remove("/second/missing").set("/event/status", "kept");
  CHECK(b.error() == "remove /first/missing: no parent value");
  CHECK(b.body().find(R"("status":"kept")") != std::string::npos);  // later edits still apply
}

TEST_CASE("headers match names case-insensitively; set replaces, remove deletes", "[testing][headers]") {
  qwt::headers h = qwt::json_headers();
  CHECK(h("content-type") == std::optional<std::string_view>("application/json"));
  CHECK(h("CONTENT-TYPE") == std::optional<std::string_view>("application/json"));
  CHECK_FALSE(h("content-length"));
  h.set("content-TYPE", "text/plain").set("X-One", "1");
  CHECK(h("Content-Type") == std::optional<std::string_view>("text/plain"));
  CHECK(h("x-one") == std::optional<std::string_view>("1"));
  h.remove("CONTENT-type");
  CHECK_FALSE(h("content-type"));
  CHECK(h("x-one"));
}

TEST_CASE("headers iterate as (name, value) in the order first set", "[testing][headers]") {
  qwt::headers h = qwt::json_headers();
  h.set("X-One", "1").set("x-two", "2").set("CONTENT-TYPE", "text/plain");  // replaces in place, keeps its name
  std::vector<std::pair<std::string, std::string>> seen(h.begin(), h.end());
  REQUIRE(h.size() == 3);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == std::make_pair(std::string("Content-Type"), std::string("text/plain")));
  CHECK(seen[1] == std::make_pair(std::string("X-One"), std::string("1")));
  CHECK(seen[2] == std::make_pair(std::string("x-two"), std::string("2")));
  h.remove("x-one");
  std::string names;
  for (const auto& [name, value] : h) names += name + "=" + value + ";";
  CHECK(names == "Content-Type=text/plain;x-two=2;");
  const qwt::headers none;
  CHECK(none.begin() == none.end());
  CHECK(none.empty());
}
