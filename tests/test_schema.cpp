// The descriptions (schema<T>) against what follows from them: the field reference in docs/events.md, the key
// tables, the known-events list, and get_if/dispatch over it.

#include "catch.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <qurable/webhooks.hpp>

namespace qw = qurable::webhooks;

namespace {

// --- the reference rows, from the descriptions --------------------------------------------------------------------
using row = std::vector<std::string>;  // JSON, member, type, presence
struct table {
  std::vector<row> rows;
};
using tables = std::map<std::string, table, std::less<>>;

// The C++ member name: the snake_case of the JSON name (the SDK's naming rule for every described member).
std::string snake_case(std::string_view json) {
  std::string out;
  for (char c : json) {
    if (c >= 'A' && c <= 'Z') {
      out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

template <class T>
void collect(tables& out);

template <class T>
std::string type_text(tables& out) {
  if constexpr (qw::detail::optional_traits<T>::is_optional) {
    return "optional " + type_text<typename qw::detail::optional_traits<T>::value_type>(out);
  } else if constexpr (qw::detail::array_traits<T>::is_array) {
    return "array_view<" + type_text<typename qw::detail::array_traits<T>::item_type>(out) + ">";
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return "string_view";
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return "int64";
  } else if constexpr (std::is_same_v<T, double>) {
    return "double";
  } else if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (std::is_same_v<T, qw::timestamp>) {
    return "timestamp";
  } else if constexpr (std::is_same_v<T, qw::raw_json>) {
    return "raw JSON";
  } else {
    collect<T>(out);
    return std::string(qw::schema<T>::name);
  }
}

template <class T>
void collect(tables& out) {
  if (out.count(qw::schema<T>::name) != 0) return;
  table& t = out[std::string(qw::schema<T>::name)];
  qw::for_each_field<T>([&](const auto& d) {
    using member_type = typename std::decay_t<decltype(d)>::value_type;
    std::string type = type_text<member_type>(out);
    if (d.is_id()) type += " (id: string or number)";
    std::string presence = d.required() ? "required" : "optional";
    if (d.is_routing()) presence += ", routing (never drift)";
    t.rows.push_back({"`" + std::string(d.name) + "`", "`" + snake_case(d.name) + "`", type, presence});
  });
}

template <class... Ts>
tables reference(qw::type_list<Ts...>) {
  tables out;
  collect<qw::event_envelope>(out);
  (collect<Ts>(out), ...);
  return out;
}

// --- the reference as docs/events.md has it ----------------------------------------------------------------------
std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

row cells(const std::string& line) {
  row out;
  std::size_t start = 1;
  while (start < line.size()) {
    const std::size_t end = line.find('|', start);
    if (end == std::string::npos) break;
    out.push_back(trim(std::string_view(line).substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

// Each heading ending in "— `name`" and the first four columns of the table under it.
tables documented(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  tables out;
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) {
      const auto dash = line.rfind("— `");
      current.clear();
      if (dash != std::string::npos && line.back() == '`') {
        current = line.substr(dash + std::string_view("— `").size());
        current.pop_back();
        out[current];
      }
    } else if (!current.empty() && line.rfind("| `", 0) == 0) {
      row r = cells(line);
      REQUIRE(r.size() >= 4);
      r.resize(4);
      out[current].rows.push_back(r);
    }
  }
  return out;
}

std::string markdown(const table& t) {
  std::string text;
  for (const row& r : t.rows) {
    for (const std::string& cell : r) text += "| " + cell + " ";
    text += "|\n";
  }
  return text;
}

}  // namespace

TEST_CASE("schema: docs/events.md lists every described field with the type and presence of its description") {
  const tables expected = reference(qw::known_events{});
  const tables doc = documented(QURABLE_DOCS_DIR "/events.md");
  CHECK(expected.size() >= 12);
  if (std::getenv("QURABLE_PRINT_FIELD_REFERENCE") != nullptr) {  // to write a new section: print them all
    for (const auto& [name, t] : expected) std::printf("## `%s`\n\n%s\n", name.c_str(), markdown(t).c_str());
  }
  for (const auto& [name, t] : expected) {
    INFO("section — `" << name << "` of docs/events.md; from the descriptions:\n" << markdown(t));
    const auto found = doc.find(name);
    REQUIRE(found != doc.end());
    CHECK(markdown(found->second) == markdown(t));
  }
  for (const auto& [name, t] : doc) {
    INFO("docs/events.md has a section for `" << name << "`, which is not a described struct");
    CHECK(expected.count(name) == 1);
  }
}

TEST_CASE("schema: the JSON kind of a member follows from its C++ type") {
  STATIC_REQUIRE(qw::json_kind_of<std::string_view>() == qw::json_kind::string);
  STATIC_REQUIRE(qw::json_kind_of<std::optional<std::int64_t>>() == qw::json_kind::integer);
  STATIC_REQUIRE(qw::json_kind_of<double>() == qw::json_kind::number);
  STATIC_REQUIRE(qw::json_kind_of<qw::timestamp>() == qw::json_kind::timestamp);
  STATIC_REQUIRE(qw::json_kind_of<qw::array_view<qw::tier>>() == qw::json_kind::array);
  STATIC_REQUIRE(qw::json_kind_of<std::optional<qw::gov_id>>() == qw::json_kind::object);
  STATIC_REQUIRE(qw::json_kind_of<qw::raw_json>() == qw::json_kind::any);
  STATIC_REQUIRE(qw::detail::required_mask<qw::tier> == 0b0011);
  STATIC_REQUIRE(qw::detail::field_index<qw::coupon_book>("discountAmount") == 9);
}

TEST_CASE("schema: event types, their names and get_if follow from known_events") {
  STATIC_REQUIRE(qw::known_events::size == 3);
  STATIC_REQUIRE(qw::to_event_type("coupon-code-used") == qw::event_type::coupon_code_used);
  STATIC_REQUIRE(qw::to_event_type("points-earned") == qw::event_type::unknown);
  STATIC_REQUIRE(qw::to_string(qw::event_type::member_created) == "member-created");
  STATIC_REQUIRE(qw::to_string(static_cast<qw::event_type>(200)) == "unknown");
  STATIC_REQUIRE(qw::event_type_of<qw::coupon_code_assigned> == qw::event_type::coupon_code_assigned);
  STATIC_REQUIRE(qw::is_known_event<qw::member_created>);
  STATIC_REQUIRE(!qw::is_known_event<qw::coupon_event>);
}

// Each entry of the one list gives a struct and an enumerator of the same name that map to each other.
#define QURABLE_TEST_ENTRY_MAPS(name)                                                                                 \
  STATIC_REQUIRE(qw::event_type_of<qw::name> == qw::event_type::name);                                                \
  STATIC_REQUIRE(qw::to_string(qw::event_type::name) == qw::name::type_name);                                         \
  STATIC_REQUIRE(qw::to_event_type(qw::name::type_name) == qw::event_type::name);                                     \
  STATIC_REQUIRE(                                                                                                     \
      std::is_same_v<qw::detail::type_at<static_cast<std::size_t>(qw::event_type::name) - 1, qw::known_events>::type, \
                     qw::name>);

TEST_CASE("schema: QURABLE_WEBHOOKS_KNOWN_EVENTS gives known_events and event_type in one order") {
  QURABLE_WEBHOOKS_KNOWN_EVENTS(QURABLE_TEST_ENTRY_MAPS)
#define QURABLE_TEST_PLUS_ONE(name) +1
  STATIC_REQUIRE(0 QURABLE_WEBHOOKS_KNOWN_EVENTS(QURABLE_TEST_PLUS_ONE) == qw::known_events::size);
#undef QURABLE_TEST_PLUS_ONE
}
#undef QURABLE_TEST_ENTRY_MAPS
