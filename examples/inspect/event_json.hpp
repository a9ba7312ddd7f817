#pragma once
// `qurable-inspect --dump`: an event rendered back to JSON from the SDK's typed views alone, in the platform's
// structure and camelCase names. It never echoes the body, so what it prints is exactly what a handler can see;
// only the values the SDK keeps as raw_json (customAttributes, tags, ...) are written as their JSON text.
//
// Rules, shared with --help and docs/inspect.md:
// - a field of the type's payload that is null or absent is written as null (the SDK cannot tell them apart);
// - a field the SDK models for another type only (loyaltyEventId outside member-created, loyaltyMemberId outside
//   coupon events and in executionResults of a coupon event, emails in member-created's payload profile) is
//   written only when it has a value, so that the output keeps the platform's structure;
// - identifiers the platform may send as a string or a number (loyaltyEventId, revertedUsageId,
//   publicLoyaltyMemberId of the payload) are written as strings: the SDK keeps a number as its digits;
// - an unknown type has only its envelope, executionResults and payload as raw JSON, and since only eventType is
//   required there, an empty string or timestamp is written as null.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <qurable/webhooks.hpp>

#include "json_writer.hpp"

namespace qurable_inspect {

namespace qw = qurable::webhooks;

namespace detail {

// --- values --------------------------------------------------------------------------------------------------------
inline void value(json_writer& w, std::string_view s) { w.string(s); }
inline void value(json_writer& w, std::int64_t n) { w.integer(n); }
inline void value(json_writer& w, bool b) { w.boolean(b); }
inline void value(json_writer& w, double d) { w.number(d); }
inline void value(json_writer& w, const qw::timestamp& t) { w.string(t.raw()); }
inline void value(json_writer& w, const qw::raw_json& json) {
  if (json.is_absent()) {
    w.null();
  } else {
    w.raw(json.text());
  }
}

template <class T>
void field(json_writer& w, std::string_view name, const T& v);

inline void value(json_writer& w, const qw::tier& t) {
  w.begin_object();
  field(w, "loyaltyTierId", t.loyalty_tier_id);
  field(w, "loyaltyProgramId", t.loyalty_program_id);
  field(w, "loyaltyManualTierId", t.loyalty_manual_tier_id);
  field(w, "loyaltySystemTierId", t.loyalty_system_tier_id);
  w.end_object();
}

inline void value(json_writer& w, const qw::gov_id& g) {
  w.begin_object();
  field(w, "id", g.id);
  field(w, "type", g.type);
  field(w, "issuingCountry", g.issuing_country);
  w.end_object();
}

inline void value(json_writer& w, const qw::organization& o) {
  w.begin_object();
  field(w, "active", o.active);
  field(w, "createdAt", o.created_at);
  field(w, "updatedAt", o.updated_at);
  field(w, "loyaltyMemberId", o.loyalty_member_id);
  field(w, "publicLoyaltyMemberId", o.public_loyalty_member_id);
  w.end_object();
}

template <class T>
void value(json_writer& w, const std::optional<T>& v) {
  if (v) {
    value(w, *v);
  } else {
    w.null();
  }
}

template <class T>
void value(json_writer& w, const qw::array_view<T>& items) {
  w.begin_array();
  for (const T& item : items) value(w, item);
  w.end_array();
}

template <class T>
void field(json_writer& w, std::string_view name, const T& v) {
  w.key(name);
  value(w, v);
}

// A field outside the type's documented payload: only when the platform sent a value.
template <class T>
void field_if_set(json_writer& w, std::string_view name, const std::optional<T>& v) {
  if (v) field(w, name, v);
}

// --- member-created ------------------------------------------------------------------------------------------------
inline void write_profile(json_writer& w, const qw::member_profile& p, bool emails_documented) {
  w.begin_object();
  field(w, "name", p.name);
  field(w, "email", p.email);
  field(w, "govId", p.gov_id);
  if (emails_documented || !p.emails.empty()) field(w, "emails", p.emails);
  field(w, "lastName", p.last_name);
  field(w, "birthdate", p.birthdate);
  field(w, "phoneNumber", p.phone_number);
  w.end_object();
}

inline void write_member(json_writer& w, const qw::member& m) {
  w.begin_object();
  field(w, "tiers", m.tiers);
  field(w, "active", m.active);
  w.key("onChain").begin_object();
  field(w, "wallets", m.on_chain.wallets);
  w.end_object();
  w.key("profile");
  write_profile(w, m.profile, true);
  field(w, "createdAt", m.created_at);
  field(w, "updatedAt", m.updated_at);
  field(w, "organizations", m.organizations);
  field(w, "ledgerWalletId", m.ledger_wallet_id);
  field(w, "ledgerWalletKey", m.ledger_wallet_key);
  w.end_object();
}

inline void write_member_request(json_writer& w, const qw::member_request& r) {
  w.begin_object();
  field(w, "active", r.active);
  w.key("profile");
  write_profile(w, r.profile, false);
  field(w, "loyaltyMemberId", r.loyalty_member_id);
  field(w, "publicLoyaltyMemberId", r.public_loyalty_member_id);
  w.end_object();
}

// --- coupon events -------------------------------------------------------------------------------------------------
inline void write_coupon(json_writer& w, const qw::coupon& c) {
  w.begin_object();
  field(w, "code", c.code);
  field(w, "createdAt", c.created_at);
  field(w, "expiredAt", c.expired_at);
  field(w, "updatedAt", c.updated_at);
  field(w, "totalUsages", c.total_usages);
  field(w, "totalAssigned", c.total_assigned);
  field(w, "couponBookKey", c.coupon_book_key);
  field(w, "customAttributes", c.custom_attributes);
  w.end_object();
}

// `in_payload`: payload.usage documents loyaltyMemberId, executionResults does not.
inline void write_usage(json_writer& w, const qw::coupon_usage& u, bool in_payload) {
  w.begin_object();
  w.key("coupon");
  write_coupon(w, u.coupon);
  field(w, "createdAt", u.created_at);
  field(w, "updatedAt", u.updated_at);
  field(w, "amountUsed", u.amount_used);
  field(w, "amountAssigned", u.amount_assigned);
  field(w, "couponUsageKey", u.coupon_usage_key);
  field(w, "revertedUsageId", u.reverted_usage_id);
  field(w, "systemUniqueKey", u.system_unique_key);
  if (in_payload) {
    field(w, "loyaltyMemberId", u.loyalty_member_id);
  } else {
    field_if_set(w, "loyaltyMemberId", u.loyalty_member_id);
  }
  field(w, "customAttributes", u.custom_attributes);
  field(w, "updatedTotalUsages", u.updated_total_usages);
  field(w, "updatedTotalAssigned", u.updated_total_assigned);
  w.end_object();
}

inline void write_coupon_book(json_writer& w, const qw::coupon_book& b) {
  w.begin_object();
  field(w, "couponBookKey", b.coupon_book_key);
  field(w, "name", b.name);
  field(w, "type", b.type);
  field(w, "externalId", b.external_id);
  field(w, "pictureUrl", b.picture_url);
  field(w, "description", b.description);
  field(w, "validToDate", b.valid_to_date);
  field(w, "validFromDate", b.valid_from_date);
  field(w, "discountType", b.discount_type);
  field(w, "discountAmount", b.discount_amount);
  field(w, "tags", b.tags);
  field(w, "customAttributes", b.custom_attributes);
  w.end_object();
}

// --- the envelope --------------------------------------------------------------------------------------------------
enum class schema { member_created, coupon, unknown };

// For an unknown type, where the SDK leaves a missing field empty.
inline void field_or_null(json_writer& w, std::string_view name, std::string_view s, bool empty_is_null) {
  w.key(name);
  if (empty_is_null && s.empty()) {
    w.null();
  } else {
    w.string(s);
  }
}

// {"event":{...}} in the order the platform sends it; the two callables write executionResults and payload.
template <class WriteResults, class WritePayload>
std::string write_event(const qw::event_envelope& env, schema type, WriteResults&& write_results,
                        WritePayload&& write_payload) {
  const bool unknown = type == schema::unknown;
  json_writer w;
  w.begin_object().key("event").begin_object();
  if (type == schema::coupon) {
    field_if_set(w, "loyaltyEventId", env.loyalty_event_id);
  } else {
    field(w, "loyaltyEventId", env.loyalty_event_id);
  }
  field(w, "eventType", env.event_type);
  field_or_null(w, "status", env.status, unknown);
  field_or_null(w, "loyaltyEventKey", env.loyalty_event_key, unknown);
  field_or_null(w, "updatedAt", env.updated_at.raw(), unknown);
  field_or_null(w, "createdAt", env.created_at.raw(), unknown);
  field_or_null(w, "systemUniqueKey", env.system_unique_key, unknown);
  if (type == schema::member_created) {
    field_if_set(w, "loyaltyMemberId", env.loyalty_member_id);
  } else {
    field(w, "loyaltyMemberId", env.loyalty_member_id);
  }
  w.key("executionResults");
  write_results(w);
  w.key("payload");
  write_payload(w);
  field(w, "externalEventDate", env.external_event_date);
  field(w, "evaluationStatus", env.evaluation_status);
  field(w, "externalId", env.external_id);
  field(w, "lastError", env.last_error);
  field(w, "description", env.description);
  field(w, "tags", env.tags);
  field(w, "evaluationResults", env.evaluation_results);
  w.end_object().end_object();
  return w.str();
}

}  // namespace detail

// Each returns the whole {"event":{...}} document on one line.
inline std::string event_to_json(const qw::member_created& e) {
  return detail::write_event(
      e.envelope, detail::schema::member_created, [&](json_writer& w) { detail::write_member(w, e.execution_results); },
      [&](json_writer& w) { detail::write_member_request(w, e.payload); });
}

// coupon-code-assigned and coupon-code-used.
inline std::string event_to_json(const qw::coupon_event& e) {
  return detail::write_event(
      e.envelope, detail::schema::coupon, [&](json_writer& w) { detail::write_usage(w, e.execution_results, false); },
      [&](json_writer& w) {
        w.begin_object().key("usage");
        detail::write_usage(w, e.payload.usage, true);
        w.key("couponBook");
        detail::write_coupon_book(w, e.payload.coupon_book);
        w.end_object();
      });
}

// An event of a type the SDK does not know: its envelope, with executionResults and payload as raw JSON.
inline std::string envelope_to_json(const qw::event_envelope& env) {
  return detail::write_event(
      env, detail::schema::unknown, [&](json_writer& w) { detail::value(w, env.execution_results); },
      [&](json_writer& w) { detail::value(w, env.payload); });
}

// Any decoded event, by its type.
inline std::string event_to_json(const qw::event& e) {
  if (const auto* member = e.get_if<qw::member_created>()) return event_to_json(*member);
  if (const auto* coupon = e.get_if<qw::coupon_event>()) return event_to_json(*coupon);
  return envelope_to_json(e.envelope());
}

}  // namespace qurable_inspect
