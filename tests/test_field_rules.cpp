// The documented fields of each known event type, as a table (written independently of the SDK's descriptions, as
// an oracle): for every field that may be absent (optional or nullable, or a scalar list item), a value of another
// JSON type is read as absent with a drift record at the field's JSON Pointer; it is wrong_type (422) there for a
// field that cannot be absent (required and not nullable, an object list item), for the routing field
// loyaltyEventKey and for every field with parser_options::strict. A malformed
// token there is invalid_json (400), null is accepted exactly where the view has an optional (or a list / free-form
// value), and a missing field is missing_field (422) exactly where the view promises the field.

#include <cstddef>
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

enum class kind { string, integer, number, boolean, time, id, object, array, item_object, item_string, free_form };

struct field_rule {
  std::string pointer;  // below /event
  kind type;
  bool required;
  bool nullable;
};

constexpr bool req = true, opt = false, null_ok = true, no_null = false;

void add(std::vector<field_rule>& rules, std::string_view prefix, std::initializer_list<field_rule> list) {
  for (const field_rule& r : list) rules.push_back({std::string(prefix) + r.pointer, r.type, r.required, r.nullable});
}

void add_envelope(std::vector<field_rule>& rules) {
  add(rules, "",
      {
          {"/status", kind::string, req, no_null},
          {"/loyaltyEventKey", kind::string, req, no_null},
          {"/updatedAt", kind::time, req, no_null},
          {"/createdAt", kind::time, req, no_null},
          {"/systemUniqueKey", kind::string, req, no_null},
          {"/executionResults", kind::object, req, no_null},
          {"/payload", kind::object, req, no_null},
          {"/externalEventDate", kind::time, opt, null_ok},
          {"/evaluationStatus", kind::integer, opt, null_ok},
          {"/externalId", kind::string, opt, null_ok},
          {"/lastError", kind::free_form, opt, null_ok},
          {"/description", kind::string, opt, null_ok},
          {"/tags", kind::free_form, opt, null_ok},
          {"/evaluationResults", kind::free_form, opt, null_ok},
      });
}

void add_profile(std::vector<field_rule>& rules, std::string_view prefix, bool with_emails) {
  add(rules, prefix,
      {
          {"", kind::object, req, no_null},
          {"/name", kind::string, opt, null_ok},
          {"/email", kind::string, opt, null_ok},
          {"/govId", kind::object, opt, null_ok},
          {"/govId/id", kind::id, req, no_null},
          {"/govId/type", kind::string, req, no_null},
          {"/govId/issuingCountry", kind::string, req, no_null},
          {"/lastName", kind::string, opt, null_ok},
          {"/birthdate", kind::time, opt, null_ok},
          {"/phoneNumber", kind::string, opt, null_ok},
      });
  if (with_emails) {
    add(rules, prefix, {{"/emails", kind::array, opt, null_ok}, {"/emails/0", kind::item_string, opt, no_null}});
  }
}

std::vector<field_rule> member_created_rules() {
  std::vector<field_rule> rules;
  add_envelope(rules);
  add(rules, "", {{"/loyaltyEventId", kind::id, opt, null_ok}});
  add(rules, "/executionResults",
      {
          {"/tiers", kind::array, req, no_null},
          {"/tiers/0", kind::item_object, opt, no_null},
          {"/tiers/0/loyaltyTierId", kind::integer, req, no_null},
          {"/tiers/0/loyaltyProgramId", kind::integer, req, no_null},
          {"/tiers/0/loyaltyManualTierId", kind::integer, opt, null_ok},
          {"/tiers/0/loyaltySystemTierId", kind::integer, opt, null_ok},
          {"/active", kind::boolean, req, no_null},
          {"/onChain", kind::object, opt, null_ok},
          {"/onChain/wallets", kind::free_form, opt, null_ok},
          {"/createdAt", kind::time, req, no_null},
          {"/updatedAt", kind::time, req, no_null},
          {"/organizations", kind::array, req, no_null},
          {"/organizations/0", kind::item_object, opt, no_null},
          {"/organizations/0/active", kind::boolean, req, no_null},
          {"/organizations/0/createdAt", kind::time, req, no_null},
          {"/organizations/0/updatedAt", kind::time, req, no_null},
          {"/organizations/0/loyaltyMemberId", kind::id, req, no_null},
          {"/organizations/0/publicLoyaltyMemberId", kind::id, req, no_null},
          {"/ledgerWalletId", kind::integer, opt, null_ok},
          {"/ledgerWalletKey", kind::string, opt, null_ok},
      });
  add_profile(rules, "/executionResults/profile", true);
  add(rules, "/payload",
      {
          {"/active", kind::boolean, req, no_null},
          {"/loyaltyMemberId", kind::id, req, no_null},
          {"/publicLoyaltyMemberId", kind::id, opt, null_ok},
      });
  add_profile(rules, "/payload/profile", false);
  return rules;
}

