#pragma once
// The single On-Demand pass that validates a body and fills the event views, driven by the descriptions
// (schema<T>, events/schema.hpp) and the list of known events (events/known_events.hpp). Nothing in here names a
// field of an event: it follows from the descriptions.
//
// Every member of the `event` object is read exactly once, in document order, so the pass is forward-only as
// On-Demand requires. Keys are compared as written (no unescaping, a few word compares) against each struct's names,
// starting from the member after the previous match: a document in description order costs one comparison per key.
// Values the SDK does not model are validated by walking them (validator.hpp).

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "../error.hpp"
#include "../events/drift.hpp"
#include "../events/event_envelope.hpp"
#include "../events/event_type.hpp"
#include "../events/json.hpp"
#include "../events/known_events.hpp"
#include "../events/schema.hpp"
#include "../events/timestamp.hpp"
#include "arena.hpp"
#include "validator.hpp"

namespace qurable::webhooks::detail {

// The JSON names of T's description, in order.
template <class T, std::size_t... I>
constexpr std::array<std::string_view, sizeof...(I)> names_of(std::index_sequence<I...>) noexcept {
  return {std::get<I>(schema<T>::fields).name...};
}
template <class T>
inline constexpr auto field_names = names_of<T>(std::make_index_sequence<field_count<T>>{});
template <class T>
inline constexpr auto field_words = words_of(field_names<T>);
template <class T>
inline constexpr auto field_buckets = buckets_of(field_names<T>);

// Bit i set when member i of T's description is required.
template <class T, std::size_t... I>
constexpr std::uint64_t required_of(std::index_sequence<I...>) noexcept {
  return ((std::get<I>(schema<T>::fields).required() ? std::uint64_t{1} << I : 0) | ... | 0);
}
template <class T>
inline constexpr std::uint64_t required_mask = required_of<T>(std::make_index_sequence<field_count<T>>{});

// The position of a JSON name in T's description, or -1.
template <class T>
constexpr int field_index(std::string_view name) noexcept {
  for (std::size_t i = 0; i < field_names<T>.size(); ++i) {
    if (field_names<T>[i] == name) return static_cast<int>(i);
  }
  return -1;
}

// The drift records of one parse; paths are stored in `text` and pointed at by finish(), once nothing grows.
struct drift_log {
  std::vector<drift_record> records;
  std::vector<std::pair<std::size_t, std::size_t>> paths;  // offset and length of each record's path in `text`
  std::string text;

  void clear() noexcept {
    records.clear();
    paths.clear();
    text.clear();
  }

  void finish(std::string_view event_type) noexcept {
    for (std::size_t i = 0; i < records.size(); ++i) {
      records[i].event_type = event_type;
      records[i].path = std::string_view(text.data() + paths[i].first, paths[i].second);
    }
  }
};

// One slot per known event type, plus the envelope of an unknown one.
template <class List>
struct event_storage;
template <class... Ts>
struct event_storage<type_list<Ts...>> {
  std::tuple<Ts...> events;
  event_envelope unknown_envelope;
};

// Decoder-internal rule: the member cannot be absent (required and not std::optional, or a list item of a described
// struct), so a value of another JSON type rejects the event (wrong_type) instead of reading as drift.
inline constexpr rule::type no_drift = 1u << 16;
// Decoder-internal rule: a member described as required that this event may leave out (the envelope of an unknown
// type, where only eventType is required): it stays drift-tolerant.
inline constexpr rule::type may_be_absent = 1u << 17;

class decoder : public validator {
 public:
  decoder(od::document& doc, std::string_view body, arena& storage, error_state& err, drift_log& drift,
          std::size_t max_depth, bool strict) noexcept
      : validator(doc, body, err, max_depth), arena_(storage), drift_(drift), strict_(strict) {}

  struct result {
    event_type type = event_type::unknown;
    event_envelope* envelope = nullptr;
  };

  // Decodes the whole document into `storage`'s slot for its event type.
  error_code decode_document(event_storage<known_events>& storage, result& out) {
    const error_code err = decode_root(storage, out);
    if (err != error_code::missing_event && err != error_code::missing_event_type && err != error_code::missing_field &&
        err != error_code::wrong_type) {
      return err;
    }
    // Decoding stops at the first shape error (422), before it has seen the rest of the body. If the body is not
    // even JSON ({"event": [}, or `tru` where a string belongs), that is the error (400), whatever else is wrong.
    // Runs on rejected bodies only, so the copy may allocate.
    error_state shape = err_;
    if (validate_document() == error_code::none) err_ = std::move(shape);
    return err_.code;
  }

