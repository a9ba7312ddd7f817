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
//
// Thread-safe: a pool of at most `pool_size` connections, each used by one call at a time; a call that finds every
// connection busy waits for one (at most connect_timeout + command_timeout, then store_error).

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <signal.h>
#include <time.h>
#define QURABLE_WEBHOOKS_DETAIL_SIGPIPE_GUARD 1
#endif

#include "store.hpp"
#include "memory_store.hpp"

namespace qurable::webhooks {

struct redis_store_options {
  // TCP address, used unless unix_socket is set. A host name is resolved for every new connection, and that lookup
  // is not bounded by connect_timeout: prefer an address, or a resolver that answers fast.
  std::string host = "127.0.0.1";
  int port = 6379;
  // Path of Redis' unix socket; when set, host and port are ignored.
  std::string unix_socket;
  // AUTH on every new connection when password is set: AUTH <password>, or AUTH <username> <password> (Redis 6 ACL).
  std::string username;
  std::string password;
  // SELECT on every new connection when not 0.
  int database = 0;
  // Prepended to every event key, so that the store's keys stay apart from anything else in the database.
  std::string key_prefix = "qurable:webhooks:";
  // As in memory_store_options: how long a committed key answers already_processed (cover the platform's whole
  // retry schedule), and how long a reservation blocks duplicates (longer than the slowest handler). Both at least
  // 1 ms; Redis expires the keys itself.
  std::chrono::milliseconds committed_ttl = std::chrono::hours(24);
  std::chrono::milliseconds lease = std::chrono::seconds(60);
  // Bounds on one connection attempt and on each command's round trip (1 ms to 1 h). A request thread waits
  // this long at worst before its delivery is answered 503, so keep them short.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(1);
  std::chrono::milliseconds command_timeout = std::chrono::seconds(1);
  // Most connections open at once; 0 is treated as 1. Calls beyond it wait for a free connection.
  std::size_t pool_size = 4;
};

namespace detail {

struct redis_reply_deleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using redis_reply_ptr = std::unique_ptr<redisReply, redis_reply_deleter>;

inline std::string_view reply_text(const redisReply& r) noexcept {
  return r.str == nullptr ? std::string_view() : std::string_view(r.str, r.len);
}

// Timeouts are kept between 1 ms and an hour: hiredis reads 0 as "no timeout", and huge values overflow clocks.
inline std::chrono::milliseconds clamp_timeout(std::chrono::milliseconds d) noexcept {
  return std::clamp(d, std::chrono::milliseconds(1), std::chrono::milliseconds(std::chrono::hours(1)));
}

inline timeval to_timeval(std::chrono::milliseconds d) noexcept {
  const long long ms = clamp_timeout(d).count();
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms % 1000) * 1000);
  return tv;
}

// The 16 lowercase hex digits of a token: the value stored for a reservation.
inline std::array<char, 16> token_hex(std::uint64_t token) noexcept {
  constexpr char digits[] = "0123456789abcdef";
  std::array<char, 16> out{};
  for (std::size_t i = out.size(); i-- > 0; token >>= 4) out[i] = digits[token & 0xf];
  return out;
}

// Writing to a connection Redis closed raises SIGPIPE, which kills the process unless the application ignores it.
// hiredis does not prevent that, so each call blocks SIGPIPE in its own thread and discards one raised meanwhile,
// leaving the process' signal disposition alone (a library must not change it). A SIGPIPE sent to the whole
// process during the call is discarded too; nothing sends one on purpose.
class sigpipe_guard {
 public:
#if defined(QURABLE_WEBHOOKS_DETAIL_SIGPIPE_GUARD)
  sigpipe_guard() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipe_, &old_) != 0) return;
    active_ = sigismember(&old_, SIGPIPE) != 1;  // already blocked by the application: nothing to undo
    sigset_t pending;
    sigemptyset(&pending);
    if (active_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) active_ = false;
    if (!active_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ~sigpipe_guard() {
    if (!active_) return;
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
#if defined(__APPLE__)
      int signal_number = 0;
      (void)sigwait(&pipe_, &signal_number);  // pending, so it returns at once
#else
      const timespec no_wait{};
      (void)sigtimedwait(&pipe_, nullptr, &no_wait);
#endif
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool active_ = false;
#else
  sigpipe_guard() noexcept = default;
#endif
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;
};

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
constexpr std::string_view redis_committed_prefix = "done:";

}  // namespace detail

