// What does not depend on one event type: member order, unknown members, unknown event types, the envelope's own
// rules, escapes and UTF-8 in strings.

#include <string>
#include <string_view>
#include <vector>

#include <qurable/webhooks.hpp>

#include "catch.hpp"
#include "support/fields.hpp"
#include "support/fixtures.hpp"
#include "support/json_edit.hpp"

namespace qw = qurable::webhooks;

namespace {

// Every decoded value of `body`, or the test fails with the reason it was rejected.
std::string decoded(const std::string& body) {
  qw::parser parser;
  const qw::parse_result r = parser.parse(body);
  INFO(body);
  if (!r) FAIL("rejected: " << qw::to_string(r.error().code) << " at " << r.error().path << ": " << r.error().message);
  return qtest::describe(*r);
}

constexpr std::string_view unknown_value = R"({"x": [1, {"y": "z", "eventType": "coupon-code-used"}], "n": null})";

}  // namespace

TEST_CASE("the order of members does not change the decoded event", "[envelope][order]") {
  for (std::string_view file : qtest::all_fixture_files) {
    INFO(file);
    const std::string original = decoded(qtest::read_fixture(file));
    CHECK(original.find("eventType=") != std::string::npos);

    {
      INFO("eventType last");
      qtest::json_node tree = qtest::fixture_tree(file);
      qtest::json_move(tree, "/event/eventType", false);
      CHECK(qtest::json_at(tree, "/event").members.back().key == "eventType");
      CHECK(decoded(qtest::json_dump(tree)) == original);
    }
    {
      INFO("executionResults and payload before everything");
      qtest::json_node tree = qtest::fixture_tree(file);
      qtest::json_move(tree, "/event/executionResults", true);
      qtest::json_move(tree, "/event/payload", true);
      CHECK(qtest::json_at(tree, "/event").members.front().key == "payload");
      CHECK(decoded(qtest::json_dump(tree, true)) == original);
    }
    {
      INFO("every object's members in reverse order");
      qtest::json_node tree = qtest::fixture_tree(file);
      qtest::reverse_json_members(tree);
      CHECK(qtest::json_at(tree, "/event").members.front().key == "evaluationResults");
      qtest::json_node unreversed = qtest::fixture_tree(file);
      CHECK(qtest::json_at(tree, "/event").members.back().key ==
            qtest::json_at(unreversed, "/event").members.front().key);
      CHECK(decoded(qtest::json_dump(tree)) == original);
    }
    {
      INFO("each member moved to the front of its object, one at a time");
      std::vector<std::string> members;
      qtest::json_node walked = qtest::fixture_tree(file);
      qtest::for_each_json_node(walked, [&](const std::string& pointer, qtest::json_node&) {
        // Members of objects only: array items have a numeric last segment.
        const std::string last = pointer.substr(pointer.rfind('/') + 1);
        if (!pointer.empty() && last.find_first_not_of("0123456789") != std::string::npos) members.push_back(pointer);
      });
      CHECK(members.size() > 30);
      for (const std::string& pointer : members) {
        INFO(pointer << " first");
        qtest::json_node tree = qtest::fixture_tree(file);
        qtest::json_move(tree, pointer, true);
        CHECK(decoded(qtest::json_dump(tree)) == original);
      }
    }
    {
      INFO("the root's other members around \"event\"");
      qtest::json_node tree = qtest::fixture_tree(file);
      qtest::json_set(tree, "/webhookId", "\"wh_1\"");
      qtest::json_set(tree, "/attempt", "3");
      qtest::json_move(tree, "/webhookId", true);
      CHECK(tree.members.front().key == "webhookId");
      CHECK(decoded(qtest::json_dump(tree)) == original);
    }
  }
}