 private:
  static constexpr std::string_view type_member = "eventType";
  static constexpr std::string_view event_member = "event";

  // --- values, by the member's C++ type -------------------------------------------------------------------------
  // `depth` is the nesting depth of `v` itself (the root object is 0).
  template <rule::type Rules, class T>
  QURABLE_WEBHOOKS_INLINE error_code decode_value(od::value& v, T& out, std::size_t depth) {
    if constexpr (std::is_same_v<T, std::string_view>) {
      if constexpr ((Rules & rule::id) != 0) {
        return read_id_text<Rules>(v, out, depth);
      } else {
        return mismatch<Rules>(v, v.get_string().get(out), json_kind::string, depth, "expected a string");
      }
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      simdjson::error_code e = v.get_int64().get(out);
      if (e == simdjson::SUCCESS) return error_code::none;
      const bool number_like =
          e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR || e == simdjson::NUMBER_OUT_OF_RANGE;
      if (number_like && read_whole_number(v, out)) return error_code::none;  // 5.0, 1e2
      if constexpr ((Rules & rule::id) != 0) {
        if (!strict_ && e == simdjson::INCORRECT_TYPE) {
          if (auto err = read_integer_id_string<Rules>(v, out, depth); err != error_code::wrong_type) return err;
        }
      }
      if (e == simdjson::NUMBER_ERROR) e = simdjson::INCORRECT_TYPE;
      return mismatch<Rules>(v, e, json_kind::integer, depth, "expected an integer");
    } else if constexpr (std::is_same_v<T, double>) {
      return mismatch<Rules>(v, v.get_double().get(out), json_kind::number, depth, "expected a number");
    } else if constexpr (std::is_same_v<T, bool>) {
      return mismatch<Rules>(v, v.get_bool().get(out), json_kind::boolean, depth, "expected a boolean");
    } else if constexpr (std::is_same_v<T, timestamp>) {
      std::string_view text;
      const simdjson::error_code e = v.get_string().get(text);
      if (e == simdjson::SUCCESS) out = timestamp(text);
      return mismatch<Rules>(v, e, json_kind::timestamp, depth, "expected a timestamp string");
    } else if constexpr (std::is_same_v<T, raw_json>) {
      return read(v, out, depth);
    } else if constexpr (array_traits<T>::is_array) {
      return read_array<Rules>(v, out, depth);
    } else {
      static_assert(has_schema<T>::value, "a described member type (see json_kind_of)");
      return decode_object<Rules>(v, out, depth);
    }
  }

  // JSON has one number type: an integer written with a fraction or an exponent (5.0, 1e2, 1.6069e4) is read as its
  // value when it is whole and a safe integer (|v| < 2^53, so the double is exact). Else false, nothing consumed.
  QURABLE_WEBHOOKS_NOINLINE static bool read_whole_number(od::value& v, std::int64_t& out) {
    od::json_type t{};
    if (v.type().get(t) != simdjson::SUCCESS || t != od::json_type::number) return false;
    const std::string_view token = v.raw_json_token();
    double value = 0;
    if (v.get_double().get(value) != simdjson::SUCCESS) return false;
    if (!(value > -9007199254740992.0 && value < 9007199254740992.0) || !whole_token(token)) return false;
    out = static_cast<std::int64_t>(value);
    return true;
  }