void add_usage(std::vector<field_rule>& rules, std::string_view prefix, bool with_member_id) {
  add(rules, prefix,
      {
          {"", kind::object, req, no_null},
          {"/coupon", kind::object, req, no_null},
          {"/coupon/code", kind::string, req, no_null},
          {"/coupon/createdAt", kind::time, req, no_null},
          {"/coupon/expiredAt", kind::time, opt, null_ok},
          {"/coupon/updatedAt", kind::time, req, no_null},
          {"/coupon/totalUsages", kind::integer, req, no_null},
          {"/coupon/totalAssigned", kind::integer, req, no_null},
          {"/coupon/couponBookKey", kind::string, req, no_null},
          {"/coupon/customAttributes", kind::free_form, opt, null_ok},
          {"/createdAt", kind::time, req, no_null},
          {"/updatedAt", kind::time, req, no_null},
          {"/amountUsed", kind::integer, req, no_null},
          {"/amountAssigned", kind::integer, req, no_null},
          {"/couponUsageKey", kind::string, req, no_null},
          {"/revertedUsageId", kind::id, opt, null_ok},
          {"/systemUniqueKey", kind::string, req, no_null},
          {"/customAttributes", kind::free_form, opt, null_ok},
          {"/updatedTotalUsages", kind::integer, req, no_null},
          {"/updatedTotalAssigned", kind::integer, req, no_null},
      });
  if (with_member_id) add(rules, prefix, {{"/loyaltyMemberId", kind::id, opt, null_ok}});
}

std::vector<field_rule> coupon_rules() {
  std::vector<field_rule> rules;
  add_envelope(rules);
  add(rules, "", {{"/loyaltyMemberId", kind::id, opt, null_ok}});
  add_usage(rules, "/executionResults", false);
  add_usage(rules, "/payload/usage", true);
  add(rules, "/payload/couponBook",
      {
          {"", kind::object, req, no_null},
          {"/couponBookKey", kind::string, req, no_null},
          {"/name", kind::string, req, no_null},
          {"/type", kind::string, req, no_null},
          {"/externalId", kind::string, opt, null_ok},
          {"/pictureUrl", kind::string, opt, null_ok},
          {"/description", kind::string, opt, null_ok},
          {"/validToDate", kind::time, opt, null_ok},
          {"/validFromDate", kind::time, opt, null_ok},
          {"/discountType", kind::string, req, no_null},
          {"/discountAmount", kind::number, req, no_null},
          {"/tags", kind::free_form, opt, null_ok},
          {"/customAttributes", kind::free_form, opt, null_ok},
      });
  return rules;
}

// Values of every other JSON type than the field's.
std::vector<std::string_view> wrong_values(kind k) {
  switch (k) {
    case kind::string:
    case kind::item_string:
    case kind::time: return {"5", "true", "{}", "[\"x\"]", "-1.5"};
    case kind::integer:
      // (1.0 and 1e2 are integers: JSON has one number type, see test_bad_input.cpp.)
      return {"\"5\"", "1.5", "1.05e1", "true", "{}", "[]", "9223372036854775808", "-9223372036854775809"};
    case kind::number: return {"\"5\"", "true", "{}", "[1]"};
    case kind::boolean: return {"\"true\"", "1", "0", "{}", "[]"};
    case kind::id: return {"true", "1.5", "{}", "[]", "18446744073709551616"};
    case kind::object:
    case kind::item_object: return {"\"x\"", "[]", "5", "true"};
    case kind::array: return {"{}", "\"x\"", "5", "false"};
    case kind::free_form: return {};
  }
  return {};
}