TEST_CASE("unknown members are ignored at every level", "[envelope][unknown]") {
  for (std::string_view file : qtest::all_fixture_files) {
    INFO(file);
    const std::string original = decoded(qtest::read_fixture(file));
    std::vector<std::string> objects;
    qtest::json_node walked = qtest::fixture_tree(file);
    qtest::for_each_json_node(walked, [&](const std::string& pointer, qtest::json_node& node) {
      if (node.type == qtest::json_node::kind::object) objects.push_back(pointer);
    });
    CHECK(objects.size() >= 8);

    {
      INFO("one object at a time, first and last");
      for (const std::string& pointer : objects) {
        INFO("unknown members in " << (pointer.empty() ? "the root" : pointer));
        qtest::json_node tree = qtest::fixture_tree(file);
        qtest::json_set(tree, pointer + "/zzUnknownLast", unknown_value);
        qtest::json_set(tree, pointer + "/aaUnknownFirst", "[[], {}, \"s\", 1.5, -2, true, false, null]");
        qtest::json_move(tree, pointer + "/aaUnknownFirst", true);
        CHECK(decoded(qtest::json_dump(tree)) == original);
      }
    }
    {
      INFO("in every object at once, with names close to documented ones");
      qtest::json_node tree = qtest::fixture_tree(file);
      for (const std::string& pointer : objects) {
        qtest::json_node& node = qtest::json_at(tree, pointer);
        std::vector<std::string> keys;
        for (auto& m : node.members) keys.push_back(m.key);
        for (const std::string& key : keys) {
          // A longer name, a shorter one, another case: none of them is the documented member.
          std::string upper = key;
          upper[0] = static_cast<char>(upper[0] - ('a' <= upper[0] && upper[0] <= 'z' ? 32 : 0));
          const std::pair<std::string, std::string_view> near_names[] = {
              {key + "X", "{\"deep\": [1, 2, 3]}"},
              {key.substr(0, key.size() - 1), "\"truncated name\""},
              {upper, "null"}};
          for (const auto& [name, value] : near_names) {
            // Only names that are not documented themselves ("emails" without its "s" is "email").
            if (!name.empty() && !qtest::json_contains(tree, pointer + "/" + name))
              qtest::json_set(tree, pointer + "/" + name, value);
          }
        }
      }
      CHECK(decoded(qtest::json_dump(tree, true)) == original);
    }
  }
}

TEST_CASE("an unknown event type keeps its envelope and its sections as raw JSON", "[envelope][unknown-type]") {
  qw::parser parser;
  SECTION("only eventType is required") {
    const std::string body = R"({"event": {"eventType": "member-updated"}})";
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    CHECK(r->type() == qw::event_type::unknown);
    CHECK(qw::to_string(r->type()) == "unknown");
    CHECK(r->get_if<qw::member_created>() == nullptr);
    CHECK(r->get_if<qw::coupon_event>() == nullptr);
    CHECK(r->get_if<qw::coupon_code_assigned>() == nullptr);
    CHECK(r->get_if<qw::coupon_code_used>() == nullptr);
    const qw::event_envelope& e = r->envelope();
    CHECK(e.event_type == "member-updated");
    CHECK(e.status.empty());
    CHECK(e.loyalty_event_key.empty());
    CHECK(e.system_unique_key.empty());
    CHECK(e.created_at.raw().empty());
    CHECK_FALSE(e.created_at.value().has_value());
    CHECK_FALSE(e.loyalty_event_id);
    CHECK_FALSE(e.evaluation_status);
    CHECK(e.execution_results.is_absent());
    CHECK(e.payload.is_absent());
    CHECK(e.tags.is_absent());
  }
  SECTION("a known event renamed: its envelope is decoded, its sections kept as text") {
    for (std::string_view file : qtest::all_fixture_files) {
      INFO(file);
      qtest::json_node tree = qtest::fixture_tree(file);
      qtest::json_set(tree, "/event/eventType", "\"tier-changed\"");
      const std::string body = qtest::json_dump(tree, true);
      const qw::parse_result r = parser.parse(body);
      REQUIRE(r);
      CHECK(r->type() == qw::event_type::unknown);
      const qw::event_envelope& e = r->envelope();
      CHECK(e.event_type == "tier-changed");
      CHECK(e.status == "success");
      CHECK(e.loyalty_event_key.substr(0, 3) == "ev_");
      CHECK(e.created_at.value().has_value());
      CHECK(qtest::json_dump(qtest::parse_json(e.execution_results.text())) ==
            qtest::json_dump(qtest::json_at(tree, "/event/executionResults")));
      CHECK(qtest::json_dump(qtest::parse_json(e.payload.text())) ==
            qtest::json_dump(qtest::json_at(tree, "/event/payload")));
    }
  }
  SECTION("an unknown type does not need the known types' required fields, nor their shapes") {
    qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
    qtest::json_set(tree, "/event/eventType", "\"member-deleted\"");
    for (std::string_view member : {"/event/status", "/event/loyaltyEventKey", "/event/createdAt", "/event/updatedAt",
                                    "/event/systemUniqueKey", "/event/payload"}) {
      qtest::json_remove(tree, member);
    }
    qtest::json_set(tree, "/event/executionResults", "[\"not\",\"a\",\"member\"]");
    const std::string body = qtest::json_dump(tree);
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    CHECK(r->envelope().execution_results.text() == "[\"not\",\"a\",\"member\"]");
    CHECK(r->envelope().loyalty_event_id.value_or("") == "1262268");
  }
  SECTION("the documented envelope members keep their types for an unknown type too") {
    const std::string body = R"({"event": {"eventType": "x", "createdAt": 5}})";
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);  // drift: read as absent, recorded
    CHECK(r->envelope().created_at.raw().empty());
    REQUIRE(r->drift().size() == 1);
    CHECK(r->drift()[0].path == "/event/createdAt");
    CHECK(r->drift()[0].expected == qw::json_kind::timestamp);
    CHECK(r->drift()[0].found == "number");
    qw::parser_options options;
    options.strict = true;
    qw::parser strict(options);
    const qw::parse_result s = strict.parse(body);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == qw::error_code::wrong_type);
    CHECK(s.error().path == "/event/createdAt");
  }
  SECTION("event type names are exact") {
    for (std::string_view name :
         {"Member-Created", "member-created ", "member_created", "coupon-code", "", "unknown"}) {
      const std::string body = R"({"event": {"eventType": ")" + std::string(name) + R"("}})";
      const qw::parse_result r = parser.parse(body);
      INFO(body);
      REQUIRE(r);
      CHECK(r->type() == qw::event_type::unknown);
      CHECK(r->envelope().event_type == name);
    }
  }
  SECTION("an escaped eventType is compared after unescaping") {
    const std::string body = qtest::replace_first(qtest::read_fixture(qtest::coupon_code_used_file),
                                                  "\"coupon-code-used\"", "\"coupon\\u002dcode-used\"");
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    CHECK(r->type() == qw::event_type::coupon_code_used);
    CHECK(r->envelope().event_type == "coupon-code-used");
  }
}

