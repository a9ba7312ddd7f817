#pragma once
// Compile-time checks of a visitor, so that a wrong one fails to build instead of acknowledging every event
// unprocessed. dispatch() runs them for every visitor it is given.
//
// A visitor is rejected when:
// - an overload takes a non-const reference to an event (`member_created&`): dispatch hands out const views, so it
//   would never run;
// - its const and non-const invocability differ for an event type (an `operator()` without `const`): receivers call
//   the visitor through a const reference, so such an overload would run in unit tests and never in production;
// - an overload takes an event by rvalue reference (`member_created&&`): it would never run either;
// - it handles no known event type and has no fallback (`const event_envelope&`): every event would be acknowledged
//   with nothing done.

#include <cstddef>
#include <type_traits>
#include <utility>

#include "../events/event_envelope.hpp"
#include "../events/known_events.hpp"

namespace qurable::webhooks::detail {

// V is the visitor type without reference or const.
template <class V, class T>
struct visitor_probe {
  static constexpr bool as_const = std::is_invocable_v<const V&, const T&>;
  static constexpr bool as_mutable = std::is_invocable_v<V&, const T&>;
  static constexpr bool handles = as_const || as_mutable;
  // Callable only with a non-const event: an overload taking `T&`.
  static constexpr bool wants_mutable_event =
      !handles && (std::is_invocable_v<V&, T&> || std::is_invocable_v<const V&, T&>);
  // Callable only with an rvalue event: an overload taking `T&&`.
  static constexpr bool wants_rvalue_event =
      !handles && (std::is_invocable_v<V&, T&&> || std::is_invocable_v<const V&, T&&>);
};

template <class V, class T>
constexpr bool check_overload() {
  static_assert(!visitor_probe<V, T>::wants_mutable_event,
                "qurable::webhooks visitor: an overload takes a non-const reference to an event. Fix: take it as "
                "`const T&` (e.g. `const qurable::webhooks::member_created&`); events are read-only views.");
  static_assert(!visitor_probe<V, T>::wants_rvalue_event,
                "qurable::webhooks visitor: an overload takes an event by rvalue reference (`T&&`). Fix: take it as "
                "`const T&`; events are read-only views that dispatch never moves from.");
  static_assert(visitor_probe<V, T>::as_const == visitor_probe<V, T>::as_mutable,
                "qurable::webhooks visitor: an operator() is not const. Fix: declare it `const` (receivers call the "
                "visitor through a const reference, so a non-const overload would never run there); keep state "
                "behind a pointer or reference, or make it `mutable`.");
  return true;
}

template <class V, std::size_t... I>
constexpr bool check_visitor(std::index_sequence<I...>) {
  (check_overload<V, typename type_at<I, known_events>::type>(), ...);
  check_overload<V, event_envelope>();
  constexpr bool any = (visitor_probe<V, typename type_at<I, known_events>::type>::handles || ...) ||
                       visitor_probe<V, event_envelope>::handles;
  static_assert(any,
                "qurable::webhooks visitor: it handles no known event type and has no fallback, so every event "
                "would be acknowledged unprocessed. Fix: add overloads taking `const member_created&`, "
                "`const coupon_code_assigned&`, `const coupon_code_used&` (or `const coupon_event&`), and/or a "
                "fallback taking `const event_envelope&`.");
  return any;
}

// True, or a static_assert naming the fix. `Visitor` may be a reference and const.
template <class Visitor>
constexpr bool checked_visitor() {
  using V = std::remove_cv_t<std::remove_reference_t<Visitor>>;
  return check_visitor<V>(std::make_index_sequence<known_events::size>{});
}

}  // namespace qurable::webhooks::detail
