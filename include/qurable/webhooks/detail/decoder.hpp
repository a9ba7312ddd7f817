#pragma once
// The single On-Demand pass that validates a body and fills the event views.
//
// Every member of the `event` object is read exactly once, in document order, so the pass is forward-only as
// On-Demand requires. Keys are compared raw (no unescaping) against tables in the order the platform sends them,
// starting from the field after the previous match: a document in the usual order costs one comparison per key.
// Values the SDK does not model are walked (to validate them and bound their depth), never skipped blindly:
// On-Demand does not validate what it skips, and a handler must never see an event whose body is not JSON.
// Iteration results are used in place (`error()`, then `value_unsafe()`), not copied out with `get()`: with GCC
// the copies of od::field / od::value cost store-forwarding stalls, about 40% of the pass (docs/performance.md).

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "../error.hpp"
#include "../events/coupon_events.hpp"
#include "../events/event_envelope.hpp"
#include "../events/event_type.hpp"
#include "../events/json.hpp"
#include "../events/member_created.hpp"
#include "../events/timestamp.hpp"

namespace qurable::webhooks::detail {

namespace od = simdjson::ondemand;

// Where decoded lists live. Vectors keep their capacity between events, so a warm parser allocates nothing.
// Each list has its own vector: a view handed out earlier must not move when a later list grows.
struct arena {
  std::vector<tier> tiers;
  std::vector<organization> organizations;
  std::vector<std::string_view> result_emails;
  std::vector<std::string_view> payload_emails;

  void clear() noexcept {
    tiers.clear();
    organizations.clear();
    result_emails.clear();
    payload_emails.clear();
  }
};

// The error of the last parse; owned by the parser so its strings outlive the call without allocating per event.
struct error_state {
  error_code code = error_code::none;
  std::string message;
  std::string path;  // JSON Pointer (RFC 6901) of the offending value, built while the decoder unwinds

  void clear() noexcept {
    code = error_code::none;
    message.clear();
    path.clear();
  }
};

inline error_code from_simdjson(simdjson::error_code e) noexcept {
  switch (e) {
    case simdjson::SUCCESS: return error_code::none;
    case simdjson::UTF8_ERROR: return error_code::invalid_utf8;
    case simdjson::CAPACITY: return error_code::body_too_large;
    case simdjson::DEPTH_ERROR: return error_code::nesting_too_deep;
    case simdjson::INCORRECT_TYPE:
    case simdjson::NUMBER_OUT_OF_RANGE: return error_code::wrong_type;
    case simdjson::MEMALLOC: return error_code::internal;
    default: return error_code::invalid_json;
  }
}

// Compares a raw key (as it appears in the body, after its opening quote) with a plain name. Safe to read past
// the key: the body is padded and the key ends in a quote that stage 1 has validated.
inline bool key_is(od::raw_json_string key, std::string_view name) noexcept { return key.unsafe_is_equal(name); }

// A key as written in the body (escapes kept), for error paths. Not field::unescaped_key(): after a structural
// error simdjson abandons its iterator, and unescaping through it dereferences a null parser.
// `has_escape`, when given, tells whether the key contains a backslash (found in the same scan).
inline std::string_view key_text(od::raw_json_string key, bool* has_escape = nullptr) noexcept {
  const char* begin = key.raw();
  const char* end = begin;
  bool escaped = false;
  while (*end != '"') {  // stage 1 has checked that the key's closing quote exists
    if (*end == '\\') {
      escaped = true;
      end += 2;
    } else {
      ++end;
    }
  }
  if (has_escape != nullptr) *has_escape = escaped;
  return std::string_view(begin, static_cast<std::size_t>(end - begin));
}

// Finds `key` among `names`, trying the slot after the previous match first.
template <std::size_t N>
inline int match_key(od::raw_json_string key, const std::string_view (&names)[N], std::size_t& next) noexcept {
  for (std::size_t k = 0, i = next; k < N; ++k, ++i) {
    if (i == N) i = 0;
    if (key_is(key, names[i])) {
      next = i + 1;
      return static_cast<int>(i);
    }
  }
  return -1;
}

// Whether `body` is an object or array that closes, with matching brackets, before the end of the body and has more
// than whitespace after it. simdjson reports a root container whose last token is not its closing bracket as
// incomplete, also when the container is complete and text follows it (`{...}x`); this tells the two apart.
// Error path only. Deeper than simdjson's own depth limit is answered false (the body stays invalid_json).
inline bool closes_before_end(std::string_view body) noexcept {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::bitset<simdjson::DEFAULT_MAX_DEPTH> is_object;  // the kind of each open container
  std::size_t i = 0;
  while (i < body.size() && space(body[i])) ++i;
  if (i == body.size() || (body[i] != '{' && body[i] != '[')) return false;
  std::size_t depth = 0;
  for (; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '"') {
      for (++i; i < body.size() && body[i] != '"'; ++i) {
        if (body[i] == '\\') ++i;
      }
      if (i >= body.size()) return false;
    } else if (c == '{' || c == '[') {
      if (depth == is_object.size()) return false;
      is_object[depth++] = c == '{';
    } else if (c == '}' || c == ']') {
      if (depth == 0 || is_object[depth - 1] != (c == '}')) return false;
      if (--depth > 0) continue;
      for (++i; i < body.size(); ++i) {
        if (!space(body[i])) return true;
      }
      return false;
    }
  }
  return false;
}

