// qurable-bench: the SDK's receive path against simdjson DOM, simdjson On-Demand (one field), RapidJSON and
// nlohmann::json, in one process, on the same bodies. See docs/performance.md for how to read the output.
//
// Method: warm up and calibrate every (candidate, event) pair, then run rounds. In each round every event is timed
// under every candidate in turn, starting the rotation at a different candidate each round, so frequency drift and
// noise from the other core hit all candidates alike. Reported numbers are medians over the rounds; each ratio is
// the median of the per-round ratios of the mix times.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <time.h>

#include <simdjson.h>

#include "alloc_counter.hpp"  // tests/support
#include "candidates.hpp"
#include "corpus.hpp"

#ifndef QURABLE_BENCH_FIXTURES_DIR
#define QURABLE_BENCH_FIXTURES_DIR "tests/fixtures"
#endif
#ifndef QURABLE_BENCH_FLAGS
#define QURABLE_BENCH_FLAGS "(unknown)"
#endif

#define QURABLE_BENCH_STRINGIFY_(x) #x
#define QURABLE_BENCH_STRINGIFY(x) QURABLE_BENCH_STRINGIFY_(x)
#if defined(__clang__)
#define QURABLE_BENCH_COMPILER                                                   \
  "clang " QURABLE_BENCH_STRINGIFY(__clang_major__) "." QURABLE_BENCH_STRINGIFY( \
      __clang_minor__) "." QURABLE_BENCH_STRINGIFY(__clang_patchlevel__)
#elif defined(__GNUC__)
#define QURABLE_BENCH_COMPILER "g++ " __VERSION__
#else
#define QURABLE_BENCH_COMPILER "unknown compiler"
#endif

namespace {

using namespace qurable_bench;
using bench_clock = std::chrono::steady_clock;

// Keeps the sinks observable, so no candidate's reads can be optimised away.
volatile std::uint64_t g_observed = 0;

struct settings {
  bool quick = false;
  std::string fixtures_dir = QURABLE_BENCH_FIXTURES_DIR;
  int rounds = 31;
  double sample_ms = 2.0;   // time of one (candidate, event) measurement
  double warmup_ms = 30.0;  // per (candidate, event), before calibration
  std::string profile;      // when set: run only this candidate over the mix, for a profiler, and print nothing else
  double profile_seconds = 10.0;
  long profile_passes = 0;  // when > 0: that many passes over the mix instead of a time (deterministic, for callgrind)
};

void usage(const char* argv0) {
  std::printf(
      "usage: %s [--quick] [--fixtures DIR] [--rounds N] [--profile CANDIDATE [--seconds S | --passes N]]\n"
      "  --quick         short run (a fraction of a second) for a smoke check; numbers are noisier\n"
      "  --fixtures DIR  where member-created.json, coupon-code-assigned.json, coupon-code-used.json are\n"
      "                  (default: %s)\n"
      "  --rounds N      measurement rounds (default 31, quick 7); the median is reported\n"
      "  --profile C     only run candidate C (full, envelope, dom, stage1, rapidjson, nlohmann) over the mix for\n"
      "                  S seconds (default 10) or N times, e.g. under perf record or valgrind --tool=callgrind\n",
      argv0, QURABLE_BENCH_FIXTURES_DIR);
}

bool parse_arguments(int argc, char** argv, settings& s) {
  bool rounds_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--quick") {
      s.quick = true;
    } else if (arg == "--fixtures" && i + 1 < argc) {
      s.fixtures_dir = argv[++i];
    } else if (arg == "--profile" && i + 1 < argc) {
      s.profile = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      s.profile_seconds = std::atof(argv[++i]);
    } else if (arg == "--passes" && i + 1 < argc) {
      s.profile_passes = std::atol(argv[++i]);
    } else if (arg == "--rounds" && i + 1 < argc) {
      s.rounds = std::atoi(argv[++i]);
      rounds_given = true;
      if (s.rounds < 1) return false;
    } else {
      return false;
    }
  }
  if (s.quick) {
    if (!rounds_given) s.rounds = 7;
    s.sample_ms = 0.3;
    s.warmup_ms = 3.0;
  }
  return true;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Interquartile range relative to the median: how noisy the rounds were.
