#pragma once
// What a receiver is configured with: parser limits, the idempotency store, the dead-letter hook, Retry-After.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "../core/outcome.hpp"
#include "../core/parser.hpp"
#include "../events/drift.hpp"
#include "../events/json.hpp"
#include "../http/headers.hpp"
#include "../idempotency/store.hpp"
#include "../observe/observer.hpp"

namespace qurable::webhooks {

// Called with the raw body (empty when it was never read) and the outcome, for every delivery that passed
// authentication and was then refused or failed: rejected (400/413/422), handler_failed, store_unavailable.
// Requests refused before authentication passed (401 unauthorized, 405, 415, and 413 for a body or a declared
// Content-Length over max_body_size) come from anyone who can reach the endpoint, so they reach the hook only with
// receiver_options::dead_letter_unauthenticated. Never for in_flight or overloaded (the platform retries those and
// nothing went wrong with the event). Called concurrently from request threads (and from workers, with
// async_receiver): keep it thread-safe. It should not throw; if it does, the exception is caught, counted in the
// receiver's hook_failures() and noted in the response's outcome().message; the HTTP answer does not change.
// The outcome's views are valid during the call only.
using dead_letter_hook = std::function<void(std::string_view body, const outcome& result)>;

// Your own idempotency key for a delivery that passed authentication and parsed, e.g. the Standard Webhooks
// `webhook-id` header: `key.assign(*headers("webhook-id"))`. Write it into `key` (empty on entry; its capacity is
// kept between requests, so a warm receiver does not allocate for it). Leaving `key` empty, or throwing (counted in
// the receiver's hook_failures()), uses the default key for that delivery. Called concurrently: keep it
// thread-safe. The key must identify the event, not the attempt: every redelivery of an event must get the same key.
using idempotency_key_function =
    std::function<void(const event& e, const header_lookup& headers, std::string_view body, std::string& key)>;

using drift_hook = std::function<void(array_view<drift_record> records)>;

struct receiver_options {
  // max_body_size (default 1 MiB) is the limit for check_content_length() and the body alike; max_depth as in parse.
  parser_options parser;
  // Not owned: must outlive the receiver. Null: no deduplication (every delivery runs the handler).
  idempotency_store* idempotency = nullptr;
  // Empty: the default key, "<eventType>:<loyaltyEventKey>" (see receiver_core::idempotency_key and
  // docs/receiving.md#idempotency). Only used when `idempotency` is set.
  idempotency_key_function idempotency_key;
  dead_letter_hook dead_letter;
  // Called with the drift records of an event that was dispatched despite schema drift (events/drift.hpp: a
  // documented field of another JSON type, read as absent), before its handler runs, on the request thread: for logs
  // and alerts. The records are views valid during the call. Contained: a throw is counted in hook_failures().
  drift_hook drift;
  // Also send requests refused before authentication passed (401, 405, 415, 413 before authentication) to
  // dead_letter. Off by default: anyone can send those, and each may carry max_body_size bytes into whatever store
  // the hook writes to. Turn it on to debug an integration, or when the hook only counts.
  bool dead_letter_unauthenticated = false;
  // Sent as Retry-After with every 503 (in flight, store unavailable, queue full).
  std::chrono::seconds retry_after{30};
  // Told about every request (outcome, status, event type, error code, body size, stage times), dead letter,
  // duplicate, idempotency store error and, for async_receiver, queue depth change (observe/observer.hpp;
  // prometheus_observer, json_log_observer, observer_fanout, or your own). Not owned: must outlive the receiver.
  // Null (the default): nothing is measured, no clock is read, nothing is allocated. Calls that throw are contained
  // (counted in the receiver's observer_failures()) and never change the answer. See docs/operations.md.
  qurable::webhooks::observer* observer = nullptr;
};

}  // namespace qurable::webhooks
