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
// Then the same at the receiver level: qw::receiver::handle() (method, Content-Type, an authentication that accepts,
// parse, dispatch, the response) with no observer, with the Prometheus observer, with a no-op observer (every stage
// timed) and with a no-op observer timing parse and handler only, as the Prometheus one does (its clock reads and
// virtual call alone), against the same receiver unobserved (a second instance as A/A). This is the cost an application
// pays per request. With the signature component (QURABLE_BENCH_SIGNATURE) the same again with Standard Webhooks
// signatures checked, as a production receiver does (still no HTTP: an HTTP request costs tens of microseconds more,
// see qurable-http-bench). Method as qurable-bench (docs/performance.md): calibrated ~2 ms samples of the four-event
// mix, 31 rounds, the order of candidates rotating per round, thread CPU time, medians; each ratio is the median over
// rounds of the per-round ratio to `plain`.
#include <prometheus/registry.h>
#include <simdjson.h>
#include <time.h>
#include <qurable/webhooks.hpp>
#include <qurable/webhooks/http/receiver.hpp>
#if defined(QURABLE_BENCH_SIGNATURE)
#include <ctime>

#include <qurable/webhooks/auth/standard_webhooks.hpp>
#endif
#include <qurable/webhooks/observe/json_log.hpp>
#include <qurable/webhooks/observe/observer.hpp>
#include <qurable/webhooks/observe/prometheus.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  qw::stage_clock clock(rec, qw::observe_stage::parse);
  const qw::outcome out = qw::receive(parser, body, nothing{});
  clock.lap(qw::observe_stage::parse, qw::observe_stage::handler);
  // (receive() runs the handler inside: here an empty stage, one clock read)
  clock.lap(qw::observe_stage::handler, qw::observe_stages::none());
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

