#pragma once
// Observing the receivers: one record per request (outcome, status, event type, error code, body size and how long
// each stage took), plus the events that are not requests (dead letters, duplicates, schema drift, idempotency store
// errors, queue depth). Metrics (prometheus.hpp) and log lines (json_log.hpp) are observers; so is anything an
// application writes by deriving from `observer`.
//
// Cost: a receiver holds an `observer_slot`, a nullable pointer. With no observer set, each stage costs one
// pointer test: no clock read, no virtual call, no allocation. With one set, a request costs a steady_clock read per
// stage boundary (only those the observer's timed_stages() need) and one virtual call per event.
//
// Containment: observers are user code. observer_slot calls them through notify(), which catches anything they throw
// (exceptions-on builds) and counts it in failures(); a throwing observer never changes the HTTP answer, never skips
// the rest of the request's handling and never kills a thread. Observers run on the thread that serves the request
// (or, for queue depth and drift, the worker): keep them short and thread-safe, they are called concurrently.
//
// Lifetime: every string_view in a record is valid during the call only (it points into the request's body, the
// parser or the outcome). An observer that keeps one must copy it.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "../core/outcome.hpp"
#include "../detail/contain.hpp"
#include "../error.hpp"
#include "../events/drift.hpp"

namespace qurable::webhooks {

// The stages of a request that are timed. A stage that did not run has no duration (request_record::ran() is false):
// a request refused before parsing has no parse time, a duplicate has no handler time. Nor has a stage that the
// observer did not ask for (observer::timed_stages()): its time is not measured at all.
enum class observe_stage : unsigned char {
  authentication,  // the authentication's verify() (signature, shared secret)
  parse,           // parsing and decoding the body into the typed event
  store,           // the idempotency store's calls for this request (reserve, then commit or release), summed
  handler,         // the user's handler (the visitor), or the hand-off to the queue for async_receiver
};

constexpr std::size_t observe_stage_count = 4;

// A set of stages: the durations an observer uses (observer::timed_stages()), so that a receiver reads the clock only
// where one of them begins or ends. Converts from one stage; `{observe_stage::parse, observe_stage::handler}` for more.
class observe_stages {
 public:
  constexpr observe_stages() noexcept = default;                                 // none
  constexpr observe_stages(observe_stage stage) noexcept : bits_(bit(stage)) {}  // NOLINT: implicit, one stage
  constexpr observe_stages(std::initializer_list<observe_stage> stages) noexcept {
    for (const observe_stage stage : stages) bits_ = static_cast<unsigned char>(bits_ | bit(stage));
  }
  static constexpr observe_stages all() noexcept { return observe_stages(all_bits); }
  static constexpr observe_stages none() noexcept { return observe_stages(); }

  constexpr bool contains(observe_stage stage) const noexcept { return (bits_ & bit(stage)) != 0; }
  constexpr bool intersects(observe_stages other) const noexcept { return (bits_ & other.bits_) != 0; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  friend constexpr observe_stages operator|(observe_stages a, observe_stages b) noexcept {
    return observe_stages(static_cast<unsigned char>(a.bits_ | b.bits_));
  }
  friend constexpr bool operator==(observe_stages a, observe_stages b) noexcept { return a.bits_ == b.bits_; }
  friend constexpr bool operator!=(observe_stages a, observe_stages b) noexcept { return a.bits_ != b.bits_; }

 private:
  static constexpr unsigned char all_bits = 0x0f;  // one per observe_stage
  constexpr explicit observe_stages(unsigned char bits) noexcept : bits_(bits) {}
  static constexpr unsigned char bit(observe_stage stage) noexcept {
    return static_cast<unsigned char>(1u << static_cast<unsigned>(stage));
  }
  unsigned char bits_ = 0;
};
static_assert(observe_stage_count == 4, "observe_stages::all_bits has one bit per stage");

constexpr std::string_view to_string(observe_stage stage) noexcept {
  switch (stage) {
    case observe_stage::authentication: return "authentication";
    case observe_stage::parse: return "parse";
    case observe_stage::store: return "store";
    case observe_stage::handler: return "handler";
  }
  return "unknown";
}

// One request, as the receiver answered it. Filled by the receiver as the request goes (set_outcome() at the end,
// add() by stage_clock and stage_timer), then handed to observer::on_request() once.
struct request_record {
  using duration = std::chrono::steady_clock::duration;

