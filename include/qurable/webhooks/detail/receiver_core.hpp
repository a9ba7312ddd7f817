#pragma once
// What receiver and async_receiver share: the checks before parsing, idempotency, and outcomes into responses.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <simdjson.h>

#include "../auth/authentication.hpp"
#include "../core/dispatch.hpp"
#include "../core/outcome.hpp"
#include "../core/parser.hpp"
#include "../core/receive.hpp"
#include "../http/headers.hpp"
#include "../http/options.hpp"
#include "../http/response.hpp"
#include "../idempotency/store.hpp"
#include "../observe/observer.hpp"
#include "contain.hpp"
#include "text.hpp"

namespace qurable::webhooks {

namespace detail {

// "application/json", in any case, with optional parameters ("; charset=utf-8"). A charset other than UTF-8 is
// refused: the parser reads UTF-8 only, and a body declared otherwise would be misread rather than rejected.
constexpr bool is_json_media_type(std::string_view value) noexcept {
  std::size_t semicolon = value.find(';');
  if (!iequals(trim_ows(value.substr(0, semicolon)), "application/json")) return false;
  while (semicolon != std::string_view::npos) {
    value.remove_prefix(semicolon + 1);
    semicolon = value.find(';');
    const std::string_view parameter = trim_ows(value.substr(0, semicolon));
    const std::size_t equals = parameter.find('=');
    if (equals == std::string_view::npos) continue;  // empty or malformed parameter: not ours to police
    if (!iequals(trim_ows(parameter.substr(0, equals)), "charset")) continue;
    std::string_view charset = trim_ows(parameter.substr(equals + 1));
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (!iequals(charset, "utf-8") && !iequals(charset, "utf8")) return false;
  }
  return true;
}

// The raw bytes of a body: std::string, std::string_view, simdjson::padded_string(_view), a C string.
template <class Body>
std::string_view body_bytes(const Body& body) noexcept {
  if constexpr (std::is_convertible_v<const Body&, const char*>) {
    return std::string_view(body);
  } else {
    return std::string_view(body.data(), body.size());
  }
}

// Parses in place when the body type can promise padding (see parser.hpp), with one copy otherwise.
template <class Body>
parse_result parse_body(parser& p, const Body& body) {
  if constexpr (std::is_same_v<Body, std::string> || std::is_same_v<Body, simdjson::padded_string_view>) {
    return p.parse(body);
  } else if constexpr (std::is_same_v<Body, simdjson::padded_string>) {
    return p.parse(simdjson::padded_string_view(body));
  } else {
    return p.parse(body_bytes(body));
  }
}

inline outcome make_outcome(outcome_kind kind, int status, std::string_view message = {},
                            error_code code = error_code::none) {
  outcome out;
  out.kind = kind;
  out.http_status = status;
  out.code = code;
  out.message.assign(message.data(), message.size());
  return out;
}

inline void set_event_ids(outcome& out, const event& e) noexcept {
  out.event_type = e.envelope().event_type;
  out.loyalty_event_key = e.envelope().loyalty_event_key;
}

// What receiver and async_receiver share: the checks before parsing, idempotency, and turning outcomes into
// responses (running the dead-letter hook on the way).
class receiver_core {
 public:
  receiver_core(authentication auth, receiver_options options)
      : auth_(std::move(auth)), options_(std::move(options)), observer_(options_.observer) {
    const auto seconds = options_.retry_after.count();
    retry_after_ = std::to_string(seconds < 0 ? 0 : seconds);
  }

  const receiver_options& options() const noexcept { return options_; }
  const authentication& auth() const noexcept { return auth_; }
  const observer_slot& observers() const noexcept { return observer_; }

  // The record of one request, in `storage`, when an observer is set; null (and nothing constructed, no clock read)
  // when not. `body_size` is the body's size as received.
  request_record* begin_record(std::optional<request_record>& storage, std::size_t body_size) const noexcept {
    request_record* const record = observer_.record(storage);
    if (record != nullptr) record->body_size = body_size;
    return record;
  }

