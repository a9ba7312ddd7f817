#pragma once
// Schema drift: a documented field that may be absent (optional, or a nullable std::optional) whose JSON type
// differs from the model (an id sent as a string, null where a value was documented, an object where an array was).
// By default the event is still dispatched: the field reads as absent (std::nullopt, an empty list) and one
// drift_record says what was found where; a scalar list item of another type stays in its list, default-valued.
// A required member that is not std::optional (a required struct included), an item of a list of structs, and the
// fields that identify and route an event (rule::routing: eventType, loyaltyEventKey) are never tolerant: another
// JSON type there is wrong_type (422) in every mode. parser_options::strict turns every drift into a 422 too.

#include <string_view>

#include "json.hpp"
#include "schema.hpp"

namespace qurable::webhooks {

// Views into the parser (path, found) and the body (value): valid as long as the event they came with.
struct drift_record {
  std::string_view event_type;  // eventType of the event
  std::string_view path;        // JSON Pointer of the value, e.g. "/event/executionResults/ledgerWalletId"
  json_kind expected = json_kind::any;
  std::string_view found;  // the JSON type sent: "string", "number", "boolean", "null", "object" or "array"
  raw_json value;          // the value as sent (validated JSON); an integer id sent as a string also reads as its value
};

}  // namespace qurable::webhooks
