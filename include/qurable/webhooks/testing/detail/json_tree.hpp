#pragma once
// A small editable JSON tree for the test kit: read with simdjson DOM, edited through JSON Pointers (RFC 6901),
// written back with json_writer.hpp. Not on any receive path; clarity over speed. The SDK's own tests edit the
// fixtures with it too (through tests/support/json_edit.hpp), hence the raw values, the member moves and the
// indented output, which event_builder does not use.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "../../json_writer.hpp"

namespace qurable::webhooks::testing::detail {

struct json_member;

struct json_node {
  // raw: `text` is written as it is, unchecked: a malformed token, a number beyond a double, a string with its
  // escapes exactly as given. Nothing is looked up inside it.
  enum class kind : unsigned char { null, boolean, integer, unsigned_integer, number, string, array, object, raw };

  kind type = kind::null;
  bool boolean = false;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double number = 0;
  std::string text;                  // string; raw: the JSON text
  std::vector<json_node> items;      // array
  std::vector<json_member> members;  // object, in document order (duplicate keys kept as they came)
};

struct json_member {
  std::string key;
  json_node value;
};

inline simdjson::error_code from_dom(simdjson::dom::element element, json_node& out) {
  using simdjson::dom::element_type;
  switch (element.type()) {
    case element_type::ARRAY: {
      simdjson::dom::array array;
      if (auto e = element.get_array().get(array)) return e;
      out.type = json_node::kind::array;
      for (simdjson::dom::element item : array) {
        out.items.emplace_back();
        if (auto e = from_dom(item, out.items.back())) return e;
      }
      return simdjson::SUCCESS;
    }
    case element_type::OBJECT: {
      simdjson::dom::object object;
      if (auto e = element.get_object().get(object)) return e;
      out.type = json_node::kind::object;
      for (simdjson::dom::key_value_pair field : object) {
        out.members.push_back(json_member{std::string(field.key), json_node{}});
        if (auto e = from_dom(field.value, out.members.back().value)) return e;
      }
      return simdjson::SUCCESS;
    }
    case element_type::INT64: out.type = json_node::kind::integer; return element.get_int64().get(out.integer);
    case element_type::UINT64:
      out.type = json_node::kind::unsigned_integer;
      return element.get_uint64().get(out.unsigned_integer);
    case element_type::DOUBLE: out.type = json_node::kind::number; return element.get_double().get(out.number);
    case element_type::STRING: {
      std::string_view s;
      if (auto e = element.get_string().get(s)) return e;
      out.type = json_node::kind::string;
      out.text.assign(s.data(), s.size());
      return simdjson::SUCCESS;
    }
    case element_type::BOOL: out.type = json_node::kind::boolean; return element.get_bool().get(out.boolean);
    case element_type::NULL_VALUE: out.type = json_node::kind::null; return simdjson::SUCCESS;
    default: break;  // element types newer than this code (simdjson 4 adds BIGINT, when its parser is asked for it)
  }
  return simdjson::UNEXPECTED_ERROR;
}

// Parses `json` into `out`; false with a message in `error` when it is not JSON.
inline bool parse_json_node(std::string_view json, json_node& out, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::error_code e = parser.parse(json.data(), json.size(), true).get(root);
  if (!e) e = from_dom(root, out);
  if (e) {
    error = simdjson::error_message(e);
    return false;
  }
  return true;
}

// Compact JSON; with `indent`, each member and array item on a line of its own, indented by two spaces per level
// and "key": value (as the platform's examples are written).
inline void write_json(std::string& out, const json_node& node, bool indent = false, std::size_t level = 0) {
  const auto new_line = [&](std::size_t l) {
    if (indent) out.append(1, '\n').append(2 * l, ' ');
  };
  switch (node.type) {
    case json_node::kind::null: out += "null"; break;
    case json_node::kind::boolean: out += node.boolean ? "true" : "false"; break;
    case json_node::kind::integer: write_json_integer(out, node.integer); break;
    case json_node::kind::unsigned_integer: write_json_integer(out, node.unsigned_integer); break;
    case json_node::kind::number: write_json_double(out, node.number); break;
    case json_node::kind::string: write_json_string(out, node.text); break;
    case json_node::kind::raw: out += node.text; break;
    case json_node::kind::array: {
      out += '[';
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        if (i != 0) out += ',';
        new_line(level + 1);
        write_json(out, node.items[i], indent, level + 1);
      }
      if (!node.items.empty()) new_line(level);
      out += ']';
      break;
    }
    case json_node::kind::object: {
      out += '{';
      for (std::size_t i = 0; i < node.members.size(); ++i) {
        if (i != 0) out += ',';
        new_line(level + 1);
        write_json_string(out, node.members[i].key);
        out += indent ? ": " : ":";
        write_json(out, node.members[i].value, indent, level + 1);
      }
      if (!node.members.empty()) new_line(level);
      out += '}';
      break;
    }
  }
}

// The reference tokens of a JSON Pointer, unescaped ("~1" is "/", "~0" is "~"). False when it is not a pointer:
// not empty and not starting with "/", or a "~" not followed by 0 or 1.
inline bool split_json_pointer(std::string_view pointer, std::vector<std::string>& tokens) {
  tokens.clear();
  if (pointer.empty()) return true;
  if (pointer.front() != '/') return false;
  pointer.remove_prefix(1);
  for (;;) {
    const std::size_t slash = pointer.find('/');
    const std::string_view raw = pointer.substr(0, slash);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token += raw[i];
      } else if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[++i] == '0' ? '~' : '/';
      } else {
        return false;
      }
    }
    tokens.push_back(std::move(token));
    if (slash == std::string_view::npos) return true;
    pointer.remove_prefix(slash + 1);
  }
}