double relative_spread(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const double q1 = values[n / 4];
  const double q3 = values[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1];
  const double mid = median(values);
  return mid > 0 ? (q3 - q1) / mid : 0;
}

// The time samples are measured in: this thread's CPU time where there is one, so that time spent descheduled
// (builds and fuzzers sharing the two cores) does not count; wall time otherwise.
#if defined(CLOCK_THREAD_CPUTIME_ID)
constexpr const char* sample_clock_name = "thread CPU time";
double sample_clock_ns() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}
#else
constexpr const char* sample_clock_name = "steady_clock (wall time)";
double sample_clock_ns() {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(bench_clock::now().time_since_epoch()).count());
}
#endif

// Runs `c` on `body` `reps` times; returns the elapsed nanoseconds. Counts rejected runs in `failures`.
double time_runs(candidate& c, const std::string& body, std::uint64_t reps, std::uint64_t& failures) {
  sink s;
  const double start = sample_clock_ns();
  for (std::uint64_t i = 0; i < reps; ++i) failures += c.run(body, s) ? 0 : 1;
  const double stop = sample_clock_ns();
  g_observed = g_observed + s.value;
  return stop - start;
}

std::string format_ratio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", r);
  return buf;
}

std::string format_allocs(double a) {
  char buf[32];
  if (a == static_cast<double>(static_cast<std::uint64_t>(a))) {
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(a));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", a);
  }
  return buf;
}