// Bit `index` of a seen/required mask.
constexpr std::uint64_t field_bit(int index) noexcept { return std::uint64_t{1} << index; }

class decoder {
 public:
  decoder(od::document& doc, std::string_view body, arena& storage, error_state& err, std::size_t max_depth) noexcept
      : doc_(doc), body_(body), arena_(storage), err_(err), max_depth_(max_depth) {}

  // --- errors --------------------------------------------------------------------------------------------------
  error_code fail(error_code code, std::string_view message) {
    err_.code = code;
    err_.message.assign(message);
    err_.path.clear();
    return code;
  }

  error_code fail(simdjson::error_code e, std::string_view expected = {}) {
    const error_code code = from_simdjson(e);
    if (code == error_code::wrong_type && !expected.empty()) return fail(code, expected);
    return fail(code, simdjson::error_message(e));
  }

  // Prefixes the error path with one object member while unwinding.
  error_code at(std::string_view key) {
    std::string segment(1, '/');
    for (char c : key) {
      if (c == '~') {
        segment += "~0";
      } else if (c == '/') {
        segment += "~1";
      } else {
        segment += c;
      }
    }
    err_.path.insert(0, segment);
    return err_.code;
  }

  error_code at(std::size_t index) {
    char segment[24];  // snprintf, not "/" + to_string: GCC 12 raises a false -Wrestrict on that at -O3 C++20
    const int n = std::snprintf(segment, sizeof segment, "/%zu", index);
    err_.path.insert(0, segment, n > 0 ? static_cast<std::size_t>(n) : 0);
    return err_.code;
  }

  // --- scalars ---------------------------------------------------------------------------------------------------
  error_code read(od::value& v, std::string_view& out) {
    if (auto e = v.get_string().get(out)) return fail(e, "expected a string");
    return error_code::none;
  }

  error_code read(od::value& v, std::int64_t& out) {
    if (auto e = v.get_int64().get(out)) {
      return fail(e == simdjson::NUMBER_ERROR ? simdjson::INCORRECT_TYPE : e, "expected an integer");
    }
    return error_code::none;
  }

  error_code read(od::value& v, double& out) {
    if (auto e = v.get_double().get(out)) return fail(e, "expected a number");
    return error_code::none;
  }

  error_code read(od::value& v, bool& out) {
    if (auto e = v.get_bool().get(out)) return fail(e, "expected a boolean");
    return error_code::none;
  }

  error_code read(od::value& v, timestamp& out) {
    std::string_view s;
    if (auto e = v.get_string().get(s)) return fail(e, "expected a timestamp string");
    out = timestamp(s);
    return error_code::none;
  }

  // Identifiers the platform may send as a string or a number: a number is kept as its digits.
  error_code read_id(od::value& v, std::optional<std::string_view>& out) {
    bool null = false;
    if (auto err = read_null(v, null); err != error_code::none || null) {
      if (null) out.reset();
      return err;
    }
    od::json_type t{};
    if (auto e = v.type().get(t)) return fail(e);
    if (t == od::json_type::number) {
      std::string_view token = v.raw_json_token();
      std::int64_t ignored = 0;
      if (auto e = v.get_int64().get(ignored)) return fail(e, "expected a string or an integer");
      while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
      out = token;
      return error_code::none;
    }
    std::string_view s;
    if (auto e = v.get_string().get(s)) return fail(e, "expected a string or an integer");
    out = s;
    return error_code::none;
  }