TEST_CASE("event_type names round-trip", "[envelope]") {
  for (qw::event_type t :
       {qw::event_type::member_created, qw::event_type::coupon_code_assigned, qw::event_type::coupon_code_used}) {
    CHECK(qw::to_event_type(qw::to_string(t)) == t);
  }
  CHECK(qw::to_string(qw::event_type::member_created) == qw::member_created::type_name);
  CHECK(qw::to_string(qw::event_type::coupon_code_assigned) == qw::coupon_code_assigned::type_name);
  CHECK(qw::to_string(qw::event_type::coupon_code_used) == qw::coupon_code_used::type_name);
  CHECK(qw::to_event_type("member-updated") == qw::event_type::unknown);
  static_assert(qw::to_event_type("coupon-code-used") == qw::event_type::coupon_code_used);
}

TEST_CASE("escapes and UTF-8 in strings are decoded", "[envelope][strings]") {
  qw::parser parser;
  struct sample {
    std::string_view json;     // as sent, inside the quotes
    std::string_view decoded;  // what the view holds
  };
  const sample samples[] = {
      {R"(say \"hi\")", "say \"hi\""},
      {R"(back\\slash)", "back\\slash"},
      {R"(Jos\u00e9)", "Jos\xC3\xA9"},
      {R"(smile \ud83d\ude00!)", "smile \xF0\x9F\x98\x80!"},
      {R"(\u65e5\u672c)", "\xE6\x97\xA5\xE6\x9C\xAC"},
      {R"(a\/b\tc\nd\re\bf\fg)", "a/b\tc\nd\re\bf\fg"},
      {"Zo\xC3\xAB \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80",
       "Zo\xC3\xAB \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80"},
      {R"(\u0000nul inside)", std::string_view("\0nul inside", 11)},
      {"", ""},
  };
  for (const sample& s : samples) {
    INFO(s.json);
    const std::string quoted = "\"" + std::string(s.json) + "\"";
    qtest::json_node member = qtest::fixture_tree(qtest::member_created_file);
    qtest::json_set(member, "/event/executionResults/profile/name", quoted);
    qtest::json_set(member, "/event/executionResults/profile/emails", "[\"first\", " + quoted + "]");
    qtest::json_set(member, "/event/executionResults/organizations/0/publicLoyaltyMemberId", quoted);
    qtest::json_set(member, "/event/status", quoted);
    const std::string member_body = qtest::json_dump(member);
    const qw::parse_result r = parser.parse(member_body);
    REQUIRE(r);
    const qw::member_created& m = *r->get_if<qw::member_created>();
    CHECK(m.execution_results.profile.name.value_or("?") == s.decoded);
    REQUIRE(m.execution_results.profile.emails.size() == 2);
    CHECK(m.execution_results.profile.emails[1] == s.decoded);
    CHECK(m.execution_results.organizations[0].public_loyalty_member_id == s.decoded);
    CHECK(m.envelope.status == s.decoded);
    // Untouched neighbours keep their values.
    CHECK(m.execution_results.profile.emails[0] == "first");
    CHECK(m.execution_results.profile.last_name.value_or("") == "Doe");

    qtest::json_node coupon = qtest::fixture_tree(qtest::coupon_code_assigned_file);
    qtest::json_set(coupon, "/event/payload/couponBook/description", quoted);
    qtest::json_set(coupon, "/event/executionResults/coupon/code", quoted);
    const std::string coupon_body = qtest::json_dump(coupon);
    const qw::parse_result c = parser.parse(coupon_body);
    REQUIRE(c);
    CHECK(c->get_if<qw::coupon_event>()->payload.coupon_book.description.value_or("?") == s.decoded);
    CHECK(c->get_if<qw::coupon_event>()->execution_results.coupon.code == s.decoded);
  }
}

