#pragma once
// `qurable-inspect --dump`: an event rendered back to JSON from the SDK's typed views alone, in the platform's
// structure and camelCase names. It never echoes the body, so what it prints is exactly what a handler can see;
// only the values the SDK keeps as raw_json (customAttributes, tags, ...) are written as their JSON text.
//
// The writer knows no field: it walks the SDK's descriptions (qurable::webhooks::schema<T>), so a field added to
// the SDK is dumped without a change here. Rules, shared with --help and docs/inspect.md:
// - a member without a value is left out: an absent or null optional (the SDK cannot tell them apart), an empty
//   optional list, and for an unknown event type any envelope member it left out;
// - identifiers the platform may send as a string or a number are written as strings: the SDK keeps a number as
//   its digits;
// - an unknown type has only its envelope, with executionResults and payload as raw JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <qurable/webhooks.hpp>

#include "json_writer.hpp"

namespace qurable_inspect {

namespace qw = qurable::webhooks;

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_array : std::false_type {};
template <class T>
struct is_array<qw::array_view<T>> : std::true_type {};

inline void value(json_writer& w, std::string_view s) { w.string(s); }
inline void value(json_writer& w, std::int64_t n) { w.integer(n); }
inline void value(json_writer& w, bool b) { w.boolean(b); }
inline void value(json_writer& w, double d) { w.number(d); }
inline void value(json_writer& w, const qw::timestamp& t) { w.string(t.raw()); }
inline void value(json_writer& w, const qw::raw_json& json) { w.raw(json.text()); }

template <class T>
void value(json_writer& w, const T& v);

template <class T>
void value(json_writer& w, const std::optional<T>& v) {
  value(w, *v);
}

template <class T>
void value(json_writer& w, const qw::array_view<T>& items) {
  w.begin_array();
  for (const T& item : items) value(w, item);
  w.end_array();
}

// Whether a member has a value to print. `lenient`: the envelope of an unknown type, where nothing but eventType
// is required, so an empty string or timestamp was left out by the platform.
template <class T>
bool has_value(const T& v, bool required, bool lenient) {
  if constexpr (is_optional<T>::value) {
    return v.has_value();
  } else if constexpr (std::is_same_v<T, qw::raw_json>) {
    return !v.is_absent();
  } else if constexpr (is_array<T>::value) {
    return required || !v.empty();
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return !(lenient && v.empty());
  } else if constexpr (std::is_same_v<T, qw::timestamp>) {
    return !(lenient && v.raw().empty());
  } else {
    return true;
  }
}

template <class Description, class Owner>
void member(json_writer& w, const Description& d, const Owner& owner, bool lenient = false) {
  const auto& v = owner.*(d.member);
  if (!has_value(v, d.required(), lenient)) return;
  w.key(d.name);
  value(w, v);
}

// A described struct: its members in description order.
template <class T>
void value(json_writer& w, const T& v) {
  w.begin_object();
  qw::for_each_field<T>([&](const auto& d) { member(w, d, v); });
  w.end_object();
}

// {"event":{...}}: the envelope's members in the order the platform sends them; for a known type E, the members E
// describes (executionResults, payload) are written from E's typed views instead of the envelope's raw text.
template <class E>
std::string write_event(const qw::event_envelope& env, const E* typed) {
  json_writer w;
  w.begin_object().key("event").begin_object();
  qw::for_each_field<qw::event_envelope>([&](const auto& d) {
    bool written = false;
    if constexpr (!std::is_same_v<E, qw::event_envelope>) {
      qw::for_each_field<E>([&](const auto& typed_d) {
        if (typed_d.name == d.name) {
          member(w, typed_d, *typed);
          written = true;
        }
      });
    }
    if (!written) member(w, d, env, typed == nullptr);
  });
  w.end_object().end_object();
  return w.str();
}

// A known type: the one of known_events (a type_list, unpacked here) the event is.
template <class... E>
std::string known_to_json(const qw::event& e, qw::type_list<E...>) {
  std::string out;
  (void)((e.get_if<E>() != nullptr ? (out = write_event(e.envelope(), e.get_if<E>()), true) : false) || ...);
  return out;
}

}  // namespace detail

// The whole {"event":{...}} document of a known event type, on one line.
template <class E>
std::string event_to_json(const E& e) {
  return detail::write_event(e.envelope, &e);
}

// An event of a type the SDK does not know: its envelope, with executionResults and payload as raw JSON.
inline std::string envelope_to_json(const qw::event_envelope& env) {
  return detail::write_event<qw::event_envelope>(env, nullptr);
}

// Any decoded event, by its type.
inline std::string event_to_json(const qw::event& e) {
  if (e.type() == qw::event_type::unknown) return envelope_to_json(e.envelope());
  return detail::known_to_json(e, qw::known_events{});
}

}  // namespace qurable_inspect
