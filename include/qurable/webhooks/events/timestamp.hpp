#pragma once
// Platform timestamps ("2025-04-24T13:22:50.049Z"): kept as the raw string, parsed only when asked.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "../detail/inline.hpp"
#include "../error.hpp"

namespace qurable::webhooks {

// UTC time with millisecond resolution (std::chrono::sys_time<milliseconds> in C++20 terms).
using time_point = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

namespace detail {

constexpr bool read_digits(std::string_view s, std::size_t pos, std::size_t count, int& out) noexcept {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date in years 0..9999 (four digits): the well-known
// days-from-civil, counted from March (so a leap day ends its year) and from 400 years earlier, so that every
// quantity is non-negative and each division is by a constant on an unsigned number (a multiplication).
constexpr std::int64_t days_from_civil(unsigned year, unsigned month, unsigned day) noexcept {
  const unsigned y = year + 400 - (month <= 2 ? 1 : 0);
  const unsigned from_march = month > 2 ? month - 3 : month + 9;
  const unsigned day_of_year = (153 * from_march + 2) / 5 + day - 1;
  const unsigned centuries = y / 100;
  const std::int64_t days = std::int64_t{365} * y + y / 4 - centuries + centuries / 4 + day_of_year;
  return days - 719468 - 146097;  // 146097: the days of the 400 years added above
}

constexpr bool is_leap(unsigned y) noexcept { return (y & 3) == 0 && (y % 100 != 0 || y % 400 == 0); }

// m in 1..12: 28 plus two bits per month of 0x3bbeecc (3 for 31 days, 2 for 30, 0 for February), plus a leap day.
constexpr unsigned days_in_month(unsigned y, unsigned m) noexcept {
  return 28 + ((0x3bbeeccu >> (2 * m)) & 3) + (m == 2 && is_leap(y) ? 1 : 0);
}

// Eight bytes of `s` from `at` as a little-endian word: one load at run time on a little-endian machine, bytes
// assembled otherwise (in constant evaluation, or big-endian).
constexpr std::uint64_t le_word(std::string_view s, std::size_t at) noexcept {
  std::uint64_t word = 0;
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (!__builtin_is_constant_evaluated()) {
    std::memcpy(&word, s.data() + at, sizeof word);
    return word;
  }
#endif
  for (std::size_t k = 0; k < 8; ++k) word |= std::uint64_t{static_cast<unsigned char>(s[at + k])} << (8 * k);
  return word;
}

// The platform's form, "YYYY-MM-DDTHH:MM:SS.mmmZ", as three little-endian words: per word, the bytes that hold
// digits (0xff) and the separators' values (the other bytes).
inline constexpr std::uint64_t iso_digits[3] = {0x00ffff00ffffffffu, 0xffff00ffff00ffffu, 0x00ffffff00ffff00u};
inline constexpr std::uint64_t iso_separators[3] = {0x2d00002d00000000u, 0x00003a0000540000u, 0x5a0000002e00003au};

// Whether `word` (the k-th) has its separators and a digit in each digit byte: a digit's high nibble is 3 (checked
// with the separators in one compare) and adding 6 to it does not carry out of its low nibble (at most 0x3f + 6:
// no carry into the next byte).
constexpr bool iso_shape_ok(std::uint64_t word, int k) noexcept {
  const std::uint64_t digits = iso_digits[k];
  const std::uint64_t high = digits & 0xf0f0f0f0f0f0f0f0u;
  const std::uint64_t threes = digits & 0x3030303030303030u;
  return ((word & (high | ~digits)) ^ (threes | iso_separators[k])) == 0 &&
         (((word + (digits & 0x0606060606060606u)) & high) ^ threes) == 0;
}

// The digits of `word` as values 0..9 (other bytes 0), each byte then plus ten times itself shifted down: byte i
// becomes 10 * digit i + digit i + 1 (digit i + 1 being 0 past a digit run).
constexpr std::uint64_t iso_pairs(std::uint64_t word, int k) noexcept {
  const std::uint64_t values = word & iso_digits[k] & 0x0f0f0f0f0f0f0f0fu;
  return values * 10 + (values >> 8);
}

// The fields of a parsed timestamp, range-checked, as Unix milliseconds; both paths of parse_iso8601 end here (forced
// inline: clang otherwise shares one copy between them, about 10 % slower on the fast path).
QURABLE_WEBHOOKS_INLINE constexpr error_code to_epoch_ms(int year, int month, int day, int hour, int minute, int second,
                                                         int millis, int offset_minutes,
                                                         std::int64_t& ms_since_epoch) noexcept {
  const auto y = static_cast<unsigned>(year), m = static_cast<unsigned>(month), d = static_cast<unsigned>(day);
  // Unsigned: m - 1 > 11 is m < 1 or m > 12 in one compare, d - 1 >= n is d < 1 or d > n.
  if (m - 1 > 11 || d - 1 >= days_in_month(y, m) || hour > 23 || minute > 59 ||
      second > 60) {  // 60: a leap second, folded into the next minute like std::chrono does
    return error_code::invalid_timestamp;
  }
  const std::int64_t days = days_from_civil(y, m, d);
  const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  ms_since_epoch = seconds * 1000 + millis;
  return error_code::none;
}

// parse_iso8601 for every form but the platform's own: out of line, so that the common path saves no registers.
QURABLE_WEBHOOKS_NOINLINE constexpr error_code parse_iso8601_general(std::string_view s,
                                                                     std::int64_t& ms_since_epoch) noexcept {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !read_digits(s, 5, 2, month) || s[7] != '-' ||
      !read_digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !read_digits(s, 11, 2, hour) || s[13] != ':' ||
      !read_digits(s, 14, 2, minute) || s[16] != ':' || !read_digits(s, 17, 2, second)) {
    return error_code::invalid_timestamp;
  }
  std::size_t pos = 19;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return error_code::invalid_timestamp;
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!read_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !read_digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return error_code::invalid_timestamp;
    }
    offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return error_code::invalid_timestamp;  // a time without a zone is ambiguous
  }
  if (pos != s.size()) return error_code::invalid_timestamp;
  return to_epoch_ms(year, month, day, hour, minute, second, millis, offset_minutes, ms_since_epoch);
}

