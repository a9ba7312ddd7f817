#pragma once
// A small editable JSON tree for building test bodies: parse a fixture, change one member by JSON Pointer
// (replace, remove, rename, move, add), print it back. Scalars and keys keep their exact text, so an edit changes
// only what it names. Made for trusted input (fixtures and literals in tests): malformed text fails the test.

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catch.hpp"

namespace qtest {

class json_tree {
 public:
  enum class kind { scalar, array, object };

  static json_tree parse(std::string_view text) {
    std::size_t pos = 0;
    json_tree tree = parse_value(text, pos, 0);
    skip_space(text, pos);
    if (pos != text.size()) FAIL("trailing text in " << text);
    return tree;
  }

  kind type() const noexcept { return kind_; }
  // A scalar's token as written: "\"abc\"", "12", "null".
  const std::string& token() const noexcept { return token_; }
  std::vector<json_tree>& items() noexcept { return items_; }
  std::vector<std::pair<std::string, json_tree>>& members() noexcept { return members_; }

  // The value at a JSON Pointer ("" is the root), or nullptr.
  json_tree* find(std::string_view pointer) {
    json_tree* node = this;
    for (const std::string& segment : split(pointer)) {
      node = node->child(segment);
      if (node == nullptr) return nullptr;
    }
    return node;
  }

  json_tree& at(std::string_view pointer) {
    json_tree* node = find(pointer);
    if (node == nullptr) FAIL("no value at " << pointer);
    return *node;
  }

  bool contains(std::string_view pointer) { return find(pointer) != nullptr; }

  // Replaces the value at `pointer`, or adds it as the last member of its parent object.
  json_tree& set(std::string_view pointer, std::string_view json) {
    json_tree value = parse(json);
    auto target = parent_of(pointer);  // not a structured binding: clang 14 cannot capture one in a lambda
    json_tree* parent = target.first;
    const std::string& key = target.second;
    if (json_tree* existing = parent->child(key)) {
      *existing = std::move(value);
      return *existing;
    }
    if (parent->kind_ != kind::object) FAIL("cannot add " << pointer);
    parent->members_.emplace_back(key, std::move(value));
    return parent->members_.back().second;
  }

  void remove(std::string_view pointer) {
    auto target = parent_of(pointer);
    json_tree* parent = target.first;
    const std::string& key = target.second;
    if (parent->kind_ == kind::object) {
      auto it =
          std::find_if(parent->members_.begin(), parent->members_.end(), [&](const auto& m) { return m.first == key; });
      if (it == parent->members_.end()) FAIL("no value to remove at " << pointer);
      parent->members_.erase(it);
    } else {
      const std::size_t index = to_index(key);
      if (index >= parent->items_.size()) FAIL("no value to remove at " << pointer);
      parent->items_.erase(parent->items_.begin() + static_cast<std::ptrdiff_t>(index));
    }
  }

  // Gives the member at `pointer` another key, in place.
  void rename(std::string_view pointer, std::string_view new_key) {
    auto target = parent_of(pointer);
    json_tree* parent = target.first;
    const std::string& key = target.second;
    auto& m = parent->member(key);
    m.first = std::string(new_key);
  }

  // Moves the member at `pointer` to the front or the back of its object.
  void move_to_front(std::string_view pointer) { move(pointer, true); }
  void move_to_back(std::string_view pointer) { move(pointer, false); }

  // Reverses the order of the members of every object, recursively.
  void reverse_all_members() {
    std::reverse(members_.begin(), members_.end());
    for (auto& m : members_) m.second.reverse_all_members();
    for (auto& item : items_) item.reverse_all_members();
  }

  // Calls `f(pointer, value)` for every value, parents before children.
  void for_each(const std::function<void(const std::string&, json_tree&)>& f, const std::string& pointer = {}) {
    f(pointer, *this);
    for (auto& m : members_) m.second.for_each(f, pointer + "/" + escape(m.first));
    for (std::size_t i = 0; i < items_.size(); ++i) items_[i].for_each(f, pointer + "/" + std::to_string(i));
  }

  // Compact JSON, or indented by two spaces per level.
  std::string dump(bool pretty = false) const {
    std::string out;
    write(out, pretty, 0);
    return out;
  }

 private:
  static void skip_space(std::string_view s, std::size_t& pos) {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\n' || s[pos] == '\r' || s[pos] == '\t')) ++pos;
  }

  static void expect(std::string_view s, std::size_t& pos, char c) {
    skip_space(s, pos);
    if (pos >= s.size() || s[pos] != c) FAIL("expected '" << c << "' at offset " << pos << " of " << s);
    ++pos;
  }

  static std::string read_string(std::string_view s, std::size_t& pos) {  // returns the text between the quotes
    expect(s, pos, '"');
    const std::size_t begin = pos;
    while (pos < s.size() && s[pos] != '"') pos += s[pos] == '\\' ? 2 : 1;
    if (pos >= s.size()) FAIL("unterminated string in " << s);
    return std::string(s.substr(begin, pos++ - begin));
  }

