// member-created: every field of the view against tests/fixtures/member-created.json, then variants of it.

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

// The member-created example with one edit, kept alive with the parser that reads it.
struct member_variant {
  std::string body;
  qw::parser parser;
  qw::parse_result result;

  explicit member_variant(std::string text, qw::parser_options options = {})
      : body(std::move(text)), parser(options), result(parser.parse(body)) {}

  const qw::member_created& view() {
    INFO(body.substr(0, 2000));
    if (!result) FAIL("rejected: " << qw::to_string(result.error().code) << " at " << result.error().path);
    const auto* m = result->get_if<qw::member_created>();
    REQUIRE(m != nullptr);
    return *m;
  }
};

member_variant edited(std::string_view pointer, std::string_view json) {
  qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
  qtest::json_set(tree, pointer, json);
  return member_variant(qtest::json_dump(tree, true));
}

member_variant removed(std::string_view pointer) {
  qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
  qtest::json_remove(tree, pointer);
  return member_variant(qtest::json_dump(tree, true));
}

}  // namespace

TEST_CASE("member-created example: the event and its envelope", "[member-created]") {
  const std::string body = qtest::read_fixture(qtest::member_created_file);
  qw::parser parser;
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  CHECK(r.error().code == qw::error_code::none);
  CHECK(r->type() == qw::event_type::member_created);
  CHECK(r->get_if<qw::coupon_code_assigned>() == nullptr);
  CHECK(r->get_if<qw::coupon_code_used>() == nullptr);
  CHECK(r->get_if<qw::coupon_event>() == nullptr);
  const qw::member_created* m = r->get_if<qw::member_created>();
  REQUIRE(m != nullptr);
  CHECK(&m->envelope == &r->envelope());
  CHECK(qw::member_created::type_name == "member-created");

  const qw::event_envelope& e = m->envelope;
  CHECK(e.event_type == "member-created");
  CHECK(qw::to_event_type(e.event_type) == qw::event_type::member_created);
  CHECK(e.status == "success");
  CHECK(e.loyalty_event_key == "ev_01JSKZG24NMDB0RRQHF247NSCX");
  REQUIRE(e.loyalty_event_id.has_value());
  CHECK(*e.loyalty_event_id == "1262268");
  CHECK(e.system_unique_key == "8952c2f4-d76f-40f3-890d-aef3af273356");
  CHECK_FALSE(e.loyalty_member_id.has_value());  // coupon events carry it, member-created does not
  CHECK(e.created_at.raw() == "2025-04-24T13:23:50.586Z");
  CHECK(qtest::unix_ms(e.created_at) == 1745501030586);
  CHECK(e.updated_at.raw() == "2025-04-24T13:23:50.586Z");
  CHECK(qtest::unix_ms(e.updated_at) == 1745501030586);
  CHECK_FALSE(e.external_event_date.has_value());
  CHECK_FALSE(e.external_id.has_value());
  CHECK(e.last_error.text() == "null");
  CHECK(e.last_error.is_null());
  CHECK_FALSE(e.last_error.is_absent());
  CHECK_FALSE(e.description.has_value());
  CHECK(e.tags.text() == "null");
  REQUIRE(e.evaluation_status.has_value());
  CHECK(*e.evaluation_status == 0);
  CHECK(e.evaluation_results.text() == "null");

  // executionResults and payload are also kept as their exact text in the body.
  for (const qw::raw_json* section : {&e.execution_results, &e.payload}) {
    CHECK(section->text().front() == '{');
    CHECK(section->text().back() == '}');
    CHECK(body.find(section->text()) != std::string::npos);
  }
  qtest::json_node tree = qtest::parse_json(body);
  CHECK(qtest::json_dump(qtest::parse_json(e.execution_results.text())) ==
        qtest::json_dump(qtest::json_at(tree, "/event/executionResults")));
  CHECK(qtest::json_dump(qtest::parse_json(e.payload.text())) ==
        qtest::json_dump(qtest::json_at(tree, "/event/payload")));
}

