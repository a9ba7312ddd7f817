#pragma once
// `coupon-code-assigned` and `coupon-code-used`: both carry a coupon usage record and the coupon book.

#include <cstdint>
#include <optional>
#include <string_view>

#include "event_envelope.hpp"
#include "json.hpp"
#include "schema.hpp"
#include "timestamp.hpp"

namespace qurable::webhooks {

struct coupon {
  std::string_view code;                // code
  timestamp created_at;                 // createdAt
  std::optional<timestamp> expired_at;  // expiredAt (a coupon may never expire)
  timestamp updated_at;                 // updatedAt
  std::int64_t total_usages = 0;        // totalUsages
  std::int64_t total_assigned = 0;      // totalAssigned
  std::string_view coupon_book_key;     // couponBookKey
  raw_json custom_attributes;           // customAttributes (free-form)
};

// One assignment or use of a coupon: executionResults, and payload.usage.
struct coupon_usage {
  webhooks::coupon coupon;                            // coupon
  timestamp created_at;                               // createdAt
  timestamp updated_at;                               // updatedAt
  std::int64_t amount_used = 0;                       // amountUsed
  std::int64_t amount_assigned = 0;                   // amountAssigned
  std::string_view coupon_usage_key;                  // couponUsageKey
  std::optional<std::string_view> reverted_usage_id;  // revertedUsageId (a number is kept as its digits)
  std::string_view system_unique_key;                 // systemUniqueKey
  std::optional<std::string_view> loyalty_member_id;  // loyaltyMemberId (in payload.usage only)
  raw_json custom_attributes;                         // customAttributes (free-form)
  std::int64_t updated_total_usages = 0;              // updatedTotalUsages
  std::int64_t updated_total_assigned = 0;            // updatedTotalAssigned
};

struct coupon_book {
  std::string_view coupon_book_key;             // couponBookKey
  std::string_view name;                        // name
  std::string_view type;                        // type, e.g. "generated"
  std::optional<std::string_view> external_id;  // externalId
  std::optional<std::string_view> picture_url;  // pictureUrl
  std::optional<std::string_view> description;  // description (HTML as sent)
  std::optional<timestamp> valid_to_date;       // validToDate
  std::optional<timestamp> valid_from_date;     // validFromDate
  std::string_view discount_type;               // discountType, e.g. "percentage"
  double discount_amount = 0;                   // discountAmount (may be fractional)
  raw_json tags;                                // tags (free-form)
  raw_json custom_attributes;                   // customAttributes (free-form)
};

struct coupon_payload {
  coupon_usage usage;                 // usage
  webhooks::coupon_book coupon_book;  // couponBook
};

// What both coupon events share: a visitor may take `const coupon_event&` to handle both in one overload.
struct coupon_event {
  event_envelope envelope;
  coupon_usage execution_results;
  coupon_payload payload;
};

struct coupon_code_assigned : coupon_event {
  static constexpr std::string_view type_name = "coupon-code-assigned";
};

struct coupon_code_used : coupon_event {
  static constexpr std::string_view type_name = "coupon-code-used";
};

// --- descriptions (docs/events.md is checked against them) -------------------------------------------------------
template <>
struct schema<coupon> {
  static constexpr std::string_view name = "coupon";
  using C = coupon;
  static constexpr auto fields = std::make_tuple(
      field("code", &C::code, rule::required), field("createdAt", &C::created_at, rule::required),
      field("expiredAt", &C::expired_at, rule::optional), field("updatedAt", &C::updated_at, rule::required),
      field("totalUsages", &C::total_usages, rule::required),
      field("totalAssigned", &C::total_assigned, rule::required),
      field("couponBookKey", &C::coupon_book_key, rule::required),
      field("customAttributes", &C::custom_attributes, rule::optional));
};

template <>
struct schema<coupon_usage> {
  static constexpr std::string_view name = "coupon_usage";
  using U = coupon_usage;
  static constexpr auto fields = std::make_tuple(
      field("coupon", &U::coupon, rule::required), field("createdAt", &U::created_at, rule::required),
      field("updatedAt", &U::updated_at, rule::required), field("amountUsed", &U::amount_used, rule::required),
      field("amountAssigned", &U::amount_assigned, rule::required),
      field("couponUsageKey", &U::coupon_usage_key, rule::required),
      field("revertedUsageId", &U::reverted_usage_id, rule::optional | rule::id),
      field("systemUniqueKey", &U::system_unique_key, rule::required),
      field("loyaltyMemberId", &U::loyalty_member_id, rule::optional | rule::id),
      field("customAttributes", &U::custom_attributes, rule::optional),
      field("updatedTotalUsages", &U::updated_total_usages, rule::required),
      field("updatedTotalAssigned", &U::updated_total_assigned, rule::required));
};

template <>
struct schema<coupon_book> {
  static constexpr std::string_view name = "coupon_book";
  using B = coupon_book;
  static constexpr auto fields = std::make_tuple(
      field("couponBookKey", &B::coupon_book_key, rule::required), field("name", &B::name, rule::required),
      field("type", &B::type, rule::required), field("externalId", &B::external_id, rule::optional),
      field("pictureUrl", &B::picture_url, rule::optional), field("description", &B::description, rule::optional),
      field("validToDate", &B::valid_to_date, rule::optional),
      field("validFromDate", &B::valid_from_date, rule::optional),
      field("discountType", &B::discount_type, rule::required),
      field("discountAmount", &B::discount_amount, rule::required), field("tags", &B::tags, rule::optional),
      field("customAttributes", &B::custom_attributes, rule::optional));
};

template <>
struct schema<coupon_payload> {
  static constexpr std::string_view name = "coupon_payload";
  static constexpr auto fields = std::make_tuple(field("usage", &coupon_payload::usage, rule::required),
                                                 field("couponBook", &coupon_payload::coupon_book, rule::required));
};

// Both coupon event types share one description (coupon_code_assigned and coupon_code_used derive from it).
template <>
struct schema<coupon_event> {
  static constexpr std::string_view name = "coupon_event";
  static constexpr auto fields =
      std::make_tuple(field("executionResults", &coupon_event::execution_results, rule::required),
                      field("payload", &coupon_event::payload, rule::required));
};
template <>
struct schema<coupon_code_assigned> : schema<coupon_event> {};
template <>
struct schema<coupon_code_used> : schema<coupon_event> {};

}  // namespace qurable::webhooks