  // Called once per request that parsed, with the event: the one place where what the decoder learnt about the
  // event (schema drift) is forwarded, to options().drift and to the observer. Nothing to do, and no cost, when the
  // event did not drift. A throwing drift hook is contained and counted in hook_failures().
  void parsed(const event& e) const noexcept {
    const array_view<drift_record> drift = e.drift();
    if (drift.empty()) return;
    if (options_.drift) {
      std::string thrown;
      if (!call_contained([&] { options_.drift(drift); }, thrown)) {
        hook_failures_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (observer_) {
      for (const drift_record& record : drift) observer_.drift(record);
    }
  }

  std::optional<response> check_content_length(std::optional<std::size_t> declared) const {
    if (!declared || *declared <= options_.parser.max_body_size) return std::nullopt;
    // The body is not read: the record's body_size is 0.
    return too_large("the declared Content-Length is larger than max_body_size");
  }

  // The 413 for a chunked body that outgrew max_body_size while it arrived.
  response body_too_large() const { return too_large("the body is larger than max_body_size"); }

  // Method, size, Content-Type, authentication: everything before parsing. Empty when the request passes.
  // `record` (begin_record(); may be null) gets the outcome of a refused request; `clock` (started on `record` when
  // the request began) is lapped into the authentication stage once the verifier returned: the stage includes the
  // cheap checks before it, and costs one clock read (none when the observer times neither it nor parse).
  std::optional<response> screen(std::string_view method, const header_lookup& headers, std::string_view body,
                                 request_record* record = nullptr, stage_clock* clock = nullptr) const {
    if (method != "POST") {  // methods are case-sensitive (RFC 9110)
      return refuse(make_outcome(outcome_kind::method_not_allowed, 405, "only POST is allowed"), headers.failed(), body,
                    record);
    }
    if (body.size() > options_.parser.max_body_size) {
      return refuse(make_outcome(outcome_kind::rejected, 413, "the body is larger than max_body_size",
                                 error_code::body_too_large),
                    headers.failed(), body, record);
    }
    const std::optional<std::string_view> type = headers("content-type");
    if (!type || !is_json_media_type(*type)) {
      return refuse(make_outcome(outcome_kind::unsupported_media_type, 415,
                                 type ? "Content-Type is not application/json" : "no Content-Type header"),
                    headers.failed(), body, record);
    }
    auth_result auth;
    std::string thrown;  // what a throwing verifier said: it fails closed, as a 401
    const bool verified = call_contained([&] { auth = auth_.verify(headers, body); }, thrown);
    if (clock != nullptr) clock->lap(observe_stage::authentication, observe_stage::parse);
    if (!verified) {
      hook_failures_.fetch_add(1, std::memory_order_relaxed);
      auth = {false, "verifier_threw", thrown};
    }
    if (!auth.ok) {
      outcome out = make_outcome(outcome_kind::unauthorized, 401);
      out.message.reserve(auth.reason.size() + 2 + auth.message.size());
      out.message.append(auth.reason.data(), auth.reason.size())
          .append(": ")
          .append(auth.message.data(), auth.message.size());
      return refuse(std::move(out), headers.failed(), body, record);
    }
    if (headers.failed()) count_lookup_failure();  // passed anyway (the header that threw was not needed)
    return std::nullopt;
  }

  // The default idempotency key, in `buffer`: the event type, then ':', then the loyaltyEventKey, e.g.
  // "member-created:ev_01JSKZG24NMDB0RRQHF247NSCX". The type is written with '%', ':' and '#' percent-encoded
  // (%25, %3A, %23; no event type the platform documents has any), so the first ':' ends it and two different
  // (type, key) pairs never share a key. An event without a loyaltyEventKey gets the type, '#' and body_key() of
  // its exact bytes ("unknown-type#body:<16 hex digits>": only byte-identical redeliveries are recognised).
  // `buffer` keeps its capacity between calls: no allocation once warm (except body_key()'s, for keyless events).
  static std::string_view idempotency_key(const event& e, std::string_view body, std::string& buffer) {
    buffer.clear();
    const std::string_view type = e.envelope().event_type;
    if (type.find_first_of("%:#") == std::string_view::npos) {
      buffer.append(type.data(), type.size());
    } else {
      for (const char c : type) {
        switch (c) {
          case '%': buffer += "%25"; break;
          case ':': buffer += "%3A"; break;
          case '#': buffer += "%23"; break;
          default: buffer += c;
        }
      }
    }
    const std::string_view key = e.envelope().loyalty_event_key;
    if (!key.empty()) {
      buffer += ':';
      buffer.append(key.data(), key.size());
    } else {
      buffer += '#';
      buffer += body_key(body);
    }
    return buffer;
  }

  // The key to reserve: options().idempotency_key's when it is set and gives one, else the default above. A key
  // function that throws is counted in hook_failures() and the default key is used.
  std::string_view idempotency_key(const event& e, const header_lookup& headers, std::string_view body,
                                   std::string& buffer) const {
    if (options_.idempotency_key) {
      buffer.clear();
      std::string thrown;
      if (!call_contained([&] { options_.idempotency_key(e, headers, body, buffer); }, thrown)) {
        hook_failures_.fetch_add(1, std::memory_order_relaxed);
      } else if (!buffer.empty()) {
        return buffer;
      }
    }
    return idempotency_key(e, body, buffer);
  }

  // The answer when the store did not hand us the key; empty for `acquired`.
  static std::optional<outcome> unless_acquired(reserve_status status, const event& e) {
    std::optional<outcome> out;
    switch (status) {
      case reserve_status::acquired: return out;
      case reserve_status::already_processed: out = make_outcome(outcome_kind::duplicate, 200); break;
      case reserve_status::in_flight:
        // 503 + Retry-After rather than 409: "come back later" is what 503 means to every HTTP client, while a
        // 4xx reads as "your request is wrong" and some senders do not retry 4xx at all. By the time the platform
        // retries, the first delivery has committed (the retry is then a duplicate, 200) or released (it runs).
        out = make_outcome(outcome_kind::in_flight, 503, "this event is being processed by another request");
        break;
      case reserve_status::store_error:
        out = make_outcome(outcome_kind::store_unavailable, 503, "the idempotency store could not answer");
        break;
    }
    set_event_ids(*out, e);
    return out;
  }

  // unless_acquired(), telling the observer about a duplicate (already processed) or a store that could not answer.
  std::optional<outcome> reserved(reserve_status status, const event& e) const {
    if (observer_) {
      if (status == reserve_status::already_processed) {
        observer_.duplicate(duplicate_record{e.envelope().event_type, e.envelope().loyalty_event_key});
      } else if (status == reserve_status::store_error) {
        observer_.store_error(store_error_record{"reserve", "the idempotency store could not answer"});
      }
    }
    return unless_acquired(status, e);
  }

  // After the handler ran: commit unless it failed (then release, so the platform's retry runs it again).
  static void finish(reservation& held, outcome& out) { finish(held, out, nullptr); }

  // As finish(), telling the observer (when one is set) about a commit or release the store failed.
  void finish_observed(reservation& held, outcome& out) const { finish(held, out, observer_ ? &observer_ : nullptr); }

  static void finish(reservation& held, outcome& out, const observer_slot* observed) {
    if (out.kind == outcome_kind::handler_failed) {
      const store_status s = held.release();
      if (observed != nullptr && s != store_status::ok) {
        observed->store_error(store_error_record{"release", to_string(s)});
      }
    } else if (const store_status s = held.commit(); s != store_status::ok) {
      if (observed != nullptr) observed->store_error(store_error_record{"commit", to_string(s)});
      // Still a success: the event was processed. Only the record of it is missing, so a redelivery may run again.
      out.message = "processed, but the idempotency store did not record it (";
      out.message += to_string(s);
      out.message += "): a redelivery would run the handler again";
    }
  }

  static bool goes_to_dead_letter(outcome_kind kind) noexcept {
    switch (kind) {
      case outcome_kind::rejected:
      case outcome_kind::handler_failed:
      case outcome_kind::unauthorized:
      case outcome_kind::method_not_allowed:
      case outcome_kind::unsupported_media_type:
      case outcome_kind::store_unavailable: return true;
      default: return false;
    }
  }

  // For a delivery that passed authentication: runs the dead-letter hook if the outcome goes there. A hook that
  // throws is counted in hook_failures(), never propagated.
  void report(std::string_view body, const outcome& out) const { (void)dead_letter(body, out); }

  // The answer for a delivery that passed authentication (the dead-letter hook runs on the way).
  // `record` (begin_record(); may be null) gets the outcome and goes to the observer before the outcome moves.
  response respond(outcome&& out, std::string_view body, request_record* record = nullptr) const {
    std::string note = dead_letter(body, out);
    observe(record, out);
    // The outcome's views point into a parser that goes back to a pool (or to a worker) when handle() returns: the
    // response copies them into storage of its own.
    response r = response_builder::make(std::move(out), retry_after_);
    if (!note.empty()) response_builder::note(r, note);  // after the body was written: the answer stays the same
    return r;
  }

  // How many calls into user code threw and were contained: the dead-letter hook, an authentication verifier, the
  // header lookup, the idempotency key function. None of them changes the documented answer (see each one).
  std::uint64_t hook_failures() const noexcept { return hook_failures_.load(std::memory_order_relaxed); }

 private:
  // The answer for a request refused before authentication passed: dead-lettered only when asked for.
  response refuse(outcome&& out, bool lookup_failed, std::string_view body, request_record* record) const {
    std::string note = options_.dead_letter_unauthenticated ? dead_letter(body, out) : std::string();
    observe(record, out);
    if (lookup_failed) {
      count_lookup_failure();
      if (!note.empty()) note += "; ";
      note += "the header lookup threw (its header was read as absent)";
    }
    response r = response_builder::make(std::move(out), retry_after_);
    if (!note.empty()) response_builder::note(r, note);
    return r;
  }

  // Runs the hook if the outcome goes to dead-letter; empty, or what a throwing hook said.
  std::string dead_letter(std::string_view body, const outcome& out) const {
    std::string note;
    if (!options_.dead_letter || !goes_to_dead_letter(out.kind)) return note;
    if (observer_) {
      observer_.dead_letter(dead_letter_record{out.kind, out.code, out.event_type, out.path, body.size()});
    }
    std::string thrown;
    if (!call_contained([&] { options_.dead_letter(body, out); }, thrown)) {
      hook_failures_.fetch_add(1, std::memory_order_relaxed);
      note = "the dead-letter hook threw: ";
      note += thrown;
    }
    return note;
  }

  void count_lookup_failure() const noexcept { hook_failures_.fetch_add(1, std::memory_order_relaxed); }

  // The request's one on_request call, with its outcome (the record's views point into `out`).
  void observe(request_record* record, const outcome& out) const noexcept {
    if (record == nullptr) return;
    record->set_outcome(out);
    observer_.request(record);
  }

  // A 413 for a body that was not (or not wholly) read, before authentication: the dead-letter hook (when asked for)
  // gets an empty body.
  response too_large(std::string_view message) const {
    std::optional<request_record> storage;
    return refuse(make_outcome(outcome_kind::rejected, 413, message, error_code::body_too_large), false, {},
                  begin_record(storage, 0));
  }

  authentication auth_;
  receiver_options options_;
  observer_slot observer_;
  std::string retry_after_;
  mutable std::atomic<std::uint64_t> hook_failures_{0};
};

}  // namespace detail

}  // namespace qurable::webhooks
