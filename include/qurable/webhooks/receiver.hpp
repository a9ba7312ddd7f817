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
// Authentication is pluggable (`authentication::with(...)`) so that this header needs no OpenSSL: the signature
// component's `qurable::webhooks::authenticator` plugs in as is.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <forward_list>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "detail/json_writer.hpp"
#include "dispatch.hpp"
#include "idempotency.hpp"
#include "json.hpp"
#include "outcome.hpp"
#include "parser.hpp"
#include "receive.hpp"

namespace qurable::webhooks {

namespace detail {

template <class T>
struct is_std_optional : std::false_type {};
template <class T>
struct is_std_optional<std::optional<T>> : std::true_type {};

// Turns whatever a header lookup returned into a view. A std::string returned by value would die with the call, so
// it is moved into `owned`, which lives as long as the request's header_lookup. Empty counts as absent.
template <class T>
std::optional<std::string_view> header_view(T&& value, std::forward_list<std::string>& owned) {
  using V = std::remove_cv_t<std::remove_reference_t<T>>;
  std::string_view view;
  if constexpr (is_std_optional<V>::value) {
    if (!value) return std::nullopt;
    return header_view(*std::forward<T>(value), owned);
  } else if constexpr (std::is_same_v<V, std::nullptr_t>) {
    return std::nullopt;
  } else if constexpr (std::is_pointer_v<V>) {
    if (value == nullptr) return std::nullopt;
    if constexpr (std::is_convertible_v<V, std::string_view>) {
      view = std::string_view(value);  // a C string, e.g. civetweb's mg_get_header
    } else {
      return header_view(*value, owned);  // e.g. a const std::string* from a map lookup
    }
  } else if constexpr (std::is_same_v<V, std::string> && !std::is_lvalue_reference_v<T>) {
    owned.push_front(std::move(value));
    view = owned.front();
  } else {
    static_assert(std::is_convertible_v<const V&, std::string_view>,
                  "a header lookup returns S, std::optional<S> or a pointer to S, where S converts to "
                  "std::string_view (std::string returned by value is kept alive for the request)");
    view = std::string_view(value);
  }
  if (view.empty()) return std::nullopt;
  return view;
}

}  // namespace detail

// The request's headers as the receiver and authentication see them: `headers(name)` gives the value of a header,
// or nothing when it is absent or empty. It wraps the callable a stack provides (`name -> value`), without copying
// it; that callable must match names case-insensitively (HTTP header names are), since they are asked for in
// lowercase: "content-type", "webhook-id", "webhook-timestamp", "webhook-signature"...
// It may return S, std::optional<S> or a pointer to S (null for absent), where S converts to std::string_view.
// Values must stay valid until handle() returns; a std::string returned by value is kept alive for that long.
class header_lookup {
 public:
  template <class Lookup, std::enable_if_t<!std::is_same_v<std::decay_t<Lookup>, header_lookup>, int> = 0>
  header_lookup(const Lookup& lookup) noexcept  // NOLINT: implicit on purpose, it is an adapter
      : call_(&call<Lookup>) {
    if constexpr (std::is_function_v<Lookup>) {
      target_.function = reinterpret_cast<void (*)()>(&lookup);  // a plain function: no object to point to
    } else {
      target_.object = std::addressof(lookup);
    }
  }

  header_lookup(const header_lookup&) = delete;
  header_lookup& operator=(const header_lookup&) = delete;

  std::optional<std::string_view> operator()(std::string_view name) const { return call_(target_, name, owned_); }

 private:
  union target {
    const void* object;
    void (*function)();
  };
  using call_type = std::optional<std::string_view> (*)(target, std::string_view, std::forward_list<std::string>&);

