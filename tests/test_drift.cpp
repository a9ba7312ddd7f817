// Schema drift: documented fields that may be absent, sent as another JSON type, are read as absent with a drift
// record and the event is dispatched; members that cannot be absent and routing fields stay strict (422);
// parser_options::strict keeps the 422 for all; ids accept strings and numbers.

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

TEST_CASE("drift: null or another type in a member that may be absent reads as absent", "[drift]") {
  qw::parser p;
  SECTION("an optional string is a number") {
    const std::string body =
        member_with(R"("ledgerWalletKey": "wal_01JSKZE71W1MD7KWS453W9VJDH")", R"("ledgerWalletKey": 17)");
    const qw::parse_result r = p.parse(body);
    REQUIRE(r);
    CHECK_FALSE(r->get_if<qw::member_created>()->execution_results.ledger_wallet_key.has_value());
    const qw::drift_record& d = only_drift(*r);
    CHECK(d.path == "/event/executionResults/ledgerWalletKey");
    CHECK(d.expected == qw::json_kind::string);
    CHECK(d.found == "number");
    CHECK(d.value.text() == "17");
  }
  SECTION("an optional object where an array was documented, inside a nested struct") {
    const std::string body = member_with(R"("emails": [)", R"("emails": {"x": [1, 2]}, "was": [)");
    const qw::parse_result r = p.parse(body);
    REQUIRE(r);
    CHECK(r->get_if<qw::member_created>()->execution_results.profile.emails.empty());
    const qw::drift_record& d = only_drift(*r);
    CHECK(d.path == "/event/executionResults/profile/emails");
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
  SECTION("a scalar list item of another type, with its index in the path") {
    const std::string body = member_with(R"("emails": [)", R"("emails": [7, )");
    const qw::parse_result r = p.parse(body);
    REQUIRE(r);
    CHECK(r->get_if<qw::member_created>()->execution_results.profile.emails.size() == 2);
    const qw::drift_record& d = only_drift(*r);
    CHECK(d.path == "/event/executionResults/profile/emails/0");
    CHECK(d.expected == qw::json_kind::string);
    CHECK(d.found == "number");
  }
  SECTION("a drifted value must still be JSON: invalid JSON inside it is a 400") {
    const std::string body = member_with(R"("emails": [)", R"("emails": {"x": [1,,2]}, "was": [)");
    const qw::parse_result r = p.parse(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == qw::error_code::invalid_json);
  }
}

TEST_CASE("drift: a member that cannot be absent, of another JSON type, is 422 wrong_type in every mode", "[drift]") {
  struct bad_case {
    bool coupon_event;
    const char* from;
    const char* to;
    const char* path;
  };
  const bad_case cases[] = {
      {false, R"("status": "success")", R"("status": null)", "/event/status"},
      {false, R"("status": "success")", R"("status": 1)", "/event/status"},
      {false, R"("executionResults": {)", R"("executionResults": null, "was": {)", "/event/executionResults"},
      {false, R"("organizations": [)", R"("organizations": {"x": [1, 2]}, "was": [)",
       "/event/executionResults/organizations"},
      {false, R"("tiers": [)", R"("tiers": [1, )", "/event/executionResults/tiers/0"},
      {false, R"("tiers": [)", R"("tiers": ["gold", )", "/event/executionResults/tiers/0"},
      {false, R"("organizations": [)", R"("organizations": [null, )", "/event/executionResults/organizations/0"},
      {false, R"("loyaltyTierId": 1)", R"("loyaltyTierId": "gold")", "/event/executionResults/tiers/0/loyaltyTierId"},
      {true, R"("code": "PyMsNLgHR3yfMQAAc11viQ")", R"("code": 12345)", "/event/executionResults/coupon/code"},
      {true, R"("code": "PyMsNLgHR3yfMQAAc11viQ")", R"("code": null)", "/event/executionResults/coupon/code"},
      {true, R"("amountUsed": 1)", R"("amountUsed": "1")", "/event/executionResults/amountUsed"},
      {true, R"("amountUsed": 1)", R"("amountUsed": null)", "/event/executionResults/amountUsed"},
      {true, R"("coupon": {)", R"("coupon": [], "was": {)", "/event/executionResults/coupon"},
      {true, R"("usage": {)", R"("usage": 5, "was": {)", "/event/payload/usage"},
  };
  qw::parser tolerant;
  qw::parser_options options;
  options.strict = true;
  qw::parser strict(options);
  for (const bad_case& c : cases) {
    const std::string body = c.coupon_event ? used_with(c.from, c.to) : member_with(c.from, c.to);
    for (qw::parser* p : {&tolerant, &strict}) {
      INFO(c.to << (p == &strict ? " (strict)" : " (default)"));
      const qw::parse_result r = p->parse(body);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == qw::error_code::wrong_type);
      CHECK(r.error().path == c.path);
      CHECK(qw::http_status_for(r.error().code) == 422);
    }
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
  const std::string body =
      member_with(R"("ledgerWalletKey": "wal_01JSKZE71W1MD7KWS453W9VJDH")", R"("ledgerWalletKey": 1)");
  int handled = 0;
  const qw::outcome out = qw::receive(p, body, qw::overloaded{[&](const qw::member_created&) { ++handled; }});
  CHECK(out.kind == qw::outcome_kind::dispatched);
  CHECK(out.http_status == 200);
  CHECK(handled == 1);
  REQUIRE(p.drift().size() == 1);
  CHECK(p.drift()[0].path == "/event/executionResults/ledgerWalletKey");
  // A clean event clears them.
  const std::string clean = qtest::read_fixture(qtest::member_created_file);
  CHECK(p.parse(clean));
  CHECK(p.drift().empty());
}
