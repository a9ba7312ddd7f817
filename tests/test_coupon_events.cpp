// coupon-code-assigned and coupon-code-used: every field of the views against the two examples, then variants.

#include <cstdint>
#include <string>
#include <string_view>

#include <qurable/webhooks.hpp>

#include "catch.hpp"
#include "support/fields.hpp"
#include "support/fixtures.hpp"
#include "support/json_edit.hpp"

namespace qw = qurable::webhooks;

namespace {

// What the two examples share; they differ in their counters.
void check_coupon(const qw::coupon& c, std::int64_t total_assigned) {
  CHECK(c.code == "PyMsNLgHR3yfMQAAc11viQ");
  CHECK(c.created_at.raw() == "2025-04-23T03:08:29.976Z");
  CHECK(qtest::unix_ms(c.created_at) == 1745377709976);
  REQUIRE(c.expired_at.has_value());
  CHECK(c.expired_at->raw() == "2025-06-23T01:52:32.275Z");
  CHECK(qtest::unix_ms(*c.expired_at) == 1750643552275);
  CHECK(c.updated_at.raw() == "2025-04-23T03:08:29.976Z");
  CHECK(qtest::unix_ms(c.updated_at) == 1745377709976);
  CHECK(c.total_usages == 0);
  CHECK(c.total_assigned == total_assigned);
  CHECK(c.coupon_book_key == "cbk_01JSG2C0V4AJHVZ6P3E0PQH9EV");
  CHECK(c.custom_attributes.text() == "null");
  CHECK(c.custom_attributes.is_null());
  CHECK_FALSE(c.custom_attributes.is_absent());
}

void check_usage(const qw::coupon_usage& u, bool used, bool in_payload) {
  check_coupon(u.coupon, used ? 1 : 0);
  CHECK(u.created_at.raw() == "2025-04-23T03:08:30.031Z");
  CHECK(qtest::unix_ms(u.created_at) == 1745377710031);
  CHECK(u.updated_at.raw() == "2025-04-23T03:08:30.031Z");
  CHECK(qtest::unix_ms(u.updated_at) == 1745377710031);
  CHECK(u.amount_used == (used ? 1 : 0));
  CHECK(u.amount_assigned == 1);
  // The used example's executionResults names another usage than its payload (as the platform sent it).
  CHECK(u.coupon_usage_key ==
        (used && !in_payload ? "cbu_01JJQ1KNAEV5E0RVZPE0E27AR7" : "cbu_01JSG9WKYEJDKTSKVYABF2WQBC"));
  CHECK_FALSE(u.reverted_usage_id.has_value());
  CHECK(u.system_unique_key == "6efee6f7-2128-4f9b-9d0e-9d771a4a8dec");
  if (in_payload) {
    REQUIRE(u.loyalty_member_id.has_value());
    CHECK(*u.loyalty_member_id == "11111111");
  } else {
    CHECK_FALSE(u.loyalty_member_id.has_value());
  }
  CHECK(u.custom_attributes.text() == "null");
  CHECK(u.updated_total_usages == (used ? 1 : 0));
  CHECK(u.updated_total_assigned == 1);
}

void check_coupon_book(const qw::coupon_book& b) {
  CHECK(b.coupon_book_key == "cbk_01JSG2C0V4AJHVZ6P3E0PQH9EV");
  CHECK(b.name == "Test discount");
  CHECK(b.type == "generated");
  CHECK(b.external_id.value_or("") == "Y6QF-TEST");
  CHECK(b.picture_url.value_or("") == "https://example.com/coupon-image.png");
  CHECK(b.description.value_or("") == "<p>Test discount description</p>");
  CHECK_FALSE(b.valid_to_date.has_value());
  CHECK_FALSE(b.valid_from_date.has_value());
  CHECK(b.discount_type == "percentage");
  CHECK(b.discount_amount == 20.0);
  CHECK(b.tags.text() == "null");
  CHECK(b.custom_attributes.text() == "null");
}

void check_envelope(const qw::event_envelope& e, bool used, const std::string& body) {
  CHECK(e.event_type == (used ? "coupon-code-used" : "coupon-code-assigned"));
  CHECK(e.loyalty_event_key == (used ? "ev_c11viQYM0YZHBS9X3G0VMVyfMQ" : "ev_01JSG9YM0YZHBS9X3G0VMVMAW6"));
  CHECK(e.status == "success");
  CHECK_FALSE(e.loyalty_event_id.has_value());
  CHECK(e.system_unique_key == "6efee6f7-2128-4f9b-9d0e-9d771a4a8dec");
  REQUIRE(e.loyalty_member_id.has_value());
  CHECK(*e.loyalty_member_id == "11111111");
  CHECK(e.created_at.raw() == "2025-04-23T03:09:35.646Z");
  CHECK(qtest::unix_ms(e.created_at) == 1745377775646);
  CHECK(e.updated_at.raw() == "2025-04-23T03:09:35.646Z");
  CHECK(qtest::unix_ms(e.updated_at) == 1745377775646);
  CHECK_FALSE(e.external_event_date.has_value());
  CHECK_FALSE(e.external_id.has_value());
  CHECK(e.last_error.text() == "null");
  CHECK_FALSE(e.description.has_value());
  CHECK(e.tags.text() == "null");
  CHECK(e.evaluation_status.value_or(-1) == 0);
  CHECK(e.evaluation_results.text() == "null");
  qtest::json_node tree = qtest::parse_json(body);
  CHECK(qtest::json_dump(qtest::parse_json(e.execution_results.text())) ==
        qtest::json_dump(qtest::json_at(tree, "/event/executionResults")));
  CHECK(qtest::json_dump(qtest::parse_json(e.payload.text())) ==
        qtest::json_dump(qtest::json_at(tree, "/event/payload")));
}

// A coupon example with edits, kept alive with its parser.
struct coupon_variant {
  std::string body;
  qw::parser parser;
  qw::parse_result result;