  template <class Lookup>
  static std::optional<std::string_view> call(target t, std::string_view name, std::forward_list<std::string>& owned) {
    static_assert(std::is_invocable_v<const Lookup&, std::string_view>,
                  "a header lookup is callable as lookup(std::string_view name)");
    if constexpr (std::is_function_v<Lookup>) {
      return detail::header_view(std::invoke(reinterpret_cast<Lookup*>(t.function), name), owned);
    } else {
      return detail::header_view(std::invoke(*static_cast<const Lookup*>(t.object), name), owned);
    }
  }

  target target_{};
  call_type call_;
  mutable std::forward_list<std::string> owned_;  // empty unless the lookup returns strings by value
};

// What an authentication check says. The views must stay valid until the receiver has copied them into the
// outcome (string literals in practice): `reason` is a short stable code for logs, `message` a fixed sentence.
// Neither reaches the HTTP response, whose body says only "unauthorized".
struct auth_result {
  bool ok = false;
  std::string_view reason;
  std::string_view message;
};

namespace detail {

template <class R>
auth_result to_auth_result(const R& result) {
  if constexpr (std::is_same_v<R, auth_result>) {
    return result;
  } else if constexpr (std::is_same_v<R, bool>) {
    return result ? auth_result{true, "ok", {}} : auth_result{false, "rejected", "authentication failed"};
  } else {
    // The shape of signature.hpp's verify_result: ok(), an enum `reason` with a to_string() found by ADL, `message`.
    return {static_cast<bool>(result.ok()), to_string(result.reason), std::string_view(result.message)};
  }
}

template <class Verifier, class = void>
struct has_verify_member : std::false_type {};
template <class Verifier>
struct has_verify_member<Verifier, std::void_t<decltype(std::declval<const Verifier&>().verify(
                                       std::declval<const header_lookup&>(), std::declval<std::string_view>()))>>
    : std::true_type {};

}  // namespace detail

// How requests are authenticated. There is no default on purpose: a receiver is built with one of
//   authentication::with(qurable::webhooks::authenticator::standard_webhooks(...))  // signature.hpp (OpenSSL)
//   authentication::with(my_check)        // anything with verify(headers, body), or callable as (headers, body)
//   authentication::none_i_know_what_i_am_doing()  // accepts every request: local tests, or an authenticating proxy
// Verifiers are called concurrently from request threads, through a const reference, and must not throw.
class authentication {
 public:
  // `verifier.verify(const header_lookup&, std::string_view body) const`, or `verifier(headers, body)`, returning
  // bool, auth_result, or a result shaped like signature.hpp's verify_result (ok(), reason, message).
  template <class Verifier>
  static authentication with(Verifier verifier) {
    using V = std::decay_t<Verifier>;
    authentication a;
    a.verify_ = [v = std::make_shared<const V>(std::move(verifier))](const header_lookup& headers,
                                                                     std::string_view body) {
      if constexpr (detail::has_verify_member<V>::value) {
        return detail::to_auth_result(v->verify(headers, body));
      } else {
        static_assert(std::is_invocable_v<const V&, const header_lookup&, std::string_view>,
                      "authentication::with: the verifier has no verify(headers, body) and is not callable so");
        return detail::to_auth_result(std::invoke(*v, headers, body));
      }
    };
    return a;
  }

  // No verification at all. Named so that it is never chosen by accident; log it at startup.
  static authentication none_i_know_what_i_am_doing() { return authentication(); }

  // True when requests are checked (with()), false for none_i_know_what_i_am_doing().
  bool verifies() const noexcept { return static_cast<bool>(verify_); }

  auth_result verify(const header_lookup& headers, std::string_view body) const {
    if (!verify_) return {true, "disabled", "authentication disabled"};
    return verify_(headers, body);
  }

