#pragma once
// The dead-letter stream of the durable hand-off, for operators: list what died and why, and re-queue chosen entries
// (or all) into the work stream once the cause is fixed. A re-queued entry is the original delivery (same body and
// metadata, "requeued" counting the re-queues) and goes through the workers like any other, idempotency included:
// an event processed meanwhile (e.g. the platform redelivered it) is acknowledged as a duplicate, not run again.
// Moving one entry is one Lua call (XADD to the work stream + XDEL from the dead-letter stream), so an entry is never
// in both streams and never in neither. The command-line tool is examples/replay (qurable-replay).
//
// Not thread-safe: one object per thread (it holds one connection). Failures are reported, never thrown.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../detail/redis_connection.hpp"
#include "redis_stream.hpp"

namespace qurable::webhooks {

struct dead_letter_entry {
  std::string id;  // in the dead-letter stream
  std::string source_id;
  std::string event_type;
  std::string event_key;
  std::string outcome;
  std::string error;
  std::string attempts;
  long long dead_ms = 0;  // Unix ms
  std::string body;
};

namespace detail {

// KEYS[1] dead-letter stream, KEYS[2] work stream; ARGV[1] the dead entry's id. 1 moved, 0 no such entry.
constexpr std::string_view requeue_script =
    "local e = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) "
    "if #e == 0 then return 0 end "
    "local f = e[1][2] "
    "local out = {} "
    "local requeued = 0 "
    "for i = 1, #f, 2 do "
    "  local n = f[i] "
    "  if n == 'requeued' then requeued = tonumber(f[i + 1]) or 0 "
    "  elseif n ~= 'source-id' and n ~= 'outcome' and n ~= 'error' and n ~= 'attempts' and n ~= 'dead-ms' then "
    "    out[#out + 1] = n out[#out + 1] = f[i + 1] end "
    "end "
    "out[#out + 1] = 'requeued' out[#out + 1] = tostring(requeued + 1) "
    "redis.call('XADD', KEYS[2], '*', unpack(out)) "
    "redis.call('XDEL', KEYS[1], ARGV[1]) "
    "return 1";

}  // namespace detail

class redis_dead_letters {
 public:
  explicit redis_dead_letters(redis_stream_options stream) : stream_(std::move(stream)), pool_(single(stream_)) {}

  // Up to `count` entries, oldest first, starting after `after` ("-" for the start). False when Redis failed.
  bool list(std::vector<dead_letter_entry>& out, std::size_t count = 1000, std::string_view after = "-") {
    out.clear();
    const std::string start = after == "-" ? std::string("-") : "(" + std::string(after);
    const std::string n = std::to_string(count == 0 ? 1 : count);
    return pool_.run(false, [&](redisContext* c, bool& healthy) {
      const detail::redis_reply_ptr r =
          pool_.command(c, healthy, {"XRANGE", stream_.dead_letter_stream, start, "+", "COUNT", n});
      if (!r) return false;
      if (r->type != REDIS_REPLY_ARRAY) return pool_.unexpected(healthy, "XRANGE", *r);
      for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply& e = *r->element[i];
        if (e.type != REDIS_REPLY_ARRAY || e.elements != 2) continue;
        const redisReply& f = *e.element[1];
        dead_letter_entry d;
        d.id.assign(detail::reply_text(*e.element[0]));
        d.source_id.assign(detail::stream_entry_field(f, stream_field::source_id));
        d.event_type.assign(detail::stream_entry_field(f, stream_field::event_type));
        d.event_key.assign(detail::stream_entry_field(f, stream_field::event_key));
        d.outcome.assign(detail::stream_entry_field(f, stream_field::outcome));
        d.error.assign(detail::stream_entry_field(f, stream_field::error));
        d.attempts.assign(detail::stream_entry_field(f, stream_field::attempts));
        d.dead_ms = std::atoll(std::string(detail::stream_entry_field(f, stream_field::dead_ms)).c_str());
        d.body.assign(detail::stream_entry_field(f, stream_field::body));
        out.push_back(std::move(d));
      }
      return true;
    });
  }

  // Moves one entry back to the work stream. 1 moved, 0 no such entry, -1 Redis failed.
  int requeue(std::string_view id) {
    return pool_.run(-1, [&](redisContext* c, bool& healthy) {
      const detail::redis_reply_ptr r = pool_.command(
          c, healthy, {"EVAL", detail::requeue_script, "2", stream_.dead_letter_stream, stream_.stream, id});
      if (!r) return -1;
      if (r->type == REDIS_REPLY_INTEGER) return static_cast<int>(r->integer);
      (void)pool_.unexpected(healthy, "EVAL requeue", *r);
      return -1;
    });
  }

  // Moves every entry there is now (entries dead-lettered meanwhile may be moved too). The number moved, or -1.
  long long requeue_all() {
    long long moved = 0;
    std::vector<dead_letter_entry> batch;
    for (;;) {
      if (!list(batch, 100)) return -1;
      if (batch.empty()) return moved;
      for (const dead_letter_entry& d : batch) {
        const int r = requeue(d.id);
        if (r < 0) return -1;
        moved += r;
      }
    }
  }

  std::string last_error() const { return pool_.last_error(); }

 private:
  static redis_connection_options single(const redis_stream_options& s) {
    redis_connection_options o = s.connection;
    o.pool_size = 1;
    return o;
  }

  const redis_stream_options stream_;
  detail::redis_pool pool_;
};

}  // namespace qurable::webhooks