  request_record() noexcept = default;  // every stage timed
  // Times only `timed` (observer_slot::record() passes the observer's timed_stages()): stage_clock and stage_timer
  // read no clock for the others.
  explicit request_record(observe_stages timed) noexcept : timed_(timed) {}

  outcome_kind kind = outcome_kind::rejected;
  int http_status = 0;
  error_code code = error_code::none;
  std::string_view event_type;         // empty when the request ended before its type was known
  std::string_view loyalty_event_key;  // empty when not known
  std::string_view path;               // JSON Pointer of the offending value of a rejection, when there is one
  std::string_view message;            // the outcome's message: empty on success
  std::size_t body_size = 0;           // bytes of the body as received

  // Copies what the outcome says (views into it: the outcome must outlive the observer call).
  void set_outcome(const outcome& out) noexcept {
    kind = out.kind;
    http_status = out.http_status;
    code = out.code;
    event_type = out.event_type;
    loyalty_event_key = out.loyalty_event_key;
    path = out.path;
    message = out.message;
  }

  // Adds `elapsed` to the stage's duration and marks it as run (the store stage may be entered more than once).
  void add(observe_stage stage, duration elapsed) noexcept {
    const auto i = static_cast<std::size_t>(stage);
    durations_[i] += elapsed;
    ran_ = static_cast<unsigned char>(ran_ | (1u << i));
  }

  bool ran(observe_stage stage) const noexcept { return (ran_ >> static_cast<unsigned>(stage)) & 1u; }
  // The stages this record times (the others never run() here, whatever the request did).
  observe_stages timed_stages() const noexcept { return timed_; }
  duration time(observe_stage stage) const noexcept { return durations_[static_cast<std::size_t>(stage)]; }
  double seconds(observe_stage stage) const noexcept { return std::chrono::duration<double>(time(stage)).count(); }

 private:
  std::array<duration, observe_stage_count> durations_{};
  unsigned char ran_ = 0;
  observe_stages timed_ = observe_stages::all();
};

// A body handed to the dead-letter hook (rejected, unauthorized, handler failed, ...): the request's record says why.
struct dead_letter_record {
  outcome_kind kind = outcome_kind::rejected;
  error_code code = error_code::none;
  std::string_view event_type;
  std::string_view path;
  std::size_t body_size = 0;
};

// A redelivery of an event the idempotency store had already seen processed (answered 200, handler not run).
struct duplicate_record {
  std::string_view event_type;
  std::string_view loyalty_event_key;
};

// Schema drift is reported with the parser's own drift_record (events/drift.hpp): event type, JSON Pointer, the
// expected json_kind and the JSON type found.

// The idempotency store could not answer or record (the request is answered 503, or processed but not recorded).
struct store_error_record {
  std::string_view operation;  // "reserve", "commit" or "release"
  std::string_view message;    // the store's explanation, when it has one
};

// The interface. Every member has an empty default, so an observer overrides only what it needs.
//
// Stage durations: by default every stage a request ran is timed (request_record::ran(), time()). An observer that
// uses only some of them says so through the protected constructor, e.g. `observer({observe_stage::parse,
// observe_stage::handler})`: the receivers then read the clock only at the boundaries those stages need (each read
// is ~25 ns; a request has up to five boundaries) and the other stages never run() in its records.
class observer {
 public:
  observer() = default;
  observer(const observer&) = default;
  observer& operator=(const observer&) = default;
  virtual ~observer() = default;

  // The stage durations this observer uses (fixed at construction; read by the receivers for each request).
  observe_stages timed_stages() const noexcept { return timed_; }

