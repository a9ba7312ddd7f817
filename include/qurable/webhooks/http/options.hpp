#pragma once
// What a receiver is configured with: parser limits, the idempotency store, the dead-letter hook, Retry-After.

#include <chrono>
#include <functional>
#include <string_view>

#include "../core/outcome.hpp"
#include "../core/parser.hpp"
#include "../idempotency/store.hpp"

namespace qurable::webhooks {

// Called with the raw body (empty when it was never read) and the outcome, for every request that was refused or
// failed: rejected, unauthorized, method_not_allowed, unsupported_media_type, handler_failed, store_unavailable.
// Not for in_flight or overloaded (the platform retries those and nothing went wrong with the event). Called
// concurrently from request threads (and from workers, with async_receiver): keep it thread-safe and non-throwing.
// The outcome's views are valid during the call only.
using dead_letter_hook = std::function<void(std::string_view body, const outcome& result)>;

struct receiver_options {
  // max_body_size (default 1 MiB) is the limit for check_content_length() and the body alike; max_depth as in parse.
  parser_options parser;
  // Not owned: must outlive the receiver. Null: no deduplication (every delivery runs the handler).
  idempotency_store* idempotency = nullptr;
  dead_letter_hook dead_letter;
  // Sent as Retry-After with every 503 (in flight, store unavailable, queue full).
  std::chrono::seconds retry_after{30};
};

}  // namespace qurable::webhooks
