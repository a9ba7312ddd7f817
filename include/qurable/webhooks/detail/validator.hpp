#pragma once
// JSON validation for the decoder: errors with their JSON Pointer, scalar reads, and the walk that validates every
// value the SDK does not model. On-Demand does not validate what it skips, and a handler must never see an event
// whose body is not JSON, so nothing is skipped blindly.
// Iteration results are used in place (`error()`, then `value_unsafe()`), not copied out with `get()`: with GCC
// the copies of od::field / od::value cost store-forwarding stalls, about 40% of the pass (docs/performance.md).

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <simdjson.h>

#include "../error.hpp"
#include "../events/json.hpp"
#include "inline.hpp"

namespace qurable::webhooks::detail {

namespace od = simdjson::ondemand;

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

inline constexpr std::string_view trailing_content_message = "unexpected content after the JSON document";

// The text of a simdjson error as the SDK reports it: simdjson's own, except for trailing content, which has one text
// whichever simdjson version (and whichever check) found it.
inline std::string_view error_text(simdjson::error_code e) noexcept {
  return e == simdjson::TRAILING_CONTENT ? trailing_content_message : std::string_view(simdjson::error_message(e));
}

inline error_code from_simdjson(simdjson::error_code e) noexcept {
  switch (e) {
    case simdjson::SUCCESS: return error_code::none;
    case simdjson::UTF8_ERROR: return error_code::invalid_utf8;
    case simdjson::CAPACITY: return error_code::body_too_large;
    case simdjson::DEPTH_ERROR: return error_code::nesting_too_deep;
    case simdjson::INCORRECT_TYPE:
    case simdjson::NUMBER_OUT_OF_RANGE: return error_code::wrong_type;
    case simdjson::MEMALLOC: return error_code::internal;
    case simdjson::TRAILING_CONTENT: return error_code::trailing_content;  // simdjson 4 finds some that 3.0.1 does not
    default: return error_code::invalid_json;
  }
}

// Compares a raw key (as it appears in the body, after its opening quote) with a plain name. Safe to read past
// the key: the body is padded and the key ends in a quote that stage 1 has validated.
inline bool key_is(od::raw_json_string key, std::string_view name) noexcept { return key.unsafe_is_equal(name); }

inline constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The string and key scans below read whole 64-bit words, which the body's padding (SIMDJSON_PADDING bytes past its
// end) makes safe; they need the byte order to find the first match, and fall back to bytes elsewhere.
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define QURABLE_WEBHOOKS_WORD_SCAN 1
#endif
inline constexpr std::uint64_t byte_ones = 0x0101010101010101u;
inline constexpr std::uint64_t byte_highs = 0x8080808080808080u;

// Whether the string or key at `p` (just after its opening quote) has a backslash before its closing quote, which
// stage 1 has checked exists. Only the order of the first quote and the first backslash matters, so the position of
// neither is computed: the scan is the hot part of walking an unmodelled object's keys.
inline bool has_escape(const char* p) noexcept {
#if defined(QURABLE_WEBHOOKS_WORD_SCAN)
  for (;; p += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, sizeof word);
    const std::uint64_t quotes = word ^ (byte_ones * '"');
    const std::uint64_t escapes = word ^ (byte_ones * '\\');
    // A byte flagged here is exact when it is the lowest flagged of its mask (a borrow only flags bytes above a real
    // match), so the lowest of both is exact and tells which came first.
    const std::uint64_t quote_hits = (quotes - byte_ones) & ~quotes & byte_highs;
    const std::uint64_t escape_hits = (escapes - byte_ones) & ~escapes & byte_highs;
    const std::uint64_t hits = quote_hits | escape_hits;
    if (hits != 0) return (hits & (0 - hits) & escape_hits) != 0;
  }
#else
  while (*p != '"' && *p != '\\') ++p;
  return *p == '\\';
#endif
}

// A key as written in the body (escapes kept), for error paths: `key` is just after its opening quote. Not
// field::unescaped_key(): after a structural error simdjson abandons its iterator, and unescaping through it
// dereferences a null parser.
inline std::string_view key_text(const char* key) noexcept {
  const char* end = key;
  while (*end != '"') {  // stage 1 has checked that the key's closing quote exists
    end += *end == '\\' ? 2 : 1;
  }
  return std::string_view(key, static_cast<std::size_t>(end - key));
}

// The key of a member the decoder does not match as written: unescaped when it has escapes (which validates them),
// else only its position, and its text is found when an error path names it.
struct member_key {
  const char* raw = nullptr;   // just after the opening quote, in the body
  std::string_view unescaped;  // when `escaped`
  bool escaped = false;

  std::string_view text() const noexcept { return escaped ? unescaped : key_text(raw); }
};

