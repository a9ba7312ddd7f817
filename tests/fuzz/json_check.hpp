#pragma once
// An oracle for the fuzz targets: is a text one complete, valid JSON value? Written independently of the SDK's
// decoder: an On-Demand walk that unescapes every key and string and reads every number, and simdjson's DOM parser,
// which validates the whole document in its own way.

#include <cstdint>
#include <string_view>

#include <simdjson.h>

namespace qurable_fuzz {

namespace od = simdjson::ondemand;

// RFC 8259's number grammar, written out here on its own (not the SDK's) for numbers simdjson cannot represent.
inline bool number_grammar(std::string_view t) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < t.size() && t[i] == '.' && (++i, !digits())) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i == t.size() || t[i] == ',' || t[i] == '}' || t[i] == ']';
}

inline bool walk_number(od::value& v) {
  double d = 0;
  if (v.get_double().get(d) == simdjson::SUCCESS) return true;
  std::int64_t i = 0;
  if (v.get_int64().get(i) == simdjson::SUCCESS) return true;
  std::uint64_t u = 0;
  if (v.get_uint64().get(u) == simdjson::SUCCESS) return true;
  // Beyond a double (1e400) is still JSON; the token runs to the next structural character or the end.
  const std::string_view token = v.raw_json_token();
  return number_grammar(token.substr(0, token.find_first_of(",}]")));
}

// How deep the walk goes before it gives up (its recursion must stay well inside the stack, even under ASan).
constexpr int max_walk_depth = 256;

// false when the value is not valid JSON; `too_deep` set (and true) when it nests deeper than max_walk_depth.
inline bool walk(od::value v, int depth, bool& too_deep) {
  if (depth > max_walk_depth) {
    too_deep = true;
    return true;
  }
  od::json_type t{};
  if (v.type().get(t)) return false;
  switch (t) {
    case od::json_type::object: {
      od::object obj;
      if (v.get_object().get(obj)) return false;
      for (auto field_result : obj) {
        od::field field;
        if (std::move(field_result).get(field)) return false;
        std::string_view key;
        if (field.unescaped_key().get(key)) return false;
        if (!walk(field.value(), depth + 1, too_deep)) return false;
        if (too_deep) return true;
      }
      return true;
    }
    case od::json_type::array: {
      od::array arr;
      if (v.get_array().get(arr)) return false;
      for (auto element : arr) {
        od::value item;
        if (std::move(element).get(item)) return false;
        if (!walk(item, depth + 1, too_deep)) return false;
        if (too_deep) return true;
      }
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s) == simdjson::SUCCESS;
    }
    case od::json_type::number: return walk_number(v);
    case od::json_type::boolean: {
      bool b = false;
      return v.get_bool().get(b) == simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool null = false;
      return v.is_null().get(null) == simdjson::SUCCESS && null;
    }
    default: return false;
  }
}

// One complete value per the On-Demand API: the whole value walked, nothing after it.
inline bool valid_on_demand(simdjson::padded_string_view text, bool& too_deep) {
  too_deep = false;
  static od::parser parser;
  od::document doc;
  if (parser.iterate(text).get(doc)) return false;
  od::json_type t{};
  if (doc.type().get(t)) return false;
  bool ok = false;
  switch (t) {
    case od::json_type::object:
    case od::json_type::array: {
      od::value v;
      ok = doc.get_value().get(v) == simdjson::SUCCESS && walk(v, 1, too_deep);
      if (too_deep) return true;
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      ok = doc.get_string().get(s) == simdjson::SUCCESS;
      break;
    }
    case od::json_type::number: {
      double d = 0;
      std::int64_t i = 0;
      std::uint64_t u = 0;
      ok = doc.get_double().get(d) == simdjson::SUCCESS || doc.get_int64().get(i) == simdjson::SUCCESS ||
           doc.get_uint64().get(u) == simdjson::SUCCESS;
      if (!ok) {  // beyond a double: the whole text must be one number (and whitespace)
        const std::string_view whole(text.data(), text.size());
        return whole.find_first_of(",}]") == std::string_view::npos && number_grammar(whole);
      }
      break;
    }
    case od::json_type::boolean: {
      bool b = false;
      ok = doc.get_bool().get(b) == simdjson::SUCCESS;
      break;
    }
    case od::json_type::null: {
      bool null = false;
      ok = doc.is_null().get(null) == simdjson::SUCCESS && null;
      break;
    }
    default: return false;
  }
  const char* rest = nullptr;
  return ok && doc.current_location().get(rest) != simdjson::SUCCESS;  // at the end: nothing after the value
}

// simdjson's DOM parser. It also refuses integers beyond 64 bits and depths beyond 1024, which are valid JSON.
inline simdjson::error_code dom_error(simdjson::padded_string_view text) {
  static simdjson::dom::parser parser;
  simdjson::dom::element element;
  return parser.parse(text).get(element);
}

enum class verdict { valid, invalid, unsure };

// valid: both parsers accept it. invalid: the On-Demand walk refuses it, or the DOM parser does for a reason other
// than a number or depth it cannot represent. unsure: only the DOM parser refuses it, for such a reason, or the
// text nests deeper than max_walk_depth.
inline verdict check(simdjson::padded_string_view text) {
  bool too_deep = false;
  if (!valid_on_demand(text, too_deep)) return verdict::invalid;
  if (too_deep) return verdict::unsure;
  const simdjson::error_code e = dom_error(text);
  if (e == simdjson::SUCCESS) return verdict::valid;
  if (e == simdjson::NUMBER_ERROR || e == simdjson::NUMBER_OUT_OF_RANGE || e == simdjson::DEPTH_ERROR) {
    return verdict::unsure;
  }
  return verdict::invalid;
}

}  // namespace qurable_fuzz
