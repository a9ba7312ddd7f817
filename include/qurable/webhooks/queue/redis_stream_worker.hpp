#pragma once
// A worker of the durable hand-off: reads the stream that redis_stream_receiver appends to, as one consumer of a
// consumer group, and runs each event through the same parse → dispatch → outcome rules as the synchronous receiver.
// Run any number of workers, in any number of processes on any machines, against the same Redis and group.
//
// Per entry, in order:
//   1. parse the raw body (once; the handler gets views into it). A body that does not parse is dead-lettered.
//   2. reserve the event's idempotency key (loyaltyEventKey, or body_key() of the bytes) and count the attempt, in one
//      Lua call. Already processed: acknowledged as a duplicate. Reserved by another worker: left pending (retried).
//   3. dispatch to the visitor. Queued redis_effects (redis_effects.hpp) are collected.
//   4. success (dispatched or unhandled): ONE Lua call runs the queued effects, marks the key processed and XACKs
//      (and XDELs) the entry. When Redis fails that call (unreachable, or an error of its own such as LOADING,
//      READONLY, OOM), it is retried for up to half of visibility_timeout: not an attempt, the handler does not run
//      again. When a queued effect fails (WRONGTYPE...), the same call dead-letters the entry (redis_effects.hpp).
//      Handler failure: the reservation is released and the entry stays pending, to be claimed again after
//      visibility_timeout; after max_attempts runs it goes to the dead-letter stream and the dead-letter hook, and
//      is acknowledged.
// Entries a dead (SIGKILLed, partitioned) worker left pending are claimed with XAUTOCLAIM once idle for
// visibility_timeout. The reservation lease is visibility_timeout too: a handler must finish within it, or another
// worker may run the event again (the late commit then finds the key taken and changes nothing).
//
// Failures of Redis never throw and never lose an entry: whatever was not acknowledged is read again later. Every
// call into user code (handlers, the dead-letter hook, the log sink) is contained.
//
// Thread safety: one worker object is used by one thread (poll() / run()); stop() may be called from any thread or
// a signal handler. For more threads, make more workers (each its own consumer name).

#include <hiredis/hiredis.h>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
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
#include "../detail/contain.hpp"
#include "../detail/redis_connection.hpp"
#include "../http/receiver.hpp"
#include "../idempotency/redis_store.hpp"
#include "../idempotency/store.hpp"
#include "redis_effects.hpp"
#include "redis_stream.hpp"

namespace qurable::webhooks {

struct redis_worker_options {
  // This worker's name in the group; unique per worker. Empty: "<hostname>-<pid>-<random>".
  std::string consumer;
  // Entries read per round.
  std::size_t batch = 16;
  // How long one XREADGROUP waits for new entries (also how quickly run() notices stop()).
  std::chrono::milliseconds block = std::chrono::milliseconds(500);
  // An entry pending this long (its worker died, or its handler failed) is claimed by a live worker. Also the lease
  // of the idempotency reservation: longer than the slowest handler.
  std::chrono::milliseconds visibility_timeout = std::chrono::seconds(30);
  // Handler runs before an entry is dead-lettered (a run that crashed the process counts). 0 counts as 1.
  unsigned max_attempts = 5;
  // How long the record of a processed event answers "duplicate" (cover the platform's retry schedule).
  std::chrono::milliseconds committed_ttl = std::chrono::hours(24);
  // XDEL an entry once it is acknowledged (in the same script). Off: the stream keeps processed entries.
  bool delete_processed = true;
  parser_options parser;
  // The idempotency key, as receiver_options::idempotency_key. Empty: the receivers' default,
  // "<eventType>:<loyaltyEventKey>" (receiver_core::idempotency_key), the same records a redis_store on the same
  // prefix keeps. A worker has no request: `headers` answers only what the stream entry stored, "webhook-id" and
  // "webhook-timestamp" (every other header reads as absent). So a receiver key function that uses only those
  // (e.g. key.assign(*headers("webhook-id"))) can be passed here unchanged and gives the same keys; one that reads
  // other headers cannot be reproduced by a worker. Empty key or a throw (counted in hook_failures): the default.
  idempotency_key_function idempotency_key;
  // Called with the raw body and the outcome of every dead-lettered entry. Contained: a throw is counted.
  dead_letter_hook dead_letter;
  // One line per failure (Redis unavailable, handler failed and will be retried, dead-lettered). Contained.
  std::function<void(std::string_view line)> log;
};

struct redis_worker_stats {
  std::uint64_t processed = 0;      // committed (dispatched or unhandled)
  std::uint64_t duplicates = 0;     // already processed: acknowledged without running the handler
  std::uint64_t failed = 0;         // handler runs that failed (the entry is retried or dead-lettered)
  std::uint64_t dead_lettered = 0;  // moved to the dead-letter stream
  std::uint64_t busy = 0;           // left pending because another worker held the event
  std::uint64_t redis_errors = 0;   // Redis calls that failed
  std::uint64_t hook_failures = 0;  // dead-letter hook or log calls that threw
};

namespace detail {

// KEYS[1] idempotency key, KEYS[2] attempts hash; ARGV[1] token, ARGV[2] lease ms, ARGV[3] entry id.
// {0, attempts}: acquired (also when the key already holds this token: a repeated call); {1}: in flight elsewhere;
// {2}: processed.
constexpr std::string_view stream_reserve_script =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] then return {0, tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '1')} end "
    "if v then if string.sub(v, 1, 5) == 'done:' then return {2, 0} end return {1, 0} end "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
    "return {0, redis.call('HINCRBY', KEYS[2], ARGV[3], 1)}";