 private:
  authentication() = default;
  std::function<auth_result(const header_lookup&, std::string_view)> verify_;
};

// Called with the raw body (empty when it was never read) and the outcome, for every request that was refused or
// failed: rejected, unauthorized, method_not_allowed, unsupported_media_type, handler_failed, store_unavailable.
// Not for in_flight or overloaded (the platform retries those and nothing went wrong with the event). Called
// concurrently from request threads (and from workers, with async_receiver): keep it thread-safe and non-throwing.
// The outcome's views are valid during the call only.
using dead_letter_hook = std::function<void(std::string_view body, const outcome& result)>;

struct receiver_options {
  // max_body_size (default 1 MiB) is the limit for check_content_length() and the body alike; max_depth as in parse.
  parser_options parser;
  // Not owned: must outlive the receiver. Null: no deduplication (every delivery runs the handler).
  idempotency_store* idempotency = nullptr;
  dead_letter_hook dead_letter;
  // Sent as Retry-After with every 503 (in flight, store unavailable, queue full).
  std::chrono::seconds retry_after{30};
};

struct http_header {
  std::string_view name;
  std::string_view value;
};

namespace detail {
struct response_builder;
}  // namespace detail

// The answer to send. Header names and values are string literals or owned by the receiver (valid as long as it);
// the body is owned by the response.
class response {
 public:
  int status() const noexcept { return outcome_.http_status; }
  // Always "application/json"; set it with the body (most stacks take both in one call).
  std::string_view content_type() const noexcept { return "application/json"; }
  // The other headers to send: Allow (405), Accept (415) or Retry-After (503). Usually none.
  array_view<http_header> headers() const noexcept { return {headers_.data(), header_count_}; }
  // A short JSON object, e.g. {"outcome":"dispatched"} or
  // {"outcome":"rejected","code":"wrong_type","message":"...","path":"/event/executionResults/amountUsed"}.
  std::string_view body() const noexcept { return owned_body_.empty() ? fixed_body_ : std::string_view(owned_body_); }
  // For logs and metrics. Its event_type and loyalty_event_key are copies kept per thread: valid until this
  // thread's next handle() call on any receiver.
  const webhooks::outcome& outcome() const noexcept { return outcome_; }
  // 2xx: the platform will not send this delivery again.
  bool acknowledged() const noexcept { return outcome_.acknowledged(); }

 private:
  friend struct detail::response_builder;
  webhooks::outcome outcome_;
  std::string_view fixed_body_;
  std::string owned_body_;
  std::array<http_header, 1> headers_{};
  std::size_t header_count_ = 0;
};

namespace detail {

// The one place that decides the headers and body for an outcome (the status is the outcome's).
struct response_builder {
  static response make(outcome&& out, std::string_view retry_after) {
    response r;
    const auto add = [&r](std::string_view name, std::string_view value) {
      r.headers_[r.header_count_++] = http_header{name, value};
    };
    switch (out.kind) {
      case outcome_kind::method_not_allowed: add("Allow", "POST"); break;
      case outcome_kind::unsupported_media_type: add("Accept", "application/json"); break;
      case outcome_kind::in_flight:
      case outcome_kind::store_unavailable:
      case outcome_kind::overloaded: add("Retry-After", retry_after); break;
      default: break;
    }
    if (out.kind == outcome_kind::rejected) {
      // Rejections are the sender's to fix, so they say what and where; nothing else echoes internals.
      std::string& body = r.owned_body_;
      body.reserve(64 + out.message.size() + out.path.size());
      body += R"({"outcome":"rejected","code":)";
      detail::write_json_string(body, to_string(out.code));
      body += R"(,"message":)";
      detail::write_json_string(body, out.message);
      if (!out.path.empty()) {
        body += R"(,"path":)";
        detail::write_json_string(body, out.path);
      }
      body += '}';
    } else {
      r.fixed_body_ = fixed_body(out.kind);
    }
    r.outcome_ = std::move(out);
    return r;
  }

