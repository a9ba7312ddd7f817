// qurable-observe-bench: what observing a request costs, side by side in one process. Four candidates handle the same
// events (tests/fixtures: member-created, coupon-code-assigned, coupon-code-used, an unknown type) with receive() and
// a visitor that does nothing, i.e. the cheapest request the SDK has (no HTTP, no authentication, no store): any
// observer cost shows up larger here than in a real receiver.
//   plain       receive() only
//   plain again the same code as `plain` on its own parser: the noise floor of the ratios (an A/A comparison)
//   empty slot  receive() plus the bookkeeping a receiver does for observers, with no observer set (slot.record() is
//               null: stage_clock reads no clock, nothing is called)
//   no-op obs.  the same with an observer that does nothing (the clock reads and the virtual call alone)
//   prometheus  the same with a prometheus_observer in the slot (clock reads, on_request: counters, histograms)
//   json log    the same with a json_log_observer writing to a sink that keeps only the line's length
// Method as qurable-bench (docs/performance.md): calibrated ~2 ms samples of the four-event mix, 31 rounds, the order
// of candidates rotating per round, thread CPU time, medians; each ratio is the median over rounds of the per-round
// ratio to `plain`.
#include <prometheus/registry.h>
#include <simdjson.h>
#include <time.h>
#include <qurable/webhooks.hpp>
#include <qurable/webhooks/observe/json_log.hpp>
#include <qurable/webhooks/observe/observer.hpp>
#include <qurable/webhooks/observe/prometheus.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace qw = qurable::webhooks;

namespace {

double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string load(const std::string& name) {
  std::ifstream in(std::string(QURABLE_BENCH_FIXTURES_DIR) + "/" + name, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return body;
}

struct nothing {
  template <class T>
  void operator()(const T&) const noexcept {}
};

std::uint64_t plain(qw::parser& parser, const std::string& body) {
  const qw::outcome out = qw::receive(parser, body, nothing{});
  return static_cast<std::uint64_t>(out.http_status) + out.event_type.size();
}

// One request as a receiver will handle it: the record only when observed, parse+dispatch timed, outcome reported.
std::uint64_t handle(qw::parser& parser, const qw::observer_slot& slot, const std::string& body) {
  std::optional<qw::request_record> storage;
  qw::request_record* rec = slot.record(storage);
  qw::stage_clock clock(rec);
  const qw::outcome out = qw::receive(parser, body, nothing{});
  clock.lap(qw::observe_stage::parse);
  clock.lap(qw::observe_stage::handler);  // (receive() runs the handler inside: here an empty stage, one clock read)
  if (rec != nullptr) {
    rec->set_outcome(out);
    rec->body_size = body.size();
  }
  slot.request(rec);
  return static_cast<std::uint64_t>(out.http_status) + out.event_type.size();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  const std::vector<std::string> events = {load("member-created.json"), load("coupon-code-assigned.json"),
                                           load("coupon-code-used.json"), load("unknown-type.json")};
  for (const auto& e : events) {
    if (e.empty()) {
      std::fprintf(stderr, "qurable-observe-bench: a fixture is missing under %s\n", QURABLE_BENCH_FIXTURES_DIR);
      return 1;
    }
  }
  prometheus::Registry registry;
  qw::prometheus_observer metrics(registry);
  std::uint64_t logged = 0;
  qw::json_log_observer log([&logged](std::string_view line) { logged += line.size(); });
  const qw::observer_slot empty;
  qw::observer no_op;
  const qw::observer_slot with_no_op(&no_op);
  const qw::observer_slot with_metrics(&metrics);
  const qw::observer_slot with_log(&log);

  constexpr std::size_t candidates = 6;
  const std::array<const char*, candidates> names = {"plain",      "empty slot", "no-op obs.",
                                                     "prometheus", "json log",   "plain again"};
  std::array<qw::parser, candidates> parsers;
  std::uint64_t sink = 0;
  const auto mix = [&](std::size_t c) {
    for (const std::string& body : events) {
      switch (c) {
        case 0: sink += plain(parsers[c], body); break;
        case 1: sink += handle(parsers[c], empty, body); break;
        case 2: sink += handle(parsers[c], with_no_op, body); break;
        case 3: sink += handle(parsers[c], with_metrics, body); break;
        case 4: sink += handle(parsers[c], with_log, body); break;
        default: sink += plain(parsers[c], body); break;
      }
    }
  };

  // Calibration: mixes per ~2 ms sample, from the slowest candidate after a warm-up.
  std::size_t reps = 1;
  for (std::size_t c = 0; c < candidates; ++c) {
    for (int i = 0; i < 200; ++i) mix(c);
  }
  for (;;) {
    const double t0 = thread_seconds();
    for (std::size_t i = 0; i < reps; ++i) mix(4);  // json log, the slowest
    if (thread_seconds() - t0 >= 0.002) break;
    reps *= 2;
  }

  constexpr int rounds = 31;
  std::array<std::vector<double>, candidates> per_mix;
  std::array<std::vector<double>, candidates> ratios;
  for (int round = 0; round < rounds; ++round) {
    std::array<double, candidates> t{};
    for (std::size_t k = 0; k < candidates; ++k) {
      const std::size_t c = (k + static_cast<std::size_t>(round)) % candidates;
      const double t0 = thread_seconds();
      for (std::size_t i = 0; i < reps; ++i) mix(c);
      t[c] = (thread_seconds() - t0) / static_cast<double>(reps);
    }
    for (std::size_t c = 0; c < candidates; ++c) {
      per_mix[c].push_back(t[c]);
      ratios[c].push_back(t[c] / t[0]);
    }
  }

  std::printf("qurable-observe-bench: %zu events per mix, %d rounds, %zu mixes per sample (thread CPU time)\n",
              events.size(), rounds, reps);
  for (std::size_t c = 0; c < candidates; ++c) {
    std::printf("  %-11s %8.0f ns per event   x%.3f of plain\n", names[c],
                median(per_mix[c]) * 1e9 / static_cast<double>(events.size()), median(ratios[c]));
  }
  std::printf("(sink %llu, logged %llu bytes, observer failures %llu)\n", static_cast<unsigned long long>(sink),
              static_cast<unsigned long long>(logged),
              static_cast<unsigned long long>(with_metrics.failures() + with_log.failures()));
  return 0;
}
