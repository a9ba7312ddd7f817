#pragma once
// Prometheus metrics for the receivers: an `observer` that counts into a prometheus::Registry (prometheus-cpp, core
// library only) and keeps its two histograms itself. Optional component: link qurable::webhooks_prometheus
// (find_package(qurable_webhooks COMPONENTS prometheus); vcpkg feature and Conan option
// `prometheus`/`with_prometheus`).
//
//   prometheus::Registry registry;                        // your metrics, if you have any, go here too
//   qw::prometheus_observer metrics(registry);
//   receiver_options.observer = &metrics;                 // the receivers' observer slot
//   // Serve all of it: prometheus::TextSerializer().Serialize(metrics.collect()) at /metrics, or with prometheus-cpp's
//   // Exposer: exposer.RegisterCollectable(registry_ptr); exposer.RegisterCollectable(metrics.histograms());
//
// The histograms are not in the registry: a prometheus::Histogram takes a mutex on every Observe(), and the registry
// takes no other kind. The observer's own are lock-free (per observation: one relaxed atomic add to a bucket and one
// to the sum, kept in clock ticks) and collected in the same form: names, labels, buckets, _sum and _count as a
// prometheus::Histogram would give. Exposing the registry alone leaves them out: use collect() or histograms().
//
// Metrics (docs/operations.md says what to alert on):
//   qurable_webhooks_requests_total{outcome,event_type,status}  counter: every request, by outcome_kind name
//   qurable_webhooks_rejections_total{code}                     counter: every 4xx answer, by error_code name for a
//                                                                rejected body, else by outcome (unauthorized,
//                                                                method_not_allowed, unsupported_media_type)
//   qurable_webhooks_dead_letters_total                         counter: bodies handed to the dead-letter hook
//   qurable_webhooks_duplicates_total                           counter: redeliveries answered from the store
//   qurable_webhooks_drift_total{event_type,path}               counter: schema drift records
//   qurable_webhooks_store_errors_total                         counter: idempotency store failures
//   qurable_webhooks_handler_seconds{event_type}                histogram: handler time
//   qurable_webhooks_parse_seconds                              histogram: parse + decode time
//   qurable_webhooks_queue_depth                                gauge: items waiting in the hand-off queue
//
// Label cardinality is bounded: event types and drift paths come from the sender. The three documented event types
// always have their own label value; up to `max_extra_event_types` other type names are kept as they arrive, and
// only if they look like a type name ([A-Za-z0-9._-], at most 64 bytes); every further one is counted as "other".
// A request that ended before its type was known has event_type="none". Drift series are capped at
// `max_drift_series` (event type, path) pairs; further ones are counted under path="other", as are paths that are
// not printable ASCII of at most 128 bytes.
//
// Hot path: every series a request touches is looked up once and then cached (atomic pointers indexed by event type,
// outcome and status), so a warm request does no map lookup, no allocation and takes no lock: one prometheus::Counter
// increment (lock-free), two histogram observations (relaxed atomics), and only the parse and handler durations are
// timed (observer::timed_stages(): three clock reads per request instead of four or five).

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/outcome.hpp"
#include "../error.hpp"
#include "../events/event_type.hpp"
#include "observer.hpp"

namespace qurable::webhooks {

namespace detail {

// Histogram bucket bounds: the upper bounds in seconds as exposed (`le`), and the same in clock ticks, the unit
// observations are compared in. Sorted, without duplicates, NaN or infinities (+Inf is always the last bucket).
struct tick_buckets {
  using duration = std::chrono::steady_clock::duration;

  explicit tick_buckets(std::vector<double> seconds) : upper(std::move(seconds)) {
    upper.erase(std::remove_if(upper.begin(), upper.end(), [](double b) { return !std::isfinite(b); }), upper.end());
    std::sort(upper.begin(), upper.end());
    upper.erase(std::unique(upper.begin(), upper.end()), upper.end());
    ticks.reserve(upper.size());
    for (const double bound : upper) ticks.push_back(to_ticks(bound));
  }