  static constexpr std::string_view fixed_body(outcome_kind kind) noexcept {
    switch (kind) {
      case outcome_kind::dispatched: return R"({"outcome":"dispatched"})";
      case outcome_kind::unhandled: return R"({"outcome":"unhandled"})";
      case outcome_kind::rejected: return R"({"outcome":"rejected"})";
      case outcome_kind::handler_failed: return R"({"outcome":"handler_failed"})";
      case outcome_kind::duplicate: return R"({"outcome":"duplicate"})";
      case outcome_kind::accepted: return R"({"outcome":"accepted"})";
      case outcome_kind::unauthorized: return R"({"outcome":"unauthorized"})";
      case outcome_kind::method_not_allowed:
        return R"({"outcome":"method_not_allowed","message":"only POST is allowed"})";
      case outcome_kind::unsupported_media_type:
        return R"({"outcome":"unsupported_media_type","message":"Content-Type must be application/json"})";
      case outcome_kind::in_flight: return R"({"outcome":"in_flight","message":"retry later"})";
      case outcome_kind::store_unavailable: return R"({"outcome":"store_unavailable","message":"retry later"})";
      case outcome_kind::overloaded: return R"({"outcome":"overloaded","message":"retry later"})";
    }
    return R"({"outcome":"unknown"})";
  }
};

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

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

// The outcome's views point into a parser that goes back to a pool (or to a worker) when handle() returns, so the
// caller gets copies kept per thread. Reused: no allocation once they have grown to the longest key seen.
inline void keep_event_ids(outcome& out) {
  thread_local std::string event_type;
  thread_local std::string loyalty_event_key;
  event_type.assign(out.event_type.data(), out.event_type.size());
  loyalty_event_key.assign(out.loyalty_event_key.data(), out.loyalty_event_key.size());
  out.event_type = event_type;
  out.loyalty_event_key = loyalty_event_key;
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

// Parsers shared by request threads: each request borrows one for its duration and gives it back. The pool grows to
// the highest number of simultaneous requests and stays there, so a warm receiver allocates no parser.
// Why not thread_local: a thread_local cannot belong to one receiver (options differ, receivers die before threads),
// and servers that start a thread per connection would leave a parser behind per thread.
class parser_pool {
 public:
  explicit parser_pool(parser_options options) : options_(options) {}

  class lease {
   public:
    lease(parser_pool& pool, parser* p) noexcept : pool_(&pool), parser_(p) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() { pool_->give_back(parser_); }
    parser& operator*() const noexcept { return *parser_; }
    parser* operator->() const noexcept { return parser_; }

   private:
    parser_pool* pool_;
    parser* parser_;
  };

  lease acquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) {
      all_.push_back(std::make_unique<parser>(options_));
      free_.reserve(all_.size());  // so that give_back never allocates
      return lease(*this, all_.back().get());
    }
    parser* p = free_.back();
    free_.pop_back();
    return lease(*this, p);
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return all_.size();
  }

 private:
  void give_back(parser* p) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(p);
  }

  const parser_options options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<parser>> all_;
  std::vector<parser*> free_;
};

// What receiver and async_receiver share: the checks before parsing, idempotency, and turning outcomes into
// responses (running the dead-letter hook on the way).
class receiver_core {
 public:
  receiver_core(authentication auth, receiver_options options) : auth_(std::move(auth)), options_(std::move(options)) {
    const auto seconds = options_.retry_after.count();
    retry_after_ = std::to_string(seconds < 0 ? 0 : seconds);
  }

  const receiver_options& options() const noexcept { return options_; }

  std::optional<response> check_content_length(std::optional<std::size_t> declared) const {
    if (!declared || *declared <= options_.parser.max_body_size) return std::nullopt;
    return too_large("the declared Content-Length is larger than max_body_size");
  }

  // The 413 for a chunked body that outgrew max_body_size while it arrived.
  response body_too_large() const { return too_large("the body is larger than max_body_size"); }

