#pragma once
// Internals of the Redis component: a small pool of blocking hiredis connections, shared by the idempotency store
// (redis_store.hpp) and the Streams hand-off (queue/redis_stream.hpp). Needs hiredis 0.14 or 1.x (blocking C API).
//
// Failures never throw: a call that cannot get a connection, or whose connection fails, reports it through `healthy`
// and last_error(). A connection that failed is dropped; the next call opens a new one. A command that fails with
// a connection error (Redis restarted, the socket was closed under us) on a connection that had been waiting in the
// pool is retried once on a fresh connection before the failure counts: after a restart every pooled connection is
// stale, and without the retry the first call on each would fail for nothing. A timeout is not retried (the server
// is there but slow; a retry would double the wait). The retried command may have run once already when the
// connection broke after sending it: every caller's commands are safe to repeat (see the callers' notes).

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <signal.h>
#include <time.h>
#define QURABLE_WEBHOOKS_DETAIL_SIGPIPE_GUARD 1
#endif

#include "contain.hpp"

namespace qurable::webhooks {

// Where Redis is and how to talk to it; shared by every Redis component.
struct redis_connection_options {
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
  // Bounds on one connection attempt and on each command's round trip (1 ms to 1 h).
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

// A connection error worth one retry on a fresh connection: the peer closed it or reset it. Not a timeout.
inline bool stale_connection_error(const redisContext& c) noexcept {
  if (c.err == REDIS_ERR_EOF) return true;
  if (c.err != REDIS_ERR_IO) return false;
  return std::strcmp(c.errstr, std::strerror(EAGAIN)) != 0 && std::strcmp(c.errstr, std::strerror(EWOULDBLOCK)) != 0 &&
         std::strcmp(c.errstr, std::strerror(ETIMEDOUT)) != 0;
}

class redis_pool {
 public:
  explicit redis_pool(redis_connection_options options)
      : options_(std::move(options)),
        pool_size_(std::max<std::size_t>(options_.pool_size, 1)),
        wait_for_connection_(clamp_timeout(options_.connect_timeout) + clamp_timeout(options_.command_timeout)) {
    idle_.reserve(pool_size_);  // so that returning a connection never allocates
  }
  ~redis_pool() {
    for (redisContext* c : idle_) redisFree(c);
  }
  redis_pool(const redis_pool&) = delete;
  redis_pool& operator=(const redis_pool&) = delete;

  const redis_connection_options& options() const noexcept { return options_; }

  // Runs f(redisContext*, bool& healthy) -> R on a connection, or answers on_error when none can be had. f sets
  // healthy once the connection is known to be in a clean state (command() does). A stale pooled connection is
  // retried once on a fresh one (see the top of this file).
  template <class R, class F>
  R run(R on_error, F&& f) noexcept {
    const sigpipe_guard no_sigpipe;
    bool reused = false;
    redisContext* c = acquire(reused);
    if (c == nullptr) return on_error;
    bool healthy = false;
    R result = call_or(on_error, [&] { return f(c, healthy); });
    if (!healthy && reused && stale_connection_error(*c)) {
      redisFree(c);
      c = connect();
      if (c == nullptr) {
        forget_one();
        return result;
      }
      healthy = false;
      result = call_or(on_error, [&] { return f(c, healthy); });
    }
    give_back(c, healthy && c->err == 0);
    return result;
  }

  // Sends one command. A null result means the connection failed (healthy stays false, the message is recorded);
  // otherwise `healthy` is true: a reply was read in full, whatever it says.
  redis_reply_ptr command_argv(redisContext* c, bool& healthy, int argc, const char** argv,
                               const std::size_t* lengths) {
    healthy = false;
    redis_reply_ptr r(static_cast<redisReply*>(redisCommandArgv(c, argc, argv, lengths)));
    if (!r) {
      note_error(argc > 0 ? std::string_view(argv[0], lengths[0]) : std::string_view("command"),
                 c->err != 0 ? std::string_view(c->errstr) : std::string_view("no reply"));
      return r;
    }
    healthy = true;
    return r;
  }

  redis_reply_ptr command(redisContext* c, bool& healthy, std::initializer_list<std::string_view> args) {
    constexpr std::size_t max_args = 16;
    std::array<const char*, max_args> argv{};
    std::array<std::size_t, max_args> lengths{};
    std::size_t n = 0;
    for (std::string_view a : args) {
      if (n == max_args) break;
      argv[n] = a.empty() ? "" : a.data();  // hiredis copies `lengths[n]` bytes; never from a null pointer
      lengths[n] = a.size();
      ++n;
    }
    return command_argv(c, healthy, static_cast<int>(n), argv.data(), lengths.data());
  }

  // An error reply (OOM, READONLY, NOAUTH, WRONGTYPE...) or a reply of the wrong type: recorded, and the connection
  // is dropped too (after a failover or a restart a fresh connection is the likeliest to work). Returns false.
  bool unexpected(bool& healthy, std::string_view what, const redisReply& r) noexcept {
    healthy = false;
    note_error(what, r.type == REDIS_REPLY_ERROR ? reply_text(r) : std::string_view("unexpected reply type"));
    return false;
  }

  void note_error(std::string_view what, std::string_view message) noexcept {
    (void)call_or(0, [&] {
      std::lock_guard<std::mutex> lock(error_mutex_);
      last_error_.assign(what.data(), what.size()).append(": ").append(message.data(), message.size());
      return 0;
    });
  }

  // The most recent failure, for logs ("" if none yet): hiredis' message or Redis' error reply.
  std::string last_error() const {
    std::lock_guard<std::mutex> lock(error_mutex_);
    return last_error_;
  }

 private:
  // A connection for one call, or null when none can be had: connecting failed, or every connection stayed busy for
  // wait_for_connection_. `reused` tells whether it had been waiting in the pool.
  redisContext* acquire(bool& reused) noexcept {
    reused = false;
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
        reused = true;
        return c;
      }
      ++open_;
    }
    redisContext* c = connect();  // outside the lock: it may take up to connect_timeout
    if (c == nullptr) forget_one();
    return c;
  }

  void forget_one() noexcept {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    --open_;
    available_.notify_one();
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
    const timeval connect_tv = to_timeval(options_.connect_timeout);
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
    bool ok = redisSetTimeout(c, to_timeval(options_.command_timeout)) == REDIS_OK;
    if (!ok) note_error("connect", "cannot set the command timeout");
    if (ok && !options_.password.empty()) {
      ok = call_or(false, [&] {
        return options_.username.empty() ? expect_ok(c, {"AUTH", options_.password})
                                         : expect_ok(c, {"AUTH", options_.username, options_.password});
      });
    }
    if (ok && options_.database != 0) {
      ok = call_or(false, [&] { return expect_ok(c, {"SELECT", std::to_string(options_.database)}); });
    }
    if (!ok) {
      redisFree(c);
      return nullptr;
    }
    return c;
  }

  bool expect_ok(redisContext* c, std::initializer_list<std::string_view> args) {
    bool healthy = false;
    const redis_reply_ptr r = command(c, healthy, args);
    if (!r) return false;
    if (r->type == REDIS_REPLY_STATUS && reply_text(*r) == "OK") return true;
    return unexpected(healthy, *args.begin(), *r);
  }

  const redis_connection_options options_;
  const std::size_t pool_size_;
  const std::chrono::milliseconds wait_for_connection_;

  std::mutex pool_mutex_;
  std::condition_variable available_;
  std::vector<redisContext*> idle_;  // connected, not in use
  std::size_t open_ = 0;             // idle + in use + being opened

  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace detail
}  // namespace qurable::webhooks
