#pragma once
// Writing JSON values into a std::string, with the escaping the SDK itself uses for its response bodies
// (http/response.hpp), its log lines (observe/json_log.hpp) and the test kit's builder. For your own log lines and
// bodies, e.g. a custom observer's: the strings it gets (JSON Pointer paths, messages, event types) come from the
// request body, so they must be escaped before they go into a line of JSON.
//
//   std::string line = R"({"log":"drift","path":)";
//   qurable::webhooks::write_json_string(line, record.path);
//   line += '}';
//
// These write values only: the caller keeps the structure well formed (a comma between members, one value after
// each key). No allocation beyond the string's own growth; no exception other than std::string's.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace qurable::webhooks {

// Appends `text` as a JSON string literal. Quote, backslash and the control characters below U+0020 are escaped
// (the short forms where JSON has them); every other byte, UTF-8 included, is copied as is, so bytes that are not
// UTF-8 stay as given (the test kit relies on that to build invalid bodies on purpose).
inline void write_json_string(std::string& out, std::string_view text) {
  constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the bytes not copied yet: copied in runs, not byte by byte
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
        out.append(escaped, sizeof escaped);
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

// Appends an integer (any integral type but bool) in decimal.
template <class Integer>
void write_json_integer(std::string& out, Integer value) {
  static_assert(std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>, "an integer type");
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// Appends a double. JSON has no NaN or infinity: they are written as null. Otherwise the shortest text that reads
// back as the same double (printf's %.17g where the standard library lacks floating-point to_chars), with ".0" on
// a whole number so that it stays visibly a double: 20.0, 12.5, 1e+20.
inline void write_json_double(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[32];
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
#else
  const int n = std::snprintf(buffer, sizeof buffer, "%.17g", value);
  const std::string_view text(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
#endif
  out += text;
  // "1e+20" and "20" are JSON numbers already; keep a double that happens to be integral visibly a double.
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

}  // namespace qurable::webhooks