// Runs one candidate over the mix until the time is up, so that a profiler sees nothing else.
int profile_one(const std::vector<std::unique_ptr<candidate>>& candidates, const std::vector<corpus_event>& events,
                const settings& config) {
  for (const auto& c : candidates) {
    if (config.profile != c->name()) continue;
    std::uint64_t failures = 0;
    std::uint64_t mixes = 0;
    sink s;
    const auto deadline = bench_clock::now() + std::chrono::duration<double>(config.profile_seconds);
    do {
      for (const corpus_event& e : events) failures += c->run(e.body, s) ? 0 : 1;
      ++mixes;
    } while (config.profile_passes > 0 ? mixes < static_cast<std::uint64_t>(config.profile_passes)
                                       : bench_clock::now() < deadline);
    g_observed = g_observed + s.value;
    std::printf("profiled %s: %llu passes over the mix, %llu failures\n", c->name(),
                static_cast<unsigned long long>(mixes), static_cast<unsigned long long>(failures));
    return failures == 0 ? 0 : 1;
  }
  std::fprintf(stderr, "qurable-bench: no candidate named %s\n", config.profile.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  qtest::alloc_counter::counting = false;  // only the allocation pass below counts
  settings config;
  if (!parse_arguments(argc, argv, config)) {
    usage(argv[0]);
    return 2;
  }

  std::string error;
  const std::vector<corpus_event> events = load_corpus(config.fixtures_dir, error);
  if (events.empty()) {
    std::fprintf(stderr, "qurable-bench: %s (use --fixtures DIR)\n", error.c_str());
    return 1;
  }
  std::vector<std::unique_ptr<candidate>> candidates = make_candidates();
  const std::size_t n_events = events.size();
  const std::size_t n_candidates = candidates.size();
  enum column : std::size_t { full, envelope, dom, stage1, rapidjson, nlohmann };

  std::size_t mix_bytes = 0;
  for (const corpus_event& e : events) mix_bytes += e.body.size();

  // Every candidate must accept every body, and the three JSON walkers must see the same number of values:
  // otherwise the comparison would not be a comparison.
  for (const corpus_event& e : events) {
    std::uint64_t walked[3] = {};
    for (std::size_t c = 0; c < n_candidates; ++c) {
      sink s;
      if (!candidates[c]->run(e.body, s)) {
        std::fprintf(stderr, "qurable-bench: %s does not accept %s\n", candidates[c]->name(), e.name.c_str());
        return 1;
      }
      if (c == dom) walked[0] = s.count;
      if (c == rapidjson) walked[1] = s.count;
      if (c == nlohmann) walked[2] = s.count;
    }
    if (walked[0] != walked[1] || walked[0] != walked[2]) {
      std::fprintf(stderr, "qurable-bench: the walkers disagree on %s: dom %llu, rapidjson %llu, nlohmann %llu\n",
                   e.name.c_str(), static_cast<unsigned long long>(walked[0]),
                   static_cast<unsigned long long>(walked[1]), static_cast<unsigned long long>(walked[2]));
      return 1;
    }
  }

  if (!config.profile.empty()) return profile_one(candidates, events, config);

  // Warm-up and calibration: how many runs make one sample of about sample_ms.
  std::uint64_t failures = 0;
  std::vector<std::vector<std::uint64_t>> reps(n_candidates, std::vector<std::uint64_t>(n_events, 1));
  for (std::size_t c = 0; c < n_candidates; ++c) {
    for (std::size_t e = 0; e < n_events; ++e) {
      std::uint64_t runs = 0;
      double elapsed = 0;
      for (std::uint64_t batch = 1; elapsed < config.warmup_ms * 1e6; batch *= 2) {
        elapsed += time_runs(*candidates[c], events[e].body, batch, failures);
        runs += batch;
      }
      const double per_run = elapsed / static_cast<double>(runs);
      reps[c][e] = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(config.sample_ms * 1e6 / per_run));
    }
  }

  // ns[c][e][round]: nanoseconds per run.
  std::vector<std::vector<std::vector<double>>> ns(
      n_candidates, std::vector<std::vector<double>>(n_events, std::vector<double>(config.rounds)));
  for (int round = 0; round < config.rounds; ++round) {
    for (std::size_t e = 0; e < n_events; ++e) {
      for (std::size_t k = 0; k < n_candidates; ++k) {
        const std::size_t c = (k + static_cast<std::size_t>(round)) % n_candidates;
        ns[c][e][round] =
            time_runs(*candidates[c], events[e].body, reps[c][e], failures) / static_cast<double>(reps[c][e]);
      }
    }
  }
  if (failures != 0) {
    std::fprintf(stderr, "qurable-bench: %llu runs failed during measurement\n",
                 static_cast<unsigned long long>(failures));
    return 1;
  }

  // The mix: every event once. mix[c][round] = nanoseconds to process the whole mix.
  std::vector<std::vector<double>> mix(n_candidates, std::vector<double>(config.rounds, 0));
  for (std::size_t c = 0; c < n_candidates; ++c) {
    for (int round = 0; round < config.rounds; ++round) {
      for (std::size_t e = 0; e < n_events; ++e) mix[c][round] += ns[c][e][round];
    }
  }
  auto ratio_of = [&](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> r(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) r[i] = a[i] / b[i];
    return median(r);
  };

  // Heap allocations per event once warm (the parsers above have seen every body many times).
  std::vector<double> allocs(n_candidates, 0);
  const int alloc_passes = 20;
  for (std::size_t c = 0; c < n_candidates; ++c) {
    sink s;
    const long before = qtest::alloc_counter::allocations.load();
    qtest::alloc_counter::counting = true;
    for (int pass = 0; pass < alloc_passes; ++pass) {
      for (const corpus_event& e : events) failures += candidates[c]->run(e.body, s) ? 0 : 1;
    }
    qtest::alloc_counter::counting = false;
    g_observed = g_observed + s.value;
    allocs[c] = static_cast<double>(qtest::alloc_counter::allocations.load() - before) /
                static_cast<double>(alloc_passes * n_events);
  }

  // --- report --------------------------------------------------------------------------------------------------
  std::printf("qurable-bench: %zu events (%zu bytes per mix), %d rounds, ~%.1f ms per sample (%s)%s\n", n_events,
              mix_bytes, config.rounds, config.sample_ms, sample_clock_name,
              config.quick ? ", --quick: indicative only" : "");
  std::printf("build: %s, flags: %s\n", QURABLE_BENCH_COMPILER, QURABLE_BENCH_FLAGS);
  // Stage 1 (and all of DOM) runs the library's best kernel for this CPU, chosen at run time; On-Demand's value
  // parsing (the SDK's decoder, stage1's field lookup) is inlined into this binary, for the -march it was built for.
  std::printf("simdjson %d.%d.%d: stage 1 and DOM use %s (runtime dispatch); On-Demand inlined here as %s\n",
              int{simdjson::SIMDJSON_VERSION_MAJOR}, int{simdjson::SIMDJSON_VERSION_MINOR},
              int{simdjson::SIMDJSON_VERSION_REVISION}, simdjson::get_active_implementation()->name().c_str(),
              QURABLE_BENCH_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION));
  std::printf("\n");
  std::printf(
      "candidates: full = SDK receive(), visitor reads every field and parses every timestamp\n"
      "            envelope = SDK receive(), visitor reads nothing (validation + decoding + dispatch)\n"
      "            dom = simdjson DOM parse + walk; stage1 = simdjson On-Demand, reads event.eventType only\n"
      "            rapidjson = RapidJSON parse + walk; nlohmann = nlohmann::json parse + walk\n\n");

  std::printf("ns/event (median)              bytes");
  for (const auto& c : candidates) std::printf(" %10s", c->name());
  std::printf("\n");
  for (std::size_t e = 0; e < n_events; ++e) {
    std::printf("%-30s %6zu", events[e].name.c_str(), events[e].body.size());
    for (std::size_t c = 0; c < n_candidates; ++c) std::printf(" %10.0f", median(ns[c][e]));
    std::printf("\n");
  }
  std::printf("%-30s %6zu", "all events (mean of the mix)", mix_bytes / n_events);
  for (std::size_t c = 0; c < n_candidates; ++c) std::printf(" %10.0f", median(mix[c]) / double(n_events));
  std::printf("\n%-37s", "MB/s (mix)");
  for (std::size_t c = 0; c < n_candidates; ++c) std::printf(" %10.0f", double(mix_bytes) / median(mix[c]) * 1e3);
  std::printf("\n%-37s", "spread (IQR/median of the mix)");
  for (std::size_t c = 0; c < n_candidates; ++c) std::printf(" %9.1f%%", relative_spread(mix[c]) * 100);
  std::printf("\n%-37s", "heap allocations/event (warm)");
  for (std::size_t c = 0; c < n_candidates; ++c) std::printf(" %10s", format_allocs(allocs[c]).c_str());
  std::printf("\n\n");

  struct ratio_spec {
    const char* label;
    std::size_t sdk;
    std::size_t baseline;
    double target;
  };
  // full/dom and envelope/dom: issue 10's targets (every byte validated and decoded, against DOM parse + walk).
  const ratio_spec ratios[] = {{"full/dom", full, dom, 1.0},
                               {"full/nlohmann", full, nlohmann, 0.05},
                               {"full/rapidjson", full, rapidjson, 0.2},
                               {"envelope/stage1", envelope, stage1, 1.5},
                               {"envelope/dom", envelope, dom, 0.9}};
  std::printf("ratios: SDK time / baseline time, lower is better\n%-37s", "");
  for (const ratio_spec& r : ratios) std::printf(" %15s", r.label);
  std::printf("\n");
  for (std::size_t e = 0; e < n_events; ++e) {
    std::printf("%-37s", events[e].name.c_str());
    for (const ratio_spec& r : ratios) std::printf(" %15.3f", ratio_of(ns[r.sdk][e], ns[r.baseline][e]));
    std::printf("\n");
  }
  std::vector<double> mix_ratio;
  std::printf("%-37s", "mix (median of per-round ratios)");
  for (const ratio_spec& r : ratios) {
    mix_ratio.push_back(ratio_of(mix[r.sdk], mix[r.baseline]));
    std::printf(" %15.3f", mix_ratio.back());
  }
  std::printf("\n%-37s", "target");
  for (const ratio_spec& r : ratios) std::printf("   %13s", ("<= " + format_ratio(r.target)).c_str());
  std::printf("\n%-37s", "");
  for (std::size_t i = 0; i < mix_ratio.size(); ++i) {
    std::printf(" %15s", mix_ratio[i] <= ratios[i].target ? "met" : "MISSED");
  }
  std::printf("\nallocations/event target 0 (full): %s\n\n", allocs[full] == 0 ? "met" : "MISSED");

  std::printf(
      "summary: full_vs_dom=%s full_vs_nlohmann=%s full_vs_rapidjson=%s envelope_vs_stage1=%s envelope_vs_dom=%s "
      "allocs_per_event=%s\n",
      format_ratio(mix_ratio[0]).c_str(), format_ratio(mix_ratio[1]).c_str(), format_ratio(mix_ratio[2]).c_str(),
      format_ratio(mix_ratio[3]).c_str(), format_ratio(mix_ratio[4]).c_str(), format_allocs(allocs[full]).c_str());
  return failures == 0 ? 0 : 1;
}