  // Whether a JSON number token (valid, maybe followed by whitespace) has no non-zero digit after its decimal point
  // once the exponent has moved it: 1.50e1 is whole, 1.05e1 is not. Decided on the text, as a double may round.
  static bool whole_token(std::string_view token) noexcept {
    std::size_t i = (!token.empty() && token[0] == '-') ? 1 : 0;
    std::size_t digits = 0;  // digits before the decimal point
    std::size_t first = i;   // where the integer digits start
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') ++i, ++digits;
    std::size_t fraction_begin = i;
    std::size_t fraction_end = i;
    if (i < token.size() && token[i] == '.') {
      fraction_begin = ++i;
      while (i < token.size() && token[i] >= '0' && token[i] <= '9') ++i;
      fraction_end = i;
    }
    long long exponent = 0;
    if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
      ++i;
      bool negative = false;
      if (i < token.size() && (token[i] == '+' || token[i] == '-')) negative = token[i++] == '-';
      for (; i < token.size() && token[i] >= '0' && token[i] <= '9'; ++i) {
        if (exponent < (1ll << 40)) exponent = exponent * 10 + (token[i] - '0');
      }
      if (negative) exponent = -exponent;
    }
    // The digits, integer part then fraction, are d[0..n); the decimal point sits after d[point - 1].
    const long long n = static_cast<long long>(digits + (fraction_end - fraction_begin));
    const long long point = static_cast<long long>(digits) + exponent;
    for (long long k = point < 0 ? 0 : point; k < n; ++k) {
      const std::size_t at = k < static_cast<long long>(digits)
                                 ? first + static_cast<std::size_t>(k)
                                 : fraction_begin + static_cast<std::size_t>(k - static_cast<long long>(digits));
      if (token[at] != '0') return false;
    }
    return true;
  }

  // An identifier documented as a string: an integer is kept as its digits.
  template <rule::type Rules>
  error_code read_id_text(od::value& v, std::string_view& out, std::size_t depth) {
    od::json_type t{};
    if (auto e = v.type().get(t)) return fail(e);
    if (t == od::json_type::number) {
      std::string_view token = v.raw_json_token();
      std::int64_t ignored = 0;
      if (auto e = v.get_int64().get(ignored)) {
        return mismatch<Rules>(v, e, json_kind::string, depth, "expected a string or an integer");
      }
      while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
      out = token;
      return error_code::none;
    }
    return mismatch<Rules>(v, v.get_string().get(out), json_kind::string, depth, "expected a string or an integer");
  }

  // An identifier documented as an integer, sent as a string: read as its value when it is one, recorded as drift.
  // wrong_type (nothing consumed) when the value is not a string. A string that is not an integer reads as absent,
  // or rejects the event when the member cannot be absent.
  template <rule::type Rules>
  error_code read_integer_id_string(od::value& v, std::int64_t& out, std::size_t depth) {
    od::json_type t{};
    if (v.type().get(t) != simdjson::SUCCESS || t != od::json_type::string) return error_code::wrong_type;
    const char* begin = v.raw_json_token().data();
    std::string_view text;
    if (auto e = v.get_string().get(text)) return fail(e);
    const char* const end = text.data() + text.size();
    const auto parsed = std::from_chars(text.data(), end, out);
    if (text.empty() || parsed.ec != std::errc() || parsed.ptr != end) {
      out = 0;
      if constexpr ((Rules & no_drift) != 0) return fail(error_code::wrong_type, "expected an integer");
      drifted_ = true;  // not an integer: absent
    }
    record_drift(json_kind::integer, t, raw_json(span_to_here(begin)), depth);
    return error_code::none;
  }

  // After a typed read failed with `e`: another JSON type is drift (the value is validated, recorded and read as
  // absent) unless the parser is strict, the member routes the event or it cannot be absent (no_drift: a required
  // member that is not std::optional); any other error rejects the body.
  template <rule::type Rules>
  QURABLE_WEBHOOKS_INLINE error_code mismatch(od::value& v, simdjson::error_code e, json_kind expected,
                                              std::size_t depth, std::string_view message) {
    if (e == simdjson::SUCCESS) return error_code::none;
    return mismatch_slow(v, e, expected, depth, message, (Rules & (rule::routing | no_drift)) != 0);
  }

  QURABLE_WEBHOOKS_NOINLINE error_code mismatch_slow(od::value& v, simdjson::error_code e, json_kind expected,
                                                     std::size_t depth, std::string_view message, bool exact) {
    const bool other_type =
        e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR || e == simdjson::NUMBER_OUT_OF_RANGE;
    if (!other_type || strict_ || exact) return fail(e, message);
    od::json_type t{};
    if (auto e2 = v.type().get(t)) return fail(e2);
    const std::string_view token = v.raw_json_token();
    if (auto err = walk(v, depth); err != error_code::none) return err;
    record_drift(expected, t, raw_json(value_text(token)), depth);
    drifted_ = true;
    return error_code::none;
  }

