#pragma once
// The event types the SDK models. The platform adds types over time: anything else is `unknown`, which is normal.

#include <cstdint>
#include <string_view>

#include "known_events.hpp"

namespace qurable::webhooks {

// `unknown`, then one enumerator per known event, named as its struct and in the order of known_events
// (event_type::member_created, ...; known_events[i] is event_type(i + 1)). Both come from
// QURABLE_WEBHOOKS_KNOWN_EVENTS.
enum class event_type : std::uint8_t { unknown = 0 QURABLE_WEBHOOKS_KNOWN_EVENTS(QURABLE_WEBHOOKS_DETAIL_COMMA_NAME) };

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

}  // namespace qurable::webhooks
