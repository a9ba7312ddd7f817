#pragma once
// Idempotency: the platform delivers each event at least once (it retries on any non-2xx), so the receiver keeps a
// record of which events it has processed and processes each one once. This header holds the store interface, the
// RAII guard the receiver uses around a handler call, and the fallback key for events without a loyaltyEventKey.
// The in-memory store that ships with the SDK is in memory_store.hpp. Standard library only.
//
// Protocol, per delivery:
//   reserve(key) -> acquired           : run the handler, then commit(key, token) on success or release(key, token)
//                                        on failure, so that the platform's retry processes the event again.
//                   already_processed  : answer 2xx without calling the handler (outcome "duplicate").
//                   in_flight          : a duplicate of an event still being processed; answer something the platform
//                                        retries later (the receiver's choice, e.g. 409, or 503 with Retry-After).
//                   store_error        : the store could not answer (unavailable, full); answer 503 so it is retried.
//
// The token returned with `acquired` fences the reservation: if a handler outlives its lease and someone else
// re-acquires the key, the first handler's commit or release reports not_held instead of clobbering the new holder
// (the same compare-and-set a Redis store does with SET NX PX and a token).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace qurable::webhooks {

enum class reserve_status : std::uint8_t {
  acquired,           // the caller now holds the key and must commit or release it
  already_processed,  // committed earlier and not yet expired
  in_flight,          // reserved by another caller whose lease has not expired
  store_error,        // the store could not answer (unavailable, full of in-flight reservations, empty key)
};

enum class store_status : std::uint8_t {
  ok,
  not_held,     // the key is not reserved under this token (never reserved, released, lease lost to a re-acquirer)
  store_error,  // the store could not answer
};

struct reserve_result {
  reserve_status status = reserve_status::store_error;
  std::uint64_t token = 0;  // identifies this reservation; meaningful only when status == acquired, never 0 then
};

constexpr std::string_view to_string(reserve_status s) noexcept {
  switch (s) {
    case reserve_status::acquired: return "acquired";
    case reserve_status::already_processed: return "already_processed";
    case reserve_status::in_flight: return "in_flight";
    case reserve_status::store_error: return "store_error";
  }
  return "unknown";
}

constexpr std::string_view to_string(store_status s) noexcept {
  switch (s) {
    case store_status::ok: return "ok";
    case store_status::not_held: return "not_held";
    case store_status::store_error: return "store_error";
  }
  return "unknown";
}

// A store of processed event keys. Implementations must be safe to call from several threads at once and report
// every failure as a status (the functions are noexcept): a store outage must become a 503, not a crash.
// Virtual on purpose: one call per delivery is not the parse hot path, and stores are chosen at run time.
class idempotency_store {
 public:
  virtual ~idempotency_store() = default;

  // Keys are compared byte for byte. An empty key is answered store_error (use body_key() when the event has none):
  // treating "" as a key would make unrelated keyless events duplicates of each other and silently drop them.
  virtual reserve_result reserve(std::string_view key) noexcept = 0;
  // Marks the reserved key processed; later reserves answer already_processed until the store's TTL expires.
  virtual store_status commit(std::string_view key, std::uint64_t token) noexcept = 0;
  // Forgets the reservation so that the next delivery of the key is acquired again.
  virtual store_status release(std::string_view key, std::uint64_t token) noexcept = 0;
  // Restarts the lease of a reservation still held under `token`, e.g. when an event that waited in a queue starts
  // running, so that the wait does not count against the lease. ok: renewed; not_held: not reserved under this token
  // (taken over, committed, released). The default answers store_error, meaning "cannot renew": callers then release
  // and reserve again (async_receiver does), which leaves a short gap where another delivery may take the key.
  virtual store_status renew(std::string_view key, std::uint64_t token) noexcept {
    (void)key;
    (void)token;
    return store_status::store_error;
  }

 protected:
  idempotency_store() = default;
  idempotency_store(const idempotency_store&) = default;
  idempotency_store& operator=(const idempotency_store&) = default;
};

// Reserves a key for the guard's lifetime and releases it on destruction unless commit() was called, so an early
// return or an exception from the handler never leaves the key reserved until its lease runs out.
// The guard keeps a view of the key: the key's bytes must outlive it (binding a temporary std::string is rejected).
class reservation {
 public:
  reservation(idempotency_store& store, std::string_view key) noexcept
      : store_(&store), key_(key), result_(store.reserve(key)) {}
  // Would dangle, e.g. reservation(store, body_key(body)): keep the key in a variable first.
  template <class S, std::enable_if_t<std::is_same_v<std::remove_cv_t<S>, std::string>, int> = 0>
  reservation(idempotency_store&, S&&) = delete;

  reservation(reservation&& other) noexcept
      : store_(other.store_), key_(other.key_), result_(other.result_), done_(other.done_) {
    other.done_ = true;
  }
  reservation(const reservation&) = delete;
  reservation& operator=(const reservation&) = delete;
  reservation& operator=(reservation&&) = delete;

  ~reservation() { (void)release(); }

  reserve_status status() const noexcept { return result_.status; }
  bool acquired() const noexcept { return result_.status == reserve_status::acquired; }

  // Commit after the handler succeeded. not_held if this guard holds nothing (not acquired, already finished).
  store_status commit() noexcept { return finish(true); }
  // Release now instead of at destruction (e.g. before answering 5xx). Idempotent. When the store fails
  // (store_error) the guard still holds the key: commit() still works, and the destructor tries the release again.
  store_status release() noexcept { return finish(false); }
  // Restarts the lease (idempotency_store::renew). not_held if this guard holds nothing.
  store_status renew() noexcept {
    if (!acquired() || done_) return store_status::not_held;
    return store_->renew(key_, result_.token);
  }

 private:
  store_status finish(bool to_commit) noexcept {
    if (!acquired() || done_) return store_status::not_held;
    if (to_commit) {
      done_ = true;
      return store_->commit(key_, result_.token);
    }
    const store_status released = store_->release(key_, result_.token);
    done_ = released != store_status::store_error;
    return released;
  }

  idempotency_store* store_;
  std::string_view key_;
  reserve_result result_;
  bool done_ = false;
};

namespace detail {

constexpr std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace detail

// Fallback key for an event without a loyaltyEventKey: "body:" followed by the 16 lowercase hex digits of the
// FNV-1a 64 hash of the raw body. It only dedupes byte-identical redeliveries (a re-serialized or re-timestamped
// retry gets a new key, so it is processed again). FNV is not collision resistant: someone able to post arbitrary
// bodies could craft one that shadows a later genuine event, so verify the signature before reserving. The prefix
// keeps these keys apart from real loyaltyEventKeys.
inline std::string body_key(std::string_view body) {
  constexpr char digits[] = "0123456789abcdef";
  std::string key = "body:0000000000000000";
  std::uint64_t h = detail::fnv1a64(body);
  for (std::size_t i = key.size(); h != 0; h >>= 4) key[--i] = digits[h & 0xf];
  return key;
}

}  // namespace qurable::webhooks
