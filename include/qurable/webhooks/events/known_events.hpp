#pragma once
// The event types the SDK models, as one list: known_events, event_type's enumerators, `event` storage, get_if,
// dispatch and the decoder's switch on the type all follow from it. Adding an event type: its struct with
// `type_name`, its schema<T>, its header included here, and one line in QURABLE_WEBHOOKS_KNOWN_EVENTS.

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "coupon_events.hpp"
#include "member_created.hpp"
#include "schema.hpp"

namespace qurable::webhooks {

// X(struct) per known event, in the order of event_type. A macro because an enumerator cannot be made from a type:
// the one list gives both `type_list<member_created, ...>` and `event_type::member_created, ...`.
#define QURABLE_WEBHOOKS_KNOWN_EVENTS(X) \
  X(member_created)                      \
  X(coupon_code_assigned)                \
  X(coupon_code_used)                    \
  /* a new event type: one X(struct) line above this one */

// `, name` for each entry: the list goes after a first element (a placeholder type, or the `unknown` enumerator).
#define QURABLE_WEBHOOKS_DETAIL_COMMA_NAME(name) , name

namespace detail {

template <class List>
struct tail_of;
template <class First, class... Rest>
struct tail_of<type_list<First, Rest...>> {
  using type = type_list<Rest...>;
};

}  // namespace detail

using known_events =
    detail::tail_of<type_list<void QURABLE_WEBHOOKS_KNOWN_EVENTS(QURABLE_WEBHOOKS_DETAIL_COMMA_NAME)>>::type;

namespace detail {

// The position of T in a type_list, or List::size when it is not in it.
template <class T, class List>
struct index_in;
template <class T, class... Ts>
struct index_in<T, type_list<Ts...>> {
  static constexpr std::size_t value = [] {
    constexpr bool same[] = {std::is_same_v<T, Ts>..., false};
    std::size_t i = 0;
    while (i < sizeof...(Ts) && !same[i]) ++i;
    return i;
  }();
};

template <class List>
struct type_names;
template <class... Ts>
struct type_names<type_list<Ts...>> {
  static constexpr std::string_view value[] = {Ts::type_name...};
};

// The I-th type of a type_list.
template <std::size_t I, class List>
struct type_at;
template <std::size_t I, class... Ts>
struct type_at<I, type_list<Ts...>> {
  using type = std::tuple_element_t<I, std::tuple<Ts...>>;
};

}  // namespace detail

// Whether T is one of the known event types.
template <class T>
constexpr bool is_known_event = detail::index_in<T, known_events>::value < known_events::size;

}  // namespace qurable::webhooks
