#pragma once
// The platform's example payloads (tests/fixtures/*.json) and small text edits to build variants of them.

#include <cstddef>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "catch.hpp"

namespace qtest {

inline constexpr std::string_view member_created_file = "member-created.json";
inline constexpr std::string_view coupon_code_assigned_file = "coupon-code-assigned.json";
inline constexpr std::string_view coupon_code_used_file = "coupon-code-used.json";
inline constexpr std::string_view all_fixture_files[] = {member_created_file, coupon_code_assigned_file,
                                                         coupon_code_used_file};

// The exact bytes of tests/fixtures/<name>.
inline std::string read_fixture(std::string_view name) {
  const std::string path = std::string(QURABLE_FIXTURES_DIR) + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) FAIL("cannot open fixture " << path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) FAIL("empty fixture " << path);
  return text;
}

// `text` with its first occurrence of `from` replaced; the test fails when `from` is not there, so a fixture
// change cannot silently turn a variant into the original.
inline std::string replace_first(std::string text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) FAIL("not found: " << from);
  text.replace(at, from.size(), to);
  return text;
}

// Like replace_first, for the first occurrence after `anchor` (e.g. the "createdAt" inside "payload").
inline std::string replace_after(std::string text, std::string_view anchor, std::string_view from,
                                 std::string_view to) {
  const std::size_t a = text.find(anchor);
  const std::size_t at = a == std::string::npos ? a : text.find(from, a + anchor.size());
  if (at == std::string::npos) FAIL("not found: " << anchor << " then " << from);
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace qtest
