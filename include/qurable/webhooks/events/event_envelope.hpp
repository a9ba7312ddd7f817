#pragma once
// The `event` object every delivery carries, whatever its type.

#include <cstdint>
#include <optional>
#include <string_view>

#include "json.hpp"
#include "timestamp.hpp"

namespace qurable::webhooks {

// The event's common fields. Strings view the parsed document (see docs/design.md for how long).
//
// For the event types the SDK knows, status, loyalty_event_key, system_unique_key, created_at, updated_at,
// execution_results and payload are guaranteed present: an event missing one is rejected before any handler runs.
// For an unknown event type only event_type is guaranteed; the others are empty when the platform left them out.
struct event_envelope {
  std::string_view event_type;                        // eventType, e.g. "member-created"
  std::string_view status;                            // status, e.g. "success"
  std::string_view loyalty_event_key;                 // loyaltyEventKey, e.g. "ev_01JSKZG24NMDB0RRQHF247NSCX"
  std::optional<std::string_view> loyalty_event_id;   // loyaltyEventId (member events; a number is kept as its digits)
  std::string_view system_unique_key;                 // systemUniqueKey
  std::optional<std::string_view> loyalty_member_id;  // loyaltyMemberId (coupon events)
  timestamp created_at;                               // createdAt
  timestamp updated_at;                               // updatedAt
  std::optional<timestamp> external_event_date;       // externalEventDate
  std::optional<std::string_view> external_id;        // externalId
  raw_json last_error;                                // lastError (free-form; null when there is none)
  std::optional<std::string_view> description;        // description
  raw_json tags;                                      // tags (free-form; null in the documented examples)
  std::optional<std::int64_t> evaluation_status;      // evaluationStatus
  raw_json evaluation_results;                        // evaluationResults (free-form)
  raw_json execution_results;                         // executionResults as text (typed views decode it too)
  raw_json payload;                                   // payload as text (typed views decode it too)
};

}  // namespace qurable::webhooks
