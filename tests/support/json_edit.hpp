#pragma once
// Editing the fixtures by JSON Pointer with the test kit's JSON tree (qurable/webhooks/testing/detail/json_tree.hpp):
// parse a fixture, replace, add, remove or move one member, write it back. This file only turns the kit's error
// strings into test failures. A value set here is written exactly as given (a raw node): a malformed token, a
// number beyond a double or a string's escapes reach the parser as the test wrote them.

#include <string>
#include <string_view>
#include <utility>

#include <qurable/webhooks/testing/detail/json_tree.hpp>

#include "catch.hpp"
#include "fixtures.hpp"

namespace qtest {

using json_node = qurable::webhooks::testing::detail::json_node;
using qurable::webhooks::testing::detail::for_each_json_node;    // f(pointer, node) for every value
using qurable::webhooks::testing::detail::reverse_json_members;  // every object's members in reverse order

// `text` as a tree; the test fails when it is not JSON.
inline json_node parse_json(std::string_view text) {
  json_node root;
  std::string error;
  if (!qurable::webhooks::testing::detail::parse_json_node(text, root, error)) FAIL(error << " in " << text);
  return root;
}

// tests/fixtures/<file> as a tree.
inline json_node fixture_tree(std::string_view file) { return parse_json(read_fixture(file)); }

// The value at a JSON Pointer ("" is the root); the test fails when there is none.
inline json_node& json_at(json_node& root, std::string_view pointer) {
  json_node* node = qurable::webhooks::testing::detail::find_json_node(root, pointer);
  if (node == nullptr) FAIL("no value at " << pointer);
  return *node;
}

inline bool json_contains(json_node& root, std::string_view pointer) {
  return qurable::webhooks::testing::detail::find_json_node(root, pointer) != nullptr;
}

// Replaces the value at `pointer` with the JSON text `json`, written as given, or adds it as the last member of its
// parent object.
inline void json_set(json_node& root, std::string_view pointer, std::string_view json) {
  json_node value;
  value.type = json_node::kind::raw;
  value.text.assign(json.data(), json.size());
  const std::string error = qurable::webhooks::testing::detail::set_json_node(root, pointer, std::move(value));
  if (!error.empty()) FAIL("set " << pointer << ": " << error);
}

inline void json_remove(json_node& root, std::string_view pointer) {
  const std::string error = qurable::webhooks::testing::detail::remove_json_node(root, pointer);
  if (!error.empty()) FAIL("remove " << pointer << ": " << error);
}

// Moves the member at `pointer` to the front or the back of its object.
inline void json_move(json_node& root, std::string_view pointer, bool to_front) {
  const std::string error = qurable::webhooks::testing::detail::move_json_member(root, pointer, to_front);
  if (!error.empty()) FAIL("move " << pointer << ": " << error);
}

// Compact JSON, or indented by two spaces per level.
inline std::string json_dump(const json_node& node, bool indent = false) {
  std::string out;
  qurable::webhooks::testing::detail::write_json(out, node, indent);
  return out;
}

}  // namespace qtest