class redis_store final : public idempotency_store {
 public:
  // Connects lazily: construction needs no Redis (call ping() to check the configuration at startup).
  explicit redis_store(redis_store_options options = {})
      : options_(std::move(options)),
        pool_size_(std::max<std::size_t>(options_.pool_size, 1)),
        ttl_ms_(std::to_string(std::max<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(detail::clamp_duration(options_.committed_ttl))
                .count(),
            1))),
        lease_ms_(std::to_string(std::max<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(detail::clamp_duration(options_.lease)).count(), 1))),
        wait_for_connection_(detail::clamp_timeout(options_.connect_timeout) +
                             detail::clamp_timeout(options_.command_timeout)) {
    idle_.reserve(pool_size_);  // so that returning a connection never allocates
    std::random_device entropy;
    std::seed_seq seed{entropy(), entropy(), entropy(), entropy()};
    tokens_.seed(seed);
  }

  ~redis_store() override {
    for (redisContext* c : idle_) redisFree(c);
  }

  redis_store(const redis_store&) = delete;
  redis_store& operator=(const redis_store&) = delete;

  const redis_store_options& options() const noexcept { return options_; }

  reserve_result reserve(std::string_view key) noexcept override {
    if (key.empty()) return {reserve_status::store_error, 0};
    return run(reserve_result{reserve_status::store_error, 0},
               [&](redisContext* c, bool& healthy) { return reserve_on(c, key, healthy); });
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
  std::string last_error() const {
    std::lock_guard<std::mutex> lock(error_mutex_);
    return last_error_;
  }

 private:
  template <class R, class F>
  R run(R on_error, F&& f) noexcept {
    const detail::sigpipe_guard no_sigpipe;
    redisContext* const c = acquire();
    if (c == nullptr) return on_error;
    bool healthy = false;  // set by f once the connection is known to be in a clean state
    const R result = detail::call_or(on_error, [&] { return f(c, healthy); });
    give_back(c, healthy && c->err == 0);
    return result;
  }

  reserve_result reserve_on(redisContext* c, std::string_view key, bool& healthy) {
    const std::string full = full_key(key);
    // A key that expires between the failed SET and the GET can be tried again; a few rounds, then in_flight.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const std::uint64_t token = next_token();
      const auto hex = detail::token_hex(token);
      const detail::redis_reply_ptr set =
          command(c, healthy, {"SET", full, std::string_view(hex.data(), hex.size()), "NX", "PX", lease_ms_});
      if (!set) return {reserve_status::store_error, 0};
      if (set->type == REDIS_REPLY_STATUS) return {reserve_status::acquired, token};
      if (set->type != REDIS_REPLY_NIL) return {unexpected_reserve(healthy, "SET", *set), 0};

      const detail::redis_reply_ptr get = command(c, healthy, {"GET", full});
      if (!get) return {reserve_status::store_error, 0};
      if (get->type == REDIS_REPLY_STRING) {
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

  // Sends one command. A null result means the connection failed (healthy stays false, the message is recorded);
  // otherwise `healthy` is true: a reply was read in full, whatever it says.
  detail::redis_reply_ptr command(redisContext* c, bool& healthy, std::initializer_list<std::string_view> args) {
    constexpr std::size_t max_args = 8;
    std::array<const char*, max_args> argv{};
    std::array<std::size_t, max_args> lengths{};
    std::size_t n = 0;
    for (std::string_view a : args) {
      if (n == max_args) break;
      argv[n] = a.empty() ? "" : a.data();  // hiredis copies `lengths[n]` bytes; never from a null pointer
      lengths[n] = a.size();
      ++n;
    }
    healthy = false;
    detail::redis_reply_ptr r(
        static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(n), argv.data(), lengths.data())));
    if (!r) {
      note_error(*args.begin(), c->err != 0 ? std::string_view(c->errstr) : std::string_view("no reply"));
      return r;
    }
    healthy = true;
    return r;
  }

  // An error reply (OOM, READONLY, NOAUTH, WRONGTYPE...) or a reply of the wrong type. The connection is dropped
  // too: after a failover or a server restart a fresh connection is the likeliest to work.
  store_status unexpected(bool& healthy, std::string_view what, const redisReply& r) noexcept {
    healthy = false;
    note_error(what, r.type == REDIS_REPLY_ERROR ? detail::reply_text(r) : std::string_view("unexpected reply type"));
    return store_status::store_error;
  }
  reserve_status unexpected_reserve(bool& healthy, std::string_view what, const redisReply& r) noexcept {
    (void)unexpected(healthy, what, r);
    return reserve_status::store_error;
  }

  void note_error(std::string_view what, std::string_view message) noexcept {
    (void)detail::call_or(0, [&] {
      std::lock_guard<std::mutex> lock(error_mutex_);
      last_error_.assign(what.data(), what.size()).append(": ").append(message.data(), message.size());
      return 0;
    });
  }

  // A connection for one call, or null (store_error) when none can be had: connecting failed, or every connection
  // stayed busy for wait_for_connection_.
  redisContext* acquire() noexcept {
    {
      std::unique_lock<std::mutex> lock(pool_mutex_);
      if (!available_.wait_for(lock, wait_for_connection_, [&] { return !idle_.empty() || open_ < pool_size_; })) {
        lock.unlock();
        note_error("pool", "every connection stayed busy");
        return nullptr;
      }
      if (!idle_.empty()) {
        redisContext* c = idle_.back();
        idle_.pop_back();
        return c;
      }
      ++open_;
    }
    redisContext* c = connect();  // outside the lock: it may take up to connect_timeout
    if (c == nullptr) {
      std::lock_guard<std::mutex> lock(pool_mutex_);
      --open_;
      available_.notify_one();
    }
    return c;
  }

  void give_back(redisContext* c, bool healthy) noexcept {
    if (!healthy) redisFree(c);
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (healthy) {
      idle_.push_back(c);  // capacity reserved for pool_size_ entries: cannot throw
    } else {
      --open_;
    }
    available_.notify_one();
  }

  redisContext* connect() noexcept {
    const timeval connect_tv = detail::to_timeval(options_.connect_timeout);
    redisContext* c = options_.unix_socket.empty()
                          ? redisConnectWithTimeout(options_.host.c_str(), options_.port, connect_tv)
                          : redisConnectUnixWithTimeout(options_.unix_socket.c_str(), connect_tv);
    if (c == nullptr) {
      note_error("connect", "out of memory");
      return nullptr;
    }
    if (c->err != 0) {
      note_error("connect", c->errstr);
      redisFree(c);
      return nullptr;
    }
    bool ok = redisSetTimeout(c, detail::to_timeval(options_.command_timeout)) == REDIS_OK;
    if (!ok) note_error("connect", "cannot set the command timeout");
    if (ok && !options_.password.empty()) {
      ok = detail::call_or(false, [&] {
        return options_.username.empty() ? expect_ok(c, {"AUTH", options_.password})
                                         : expect_ok(c, {"AUTH", options_.username, options_.password});
      });
    }
    if (ok && options_.database != 0) {
      ok = detail::call_or(false, [&] { return expect_ok(c, {"SELECT", std::to_string(options_.database)}); });
    }
    if (!ok) {
      redisFree(c);
      return nullptr;
    }
    return c;
  }

  bool expect_ok(redisContext* c, std::initializer_list<std::string_view> args) {
    bool healthy = false;
    const detail::redis_reply_ptr r = command(c, healthy, args);
    if (!r) return false;
    if (r->type == REDIS_REPLY_STATUS && detail::reply_text(*r) == "OK") return true;
    (void)unexpected(healthy, *args.begin(), *r);
    return false;
  }

  const redis_store_options options_;
  const std::size_t pool_size_;
  const std::string ttl_ms_;
  const std::string lease_ms_;
  const std::chrono::milliseconds wait_for_connection_;

  std::mutex pool_mutex_;
  std::condition_variable available_;
  std::vector<redisContext*> idle_;  // connected, not in use
  std::size_t open_ = 0;             // idle + in use + being opened

  std::mutex token_mutex_;
  std::mt19937_64 tokens_;

  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace qurable::webhooks
