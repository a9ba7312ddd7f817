#pragma once
// The SDK's core in one include: the event views, parse → dispatch → outcome, and the HTTP-agnostic receiver with its
// authentication hook and in-memory idempotency store. Needs simdjson only. The optional parts are included on their
// own: auth/standard_webhooks.hpp (OpenSSL), idempotency/redis_store.hpp (hiredis), queue/, testing/.

#include "webhooks/auth/authentication.hpp"
#include "webhooks/core/dispatch.hpp"
#include "webhooks/core/outcome.hpp"
#include "webhooks/core/parser.hpp"
#include "webhooks/core/receive.hpp"
#include "webhooks/error.hpp"
#include "webhooks/events/coupon_events.hpp"
#include "webhooks/events/event_envelope.hpp"
#include "webhooks/events/event_type.hpp"
#include "webhooks/events/json.hpp"
#include "webhooks/events/member_created.hpp"
#include "webhooks/events/timestamp.hpp"
#include "webhooks/http/headers.hpp"
#include "webhooks/http/options.hpp"
#include "webhooks/http/receiver.hpp"
#include "webhooks/http/response.hpp"
#include "webhooks/idempotency/memory_store.hpp"
#include "webhooks/idempotency/store.hpp"
#include "webhooks/json_writer.hpp"
#include "webhooks/version.hpp"
