// Schema drift: documented fields of another JSON type are read as absent with a drift record, and the event is
// dispatched; routing fields stay strict; parser_options::strict keeps the 422; ids accept strings and numbers.

#include <string>
#include <string_view>

#include <qurable/webhooks.hpp>

#include "catch.hpp"
#include "support/fixtures.hpp"

namespace qw = qurable::webhooks;

namespace {

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string member_with(std::string_view from, std::string_view to) {
  return replaced(qtest::read_fixture(qtest::member_created_file), from, to);
}

std::string used_with(std::string_view from, std::string_view to) {
  return replaced(qtest::read_fixture(qtest::coupon_code_used_file), from, to);
}

const qw::drift_record& only_drift(const qw::event& e) {
  REQUIRE(e.drift().size() == 1);
  return e.drift()[0];
}

}  // namespace

TEST_CASE("drift: an integer id sent as a string reads as its value, with a drift record", "[drift]") {
  const std::string body = member_with(R"("ledgerWalletId": 16069)", R"("ledgerWalletId": "16069")");
  qw::parser p;
  const qw::parse_result r = p.parse(body);
  REQUIRE(r);
  const qw::member_created* e = r->get_if<qw::member_created>();
  REQUIRE(e != nullptr);
  CHECK(e->execution_results.ledger_wallet_id == 16069);
  const qw::drift_record& d = only_drift(*r);
  CHECK(d.event_type == "member-created");
  CHECK(d.path == "/event/executionResults/ledgerWalletId");
  CHECK(d.expected == qw::json_kind::integer);
  CHECK(d.found == "string");
  CHECK(d.value.text() == R"("16069")");
  CHECK(p.drift().size() == 1);

  // Not digits: absent, still dispatched.
  const std::string odd = member_with(R"("ledgerWalletId": 16069)", R"("ledgerWalletId": "w-16069")");
  const qw::parse_result r2 = p.parse(odd);
  REQUIRE(r2);
  CHECK_FALSE(r2->get_if<qw::member_created>()->execution_results.ledger_wallet_id.has_value());
  CHECK(only_drift(*r2).value.text() == R"("w-16069")");
}

TEST_CASE("drift: null or another type where a value was documented reads as absent", "[drift]") {
  qw::parser p;
  SECTION("a required string is null") {
    const std::string body = member_with(R"("status": "success")", R"("status": null)");
    const qw::parse_result r = p.parse(body);
    REQUIRE(r);
    CHECK(r->envelope().status.empty());
    const qw::drift_record& d = only_drift(*r);
    CHECK(d.path == "/event/status");
    CHECK(d.expected == qw::json_kind::string);
    CHECK(d.found == "null");
    CHECK(d.value.text() == "null");
  }
  SECTION("an object where an array was documented, inside a nested struct") {
    const std::string body = member_with(R"("organizations": [)", R"("organizations": {"x": [1, 2]}, "was": [)");
    const qw::parse_result r = p.parse(body);
    REQUIRE(r);
    CHECK(r->get_if<qw::member_created>()->execution_results.organizations.empty());
    const qw::drift_record& d = only_drift(*r);
    CHECK(d.path == "/event/executionResults/organizations");
    CHECK(d.expected == qw::json_kind::array);
    CHECK(d.found == "object");
    CHECK(d.value.text() == R"({"x": [1, 2]})");
  }
  SECTION("an optional object of another type reads as nullopt") {
    const std::string body = member_with(R"("govId": {)", R"("govId": "94343643", "was": {)");
    const qw::parse_result r = p.parse(body);
    REQUIRE(r);
    CHECK_FALSE(r->get_if<qw::member_created>()->execution_results.profile.gov_id.has_value());
    CHECK(only_drift(*r).path == "/event/executionResults/profile/govId");
  }
  SECTION("an array item of another type, with its index in the path") {
    const std::string body = member_with(R"("tiers": [)", R"("tiers": ["gold", )");
    const qw::parse_result r = p.parse(body);
    REQUIRE(r);
    CHECK(r->get_if<qw::member_created>()->execution_results.tiers.size() == 2);
    const qw::drift_record& d = only_drift(*r);
    CHECK(d.path == "/event/executionResults/tiers/0");
    CHECK(d.expected == qw::json_kind::object);
    CHECK(d.found == "string");
  }
  SECTION("a timestamp sent as a number, and a boolean as a string, both recorded") {
    std::string body = used_with(R"("amountUsed": 1)", R"("amountUsed": "1")");
    body = replaced(body, R"("code": "PyMsNLgHR3yfMQAAc11viQ")", R"("code": 42)");
    const qw::parse_result r = p.parse(body);
    REQUIRE(r);
    REQUIRE(r->drift().size() == 2);
    CHECK(r->drift()[0].path == "/event/executionResults/coupon/code");
    CHECK(r->drift()[0].found == "number");
    CHECK(r->drift()[1].path == "/event/executionResults/amountUsed");
    CHECK(r->get_if<qw::coupon_code_used>()->execution_results.amount_used == 0);
  }
  SECTION("a drifted value must still be JSON: invalid JSON inside it is a 400") {
    const std::string body = member_with(R"("organizations": [)", R"("organizations": {"x": [1,,2]}, "was": [)");
    const qw::parse_result r = p.parse(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == qw::error_code::invalid_json);
  }
}

