#pragma once
// What the bench compares: the SDK's receive path (full read and dispatch only) and four ways of parsing the same
// bodies with general-purpose JSON libraries. Every candidate keeps its parser between events, as a server would.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qurable_bench {

// Folds everything a candidate reads into one number, so the optimiser cannot drop the reads. Additions only:
// a cheap fold that costs every candidate the same per value, and no serial multiply chain.
struct sink {
  std::uint64_t value = 0;
  std::uint64_t count = 0;  // values (and keys) folded: the JSON walkers must agree on it for the same body

  void add(std::uint64_t x) noexcept {
    value += x;
    ++count;
  }
  void add(std::int64_t x) noexcept { add(static_cast<std::uint64_t>(x)); }
  void add(bool b) noexcept { add(std::uint64_t{b ? 3u : 5u}); }
  void add(double d) noexcept {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof bits);
    add(bits);
  }
  // Touching a string: its length and its first byte (reading it all would measure the sink, not the parser).
  void add(std::string_view s) noexcept {
    add(static_cast<std::uint64_t>(s.size()) + (s.empty() ? 0u : static_cast<unsigned char>(s.front())));
  }
  void add_null() noexcept { add(std::uint64_t{7}); }
};

class candidate {
 public:
  virtual ~candidate() = default;
  // The column name: full, envelope, dom, stage1, rapidjson, nlohmann.
  virtual const char* name() const noexcept = 0;
  // Parses and reads one body (whose capacity has SIMDJSON_PADDING spare bytes). False if it was not accepted.
  virtual bool run(const std::string& body, sink& out) = 0;
};

// The six candidates in the order of the table's columns.
std::vector<std::unique_ptr<candidate>> make_candidates();

}  // namespace qurable_bench
