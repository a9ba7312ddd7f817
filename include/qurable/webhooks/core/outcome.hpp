#pragma once
// How a delivery ended, and the HTTP status that makes the platform's retries do the right thing.

#include <string>
#include <string_view>

#include "../error.hpp"

namespace qurable::webhooks {

enum class outcome_kind : unsigned char {
  dispatched,      // a handler took the event                                      → 200
  unhandled,       // valid event, no handler for its type (or an unknown type)    → 200: retrying cannot help
                   // (message "no handler for <type>" when the type is known but has no overload)
  rejected,        // the body is not an acceptable event                           → 4xx: retrying cannot help
  handler_failed,  // the handler failed                                            → 500: the platform retries
  // Added by the HTTP receiver (http/receiver.hpp, queue/async_receiver.hpp); receive() never returns these.
  duplicate,               // already processed (idempotency store): handler not called → 200
  accepted,                // validated and queued for a worker (async_receiver)    → 202
  unauthorized,            // authentication failed; the reason is in `message` only → 401
  method_not_allowed,      // not a POST                                            → 405 + Allow: POST
  unsupported_media_type,  // Content-Type is not application/json                  → 415
  in_flight,               // a copy of this event is being processed right now     → 503 + Retry-After
  store_unavailable,       // the idempotency store could not answer                → 503 + Retry-After
  overloaded,              // the hand-off queue is full or shutting down           → 503 + Retry-After
};

constexpr std::string_view to_string(outcome_kind kind) noexcept {
  switch (kind) {
    case outcome_kind::dispatched: return "dispatched";
    case outcome_kind::unhandled: return "unhandled";
    case outcome_kind::rejected: return "rejected";
    case outcome_kind::handler_failed: return "handler_failed";
    case outcome_kind::duplicate: return "duplicate";
    case outcome_kind::accepted: return "accepted";
    case outcome_kind::unauthorized: return "unauthorized";
    case outcome_kind::method_not_allowed: return "method_not_allowed";
    case outcome_kind::unsupported_media_type: return "unsupported_media_type";
    case outcome_kind::in_flight: return "in_flight";
    case outcome_kind::store_unavailable: return "store_unavailable";
    case outcome_kind::overloaded: return "overloaded";
  }
  return "unknown";
}

// The status for a rejection: 413 for size, 400 for bytes that are not JSON, 422 for JSON that is not an event.
constexpr int http_status_for(error_code code) noexcept {
  switch (code) {
    case error_code::none: return 200;
    case error_code::body_too_large: return 413;
    case error_code::empty_body:
    case error_code::invalid_utf8:
    case error_code::invalid_json:
    case error_code::trailing_content:
    case error_code::nesting_too_deep:
    case error_code::duplicate_key: return 400;
    case error_code::not_an_object:
    case error_code::missing_event:
    case error_code::missing_event_type:
    case error_code::missing_field:
    case error_code::wrong_type:
    case error_code::invalid_timestamp: return 422;
    case error_code::handler_failed:
    case error_code::internal: return 500;
  }
  return 500;
}

struct outcome {
  outcome_kind kind = outcome_kind::rejected;
  int http_status = 500;
  error_code code = error_code::none;
  std::string message;  // empty unless rejected or handler_failed (so success does not allocate)
  std::string path;     // JSON Pointer of the offending value, when there is one
  // Why an acknowledged event was not handled (unhandled): "no handler for member-created" for a known type the
  // visitor has no overload (and no fallback) for, "unknown event type" otherwise. Static text: never dangles.
  std::string_view reason;
  // Views into the parsed event: valid until the parser's next parse; empty when the body was rejected early.
  std::string_view event_type;
  std::string_view loyalty_event_key;

  // True when the platform should consider the delivery done (2xx).
  bool acknowledged() const noexcept { return http_status >= 200 && http_status < 300; }
};

}  // namespace qurable::webhooks