// KEYS[1] idempotency key, KEYS[2] stream, KEYS[3] attempts hash, KEYS[4] dead-letter stream. ARGV[1] token,
// ARGV[2] "done:<token>", ARGV[3] TTL ms, ARGV[4] group, ARGV[5] entry id, ARGV[6] "1" to XDEL, ARGV[7] now (Unix
// ms), ARGV[8...] the effects (count, arguments; repeated).
// 1: committed (effects applied now, or by this same token before); 2: someone else committed it (effects dropped);
// 0: another holder has the key (nothing done, the entry stays pending).
// {3, n, error}: effect n (1-based) failed with `error`. The effects before it stay applied (Redis has no rollback),
// so the batch must never run again: in this same script the key is recorded as processed, the entry is copied to
// the dead-letter stream with the error, acknowledged and deleted. An error of Redis itself on the first effect,
// before anything was written (OOM, READONLY, NOREPLICAS...), is returned as the script's error instead: nothing was
// applied, and the caller treats it as Redis being unavailable.
constexpr std::string_view stream_commit_script =
    "local v = redis.call('GET', KEYS[1]) "
    "local r = 1 "
    "if v == ARGV[1] or not v then "
    "  local i = 8 "
    "  local k = 0 "
    "  while i <= #ARGV do "
    "    local n = tonumber(ARGV[i]) "
    "    k = k + 1 "
    "    local ok = redis.pcall(unpack(ARGV, i + 1, i + n)) "
    "    if type(ok) == 'table' and ok.err then "
    "      local w = string.match(ok.err, '^%u+') "
    "      if k == 1 and (w == 'OOM' or w == 'READONLY' or w == 'NOREPLICAS' or w == 'MASTERDOWN' or w == 'LOADING' "
    "          or w == 'BUSY' or w == 'TRYAGAIN' or w == 'CLUSTERDOWN' or w == 'MISCONF') then return ok end "
    "      redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) "
    "      local msg = 'a queued Redis effect failed (command ' .. k .. ', ' .. ARGV[i + 1] .. '): ' .. ok.err .. "
    "        '; the ' .. (k - 1) .. ' command(s) before it were applied and the event is recorded as processed, so '"
    "        .. 'it is not run again' "
    "      local e = redis.call('XRANGE', KEYS[2], ARGV[5], ARGV[5]) "
    "      local f = {} "
    "      if #e > 0 then f = e[1][2] end "
    "      local a = redis.call('HGET', KEYS[3], ARGV[5]) or '1' "
    "      for _, x in ipairs({'source-id', ARGV[5], 'outcome', 'handler_failed', 'error', msg, 'attempts', a, "
    "          'dead-ms', ARGV[7]}) do f[#f + 1] = x end "
    "      redis.call('XADD', KEYS[4], '*', unpack(f)) "
    "      redis.call('XACK', KEYS[2], ARGV[4], ARGV[5]) "
    "      if ARGV[6] == '1' then redis.call('XDEL', KEYS[2], ARGV[5]) end "
    "      redis.call('HDEL', KEYS[3], ARGV[5]) "
    "      return {3, k, msg} "
    "    end "
    "    i = i + n + 1 "
    "  end "
    "  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) "
    "elseif v == ARGV[2] then r = 1 "
    "elseif string.sub(v, 1, 5) == 'done:' then r = 2 "
    "else return 0 end "
    "redis.call('XACK', KEYS[2], ARGV[4], ARGV[5]) "
    "if ARGV[6] == '1' then redis.call('XDEL', KEYS[2], ARGV[5]) end "
    "redis.call('HDEL', KEYS[3], ARGV[5]) "
    "return r";