TEST_CASE("member-created example: executionResults, the member", "[member-created]") {
  const std::string body = qtest::read_fixture(qtest::member_created_file);
  qw::parser parser;
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  const qw::member& m = r->get_if<qw::member_created>()->execution_results;

  REQUIRE(m.tiers.size() == 1);
  CHECK_FALSE(m.tiers.empty());
  CHECK(m.tiers.end() - m.tiers.begin() == 1);
  const qw::tier& t = m.tiers[0];
  CHECK(t.loyalty_tier_id == 1);
  CHECK(t.loyalty_program_id == 1);
  CHECK_FALSE(t.loyalty_manual_tier_id.has_value());  // null in the example
  REQUIRE(t.loyalty_system_tier_id.has_value());
  CHECK(*t.loyalty_system_tier_id == 1);

  CHECK(m.active == true);
  CHECK(m.on_chain.wallets.text() == "[]");
  CHECK_FALSE(m.on_chain.wallets.is_null());

  const qw::member_profile& p = m.profile;
  REQUIRE(p.name.has_value());
  CHECK(*p.name == "John");
  REQUIRE(p.email.has_value());
  CHECK(*p.email == "test-user@email.com");
  REQUIRE(p.gov_id.has_value());
  CHECK(p.gov_id->id == "94343643");
  CHECK(p.gov_id->type == "DNI");
  CHECK(p.gov_id->issuing_country == "Ar");
  REQUIRE(p.emails.size() == 1);
  CHECK(p.emails[0] == "test-user@email.com");
  CHECK(*p.emails.begin() == "test-user@email.com");
  REQUIRE(p.last_name.has_value());
  CHECK(*p.last_name == "Doe");
  REQUIRE(p.birthdate.has_value());
  CHECK(p.birthdate->raw() == "2025-04-24T13:20:24.404Z");
  CHECK(qtest::unix_ms(*p.birthdate) == 1745500824404);
  REQUIRE(p.phone_number.has_value());
  CHECK(*p.phone_number == "541123364526");

  CHECK(m.created_at.raw() == "2025-04-24T13:22:50.049Z");
  CHECK(qtest::unix_ms(m.created_at) == 1745500970049);
  CHECK(m.updated_at.raw() == "2025-04-24T13:22:50.049Z");
  CHECK(qtest::unix_ms(m.updated_at) == 1745500970049);

  REQUIRE(m.organizations.size() == 1);
  const qw::organization& o = m.organizations[0];
  CHECK(o.active == true);
  CHECK(o.created_at.raw() == "2025-04-24T13:22:50.156Z");
  CHECK(qtest::unix_ms(o.created_at) == 1745500970156);
  CHECK(o.updated_at.raw() == "2025-04-24T13:22:50.156Z");
  CHECK(qtest::unix_ms(o.updated_at) == 1745500970156);
  CHECK(o.loyalty_member_id == "test-user@email.com");
  CHECK(o.public_loyalty_member_id == "11111-11111");

  REQUIRE(m.ledger_wallet_id.has_value());
  CHECK(*m.ledger_wallet_id == 16069);
  REQUIRE(m.ledger_wallet_key.has_value());
  CHECK(*m.ledger_wallet_key == "wal_01JSKZE71W1MD7KWS453W9VJDH");
}

TEST_CASE("member-created example: payload, the request", "[member-created]") {
  const std::string body = qtest::read_fixture(qtest::member_created_file);
  qw::parser parser;
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  const qw::member_request& q = r->get_if<qw::member_created>()->payload;
  CHECK(q.active == true);
  CHECK(q.loyalty_member_id == "test-user@email.com");
  REQUIRE(q.public_loyalty_member_id.has_value());
  CHECK(*q.public_loyalty_member_id == "11111-11111");

  const qw::member_profile& p = q.profile;
  REQUIRE(p.name.has_value());
  CHECK(*p.name == "John");
  REQUIRE(p.email.has_value());
  CHECK(*p.email == "test-user@email.com");
  REQUIRE(p.gov_id.has_value());
  CHECK(p.gov_id->id == "94343643");
  CHECK(p.gov_id->type == "DNI");
  CHECK(p.gov_id->issuing_country == "Ar");
  CHECK(p.emails.empty());  // the payload's profile has no "emails"
  CHECK(p.emails.size() == 0);
  CHECK(p.emails.begin() == p.emails.end());
  REQUIRE(p.last_name.has_value());
  CHECK(*p.last_name == "Doe");
  REQUIRE(p.birthdate.has_value());
  CHECK(qtest::unix_ms(*p.birthdate) == 1745500824404);
  REQUIRE(p.phone_number.has_value());
  CHECK(*p.phone_number == "541123364526");
}

