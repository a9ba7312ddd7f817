#pragma once
// The webhook endpoint without an HTTP library: give it what every HTTP stack has (the method, a way to look up a
// request header, the raw body) and it answers with a status, a few headers and a short JSON body, plus the full
// outcome for your logs. One receiver is configured once and shared by all request threads.
//
// The checks run in this order, each cheaper than the next, and the first that fails answers:
//   method (405) → body size (413) → Content-Type (415) → authentication (401) → parse (400/413/422)
//   → idempotency (duplicate 200, in-flight 503) → dispatch (200, or 500 when the handler fails)
// A stack that knows the declared Content-Length before reading the body calls check_content_length() first.
// docs/receiving.md has the full table of outcomes, statuses and what the platform does with each.
//
// Authentication is pluggable so that this header needs no OpenSSL. The usual, secure receiver is one line with the
// signature component (auth/standard_webhooks.hpp, target qurable::webhooks_signature):
//   const qw::receiver webhooks(handlers, qw::standard_webhooks(secret));
// `authentication::with(...)` takes any other check.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../auth/authentication.hpp"
#include "../core/dispatch.hpp"
#include "../core/outcome.hpp"
#include "../core/parser.hpp"
#include "../detail/parser_pool.hpp"
#include "../detail/receiver_core.hpp"
#include "../http/headers.hpp"
#include "../http/options.hpp"
#include "../http/response.hpp"
#include "../idempotency/store.hpp"
#include "../observe/observer.hpp"

namespace qurable::webhooks {

// The synchronous receiver: the handler runs on the request thread and its result decides the HTTP answer.
//
// Thread safety: handle(), check_content_length() and body_too_large() may be called from any number of threads at
// once. Each request borrows a parser from the receiver's pool, so the visitor is called concurrently, through a const
// reference: give it a const, thread-safe operator(). Views handed to it are valid during the call only.
// The receiver is neither copyable nor movable; it must outlive every request it serves.
template <class Visitor>
class receiver {
 public:
  receiver(Visitor visitor, authentication auth, receiver_options options = {})
      : visitor_(std::move(visitor)), core_(std::move(auth), std::move(options)), parsers_(core_.options().parser) {}

  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;

  const receiver_options& options() const noexcept { return core_.options(); }
  // How requests are authenticated; log auth().status() at startup ("ok", "disabled", "invalid_secret"...).
  const authentication& auth() const noexcept { return core_.auth(); }
  // For the stack's own body limit (many have one).
  std::size_t max_body_size() const noexcept { return core_.options().parser.max_body_size; }

  // Before reading the body: a 413 response when the declared Content-Length exceeds max_body_size, else nothing.
  // Pass nothing when the request has no Content-Length (chunked); handle() checks the body's size anyway.
  std::optional<response> check_content_length(std::optional<std::size_t> declared) const {
    return core_.check_content_length(declared);
  }

  // How many calls into user code around the handler threw and were contained: the dead-letter hook, the
  // authentication verifier, the header lookup, the idempotency key function (handlers that throw are handler_failed
  // instead). Worth a metric: none of these changes the HTTP answer, so nothing else shows them.
  std::uint64_t hook_failures() const noexcept { return core_.hook_failures(); }

  // While reading a body without Content-Length (chunked): the 413 to send once more than max_body_size() bytes
  // have arrived, so the rest need not be buffered. The same answer handle() gives an oversize body.
  response body_too_large() const { return core_.body_too_large(); }

  // `method` as sent ("POST"), `headers(name)` as described at header_lookup, `body` the raw bytes exactly as
  // received: std::string (parsed in place when its capacity leaves simdjson::SIMDJSON_PADDING spare bytes),
  // std::string_view, simdjson::padded_string(_view) or a C string.
  template <class Headers, class Body>
  response handle(std::string_view method, const Headers& headers, const Body& body) const {
    const std::string_view raw = detail::body_bytes(body);
    const header_lookup lookup(headers);
    // Null unless receiver_options::observer is set: then no clock is read and nothing below is recorded.
    std::optional<request_record> storage;
    request_record* const record = core_.begin_record(storage, raw.size());
    // One clock read per stage boundary (authentication, parse, store, handler, store) that starts or ends a stage
    // the observer times: each lap says which stage comes next.
    stage_clock clock(record, observe_stage::authentication);
    if (std::optional<response> refused = core_.screen(method, lookup, raw, record, &clock)) {
      return std::move(*refused);
    }

    idempotency_store* const store = core_.options().idempotency;
    const detail::parser_pool::lease parser = parsers_.acquire();
    const parse_result parsed = detail::parse_body(*parser, body);
    clock.lap(observe_stage::parse, store == nullptr ? observe_stage::handler : observe_stage::store);
    if (!parsed) return core_.respond(detail::rejected(parsed.error()), raw, record);
    const event& e = *parsed;
    core_.parsed(e);

    if (store == nullptr) {
      outcome out = detail::from_dispatch(e, dispatch(e, visitor_));
      clock.lap(observe_stage::handler, observe_stages::none());
      return core_.respond(std::move(out), raw, record);
    }

    const std::string_view key = core_.idempotency_key(e, lookup, raw, parser.scratch());
    reservation held(*store, key);
    clock.lap(observe_stage::store, observe_stage::handler);
    if (std::optional<outcome> answer = core_.reserved(held.status(), e)) {
      return core_.respond(std::move(*answer), raw, record);
    }
    outcome out = detail::from_dispatch(e, dispatch(e, visitor_));
    clock.lap(observe_stage::handler, observe_stage::store);
    core_.finish_observed(held, out);
    clock.lap(observe_stage::store, observe_stages::none());
    return core_.respond(std::move(out), raw, record);
  }

  // Observer calls (receiver_options::observer) that threw: contained, the answers were not changed.
  std::uint64_t observer_failures() const noexcept { return core_.observers().failures(); }

 private:
  const Visitor visitor_;
  detail::receiver_core core_;
  mutable detail::parser_pool parsers_;
};

}  // namespace qurable::webhooks