struct example {
  std::string_view file;
  std::vector<field_rule> rules;
};

std::vector<example> examples() {
  return {{qtest::member_created_file, member_created_rules()},
          {qtest::coupon_code_assigned_file, coupon_rules()},
          {qtest::coupon_code_used_file, coupon_rules()}};
}

std::string with_value(std::string_view file, const std::string& pointer, std::string_view json) {
  qtest::json_node tree = qtest::fixture_tree(file);
  qtest::json_set(tree, "/event" + pointer, json);
  return qtest::json_dump(tree, true);
}

std::string without(std::string_view file, const std::string& pointer) {
  qtest::json_node tree = qtest::fixture_tree(file);
  qtest::json_remove(tree, "/event" + pointer);
  return qtest::json_dump(tree, true);
}

void require_rejected(qw::parser& parser, const std::string& body, qw::error_code code, const std::string& path) {
  const qw::parse_result r = parser.parse(body);
  INFO(body);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK(r.error().path == path);
  CHECK_FALSE(r.error().message.empty());
}

}  // namespace

TEST_CASE("the rule tables cover every member of the examples", "[rules]") {
  // A table that forgets a field would silently test less: every member of executionResults and payload (and the
  // envelope, but eventType) must have a rule.
  for (const example& ex : examples()) {
    qtest::json_node tree = qtest::fixture_tree(ex.file);
    std::size_t covered = 0;
    qtest::for_each_json_node(qtest::json_at(tree, "/event"), [&](const std::string& pointer, qtest::json_node&) {
      if (pointer.empty() || pointer == "/eventType") return;
      std::string generic = pointer;
      bool found = false;
      for (const field_rule& rule : ex.rules) found = found || rule.pointer == generic;
      INFO(ex.file << ": no rule for " << pointer);
      CHECK(found);
      ++covered;
    });
    CHECK(covered > 30);
  }
}

qw::parser_options strict_options() {
  qw::parser_options options;
  options.strict = true;
  return options;
}

// The one field (besides eventType) that is never drift-tolerant: it identifies the event.
bool is_routing(const field_rule& rule) { return rule.pointer == "/loyaltyEventKey"; }

// Drift tolerance covers only what may be absent: an optional or nullable member, or a scalar list item (it stays in
// the list, default-valued). A required member, an object list item and the routing field are rejected.
bool is_tolerant(const field_rule& rule) {
  if (is_routing(rule) || rule.type == kind::item_object) return false;
  if (rule.type == kind::item_string) return true;
  return !rule.required || rule.nullable;
}

// The tier ids are int64 ids: a string of digits reads as its value, with a drift record, even though they are
// required (the platform's page shows ids both as strings and numbers).
bool reads_digit_strings(const field_rule& rule, std::string_view value) {
  const std::string_view p = rule.pointer;
  const bool tier_id = p.size() >= 14 && (p.substr(p.size() - 14) == "/loyaltyTierId" ||
                                          (p.size() >= 17 && p.substr(p.size() - 17) == "/loyaltyProgramId"));
  return tier_id && value == "\"5\"";
}

// Accepted, with exactly one drift record, at the field.
void require_drift(qw::parser& parser, const std::string& body, const std::string& path) {
  const qw::parse_result r = parser.parse(body);
  INFO(body);
  REQUIRE(r);
  REQUIRE(r->drift().size() == 1);
  CHECK(r->drift()[0].path == path);
  CHECK(r->drift()[0].event_type == r->envelope().event_type);
  CHECK_FALSE(r->drift()[0].value.is_absent());
}