// KEYS[1] stream, KEYS[2] attempts hash, KEYS[3] dead-letter stream, KEYS[4] idempotency key (or the stream again).
// ARGV[1] token or "", ARGV[2] group, ARGV[3] entry id, ARGV[4] "1" to XDEL, ARGV[5...] the dead entry's fields.
// Only while the entry is still pending, so a repeated call does not dead-letter it twice.
constexpr std::string_view stream_dead_letter_script =
    "local p = redis.call('XPENDING', KEYS[1], ARGV[2], ARGV[3], ARGV[3], 1) "
    "if #p == 0 then return 2 end "
    "if ARGV[1] ~= '' and redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end "
    "redis.call('XADD', KEYS[3], '*', unpack(ARGV, 5)) "
    "redis.call('XACK', KEYS[1], ARGV[2], ARGV[3]) "
    "if ARGV[4] == '1' then redis.call('XDEL', KEYS[1], ARGV[3]) end "
    "redis.call('HDEL', KEYS[2], ARGV[3]) "
    "return 1";

inline std::string default_consumer_name() {
  std::random_device entropy;
  const auto hex = token_hex((static_cast<std::uint64_t>(entropy()) << 32) ^ entropy());
  std::string name = "worker";
#if defined(__unix__) || defined(__APPLE__)
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') name = host;
  name += "-" + std::to_string(getpid());
#endif
  return name + "-" + std::string(hex.data(), 8);
}

inline std::string ms_text(std::chrono::milliseconds d) {
  return std::to_string(
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::milliseconds>(clamp_duration(d)).count()));
}

}  // namespace detail

template <class Visitor>
class redis_stream_worker {
 public:
  redis_stream_worker(Visitor visitor, redis_stream_options stream, redis_worker_options options = {})
      : visitor_(std::move(visitor)),
        stream_(std::move(stream)),
        options_(std::move(options)),
        pool_(single(stream_.connection)),
        json_(options_.parser),
        attempts_key_(detail::stream_attempts_key(stream_)),
        lease_ms_(detail::ms_text(options_.visibility_timeout)),
        ttl_ms_(detail::ms_text(options_.committed_ttl)),
        min_idle_ms_(detail::ms_text(options_.visibility_timeout)),
        block_ms_(detail::ms_text(options_.block)),
        batch_(std::to_string(options_.batch == 0 ? 1 : options_.batch)) {
    if (options_.consumer.empty()) options_.consumer = detail::default_consumer_name();
    if (options_.max_attempts == 0) options_.max_attempts = 1;
    std::random_device entropy;
    std::seed_seq seed{entropy(), entropy(), entropy(), entropy()};
    tokens_.seed(seed);
  }

  redis_stream_worker(const redis_stream_worker&) = delete;
  redis_stream_worker& operator=(const redis_stream_worker&) = delete;

  const std::string& consumer() const noexcept { return options_.consumer; }
  const redis_worker_options& options() const noexcept { return options_; }