  // Consumes a JSON null if that is what `v` holds.
  error_code read_null(od::value& v, bool& is_null) {
    od::json_type t{};
    if (auto e = v.type().get(t)) return fail(e);
    is_null = false;
    if (t != od::json_type::null) return error_code::none;
    // The token starts with 'n': failing to read it as null means it is malformed (simdjson 3 says INCORRECT_TYPE).
    if (auto e = v.is_null().get(is_null)) return fail(e == simdjson::INCORRECT_TYPE ? simdjson::N_ATOM_ERROR : e);
    if (!is_null) return fail(error_code::invalid_json, "malformed null");
    return error_code::none;
  }

  template <class T>
  error_code read(od::value& v, std::optional<T>& out) {
    bool null = false;
    if (auto err = read_null(v, null); err != error_code::none) return err;
    if (null) {
      out.reset();
      return error_code::none;
    }
    T value{};
    if (auto err = read(v, value); err != error_code::none) return err;
    out = value;
    return error_code::none;
  }

  // --- free-form values ------------------------------------------------------------------------------------------
  // Validates any value (and its depth) and returns its exact text.
  error_code read(od::value& v, raw_json& out, std::size_t depth) {
    const std::string_view token = v.raw_json_token();
    if (auto err = walk(v, depth); err != error_code::none) return err;
    out = raw_json(span_to_here(token.data()));
    return error_code::none;
  }

  // Validates a value the SDK does not model, without keeping it.
  error_code walk(od::value& v, std::size_t depth) {
    if (depth > max_depth_) return fail(error_code::nesting_too_deep, "nested deeper than the parser's max_depth");
    od::json_type t{};
    if (auto e = v.type().get(t)) return fail(e);
    switch (t) {
      case od::json_type::object: {
        od::object obj;
        if (auto e = v.get_object().get(obj)) return fail(e);
        for (auto field_result : obj) {
          if (auto e = field_result.error()) return fail(e);
          od::field& field = field_result.value_unsafe();
          if (auto err = walk_member(field, depth + 1); err != error_code::none) return err;
        }
        return error_code::none;
      }
      case od::json_type::array: {
        od::array arr;
        if (auto e = v.get_array().get(arr)) return fail(e);
        std::size_t index = 0;
        for (auto element : arr) {
          if (auto e = element.error()) return fail(e);
          od::value& value = element.value_unsafe();
          if (auto err = walk(value, depth + 1); err != error_code::none) return at(index);
          ++index;
        }
        return error_code::none;
      }
      case od::json_type::string: {
        std::string_view s;
        return read(v, s);
      }
      case od::json_type::number: {
        double d = 0;
        if (auto e = v.get_double().get(d)) return fail(e == simdjson::INCORRECT_TYPE ? simdjson::NUMBER_ERROR : e);
        return error_code::none;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (v.get_bool().get(b) != simdjson::SUCCESS) return fail(simdjson::TAPE_ERROR);
        return error_code::none;
      }
      case od::json_type::null: {
        bool null = false;
        return read_null(v, null);
      }
      default:  // simdjson 4 adds json_type::unknown
        return fail(error_code::invalid_json, "unrecognised JSON value");
    }
  }

  // --- objects ---------------------------------------------------------------------------------------------------
  // Runs `on_field(index, value)` for each member; `index` is the position of the key in `names`, or -1.
  // Unknown members are validated and ignored. Reports the first required member that is missing.
  template <std::size_t N, class OnField>
  error_code for_each_field(od::value& v, const std::string_view (&names)[N], std::uint64_t required, std::size_t depth,
                            OnField&& on_field) {
    static_assert(N <= 64, "the seen-mask is 64 bits");
    if (depth > max_depth_) return fail(error_code::nesting_too_deep, "nested deeper than the parser's max_depth");
    od::object obj;
    if (auto e = v.get_object().get(obj)) return fail(e, "expected an object");
    return for_each_field(obj, names, required, depth, on_field);
  }