// Times candidates side by side: calibrated ~2 ms samples of one mix, `rounds` rounds with the order rotating per
// round, thread CPU time. Prints each candidate's median time per event and its median per-round ratio to the first.
void compare(const char* title, const std::vector<const char*>& names, std::size_t events,
             const std::function<void(std::size_t)>& mix, std::size_t slowest) {
  const std::size_t candidates = names.size();
  std::size_t reps = 1;
  for (std::size_t c = 0; c < candidates; ++c) {
    for (int i = 0; i < 200; ++i) mix(c);
  }
  for (;;) {
    const double t0 = thread_seconds();
    for (std::size_t i = 0; i < reps; ++i) mix(slowest);
    if (thread_seconds() - t0 >= 0.002) break;
    reps *= 2;
  }

  constexpr int rounds = 31;
  std::vector<std::vector<double>> per_mix(candidates);
  std::vector<std::vector<double>> ratios(candidates);
  for (int round = 0; round < rounds; ++round) {
    std::vector<double> t(candidates);
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

  std::printf("%s: %zu events per mix, %d rounds, %zu mixes per sample (thread CPU time)\n", title, events, rounds,
              reps);
  for (std::size_t c = 0; c < candidates; ++c) {
    std::printf("  %-14s %8.0f ns per event   x%.3f of %s\n", names[c],
                median(per_mix[c]) * 1e9 / static_cast<double>(events), median(ratios[c]), names[0]);
  }
}

// What a stack's header map gives the receiver: views, no allocation.
std::optional<std::string_view> json_headers(std::string_view name) {
  if (name == "content-type") return std::string_view("application/json");
  return std::nullopt;
}

std::unique_ptr<qw::receiver<nothing>> make_receiver(qw::observer* o, qw::authentication auth) {
  qw::receiver_options options;
  options.observer = o;
  return std::make_unique<qw::receiver<nothing>>(nothing{}, std::move(auth), options);
}

// A no-op observer that times what the Prometheus adapter times (parse and handler): its clock reads and call alone.
struct parse_and_handler final : qw::observer {
  parse_and_handler() : qw::observer({qw::observe_stage::parse, qw::observe_stage::handler}) {}
};

qw::authentication accept_all() {
  return qw::authentication::with([](const qw::header_lookup&, std::string_view) { return true; });
}

#if defined(QURABLE_BENCH_SIGNATURE)
constexpr std::string_view bench_secret = "whsec_cXVyYWJsZS13ZWJob29rcyBkZW1vIHNlY3JldCwgMzI=";

// A delivery's signed headers, as views.
struct signed_headers {
  std::string id;
  std::string timestamp;
  std::string signature;
  std::optional<std::string_view> operator()(std::string_view name) const {
    if (name == "content-type") return std::string_view("application/json");
    if (name == "webhook-id") return std::string_view(id);
    if (name == "webhook-timestamp") return std::string_view(timestamp);
    if (name == "webhook-signature") return std::string_view(signature);
    return std::nullopt;
  }
};
#endif

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

  const std::vector<const char*> names = {"plain", "empty slot", "no-op obs.", "prometheus", "json log", "plain again"};
  std::array<qw::parser, 6> parsers;
  std::uint64_t sink = 0;
  compare(
      "qurable-observe-bench", names, events.size(),
      [&](std::size_t c) {
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
      },
      4);  // json log, the slowest

  // The receiver level: the same events through qw::receiver::handle().
  prometheus::Registry receiver_registry;
  qw::prometheus_observer receiver_metrics(receiver_registry);
  parse_and_handler no_op_two;
  const std::array<std::unique_ptr<qw::receiver<nothing>>, 5> receivers = {
      make_receiver(nullptr, accept_all()), make_receiver(&receiver_metrics, accept_all()),
      make_receiver(&no_op, accept_all()), make_receiver(&no_op_two, accept_all()),
      make_receiver(nullptr, accept_all())};
  compare(
      "receiver::handle()", {"no observer", "prometheus", "no-op obs.", "no-op p+h", "no obs. again"}, events.size(),
      [&](std::size_t c) {
        for (const std::string& body : events) {
          const qw::response r = receivers[c]->handle("POST", json_headers, body);
          sink += static_cast<std::uint64_t>(r.status());
        }
      },
      1);
  std::uint64_t observer_failures = 0;
  for (const auto& r : receivers) observer_failures += r->observer_failures();

#if defined(QURABLE_BENCH_SIGNATURE)
  std::vector<signed_headers> signatures;
  const std::string now = std::to_string(static_cast<long long>(std::time(nullptr)));
  for (std::size_t i = 0; i < events.size(); ++i) {
    signed_headers h{"msg_bench_" + std::to_string(i), now, {}};
    h.signature = qw::sign_standard_webhooks(bench_secret, h.id, h.timestamp, events[i]).value_or("");
    signatures.push_back(h);
  }
  const std::array<std::unique_ptr<qw::receiver<nothing>>, 3> verifying = {
      make_receiver(nullptr, qw::standard_webhooks(bench_secret)),
      make_receiver(&receiver_metrics, qw::standard_webhooks(bench_secret)),
      make_receiver(nullptr, qw::standard_webhooks(bench_secret))};
  std::uint64_t verified = 0;
  compare(
      "receiver::handle(), Standard Webhooks signatures", {"no observer", "prometheus", "no obs. again"}, events.size(),
      [&](std::size_t c) {
        for (std::size_t i = 0; i < events.size(); ++i) {
          const qw::response r = verifying[c]->handle("POST", signatures[i], events[i]);
          verified += r.status() == 200 ? 1 : 0;
        }
      },
      1);
  sink += verified;
  if (verified % events.size() != 0 || verified == 0) {
    std::fprintf(stderr, "qurable-observe-bench: some signed deliveries were not answered 200\n");
    return 1;
  }
  for (const auto& r : verifying) observer_failures += r->observer_failures();
#endif

  std::printf("(sink %llu, logged %llu bytes, observer failures %llu)\n", static_cast<unsigned long long>(sink),
              static_cast<unsigned long long>(logged),
              static_cast<unsigned long long>(with_metrics.failures() + with_log.failures() + observer_failures));
  return 0;
}
