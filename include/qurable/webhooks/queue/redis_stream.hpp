#pragma once
// The durable hand-off on Redis Streams: where it lives in Redis and what an entry holds. Shared by the receiver
// (redis_stream_receiver.hpp), the workers (redis_stream_worker.hpp) and tools such as the dead-letter replay.
// Needs hiredis (0.14 or 1.x) and Redis 6.2 or later (XAUTOCLAIM): link qurable::webhooks_redis.
//
//   platform ──POST──▶ redis_stream_receiver ──XADD──▶ <stream> ──XREADGROUP/XAUTOCLAIM──▶ redis_stream_worker(s)
//                      (screen, parse, 202 only                        (consumer group)      parse, dispatch,
//                       after Redis confirmed)                                                commit + XACK (one Lua)
//                                                                 after max_attempts ──▶ <dead-letter stream>
//
// Keys (all configurable, defaults shown):
//   qurable:webhooks-stream            the work stream; one entry per accepted delivery (fields below)
//   qurable:webhooks-stream:attempts   hash: entry id -> handler runs started, deleted when the entry is finished
//   qurable:webhooks-dead              the dead-letter stream (the entry's fields plus why it died)
//   qurable:webhooks:<event key>       idempotency records, the same layout as redis_store.hpp, so a redis_store and
//                                      the workers pointed at the same prefix dedupe each other's deliveries
// The idempotency records have a namespace of their own: no stream key starts with key_prefix, so no event (whatever
// its eventType and loyaltyEventKey) can name one of them. Keep it so when you change the names; a worker that
// meets an event whose idempotency key is one of the stream keys anyway dead-letters it instead of touching them.
// Nothing ever trims the work stream: an entry is deleted (XDEL) only after it was acknowledged, in the same atomic
// script that recorded its processing (set delete_processed = false to keep them, e.g. for a second group).
// docs/durable-delivery.md has the data flow, the guarantees per failure, and the persistence settings.

#include <chrono>
#include <string>
#include <string_view>

#include "../detail/redis_connection.hpp"

namespace qurable::webhooks {

struct redis_stream_options {
  redis_connection_options connection;
  std::string stream = "qurable:webhooks-stream";
  std::string group = "qurable-webhooks";
  std::string dead_letter_stream = "qurable:webhooks-dead";
  // Prefix of the idempotency records (as redis_store_options::key_prefix). Not a prefix of the keys above.
  std::string key_prefix = "qurable:webhooks:";
  // Replication safety for the receiver's 202 (off by default). Redis replicates asynchronously: an XADD the primary
  // confirmed can be lost if the primary fails before a replica got it. With wait_replicas > 0 the receiver sends
  // WAIT wait_replicas wait_timeout after the XADD and answers 202 only when that many replicas acknowledged it;
  // fewer in time: 503 + Retry-After (the entry stays in the stream and is processed; the platform's retry appends
  // it again and the workers acknowledge that copy as a duplicate). Keep wait_timeout well under command_timeout.
  unsigned wait_replicas = 0;
  std::chrono::milliseconds wait_timeout = std::chrono::milliseconds(100);
};

// The fields of a work-stream entry. A dead-letter entry has the same ones plus the dead_* fields.
namespace stream_field {
inline constexpr std::string_view body = "body";                            // the raw body, byte for byte
inline constexpr std::string_view webhook_id = "webhook-id";                // the delivery's header, or empty
inline constexpr std::string_view webhook_timestamp = "webhook-timestamp";  // the delivery's header, or empty
inline constexpr std::string_view received_ms = "received-ms";              // Unix ms when the receiver took it
inline constexpr std::string_view event_type = "type";                      // eventType, for tools and logs
inline constexpr std::string_view event_key = "key";                        // loyaltyEventKey, or empty
inline constexpr std::string_view requeued = "requeued";                    // times the replay tool re-queued it
// Dead-letter entries only.
inline constexpr std::string_view source_id = "source-id";  // the work-stream entry id it came from
inline constexpr std::string_view outcome = "outcome";      // outcome_kind, e.g. handler_failed, rejected
inline constexpr std::string_view error = "error";          // the outcome's message
inline constexpr std::string_view attempts = "attempts";    // handler runs started
inline constexpr std::string_view dead_ms = "dead-ms";      // Unix ms when it was dead-lettered
}  // namespace stream_field

namespace detail {

inline std::string stream_attempts_key(const redis_stream_options& o) { return o.stream + ":attempts"; }

// An error reply that says something about the state of Redis (loading, read-only replica, out of memory, busy
// script...), not about the command: Redis is unavailable for now, the same command may work later.
inline bool redis_unavailable_error(std::string_view error) noexcept {
  const std::string_view word = error.substr(0, error.find(' '));
  for (std::string_view w : {"LOADING", "READONLY", "OOM", "BUSY", "MASTERDOWN", "NOREPLICAS", "TRYAGAIN",
                             "CLUSTERDOWN", "MISCONF", "NOSCRIPT", "MOVED", "ASK"}) {
    if (word == w) return true;
  }
  return false;
}

inline long long unix_ms_now() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The value of `name` in an entry's [name, value, name, value...] array; empty when absent.
inline std::string_view stream_entry_field(const redisReply& fields, std::string_view name) noexcept {
  if (fields.type != REDIS_REPLY_ARRAY) return {};
  for (std::size_t i = 0; i + 1 < fields.elements; i += 2) {
    if (reply_text(*fields.element[i]) == name) return reply_text(*fields.element[i + 1]);
  }
  return {};
}

}  // namespace detail
}  // namespace qurable::webhooks
