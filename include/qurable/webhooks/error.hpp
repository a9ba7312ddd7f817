#pragma once
// Stable error codes. Their names are part of the API: they appear in logs, in qurable-inspect's output and in
// dead-letter records, so they are never renamed, only added.

#include <cstdint>
#include <string_view>

namespace qurable::webhooks {

enum class error_code : std::uint8_t {
  none = 0,
  // The body as bytes.
  empty_body,        // empty or only whitespace
  body_too_large,    // larger than the parser's maximum body size
  invalid_utf8,      // not UTF-8
  invalid_json,      // not JSON, truncated, or malformed somewhere in the document
  trailing_content,  // something after the top-level value
  nesting_too_deep,  // nested deeper than the parser's depth limit
  // The document's shape.
  not_an_object,       // the top-level value is not an object
  missing_event,       // no "event" member, or it is not an object
  missing_event_type,  // no "event.eventType" string
  missing_field,       // a required field of a known event type is absent
  wrong_type,          // a documented field has the wrong JSON type (or is null where null is not allowed)
  invalid_timestamp,   // a timestamp string that is not ISO-8601 UTC with milliseconds (reported on access)
  // After parsing.
  handler_failed,  // the integrator's handler returned a failure or threw
  internal,        // out of memory or an unexpected simdjson error
  // Added later (codes keep their values): the body as JSON.
  duplicate_key,  // a member the SDK models appears twice in one object (JSON leaves it to parsers: ambiguous)
};

// The snake_case name of the code, e.g. "wrong_type".
constexpr std::string_view to_string(error_code code) noexcept {
  switch (code) {
    case error_code::none: return "none";
    case error_code::empty_body: return "empty_body";
    case error_code::body_too_large: return "body_too_large";
    case error_code::invalid_utf8: return "invalid_utf8";
    case error_code::invalid_json: return "invalid_json";
    case error_code::trailing_content: return "trailing_content";
    case error_code::nesting_too_deep: return "nesting_too_deep";
    case error_code::not_an_object: return "not_an_object";
    case error_code::missing_event: return "missing_event";
    case error_code::missing_event_type: return "missing_event_type";
    case error_code::missing_field: return "missing_field";
    case error_code::wrong_type: return "wrong_type";
    case error_code::invalid_timestamp: return "invalid_timestamp";
    case error_code::handler_failed: return "handler_failed";
    case error_code::internal: return "internal";
    case error_code::duplicate_key: return "duplicate_key";
  }
  return "unknown";
}

}  // namespace qurable::webhooks