  // The largest tick count t with t <= bound (in seconds), so that `t <= ticks[i]` is `seconds(t) <= upper[i]`; a
  // bound that is a whole number of ticks but for rounding (0.000005 s is 5000 ns, not 4999.999...) is that number.
  static duration::rep to_ticks(double seconds) noexcept {
    using rep = duration::rep;
    const double x = seconds * static_cast<double>(duration::period::den) / static_cast<double>(duration::period::num);
    const double limit = static_cast<double>(std::numeric_limits<rep>::max() / 2);
    if (x >= limit) return static_cast<rep>(limit);
    if (x <= -limit) return static_cast<rep>(-limit);
    const double nearest = std::nearbyint(x);
    return static_cast<rep>(std::fabs(x - nearest) <= 1e-6 * std::max(1.0, std::fabs(x)) ? nearest : std::floor(x));
  }

  std::vector<double> upper;
  std::vector<duration::rep> ticks;
};

// A histogram of durations without a lock: an observation adds 1 to its bucket and its ticks to the sum, both relaxed
// atomics (exact: the sum is a whole number of ticks, no floating-point accumulation). Collected like a
// prometheus::Histogram: cumulative buckets, the +Inf bucket equal to the count. A collection that runs during
// observations may see an observation in its bucket and not yet in the sum: the next one sees both.
class tick_histogram {
 public:
  using duration = tick_buckets::duration;

  explicit tick_histogram(const tick_buckets& buckets) : buckets_(buckets), counts_(buckets.ticks.size() + 1) {}

  void observe(duration elapsed) noexcept {
    const duration::rep t = elapsed.count();
    const duration::rep* const bound = buckets_.ticks.data();
    const std::size_t n = buckets_.ticks.size();
    std::size_t i = 0;
    while (i < n && t > bound[i]) ++i;  // the first bucket whose bound is >= t; n is +Inf
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(t, std::memory_order_relaxed);
  }

  std::uint64_t count() const noexcept {
    std::uint64_t total = 0;
    for (const auto& c : counts_) total += c.load(std::memory_order_relaxed);
    return total;
  }

  prometheus::ClientMetric collect() const {
    prometheus::ClientMetric metric;
    metric.histogram.bucket.reserve(counts_.size());
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      prometheus::ClientMetric::Bucket bucket;
      bucket.cumulative_count = cumulative;
      bucket.upper_bound = i < buckets_.upper.size() ? buckets_.upper[i] : std::numeric_limits<double>::infinity();
      metric.histogram.bucket.push_back(bucket);
    }
    metric.histogram.sample_count = cumulative;
    metric.histogram.sample_sum = std::chrono::duration<double>(duration(sum_.load(std::memory_order_relaxed))).count();
    return metric;
  }

 private:
  const tick_buckets& buckets_;
  std::vector<std::atomic<std::uint64_t>> counts_;
  std::atomic<duration::rep> sum_{0};
};

}  // namespace detail

struct prometheus_observer_options {
  // Event type label values kept beyond the documented types, first come first kept; the rest count as "other".
  std::size_t max_extra_event_types = 32;
  // Distinct (event_type, path) drift series; further drift counts under path="other".
  std::size_t max_drift_series = 256;
  // Bucket upper bounds, in seconds.
  std::vector<double> handler_buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
  std::vector<double> parse_buckets = {0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025,
                                       0.0005,   0.001,   0.0025,   0.005,   0.01,   0.1};
};

class prometheus_observer final : public observer {
 public:
  static constexpr std::string_view other_label = "other";
  static constexpr std::string_view none_label = "none";

