#pragma once
// Standard base64 (RFC 4648 section 4, '+' '/' and '=' padding): the encoding Standard Webhooks uses for secrets
// and signatures. Hand-written so that neither direction allocates or needs an OpenSSL BIO, and so that decoding is
// strict (EVP_DecodeBlock accepts unpadded tails and silently keeps padding bytes in its output length).

#include <cstddef>
#include <string_view>

namespace qurable::webhooks::detail::base64 {

inline constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::size_t encoded_size(std::size_t byte_count) noexcept { return (byte_count + 2) / 3 * 4; }

// Upper bound: the exact size is smaller by the number of '=' characters.
constexpr std::size_t max_decoded_size(std::size_t char_count) noexcept { return char_count / 4 * 3; }

// Writes exactly encoded_size(size) characters to out (no terminating NUL).
constexpr void encode(const unsigned char* in, std::size_t size, char* out) noexcept {
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned long triple =
        (static_cast<unsigned long>(in[i]) << 16) | (static_cast<unsigned long>(in[i + 1]) << 8) | in[i + 2];
    *out++ = alphabet[(triple >> 18) & 0x3F];
    *out++ = alphabet[(triple >> 12) & 0x3F];
    *out++ = alphabet[(triple >> 6) & 0x3F];
    *out++ = alphabet[triple & 0x3F];
  }
  const std::size_t rest = size - i;
  if (rest == 0) return;
  unsigned long triple = static_cast<unsigned long>(in[i]) << 16;
  if (rest == 2) triple |= static_cast<unsigned long>(in[i + 1]) << 8;
  *out++ = alphabet[(triple >> 18) & 0x3F];
  *out++ = alphabet[(triple >> 12) & 0x3F];
  *out++ = rest == 2 ? alphabet[(triple >> 6) & 0x3F] : '=';
  *out = '=';
}

// The 6-bit value of an alphabet character, or -1.
constexpr int value_of(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict decoding: the length is a multiple of 4, '=' appears only as the last one or two characters, there is no
// whitespace, and the bits dropped by padding are zero (so every byte string has exactly one accepted encoding).
// `out` must have room for max_decoded_size(in.size()) bytes. Returns false on malformed input; `out_size` is then
// unspecified and `out` may have been partly written.
constexpr bool decode(std::string_view in, unsigned char* out, std::size_t& out_size) noexcept {
  out_size = 0;
  if (in.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    const std::size_t padding = !last ? 0 : in[i + 3] != '=' ? 0 : in[i + 2] == '=' ? 2 : 1;
    int v[4] = {0, 0, 0, 0};
    for (std::size_t k = 0; k < 4 - padding; ++k) {
      v[k] = value_of(in[i + k]);
      if (v[k] < 0) return false;
    }
    const unsigned long quad = (static_cast<unsigned long>(v[0]) << 18) | (static_cast<unsigned long>(v[1]) << 12) |
                               (static_cast<unsigned long>(v[2]) << 6) | static_cast<unsigned long>(v[3]);
    out[out_size++] = static_cast<unsigned char>(quad >> 16);
    if (padding == 2) {
      if ((quad & 0xFFFF) != 0) return false;
    } else {
      out[out_size++] = static_cast<unsigned char>((quad >> 8) & 0xFF);
      if (padding == 1) {
        if ((quad & 0xFF) != 0) return false;
      } else {
        out[out_size++] = static_cast<unsigned char>(quad & 0xFF);
      }
    }
  }
  return true;
}

}  // namespace qurable::webhooks::detail::base64