// A member name and the closing quote after it, as little-endian 64-bit words with the mask of the bytes that count,
// so that a key is compared with a few loads and no call.
struct name_words {
  static constexpr std::size_t max_size = 32;  // longer names are compared with memcmp (count 0)
  std::uint64_t words[(max_size + 8) / 8] = {};
  std::uint64_t masks[(max_size + 8) / 8] = {};
  std::size_t count = 0;  // words to compare
};

template <std::size_t N>
constexpr std::array<name_words, N> words_of(const std::array<std::string_view, N>& names) noexcept {
  std::array<name_words, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t size = names[i].size();
    if (size > name_words::max_size) continue;
    for (std::size_t j = 0; j <= size; ++j) {
      const unsigned char c = j < size ? static_cast<unsigned char>(names[i][j]) : '"';
      out[i].words[j / 8] |= std::uint64_t{c} << (8 * (j % 8));
      out[i].masks[j / 8] |= std::uint64_t{0xff} << (8 * (j % 8));
    }
    out[i].count = size / 8 + 1;
  }
  return out;
}

// Names grouped by their first byte (mod 32): bit i of bucket b is set when name i starts with a byte in b.
constexpr std::size_t name_bucket(char first) noexcept { return static_cast<unsigned char>(first) & 31u; }

template <std::size_t N>
constexpr std::array<std::uint64_t, 32> buckets_of(const std::array<std::string_view, N>& names) noexcept {
  static_assert(N <= 64, "one bit per name");
  std::array<std::uint64_t, 32> out{};
  for (std::size_t i = 0; i < N; ++i) {
    if (!names[i].empty()) out[name_bucket(names[i][0])] |= std::uint64_t{1} << i;
  }
  return out;
}

// The position of the lowest set bit of a non-zero word.
inline std::size_t lowest_bit(std::uint64_t word) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return static_cast<std::size_t>(__builtin_ctzll(word));
#else
  std::size_t i = 0;
  while ((word & 1u) == 0) word >>= 1, ++i;
  return i;
#endif
}

// Whether the key at `key` (just after its opening quote, in the padded body) is exactly `name`, whose words are
// `words`: the name's bytes, then the closing quote. No name holds a quote or a backslash, so an escaped key never
// matches here. Reads up to seven bytes past the quote: inside the body's padding.
inline bool key_equals(const char* key, const name_words& words, std::string_view name) noexcept {
#if defined(QURABLE_WEBHOOKS_WORD_SCAN)
  if (words.count != 0) {
    std::uint64_t differ = 0;
    for (std::size_t w = 0; w < words.count; ++w) {
      std::uint64_t word = 0;
      std::memcpy(&word, key + 8 * w, sizeof word);
      differ |= (word ^ words.words[w]) & words.masks[w];
    }
    return differ == 0;
  }
#else
  (void)words;
#endif
  return key[name.size()] == '"' && std::memcmp(key, name.data(), name.size()) == 0;
}

// Whether every name fits key_equals_short: 1..3 words, so names of up to 23 bytes (all the platform's so far).
template <std::size_t N>
constexpr bool all_short(const std::array<name_words, N>& words) noexcept {
  for (const name_words& w : words) {
    if (w.count == 0 || w.count > 3) return false;
  }
  return true;
}

#if defined(QURABLE_WEBHOOKS_WORD_SCAN)
// key_equals for a name of 1..3 words: three words always compared (the masks of unused ones are zero), so no loop
// and no branch on the name's length. Reads 24 bytes from the key: inside the body's padding (a key starts before the
// document's last byte).
inline bool key_equals_short(const char* key, const name_words& words) noexcept {
  std::uint64_t k0 = 0, k1 = 0, k2 = 0;
  std::memcpy(&k0, key, sizeof k0);
  std::memcpy(&k1, key + 8, sizeof k1);
  std::memcpy(&k2, key + 16, sizeof k2);
  return (((k0 ^ words.words[0]) & words.masks[0]) | ((k1 ^ words.words[1]) & words.masks[1]) |
          ((k2 ^ words.words[2]) & words.masks[2])) == 0;
}
#endif

// Whether `body` is an object or array that closes, with matching brackets, before the end of the body and has more
// than whitespace after it. simdjson reports a root container whose last token is not its closing bracket as
// incomplete, also when the container is complete and text follows it (`{...}x`); this tells the two apart.
// Error path only. Deeper than simdjson's own depth limit is answered false (the body stays invalid_json).
inline bool closes_before_end(std::string_view body) noexcept {
  std::bitset<simdjson::DEFAULT_MAX_DEPTH> is_object;  // the kind of each open container
  std::size_t i = 0;
  while (i < body.size() && is_space(body[i])) ++i;
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
        if (!is_space(body[i])) return true;
      }
      return false;
    }
  }
  return false;
}