TEST_CASE("member-created: identifiers sent as numbers are kept as their digits", "[member-created]") {
  SECTION("loyaltyEventId") {
    member_variant v = edited("/event/loyaltyEventId", "1262268");
    REQUIRE(v.view().envelope.loyalty_event_id.has_value());
    CHECK(*v.view().envelope.loyalty_event_id == "1262268");
  }
  SECTION("a negative loyaltyEventId") {
    member_variant v = edited("/event/loyaltyEventId", "-42");
    CHECK(v.view().envelope.loyalty_event_id.value_or("") == "-42");
  }
  SECTION("the largest int64 loyaltyEventId") {
    member_variant v = edited("/event/loyaltyEventId", "9223372036854775807");
    CHECK(v.view().envelope.loyalty_event_id.value_or("") == "9223372036854775807");
  }
  SECTION("a number followed by whitespace keeps only its digits") {
    std::string body = qtest::replace_first(qtest::read_fixture(qtest::member_created_file),
                                            "\"loyaltyEventId\": \"1262268\",", "\"loyaltyEventId\": 1262268 \n\t ,");
    member_variant v(body);
    CHECK(v.view().envelope.loyalty_event_id.value_or("") == "1262268");
  }
  SECTION("payload.publicLoyaltyMemberId") {
    member_variant v = edited("/event/payload/publicLoyaltyMemberId", "1111111111");
    CHECK(v.view().payload.public_loyalty_member_id.value_or("") == "1111111111");
  }
  SECTION("null and absent are both nothing") {
    CHECK_FALSE(edited("/event/loyaltyEventId", "null").view().envelope.loyalty_event_id.has_value());
    CHECK_FALSE(removed("/event/loyaltyEventId").view().envelope.loyalty_event_id.has_value());
    CHECK_FALSE(edited("/event/payload/publicLoyaltyMemberId", "null").view().payload.public_loyalty_member_id);
    CHECK_FALSE(removed("/event/payload/publicLoyaltyMemberId").view().payload.public_loyalty_member_id);
  }
}

TEST_CASE("member-created: optional parts of the member", "[member-created]") {
  SECTION("loyaltyManualTierId with a value") {
    member_variant v = edited("/event/executionResults/tiers/0/loyaltyManualTierId", "7");
    CHECK(v.view().execution_results.tiers[0].loyalty_manual_tier_id.value_or(0) == 7);
  }
  SECTION("tiers without their optional ids") {
    member_variant v = edited("/event/executionResults/tiers", "[{\"loyaltyTierId\": 3, \"loyaltyProgramId\": 9}]");
    const qw::tier& t = v.view().execution_results.tiers[0];
    CHECK(t.loyalty_tier_id == 3);
    CHECK(t.loyalty_program_id == 9);
    CHECK_FALSE(t.loyalty_manual_tier_id.has_value());
    CHECK_FALSE(t.loyalty_system_tier_id.has_value());
  }
  SECTION("no tiers, no organizations") {
    qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
    qtest::json_set(tree, "/event/executionResults/tiers", "[]");
    qtest::json_set(tree, "/event/executionResults/organizations", "[]");
    member_variant v(qtest::json_dump(tree));
    CHECK(v.view().execution_results.tiers.empty());
    CHECK(v.view().execution_results.organizations.empty());
  }
  SECTION("onChain absent, null, or with wallets") {
    CHECK(removed("/event/executionResults/onChain").view().execution_results.on_chain.wallets.is_absent());
    CHECK(edited("/event/executionResults/onChain", "null").view().execution_results.on_chain.wallets.is_absent());
    CHECK(edited("/event/executionResults/onChain", "{}").view().execution_results.on_chain.wallets.is_absent());
    const std::string_view wallets_json = "[ {\"chain\": \"x\",\n \"n\": [1, 2]} ]";
    member_variant v(qtest::replace_first(qtest::read_fixture(qtest::member_created_file), "\"wallets\": []",
                                          "\"wallets\": " + std::string(wallets_json) + "  "));
    CHECK(v.view().execution_results.on_chain.wallets.text() == wallets_json);
  }
  SECTION("the ledger wallet may be null or absent") {
    member_variant nulls = edited("/event/executionResults/ledgerWalletId", "null");
    CHECK_FALSE(nulls.view().execution_results.ledger_wallet_id.has_value());
    CHECK(nulls.view().execution_results.ledger_wallet_key.value_or("") == "wal_01JSKZE71W1MD7KWS453W9VJDH");
    member_variant absent = removed("/event/executionResults/ledgerWalletKey");
    CHECK_FALSE(absent.view().execution_results.ledger_wallet_key.has_value());
    CHECK(absent.view().execution_results.ledger_wallet_id.value_or(0) == 16069);
  }
  SECTION("an empty profile") {
    member_variant v = edited("/event/executionResults/profile", "{}");
    const qw::member_profile& p = v.view().execution_results.profile;
    CHECK_FALSE(p.name);
    CHECK_FALSE(p.email);
    CHECK_FALSE(p.gov_id);
    CHECK(p.emails.empty());
    CHECK_FALSE(p.last_name);
    CHECK_FALSE(p.birthdate);
    CHECK_FALSE(p.phone_number);
    // The payload's profile is decoded on its own.
    CHECK(v.view().payload.profile.name.value_or("") == "John");
  }
  SECTION("a profile with every field null") {
    member_variant v = edited("/event/payload/profile",
                              "{\"name\":null,\"email\":null,\"govId\":null,\"emails\":null,\"lastName\":null,"
                              "\"birthdate\":null,\"phoneNumber\":null}");
    const qw::member_profile& p = v.view().payload.profile;
    CHECK_FALSE(p.name);
    CHECK_FALSE(p.email);
    CHECK_FALSE(p.gov_id);
    CHECK(p.emails.empty());
    CHECK_FALSE(p.last_name);
    CHECK_FALSE(p.birthdate);
    CHECK_FALSE(p.phone_number);
  }
  SECTION("emails in the payload's profile, several in the member's") {
    qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
    qtest::json_set(tree, "/event/executionResults/profile/emails", "[\"a@x.io\", \"b@x.io\", \"c@x.io\"]");
    qtest::json_set(tree, "/event/payload/profile/emails", "[\"p@x.io\"]");
    member_variant v(qtest::json_dump(tree));
    const qw::member_created& m = v.view();
    REQUIRE(m.execution_results.profile.emails.size() == 3);
    CHECK(m.execution_results.profile.emails[0] == "a@x.io");
    CHECK(m.execution_results.profile.emails[1] == "b@x.io");
    CHECK(m.execution_results.profile.emails[2] == "c@x.io");
    REQUIRE(m.payload.profile.emails.size() == 1);
    CHECK(m.payload.profile.emails[0] == "p@x.io");
  }
}