  // Registers the counter and gauge families in `registry` (which must outlive the observer) and creates the series
  // that exist from the start at 0: rejections per reason, dead letters, duplicates, store errors, parse time, queue
  // depth. Throws what prometheus-cpp throws when a family of the same name is already registered with other labels.
  // Bucket bounds are sorted; duplicates, NaN and infinities are dropped (+Inf is always there).
  explicit prometheus_observer(prometheus::Registry& registry, prometheus_observer_options options = {})
      : observer({observe_stage::parse, observe_stage::handler}),  // the only durations exported: no other clock read
        options_(std::move(options)),
        registry_(registry),
        requests_(prometheus::BuildCounter()
                      .Name("qurable_webhooks_requests_total")
                      .Help("Webhook requests, by outcome, event type and HTTP status")
                      .Register(registry)),
        rejections_(prometheus::BuildCounter()
                        .Name("qurable_webhooks_rejections_total")
                        .Help("Webhook requests answered 4xx, by error code (rejected bodies) or outcome")
                        .Register(registry)),
        drift_(prometheus::BuildCounter()
                   .Name("qurable_webhooks_drift_total")
                   .Help("Schema drift records, by event type and JSON Pointer")
                   .Register(registry)),
        dead_letters_(&prometheus::BuildCounter()
                           .Name("qurable_webhooks_dead_letters_total")
                           .Help("Bodies handed to the dead-letter hook")
                           .Register(registry)
                           .Add({})),
        duplicates_(&prometheus::BuildCounter()
                         .Name("qurable_webhooks_duplicates_total")
                         .Help("Redeliveries of already processed events (answered 200 without running the handler)")
                         .Register(registry)
                         .Add({})),
        store_errors_(&prometheus::BuildCounter()
                           .Name("qurable_webhooks_store_errors_total")
                           .Help("Idempotency store calls that failed")
                           .Register(registry)
                           .Add({})),
        queue_depth_(&prometheus::BuildGauge()
                          .Name("qurable_webhooks_queue_depth")
                          .Help("Events waiting in the hand-off queue")
                          .Register(registry)
                          .Add({})),
        state_(std::make_shared<state>(options_)) {
    for (std::size_t code = 0; code < rejected_codes_.size(); ++code) {
      const auto c = static_cast<error_code>(code);
      if (http_status_for(c) >= 400 && http_status_for(c) < 500) {
        rejected_codes_[code] = &rejections_.Add({{"code", std::string(to_string(c))}});
      }
    }
    for (const outcome_kind kind :
         {outcome_kind::unauthorized, outcome_kind::method_not_allowed, outcome_kind::unsupported_media_type}) {
      rejected_kinds_[static_cast<std::size_t>(kind)] = &rejections_.Add({{"code", std::string(to_string(kind))}});
    }
  }

  prometheus_observer(const prometheus_observer&) = delete;
  prometheus_observer& operator=(const prometheus_observer&) = delete;

  void on_request(const request_record& r) override {
    type_slot& type = state_->slot_for(r.event_type);
    request_counter(type, r.kind, r.http_status).Increment();
    if (r.http_status >= 400 && r.http_status < 500) rejection_counter(r).Increment();
    if (r.ran(observe_stage::parse)) state_->parse.observe(r.time(observe_stage::parse));
    if (r.ran(observe_stage::handler)) type.handler.observe(r.time(observe_stage::handler));
  }

  void on_dead_letter(const dead_letter_record&) override { dead_letters_->Increment(); }
  void on_duplicate(const duplicate_record&) override { duplicates_->Increment(); }
  void on_store_error(const store_error_record&) override { store_errors_->Increment(); }
  void on_queue_depth(std::size_t depth, std::size_t) override { queue_depth_->Set(static_cast<double>(depth)); }

  void on_drift(const drift_record& r) override {
    type_slot& type = state_->slot_for(r.event_type);
    const std::string_view path = admissible(r.path, 128, is_path_char) ? r.path : other_label;
    const drift_key_view key{type.name, path};
    {
      std::lock_guard<std::mutex> lock(drift_mutex_);
      if (const auto it = drift_series_.find(key); it != drift_series_.end()) {
        it->second->Increment();
        return;
      }
      if (drift_series_.size() < options_.max_drift_series || path == other_label) {
        prometheus::Counter& counter = drift_.Add({{"event_type", type.name}, {"path", std::string(path)}});
        drift_series_.emplace(drift_key{type.name, std::string(path)}, &counter);
        counter.Increment();
        return;
      }
    }
    drift_overflow(type).Increment();
  }

  // The histograms qurable_webhooks_parse_seconds and qurable_webhooks_handler_seconds{event_type}, for
  // prometheus-cpp's Exposer (which holds it weakly: it stops being collected when the observer is gone) next to the
  // registry.
  std::shared_ptr<prometheus::Collectable> histograms() const noexcept { return state_; }

  // Everything to serve at /metrics: the registry's families (the application's own included), then the histograms.
  std::vector<prometheus::MetricFamily> collect() const {
    std::vector<prometheus::MetricFamily> families = registry_.Collect();
    std::vector<prometheus::MetricFamily> more = state_->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    return families;
  }

