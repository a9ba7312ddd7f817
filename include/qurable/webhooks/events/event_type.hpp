#pragma once
// The event types the SDK models. The platform adds types over time: anything else is `unknown`, which is normal.

#include <cstdint>
#include <string_view>

#include "known_events.hpp"

namespace qurable::webhooks {

// One enumerator per entry of known_events, in the same order (known_events[i] is event_type(i + 1)).
enum class event_type : std::uint8_t { unknown = 0, member_created, coupon_code_assigned, coupon_code_used };

// The event_type of a known event struct, e.g. event_type_of<member_created> == event_type::member_created.
template <class T>
constexpr event_type event_type_of = is_known_event<T>
                                         ? static_cast<event_type>(detail::index_in<T, known_events>::value + 1)
                                         : event_type::unknown;

constexpr event_type to_event_type(std::string_view name) noexcept {
  const auto& names = detail::type_names<known_events>::value;
  for (std::size_t i = 0; i < known_events::size; ++i) {
    if (names[i] == name) return static_cast<event_type>(i + 1);
  }
  return event_type::unknown;
}

constexpr std::string_view to_string(event_type type) noexcept {
  const auto i = static_cast<std::size_t>(type);
  if (i == 0 || i > known_events::size) return "unknown";
  return detail::type_names<known_events>::value[i - 1];
}

static_assert(to_string(event_type::member_created) == member_created::type_name &&
                  to_string(event_type::coupon_code_assigned) == coupon_code_assigned::type_name &&
                  to_string(event_type::coupon_code_used) == coupon_code_used::type_name &&
                  static_cast<std::size_t>(event_type::coupon_code_used) == known_events::size,
              "event_type lists one enumerator per known_events entry, in the same order");

}  // namespace qurable::webhooks