TEST_CASE("raw JSON values keep their escapes as sent", "[envelope][strings]") {
  qw::parser parser;
  const std::string attributes = R"({"name": "Jos\u00e9 \"P\"", "emoji": "\ud83d\ude00", "raw": "Zo)"
                                 "\xC3\xAB"
                                 R"("})";
  const std::string body = qtest::replace_first(qtest::read_fixture(qtest::coupon_code_used_file),
                                                "\"customAttributes\": null", "\"customAttributes\": " + attributes);
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  CHECK(r->get_if<qw::coupon_event>()->execution_results.coupon.custom_attributes.text() == attributes);
}

TEST_CASE("strings as timestamps may use escapes too", "[envelope][strings]") {
  qw::parser parser;
  const std::string body = qtest::replace_first(qtest::read_fixture(qtest::member_created_file),
                                                "\"2025-04-24T13:23:50.586Z\"", "\"2025-04-24T13:23:50.586\\u005a\"");
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  CHECK(r->envelope().updated_at.raw() == "2025-04-24T13:23:50.586Z");
  CHECK(r->envelope().updated_at.value()->time_since_epoch().count() == 1745501030586);
}

TEST_CASE("a string value ends at its closing quote, whatever whitespace follows it", "[envelope][strings]") {
  qw::parser parser;
  SECTION("typed members, list items and a timestamp") {
    std::string body = qtest::read_fixture(qtest::member_created_file);
    body = qtest::replace_first(body, R"("status": "success",)", "\"status\": \"success\" \t\r\n ,");
    body = qtest::replace_first(body, "\"test-user@email.com\"\n        ]", "\"test-user@email.com\" \t \n        ]");
    body = qtest::replace_first(body, R"("updatedAt": "2025-04-24T13:23:50.586Z",)",
                                "\"updatedAt\": \"2025-04-24T13:23:50.586Z\"\n\n,");
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    const qw::member_created& m = *r->get_if<qw::member_created>();
    CHECK(m.envelope.status == "success");
    REQUIRE(m.execution_results.profile.emails.size() == 1);
    CHECK(m.execution_results.profile.emails[0] == "test-user@email.com");
    CHECK(m.envelope.updated_at.raw() == "2025-04-24T13:23:50.586Z");
    CHECK(m.envelope.updated_at.value()->time_since_epoch().count() == 1745501030586);
  }
  SECTION("raw JSON that is a string: its text is the string with its quotes") {
    const std::string body = R"({"event": {"eventType": "tier-changed", "payload": "as text"  , )"
                             R"("executionResults": "x\"y" })"
                             "\n}";
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    CHECK(r->envelope().payload.text() == R"("as text")");
    CHECK(r->envelope().execution_results.text() == R"("x\"y")");
  }
  SECTION("a free-form member that is a string keeps it as its text") {
    const std::string body = qtest::replace_first(qtest::read_fixture(qtest::coupon_code_used_file),
                                                  "\"customAttributes\": null", "\"customAttributes\": \"plain\" ");
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    const auto& attributes = r->get_if<qw::coupon_event>()->execution_results.coupon.custom_attributes;
    CHECK(attributes.text() == R"("plain")");
  }
  SECTION("a string where a typed member expects an object: drift, with the string as its value") {
    qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
    qtest::json_set(tree, "/event/executionResults/profile/govId", "\"plain\"");
    const std::string body = qtest::json_dump(tree);
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    CHECK_FALSE(r->get_if<qw::member_created>()->execution_results.profile.gov_id.has_value());
    REQUIRE(r->drift().size() == 1);
    CHECK(r->drift()[0].path == "/event/executionResults/profile/govId");
    CHECK(r->drift()[0].value.text() == R"("plain")");
  }
}
