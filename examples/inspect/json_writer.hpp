#pragma once
// qurable-inspect's streaming JSON writer: the commas between members and items, on top of the SDK's public
// <qurable/webhooks/json_writer.hpp> for the strings and integers (the same escaping as the SDK's own response
// bodies and log lines). Two things are the tool's own: numbers are written as people (and the platform) write
// them, 20 rather than the SDK's 20.0, and raw JSON values are minified onto the one output line.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <simdjson.h>

#include <qurable/webhooks/json_writer.hpp>

namespace qurable_inspect {

class json_writer {
 public:
  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  // An object member's name; the value follows with the next call.
  json_writer& key(std::string_view name) {
    separate();
    qurable::webhooks::write_json_string(out_, name);
    out_ += ':';
    need_comma_ = false;
    return *this;
  }

  json_writer& string(std::string_view s) {
    separate();
    qurable::webhooks::write_json_string(out_, s);
    need_comma_ = true;
    return *this;
  }

  json_writer& null() { return literal("null"); }
  json_writer& boolean(bool b) { return literal(b ? "true" : "false"); }

  json_writer& integer(std::int64_t n) {
    separate();
    qurable::webhooks::write_json_integer(out_, n);
    need_comma_ = true;
    return *this;
  }

  // The fewest significant digits that read back as the same double: 20 → "20", 12.5 → "12.5", 0.1 → "0.1".
  // Done with printf/strtod rather than floating-point to_chars, which not every standard library of C++17 has.
  json_writer& number(double d) {
    if (!std::isfinite(d)) return null();  // JSON has no NaN or infinity (and simdjson never produces them)
    char text[40];
    int precision = 1;
    for (; precision < 17; ++precision) {
      std::snprintf(text, sizeof text, "%.*g", precision, d);
      if (std::strtod(text, nullptr) == d) break;
    }
    std::snprintf(text, sizeof text, "%.*g", precision, d);
    // %g switches to an exponent as soon as the digits run out ("2e+01" for 20): write plain digits instead
    // while the number is below 1e17, as people (and the platform) do.
    if (const char* e = std::strchr(text, 'e')) {
      const long exponent = std::strtol(e + 1, nullptr, 10);
      if (exponent >= precision && exponent < 17) {
        std::snprintf(text, sizeof text, "%.*g", static_cast<int>(exponent) + 1, d);
      }
    }
    return literal(text);
  }

  // Text that is already valid JSON (a raw_json value from the SDK), written without its insignificant whitespace
  // so that the output stays on one line; strings inside it are kept byte for byte.
  json_writer& raw(std::string_view json) {
    separate();
    const std::size_t start = out_.size();
    out_.resize(start + json.size() + simdjson::SIMDJSON_PADDING);
    std::size_t written = 0;
    if (simdjson::minify(json.data(), json.size(), &out_[start], written) != simdjson::SUCCESS) {
      out_.replace(start, std::string::npos, json);  // cannot happen for validated text; keep it as it is
    } else {
      out_.resize(start + written);
    }
    need_comma_ = true;
    return *this;
  }

  const std::string& str() const noexcept { return out_; }

 private:
  void separate() {
    if (need_comma_) out_ += ',';
  }

  json_writer& open(char bracket) {
    separate();
    out_ += bracket;
    need_comma_ = false;
    return *this;
  }

  json_writer& close(char bracket) {
    out_ += bracket;
    need_comma_ = true;
    return *this;
  }

  json_writer& literal(std::string_view text) {
    separate();
    out_ += text;
    need_comma_ = true;
    return *this;
  }

  std::string out_;
  bool need_comma_ = false;  // a value has been written at this level: the next one needs a separator
};

}  // namespace qurable_inspect
