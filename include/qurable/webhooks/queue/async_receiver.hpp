#pragma once
// Acknowledge now, process later: for handlers too slow to run while the platform waits for the HTTP answer.
//
// On the request thread, async_receiver runs every check the synchronous receiver runs (method, size, Content-Type,
// authentication) and the FULL validation of the body, reserves the event in the idempotency store, and answers
// 202. Worker threads then dispatch the event. The body is parsed once: each slot of the bounded queue owns a copy
// of the body and the parser that read it, and both stay where they are until a worker has dispatched the event,
// so the views the handler sees point into them (no second parse, no copy of the decoded event).
//
// NOT DURABLE. Once 202 is sent the platform considers the event delivered, but the event is only in this process'
// memory: if the process dies (crash, OOM kill, SIGKILL, a deploy that does not drain) before a worker ran it, it is
// lost. A handler that fails on the worker can no longer get it retried either; the failure goes to the dead-letter
// hook (with the exact body) and its reservation is released. When losing an acknowledged event is not acceptable,
// use the durable hand-off on Redis Streams instead (queue/redis_stream_receiver.hpp and redis_stream_worker.hpp:
// 202 only once Redis has the event, workers in any number of processes, retries and a dead-letter stream).
//
// User code is contained: a dead-letter hook that throws is counted (hook_failures()), never kills a worker thread
// or leaks a queue slot; a throwing handler is a handler failure, as with the synchronous receiver. The idempotency
// reservation taken on the request thread is renewed when a worker starts the event (idempotency_store::renew), so
// time spent waiting in the queue does not eat the lease: the lease only has to cover the handler itself.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "../core/dispatch.hpp"
#include "../core/outcome.hpp"
#include "../core/parser.hpp"
#include "../core/receive.hpp"
#include "../http/receiver.hpp"
#include "../idempotency/store.hpp"

namespace qurable::webhooks {

struct async_options {
  // Threads that run the handlers. 0 counts as 1.
  std::size_t workers = 2;
  // Deliveries accepted and not finished yet (queued or being handled). Beyond it the answer is 503 + Retry-After.
  // Each slot keeps a parser and a copy of the largest body it held: memory grows to about
  // capacity x (a few times the largest body). 0 counts as 1.
  std::size_t capacity = 64;
};

namespace detail {

// One accepted delivery: the owned body, the parser that read it, and the idempotency reservation. A slot never
// moves (they are allocated one by one), so the views into it stay valid while it travels to a worker.
struct async_slot {
  explicit async_slot(const parser_options& options) : json(options) {}

  parser json;
  std::string body;  // capacity kept between deliveries: no allocation once warm
  const event* parsed = nullptr;
  std::string key;  // the idempotency key reserved at arrival (keeps its capacity: no allocation once warm)
  std::optional<reservation> held;
};

}  // namespace detail

// Thread safety: handle(), check_content_length() and body_too_large() may be called from any number of threads; the
// visitor runs on the worker threads, several at once when workers > 1, through a const reference. The dead-letter hook
// is called from both. Stop the HTTP server before destroying the async_receiver (or calling shutdown()).
template <class Visitor>
class async_receiver {
 public:
  async_receiver(Visitor visitor, authentication auth, receiver_options options = {}, async_options queue = {})
      : visitor_(std::move(visitor)), core_(std::move(auth), std::move(options)) {
    const std::size_t capacity = queue.capacity == 0 ? 1 : queue.capacity;
    const std::size_t workers = queue.workers == 0 ? 1 : queue.workers;
    slots_.reserve(capacity);
    free_.reserve(capacity);
    ring_.resize(capacity);
    for (std::size_t i = 0; i < capacity; ++i) {
      slots_.push_back(std::make_unique<detail::async_slot>(core_.options().parser));
      free_.push_back(slots_.back().get());
    }
    workers_.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
  }

  async_receiver(const async_receiver&) = delete;
  async_receiver& operator=(const async_receiver&) = delete;

  // Drains: every accepted event is handled before the destructor returns.
  ~async_receiver() { shutdown(); }

  const receiver_options& options() const noexcept { return core_.options(); }
  std::size_t max_body_size() const noexcept { return core_.options().parser.max_body_size; }