  virtual void on_request(const request_record&) {}
  virtual void on_dead_letter(const dead_letter_record&) {}
  virtual void on_duplicate(const duplicate_record&) {}
  virtual void on_drift(const drift_record&) {}
  virtual void on_store_error(const store_error_record&) {}
  // Items waiting in a hand-off queue after a push or a pop, and the queue's capacity (0 when unbounded).
  virtual void on_queue_depth(std::size_t /*depth*/, std::size_t /*capacity*/) {}

 protected:
  explicit observer(observe_stages timed) noexcept : timed_(timed) {}

 private:
  observe_stages timed_ = observe_stages::all();
};

namespace detail {
// Calls f(o) through call_contained (detail/contain.hpp: containment is written once). False when it threw. The
// message is not kept: an empty std::string does not allocate, so a call that returns costs nothing extra.
template <class F>
bool call_observer(observer& o, F& f) noexcept {
  std::string ignored;
  return call_contained([&] { f(o); }, ignored);
}
}  // namespace detail

// What a receiver holds: an optional, non-owning observer and the count of its calls that threw. Neither copyable nor
// movable (the failure count is atomic); set it up before serving and leave it.
class observer_slot {
 public:
  observer_slot() noexcept = default;
  explicit observer_slot(observer* target) noexcept : target_(target) {}
  observer_slot(const observer_slot&) = delete;
  observer_slot& operator=(const observer_slot&) = delete;

  // Not thread-safe against concurrent notify(): set before serving.
  void reset(observer* target) noexcept { target_ = target; }

  explicit operator bool() const noexcept { return target_ != nullptr; }
  observer* get() const noexcept { return target_; }

  // The record to fill for this request, constructed in `storage` only when an observer is set (an unobserved
  // request does not even zero one); null when nobody observes (stage_clock, stage_timer and request() accept the
  // null and do nothing).
  // The record times the stages the observer asks for (observer::timed_stages()).
  request_record* record(std::optional<request_record>& storage) const noexcept {
    if (target_ == nullptr) return nullptr;
    return &storage.emplace(target_->timed_stages());
  }

  // Calls `f(observer&)` when an observer is set, catching what it throws. Returns false when the call threw.
  template <class F>
  bool notify(F&& f) const noexcept {
    if (target_ == nullptr) return true;
    if (detail::call_observer(*target_, f)) return true;
    failures_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  void request(const request_record* r) const noexcept {
    if (r != nullptr) notify([r](observer& o) { o.on_request(*r); });
  }
  void dead_letter(const dead_letter_record& r) const noexcept {
    notify([&r](observer& o) { o.on_dead_letter(r); });
  }
  void duplicate(const duplicate_record& r) const noexcept {
    notify([&r](observer& o) { o.on_duplicate(r); });
  }
  void drift(const drift_record& r) const noexcept {
    notify([&r](observer& o) { o.on_drift(r); });
  }
  void store_error(const store_error_record& r) const noexcept {
    notify([&r](observer& o) { o.on_store_error(r); });
  }
  void queue_depth(std::size_t depth, std::size_t capacity) const noexcept {
    notify([=](observer& o) { o.on_queue_depth(depth, capacity); });
  }

  // Observer calls that threw since construction (they were contained; the requests went on as if nobody observed).
  std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

 private:
  observer* target_ = nullptr;
  mutable std::atomic<std::uint64_t> failures_{0};
};

// Several observers as one (metrics and a log line, say), called in order, each contained on its own: one that throws
// does not keep the others from running. Holds pointers (null ones are skipped): the observers must outlive it. Times
// the stages any of them asks for.
template <std::size_t N>
class observer_fanout final : public observer {
 public:
  explicit observer_fanout(const std::array<observer*, N>& targets) noexcept
      : observer(timed_by(targets)), targets_(targets) {}

  void on_request(const request_record& r) override {
    each([&](observer& o) { o.on_request(r); });
  }
  void on_dead_letter(const dead_letter_record& r) override {
    each([&](observer& o) { o.on_dead_letter(r); });
  }
  void on_duplicate(const duplicate_record& r) override {
    each([&](observer& o) { o.on_duplicate(r); });
  }
  void on_drift(const drift_record& r) override {
    each([&](observer& o) { o.on_drift(r); });
  }
  void on_store_error(const store_error_record& r) override {
    each([&](observer& o) { o.on_store_error(r); });
  }
  void on_queue_depth(std::size_t depth, std::size_t capacity) override {
    each([&](observer& o) { o.on_queue_depth(depth, capacity); });
  }