TEST_CASE("member-created: long lists keep every item", "[member-created][long]") {
  constexpr int count = 10000;
  std::string tiers = "[", organizations = "[", emails = "[";
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    const char* sep = i ? "," : "";
    tiers += sep + std::string("{\"loyaltyTierId\":") + n + ",\"loyaltyProgramId\":" + std::to_string(i * 2) +
             ",\"loyaltyManualTierId\":" + (i % 2 ? n : "null") + "}";
    organizations += sep + std::string("{\"active\":") + (i % 3 ? "true" : "false") +
                     ",\"createdAt\":\"2025-04-24T13:22:50.156Z\",\"updatedAt\":\"2025-04-24T13:22:50.157Z\","
                     "\"loyaltyMemberId\":\"m" +
                     n + "\",\"publicLoyaltyMemberId\":\"p-" + n + "\"}";
    emails += sep + std::string("\"user") + n + "@example.com\"";
  }
  tiers += "]";
  organizations += "]";
  emails += "]";
  qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
  qtest::json_set(tree, "/event/executionResults/tiers", tiers);
  qtest::json_set(tree, "/event/executionResults/organizations", organizations);
  qtest::json_set(tree, "/event/executionResults/profile/emails", emails);
  qtest::json_set(tree, "/event/payload/profile/emails", emails);
  qw::parser_options options;
  options.max_body_size = 8 << 20;  // the body is about 2.5 MB
  member_variant v(qtest::json_dump(tree), options);
  const qw::member& m = v.view().execution_results;

  REQUIRE(m.tiers.size() == count);
  CHECK(m.tiers[0].loyalty_tier_id == 0);
  CHECK_FALSE(m.tiers[0].loyalty_manual_tier_id);
  CHECK(m.tiers[count - 1].loyalty_tier_id == count - 1);
  CHECK(m.tiers[count - 1].loyalty_program_id == 2 * (count - 1));
  CHECK(m.tiers[count - 1].loyalty_manual_tier_id.value_or(-1) == count - 1);
  std::int64_t sum = 0;
  for (const qw::tier& t : m.tiers) sum += t.loyalty_tier_id;
  CHECK(sum == std::int64_t{count} * (count - 1) / 2);

  REQUIRE(m.organizations.size() == count);
  CHECK(m.organizations[count - 1].loyalty_member_id == "m9999");
  CHECK(m.organizations[count - 1].public_loyalty_member_id == "p-9999");
  CHECK(m.organizations[count - 1].active == ((count - 1) % 3 != 0));
  CHECK(qtest::unix_ms(m.organizations[count - 1].updated_at) == 1745500970157);

  REQUIRE(m.profile.emails.size() == count);
  CHECK(m.profile.emails[0] == "user0@example.com");
  CHECK(m.profile.emails[count - 1] == "user9999@example.com");
  const qw::member_profile& p = v.view().payload.profile;
  REQUIRE(p.emails.size() == count);
  CHECK(p.emails[count - 1] == "user9999@example.com");
  // The two email lists are distinct storage.
  CHECK(p.emails.begin() != m.profile.emails.begin());
}
