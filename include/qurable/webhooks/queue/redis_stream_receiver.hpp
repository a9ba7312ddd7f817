#pragma once
// The durable receiver: the same checks as the synchronous receiver (method, size, Content-Type, authentication,
// full validation of the body), then the raw body and the delivery's metadata are appended to a Redis Stream, and
// the answer is 202 only once Redis confirmed the append. When Redis cannot take it (down, timeout, error reply) the
// answer is 503 + Retry-After, so the platform retries. Workers (redis_stream_worker.hpp) process the entries.
//
// What "confirmed" means is Redis' persistence setting: with appendonly yes + appendfsync always the entry is on
// disk before the reply; with everysec up to about a second of confirmed entries can be lost if the machine (not
// only Redis) dies; without AOF, everything since the last snapshot. docs/durable-delivery.md has the table.
//
// receiver_options::idempotency and idempotency_key are not used here: the workers dedupe (a duplicate is appended
// and then skipped), with the default key or redis_worker_options::idempotency_key (which sees the stored webhook-id).
// The dead-letter hook is called as by the synchronous receiver (refused or invalid deliveries, and 503 when Redis
// could not take the event); a hook that throws is counted in hook_failures(), never propagated.
//
// Thread safety: handle() and the rest may be called from any number of request threads.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../detail/redis_connection.hpp"
#include "../http/receiver.hpp"
#include "redis_stream.hpp"

namespace qurable::webhooks {

class redis_stream_receiver {
 public:
  // Connects lazily: construction needs no Redis (ping() checks the configuration at startup).
  redis_stream_receiver(authentication auth, receiver_options options, redis_stream_options stream = {})
      : core_(std::move(auth), std::move(options)),
        parsers_(core_.options().parser),
        stream_(std::move(stream)),
        pool_(stream_.connection) {}

  redis_stream_receiver(const redis_stream_receiver&) = delete;
  redis_stream_receiver& operator=(const redis_stream_receiver&) = delete;

  const receiver_options& options() const noexcept { return core_.options(); }
  const redis_stream_options& stream_options() const noexcept { return stream_; }
  std::size_t max_body_size() const noexcept { return core_.options().parser.max_body_size; }

  std::optional<response> check_content_length(std::optional<std::size_t> declared) const {
    return core_.check_content_length(declared);
  }
  response body_too_large() const { return core_.body_too_large(); }

  // As receiver::handle(), except that a valid event is answered 202 "accepted" once it is in the stream, and
  // 503 "store_unavailable" + Retry-After when Redis could not take it.
  template <class Headers, class Body>
  response handle(std::string_view method, const Headers& headers, const Body& body) {
    const std::string_view raw = detail::body_bytes(body);
    const header_lookup lookup(headers);
    if (std::optional<response> refused = core_.screen(method, lookup, raw)) return std::move(*refused);

    const detail::parser_pool::lease parser = parsers_.acquire();
    const parse_result parsed = detail::parse_body(*parser, body);
    if (!parsed) return core_.respond(detail::rejected(parsed.error()), raw);
    const event& e = *parsed;
    core_.parsed(e);  // drift: to the drift hook and the observer, as the other receivers do

    const std::string received = std::to_string(detail::unix_ms_now());
    const std::string_view id = lookup("webhook-id").value_or(std::string_view());
    const std::string_view timestamp = lookup("webhook-timestamp").value_or(std::string_view());
    bool replicated = true;
    const bool appended = pool_.run(false, [&](redisContext* c, bool& healthy) {
      // A retry on a fresh connection may append the event twice: the workers' idempotency makes that harmless.
      const detail::redis_reply_ptr r = pool_.command(
          c, healthy,
          {"XADD", stream_.stream, "*", stream_field::body, raw, stream_field::webhook_id, id,
           stream_field::webhook_timestamp, timestamp, stream_field::received_ms, received, stream_field::event_type,
           e.envelope().event_type, stream_field::event_key, e.envelope().loyalty_event_key});
      if (!r) return false;
      if (r->type != REDIS_REPLY_STRING) return pool_.unexpected(healthy, "XADD", *r);
      replicated = replicas_acknowledged(c, healthy);
      return true;
    });
    outcome out = !appended    ? detail::make_outcome(outcome_kind::store_unavailable, 503,
                                                      "the event could not be appended to the Redis stream")
                  : replicated ? detail::make_outcome(outcome_kind::accepted, 202)
                               : detail::make_outcome(outcome_kind::store_unavailable, 503,
                                                      "the event was appended but fewer than wait_replicas replicas "
                                                      "acknowledged it within wait_timeout");
    detail::set_event_ids(out, e);
    return core_.respond(std::move(out), raw);
  }

  // PING on a pooled connection: true when Redis answers (see last_error() otherwise).
  bool ping() noexcept {
    return pool_.run(false, [&](redisContext* c, bool& healthy) {
      const detail::redis_reply_ptr r = pool_.command(c, healthy, {"PING"});
      return r && r->type == REDIS_REPLY_STATUS;
    });
  }

  // The most recent Redis failure, for logs.
  std::string last_error() const { return pool_.last_error(); }
  // Calls into user code that threw (the dead-letter hook, the header lookup): receiver_core contains and counts them.
  std::uint64_t hook_failures() const noexcept { return core_.hook_failures(); }

 private:
  // WAIT wait_replicas wait_timeout after an append (redis_stream_options::wait_replicas); true when enough
  // replicas acknowledged it, or when no wait is asked for.
  bool replicas_acknowledged(redisContext* c, bool& healthy) {
    if (stream_.wait_replicas == 0) return true;
    const std::string replicas = std::to_string(stream_.wait_replicas);
    const std::string timeout = std::to_string(std::max<long long>(1, stream_.wait_timeout.count()));
    const detail::redis_reply_ptr r = pool_.command(c, healthy, {"WAIT", replicas, timeout});
    if (!r) return false;
    if (r->type == REDIS_REPLY_INTEGER) return r->integer >= static_cast<long long>(stream_.wait_replicas);
    (void)pool_.unexpected(healthy, "WAIT", *r);
    return false;
  }

  detail::receiver_core core_;
  mutable detail::parser_pool parsers_;
  const redis_stream_options stream_;
  detail::redis_pool pool_;
};

}  // namespace qurable::webhooks