  template <std::size_t N, class OnField>
  error_code for_each_field(od::object& obj, const std::string_view (&names)[N], std::uint64_t required,
                            std::size_t depth, OnField&& on_field) {
    std::uint64_t seen = 0;
    std::size_t next = 0;
    for (auto field_result : obj) {
      if (auto e = field_result.error()) return fail(e);
      od::field& field = field_result.value_unsafe();
      const int index = match_key(field.key(), names, next);
      if (index < 0) {
        if (auto err = walk_member(field, depth + 1); err != error_code::none) return err;
        continue;
      }
      od::value& value = field.value();
      seen |= std::uint64_t{1} << index;
      if (auto err = on_field(index, value); err != error_code::none) return at(names[index]);
    }
    const std::uint64_t missing = required & ~seen;
    if (missing != 0) {
      for (std::size_t i = 0; i < N; ++i) {
        if (missing & (std::uint64_t{1} << i)) {
          fail(error_code::missing_field, "required field is missing");
          return at(names[i]);
        }
      }
    }
    return error_code::none;
  }

  // Decodes an array into `out` (one of the arena's vectors) and points `view` at the new items.
  template <class T, class DecodeItem>
  error_code read_array(od::value& v, std::vector<T>& out, array_view<T>& view, std::size_t depth,
                        DecodeItem&& decode_item) {
    if (depth > max_depth_) return fail(error_code::nesting_too_deep, "nested deeper than the parser's max_depth");
    od::array arr;
    if (auto e = v.get_array().get(arr)) return fail(e, "expected an array");
    const std::size_t first = out.size();
    std::size_t index = 0;
    for (auto element : arr) {
      if (auto e = element.error()) return fail(e);
      od::value& item = element.value_unsafe();
      out.emplace_back();
      if (auto err = decode_item(item, out.back()); err != error_code::none) return at(index);
      ++index;
    }
    view = array_view<T>(out.data() + first, out.size() - first);
    return error_code::none;
  }

  // --- the document ----------------------------------------------------------------------------------------------
  struct result {
    event_type type = event_type::unknown;
    event_envelope* envelope = nullptr;
  };

  // Decodes the whole document into `storage`'s slot for its event type.
  template <class Storage>
  error_code decode_document(Storage& storage, result& out) {
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
  template <class Storage>
  error_code decode_root(Storage& storage, result& out) {
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
      if (!have_event && key_is(field.key(), "event")) {
        have_event = true;
        od::value& value = field.value();
        if (auto err = decode_event(value, storage, out); err != error_code::none) return at("event");
        continue;
      }
      if (auto err = walk_member(field, 1); err != error_code::none) return err;
    }
    if (auto err = expect_end(); err != error_code::none) return err;
    if (!have_event) return fail(error_code::missing_event, "the body has no \"event\" object");
    return error_code::none;
  }

  // Validates the whole document from the start, without decoding it.
  error_code validate_document() {
    doc_.rewind();
    od::object root;
    if (auto e = doc_.get_object().get(root)) {
      if (e != simdjson::INCORRECT_TYPE) return fail_root(e);
      return validate_non_object_root();
    }
    for (auto field_result : root) {
      if (auto e = field_result.error()) return fail(e);
      od::field& field = field_result.value_unsafe();
      if (auto err = walk_member(field, 1); err != error_code::none) return err;
    }
    return expect_end();
  }

  static constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  // A body whose top level is not an object is not an event; if it is not even JSON, say that instead.
  error_code validate_non_object_root() {
    doc_.rewind();  // get_object() consumed nothing of a non-object: start again at the root
    od::json_type t{};
    if (auto e = doc_.type().get(t)) return fail(e);
    simdjson::error_code e = simdjson::SUCCESS;
    switch (t) {
      case od::json_type::array: {
        od::array arr;
        if ((e = doc_.get_array().get(arr))) break;
        std::size_t index = 0;
        for (auto element : arr) {
          if ((e = element.error())) break;
          od::value& item = element.value_unsafe();
          if (auto err = walk(item, 1); err != error_code::none) return at(index);
          ++index;
        }
        break;
      }
      case od::json_type::string: {
        std::string_view s;
        e = doc_.get_string().get(s);
        break;
      }
      case od::json_type::number: {
        double d = 0;
        e = doc_.get_double().get(d);
        break;
      }
      case od::json_type::boolean: {
        bool b = false;
        e = doc_.get_bool().get(b);
        break;
      }
      case od::json_type::null: {
        bool null = false;
        e = doc_.is_null().get(null);
        if (!e && !null) e = simdjson::N_ATOM_ERROR;
        break;
      }
      default: e = simdjson::TAPE_ERROR;
    }
    if (e) return fail_root(e == simdjson::INCORRECT_TYPE ? simdjson::TAPE_ERROR : e);
    return expect_end();
  }

