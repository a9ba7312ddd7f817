#pragma once
// The events every candidate parses: the platform's three example payloads plus larger variants generated
// deterministically, so every run and every machine measures the same bytes.

#include <string>
#include <vector>

namespace qurable_bench {

struct corpus_event {
  std::string name;  // e.g. "member-created (fixture)"
  // The body. Its capacity leaves SIMDJSON_PADDING spare bytes, so every simdjson candidate (the SDK included)
  // reads it in place, as a server that reserves padding when it reads the request would.
  std::string body;
};

// Reads member-created.json, coupon-code-assigned.json and coupon-code-used.json from `fixtures_dir` and adds
// the generated variants. On failure returns an empty list and sets `error`.
std::vector<corpus_event> load_corpus(const std::string& fixtures_dir, std::string& error);

}  // namespace qurable_bench