TEST_CASE("a field that may be absent, of the wrong JSON type, is drift; one that cannot is wrong_type", "[rules]") {
  qw::parser parser;
  std::size_t drifted = 0;
  std::size_t rejected = 0;
  for (const example& ex : examples()) {
    for (const field_rule& rule : ex.rules) {
      for (std::string_view value : wrong_values(rule.type)) {
        INFO(ex.file << " " << rule.pointer << " = " << value);
        const std::string body = with_value(ex.file, rule.pointer, value);
        if (is_tolerant(rule) || reads_digit_strings(rule, value)) {
          require_drift(parser, body, "/event" + rule.pointer);
          ++drifted;
        } else {
          require_rejected(parser, body, qw::error_code::wrong_type, "/event" + rule.pointer);
          ++rejected;
        }
      }
    }
  }
  CHECK(drifted > 100);
  CHECK(rejected > 200);
}

TEST_CASE("strict: a documented field of the wrong JSON type is wrong_type (422) at its JSON Pointer", "[rules]") {
  qw::parser parser(strict_options());
  std::size_t checked = 0;
  for (const example& ex : examples()) {
    for (const field_rule& rule : ex.rules) {
      for (std::string_view value : wrong_values(rule.type)) {
        INFO(ex.file << " " << rule.pointer << " = " << value);
        require_rejected(parser, with_value(ex.file, rule.pointer, value), qw::error_code::wrong_type,
                         "/event" + rule.pointer);
        CHECK(qw::http_status_for(qw::error_code::wrong_type) == 422);
        ++checked;
      }
    }
  }
  CHECK(checked > 400);
}

TEST_CASE("a free-form field accepts any JSON value and keeps its exact text", "[rules]") {
  qw::parser parser;
  const std::string_view values[] = {
      "{\"a\": [1, {\"b\": null}], \"c\": \"d\"}", "[]", "\"text\"", "-1.5e3", "true", "null", "{}"};
  for (const example& ex : examples()) {
    for (const field_rule& rule : ex.rules) {
      if (rule.type != kind::free_form) continue;
      for (std::string_view value : values) {
        INFO(ex.file << " " << rule.pointer << " = " << value);
        qtest::json_node tree = qtest::fixture_tree(ex.file);
        qtest::json_set(tree, "/event" + rule.pointer, value);
        const std::string body = qtest::json_dump(tree, false);
        const std::string text(value);  // as it appears in `body`: json_set writes it as given
        const qw::parse_result r = parser.parse(body);
        REQUIRE(r);
        // Find the view's raw_json through the description: the line for this field carries the text.
        const std::string description = qtest::describe(*r);
        CHECK(description.find("=" + text + "\n") != std::string::npos);
      }
    }
  }
}

TEST_CASE("a malformed token in a documented field is invalid_json (400), not wrong_type", "[rules]") {
  qw::parser parser;
  // (1e400 is valid JSON beyond a double: drift, see test_bad_input.cpp.)
  const std::string_view tokens[] = {"tru", "nul", "fals", "01", "-", "1.2.3", "+1", "0x10", "Infinity"};
  std::size_t checked = 0;
  for (const example& ex : examples()) {
    for (const field_rule& rule : ex.rules) {
      for (std::string_view token : tokens) {
        INFO(ex.file << " " << rule.pointer << " = " << token);
        const std::string body = with_value(ex.file, rule.pointer, token);
        const qw::parse_result r = parser.parse(body);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == qw::error_code::invalid_json);
        CHECK(qw::http_status_for(r.error().code) == 400);
        // simdjson reports some malformed atoms at the structure level, before any field is read: then there is
        // no path. When there is one, it names the field.
        if (!r.error().path.empty()) CHECK(r.error().path == "/event" + rule.pointer);
        ++checked;
      }
    }
  }
  CHECK(checked > 1000);
}