  explicit coupon_variant(std::string text) : body(std::move(text)), result(parser.parse(body)) {}

  const qw::coupon_event& view() {
    INFO(body);
    if (!result) FAIL("rejected: " << qw::to_string(result.error().code) << " at " << result.error().path);
    const auto* c = result->get_if<qw::coupon_event>();
    REQUIRE(c != nullptr);
    return *c;
  }
};

coupon_variant edited(std::string_view pointer, std::string_view json,
                      std::string_view file = qtest::coupon_code_assigned_file) {
  qtest::json_node tree = qtest::fixture_tree(file);
  qtest::json_set(tree, pointer, json);
  return coupon_variant(qtest::json_dump(tree));
}

}  // namespace

TEST_CASE("coupon-code-assigned example: every field", "[coupon]") {
  const std::string body = qtest::read_fixture(qtest::coupon_code_assigned_file);
  qw::parser parser;
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  CHECK(r->type() == qw::event_type::coupon_code_assigned);
  CHECK(r->get_if<qw::member_created>() == nullptr);
  CHECK(r->get_if<qw::coupon_code_used>() == nullptr);
  const qw::coupon_code_assigned* a = r->get_if<qw::coupon_code_assigned>();
  REQUIRE(a != nullptr);
  CHECK(r->get_if<qw::coupon_event>() == a);
  CHECK(&a->envelope == &r->envelope());
  CHECK(qw::coupon_code_assigned::type_name == "coupon-code-assigned");

  check_envelope(a->envelope, false, body);
  check_usage(a->execution_results, false, false);
  check_usage(a->payload.usage, false, true);
  check_coupon_book(a->payload.coupon_book);
}

TEST_CASE("coupon-code-used example: every field", "[coupon]") {
  const std::string body = qtest::read_fixture(qtest::coupon_code_used_file);
  qw::parser parser;
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  CHECK(r->type() == qw::event_type::coupon_code_used);
  CHECK(r->get_if<qw::coupon_code_assigned>() == nullptr);
  const qw::coupon_code_used* u = r->get_if<qw::coupon_code_used>();
  REQUIRE(u != nullptr);
  CHECK(r->get_if<qw::coupon_event>() == u);
  CHECK(qw::coupon_code_used::type_name == "coupon-code-used");

  check_envelope(u->envelope, true, body);
  check_usage(u->execution_results, true, false);
  check_usage(u->payload.usage, true, true);
  check_coupon_book(u->payload.coupon_book);
}

