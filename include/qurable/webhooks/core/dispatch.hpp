#pragma once
// Event → the visitor's overload for its type. Chosen at compile time: a switch on the decoded type, no virtual
// call, no map.
//
// A visitor is any callable with overloads taking `const member_created&`, `const coupon_code_assigned&`,
// `const coupon_code_used&` (or `const coupon_event&` for both coupon types), plus an optional fallback taking
// `const event_envelope&`. A known type without its own overload goes to the fallback; an unknown type always
// does. With no fallback either, the event is still acknowledged (the platform adds types), as `unhandled` for an
// unknown type and as `no_handler` ("no handler for member-created") for a known type the visitor leaves out.
// Overloads return void (success) or handler_result; with exceptions enabled, a throwing handler is a failure.
// Overloads are `const` and take const references: anything else is a compile error naming the fix
// (core/visitor_checks.hpp), since receivers call the visitor through a const reference.

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../detail/contain.hpp"
#include "../events/coupon_events.hpp"
#include "../events/event_envelope.hpp"
#include "../events/known_events.hpp"
#include "../events/member_created.hpp"
#include "parser.hpp"
#include "visitor_checks.hpp"

namespace qurable::webhooks {

// What a handler returns when it can fail: the SDK answers 5xx so that the platform retries.
struct handler_result {
  bool failed = false;
  std::string message;

  static handler_result success() { return {}; }
  static handler_result failure(std::string message) { return {true, std::move(message)}; }
};

// Builds a visitor from lambdas: overloaded{[](const member_created&) {...}, [](const event_envelope&) {...}}.
template <class... Handlers>
struct overloaded : Handlers... {
  using Handlers::operator()...;
};
template <class... Handlers>
overloaded(Handlers...) -> overloaded<Handlers...>;

enum class dispatch_status : unsigned char {
  handled,     // a handler (or the fallback) took the event
  unhandled,   // an unknown event type, and no fallback
  failed,      // the handler failed
  no_handler,  // a known event type the visitor has no overload for, and no fallback
};

struct dispatch_result {
  dispatch_status status = dispatch_status::unhandled;
  std::string message;      // set when failed
  std::string_view reason;  // static text: "no handler for member-created" (no_handler), "unknown event type"
};

namespace detail {

// A handler that throws is a failure with what it said (containment is written once, in detail/contain.hpp).
template <class Visitor, class Event>
dispatch_result call_handler(Visitor& visitor, const Event& event) noexcept {
  using returned = std::invoke_result_t<Visitor&, const Event&>;
  static_assert(std::is_void_v<returned> || std::is_convertible_v<returned, handler_result>,
                "an event handler returns void or qurable::webhooks::handler_result");
  dispatch_result out{dispatch_status::handled, {}, {}};
  const bool returned_normally = call_contained(
      [&] {
        if constexpr (std::is_void_v<returned>) {
          std::invoke(visitor, event);
        } else {
          handler_result result = std::invoke(visitor, event);
          if (result.failed) {
            out.status = dispatch_status::failed;
            out.message = std::move(result.message);
          }
        }
      },
      out.message);
  if (!returned_normally) out.status = dispatch_status::failed;
  return out;
}

template <class Visitor>
dispatch_result call_fallback(Visitor& visitor, const event_envelope& envelope) {
  if constexpr (std::is_invocable_v<Visitor&, const event_envelope&>) {
    return call_handler(visitor, envelope);
  } else {
    return {dispatch_status::unhandled, {}, "unknown event type"};
  }
}

// "no handler for <type_name>", as static text: reporting it allocates nothing.
template <class Event>
struct no_handler_text {
  static constexpr std::string_view prefix = "no handler for ";
  static constexpr std::size_t size = prefix.size() + Event::type_name.size();
  static constexpr std::array<char, size> text = [] {
    std::array<char, size> out{};
    for (std::size_t i = 0; i < prefix.size(); ++i) out[i] = prefix[i];
    for (std::size_t i = 0; i < Event::type_name.size(); ++i) out[prefix.size() + i] = Event::type_name[i];
    return out;
  }();
  static constexpr std::string_view view() noexcept { return std::string_view(text.data(), text.size()); }
};

template <class Visitor, class Event>
dispatch_result call_typed(Visitor& visitor, const Event* typed, const event_envelope& envelope) {
  if constexpr (std::is_invocable_v<Visitor&, const Event&>) {
    return call_handler(visitor, *typed);
  } else if constexpr (std::is_invocable_v<Visitor&, const event_envelope&>) {
    return call_handler(visitor, envelope);
  } else {
    return {dispatch_status::no_handler, {}, no_handler_text<Event>::view()};
  }
}

template <class Visitor, std::size_t... I>
dispatch_result dispatch_known(const event& e, Visitor& visitor, std::index_sequence<I...>) {
  dispatch_result result;
  const bool known =
      ((e.type() == static_cast<event_type>(I + 1)
            ? (result = call_typed(visitor, e.get_if<typename type_at<I, known_events>::type>(), e.envelope()), true)
            : false) ||
       ...);
  return known ? result : call_fallback(visitor, e.envelope());
}

}  // namespace detail

// Calls the visitor's overload for the event's type (one of known_events), else its fallback.
template <class Visitor>
dispatch_result dispatch(const event& e, Visitor&& visitor) {
  static_assert(detail::checked_visitor<Visitor>(), "see the static_assert above for the fix");
  // Always through a const reference, as the receivers call it: the same overload runs in tests and in production.
  const std::remove_reference_t<Visitor>& as_const = visitor;
  return detail::dispatch_known(e, as_const, std::make_index_sequence<known_events::size>{});
}

}  // namespace qurable::webhooks
