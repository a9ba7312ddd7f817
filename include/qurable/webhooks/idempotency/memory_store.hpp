#pragma once
// The in-memory idempotency store that ships with the SDK. Standard library only.
//
// It dedupes within one process: a receiver running as several instances needs a shared store (e.g. Redis), or the
// same event can be processed once per instance.
//
// Bounded: at most max_entries keys. A new key that finds the store full first drops expired entries, then the
// oldest committed entry (the dedupe window shrinks, nothing else breaks). In-flight reservations are never evicted:
// if every entry is in flight the new key gets store_error, which the receiver answers with 503 so it is retried.
//
// Thread-safe: one mutex around each operation. Operations are O(1) on average and never run user code besides the
// injected clock, so the lock is held briefly; the handler runs between reserve and commit, outside it.
//
// Layout: a hash map from key to entry plus two intrusive FIFO lists, one for in-flight and one for committed
// entries. Every entry in a list got the same duration (lease or TTL) from a monotonic clock, so each list is also
// in expiry order: expired entries are dropped from the front, and the front of the committed list is the oldest.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "../detail/contain.hpp"
#include "store.hpp"

namespace qurable::webhooks {

struct memory_store_options {
  // Each entry costs roughly 160 bytes with a 36-character key, so the default is about 16 MB. When more distinct
  // events than this arrive within one TTL, the oldest committed keys are evicted early.
  std::size_t max_entries = 100'000;  // 0 is treated as 1
  // How long a committed key answers already_processed; should cover the platform's whole retry schedule.
  std::chrono::milliseconds committed_ttl = std::chrono::hours(24);
  // How long a reservation blocks duplicates (in_flight) before another delivery may take it over, so a crashed
  // handler does not block its event forever. Must exceed the slowest handler; a handler that outlives it gets
  // not_held from commit/release (its work is done, but a redelivery may process the event again).
  std::chrono::milliseconds lease = std::chrono::seconds(60);
  // Time source, for tests. Must be monotonic and must not throw. Empty: std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

namespace detail {

struct memory_entry {
  std::unique_ptr<char[]> bytes;  // owns the key; the map's string_view key points here (stable across rehash)
  std::string_view key;
  memory_entry* prev = nullptr;
  memory_entry* next = nullptr;
  std::chrono::steady_clock::time_point expires{};
  std::uint64_t token = 0;
  bool committed = false;
};

// Intrusive doubly-linked FIFO: O(1) append and unlink with no allocation of its own.
struct memory_fifo {
  memory_entry* head = nullptr;
  memory_entry* tail = nullptr;

  void push_back(memory_entry& e) noexcept {
    e.prev = tail;
    e.next = nullptr;
    (tail ? tail->next : head) = &e;
    tail = &e;
  }
  void unlink(memory_entry& e) noexcept {
    (e.prev ? e.prev->next : head) = e.next;
    (e.next ? e.next->prev : tail) = e.prev;
    e.prev = e.next = nullptr;
  }
};

// Clamps a configured duration so that `now + d` cannot overflow steady_clock (nanoseconds: ~292 years).
inline std::chrono::steady_clock::duration clamp_duration(std::chrono::milliseconds d) noexcept {
  constexpr std::chrono::milliseconds max_d = std::chrono::hours(24 * 365 * 100);
  return std::clamp(d, std::chrono::milliseconds::zero(), max_d);
}

}  // namespace detail

class memory_store final : public idempotency_store {
 public:
  explicit memory_store(memory_store_options options = {})
      : max_entries_(std::max<std::size_t>(options.max_entries, 1)),
        ttl_(detail::clamp_duration(options.committed_ttl)),
        lease_(detail::clamp_duration(options.lease)),
        clock_(std::move(options.clock)) {}

  memory_store(const memory_store&) = delete;
  memory_store& operator=(const memory_store&) = delete;

  // A new key costs one allocation for its bytes plus the map node; keys already present cost none.
  reserve_result reserve(std::string_view key) noexcept override {
    if (key.empty()) return {reserve_status::store_error, 0};
    return detail::call_or(reserve_result{reserve_status::store_error, 0}, [&] { return reserve_impl(key); });
  }