TEST_CASE("coupon events: discountAmount may be fractional", "[coupon]") {
  CHECK(edited("/event/payload/couponBook/discountAmount", "12.5").view().payload.coupon_book.discount_amount == 12.5);
  CHECK(edited("/event/payload/couponBook/discountAmount", "0.1").view().payload.coupon_book.discount_amount == 0.1);
  CHECK(edited("/event/payload/couponBook/discountAmount", "1e2").view().payload.coupon_book.discount_amount == 100);
  CHECK(edited("/event/payload/couponBook/discountAmount", "-2.5E-1").view().payload.coupon_book.discount_amount ==
        -0.25);
  CHECK(edited("/event/payload/couponBook/discountAmount", "0").view().payload.coupon_book.discount_amount == 0);
}

TEST_CASE("coupon events: customAttributes are kept as raw JSON text", "[coupon]") {
  const std::string attributes = R"({"size": "L", "tags": ["a", "b"], "nested": {"n": 1.5, "ok": true}})";
  std::string body = qtest::read_fixture(qtest::coupon_code_used_file);
  // Every customAttributes of the example: coupon, usage, payload coupon, payload usage, couponBook.
  for (int i = 0; i < 5; ++i)
    body = qtest::replace_first(body, "\"customAttributes\": null", "\"customAttributes\":" + attributes);
  CHECK(body.find("\"customAttributes\": null") == std::string::npos);
  coupon_variant v(body);
  const qw::coupon_event& c = v.view();
  for (const qw::raw_json* raw : {&c.execution_results.coupon.custom_attributes, &c.execution_results.custom_attributes,
                                  &c.payload.usage.coupon.custom_attributes, &c.payload.usage.custom_attributes,
                                  &c.payload.coupon_book.custom_attributes}) {
    CHECK(raw->text() == attributes);
    CHECK_FALSE(raw->is_null());
    // It lies inside the body the parser read: padded() may be handed to another simdjson parser as is.
    simdjson::ondemand::parser second;
    simdjson::ondemand::document doc;
    REQUIRE(second.iterate(raw->padded()).get(doc) == simdjson::SUCCESS);
    std::string_view size;
    REQUIRE(doc["size"].get_string().get(size) == simdjson::SUCCESS);
    CHECK(size == "L");
    double n = 0;
    REQUIRE(doc["nested"]["n"].get_double().get(n) == simdjson::SUCCESS);
    CHECK(n == 1.5);
    // The DOM API reads it too, and sees the whole value.
    simdjson::dom::parser dom;
    simdjson::dom::element root;
    REQUIRE(dom.parse(raw->text().data(), raw->text().size(), false).get(root) == simdjson::SUCCESS);
    simdjson::dom::array tags;
    REQUIRE(root["tags"].get_array().get(tags) == simdjson::SUCCESS);
    CHECK(tags.size() == 2);
  }
  CHECK(c.payload.coupon_book.tags.is_null());
}

TEST_CASE("coupon events: customAttributes null, absent, or another JSON type", "[coupon]") {
  SECTION("absent") {
    qtest::json_node tree = qtest::fixture_tree(qtest::coupon_code_assigned_file);
    qtest::json_remove(tree, "/event/executionResults/coupon/customAttributes");
    qtest::json_remove(tree, "/event/payload/couponBook/customAttributes");
    coupon_variant v(qtest::json_dump(tree));
    CHECK(v.view().execution_results.coupon.custom_attributes.is_absent());
    CHECK(v.view().execution_results.coupon.custom_attributes.is_null());
    CHECK(v.view().execution_results.coupon.custom_attributes.text().empty());
    CHECK(v.view().payload.coupon_book.custom_attributes.is_absent());
  }
  SECTION("a string, an array, a number") {
    CHECK(
        edited("/event/executionResults/customAttributes", "\"x\"").view().execution_results.custom_attributes.text() ==
        "\"x\"");
    CHECK(edited("/event/payload/couponBook/tags", "[\"vip\",\"summer\"]").view().payload.coupon_book.tags.text() ==
          "[\"vip\",\"summer\"]");
    CHECK(edited("/event/payload/usage/customAttributes", "-0.5").view().payload.usage.custom_attributes.text() ==
          "-0.5");
  }
}