TEST_CASE("drift: ids documented as strings accept numbers, kept as their digits, without drift", "[drift]") {
  qw::parser p;
  std::string body = used_with(R"("loyaltyMemberId": "11111111")", R"("loyaltyMemberId": 11111111)");
  qw::parse_result r = p.parse(body);
  REQUIRE(r);
  CHECK(r->envelope().loyalty_member_id == "11111111");
  CHECK(r->drift().empty());

  body = member_with(R"("publicLoyaltyMemberId": "11111-11111")", R"("publicLoyaltyMemberId": 1111111111)");
  r = p.parse(body);
  REQUIRE(r);
  CHECK(r->get_if<qw::member_created>()->execution_results.organizations[0].public_loyalty_member_id == "1111111111");
  CHECK(r->drift().empty());
}

TEST_CASE("drift: routing fields stay strict, and parser_options::strict keeps the 422", "[drift]") {
  qw::parser p;
  const std::string key_number =
      member_with(R"("loyaltyEventKey": "ev_01JSKZG24NMDB0RRQHF247NSCX")", R"("loyaltyEventKey": 7)");
  const qw::parse_result r = p.parse(key_number);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == qw::error_code::wrong_type);
  CHECK(r.error().path == "/event/loyaltyEventKey");

  qw::parser_options options;
  options.strict = true;
  qw::parser strict(options);
  const std::string body = member_with(R"("ledgerWalletId": 16069)", R"("ledgerWalletId": "16069")");
  const qw::parse_result s = strict.parse(body);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == qw::error_code::wrong_type);
  CHECK(s.error().path == "/event/executionResults/ledgerWalletId");
  CHECK(qw::http_status_for(s.error().code) == 422);
  // The same body is dispatched by a default parser.
  CHECK(p.parse(body));
}

TEST_CASE("drift: receive() dispatches a drifted event and the records stay reachable from the parser", "[drift]") {
  qw::parser p;
  const std::string body = member_with(R"("status": "success")", R"("status": 1)");
  int handled = 0;
  const qw::outcome out = qw::receive(p, body, qw::overloaded{[&](const qw::member_created&) { ++handled; }});
  CHECK(out.kind == qw::outcome_kind::dispatched);
  CHECK(out.http_status == 200);
  CHECK(handled == 1);
  REQUIRE(p.drift().size() == 1);
  CHECK(p.drift()[0].path == "/event/status");
  // A clean event clears them.
  const std::string clean = qtest::read_fixture(qtest::member_created_file);
  CHECK(p.parse(clean));
  CHECK(p.drift().empty());
}
