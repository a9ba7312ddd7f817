#pragma once
// The `event` object every delivery carries, whatever its type.

#include <cstdint>
#include <optional>
#include <string_view>

#include "json.hpp"
#include "schema.hpp"
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

// The envelope's members, in the order the platform sends them. eventType and loyaltyEventKey identify and route
// an event: they are never drift-tolerant. For an unknown type only eventType is required.
template <>
struct schema<event_envelope> {
  static constexpr std::string_view name = "event_envelope";
  using E = event_envelope;
  static constexpr auto fields = std::make_tuple(
      field("loyaltyEventId", &E::loyalty_event_id, rule::optional | rule::id),
      field("eventType", &E::event_type, rule::required | rule::routing), field("status", &E::status, rule::required),
      field("loyaltyEventKey", &E::loyalty_event_key, rule::required | rule::routing),
      field("updatedAt", &E::updated_at, rule::required), field("createdAt", &E::created_at, rule::required),
      field("systemUniqueKey", &E::system_unique_key, rule::required),
      field("loyaltyMemberId", &E::loyalty_member_id, rule::optional | rule::id),
      field("executionResults", &E::execution_results, rule::required), field("payload", &E::payload, rule::required),
      field("externalEventDate", &E::external_event_date, rule::optional),
      field("evaluationStatus", &E::evaluation_status, rule::optional),
      field("externalId", &E::external_id, rule::optional), field("lastError", &E::last_error, rule::optional),
      field("description", &E::description, rule::optional), field("tags", &E::tags, rule::optional),
      field("evaluationResults", &E::evaluation_results, rule::optional));
};

}  // namespace qurable::webhooks