  // An error opening the root value.
  error_code fail_root(simdjson::error_code e) {
    if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT && closes_before_end(body_)) {
      return fail(error_code::trailing_content, "unexpected content after the JSON document");
    }
    return fail(e);
  }

  // Known names contain no escapes, so only other keys can hide an invalid one (`"\u00"`, a lone surrogate):
  // those are unescaped once to validate them. Comparing raw keys alone would accept them.
  // `key` is set to the key as written, for error paths: unescaping consumes the field's key (field::key() is null
  // afterwards, and reading it crashed on `{"a\\"b": {"c": 1,}}`).
  // Validates a member the SDK does not model: its key's escapes, then its value; errors point at the member.
  error_code walk_member(od::field& field, std::size_t depth) {
    std::string_view key;  // taken before check_key() consumes the field's key
    if (auto err = check_key(field, key); err != error_code::none) return err;
    od::value& value = field.value();
    if (auto err = walk(value, depth); err != error_code::none) return at(key);
    return error_code::none;
  }

  // After the root value: anything but whitespace is trailing content.
  error_code expect_end() {
    const char* trailing = nullptr;
    if (!doc_.current_location().get(trailing)) {
      return fail(error_code::trailing_content, "unexpected content after the JSON document");
    }
    return error_code::none;
  }

  error_code check_key(od::field& field, std::string_view& key) {
    bool has_escape = false;
    key = key_text(field.key(), &has_escape);
    if (!has_escape) return error_code::none;
    std::string_view unescaped;
    if (auto e = field.unescaped_key().get(unescaped)) return fail(e);
    return error_code::none;
  }

  // The text from `begin` to the current position, without the whitespace before the next token.
  std::string_view span_to_here(const char* begin) noexcept {
    const char* end = nullptr;
    // Fails only when the braces do not balance; the body is rejected later, so an empty view is enough.
    if (doc_.current_location().get(end)) return std::string_view(begin, 0);
    while (end > begin && is_space(end[-1])) --end;
    return std::string_view(begin, static_cast<std::size_t>(end - begin));
  }

  // The envelope's members, in the order the platform sends them.
  enum envelope_field : int {
    f_loyalty_event_id,
    f_event_type,
    f_status,
    f_loyalty_event_key,
    f_updated_at,
    f_created_at,
    f_system_unique_key,
    f_loyalty_member_id,
    f_execution_results,
    f_payload,
    f_external_event_date,
    f_evaluation_status,
    f_external_id,
    f_last_error,
    f_description,
    f_tags,
    f_evaluation_results,
  };
  static constexpr std::string_view envelope_names[] = {
      "loyaltyEventId",
      "eventType",
      "status",
      "loyaltyEventKey",
      "updatedAt",
      "createdAt",
      "systemUniqueKey",
      "loyaltyMemberId",
      "executionResults",
      "payload",
      "externalEventDate",
      "evaluationStatus",
      "externalId",
      "lastError",
      "description",
      "tags",
      "evaluationResults",
  };
  // Required for the types the SDK knows; an unknown type only needs eventType.
  static constexpr std::uint64_t known_type_required =
      field_bit(f_event_type) | field_bit(f_status) | field_bit(f_loyalty_event_key) | field_bit(f_updated_at) |
      field_bit(f_created_at) | field_bit(f_system_unique_key) | field_bit(f_execution_results) | field_bit(f_payload);

  template <class Storage>
  error_code decode_event(od::value& v, Storage& storage, result& out) {
    od::object obj;
    if (auto e = v.get_object().get(obj)) {
      return fail(e == simdjson::INCORRECT_TYPE ? error_code::missing_event : from_simdjson(e),
                  e == simdjson::INCORRECT_TYPE ? std::string_view("\"event\" is not an object")
                                                : std::string_view(simdjson::error_message(e)));
    }
    // The type decides how executionResults and payload are read, and it may come after them: look it up first
    // (it is the first or second member in practice), then rewind this object, not the document, and read it all.
    std::string_view type_name;
    {
      od::value type_value;
      auto e = obj.find_field_unordered("eventType").get(type_value);
      if (e == simdjson::NO_SUCH_FIELD) return fail(error_code::missing_event_type, "\"eventType\" is missing");
      if (e) return fail(e);
      if (auto e2 = type_value.get_string().get(type_name)) {
        if (e2 == simdjson::INCORRECT_TYPE) {
          fail(error_code::missing_event_type, "\"eventType\" is not a string");
          return at("eventType");
        }
        fail(e2);
        return at("eventType");
      }
      bool not_empty = false;
      if (auto e3 = obj.reset().get(not_empty)) return fail(e3);
    }
    out.type = to_event_type(type_name);
    switch (out.type) {
      case event_type::member_created: {
        member_created& event = storage.member_created_event;
        return decode_event_fields(obj, event.envelope, type_name, out, [&](int which, od::value& value) {
          return which == f_execution_results ? decode_member(value, event.execution_results)
                                              : decode_member_request(value, event.payload);
        });
      }
      case event_type::coupon_code_assigned:
      case event_type::coupon_code_used: {
        coupon_event& event = out.type == event_type::coupon_code_used
                                  ? static_cast<coupon_event&>(storage.coupon_code_used_event)
                                  : static_cast<coupon_event&>(storage.coupon_code_assigned_event);
        return decode_event_fields(obj, event.envelope, type_name, out, [&](int which, od::value& value) {
          return which == f_execution_results ? decode_coupon_usage(value, event.execution_results, 3)
                                              : decode_coupon_payload(value, event.payload);
        });
      }
      case event_type::unknown: break;
    }
    return decode_event_fields(obj, storage.unknown_envelope, type_name, out, nullptr);
  }

  // Reads the envelope; `typed` decodes executionResults and payload for a known type (nullptr: keep them raw).
  template <class Typed>
  error_code decode_event_fields(od::object& obj, event_envelope& env, std::string_view type_name, result& out,
                                 Typed&& typed) {
    env = event_envelope{};
    env.event_type = type_name;
    out.envelope = &env;
    constexpr bool is_known = !std::is_same_v<std::decay_t<Typed>, std::nullptr_t>;
    const std::uint64_t required = is_known ? known_type_required : field_bit(f_event_type);
    return for_each_field(obj, envelope_names, required, 1, [&](int index, od::value& value) -> error_code {
      switch (index) {
        case f_loyalty_event_id: return read_id(value, env.loyalty_event_id);
        case f_event_type: {  // read again, not skipped: On-Demand does not validate what it skips
          std::string_view again;
          if (auto err = read(value, again); err != error_code::none) return err;
          if (again != env.event_type)
            return fail(error_code::wrong_type, "\"eventType\" appears twice with different values");
          return error_code::none;
        }
        case f_status: return read(value, env.status);
        case f_loyalty_event_key: return read(value, env.loyalty_event_key);
        case f_updated_at: return read(value, env.updated_at);
        case f_created_at: return read(value, env.created_at);
        case f_system_unique_key: return read(value, env.system_unique_key);
        case f_loyalty_member_id: return read(value, env.loyalty_member_id);
        case f_execution_results:
        case f_payload: {
          raw_json& text = index == f_execution_results ? env.execution_results : env.payload;
          if constexpr (is_known) {
            const char* begin = value.raw_json_token().data();
            if (auto err = typed(index, value); err != error_code::none) return err;
            text = raw_json(span_to_here(begin));
            return error_code::none;
          } else {
            return read(value, text, 2);
          }
        }
        case f_external_event_date: return read(value, env.external_event_date);
        case f_evaluation_status: return read(value, env.evaluation_status);
        case f_external_id: return read(value, env.external_id);
        case f_last_error: return read(value, env.last_error, 2);
        case f_description: return read(value, env.description);
        case f_tags: return read(value, env.tags, 2);
        case f_evaluation_results: return read(value, env.evaluation_results, 2);
        default: return error_code::none;
      }
    });
  }

  // --- member-created --------------------------------------------------------------------------------------------
  error_code decode_profile(od::value& v, member_profile& p, std::vector<std::string_view>& emails, std::size_t depth) {
    static constexpr std::string_view names[] = {"name",     "email",     "govId",      "emails",
                                                 "lastName", "birthdate", "phoneNumber"};
    p = member_profile{};
    return for_each_field(v, names, 0, depth, [&](int index, od::value& value) -> error_code {
      switch (index) {
        case 0: return read(value, p.name);
        case 1: return read(value, p.email);
        case 2: {
          bool null = false;
          if (auto err = read_null(value, null); err != error_code::none || null) return err;
          static constexpr std::string_view gov_names[] = {"id", "type", "issuingCountry"};
          webhooks::gov_id& g = p.gov_id.emplace();
          return for_each_field(value, gov_names, 0b111, depth + 1, [&](int i, od::value& x) {
            return read(x, i == 0 ? g.id : i == 1 ? g.type : g.issuing_country);
          });
        }
        case 3: {
          bool null = false;
          if (auto err = read_null(value, null); err != error_code::none || null) return err;
          return read_array(value, emails, p.emails, depth + 1,
                            [&](od::value& x, std::string_view& s) { return read(x, s); });
        }
        case 4: return read(value, p.last_name);
        case 5: return read(value, p.birthdate);
        case 6: return read(value, p.phone_number);
        default: return error_code::none;
      }
    });
  }

  error_code decode_member(od::value& v, member& m) {
    static constexpr std::string_view names[] = {"tiers",         "active",         "onChain",
                                                 "profile",       "createdAt",      "updatedAt",
                                                 "organizations", "ledgerWalletId", "ledgerWalletKey"};
    m = member{};
    constexpr std::uint64_t required = 0b1111111 & ~std::uint64_t{0b100};  // all but onChain and the ledger
    return for_each_field(v, names, required, 2, [&](int index, od::value& value) -> error_code {
      switch (index) {
        case 0:
          return read_array(value, arena_.tiers, m.tiers, 3, [&](od::value& x, tier& t) { return decode_tier(x, t); });
        case 1: return read(value, m.active);
        case 2: {
          bool null = false;
          if (auto err = read_null(value, null); err != error_code::none || null) return err;
          static constexpr std::string_view chain_names[] = {"wallets"};
          return for_each_field(value, chain_names, 0, 3,
                                [&](int, od::value& x) { return read(x, m.on_chain.wallets, 4); });
        }
        case 3: return decode_profile(value, m.profile, arena_.result_emails, 3);
        case 4: return read(value, m.created_at);
        case 5: return read(value, m.updated_at);
        case 6:
          return read_array(value, arena_.organizations, m.organizations, 3,
                            [&](od::value& x, organization& o) { return decode_organization(x, o); });
        case 7: return read(value, m.ledger_wallet_id);
        case 8: return read(value, m.ledger_wallet_key);
        default: return error_code::none;
      }
    });
  }

  error_code decode_tier(od::value& v, tier& t) {
    static constexpr std::string_view names[] = {"loyaltyTierId", "loyaltyProgramId", "loyaltyManualTierId",
                                                 "loyaltySystemTierId"};
    return for_each_field(v, names, 0b0011, 4, [&](int index, od::value& value) -> error_code {
      switch (index) {
        case 0: return read(value, t.loyalty_tier_id);
        case 1: return read(value, t.loyalty_program_id);
        case 2: return read(value, t.loyalty_manual_tier_id);
        default: return read(value, t.loyalty_system_tier_id);
      }
    });
  }

  error_code decode_organization(od::value& v, organization& o) {
    static constexpr std::string_view names[] = {"active", "createdAt", "updatedAt", "loyaltyMemberId",
                                                 "publicLoyaltyMemberId"};
    return for_each_field(v, names, 0b11111, 4, [&](int index, od::value& value) -> error_code {
      switch (index) {
        case 0: return read(value, o.active);
        case 1: return read(value, o.created_at);
        case 2: return read(value, o.updated_at);
        case 3: return read(value, o.loyalty_member_id);
        default: return read(value, o.public_loyalty_member_id);
      }
    });
  }

  error_code decode_member_request(od::value& v, member_request& r) {
    static constexpr std::string_view names[] = {"active", "profile", "loyaltyMemberId", "publicLoyaltyMemberId"};
    r = member_request{};
    return for_each_field(v, names, 0b0111, 2, [&](int index, od::value& value) -> error_code {
      switch (index) {
        case 0: return read(value, r.active);
        case 1: return decode_profile(value, r.profile, arena_.payload_emails, 3);
        case 2: return read(value, r.loyalty_member_id);
        default: return read_id(value, r.public_loyalty_member_id);
      }
    });
  }

  // --- coupon events ---------------------------------------------------------------------------------------------
  error_code decode_coupon(od::value& v, coupon& c, std::size_t depth) {
    static constexpr std::string_view names[] = {"code",        "createdAt",     "expiredAt",     "updatedAt",
                                                 "totalUsages", "totalAssigned", "couponBookKey", "customAttributes"};
    constexpr std::uint64_t required = 0b1111011;  // all but expiredAt and customAttributes
    return for_each_field(v, names, required, depth, [&](int index, od::value& value) -> error_code {
      switch (index) {
        case 0: return read(value, c.code);
        case 1: return read(value, c.created_at);
        case 2: return read(value, c.expired_at);
        case 3: return read(value, c.updated_at);
        case 4: return read(value, c.total_usages);
        case 5: return read(value, c.total_assigned);
        case 6: return read(value, c.coupon_book_key);
        default: return read(value, c.custom_attributes, depth + 1);
      }
    });
  }

  error_code decode_coupon_usage(od::value& v, coupon_usage& u, std::size_t depth) {
    static constexpr std::string_view names[] = {"coupon",           "createdAt",          "updatedAt",
                                                 "amountUsed",       "amountAssigned",     "couponUsageKey",
                                                 "revertedUsageId",  "systemUniqueKey",    "loyaltyMemberId",
                                                 "customAttributes", "updatedTotalUsages", "updatedTotalAssigned"};
    // All but revertedUsageId, loyaltyMemberId and customAttributes.
    constexpr std::uint64_t required = 0b110010111111;
    u = coupon_usage{};
    return for_each_field(v, names, required, depth - 1, [&](int index, od::value& value) -> error_code {
      switch (index) {
        case 0: return decode_coupon(value, u.coupon, depth);
        case 1: return read(value, u.created_at);
        case 2: return read(value, u.updated_at);
        case 3: return read(value, u.amount_used);
        case 4: return read(value, u.amount_assigned);
        case 5: return read(value, u.coupon_usage_key);
        case 6: return read_id(value, u.reverted_usage_id);
        case 7: return read(value, u.system_unique_key);
        case 8: return read(value, u.loyalty_member_id);
        case 9: return read(value, u.custom_attributes, depth);
        case 10: return read(value, u.updated_total_usages);
        default: return read(value, u.updated_total_assigned);
      }
    });
  }

  error_code decode_coupon_book(od::value& v, coupon_book& b) {
    static constexpr std::string_view names[] = {"couponBookKey", "name",           "type",        "externalId",
                                                 "pictureUrl",    "description",    "validToDate", "validFromDate",
                                                 "discountType",  "discountAmount", "tags",        "customAttributes"};
    constexpr std::uint64_t required = 0b001100000111;  // key, name, type, discountType, discountAmount
    b = coupon_book{};
    return for_each_field(v, names, required, 3, [&](int index, od::value& value) -> error_code {
      switch (index) {
        case 0: return read(value, b.coupon_book_key);
        case 1: return read(value, b.name);
        case 2: return read(value, b.type);
        case 3: return read(value, b.external_id);
        case 4: return read(value, b.picture_url);
        case 5: return read(value, b.description);
        case 6: return read(value, b.valid_to_date);
        case 7: return read(value, b.valid_from_date);
        case 8: return read(value, b.discount_type);
        case 9: return read(value, b.discount_amount);
        case 10: return read(value, b.tags, 4);
        default: return read(value, b.custom_attributes, 4);
      }
    });
  }

  error_code decode_coupon_payload(od::value& v, coupon_payload& p) {
    static constexpr std::string_view names[] = {"usage", "couponBook"};
    return for_each_field(v, names, 0b11, 2, [&](int index, od::value& value) -> error_code {
      return index == 0 ? decode_coupon_usage(value, p.usage, 4) : decode_coupon_book(value, p.coupon_book);
    });
  }

  od::document& doc_;
  std::string_view body_;
  arena& arena_;
  error_state& err_;
  std::size_t max_depth_;
};

}  // namespace qurable::webhooks::detail