  // Method, size, Content-Type, authentication: everything before parsing. Empty when the request passes.
  std::optional<response> screen(std::string_view method, const header_lookup& headers, std::string_view body) const {
    if (method != "POST") {  // methods are case-sensitive (RFC 9110)
      return respond(make_outcome(outcome_kind::method_not_allowed, 405, "only POST is allowed"), body);
    }
    if (body.size() > options_.parser.max_body_size) {
      return respond(make_outcome(outcome_kind::rejected, 413, "the body is larger than max_body_size",
                                  error_code::body_too_large),
                     body);
    }
    const std::optional<std::string_view> type = headers("content-type");
    if (!type || !is_json_media_type(*type)) {
      return respond(make_outcome(outcome_kind::unsupported_media_type, 415,
                                  type ? "Content-Type is not application/json" : "no Content-Type header"),
                     body);
    }
    const auth_result auth = auth_.verify(headers, body);
    if (!auth.ok) {
      outcome out = make_outcome(outcome_kind::unauthorized, 401);
      out.message.reserve(auth.reason.size() + 2 + auth.message.size());
      out.message.append(auth.reason.data(), auth.reason.size())
          .append(": ")
          .append(auth.message.data(), auth.message.size());
      return respond(std::move(out), body);
    }
    return std::nullopt;
  }

  // The idempotency key: the event's loyaltyEventKey, or for an event without one the hash of its exact bytes
  // (body_key(); only byte-identical redeliveries are recognised). `fallback` holds the latter.
  static std::string_view idempotency_key(const event& e, std::string_view body, std::string& fallback) {
    const std::string_view key = e.envelope().loyalty_event_key;
    if (!key.empty()) return key;
    fallback = body_key(body);
    return fallback;
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

  // After the handler ran: commit unless it failed (then release, so the platform's retry runs it again).
  static void finish(reservation& held, outcome& out) {
    if (out.kind == outcome_kind::handler_failed) {
      (void)held.release();
    } else if (const store_status s = held.commit(); s != store_status::ok) {
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

  void report(std::string_view body, const outcome& out) const {
    if (options_.dead_letter && goes_to_dead_letter(out.kind)) options_.dead_letter(body, out);
  }

  response respond(outcome&& out, std::string_view body) const {
    report(body, out);
    keep_event_ids(out);
    return response_builder::make(std::move(out), retry_after_);
  }

 private:
  // A 413 for a body that was not (or not wholly) read: the dead-letter hook gets an empty body.
  response too_large(std::string_view message) const {
    return respond(make_outcome(outcome_kind::rejected, 413, message, error_code::body_too_large), {});
  }

  authentication auth_;
  receiver_options options_;
  std::string retry_after_;
};

}  // namespace detail

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
  // For the stack's own body limit (many have one).
  std::size_t max_body_size() const noexcept { return core_.options().parser.max_body_size; }

  // Before reading the body: a 413 response when the declared Content-Length exceeds max_body_size, else nothing.
  // Pass nothing when the request has no Content-Length (chunked); handle() checks the body's size anyway.
  std::optional<response> check_content_length(std::optional<std::size_t> declared) const {
    return core_.check_content_length(declared);
  }

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
    if (std::optional<response> refused = core_.screen(method, lookup, raw)) return std::move(*refused);

    const detail::parser_pool::lease parser = parsers_.acquire();
    const parse_result parsed = detail::parse_body(*parser, body);
    if (!parsed) return core_.respond(detail::rejected(parsed.error()), raw);
    const event& e = *parsed;

    idempotency_store* const store = core_.options().idempotency;
    if (store == nullptr) return core_.respond(detail::from_dispatch(e, dispatch(e, visitor_)), raw);

    std::string fallback;
    const std::string_view key = detail::receiver_core::idempotency_key(e, raw, fallback);
    reservation held(*store, key);
    if (std::optional<outcome> answer = detail::receiver_core::unless_acquired(held.status(), e)) {
      return core_.respond(std::move(*answer), raw);
    }
    outcome out = detail::from_dispatch(e, dispatch(e, visitor_));
    detail::receiver_core::finish(held, out);
    return core_.respond(std::move(out), raw);
  }

 private:
  const Visitor visitor_;
  detail::receiver_core core_;
  mutable detail::parser_pool parsers_;
};

}  // namespace qurable::webhooks