  std::optional<response> check_content_length(std::optional<std::size_t> declared) const {
    return core_.check_content_length(declared);
  }

  // As receiver::observer_failures() (observers are also called from the workers: queue depth, dead letters).
  std::uint64_t observer_failures() const noexcept { return core_.observers().failures(); }

  // As receiver::hook_failures() (the dead-letter hook also runs on the workers, for handler_failed).
  std::uint64_t hook_failures() const noexcept { return core_.hook_failures(); }

  // As receiver::body_too_large(): the 413 for a chunked body that grew past max_body_size() while it arrived.
  response body_too_large() const { return core_.body_too_large(); }

  // As receiver::handle(), except that a valid event (not a duplicate) is answered 202 "accepted" and handled later.
  // 503 + Retry-After ("overloaded") when every slot is taken or after shutdown().
  template <class Headers, class Body>
  response handle(std::string_view method, const Headers& headers, const Body& body) {
    const std::string_view raw = detail::body_bytes(body);
    const header_lookup lookup(headers);
    // Null unless receiver_options::observer is set: then no clock is read and nothing below is recorded.
    std::optional<request_record> storage;
    request_record* const record = core_.begin_record(storage, raw.size());
    stage_clock clock(record, observe_stage::authentication);  // one clock read per boundary of a timed stage
    if (std::optional<response> refused = core_.screen(method, lookup, raw, record, &clock)) {
      return std::move(*refused);
    }

    slot_guard slot(*this, take_slot());
    if (!slot) return core_.respond(refusal(), raw, record);
    // From here, parse time includes taking a slot and the copy of the body into it.

    idempotency_store* const store = core_.options().idempotency;
    // The owned copy, with the padding simdjson needs, so the parser reads it in place.
    slot->body.reserve(raw.size() + simdjson::SIMDJSON_PADDING);
    slot->body.assign(raw.data(), raw.size());
    const parse_result parsed = slot->json.parse(slot->body);
    clock.lap(observe_stage::parse, store == nullptr ? observe_stage::handler : observe_stage::store);
    if (!parsed) return core_.respond(detail::rejected(parsed.error()), raw, record);
    slot->parsed = &*parsed;
    core_.parsed(*slot->parsed);

    if (store != nullptr) {
      const std::string_view key = core_.idempotency_key(*slot->parsed, lookup, slot->body, slot->key);
      slot->held.emplace(*store, key);
      clock.lap(observe_stage::store, observe_stage::handler);
      if (std::optional<outcome> answer = core_.reserved(slot->held->status(), *slot->parsed)) {
        return core_.respond(std::move(*answer), raw, record);
      }
    }

    // Built before the hand-off: once queued, the slot (and the views in the outcome) belong to a worker.
    // Not reported yet: the hand-off below may still turn it into a 503. The record is told the final answer.
    outcome accepted = detail::make_outcome(outcome_kind::accepted, 202);
    detail::set_event_ids(accepted, *slot->parsed);
    response r = core_.respond(std::move(accepted), raw);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_) {
        ring_[(head_ + queued_) % ring_.size()] = slot.hand_off();
        ++queued_;
      }
    }
    clock.lap(observe_stage::handler, observe_stages::none());  // for async_receiver, the hand-off
    if (slot) return core_.respond(refusal(), raw, record);  // shutdown() started while this request was being checked
    ready_.notify_one();
    report_queue_depth();
    if (record != nullptr) {
      record->set_outcome(r.outcome());
      core_.observers().request(record);
    }
    return r;
  }

  // Stops accepting (503 from then on), lets the workers finish everything already accepted, and joins them.
  // Idempotent; also run by the destructor.
  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    std::lock_guard<std::mutex> join_lock(join_mutex_);
    for (std::thread& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
  }

  // Deliveries accepted and not finished yet.
  std::size_t pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return slots_.size() - free_.size();
  }

 private:
  // Owns a taken slot until it is queued (hand_off) and puts it back otherwise, whatever path the request takes.
  class slot_guard {
   public:
    slot_guard(async_receiver& owner, detail::async_slot* slot) noexcept : owner_(owner), slot_(slot) {}
    ~slot_guard() {
      if (slot_ != nullptr) owner_.put_back(slot_);
    }
    slot_guard(const slot_guard&) = delete;
    slot_guard& operator=(const slot_guard&) = delete;

    explicit operator bool() const noexcept { return slot_ != nullptr; }
    detail::async_slot* operator->() const noexcept { return slot_; }
    detail::async_slot* hand_off() noexcept {
      detail::async_slot* s = slot_;
      slot_ = nullptr;
      return s;
    }

   private:
    async_receiver& owner_;
    detail::async_slot* slot_;
  };

  // The reservation was taken when the delivery arrived; the queue wait may have eaten its lease. Renew it, so the
  // handler gets a whole lease. Empty when the event may run; otherwise the outcome to report instead (a redelivery
  // took the key over meanwhile and runs it, it was processed meanwhile, or the store failed: dead-lettered).
  // The event was answered 202, so no path here may skip it silently:
  //   - lease lost (not_held: it expired while the event waited): take the key again;
  //   - store cannot renew (or failed to): release, then take the key again; if even the release fails, our own
  //     reservation still stands and a fresh reserve would find it "in flight", so run under the old lease.
  std::optional<outcome> renew(detail::async_slot& slot) {
    if (!slot.held || !slot.held->acquired()) return std::nullopt;
    const store_status renewed = slot.held->renew();
    if (renewed == store_status::ok) return std::nullopt;
    if (renewed != store_status::not_held) {
      const store_status released = slot.held->release();
      if (released != store_status::ok && released != store_status::not_held) return std::nullopt;
    }
    slot.held.reset();
    const std::string_view key = slot.key;  // as reserved at arrival (an integrator's key function included)
    slot.held.emplace(*core_.options().idempotency, key);
    return core_.reserved(slot.held->status(), *slot.parsed);
  }

  // Events waiting in the queue, after each push and pop. The observer is user code: it is not called under the
  // queue's lock. Reports are serialised by a lock of their own and each reads the depth it reports under it, so the
  // last report always matches the queue (a gauge never stays at a stale value).
  void report_queue_depth() const noexcept {
    if (!core_.observers()) return;
    const std::lock_guard<std::mutex> reporting(depth_mutex_);
    std::size_t depth = 0;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      depth = queued_;
    }
    core_.observers().queue_depth(depth, ring_.size());
  }

  outcome refusal() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return detail::make_outcome(outcome_kind::overloaded, 503,
                                stopping_ ? "shutting down" : "the hand-off queue is full");
  }

  detail::async_slot* take_slot() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || free_.empty()) return nullptr;
    detail::async_slot* slot = free_.back();
    free_.pop_back();
    return slot;
  }

  void put_back(detail::async_slot* slot) {
    slot->held.reset();  // releases a reservation that was neither committed nor released
    slot->parsed = nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(slot);  // never allocates: reserved for every slot
  }

  void work() {
    for (;;) {
      detail::async_slot* slot = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || queued_ > 0; });
        if (queued_ == 0) return;  // stopping, and nothing left to drain
        slot = ring_[head_];
        head_ = (head_ + 1) % ring_.size();
        --queued_;
      }
      report_queue_depth();
      slot_guard guard(*this, slot);
      if (std::optional<outcome> skipped = renew(*slot)) {
        // Another delivery holds or finished it. Reported only when the store failed (the event is not run).
        core_.report(slot->body, *skipped);
        continue;
      }
      outcome out = detail::from_dispatch(*slot->parsed, dispatch(*slot->parsed, visitor_));
      if (slot->held) core_.finish_observed(*slot->held, out);
      core_.report(slot->body, out);  // handler_failed: the 202 is sent, so this is where the failure goes
    }
  }

  const Visitor visitor_;
  detail::receiver_core core_;

  mutable std::mutex mutex_;
  mutable std::mutex depth_mutex_;  // serialises queue depth reports (only with an observer)
  std::condition_variable ready_;
  std::vector<std::unique_ptr<detail::async_slot>> slots_;
  std::vector<detail::async_slot*> free_;
  std::vector<detail::async_slot*> ring_;  // the queue: queued_ slots starting at head_
  std::size_t head_ = 0;
  std::size_t queued_ = 0;
  bool stopping_ = false;

  std::mutex join_mutex_;
  std::vector<std::thread> workers_;  // last: started after everything above exists
};

}  // namespace qurable::webhooks
