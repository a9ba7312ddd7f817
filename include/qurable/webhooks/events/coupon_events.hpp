#pragma once
// `coupon-code-assigned` and `coupon-code-used`: both carry a coupon usage record and the coupon book.

#include <cstdint>
#include <optional>
#include <string_view>

#include "event_envelope.hpp"
#include "json.hpp"
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

}  // namespace qurable::webhooks