// The length of the JSON number at the start of `token` (RFC 8259 grammar), or 0 when it is not one. Validates the
// numbers of values the SDK does not model without reading their value, which also keeps numbers simdjson cannot
// represent as a double (1e400) valid JSON there.
QURABLE_WEBHOOKS_INLINE std::size_t json_number_length(std::string_view token) noexcept {
  std::size_t i = 0;
  const auto digit = [&](std::size_t at) { return at < token.size() && token[at] >= '0' && token[at] <= '9'; };
  if (i < token.size() && token[i] == '-') ++i;
  if (!digit(i)) return 0;
  if (token[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < token.size() && token[i] == '.') {
    if (!digit(++i)) return 0;
    while (digit(i)) ++i;
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
    if (!digit(i)) return 0;
    while (digit(i)) ++i;
  }
  if (i < token.size()) {
    const char c = token[i];
    if (c != ',' && c != '}' && c != ']' && c != ' ' && c != '\t' && c != '\n' && c != '\r') return 0;
  }
  return i;
}

// Appends "/key" to a JSON Pointer (RFC 6901: '~' is written "~0", '/' is written "~1").
inline void append_pointer_segment(std::string& pointer, std::string_view key) {
  pointer += '/';
  for (char c : key) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
}

// Writes "/index" into `out` (24 bytes) and returns its length. snprintf, not "/" + to_string: GCC 12 raises a
// false -Wrestrict on that at -O3 C++20.
inline std::size_t pointer_segment(char (&out)[24], std::size_t index) noexcept {
  const int n = std::snprintf(out, sizeof out, "/%zu", index);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

// Errors, scalar reads and validation over one document. The decoder (decoder.hpp) adds the schema on top.
class validator {
 public:
  validator(od::document& doc, std::string_view body, error_state& err, std::size_t max_depth) noexcept
      : doc_(doc), body_(body), err_(err), max_depth_(max_depth) {}

  // --- errors --------------------------------------------------------------------------------------------------
  // Errors are the rare path: kept out of line so the loops that can fail stay small.
  QURABLE_WEBHOOKS_COLD error_code fail(error_code code, std::string_view message) {
    err_.code = code;
    err_.message.assign(message);
    err_.path.clear();
    return code;
  }

  QURABLE_WEBHOOKS_COLD error_code fail(simdjson::error_code e, std::string_view expected = {}) {
    const error_code code = from_simdjson(e);
    if (code == error_code::wrong_type && !expected.empty()) return fail(code, expected);
    return fail(code, error_text(e));
  }

  // Prefixes the error path with one object member while unwinding.
  QURABLE_WEBHOOKS_COLD error_code at(std::string_view key) {
    std::string segment;
    append_pointer_segment(segment, key);
    err_.path.insert(0, segment);
    return err_.code;
  }

  QURABLE_WEBHOOKS_COLD error_code at(std::size_t index) {
    char segment[24];
    const std::size_t n = pointer_segment(segment, index);
    err_.path.insert(0, segment, n);
    return err_.code;
  }

  // --- scalars ---------------------------------------------------------------------------------------------------
  QURABLE_WEBHOOKS_INLINE error_code read(od::value& v, std::string_view& out) {
    if (auto e = v.get_string().get(out)) return fail(e, "expected a string");
    return error_code::none;
  }

  // Consumes a JSON null if that is what `v` holds.
  QURABLE_WEBHOOKS_INLINE error_code read_null(od::value& v, bool& is_null) {
    od::json_type t{};
    if (auto e = v.type().get(t)) return fail(e);
    is_null = false;
    if (t != od::json_type::null) return error_code::none;
    // The token starts with 'n': failing to read it as null means it is malformed (simdjson 3 says INCORRECT_TYPE).
    if (auto e = v.is_null().get(is_null)) return fail(e == simdjson::INCORRECT_TYPE ? simdjson::N_ATOM_ERROR : e);
    if (!is_null) return fail(error_code::invalid_json, "malformed null");
    return error_code::none;
  }

  // --- free-form values ------------------------------------------------------------------------------------------
  // Validates any value (and its depth) and returns its exact text.
  error_code read(od::value& v, raw_json& out, std::size_t depth) {
    const std::string_view token = v.raw_json_token();
    if (auto err = walk(v, depth); err != error_code::none) return err;
    out = raw_json(value_text(token));
    return error_code::none;
  }

  // The text of the value whose token is `token`, once it has been walked: up to the current position, or the
  // number itself, which walk() leaves unread.
  std::string_view value_text(std::string_view token) noexcept {
    std::string_view text = span_to_here(token.data());
    if (text.empty()) text = token.substr(0, json_number_length(token));
    return text;
  }

  // Validates a value the SDK does not model, without keeping it.
  error_code walk(od::value& v, std::size_t depth) { return walk_inline(v, depth); }

  // walk(), inlined into the container loops below: most values are scalars, handled without a call.
  QURABLE_WEBHOOKS_INLINE error_code walk_inline(od::value& v, std::size_t depth) {
    if (depth > max_depth_) return fail(error_code::nesting_too_deep, "nested deeper than the parser's max_depth");
    od::json_type t{};
    if (auto e = v.type().get(t)) return fail(e);
    switch (t) {
      case od::json_type::object: return walk_object(v, depth);
      case od::json_type::array: return walk_array(v, depth);
      case od::json_type::string: {
        std::string_view s;
        return read(v, s);
      }
      case od::json_type::number: {
        // Only its grammar matters here, not its value: checked on the token and left unread (On-Demand steps over
        // it), which also keeps numbers beyond a double (1e400) valid.
        if (json_number_length(v.raw_json_token()) != 0) return error_code::none;
        // Else simdjson decides and names the error (the two agree on what is a number: no token found so far passes
        // get_double() and fails the grammar check, but simdjson stays the judge).
        double d = 0;
        const simdjson::error_code e = v.get_double().get(d);
        if (e == simdjson::SUCCESS) return error_code::none;
        return fail(e == simdjson::INCORRECT_TYPE ? simdjson::NUMBER_ERROR : e);
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

  error_code walk_object(od::value& v, std::size_t depth) {
    od::object obj;
    if (auto e = v.get_object().get(obj)) return fail(e);
    for (auto field_result : obj) {
      if (auto e = field_result.error()) return fail(e);
      if (auto err = walk_member(field_result.value_unsafe(), depth + 1); err != error_code::none) return err;
    }
    return error_code::none;
  }

  error_code walk_array(od::value& v, std::size_t depth) {
    od::array arr;
    if (auto e = v.get_array().get(arr)) return fail(e);
    std::size_t index = 0;
    for (auto element : arr) {
      if (auto e = element.error()) return fail(e);
      od::value& value = element.value_unsafe();
      if (auto err = walk_inline(value, depth + 1); err != error_code::none) return at(index);
      ++index;
    }
    return error_code::none;
  }

  // --- the document ---------------------------------------------------------------------------------------------
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
        // Beyond a double (1e400, 2e-99999999999) but valid JSON: a number, so the body is JSON, just not an object.
        // On-Demand has not moved past it: what follows it in the body must be blank.
        std::string_view token;
        if (e && doc_.raw_json_token().get(token) == simdjson::SUCCESS && token.data() >= body_.data() &&
            token.data() <= body_.data() + body_.size()) {
          const std::string_view rest(token.data(),
                                      static_cast<std::size_t>(body_.data() + body_.size() - token.data()));
          const std::size_t length = json_number_length(rest);
          if (length != 0) {
            for (std::size_t k = length; k < rest.size(); ++k) {
              if (!is_space(rest[k])) {
                return fail(error_code::trailing_content, trailing_content_message);
              }
            }
            return error_code::none;
          }
        }
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
      return fail(error_code::trailing_content, trailing_content_message);
    }
    return fail(e);
  }

  // Validates a member the SDK does not model: its key's escapes, then its value; errors point at the member.
  QURABLE_WEBHOOKS_INLINE error_code walk_member(od::field& field, std::size_t depth) {
    member_key key;
    if (auto err = read_key(field, key); err != error_code::none) return err;
    od::value& value = field.value();
    if (auto err = walk_inline(value, depth); err != error_code::none) return at(key.text());
    return error_code::none;
  }

  // The key of a member, before its value is read. A key with a backslash is unescaped (which validates its escapes:
  // `"\u00"` or a lone surrogate is invalid JSON); only keys no raw comparison matched get here, so that is a slow
  // path. field::key() is not read once the value has been: after an error that crashed (`{"a\\"b": {"c": 1,}}`).
  QURABLE_WEBHOOKS_INLINE error_code read_key(od::field& field, member_key& key) {
    key.raw = field.key().raw();
    key.escaped = has_escape(key.raw);
    if (key.escaped) {
      if (auto e = field.unescaped_key().get(key.unescaped)) return fail(e);
    }
    return error_code::none;
  }

  // After the root value: anything but whitespace is trailing content.
  error_code expect_end() {
    const char* trailing = nullptr;
    if (!doc_.current_location().get(trailing)) {
      return fail(error_code::trailing_content, trailing_content_message);
    }
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

  od::document& doc_;
  std::string_view body_;
  error_state& err_;
  std::size_t max_depth_;
};

}  // namespace qurable::webhooks::detail
