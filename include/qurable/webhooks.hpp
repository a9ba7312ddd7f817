#pragma once
// The core of qurable-webhooks: parse, views, dispatch, receive. Needs only simdjson.
// Optional parts are included on their own: <qurable/webhooks/signature.hpp> (OpenSSL),
// <qurable/webhooks/idempotency.hpp>, and the HTTP-agnostic <qurable/webhooks/receiver.hpp>.

#include "webhooks/coupon_events.hpp"
#include "webhooks/dispatch.hpp"
#include "webhooks/error.hpp"
#include "webhooks/event_envelope.hpp"
#include "webhooks/event_type.hpp"
#include "webhooks/json.hpp"
#include "webhooks/member_created.hpp"
#include "webhooks/outcome.hpp"
#include "webhooks/parser.hpp"
#include "webhooks/receive.hpp"
#include "webhooks/timestamp.hpp"
#include "webhooks/version.hpp"