TEST_CASE("coupon events: the optional dates and identifiers with values", "[coupon]") {
  SECTION("validToDate and validFromDate") {
    qtest::json_node tree = qtest::fixture_tree(qtest::coupon_code_used_file);
    qtest::json_set(tree, "/event/payload/couponBook/validToDate", "\"2025-12-31T23:59:59.999Z\"");
    qtest::json_set(tree, "/event/payload/couponBook/validFromDate", "\"2025-01-01T00:00:00.000Z\"");
    coupon_variant v(qtest::json_dump(tree));
    const qw::coupon_book& b = v.view().payload.coupon_book;
    REQUIRE(b.valid_to_date.has_value());
    CHECK(b.valid_to_date->raw() == "2025-12-31T23:59:59.999Z");
    CHECK(qtest::unix_ms(*b.valid_to_date) == 1767225599999);
    REQUIRE(b.valid_from_date.has_value());
    CHECK(qtest::unix_ms(*b.valid_from_date) == 1735689600000);
  }
  SECTION("a coupon that never expires") {
    coupon_variant v = edited("/event/executionResults/coupon/expiredAt", "null");
    CHECK_FALSE(v.view().execution_results.coupon.expired_at.has_value());
    CHECK(v.view().payload.usage.coupon.expired_at.has_value());
  }
  SECTION("revertedUsageId as a string or a number") {
    CHECK(edited("/event/executionResults/revertedUsageId", "\"cbu_X\"")
              .view()
              .execution_results.reverted_usage_id.value_or("") == "cbu_X");
    CHECK(
        edited("/event/payload/usage/revertedUsageId", "123456").view().payload.usage.reverted_usage_id.value_or("") ==
        "123456");
  }
  SECTION("envelope extras") {
    qtest::json_node tree = qtest::fixture_tree(qtest::coupon_code_assigned_file);
    qtest::json_set(tree, "/event/externalEventDate", "\"2025-04-23T00:00:00+03:00\"");
    qtest::json_set(tree, "/event/externalId", "\"ext-77\"");
    qtest::json_set(tree, "/event/description", "\"assigned by a rule\"");
    qtest::json_set(tree, "/event/lastError", "{\"code\":5}");
    qtest::json_set(tree, "/event/evaluationStatus", "2");
    qtest::json_set(tree, "/event/evaluationResults", "[{\"rule\":1}]");
    coupon_variant v(qtest::json_dump(tree));
    const qw::event_envelope& e = v.view().envelope;
    REQUIRE(e.external_event_date.has_value());
    CHECK(qtest::unix_ms(*e.external_event_date) == 1745355600000);  // 2025-04-22T21:00:00Z
    CHECK(e.external_id.value_or("") == "ext-77");
    CHECK(e.description.value_or("") == "assigned by a rule");
    CHECK(e.last_error.text() == "{\"code\":5}");
    CHECK_FALSE(e.last_error.is_null());
    CHECK(e.evaluation_status.value_or(-1) == 2);
    CHECK(e.evaluation_results.text() == "[{\"rule\":1}]");
  }
}

TEST_CASE("coupon events: a coupon_event view handles both types alike", "[coupon]") {
  const std::string assigned_body = qtest::read_fixture(qtest::coupon_code_assigned_file);
  const std::string used_body = qtest::read_fixture(qtest::coupon_code_used_file);
  qw::parser p1, p2;
  const qw::parse_result assigned = p1.parse(assigned_body);
  const qw::parse_result used = p2.parse(used_body);
  REQUIRE(assigned);
  REQUIRE(used);
  const qw::coupon_event* a = assigned->get_if<qw::coupon_event>();
  const qw::coupon_event* u = used->get_if<qw::coupon_event>();
  REQUIRE(a != nullptr);
  REQUIRE(u != nullptr);
  CHECK(a->execution_results.amount_used == 0);
  CHECK(u->execution_results.amount_used == 1);
  CHECK(a->payload.coupon_book.name == u->payload.coupon_book.name);
}