// Parses "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+hh:mm|-hh:mm)"; fractions beyond milliseconds are truncated.
constexpr error_code parse_iso8601(std::string_view s, std::int64_t& ms_since_epoch) noexcept {
  if (s.size() == 24) {
    // The form the platform sends (2025-04-24T13:22:50.049Z, JavaScript's toISOString): checked and read eight
    // bytes at a time. Anything else takes parse_iso8601_general; both give the same result.
    const std::uint64_t w0 = le_word(s, 0), w1 = le_word(s, 8), w2 = le_word(s, 16);
    if (iso_shape_ok(w0, 0) && iso_shape_ok(w1, 1) && iso_shape_ok(w2, 2)) {
      // Each byte i of a pair word holds 10 * digit i + digit i + 1: two-digit numbers start at bytes 0, 2, 5
      // (YYYY-MM-), 0, 3, 6 (DDTHH:MM) and 1, 4 (:SS.mmmZ). No byte carries (<= 99).
      const std::uint64_t p0 = iso_pairs(w0, 0), p1 = iso_pairs(w1, 1), p2 = iso_pairs(w2, 2);
      const auto at = [](std::uint64_t p, int byte) { return static_cast<int>((p >> (8 * byte)) & 0xff); };
      const int millis = at(p2, 4) * 10 + (at(w2, 6) - '0');  // the third digit alone: byte 7 is 'Z'
      return to_epoch_ms(at(p0, 0) * 100 + at(p0, 2), at(p0, 5), at(p1, 0), at(p1, 3), at(p1, 6), at(p2, 1), millis, 0,
                         ms_since_epoch);
    }
  }
  return parse_iso8601_general(s, ms_since_epoch);
}

}  // namespace detail

// A timestamp field: the raw string as sent, and its value on demand. A malformed string is an error when it is
// read (error_code::invalid_timestamp), never when the event is received, so one odd date does not drop an event.
class timestamp {
 public:
  constexpr timestamp() noexcept = default;
  constexpr explicit timestamp(std::string_view raw) noexcept : raw_(raw) {}

  constexpr std::string_view raw() const noexcept { return raw_; }

  // simdjson-style: `time_point t; if (auto err = ts.get(t); err != error_code::none) ...`
  constexpr error_code get(time_point& out) const noexcept {
    std::int64_t ms = 0;
    const error_code err = detail::parse_iso8601(raw_, ms);
    if (err == error_code::none) out = time_point(std::chrono::milliseconds(ms));
    return err;
  }

  // The value, or nothing when the string is malformed.
  std::optional<time_point> value() const noexcept {
    time_point t{};
    if (get(t) != error_code::none) return std::nullopt;
    return t;
  }

 private:
  std::string_view raw_;
};

}  // namespace qurable::webhooks
