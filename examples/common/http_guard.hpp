#pragma once
// What every HTTP example checks in a request's header before it reads one byte of the body, whatever its HTTP
// stack: the framing (Content-Length, Transfer-Encoding) and the content coding (Content-Encoding). Copy it with the
// example. The stack collects the values of those three headers (every occurrence: a header sent twice is two values)
// and asks check_framing(); a refusal is answered as is, and the connection is then closed, because after a request
// whose framing is in doubt nobody knows where the next one starts.
//
// Why each check:
// - Content-Length: only digits (RFC 9110 §8.6); sent several times, every copy must be the same number
//   (RFC 9112 §6.3). Stacks differ on "abc", "-1", "1e3", an overflowing number or two different values (the first
//   wins, zero, a 64-bit wrap...): refusing them here gives every example the same, safe answer, 400.
// - Transfer-Encoding: "chunked" is the only coding an example reads; anything else, or Transfer-Encoding together
//   with Content-Length (a classic request-smuggling shape), is 400.
// - Content-Encoding: the platform sends plain JSON. A compressed body is refused with 415 and
//   "Accept-Encoding: identity" (RFC 7694) before anything is decompressed: a 24 KB brotli body can expand to
//   gigabytes, and the signature covers the bytes as sent anyway.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qurable_examples {

// An answer that ends the connection: status, JSON body, and at most one extra header.
struct framing_refusal {
  int status = 400;
  std::string_view body;
  std::string_view header_name;  // empty: none
  std::string_view header_value;
};

inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A Content-Length value: 1 to 18 digits (up to just under 10^18: no overflow, and far above any limit).
inline std::optional<std::uint64_t> parse_content_length(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// The values one header was sent with, as the stack gives them (views into the request): up to four, without
// allocating; a fifth occurrence makes the request suspect, and is refused like a conflict.
class header_values {
 public:
  void emplace_back(std::string_view value) {
    if (size_ < 4) values_[size_] = value;
    ++size_;
  }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  bool overflowed() const noexcept { return size_ > 4; }
  std::string_view front() const noexcept { return values_[0]; }
  const std::string_view* begin() const noexcept { return values_; }
  const std::string_view* end() const noexcept { return values_ + (size_ < 4 ? size_ : 4); }

 private:
  std::string_view values_[4];
  std::size_t size_ = 0;
};

// The values each header was sent with (none when absent).
struct framing_headers {
  header_values content_length;
  header_values transfer_encoding;
  header_values content_encoding;
};

inline std::optional<framing_refusal> check_framing(const framing_headers& h) {
  static constexpr std::string_view bad_length =
      R"({"outcome":"bad_request","message":"invalid or conflicting Content-Length"})";
  static constexpr std::string_view bad_transfer =
      R"({"outcome":"bad_request","message":"Transfer-Encoding must be chunked, without Content-Length"})";
  static constexpr std::string_view compressed =
      R"json({"outcome":"unsupported_media_type","message":"Content-Encoding must be identity (send the JSON as is)"})json";

  if (h.content_length.overflowed()) return framing_refusal{400, bad_length, {}, {}};
  if (h.content_encoding.overflowed()) return framing_refusal{415, compressed, "Accept-Encoding", "identity"};
  std::optional<std::uint64_t> length;
  for (const std::string_view value : h.content_length) {
    const std::optional<std::uint64_t> n = parse_content_length(value);
    if (!n || (length && *length != *n)) return framing_refusal{400, bad_length, {}, {}};
    length = n;
  }
  if (!h.transfer_encoding.empty()) {
    if (h.transfer_encoding.size() != 1 || !equals_ignoring_case(trim(h.transfer_encoding.front()), "chunked") ||
        !h.content_length.empty()) {
      return framing_refusal{400, bad_transfer, {}, {}};
    }
  }
  for (const std::string_view value : h.content_encoding) {
    if (!equals_ignoring_case(trim(value), "identity")) {
      return framing_refusal{415, compressed, "Accept-Encoding", "identity"};
    }
  }
  return std::nullopt;
}

}  // namespace qurable_examples