  static json_tree parse_value(std::string_view s, std::size_t& pos, int depth) {
    skip_space(s, pos);
    if (pos >= s.size() || depth > 100000) FAIL("unexpected end of " << s);
    json_tree node;
    if (s[pos] == '{') {
      node.kind_ = kind::object;
      ++pos;
      skip_space(s, pos);
      if (pos < s.size() && s[pos] == '}') return ++pos, node;
      for (;;) {
        std::string key = read_string(s, pos);
        expect(s, pos, ':');
        node.members_.emplace_back(std::move(key), parse_value(s, pos, depth + 1));
        skip_space(s, pos);
        if (pos < s.size() && s[pos] == '}') return ++pos, node;
        expect(s, pos, ',');
      }
    }
    if (s[pos] == '[') {
      node.kind_ = kind::array;
      ++pos;
      skip_space(s, pos);
      if (pos < s.size() && s[pos] == ']') return ++pos, node;
      for (;;) {
        node.items_.push_back(parse_value(s, pos, depth + 1));
        skip_space(s, pos);
        if (pos < s.size() && s[pos] == ']') return ++pos, node;
        expect(s, pos, ',');
      }
    }
    if (s[pos] == '"') {
      node.token_ = "\"" + read_string(s, pos) + "\"";
      return node;
    }
    const std::size_t begin = pos;
    while (pos < s.size() && std::string_view(",]} \n\r\t").find(s[pos]) == std::string_view::npos) ++pos;
    if (pos == begin) FAIL("empty scalar at offset " << begin << " of " << s);
    node.token_ = std::string(s.substr(begin, pos - begin));
    return node;
  }

  static std::vector<std::string> split(std::string_view pointer) {
    std::vector<std::string> segments;
    if (pointer.empty()) return segments;
    if (pointer.front() != '/') FAIL("a JSON Pointer starts with '/': " << pointer);
    std::size_t start = 1;
    for (;;) {
      const std::size_t slash = pointer.find('/', start);
      std::string segment(
          pointer.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
      for (std::size_t i = 0; (i = segment.find('~', i)) != std::string::npos; ++i) {
        segment.replace(i, 2, segment.compare(i, 2, "~1") == 0 ? "/" : "~");
      }
      segments.push_back(std::move(segment));
      if (slash == std::string_view::npos) return segments;
      start = slash + 1;
    }
  }

  static std::string escape(const std::string& key) {
    std::string out;
    for (char c : key) out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
    return out;
  }

  static std::size_t to_index(const std::string& segment) {
    if (segment.empty() || segment.find_first_not_of("0123456789") != std::string::npos) {
      FAIL("not an array index: " << segment);
    }
    return static_cast<std::size_t>(std::stoul(segment));
  }

  json_tree* child(const std::string& segment) {
    if (kind_ == kind::object) {
      for (auto& m : members_) {
        if (m.first == segment) return &m.second;
      }
      return nullptr;
    }
    if (kind_ == kind::array) {
      const std::size_t index = to_index(segment);
      return index < items_.size() ? &items_[index] : nullptr;
    }
    return nullptr;
  }

  std::pair<std::string, json_tree>& member(const std::string& key) {
    auto it = std::find_if(members_.begin(), members_.end(), [&](const auto& m) { return m.first == key; });
    if (kind_ != kind::object || it == members_.end()) FAIL("no member " << key);
    return *it;
  }

  std::pair<json_tree*, std::string> parent_of(std::string_view pointer) {
    std::vector<std::string> segments = split(pointer);
    if (segments.empty()) FAIL("the root has no parent");
    std::string last = std::move(segments.back());
    segments.pop_back();
    json_tree* node = this;
    for (const std::string& segment : segments) {
      node = node->child(segment);
      if (node == nullptr) FAIL("no parent for " << pointer);
    }
    return {node, std::move(last)};
  }

  void move(std::string_view pointer, bool to_front) {
    auto target = parent_of(pointer);
    json_tree* parent = target.first;
    const std::string& key = target.second;
    auto it =
        std::find_if(parent->members_.begin(), parent->members_.end(), [&](const auto& x) { return x.first == key; });
    if (it == parent->members_.end()) FAIL("no member " << pointer);
    auto m = std::move(*it);
    parent->members_.erase(it);
    if (to_front) {
      parent->members_.insert(parent->members_.begin(), std::move(m));
    } else {
      parent->members_.push_back(std::move(m));
    }
  }

  void write(std::string& out, bool pretty, int level) const {
    const auto newline = [&](int l) {
      if (pretty) out += "\n" + std::string(static_cast<std::size_t>(l) * 2, ' ');
    };
    switch (kind_) {
      case kind::scalar: out += token_; return;
      case kind::array:
        out += '[';
        for (std::size_t i = 0; i < items_.size(); ++i) {
          if (i) out += ',';
          newline(level + 1);
          items_[i].write(out, pretty, level + 1);
        }
        if (!items_.empty()) newline(level);
        out += ']';
        return;
      case kind::object:
        out += '{';
        for (std::size_t i = 0; i < members_.size(); ++i) {
          if (i) out += ',';
          newline(level + 1);
          out += '"' + members_[i].first + (pretty ? "\": " : "\":");
          members_[i].second.write(out, pretty, level + 1);
        }
        if (!members_.empty()) newline(level);
        out += '}';
        return;
    }
  }

  kind kind_ = kind::scalar;
  std::string token_;
  std::vector<json_tree> items_;
  std::vector<std::pair<std::string, json_tree>> members_;
};

}  // namespace qtest
