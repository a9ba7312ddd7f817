#pragma once
// The answer a receiver gives: status, headers and a short JSON body, decided in one place from the outcome.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "../core/outcome.hpp"
#include "../detail/json_writer.hpp"
#include "../events/json.hpp"

namespace qurable::webhooks {

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

}  // namespace detail

}  // namespace qurable::webhooks