  // Calls of the members that threw (contained here, so the receiver's slot does not see them).
  std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

 private:
  template <class F>
  void each(F&& f) noexcept {
    for (observer* o : targets_) {
      if (o != nullptr && !detail::call_observer(*o, f)) failures_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  static observe_stages timed_by(const std::array<observer*, N>& targets) noexcept {
    observe_stages timed;
    for (const observer* o : targets) {
      if (o != nullptr) timed = timed | o->timed_stages();
    }
    return timed;
  }

  std::array<observer*, N> targets_;
  std::atomic<std::uint64_t> failures_{0};
};

// Times one stage into a record: reads the clock at construction and at stop() (or destruction) and adds the
// difference to the stage. With a null record, or one that does not time this stage, it reads no clock and does
// nothing.
//
//   std::optional<request_record> storage;
//   request_record* rec = slot.record(storage);
//   { stage_timer t(rec, observe_stage::parse); result = parser.parse(body); }
class stage_timer {
 public:
  using clock = std::chrono::steady_clock;

  stage_timer(request_record* record, observe_stage stage) noexcept
      : record_(record != nullptr && record->timed_stages().contains(stage) ? record : nullptr), stage_(stage) {
    if (record_ != nullptr) start_ = clock::now();
  }
  stage_timer(const stage_timer&) = delete;
  stage_timer& operator=(const stage_timer&) = delete;
  ~stage_timer() { stop(); }

  // Ends the stage now (later calls and the destructor then do nothing).
  void stop() noexcept {
    if (record_ == nullptr) return;
    record_->add(stage_, clock::now() - start_);
    record_ = nullptr;
  }

 private:
  request_record* record_;
  observe_stage stage_;
  clock::time_point start_{};
};

// Times consecutive stages with one clock read per boundary instead of two per stage (stage_timer): each lap()
// charges the time since the previous boundary to a stage. With a null record it reads no clock.
//
// Only the stages the record times (request_record::timed_stages()) cost a read. Tell lap() which stages may come
// next and a boundary that neither ends nor starts a timed stage is not read: for an observer timing parse and
// handler only, the laps below read the clock three times instead of four.
//
//   stage_clock clock(rec, observe_stage::authentication);                  // auth starts
//   ... verify ...      clock.lap(observe_stage::authentication, observe_stage::parse);
//   ... parse ...       clock.lap(observe_stage::parse, observe_stage::handler);
//   ... handler ...     clock.lap(observe_stage::handler, observe_stages::none());  // the last stage
class stage_clock {
 public:
  using clock = std::chrono::steady_clock;

  // `first`: the stage(s) the first lap may charge (by default any).
  explicit stage_clock(request_record* record, observe_stages first = observe_stages::all()) noexcept
      : record_(record), timed_(record != nullptr ? record->timed_stages() : observe_stages::none()) {
    if (timed_.intersects(first)) start();
  }

  // Charges the time since the previous boundary to `ended` (when the record times it) and starts the next interval,
  // to be charged to one of `next` (by default: not known, any stage). Without a record: one pointer test.
  void lap(observe_stage ended, observe_stages next = observe_stages::all()) noexcept {
    if (record_ != nullptr) boundary(ended, next);
  }

  // Starts a new interval without charging the time since the previous boundary to any stage.
  void skip() noexcept {
    if (!timed_.empty()) start();
  }

 private:
  void start() noexcept {
    last_ = clock::now();
    started_ = true;
  }

  void boundary(observe_stage ended, observe_stages next) noexcept {
    const bool charge = started_ && timed_.contains(ended);
    started_ = timed_.intersects(next);
    if (!charge && !started_) return;
    const clock::time_point now = clock::now();
    if (charge) record_->add(ended, now - last_);
    last_ = now;
  }

  request_record* record_;
  observe_stages timed_;
  clock::time_point last_{};
  bool started_ = false;
};

}  // namespace qurable::webhooks