TEST_CASE("null is accepted exactly where the view can say 'none'", "[rules]") {
  qw::parser parser;
  for (const example& ex : examples()) {
    const std::string original = [&] {
      const std::string body = qtest::read_fixture(ex.file);
      const qw::parse_result r = parser.parse(body);
      REQUIRE(r);
      return qtest::describe(*r);
    }();
    for (const field_rule& rule : ex.rules) {
      INFO(ex.file << " " << rule.pointer << " = null");
      const std::string body = with_value(ex.file, rule.pointer, "null");
      if (!rule.nullable) {
        qw::parser strict(strict_options());
        require_rejected(strict, body, qw::error_code::wrong_type, "/event" + rule.pointer);
        if (is_tolerant(rule)) {
          require_drift(parser, body, "/event" + rule.pointer);
        } else {
          require_rejected(parser, body, qw::error_code::wrong_type, "/event" + rule.pointer);
        }
        continue;
      }
      const qw::parse_result r = parser.parse(body);
      REQUIRE(r);
      const std::string with_null = qtest::describe(*r);
      if (rule.type == kind::free_form) {
        CHECK(with_null.find("=null\n") != std::string::npos);
        continue;
      }
      // An optional that is null reads as one that is absent (nothing, or an empty list)...
      const std::string absent_body = without(ex.file, rule.pointer);  // the views borrow it: keep it alive
      const qw::parse_result absent = parser.parse(absent_body);
      REQUIRE(absent);
      CHECK(qtest::describe(*absent) == with_null);
      // ...and differs from the example wherever the example has a value there.
      qtest::json_node example_tree = qtest::fixture_tree(ex.file);
      const bool example_has_value =
          qtest::json_at(example_tree, "/event" + rule.pointer).type != qtest::json_node::kind::null;
      if (example_has_value) CHECK(with_null != original);
    }
  }
}

TEST_CASE("a missing field is missing_field (422) exactly where the view promises the field", "[rules]") {
  qw::parser parser;
  std::size_t required = 0;
  for (const example& ex : examples()) {
    for (const field_rule& rule : ex.rules) {
      if (rule.type == kind::item_object || rule.type == kind::item_string) continue;  // a shorter list is fine
      qtest::json_node example_tree = qtest::fixture_tree(ex.file);
      if (!qtest::json_contains(example_tree, "/event" + rule.pointer)) continue;
      INFO(ex.file << " without " << rule.pointer);
      const std::string body = without(ex.file, rule.pointer);
      if (rule.required) {
        require_rejected(parser, body, qw::error_code::missing_field, "/event" + rule.pointer);
        CHECK(qw::http_status_for(qw::error_code::missing_field) == 422);
        ++required;
      } else {
        CHECK(parser.parse(body));
      }
    }
  }
  CHECK(required > 40);
}

TEST_CASE("an optional field the example leaves out is decoded when present", "[rules]") {
  qw::parser parser;
  SECTION("loyaltyMemberId on a member-created envelope") {
    qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
    qtest::json_set(tree, "/event/loyaltyMemberId", "\"m-1\"");
    const std::string body = qtest::json_dump(tree);
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    REQUIRE(r->envelope().loyalty_member_id);
    CHECK(*r->envelope().loyalty_member_id == "m-1");
  }
  SECTION("loyaltyMemberId in a coupon event's executionResults") {
    qtest::json_node tree = qtest::fixture_tree(qtest::coupon_code_used_file);
    qtest::json_set(tree, "/event/executionResults/loyaltyMemberId", "\"m-2\"");
    const std::string body = qtest::json_dump(tree);
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    const auto* used = r->get_if<qw::coupon_code_used>();
    REQUIRE(used);
    REQUIRE(used->execution_results.loyalty_member_id);
    CHECK(*used->execution_results.loyalty_member_id == "m-2");
  }
  SECTION("loyaltyEventId on a coupon event, as a number") {
    qtest::json_node tree = qtest::fixture_tree(qtest::coupon_code_assigned_file);
    qtest::json_set(tree, "/event/loyaltyEventId", "987654321");
    const std::string body = qtest::json_dump(tree);
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    REQUIRE(r->envelope().loyalty_event_id);
    CHECK(*r->envelope().loyalty_event_id == "987654321");
  }
}