// An array index token: "0", or digits without a leading zero.
inline bool parse_array_index(const std::string& token, std::size_t& index) {
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) return false;
  std::size_t value = 0;
  for (const char c : token) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  index = value;
  return true;
}

// The value at `tokens`, or null when there is none.
inline json_node* find_json_node(json_node& root, const std::vector<std::string>& tokens, std::size_t count) {
  json_node* node = &root;
  for (std::size_t t = 0; t < count; ++t) {
    const std::string& token = tokens[t];
    if (node->type == json_node::kind::object) {
      json_node* next = nullptr;
      for (json_member& m : node->members) {
        if (m.key == token) {
          next = &m.value;
          break;
        }
      }
      node = next;
    } else if (node->type == json_node::kind::array) {
      std::size_t index = 0;
      node = parse_array_index(token, index) && index < node->items.size() ? &node->items[index] : nullptr;
    } else {
      node = nullptr;
    }
    if (node == nullptr) return nullptr;
  }
  return node;
}

// The value at `pointer`, or null when there is none (or `pointer` is not a JSON Pointer).
inline json_node* find_json_node(json_node& root, std::string_view pointer) {
  std::vector<std::string> tokens;
  if (!split_json_pointer(pointer, tokens)) return nullptr;
  return find_json_node(root, tokens, tokens.size());
}

// JSON Patch "add" semantics (RFC 6902): replaces an existing member or array item, adds a missing member, appends
// to an array with "-" (or the index one past the end). The parent must exist. Empty string on success.
inline std::string set_json_node(json_node& root, std::string_view pointer, json_node value) {
  std::vector<std::string> tokens;
  if (!split_json_pointer(pointer, tokens)) return "not a JSON Pointer";
  if (tokens.empty()) {
    root = std::move(value);
    return {};
  }
  json_node* parent = find_json_node(root, tokens, tokens.size() - 1);
  if (parent == nullptr) return "no parent value";
  const std::string& last = tokens.back();
  if (parent->type == json_node::kind::object) {
    for (json_member& m : parent->members) {
      if (m.key == last) {
        m.value = std::move(value);
        return {};
      }
    }
    parent->members.push_back(json_member{last, std::move(value)});
    return {};
  }
  if (parent->type == json_node::kind::array) {
    std::size_t index = 0;
    if (last == "-")
      index = parent->items.size();
    else if (!parse_array_index(last, index) || index > parent->items.size())
      return "no such array index";
    if (index == parent->items.size())
      parent->items.push_back(std::move(value));
    else
      parent->items[index] = std::move(value);
    return {};
  }
  return "the parent is neither an object nor an array";
}

// Removes the member (every member with that key, if the document repeats it) or the array item. Empty on success.
inline std::string remove_json_node(json_node& root, std::string_view pointer) {
  std::vector<std::string> tokens;
  if (!split_json_pointer(pointer, tokens)) return "not a JSON Pointer";
  if (tokens.empty()) return "cannot remove the whole document";
  json_node* parent = find_json_node(root, tokens, tokens.size() - 1);
  if (parent == nullptr) return "no parent value";
  const std::string& last = tokens.back();
  if (parent->type == json_node::kind::object) {
    const std::size_t before = parent->members.size();
    std::vector<json_member> kept;
    kept.reserve(before);
    for (json_member& m : parent->members) {
      if (m.key != last) kept.push_back(std::move(m));
    }
    parent->members = std::move(kept);
    return parent->members.size() == before ? "no such member" : "";
  }
  if (parent->type == json_node::kind::array) {
    std::size_t index = 0;
    if (!parse_array_index(last, index) || index >= parent->items.size()) return "no such array index";
    parent->items.erase(parent->items.begin() + static_cast<std::ptrdiff_t>(index));
    return {};
  }
  return "the parent is neither an object nor an array";
}

// Moves the member at `pointer` to the front (or the back) of its object. Empty string on success.
inline std::string move_json_member(json_node& root, std::string_view pointer, bool to_front) {
  std::vector<std::string> tokens;
  if (!split_json_pointer(pointer, tokens)) return "not a JSON Pointer";
  if (tokens.empty()) return "the whole document is not a member";
  json_node* parent = find_json_node(root, tokens, tokens.size() - 1);
  if (parent == nullptr || parent->type != json_node::kind::object) return "no parent object";
  std::vector<json_member>& members = parent->members;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].key != tokens.back()) continue;
    json_member moved = std::move(members[i]);
    members.erase(members.begin() + static_cast<std::ptrdiff_t>(i));
    members.insert(to_front ? members.begin() : members.end(), std::move(moved));
    return {};
  }
  return "no such member";
}

// Reverses the order of the members of every object in `node`, recursively (array items keep their order).
inline void reverse_json_members(json_node& node) {
  std::reverse(node.members.begin(), node.members.end());
  for (json_member& m : node.members) reverse_json_members(m.value);
  for (json_node& item : node.items) reverse_json_members(item);
}

// Calls `f(pointer, value)` for `node` (pointer "") and every value inside it, parents before children.
template <class F>
void for_each_json_node(json_node& node, F&& f, const std::string& pointer = {}) {
  f(pointer, node);
  for (json_member& m : node.members) {
    std::string child = pointer + '/';
    for (const char c : m.key) child += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    for_each_json_node(m.value, f, child);
  }
  for (std::size_t i = 0; i < node.items.size(); ++i)
    for_each_json_node(node.items[i], f, pointer + '/' + std::to_string(i));
}

}  // namespace qurable::webhooks::testing::detail
