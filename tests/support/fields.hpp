#pragma once
// Every field of every view, walked in one place: tests compare whole events through describe() (e.g. a reordered
// body against the original), and the allocation test reads every field through a sink that allocates nothing.
//
// A sink has: value(name, x) for std::string_view, std::int64_t, double, bool, const timestamp&, const raw_json&;
// null(name) for an empty optional; list(name, size) before the items of a list. Names are static strings: items
// of a list are reported in order after list().

#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <qurable/webhooks.hpp>

#include "catch.hpp"

namespace qtest {

namespace qw = qurable::webhooks;

// A timestamp's value in Unix milliseconds; the test fails when it does not parse.
inline std::int64_t unix_ms(const qw::timestamp& t) {
  qw::time_point value{};
  REQUIRE(t.get(value) == qw::error_code::none);
  return value.time_since_epoch().count();
}

template <class Sink, class T>
void optional_field(Sink& sink, std::string_view name, const std::optional<T>& value) {
  if (value) {
    sink.value(name, *value);
  } else {
    sink.null(name);
  }
}

template <class Sink>
void visit_fields(Sink& sink, const qw::event_envelope& e, bool with_sections = true) {
  sink.value("eventType", e.event_type);
  sink.value("status", e.status);
  sink.value("loyaltyEventKey", e.loyalty_event_key);
  optional_field(sink, "loyaltyEventId", e.loyalty_event_id);
  sink.value("systemUniqueKey", e.system_unique_key);
  optional_field(sink, "loyaltyMemberId", e.loyalty_member_id);
  sink.value("createdAt", e.created_at);
  sink.value("updatedAt", e.updated_at);
  optional_field(sink, "externalEventDate", e.external_event_date);
  optional_field(sink, "externalId", e.external_id);
  sink.value("lastError", e.last_error);
  optional_field(sink, "description", e.description);
  sink.value("tags", e.tags);
  optional_field(sink, "evaluationStatus", e.evaluation_status);
  sink.value("evaluationResults", e.evaluation_results);
  if (with_sections) {  // a typed view decodes them: its description lists their fields instead of their text
    sink.value("executionResults", e.execution_results);
    sink.value("payload", e.payload);
  }
}

template <class Sink>
void visit_fields(Sink& sink, const qw::member_profile& p) {
  optional_field(sink, "profile/name", p.name);
  optional_field(sink, "profile/email", p.email);
  if (p.gov_id) {
    sink.value("profile/govId/id", p.gov_id->id);
    sink.value("profile/govId/type", p.gov_id->type);
    sink.value("profile/govId/issuingCountry", p.gov_id->issuing_country);
  } else {
    sink.null("profile/govId");
  }
  sink.list("profile/emails", p.emails.size());
  for (std::string_view email : p.emails) sink.value("profile/emails/*", email);
  optional_field(sink, "profile/lastName", p.last_name);
  optional_field(sink, "profile/birthdate", p.birthdate);
  optional_field(sink, "profile/phoneNumber", p.phone_number);
}

template <class Sink>
void visit_fields(Sink& sink, const qw::member_created& e) {
  visit_fields(sink, e.envelope, false);
  const qw::member& m = e.execution_results;
  sink.list("executionResults/tiers", m.tiers.size());
  for (const qw::tier& t : m.tiers) {
    sink.value("tiers/*/loyaltyTierId", t.loyalty_tier_id);
    sink.value("tiers/*/loyaltyProgramId", t.loyalty_program_id);
    optional_field(sink, "tiers/*/loyaltyManualTierId", t.loyalty_manual_tier_id);
    optional_field(sink, "tiers/*/loyaltySystemTierId", t.loyalty_system_tier_id);
  }
  sink.value("executionResults/active", m.active);
  sink.value("executionResults/onChain/wallets", m.on_chain.wallets);
  visit_fields(sink, m.profile);
  sink.value("executionResults/createdAt", m.created_at);
  sink.value("executionResults/updatedAt", m.updated_at);
  sink.list("executionResults/organizations", m.organizations.size());
  for (const qw::organization& o : m.organizations) {
    sink.value("organizations/*/active", o.active);
    sink.value("organizations/*/createdAt", o.created_at);
    sink.value("organizations/*/updatedAt", o.updated_at);
    sink.value("organizations/*/loyaltyMemberId", o.loyalty_member_id);
    sink.value("organizations/*/publicLoyaltyMemberId", o.public_loyalty_member_id);
  }
  optional_field(sink, "executionResults/ledgerWalletId", m.ledger_wallet_id);
  optional_field(sink, "executionResults/ledgerWalletKey", m.ledger_wallet_key);
  const qw::member_request& r = e.payload;
  sink.value("payload/active", r.active);
  visit_fields(sink, r.profile);
  sink.value("payload/loyaltyMemberId", r.loyalty_member_id);
  optional_field(sink, "payload/publicLoyaltyMemberId", r.public_loyalty_member_id);
}

template <class Sink>
void visit_fields(Sink& sink, const qw::coupon_usage& u) {
  sink.value("coupon/code", u.coupon.code);
  sink.value("coupon/createdAt", u.coupon.created_at);
  optional_field(sink, "coupon/expiredAt", u.coupon.expired_at);
  sink.value("coupon/updatedAt", u.coupon.updated_at);
  sink.value("coupon/totalUsages", u.coupon.total_usages);
  sink.value("coupon/totalAssigned", u.coupon.total_assigned);
  sink.value("coupon/couponBookKey", u.coupon.coupon_book_key);
  sink.value("coupon/customAttributes", u.coupon.custom_attributes);
  sink.value("usage/createdAt", u.created_at);
  sink.value("usage/updatedAt", u.updated_at);
  sink.value("usage/amountUsed", u.amount_used);
  sink.value("usage/amountAssigned", u.amount_assigned);
  sink.value("usage/couponUsageKey", u.coupon_usage_key);
  optional_field(sink, "usage/revertedUsageId", u.reverted_usage_id);
  sink.value("usage/systemUniqueKey", u.system_unique_key);
  optional_field(sink, "usage/loyaltyMemberId", u.loyalty_member_id);
  sink.value("usage/customAttributes", u.custom_attributes);
  sink.value("usage/updatedTotalUsages", u.updated_total_usages);
  sink.value("usage/updatedTotalAssigned", u.updated_total_assigned);
}

template <class Sink>
void visit_fields(Sink& sink, const qw::coupon_event& e) {
  visit_fields(sink, e.envelope, false);
  visit_fields(sink, e.execution_results);
  visit_fields(sink, e.payload.usage);
  const qw::coupon_book& b = e.payload.coupon_book;
  sink.value("couponBook/couponBookKey", b.coupon_book_key);
  sink.value("couponBook/name", b.name);
  sink.value("couponBook/type", b.type);
  optional_field(sink, "couponBook/externalId", b.external_id);
  optional_field(sink, "couponBook/pictureUrl", b.picture_url);
  optional_field(sink, "couponBook/description", b.description);
  optional_field(sink, "couponBook/validToDate", b.valid_to_date);
  optional_field(sink, "couponBook/validFromDate", b.valid_from_date);
  sink.value("couponBook/discountType", b.discount_type);
  sink.value("couponBook/discountAmount", b.discount_amount);
  sink.value("couponBook/tags", b.tags);
  sink.value("couponBook/customAttributes", b.custom_attributes);
}

// Writes "name=value" lines: two events with the same description carry the same decoded values.
class describing_sink {
 public:
  void value(std::string_view name, std::string_view v) { line(name) << '"' << v << "\"\n"; }
  void value(std::string_view name, std::int64_t v) { line(name) << v << '\n'; }
  void value(std::string_view name, double v) { line(name) << std::setprecision(17) << v << '\n'; }
  void value(std::string_view name, bool v) { line(name) << (v ? "true" : "false") << '\n'; }
  void value(std::string_view name, const qw::timestamp& v) {
    std::ostream& out = line(name) << '"' << v.raw() << "\" = ";
    qw::time_point t{};
    if (v.get(t) == qw::error_code::none) {
      out << t.time_since_epoch().count() << " ms\n";
    } else {
      out << "invalid\n";
    }
  }
  void value(std::string_view name, const qw::raw_json& v) {
    line(name) << (v.is_absent() ? std::string_view("(absent)") : v.text()) << '\n';
  }
  void null(std::string_view name) { line(name) << "(none)\n"; }
  void list(std::string_view name, std::size_t size) { line(name) << size << " items\n"; }

  std::string str() const { return out_.str(); }

 private:
  std::ostream& line(std::string_view name) { return out_ << name << '='; }
  std::ostringstream out_;
};

template <class View>
std::string describe(const View& view) {
  describing_sink sink;
  visit_fields(sink, view);
  return sink.str();
}

// Every decoded value of a parsed event, whatever its type.
inline std::string describe(const qw::event& e) {
  if (const auto* m = e.get_if<qw::member_created>()) return describe(*m);
  if (const auto* c = e.get_if<qw::coupon_code_assigned>()) return "assigned\n" + describe<qw::coupon_event>(*c);
  if (const auto* c = e.get_if<qw::coupon_code_used>()) return "used\n" + describe<qw::coupon_event>(*c);
  return describe(e.envelope());
}

}  // namespace qtest