  // The event_type label value a request of this type is counted under ("none", "other", or the name itself).
  std::string_view event_type_label(std::string_view event_type) { return state_->slot_for(event_type).name; }

 private:
  // Statuses the receivers answer, each with its cache column; any other status is looked up in the family.
  static constexpr std::array<int, 10> cached_statuses = {200, 202, 400, 401, 405, 413, 415, 422, 500, 503};
  static constexpr std::size_t outcome_kinds = static_cast<std::size_t>(outcome_kind::overloaded) + 1;
  static constexpr std::size_t none_slot = 0;
  static constexpr std::size_t other_slot = 1;
  static constexpr std::size_t known_slot = 2;
  static constexpr std::size_t first_dynamic_slot = known_slot + known_events::size;

  struct type_slot {
    type_slot(std::string n, const detail::tick_buckets& handler_buckets)
        : name(std::move(n)), handler(handler_buckets) {}
    const std::string name;
    std::array<std::atomic<prometheus::Counter*>, outcome_kinds * cached_statuses.size()> requests{};
    detail::tick_histogram handler;  // collected once it counts something (as a series added on first use would be)
    std::atomic<prometheus::Counter*> drift_overflow{nullptr};
  };

  static bool is_type_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  }
  static bool is_path_char(char c) noexcept { return c >= 0x20 && c <= 0x7e; }
  template <class Predicate>
  static bool admissible(std::string_view text, std::size_t max_size, Predicate ok) noexcept {
    if (text.empty() || text.size() > max_size) return false;
    for (const char c : text) {
      if (!ok(c)) return false;
    }
    return true;
  }

  // What the histograms need, shared with the Exposer that collects them (it may outlive the observer): the event
  // type slots (each holds its handler histogram) and the parse histogram.
  class state final : public prometheus::Collectable {
   public:
    explicit state(const prometheus_observer_options& options)
        : handler_buckets(options.handler_buckets),
          parse_buckets(options.parse_buckets),
          parse(parse_buckets),
          type_capacity_(first_dynamic_slot + options.max_extra_event_types),
          types_(new std::unique_ptr<type_slot>[type_capacity_]) {
      types_[none_slot] = std::make_unique<type_slot>(std::string(none_label), handler_buckets);
      types_[other_slot] = std::make_unique<type_slot>(std::string(other_label), handler_buckets);
      std::size_t n = known_slot;
      for (const std::string_view known : detail::type_names<known_events>::value) {
        types_[n++] = std::make_unique<type_slot>(std::string(known), handler_buckets);
      }
      type_count_.store(n, std::memory_order_release);
    }

    // The slot of an event type: lock-free for the types already seen (slots are published by type_count_ and never
    // removed or changed), a lock only to add a new one.
    type_slot& slot_for(std::string_view event_type) {
      if (event_type.empty()) return *types_[none_slot];
      std::size_t count = type_count_.load(std::memory_order_acquire);
      for (std::size_t i = known_slot; i < count; ++i) {
        if (types_[i]->name == event_type) return *types_[i];
      }
      if (!admissible(event_type, 64, is_type_char)) return *types_[other_slot];
      std::lock_guard<std::mutex> lock(types_mutex_);
      count = type_count_.load(std::memory_order_relaxed);
      for (std::size_t i = first_dynamic_slot; i < count; ++i) {  // added meanwhile by another thread?
        if (types_[i]->name == event_type) return *types_[i];
      }
      if (count == type_capacity_) return *types_[other_slot];
      types_[count] = std::make_unique<type_slot>(std::string(event_type), handler_buckets);
      type_count_.store(count + 1, std::memory_order_release);
      return *types_[count];
    }

    std::vector<prometheus::MetricFamily> Collect() const override {
      std::vector<prometheus::MetricFamily> families;
      prometheus::MetricFamily handler_family{"qurable_webhooks_handler_seconds",
                                              "Time spent in the event handler, by event type",
                                              prometheus::MetricType::Histogram,
                                              {}};
      const std::size_t count = type_count_.load(std::memory_order_acquire);
      for (std::size_t i = 0; i < count; ++i) {
        const type_slot& type = *types_[i];
        if (type.handler.count() == 0) continue;
        prometheus::ClientMetric metric = type.handler.collect();
        metric.label.push_back({"event_type", type.name});
        handler_family.metric.push_back(std::move(metric));
      }
      if (!handler_family.metric.empty()) families.push_back(std::move(handler_family));
      families.push_back(prometheus::MetricFamily{"qurable_webhooks_parse_seconds",
                                                  "Time spent parsing and decoding webhook bodies",
                                                  prometheus::MetricType::Histogram,
                                                  {parse.collect()}});
      return families;
    }

    const detail::tick_buckets handler_buckets;
    const detail::tick_buckets parse_buckets;
    detail::tick_histogram parse;

   private:
    const std::size_t type_capacity_;
    std::unique_ptr<std::unique_ptr<type_slot>[]> types_;
    std::atomic<std::size_t> type_count_{0};
    std::mutex types_mutex_;
  };

  struct drift_key {
    std::string event_type;
    std::string path;
  };
  struct drift_key_view {
    std::string_view event_type;
    std::string_view path;
  };
  struct drift_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      const int c = std::string_view(a.event_type).compare(std::string_view(b.event_type));
      return c < 0 || (c == 0 && std::string_view(a.path) < std::string_view(b.path));
    }
  };

  static std::size_t status_column(int status) noexcept {
    for (std::size_t i = 0; i < cached_statuses.size(); ++i) {
      if (cached_statuses[i] == status) return i;
    }
    return cached_statuses.size();
  }

  // Cached after the first use; concurrent first uses get the same series (Family::Add returns the existing one).
  prometheus::Counter& request_counter(type_slot& type, outcome_kind kind, int status) {
    const auto k = static_cast<std::size_t>(kind);
    const std::size_t column = status_column(status);
    const auto labels = [&] {
      return prometheus::Labels{
          {"outcome", std::string(to_string(kind))}, {"event_type", type.name}, {"status", std::to_string(status)}};
    };
    if (k >= outcome_kinds || column == cached_statuses.size()) return requests_.Add(labels());
    std::atomic<prometheus::Counter*>& cell = type.requests[k * cached_statuses.size() + column];
    prometheus::Counter* counter = cell.load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = &requests_.Add(labels());
      cell.store(counter, std::memory_order_release);
    }
    return *counter;
  }

  prometheus::Counter& rejection_counter(const request_record& r) {
    prometheus::Counter* counter = nullptr;
    std::string_view reason;
    if (r.kind == outcome_kind::rejected) {
      const auto code = static_cast<std::size_t>(r.code);
      if (code < rejected_codes_.size()) counter = rejected_codes_[code];
      reason = to_string(r.code);
    } else {
      const auto kind = static_cast<std::size_t>(r.kind);
      if (kind < rejected_kinds_.size()) counter = rejected_kinds_[kind];
      reason = to_string(r.kind);
    }
    return counter != nullptr ? *counter : rejections_.Add({{"code", std::string(reason)}});
  }

  prometheus::Counter& drift_overflow(type_slot& type) {
    prometheus::Counter* counter = type.drift_overflow.load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = &drift_.Add({{"event_type", type.name}, {"path", std::string(other_label)}});
      type.drift_overflow.store(counter, std::memory_order_release);
    }
    return *counter;
  }

  const prometheus_observer_options options_;
  const prometheus::Registry& registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& rejections_;
  prometheus::Family<prometheus::Counter>& drift_;
  prometheus::Counter* const dead_letters_;
  prometheus::Counter* const duplicates_;
  prometheus::Counter* const store_errors_;
  prometheus::Gauge* const queue_depth_;
  const std::shared_ptr<state> state_;

  // Rejection series by error_code (rejected bodies) and by outcome_kind (the other 4xx), created up front.
  std::array<prometheus::Counter*, static_cast<std::size_t>(error_code::internal) + 1> rejected_codes_{};
  std::array<prometheus::Counter*, outcome_kinds> rejected_kinds_{};

  std::mutex drift_mutex_;
  std::map<drift_key, prometheus::Counter*, drift_less> drift_series_;
};

}  // namespace qurable::webhooks