  void record_drift(json_kind expected, od::json_type found, raw_json value, std::size_t depth) {
    const std::size_t start = drift_.text.size();
    const std::size_t last = depth < frames_.size() ? depth : frames_.size() - 1;
    for (std::size_t d = 1; d <= last; ++d) {
      if (!is_index(frames_[d])) {
        append_pointer_segment(drift_.text, *reinterpret_cast<const std::string_view*>(frames_[d]));
      } else {
        char segment[24];
        drift_.text.append(segment, pointer_segment(segment, static_cast<std::size_t>(frames_[d] >> 1)));
      }
    }
    drift_record record;
    record.expected = expected;
    record.found = json_type_name(found);
    record.value = value;
    drift_.records.push_back(record);
    drift_.paths.emplace_back(start, drift_.text.size() - start);
  }

  static std::string_view json_type_name(od::json_type t) noexcept {
    switch (t) {
      case od::json_type::array: return "array";
      case od::json_type::object: return "object";
      case od::json_type::number: return "number";
      case od::json_type::string: return "string";
      case od::json_type::boolean: return "boolean";
      case od::json_type::null: return "null";
      default: return "unknown";  // simdjson 4 adds json_type::unknown
    }
  }

  // Where the value being read sits: frames_[d] names the member (or array index) at depth d. One word per frame,
  // written for every member read, read only when a drift is recorded: the address of the member's name in its
  // description (names live in static storage and are 8-byte aligned), or an array index as (index << 1) | 1.
  using path_frame = std::uintptr_t;
  static bool is_index(path_frame f) noexcept { return (f & 1u) != 0; }
  void set_frame(std::size_t depth, const std::string_view& key) noexcept {
    static_assert(alignof(std::string_view) >= 2, "the low bit tags an index");
    if (depth < frames_.size()) frames_[depth] = reinterpret_cast<path_frame>(&key);
  }
  void set_frame(std::size_t depth, std::size_t index) noexcept {
    if (depth < frames_.size()) frames_[depth] = (static_cast<path_frame>(index) << 1) | 1u;
  }

  // A described member: null handling by its presence, then its value.
  template <rule::type Rules, class T>
  QURABLE_WEBHOOKS_DECODE_MEMBER_INLINE error_code decode_member(od::value& v, T& out, std::size_t depth) {
    error_code err = error_code::none;
    if constexpr (optional_traits<T>::is_optional || ((Rules & rule::required) == 0 && !std::is_same_v<T, raw_json>)) {
      // A std::optional, or an optional member without one (a list, a struct, which null leaves empty). null is looked
      // for first, with a peek at the token: the platform sends many (7 in the member-created example, 16 in each
      // coupon one), and a typed read that fails on one costs more.
      bool null = false;
      if (err = read_null(v, null); err != error_code::none) return err;
      if (null) {
        if constexpr (optional_traits<T>::is_optional) out.reset();
      } else if constexpr (optional_traits<T>::is_optional) {
        err = decode_value<Rules>(v, out.emplace(), depth);
        if (drifted_) out.reset();  // another JSON type: absent
      } else {
        err = decode_value<Rules>(v, out, depth);
      }
    } else if constexpr ((Rules & rule::required) != 0 && (Rules & may_be_absent) == 0 &&
                         !std::is_same_v<T, raw_json>) {
      // Required and not std::optional: it cannot be absent, so another JSON type (null included) is wrong_type.
      err = decode_value<Rules | no_drift>(v, out, depth);
    } else {
      err = decode_value<Rules>(v, out, depth);
    }
    drifted_ = false;
    return err;
  }

  template <class T, std::size_t I>
  QURABLE_WEBHOOKS_INLINE error_code decode_field(od::value& v, T& out, std::size_t depth) {
    constexpr auto& description = std::get<I>(schema<T>::fields);
    return decode_member<description.rules>(v, out.*(description.member), depth);
  }

  template <class T, std::size_t... I>
  QURABLE_WEBHOOKS_DECODE_INDEX_INLINE error_code decode_index(int index, od::value& v, T& out, std::size_t depth,
                                                               std::index_sequence<I...>) {
    error_code err = error_code::none;
    (void)((index == static_cast<int>(I) ? (err = decode_field<T, I>(v, out, depth), true) : false) || ...);
    return err;
  }

