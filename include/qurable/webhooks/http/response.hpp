#pragma once
// The answer a receiver gives: status, headers and a short JSON body, decided in one place from the outcome.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "../core/outcome.hpp"
#include "../events/json.hpp"
#include "../json_writer.hpp"

namespace qurable::webhooks {

struct http_header {
  std::string_view name;
  std::string_view value;
};

namespace detail {

struct response_builder;

// A short text owned by its holder: inline up to N bytes, on the heap beyond (so normal-size event types and
// loyaltyEventKeys, ~20 and ~30 bytes, cost no allocation; an unusually long one is kept whole, never truncated).
template <std::size_t N>
class owned_text {
 public:
  owned_text() noexcept = default;
  owned_text(const owned_text& other) { assign(other.view()); }
  owned_text(owned_text&& other) noexcept : size_(other.size_), overflow_(std::move(other.overflow_)) {
    if (size_ <= N) std::memcpy(inline_, other.inline_, size_);
  }
  owned_text& operator=(const owned_text& other) {
    if (this != &other) assign(other.view());
    return *this;
  }
  owned_text& operator=(owned_text&& other) noexcept {
    if (this != &other) {
      size_ = other.size_;
      overflow_ = std::move(other.overflow_);
      if (size_ <= N) std::memcpy(inline_, other.inline_, size_);
    }
    return *this;
  }
  ~owned_text() = default;

  void assign(std::string_view text) {
    if (text.size() <= N) {
      std::copy(text.begin(), text.end(), inline_);
    } else {
      overflow_.assign(text.data(), text.size());
    }
    size_ = text.size();
  }
  std::string_view view() const noexcept {
    return size_ <= N ? std::string_view(inline_, size_) : std::string_view(overflow_);
  }

 private:
  char inline_[N] = {};
  std::size_t size_ = 0;
  std::string overflow_;  // used only beyond N bytes
};

}  // namespace detail

// The answer to send. It owns everything it shows: the body, the header values (or they are string literals) and
// the ids in outcome(); nothing in it depends on the receiver, the request or the thread once handle() returned.
// Copies and moves carry their own data (views obtained from one response are valid as long as that object).
class response {
 public:
  response() = default;
  response(const response& other)
      : outcome_(other.outcome_),
        fixed_body_(other.fixed_body_),
        owned_body_(other.owned_body_),
        headers_(other.headers_),
        header_count_(other.header_count_),
        event_type_(other.event_type_),
        loyalty_event_key_(other.loyalty_event_key_),
        retry_after_(other.retry_after_) {
    repoint();
  }
  response(response&& other) noexcept
      : outcome_(std::move(other.outcome_)),
        fixed_body_(other.fixed_body_),
        owned_body_(std::move(other.owned_body_)),
        headers_(other.headers_),
        header_count_(other.header_count_),
        event_type_(std::move(other.event_type_)),
        loyalty_event_key_(std::move(other.loyalty_event_key_)),
        retry_after_(std::move(other.retry_after_)) {
    repoint();
  }
  response& operator=(const response& other) {
    if (this != &other) *this = response(other);
    return *this;
  }
  response& operator=(response&& other) noexcept {
    if (this != &other) {
      outcome_ = std::move(other.outcome_);
      fixed_body_ = other.fixed_body_;
      owned_body_ = std::move(other.owned_body_);
      headers_ = other.headers_;
      header_count_ = other.header_count_;
      event_type_ = std::move(other.event_type_);
      loyalty_event_key_ = std::move(other.loyalty_event_key_);
      retry_after_ = std::move(other.retry_after_);
      repoint();
    }
    return *this;
  }
  ~response() = default;

  int status() const noexcept { return outcome_.http_status; }
  // Always "application/json"; set it with the body (most stacks take both in one call).
  std::string_view content_type() const noexcept { return "application/json"; }
  // The other headers to send: Allow (405), Accept (415) or Retry-After (503). Usually none.
  array_view<http_header> headers() const noexcept { return {headers_.data(), header_count_}; }
  // A short JSON object, e.g. {"outcome":"dispatched"} or
  // {"outcome":"rejected","code":"wrong_type","message":"...","path":"/event/executionResults/amountUsed"}.
  std::string_view body() const noexcept { return owned_body_.empty() ? fixed_body_ : std::string_view(owned_body_); }
  // For logs and metrics. Its event_type and loyalty_event_key view copies owned by this response: valid as long as
  // this response object, whatever the receiver or the thread does next (a copy of the outcome taken with
  // `auto o = r.outcome();` shares that lifetime; copy the strings to keep them longer).
  const webhooks::outcome& outcome() const noexcept { return outcome_; }
  // 2xx: the platform will not send this delivery again.
  bool acknowledged() const noexcept { return outcome_.acknowledged(); }

 private:
  friend struct detail::response_builder;
  static constexpr std::string_view retry_after_name = "Retry-After";

  // The views that point into this object, set again after a copy or a move.
  void repoint() noexcept {
    outcome_.event_type = event_type_.view();
    outcome_.loyalty_event_key = loyalty_event_key_.view();
    for (std::size_t i = 0; i < header_count_; ++i) {
      if (headers_[i].name == retry_after_name) headers_[i].value = retry_after_.view();
    }
  }

  webhooks::outcome outcome_;
  std::string_view fixed_body_;
  std::string owned_body_;
  std::array<http_header, 1> headers_{};
  std::size_t header_count_ = 0;
  detail::owned_text<64> event_type_;
  detail::owned_text<64> loyalty_event_key_;
  detail::owned_text<24> retry_after_;  // the receiver's Retry-After seconds, as text
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
      case outcome_kind::overloaded:
        r.retry_after_.assign(retry_after);
        add(response::retry_after_name, {});
        break;
      default: break;
    }
    if (out.kind == outcome_kind::rejected) {
      // Rejections are the sender's to fix, so they say what and where; nothing else echoes internals.
      std::string& body = r.owned_body_;
      body.reserve(64 + out.message.size() + out.path.size());
      body += R"({"outcome":"rejected","code":)";
      write_json_string(body, to_string(out.code));
      body += R"(,"message":)";
      write_json_string(body, out.message);
      if (!out.path.empty()) {
        body += R"(,"path":)";
        write_json_string(body, out.path);
      }
      body += '}';
    } else {
      r.fixed_body_ = fixed_body(out.kind);
    }
    r.outcome_ = std::move(out);
    r.event_type_.assign(r.outcome_.event_type);
    r.loyalty_event_key_.assign(r.outcome_.loyalty_event_key);
    r.repoint();
    return r;
  }

  // Adds to the outcome's message (for logs) what went wrong around the answer, e.g. a hook that threw; the status,
  // headers and body stay as they were.
  static void note(response& r, std::string_view text) {
    std::string& message = r.outcome_.message;
    if (!message.empty()) message += "; ";
    message.append(text.data(), text.size());
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