  // One round: claims entries idle for visibility_timeout (XAUTOCLAIM, every visibility_timeout / 4), then reads
  // new ones (XREADGROUP, waiting up to `block`), and processes them all. Returns the number of entries finished
  // (acknowledged) in the round. Claiming goes on while a claim comes back full or the scan is not complete, up to
  // max_claim_rounds batches per round; the next round goes on from there at once when entries are left.
  std::size_t poll() noexcept {
    static constexpr int max_claim_rounds = 16;
    std::size_t finished = 0;
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_claim_) {
      next_claim_ =
          now + std::max<std::chrono::milliseconds>(options_.visibility_timeout / 4, std::chrono::milliseconds(100));
      bool more = false;
      for (int round = 0; round < max_claim_rounds && !stopping(); ++round) {
        claimed_ = 0;
        const std::uint64_t errors = stats_.redis_errors;
        finished += read_and_process(true);
        if (stats_.redis_errors != errors) break;  // Redis failed: run() waits before the next round
        more = claimed_ >= batch_size() || cursor_ != "0-0";
        if (!more) break;
      }
      if (more) next_claim_ = now;  // not done: the next round claims again
    }
    finished += read_and_process(false);
    return finished;
  }

  // poll() until stop(); the batch in hand is finished first. After a Redis failure it waits (up to 1 s) first.
  void run() noexcept {
    while (!stopping_.load(std::memory_order_acquire)) {
      const std::uint64_t errors = stats_.redis_errors;
      (void)poll();
      if (stats_.redis_errors != errors && !stopping_.load(std::memory_order_acquire)) {
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(options_.block, std::chrono::seconds(1)));
      }
    }
  }

  // Asks run() to return after the current batch. Async-signal-safe (one lock-free atomic store).
  void stop() noexcept { stopping_.store(true, std::memory_order_release); }
  bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }

  // Counters of this worker (read them from the worker's thread, or after run() returned).
  const redis_worker_stats& stats() const noexcept { return stats_; }
  std::string last_error() const { return pool_.last_error(); }

 private:
  std::size_t batch_size() const noexcept { return options_.batch == 0 ? 1 : options_.batch; }

  static redis_connection_options single(redis_connection_options o) {
    o.pool_size = 1;
    return o;
  }

  void log(std::string_view a, std::string_view b = {}, std::string_view c = {}) noexcept {
    if (!options_.log) return;
    hook([&] {
      std::string line;
      line.append(a.data(), a.size()).append(b.data(), b.size()).append(c.data(), c.size());
      options_.log(line);
    });
  }

  template <class F>
  void hook(F&& f) noexcept {
    std::string thrown;  // what it said: not kept (the count is in the stats; logging it could throw again)
    if (!detail::call_contained(std::forward<F>(f), thrown)) ++stats_.hook_failures;
  }

  void redis_failed(std::string_view what) noexcept {
    ++stats_.redis_errors;
    log("redis stream worker: ", what, detail::call_or(std::string(), [&] { return ": " + pool_.last_error(); }));
  }

  // The group is created on first use (and again if it vanished, e.g. Redis restarted without persistence).
  bool ensure_group(redisContext* c, bool& healthy) {
    const detail::redis_reply_ptr r =
        pool_.command(c, healthy, {"XGROUP", "CREATE", stream_.stream, stream_.group, "0", "MKSTREAM"});
    if (!r) return false;
    if (r->type == REDIS_REPLY_STATUS) return true;
    if (r->type == REDIS_REPLY_ERROR && detail::reply_text(*r).substr(0, 9) == "BUSYGROUP") return true;
    return pool_.unexpected(healthy, "XGROUP CREATE", *r);
  }

  // Reads a batch (claimed or new) and processes it while the reply that holds the entries is alive.
  std::size_t read_and_process(bool claim) noexcept {
    return detail::call_or(std::size_t{0}, [&] {
      detail::redis_reply_ptr reply;
      const bool ok = pool_.run(false, [&](redisContext* c, bool& healthy) {
        reply = read(c, healthy, claim);
        if (reply && reply->type == REDIS_REPLY_ERROR && detail::reply_text(*reply).substr(0, 7) == "NOGROUP") {
          reply.reset();
          return ensure_group(c, healthy);
        }
        if (!reply) return false;
        if (reply->type == REDIS_REPLY_ERROR) {
          const bool answered = pool_.unexpected(healthy, claim ? "XAUTOCLAIM" : "XREADGROUP", *reply);
          reply.reset();
          return answered;
        }
        return true;
      });
      if (!ok) {
        redis_failed(claim ? "claiming pending entries failed" : "reading the stream failed");
        return std::size_t{0};
      }
      if (!reply) return std::size_t{0};
      const redisReply* entries = entries_of(*reply, claim);
      if (entries == nullptr) return std::size_t{0};
      std::size_t finished = 0;
      for (std::size_t i = 0; i < entries->elements; ++i) {
        const redisReply* entry = entries->element[i];
        // [id, [field, value...]]; Redis 6.2 lists a claimed entry that was deleted meanwhile as nil.
        if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
        if (entry->element[1]->type != REDIS_REPLY_ARRAY) continue;
        if (process(detail::reply_text(*entry->element[0]), *entry->element[1])) ++finished;
      }
      if (claim) {
        // Keep the XAUTOCLAIM cursor ("0-0" when the scan is complete).
        cursor_.assign(detail::reply_text(*reply->element[0]));
        claimed_ = entries->elements;
      }
      return finished;
    });
  }

  detail::redis_reply_ptr read(redisContext* c, bool& healthy, bool claim) {
    if (claim) {
      return pool_.command(
          c, healthy,
          {"XAUTOCLAIM", stream_.stream, stream_.group, options_.consumer, min_idle_ms_, cursor_, "COUNT", batch_});
    }
    // The blocking read waits longer than the command timeout: extend it for this call only.
    (void)redisSetTimeout(c, detail::to_timeval(detail::clamp_timeout(options_.block) +
                                                detail::clamp_timeout(stream_.connection.command_timeout)));
    detail::redis_reply_ptr r = pool_.command(c, healthy,
                                              {"XREADGROUP", "GROUP", stream_.group, options_.consumer, "COUNT", batch_,
                                               "BLOCK", block_ms_, "STREAMS", stream_.stream, ">"});
    if (c->err == 0) (void)redisSetTimeout(c, detail::to_timeval(stream_.connection.command_timeout));
    return r;
  }

  // The array of entries in an XAUTOCLAIM or XREADGROUP reply, or null (nothing read, or an unknown shape).
  static const redisReply* entries_of(const redisReply& reply, bool claim) noexcept {
    if (reply.type != REDIS_REPLY_ARRAY) return nullptr;  // XREADGROUP: nil when nothing arrived within `block`
    if (claim) {
      if (reply.elements < 2 || reply.element[1]->type != REDIS_REPLY_ARRAY) return nullptr;
      return reply.element[1];
    }
    if (reply.elements < 1) return nullptr;
    const redisReply* stream = reply.element[0];  // [name, entries]
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) return nullptr;
    if (stream->element[1]->type != REDIS_REPLY_ARRAY) return nullptr;
    return stream->element[1];
  }

  // True when the entry was finished (acknowledged).
  bool process(std::string_view id, const redisReply& fields) {
    const std::string_view raw = detail::stream_entry_field(fields, stream_field::body);
    body_.reserve(raw.size() + simdjson::SIMDJSON_PADDING);
    body_.assign(raw.data(), raw.size());
    const parse_result parsed = json_.parse(body_);
    if (!parsed) {
      outcome out = detail::rejected(parsed.error());
      return dead_letter(id, fields, out, 0, 0);
    }
    const event& e = *parsed;
    const std::string_view key = idempotency_key(e, fields);
    full_key_.assign(stream_.key_prefix).append(key.data(), key.size());
    if (full_key_ == stream_.stream || full_key_ == attempts_key_ || full_key_ == stream_.dead_letter_stream) {
      outcome out = detail::make_outcome(outcome_kind::store_unavailable, 503,
                                         "the event's idempotency key is one of the stream's own keys (" + full_key_ +
                                             "): key_prefix must not be a prefix of the stream keys");
      detail::set_event_ids(out, e);
      return dead_letter(id, fields, out, 0, 0);
    }

    std::uint64_t token = next_token();
    const auto hex = detail::token_hex(token);
    const std::string_view token_text(hex.data(), hex.size());
    long long attempts = 0;
    const int reserved = reserve(id, token_text, attempts);
    if (reserved == -3) return reserve_refused(id, fields, e);
    if (reserved < 0) return false;  // Redis failed: the entry stays pending
    if (reserved == 2) {             // processed before: acknowledge it without running anything
      const int acknowledged = commit(id, token_text, /*with_effects=*/false);
      if (acknowledged == 1 || acknowledged == 2) ++stats_.duplicates;
      return acknowledged == 1 || acknowledged == 2;
    }
    if (reserved == 1) {
      ++stats_.busy;
      return false;
    }
    if (attempts > static_cast<long long>(options_.max_attempts)) {
      outcome out = detail::make_outcome(outcome_kind::handler_failed, 500,
                                         "the handler did not finish within max_attempts runs (crashed or timed out)",
                                         error_code::handler_failed);
      detail::set_event_ids(out, e);
      return dead_letter(id, fields, out, token, attempts);
    }

    effects_.clear();
    outcome out;
    {
      const redis_effects::scope active(effects_);
      out = detail::from_dispatch(e, dispatch(e, visitor_));
    }
    if (out.kind != outcome_kind::handler_failed) {
      const int committed = commit_retrying(id, token_text);
      if (committed == 1) {
        ++stats_.processed;
        return true;
      }
      if (committed == 2) {
        ++stats_.duplicates;
        return true;
      }
      if (committed == 0) {
        ++stats_.busy;  // our lease ran out and another worker holds the event: it will finish it
        return false;
      }
      if (committed == 3) {  // a queued effect failed: the script dead-lettered the entry (never applied twice)
        ++stats_.failed;
        ++stats_.dead_lettered;
        out = detail::make_outcome(outcome_kind::handler_failed, 500, commit_error_, error_code::handler_failed);
        detail::set_event_ids(out, e);
        log("redis stream worker: entry ", id, " dead-lettered (handler_failed): " + out.message);
        if (options_.dead_letter) hook([&] { options_.dead_letter(body_, out); });
        return true;
      }
      return false;  // Redis failed (no attempt is counted): the entry stays pending; nothing was applied
    }
    ++stats_.failed;
    if (attempts >= static_cast<long long>(options_.max_attempts)) {
      return dead_letter(id, fields, out, token, attempts);
    }
    log("redis stream worker: handler failed for entry ", id, ", retried after visibility_timeout: " + out.message);
    release(token_text);
    return false;
  }

  // options_.idempotency_key's key when it is set and gives one (with the headers the entry stored), else the
  // receivers' default.
  std::string_view idempotency_key(const event& e, const redisReply& fields) {
    if (options_.idempotency_key) {
      custom_key_.clear();
      const auto stored = [&fields](std::string_view name) -> std::string_view {
        if (name == stream_field::webhook_id || name == stream_field::webhook_timestamp) {
          return detail::stream_entry_field(fields, name);
        }
        return {};
      };
      const header_lookup headers(stored);
      std::string thrown;
      if (!detail::call_contained([&] { options_.idempotency_key(e, headers, body_, custom_key_); }, thrown)) {
        ++stats_.hook_failures;
      } else if (!custom_key_.empty()) {
        return custom_key_;
      }
    }
    return detail::receiver_core::idempotency_key(e, body_, fallback_key_);
  }

  // The reserve script got an error reply about the key itself (e.g. WRONGTYPE: something else lives at that key).
  // Such an entry would fail the same way forever: once it was delivered more than max_attempts times (XPENDING's
  // delivery count; the handler never ran) it is dead-lettered. Until then it stays pending. True when finished.
  bool reserve_refused(std::string_view id, const redisReply& fields, const event& e) {
    long long deliveries = -1;
    (void)pool_.run(false, [&](redisContext* c, bool& healthy) {
      const detail::redis_reply_ptr r =
          pool_.command(c, healthy, {"XPENDING", stream_.stream, stream_.group, id, id, "1"});
      if (!r) return false;
      // [[id, consumer, idle ms, delivery count]]
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY &&
          r->element[0]->elements == 4 && r->element[0]->element[3]->type == REDIS_REPLY_INTEGER) {
        deliveries = r->element[0]->element[3]->integer;
        return true;
      }
      return pool_.unexpected(healthy, "XPENDING", *r);
    });
    log("redis stream worker: reserving the idempotency key of entry ", id, " failed: " + commit_error_);
    if (deliveries <= static_cast<long long>(options_.max_attempts)) return false;
    outcome out = detail::make_outcome(outcome_kind::store_unavailable, 503,
                                       "the idempotency key could not be reserved after " + std::to_string(deliveries) +
                                           " deliveries: " + commit_error_);
    detail::set_event_ids(out, e);
    return dead_letter(id, fields, out, 0, deliveries);
  }

  // 0 acquired (attempts set), 1 in flight elsewhere, 2 processed, -1 Redis failed, -3 Redis refused the key (an
  // error reply that is not about the state of Redis, e.g. WRONGTYPE; commit_error_ has it).
  int reserve(std::string_view id, std::string_view token, long long& attempts) {
    const int status = pool_.run(-1, [&](redisContext* c, bool& healthy) {
      const detail::redis_reply_ptr r = pool_.command(
          c, healthy, {"EVAL", detail::stream_reserve_script, "2", full_key_, attempts_key_, token, lease_ms_, id});
      if (!r) return -1;
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_INTEGER &&
          r->element[1]->type == REDIS_REPLY_INTEGER) {
        attempts = r->element[1]->integer;
        return static_cast<int>(r->element[0]->integer);
      }
      const bool refused = r->type == REDIS_REPLY_ERROR && !detail::redis_unavailable_error(detail::reply_text(*r));
      if (refused) commit_error_.assign(detail::reply_text(*r));
      (void)pool_.unexpected(healthy, "EVAL reserve", *r);
      return refused ? -3 : -1;
    });
    if (status == -1) redis_failed("reserving an event failed");
    if (status == -3) ++stats_.redis_errors;
    return status;
  }

  // 1 committed, 2 committed by someone else, 0 held by someone else, 3 an effect failed (the script dead-lettered
  // the entry; commit_error_ says why), -1 Redis failed (an error reply of Redis itself included: nothing applied).
  int commit(std::string_view id, std::string_view token, bool with_effects) {
    done_value_.assign(detail::redis_committed_prefix).append(token.data(), token.size());
    now_ms_ = std::to_string(detail::unix_ms_now());
    argv_.clear();
    lengths_.clear();
    const auto add = [this](std::string_view a) { add_arg(a); };
    for (std::string_view a :
         {std::string_view("EVAL"), detail::stream_commit_script, std::string_view("4"), std::string_view(full_key_),
          std::string_view(stream_.stream), std::string_view(attempts_key_),
          std::string_view(stream_.dead_letter_stream), token, std::string_view(done_value_), std::string_view(ttl_ms_),
          std::string_view(stream_.group), id, std::string_view(options_.delete_processed ? "1" : "0"),
          std::string_view(now_ms_)}) {
      add(a);
    }
    if (with_effects) {
      for (const std::string& word : effects_) add(word);
    }
    const int status = pool_.run(-1, [&](redisContext* c, bool& healthy) {
      const detail::redis_reply_ptr r =
          pool_.command_argv(c, healthy, static_cast<int>(argv_.size()), argv_.data(), lengths_.data());
      if (!r) return -1;
      if (r->type == REDIS_REPLY_INTEGER) return static_cast<int>(r->integer);
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_INTEGER &&
          r->element[0]->integer == 3) {
        commit_error_.assign(detail::reply_text(*r->element[2]));
        return 3;
      }
      (void)pool_.unexpected(healthy, "EVAL commit", *r);
      return -1;
    });
    if (status == -1) redis_failed("committing an event failed");
    return status;
  }

  // commit(), and while Redis fails (unreachable, or an error of its own: LOADING, READONLY, OOM, BUSY...) the same
  // commit again, with backoff, for up to half the lease: the handler ran, so this is not a failed attempt, and the
  // script is idempotent under our token. Gives up early when stop() is called; the entry is then claimed again
  // after visibility_timeout and the handler runs again (that run counts as an attempt).
  int commit_retrying(std::string_view id, std::string_view token) {
    const auto give_up = std::chrono::steady_clock::now() + options_.visibility_timeout / 2;
    std::chrono::milliseconds pause(25);
    for (;;) {
      const int committed = commit(id, token, true);
      if (committed != -1 || stopping() || std::chrono::steady_clock::now() + pause >= give_up) return committed;
      std::this_thread::sleep_for(pause);
      pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(1));
    }
  }

  void release(std::string_view token) {
    const bool ok = pool_.run(false, [&](redisContext* c, bool& healthy) {
      const detail::redis_reply_ptr r =
          pool_.command(c, healthy, {"EVAL", detail::redis_release_script, "1", full_key_, token});
      return r && r->type == REDIS_REPLY_INTEGER;
    });
    if (!ok) redis_failed("releasing a reservation failed (it expires after visibility_timeout)");
  }

  // Moves the entry to the dead-letter stream and acknowledges it, in one script; then the hook. True when done.
  bool dead_letter(std::string_view id, const redisReply& fields, const outcome& out, std::uint64_t token,
                   long long attempts) {
    const auto hex = detail::token_hex(token);
    const std::string token_text = token == 0 ? std::string() : std::string(hex.data(), hex.size());
    const std::string attempts_text = std::to_string(attempts);
    const std::string dead_ms = std::to_string(detail::unix_ms_now());
    const std::string_view kind = to_string(out.kind);
    argv_.clear();
    lengths_.clear();
    const auto add = [this](std::string_view a) { add_arg(a); };
    for (std::string_view a :
         {std::string_view("EVAL"), detail::stream_dead_letter_script, std::string_view("4"),
          std::string_view(stream_.stream), std::string_view(attempts_key_),
          std::string_view(stream_.dead_letter_stream),
          token == 0 ? std::string_view(stream_.stream) : std::string_view(full_key_), std::string_view(token_text),
          std::string_view(stream_.group), id, std::string_view(options_.delete_processed ? "1" : "0")}) {
      add(a);
    }
    for (std::size_t i = 0; i + 1 < fields.elements; i += 2) {
      if (detail::reply_text(*fields.element[i]).empty()) continue;
      add(detail::reply_text(*fields.element[i]));
      add(detail::reply_text(*fields.element[i + 1]));
    }
    for (std::string_view a :
         {stream_field::source_id, id, stream_field::outcome, kind, stream_field::error, std::string_view(out.message),
          stream_field::attempts, std::string_view(attempts_text), stream_field::dead_ms, std::string_view(dead_ms)}) {
      add(a);
    }
    const int status = pool_.run(-1, [&](redisContext* c, bool& healthy) {
      const detail::redis_reply_ptr r =
          pool_.command_argv(c, healthy, static_cast<int>(argv_.size()), argv_.data(), lengths_.data());
      if (!r) return -1;
      if (r->type == REDIS_REPLY_INTEGER) return static_cast<int>(r->integer);
      (void)pool_.unexpected(healthy, "EVAL dead-letter", *r);
      return -1;
    });
    if (status < 0) {
      redis_failed("dead-lettering an entry failed");
      return false;
    }
    if (status == 1) {
      ++stats_.dead_lettered;
      log("redis stream worker: entry ", id, " dead-lettered (" + std::string(kind) + "): " + out.message);
      if (options_.dead_letter) hook([&] { options_.dead_letter(body_, out); });
    }
    return true;
  }

  // Appends one argument of the command being built in argv_ / lengths_ (viewed, not copied).
  void add_arg(std::string_view a) {
    argv_.push_back(a.empty() ? "" : a.data());
    lengths_.push_back(a.size());
  }

  std::uint64_t next_token() {
    std::uint64_t t = 0;
    while (t == 0) t = tokens_();
    return t;
  }

  const Visitor visitor_;
  const redis_stream_options stream_;
  redis_worker_options options_;
  detail::redis_pool pool_;
  parser json_;
  const std::string attempts_key_;
  const std::string lease_ms_;
  const std::string ttl_ms_;
  const std::string min_idle_ms_;
  const std::string block_ms_;
  const std::string batch_;

  std::atomic<bool> stopping_{false};
  std::chrono::steady_clock::time_point next_claim_{};
  std::string cursor_ = "0-0";
  std::size_t claimed_ = 0;  // entries in the last XAUTOCLAIM reply
  redis_worker_stats stats_;
  std::mt19937_64 tokens_;

  // Reused per entry: no allocation once they have grown.
  std::string body_;
  std::string fallback_key_;
  std::string custom_key_;
  std::string full_key_;
  std::string done_value_;
  std::string commit_error_;
  std::string now_ms_;
  redis_effects effects_;
  std::vector<const char*> argv_;
  std::vector<std::size_t> lengths_;
};

}  // namespace qurable::webhooks