  // --- objects ---------------------------------------------------------------------------------------------------
  template <rule::type Rules, class T>
  error_code decode_object(od::value& v, T& out, std::size_t depth) {
    od::object obj;
    if (auto e = v.get_object().get(obj)) return mismatch<Rules>(v, e, json_kind::object, depth, "expected an object");
    if (depth > max_depth_) return fail(error_code::nesting_too_deep, "nested deeper than the parser's max_depth");
    // `out` is value-initialised already (the event slot is reset once per parse, list items and std::optional
    // members are made fresh): resetting each nested struct again cost 5 % of the pass (rep stos, docs/performance.md).
    return for_each_member<T>(obj, required_mask<T>, depth, [&](int index, od::value& value) {
      return decode_index(index, value, out, depth + 1, std::make_index_sequence<field_count<T>>{});
    });
  }

  // Runs `on_field(index, value)` for each member whose key is in T's description; other members are validated
  // and ignored. Reports the first required member (in description order) that is missing.
  template <class T, class OnField>
  error_code for_each_member(od::object& obj, std::uint64_t required, std::size_t depth, OnField&& on_field) {
    static_assert(field_count<T> <= 64, "the seen-mask is 64 bits");
    constexpr const auto& names = field_names<T>;
    std::uint64_t seen = 0;
    std::size_t next = 0;
    for (auto field_result : obj) {
      if (auto e = field_result.error()) return fail(e);
      od::field& field = field_result.value_unsafe();
      // Keys are compared as written; one that matches no name is scanned for escapes, and compared again unescaped
      // when it has one (`"event\u0054ype"`).
      const char* raw_key = field.key().raw();
      int index = find_key<T>(raw_key, next);
      if (index < 0) {
        member_key key;
        if (auto err = read_key(field, key); err != error_code::none) return err;
        if (key.escaped) index = find_name(names, key.unescaped);
        if (index < 0) {
          od::value& value = field.value();
          if (auto err = walk(value, depth + 1); err != error_code::none) return at(key.text());
          continue;
        }
      }
      od::value& value = field.value();
      if ((seen & (std::uint64_t{1} << index)) != 0) {
        fail(error_code::duplicate_key, "a member appears twice in one object");
        return at(names[index]);
      }
      seen |= std::uint64_t{1} << index;
      set_frame(depth + 1, names[index]);
      if (auto err = on_field(index, value); err != error_code::none) return at(names[index]);
    }
    const std::uint64_t missing = required & ~seen;
    if (missing != 0) {
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (missing & (std::uint64_t{1} << i)) {
          fail(error_code::missing_field, "required field is missing");
          return at(names[i]);
        }
      }
    }
    return error_code::none;
  }

  // Whether the key at `key` (as written, after its opening quote) is member i of T's description.
  template <class T>
  QURABLE_WEBHOOKS_INLINE static bool is_member(const char* key, std::size_t i) noexcept {
#if defined(QURABLE_WEBHOOKS_WORD_SCAN)
    if constexpr (all_short(field_words<T>)) return key_equals_short(key, field_words<T>[i]);
#endif
    return key_equals(key, field_words<T>[i], field_names<T>[i]);
  }

  // The position of an unescaped key in T's description, trying the member after the previous match first: a
  // document in description order costs one comparison per key.
  template <class T>
  QURABLE_WEBHOOKS_INLINE static int find_key(const char* key, std::size_t& next) noexcept {
    constexpr const auto& names = field_names<T>;
    if (next < names.size() && is_member<T>(key, next)) return static_cast<int>(next++);
    // Else only the names that share the key's first byte (mod 32): none or one, mostly, for a key the SDK does
    // not model as for one out of the expected order.
    for (std::uint64_t candidates = field_buckets<T>[name_bucket(key[0])]; candidates != 0;
         candidates &= candidates - 1) {
      const std::size_t i = lowest_bit(candidates);
      if (is_member<T>(key, i)) {
        next = i + 1;
        return static_cast<int>(i);
      }
    }
    return -1;
  }

  template <std::size_t N>
  static int find_name(const std::array<std::string_view, N>& names, std::string_view key) noexcept {
    for (std::size_t i = 0; i < N; ++i) {
      if (names[i] == key) return static_cast<int>(i);
    }
    return -1;
  }

  // --- arrays ----------------------------------------------------------------------------------------------------
  template <rule::type Rules, class T>
  error_code read_array(od::value& v, array_view<T>& view, std::size_t depth) {
    od::array arr;
    if (auto e = v.get_array().get(arr)) return mismatch<Rules>(v, e, json_kind::array, depth, "expected an array");
    if (depth > max_depth_) return fail(error_code::nesting_too_deep, "nested deeper than the parser's max_depth");
    const std::size_t mark = arena_.scratch_mark();
    std::size_t count = 0;
    for (auto element : arr) {
      if (auto e = element.error()) {
        arena_.scratch_reset(mark);
        return fail(e);
      }
      od::value& item_value = element.value_unsafe();
      T item{};
      set_frame(depth + 1, count);
      // An item of a described struct cannot be absent: another JSON type rejects the event. A scalar item of another
      // type stays in the list, default-valued, with a drift record.
      constexpr rule::type item_rules = has_schema<T>::value ? (rule::required | no_drift) : rule::required;
      if (auto err = decode_value<item_rules>(item_value, item, depth + 1); err != error_code::none) {
        arena_.scratch_reset(mark);
        return at(count);
      }
      drifted_ = false;
      if (!arena_.scratch_push(item)) {
        arena_.scratch_reset(mark);
        return fail(error_code::internal, "out of memory");
      }
      ++count;
    }
    const T* items = arena_.scratch_commit<T>(mark, count);
    if (items == nullptr && count != 0) return fail(error_code::internal, "out of memory");
    view = array_view<T>(items, count);
    return error_code::none;
  }

  // --- the document ----------------------------------------------------------------------------------------------
  error_code decode_root(event_storage<known_events>& storage, result& out) {
    od::object root;
    if (auto e = doc_.get_object().get(root)) {
      if (e != simdjson::INCORRECT_TYPE) return fail_root(e);
      if (auto err = validate_non_object_root(); err != error_code::none) return err;
      return fail(error_code::not_an_object, "the body is not a JSON object");
    }
    bool have_event = false;
    for (auto field_result : root) {
      if (auto e = field_result.error()) return fail(e);
      od::field& field = field_result.value_unsafe();
      bool is_event = key_is(field.key(), event_member);
      member_key key;
      if (!is_event) {
        if (auto err = read_key(field, key); err != error_code::none) return err;
        is_event = key.escaped && key.unescaped == event_member;
      }
      od::value& value = field.value();
      if (!is_event) {
        if (auto err = walk(value, 1); err != error_code::none) return at(key.text());
        continue;
      }
      if (have_event) {
        fail(error_code::duplicate_key, "a member appears twice in one object");
        return at(event_member);
      }
      have_event = true;
      set_frame(1, event_member);
      if (auto err = decode_event(value, storage, out); err != error_code::none) return at(event_member);
    }
    if (auto err = expect_end(); err != error_code::none) return err;
    if (!have_event) return fail(error_code::missing_event, "the body has no \"event\" object");
    return error_code::none;
  }

  error_code decode_event(od::value& v, event_storage<known_events>& storage, result& out) {
    od::object obj;
    if (auto e = v.get_object().get(obj)) {
      return fail(e == simdjson::INCORRECT_TYPE ? error_code::missing_event : from_simdjson(e),
                  e == simdjson::INCORRECT_TYPE ? std::string_view("\"event\" is not an object") : error_text(e));
    }
    // The type decides how the members are read, and it may come after them: look it up first (it is the first or
    // second member in practice), then rewind this object, not the document, and read it all.
    std::string_view type_name;
    {
      od::value type_value;
      auto e = obj.find_field_unordered(type_member).get(type_value);
      if (e == simdjson::NO_SUCH_FIELD) {
        // Maybe written with escapes: look again, unescaping the keys that have one (error path, rare).
        if (auto e2 = obj.reset().error()) return fail(e2);
        e = find_escaped(obj, type_member, type_value);
        if (e == simdjson::NO_SUCH_FIELD) return fail(error_code::missing_event_type, "\"eventType\" is missing");
      }
      if (e) return fail(e);
      if (auto e2 = type_value.get_string().get(type_name)) {
        if (e2 == simdjson::INCORRECT_TYPE) {
          fail(error_code::missing_event_type, "\"eventType\" is not a string");
          return at(type_member);
        }
        fail(e2);
        return at(type_member);
      }
      bool not_empty = false;
      if (auto e3 = obj.reset().get(not_empty)) return fail(e3);
    }
    out.type = to_event_type(type_name);
    return decode_known(obj, storage, type_name, out, std::make_index_sequence<known_events::size>{});
  }

  // Finds the member whose unescaped key is `name` among those written with an escape.
  static simdjson::error_code find_escaped(od::object& obj, std::string_view name, od::value& out) {
    for (auto field_result : obj) {
      if (auto e = field_result.error()) return e;
      od::field& field = field_result.value_unsafe();
      if (!has_escape(field.key().raw())) continue;
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      if (key == name) {
        out = field.value();
        return simdjson::SUCCESS;
      }
    }
    return simdjson::NO_SUCH_FIELD;
  }

  template <std::size_t... I>
  error_code decode_known(od::object& obj, event_storage<known_events>& storage, std::string_view type_name,
                          result& out, std::index_sequence<I...>) {
    error_code err = error_code::none;
    const bool known = ((out.type == static_cast<event_type>(I + 1)
                             ? (err = decode_event_members(obj, std::get<I>(storage.events), type_name, out), true)
                             : false) ||
                        ...);
    if (known) return err;
    return decode_event_members(obj, storage.unknown_envelope, type_name, out);
  }

  // The `event` object: the envelope's members, and for a known type E its own described members (executionResults
  // and payload), decoded into E and kept as text in the envelope too.
  // E is event_envelope for an unknown type: executionResults and payload stay raw JSON.
  template <class E>
  error_code decode_event_members(od::object& obj, E& event, std::string_view type_name, result& out) {
    constexpr bool is_known = !std::is_same_v<E, event_envelope>;
    event = E{};  // the only reset: every struct decoded below is a part of it, a list item or a fresh std::optional
    event_envelope& env = envelope_of(event);
    env.event_type = type_name;
    out.envelope = &env;
    constexpr std::uint64_t type_only = std::uint64_t{1} << field_index<event_envelope>(type_member);
    const std::uint64_t required = is_known ? required_mask<event_envelope> : type_only;
    return for_each_member<event_envelope>(obj, required, 1, [&](int index, od::value& value) {
      return decode_envelope_index(index, value, event, env, std::make_index_sequence<field_count<event_envelope>>{});
    });
  }

  template <class E, std::size_t... I>
  QURABLE_WEBHOOKS_DECODE_INDEX_INLINE error_code decode_envelope_index(int index, od::value& v, E& event,
                                                                        event_envelope& env,
                                                                        std::index_sequence<I...>) {
    error_code err = error_code::none;
    (void)((index == static_cast<int>(I) ? (err = decode_envelope_field<E, I>(v, event, env), true) : false) || ...);
    return err;
  }

  template <class E, std::size_t I>
  error_code decode_envelope_field(od::value& v, E& event, event_envelope& env) {
    constexpr auto& description = std::get<I>(schema<event_envelope>::fields);
    if constexpr (description.name == type_member) {
      // Read again, not skipped: On-Demand does not validate what it skips, and stepping over the value found above
      // let a body whose eventType value is followed by a colon through (tests/fuzz/regressions).
      std::string_view again;
      if (auto err = read(v, again); err != error_code::none) return err;
      if (again != env.event_type) {
        return fail(error_code::wrong_type, "\"eventType\" appears twice with different values");
      }
      return error_code::none;
    } else {
      if constexpr (!std::is_same_v<E, event_envelope>) {
        constexpr int typed = field_index<E>(description.name);
        if constexpr (typed >= 0) {
          static_assert(std::is_same_v<typename std::decay_t<decltype(description)>::value_type, raw_json>,
                        "a member an event type decodes is raw JSON in the envelope");
          constexpr auto& typed_description = std::get<typed>(schema<E>::fields);
          const char* begin = v.raw_json_token().data();
          if (auto err = decode_member<typed_description.rules>(v, event.*(typed_description.member), 2);
              err != error_code::none) {
            return err;
          }
          env.*(description.member) = raw_json(span_to_here(begin));
          return error_code::none;
        }
      }
      constexpr rule::type rules =
          std::is_same_v<E, event_envelope> ? (description.rules | may_be_absent) : description.rules;
      return decode_member<rules>(v, env.*(description.member), 2);
    }
  }

  static event_envelope& envelope_of(event_envelope& env) noexcept { return env; }
  template <class E>
  static event_envelope& envelope_of(E& event) noexcept {
    return event.envelope;
  }

  arena& arena_;
  drift_log& drift_;
  bool strict_ = false;
  bool drifted_ = false;  // the value just read was of another JSON type (read as absent)
  // Deeper than any described member. Not zeroed per parse (a rep stos): frames 1..d are always written before a
  // drift at depth d reads them.
  std::array<path_frame, 16> frames_;
};

}  // namespace qurable::webhooks::detail
