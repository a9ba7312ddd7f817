#pragma once
// An idempotency store in Redis, shared by every receiver process that points at the same Redis: use it instead of
// memory_store when the receiver runs as several instances (a retry may land on any of them). Needs hiredis
// (0.14 or 1.x; only the blocking C API both have is used): link qurable::webhooks_redis.
//
// Key layout: one string per event, named key_prefix + the event key (bytes as given, binary-safe):
//   "<16 hex digits>"        reserved, the value being the reservation's token; expires after `lease`
//   "done:<16 hex digits>"   committed by the reservation with that token; expires after `committed_ttl`
// reserve is SET NX PX (then GET to tell already_processed from in_flight); commit and release are Lua scripts that
// compare the value with the caller's token first, so a handler whose lease ran out and was taken over gets not_held
// instead of clobbering the new holder. Tokens are random 64-bit numbers, so that instances need no coordination.
//
// Failures: every one (cannot connect, AUTH refused, timeout, error reply such as OOM or READONLY, an unexpected
// reply) is answered store_error, which the receiver turns into 503 + Retry-After, so the platform retries later.
// Nothing throws. The connection a failure happened on is dropped and a new one is opened by the next call, so the
// store recovers by itself once Redis is back; no connection is needed to construct it (Redis may start later).
// A call that fails on a pooled connection because Redis closed it (a restart) is retried once on a fresh connection
// before it counts (detail/redis_connection.hpp); every call is safe to repeat: a repeated SET NX (the token is drawn
// once per reserve(), not per try) finds its own token and answers acquired; commit and release compare tokens.
//
// Thread-safe: a pool of at most `pool_size` connections, each used by one call at a time; a call that finds every
// connection busy waits for one (at most connect_timeout + command_timeout, then store_error).

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "../detail/redis_connection.hpp"
#include "memory_store.hpp"
#include "store.hpp"

