#pragma once
// The event schema as data: each modelled struct carries one description of its JSON members, and everything that
// needs the field list (the decoder, the required/nullable rules, drift records, qurable-inspect --dump, the field
// reference in docs/events.md) reads it from there.
//
// A description is a tuple of `field(json name, member pointer, rules)`; the JSON kind a member expects follows from
// its C++ type (see json_kind_of). Adding a field to an event is one member plus one line in its struct's
// description.
//
//   template <> struct schema<coupon> {
//     static constexpr auto fields = std::make_tuple(
//         field("code", &coupon::code, rule::required),
//         field("expiredAt", &coupon::expired_at, rule::optional));
//   };

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "json.hpp"
#include "timestamp.hpp"

namespace qurable::webhooks {

// How a described member may appear in its object.
namespace rule {
using type = unsigned;
// Present in every event of a known type (else missing_field). Unless the member is a std::optional (nullable), null
// or another JSON type is wrong_type (422) in every mode: it cannot read as absent, so it is never drift.
inline constexpr type required = 1u << 0;
// May be absent or null: std::nullopt, an empty view or an absent raw_json then.
inline constexpr type optional = 0;
// An identifier the platform may send as a string or a number (its own page shows both): a string member keeps an
// integer as its digits (no drift), an integer member reads a string of digits as its value (with a drift record).
inline constexpr type id = 1u << 1;
// Identifies or routes the event (eventType, loyaltyEventKey): another JSON type is always rejected (wrong_type),
// never read as drift (events/drift.hpp).
inline constexpr type routing = 1u << 2;
}  // namespace rule

// One described member: its JSON name, where it goes, and its rules.
template <class Owner, class T>
struct field_description {
  using owner_type = Owner;
  using value_type = T;

  std::string_view name;
  T Owner::*member;
  rule::type rules;

  constexpr bool required() const noexcept { return (rules & rule::required) != 0; }
  constexpr bool is_id() const noexcept { return (rules & rule::id) != 0; }
  constexpr bool is_routing() const noexcept { return (rules & rule::routing) != 0; }
};

template <class Owner, class T>
constexpr field_description<Owner, T> field(std::string_view name, T Owner::*member, rule::type rules) noexcept {
  return {name, member, rules};
}

// schema<T>::fields is the description of a modelled struct T (specialised next to each struct).
template <class T>
struct schema;

// A list of types, e.g. the known events.
template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};

// The JSON kinds of the model, as drift records and the field reference name them.
enum class json_kind : std::uint8_t { string, integer, number, boolean, timestamp, object, array, any };

constexpr std::string_view to_string(json_kind kind) noexcept {
  switch (kind) {
    case json_kind::string: return "string";
    case json_kind::integer: return "integer";
    case json_kind::number: return "number";
    case json_kind::boolean: return "boolean";
    case json_kind::timestamp: return "timestamp";
    case json_kind::object: return "object";
    case json_kind::array: return "array";
    case json_kind::any: return "any";
  }
  return "any";
}

namespace detail {

template <class T, class = void>
struct has_schema : std::false_type {};
template <class T>
struct has_schema<T, std::void_t<decltype(schema<T>::fields)>> : std::true_type {};

template <class T>
struct optional_traits {
  static constexpr bool is_optional = false;
  using value_type = T;
};
template <class T>
struct optional_traits<std::optional<T>> {
  static constexpr bool is_optional = true;
  using value_type = T;
};

template <class T>
struct array_traits {
  static constexpr bool is_array = false;
};
template <class T>
struct array_traits<array_view<T>> {
  static constexpr bool is_array = true;
  using item_type = T;
};

}  // namespace detail

// The JSON kind a member of type T expects (std::optional<T> expects T's kind, or null).
template <class T>
constexpr json_kind json_kind_of() noexcept {
  using V = typename detail::optional_traits<T>::value_type;
  if constexpr (std::is_same_v<V, std::string_view>) {
    return json_kind::string;
  } else if constexpr (std::is_same_v<V, std::int64_t>) {
    return json_kind::integer;
  } else if constexpr (std::is_same_v<V, double>) {
    return json_kind::number;
  } else if constexpr (std::is_same_v<V, bool>) {
    return json_kind::boolean;
  } else if constexpr (std::is_same_v<V, timestamp>) {
    return json_kind::timestamp;
  } else if constexpr (std::is_same_v<V, raw_json>) {
    return json_kind::any;
  } else if constexpr (detail::array_traits<V>::is_array) {
    return json_kind::array;
  } else {
    static_assert(detail::has_schema<V>::value,
                  "a described member is a string_view, int64_t, double, bool, timestamp, raw_json, array_view<T>, "
                  "std::optional of one of these, or a struct with its own schema<T>");
    return json_kind::object;
  }
}

// Calls f(field_description) for each member of T's description, in order.
template <class T, class F>
constexpr void for_each_field(F&& f) {
  std::apply([&](const auto&... d) { (f(d), ...); }, schema<T>::fields);
}

// The number of members in T's description.
template <class T>
constexpr std::size_t field_count = std::tuple_size_v<std::decay_t<decltype(schema<T>::fields)>>;

}  // namespace qurable::webhooks