  // Succeeds while the reservation is still held under `token`, even past its lease if nobody took it over.
  // Committing an already committed key with its token again is ok.
  store_status commit(std::string_view key, std::uint64_t token) noexcept override {
    return detail::call_or(store_status::store_error, [&] {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.token != token) return store_status::not_held;
      detail::memory_entry& e = it->second;
      if (e.committed) return store_status::ok;
      in_flight_.unlink(e);
      e.committed = true;
      e.expires = now() + ttl_;
      committed_.push_back(e);
      return store_status::ok;
    });
  }

  store_status release(std::string_view key, std::uint64_t token) noexcept override {
    return detail::call_or(store_status::store_error, [&] {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.token != token || it->second.committed) return store_status::not_held;
      erase(it);
      return store_status::ok;
    });
  }

  // Restarts the lease while the reservation is held under `token`, even past its lease if nobody took it over.
  store_status renew(std::string_view key, std::uint64_t token) noexcept override {
    return detail::call_or(store_status::store_error, [&] {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.token != token || it->second.committed) return store_status::not_held;
      detail::memory_entry& e = it->second;
      in_flight_.unlink(e);
      e.expires = now() + lease_;
      in_flight_.push_back(e);  // the list stays in expiry order: every entry gets the same lease
      return store_status::ok;
    });
  }

  // Entries currently held (committed and in flight, including expired ones not dropped yet).
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }

 private:
  using map_type = std::unordered_map<std::string_view, detail::memory_entry>;

  std::chrono::steady_clock::time_point now() const { return clock_ ? clock_() : std::chrono::steady_clock::now(); }

  reserve_result reserve_impl(std::string_view key) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto t = now();
    drop_expired(committed_, t);
    drop_expired(in_flight_, t);

    if (auto it = entries_.find(key); it != entries_.end()) {
      detail::memory_entry& e = it->second;
      if (t < e.expires) return {e.committed ? reserve_status::already_processed : reserve_status::in_flight, 0};
      // Expired but not dropped: only if the clock went backwards. Take it over like a new key.
      (e.committed ? committed_ : in_flight_).unlink(e);
      return acquire(e, t);
    }

    // Allocate before evicting, so that a failed allocation costs no entry.
    auto bytes = std::make_unique<char[]>(key.size());
    std::memcpy(bytes.get(), key.data(), key.size());
    const std::string_view owned(bytes.get(), key.size());
    if (entries_.size() >= max_entries_) {
      if (committed_.head == nullptr) return {reserve_status::store_error, 0};  // full of in-flight reservations
      erase(entries_.find(committed_.head->key));
    }
    detail::memory_entry& e = entries_.try_emplace(owned).first->second;
    e.bytes = std::move(bytes);
    e.key = owned;
    return acquire(e, t);
  }

  reserve_result acquire(detail::memory_entry& e, std::chrono::steady_clock::time_point t) noexcept {
    e.committed = false;
    e.token = next_token_++;
    e.expires = t + lease_;
    in_flight_.push_back(e);
    return {reserve_status::acquired, e.token};
  }

  void drop_expired(detail::memory_fifo& list, std::chrono::steady_clock::time_point t) {
    while (list.head != nullptr && !(t < list.head->expires)) erase(entries_.find(list.head->key));
  }

  // By iterator: erasing by key would read the key's bytes while the node that owns them is destroyed.
  void erase(map_type::iterator it) noexcept {
    detail::memory_entry& e = it->second;
    (e.committed ? committed_ : in_flight_).unlink(e);
    entries_.erase(it);
  }

  const std::size_t max_entries_;
  const std::chrono::steady_clock::duration ttl_;
  const std::chrono::steady_clock::duration lease_;
  const std::function<std::chrono::steady_clock::time_point()> clock_;

  mutable std::mutex mutex_;
  map_type entries_;
  detail::memory_fifo in_flight_;  // reserve order == lease expiry order
  detail::memory_fifo committed_;  // commit order == TTL expiry order
  std::uint64_t next_token_ = 1;   // 0 never names a reservation
};

}  // namespace qurable::webhooks