namespace qurable::webhooks {

// Where Redis is (host, port or unix_socket, username/password, database), the timeouts and the pool size are the
// members of redis_connection_options (detail/redis_connection.hpp); connect_timeout and command_timeout bound how long
// a request thread waits before its delivery is answered 503, so keep them short.
struct redis_store_options : redis_connection_options {
  // Prepended to every event key, so that the store's keys stay apart from anything else in the database.
  std::string key_prefix = "qurable:webhooks:";
  // As in memory_store_options: how long a committed key answers already_processed (cover the platform's whole
  // retry schedule), and how long a reservation blocks duplicates (longer than the slowest handler). Both at least
  // 1 ms; Redis expires the keys itself.
  std::chrono::milliseconds committed_ttl = std::chrono::hours(24);
  std::chrono::milliseconds lease = std::chrono::seconds(60);
};

namespace detail {

// The 16 lowercase hex digits of a token: the value stored for a reservation.
inline std::array<char, 16> token_hex(std::uint64_t token) noexcept {
  constexpr char digits[] = "0123456789abcdef";
  std::array<char, 16> out{};
  for (std::size_t i = out.size(); i-- > 0; token >>= 4) out[i] = digits[token & 0xf];
  return out;
}

// KEYS[1] key, ARGV[1] token (hex), ARGV[2] the committed value, ARGV[3] TTL in ms. Committing twice with the same
// token is ok, as with memory_store; the second commit does not extend the TTL.
constexpr std::string_view redis_commit_script =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end "
    "if v == ARGV[2] then return 1 end "
    "return 0";
// KEYS[1] key, ARGV[1] token (hex). A committed key is not released (not_held), as with memory_store.
constexpr std::string_view redis_release_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end "
    "return 0";
// KEYS[1] key, ARGV[1] token (hex), ARGV[2] lease in ms: restarts the lease while the reservation is this token's.
constexpr std::string_view redis_renew_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
    "return 0";
constexpr std::string_view redis_committed_prefix = "done:";

}  // namespace detail

class redis_store final : public idempotency_store {
 public:
  // Connects lazily: construction needs no Redis (call ping() to check the configuration at startup).
  explicit redis_store(redis_store_options options = {})
      : options_(std::move(options)),
        pool_(options_),
        ttl_ms_(std::to_string(std::max<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(detail::clamp_duration(options_.committed_ttl))
                .count(),
            1))),
        lease_ms_(std::to_string(std::max<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(detail::clamp_duration(options_.lease)).count(),
            1))) {
    std::random_device entropy;
    std::seed_seq seed{entropy(), entropy(), entropy(), entropy()};
    tokens_.seed(seed);
  }

  redis_store(const redis_store&) = delete;
  redis_store& operator=(const redis_store&) = delete;

  const redis_store_options& options() const noexcept { return options_; }

  reserve_result reserve(std::string_view key) noexcept override {
    if (key.empty()) return {reserve_status::store_error, 0};
    // One token for every try: a SET NX that ran before the connection broke is then found as ours by the retry.
    const std::uint64_t token = next_token();
    return run(reserve_result{reserve_status::store_error, 0},
               [&](redisContext* c, bool& healthy) { return reserve_on(c, key, token, healthy); });
  }

  store_status commit(std::string_view key, std::uint64_t token) noexcept override {
    if (key.empty() || token == 0) return store_status::not_held;  // never reserved
    return run(store_status::store_error, [&](redisContext* c, bool& healthy) {
      const auto hex = detail::token_hex(token);
      std::string committed(detail::redis_committed_prefix);
      committed.append(hex.data(), hex.size());
      const std::string full = full_key(key);
      return compare_and_act(c, healthy, detail::redis_commit_script, full, std::string_view(hex.data(), hex.size()),
                             committed, ttl_ms_);
    });
  }

  store_status release(std::string_view key, std::uint64_t token) noexcept override {
    if (key.empty() || token == 0) return store_status::not_held;
    return run(store_status::store_error, [&](redisContext* c, bool& healthy) {
      const auto hex = detail::token_hex(token);
      const std::string full = full_key(key);
      return compare_and_act(c, healthy, detail::redis_release_script, full, std::string_view(hex.data(), hex.size()));
    });
  }

  store_status renew(std::string_view key, std::uint64_t token) noexcept override {
    if (key.empty() || token == 0) return store_status::not_held;
    return run(store_status::store_error, [&](redisContext* c, bool& healthy) {
      const auto hex = detail::token_hex(token);
      const std::string full = full_key(key);
      return compare_and_act(c, healthy, detail::redis_renew_script, full, std::string_view(hex.data(), hex.size()),
                             lease_ms_);
    });
  }

  // Takes (or opens) a connection and sends PING: ok when Redis answers, store_error otherwise (see last_error()).
  // Useful at startup to report a wrong address or password early; the store works without it.
  store_status ping() noexcept {
    return run(store_status::store_error, [&](redisContext* c, bool& healthy) {
      const detail::redis_reply_ptr r = command(c, healthy, {"PING"});
      if (!r) return store_status::store_error;
      if (r->type == REDIS_REPLY_STATUS && detail::reply_text(*r) == "PONG") return store_status::ok;
      return unexpected(healthy, "PING", *r);
    });
  }

  // The most recent failure, for logs ("" if none yet): hiredis' message or Redis' error reply.
  std::string last_error() const { return pool_.last_error(); }

 private:
  template <class R, class F>
  R run(R on_error, F&& f) noexcept {
    return pool_.run(on_error, std::forward<F>(f));
  }

  reserve_result reserve_on(redisContext* c, std::string_view key, std::uint64_t token, bool& healthy) {
    const std::string full = full_key(key);
    const auto hex = detail::token_hex(token);
    // A key that expires between the failed SET and the GET can be tried again; a few rounds, then in_flight.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const detail::redis_reply_ptr set =
          command(c, healthy, {"SET", full, std::string_view(hex.data(), hex.size()), "NX", "PX", lease_ms_});
      if (!set) return {reserve_status::store_error, 0};
      if (set->type == REDIS_REPLY_STATUS) return {reserve_status::acquired, token};
      if (set->type != REDIS_REPLY_NIL) return {unexpected_reserve(healthy, "SET", *set), 0};

      const detail::redis_reply_ptr get = command(c, healthy, {"GET", full});
      if (!get) return {reserve_status::store_error, 0};
      if (get->type == REDIS_REPLY_STRING) {
        // Our own token: this call's SET ran on a connection that broke before its reply (retried on a fresh one).
        if (detail::reply_text(*get) == std::string_view(hex.data(), hex.size())) {
          return {reserve_status::acquired, token};
        }
        const bool committed =
            detail::reply_text(*get).substr(0, detail::redis_committed_prefix.size()) == detail::redis_committed_prefix;
        return {committed ? reserve_status::already_processed : reserve_status::in_flight, 0};
      }
      if (get->type != REDIS_REPLY_NIL) return {unexpected_reserve(healthy, "GET", *get), 0};
    }
    return {reserve_status::in_flight, 0};
  }

  // EVAL of a compare-with-token script: 1 -> ok, 0 -> not_held.
  template <class... Args>
  store_status compare_and_act(redisContext* c, bool& healthy, std::string_view script, std::string_view full_key,
                               Args... args) {
    const detail::redis_reply_ptr r = command(c, healthy, {"EVAL", script, "1", full_key, std::string_view(args)...});
    if (!r) return store_status::store_error;
    if (r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1)) {
      return r->integer == 1 ? store_status::ok : store_status::not_held;
    }
    return unexpected(healthy, "EVAL", *r);
  }

  std::string full_key(std::string_view key) const {
    std::string full;
    full.reserve(options_.key_prefix.size() + key.size());
    full.append(options_.key_prefix).append(key.data(), key.size());
    return full;
  }

  std::uint64_t next_token() {
    std::lock_guard<std::mutex> lock(token_mutex_);
    std::uint64_t t = 0;
    while (t == 0) t = tokens_();  // 0 never names a reservation
    return t;
  }

  detail::redis_reply_ptr command(redisContext* c, bool& healthy, std::initializer_list<std::string_view> args) {
    return pool_.command(c, healthy, args);
  }

  store_status unexpected(bool& healthy, std::string_view what, const redisReply& r) noexcept {
    (void)pool_.unexpected(healthy, what, r);
    return store_status::store_error;
  }
  reserve_status unexpected_reserve(bool& healthy, std::string_view what, const redisReply& r) noexcept {
    (void)pool_.unexpected(healthy, what, r);
    return reserve_status::store_error;
  }

  const redis_store_options options_;
  detail::redis_pool pool_;
  const std::string ttl_ms_;
  const std::string lease_ms_;

  std::mutex token_mutex_;
  std::mt19937_64 tokens_;
};

}  // namespace qurable::webhooks
