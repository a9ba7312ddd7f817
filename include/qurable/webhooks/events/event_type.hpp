#pragma once
// The event types the SDK models. The platform adds types over time: anything else is `unknown`, which is normal.

#include <cstdint>
#include <string_view>

namespace qurable::webhooks {

enum class event_type : std::uint8_t { unknown = 0, member_created, coupon_code_assigned, coupon_code_used };

constexpr event_type to_event_type(std::string_view name) noexcept {
  if (name == "member-created") return event_type::member_created;
  if (name == "coupon-code-assigned") return event_type::coupon_code_assigned;
  if (name == "coupon-code-used") return event_type::coupon_code_used;
  return event_type::unknown;
}

constexpr std::string_view to_string(event_type type) noexcept {
  switch (type) {
    case event_type::member_created: return "member-created";
    case event_type::coupon_code_assigned: return "coupon-code-assigned";
    case event_type::coupon_code_used: return "coupon-code-used";
    case event_type::unknown: break;
  }
  return "unknown";
}

}  // namespace qurable::webhooks
