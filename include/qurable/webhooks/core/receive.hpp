#pragma once
// The receive path: raw body → parse → dispatch → outcome (with its HTTP status). Every body ends as exactly one
// outcome, and a body that is rejected or whose handler fails reaches the dead-letter hook, so nothing is lost.

#include <string>
#include <string_view>
#include <utility>

#include "../detail/contain.hpp"
#include "dispatch.hpp"
#include "outcome.hpp"
#include "parser.hpp"

namespace qurable::webhooks {

// A dead-letter hook that does nothing, for receive() without one.
struct no_dead_letter {
  void operator()(std::string_view /*body*/, const outcome& /*result*/) const noexcept {}
};

namespace detail {

inline outcome rejected(const parse_error& error) {
  outcome out;
  out.kind = outcome_kind::rejected;
  out.code = error.code;
  out.http_status = http_status_for(error.code);
  out.message.assign(error.message);
  out.path.assign(error.path);
  return out;
}

inline outcome from_dispatch(const event& e, dispatch_result&& result) {
  outcome out;
  out.event_type = e.envelope().event_type;
  out.loyalty_event_key = e.envelope().loyalty_event_key;
  switch (result.status) {
    case dispatch_status::handled:
      out.kind = outcome_kind::dispatched;
      out.http_status = 200;
      break;
    case dispatch_status::unhandled:
    case dispatch_status::no_handler:  // acknowledged like an unknown type; `reason` says which handler is missing
      out.kind = outcome_kind::unhandled;
      out.http_status = 200;
      out.reason = result.reason;
      break;
    case dispatch_status::failed:
      out.kind = outcome_kind::handler_failed;
      out.code = error_code::handler_failed;
      out.http_status = 500;
      out.message = std::move(result.message);
      if (out.message.empty()) out.message = "the handler failed";
      break;
  }
  return out;
}

}  // namespace detail

// `body` is whatever parser::parse() takes: std::string_view, const std::string&, simdjson::padded_string_view.
// `dead_letter(std::string_view body, const outcome&)` runs for every rejected or failed delivery; if it throws, the
// exception is contained and noted in the outcome's message.
template <class Body, class Visitor, class DeadLetter = no_dead_letter>
outcome receive(parser& p, const Body& body, Visitor&& visitor, DeadLetter&& dead_letter = {}) {
  const parse_result parsed = p.parse(body);
  outcome out = parsed ? detail::from_dispatch(*parsed, dispatch(*parsed, visitor)) : detail::rejected(parsed.error());
  if (out.kind == outcome_kind::rejected || out.kind == outcome_kind::handler_failed) {
    // User code: a hook that throws is contained and noted in the message; the outcome (and status) stay as they are.
    std::string thrown;
    if (!detail::call_contained([&] { dead_letter(std::string_view(body), static_cast<const outcome&>(out)); },
                                thrown)) {
      out.message += "; the dead-letter hook threw: ";
      out.message += thrown;
    }
  }
  return out;
}

}  // namespace qurable::webhooks
