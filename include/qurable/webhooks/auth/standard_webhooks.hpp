#pragma once
// Request authentication for incoming deliveries. Optional component: link qurable::webhooks_signature, which brings
// OpenSSL's libcrypto (the core SDK does not need it). `authenticator` wraps the three choices behind one call:
//  - Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256, several secrets for rotation;
//  - a shared-secret header such as `Authorization: Bearer ...`, compared in constant time;
//  - no verification at all, which has to be asked for by name.
//
// Nothing here knows about HTTP. Callers pass header values, or a lookup callable `header(name)`. HTTP header names
// are case-insensitive, so matching them is the lookup's job: this file asks for "webhook-id", "webhook-timestamp",
// "webhook-signature" in lowercase, and for the shared-secret header exactly as configured.
//
// Nothing throws. A failure is a verify_reason plus a fixed message (never request data, so it is safe to log);
// answering it with HTTP 401 is the receiver's job. Objects are immutable after construction, so one instance can
// serve concurrent requests.

#include "../auth/authentication.hpp"
#include "../detail/base64.hpp"
#include "../detail/crypto.hpp"
#include "../http/headers.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace qurable::webhooks {

// Why a request was rejected. Like error_code, the names appear in logs, so they are never renamed, only added.
enum class verify_reason : std::uint8_t {
  ok = 0,
  missing_header,          // a required header is absent or empty
  invalid_timestamp,       // webhook-timestamp is not a plain decimal count of Unix seconds
  timestamp_too_old,       // further in the past than the tolerance: possibly a replay
  timestamp_too_new,       // further in the future than the tolerance
  no_matching_signature,   // no "v1," entry of webhook-signature matches any configured secret
  shared_secret_mismatch,  // the shared-secret header has another value
  invalid_secret,          // configuration: no secret, an empty one, one that is not base64, or an empty header name
  not_configured,          // a default-constructed authenticator, which rejects everything
  crypto_failure,          // libcrypto failed (out of memory, HMAC or SHA-256 unavailable)
};

constexpr std::string_view to_string(verify_reason reason) noexcept {
  switch (reason) {
    case verify_reason::ok: return "ok";
    case verify_reason::missing_header: return "missing_header";
    case verify_reason::invalid_timestamp: return "invalid_timestamp";
    case verify_reason::timestamp_too_old: return "timestamp_too_old";
    case verify_reason::timestamp_too_new: return "timestamp_too_new";
    case verify_reason::no_matching_signature: return "no_matching_signature";
    case verify_reason::shared_secret_mismatch: return "shared_secret_mismatch";
    case verify_reason::invalid_secret: return "invalid_secret";
    case verify_reason::not_configured: return "not_configured";
    case verify_reason::crypto_failure: return "crypto_failure";
  }
  return "unknown";
}

struct verify_result {
  verify_reason reason = verify_reason::ok;
  std::string_view message = "ok";  // a string literal: says which header or check failed, never echoes the request

  constexpr bool ok() const noexcept { return reason == verify_reason::ok; }
  constexpr explicit operator bool() const noexcept { return ok(); }
};

// The header names a Standard Webhooks sender sets (lowercase, as HTTP/2 sends them).
namespace standard_webhooks_header {
inline constexpr std::string_view id = "webhook-id";
inline constexpr std::string_view timestamp = "webhook-timestamp";
inline constexpr std::string_view signature = "webhook-signature";
}  // namespace standard_webhooks_header

using clock_function = std::function<std::chrono::system_clock::time_point()>;

struct standard_webhooks_options {
  // Accepted distance between webhook-timestamp and now, in either direction; exactly the tolerance still passes.
  // A negative value counts as zero.
  std::chrono::seconds tolerance{300};
  // Where "now" comes from; empty means std::chrono::system_clock::now. Tests inject a fixed time here. Called once
  // per verification that passed the configuration check; must not throw, and must be safe to call concurrently
  // when one verifier serves several threads.
  clock_function clock;
};

namespace detail {

inline constexpr std::size_t v1_signature_chars = base64::encoded_size(sha256_size);  // 44

constexpr verify_result failure(verify_reason reason) noexcept {
  switch (reason) {
    case verify_reason::ok: return {};
    case verify_reason::missing_header: return {reason, "missing authentication header"};
    case verify_reason::invalid_timestamp: return {reason, "webhook-timestamp is not Unix time in seconds"};
    case verify_reason::timestamp_too_old: return {reason, "webhook-timestamp is older than the tolerance"};
    case verify_reason::timestamp_too_new: return {reason, "webhook-timestamp is further ahead than the tolerance"};
    case verify_reason::no_matching_signature: return {reason, "no webhook-signature entry matches a secret"};
    case verify_reason::shared_secret_mismatch: return {reason, "shared-secret header does not match"};
    case verify_reason::invalid_secret: return {reason, "the configured secret is invalid"};
    case verify_reason::not_configured: return {reason, "no request authentication configured"};
    case verify_reason::crypto_failure: return {reason, "libcrypto failure"};
  }
  return {reason, "unknown failure"};
}

// "whsec_<base64>" or bare base64; the decoded key must not be empty.
inline bool decode_secret(std::string_view secret, secret_bytes& key) {
  constexpr std::string_view prefix = "whsec_";
  if (secret.substr(0, prefix.size()) == prefix) secret.remove_prefix(prefix.size());
  if (secret.empty()) return false;
  auto& bytes = key.bytes();
  bytes.resize(base64::max_decoded_size(secret.size()));
  std::size_t size = 0;
  if (!base64::decode(secret, bytes.data(), size) || size == 0) return false;
  bytes.resize(size);
  return true;
}

// HMAC-SHA256 over id + "." + timestamp + "." + body, fed piecewise so the body is never copied.
inline bool sign_content(hmac_sha256& mac, const secret_bytes& key, std::string_view id, std::string_view timestamp,
                         std::string_view body, sha256_digest& out) noexcept {
  return mac.init(key.bytes().data(), key.bytes().size()) && mac.update(id) && mac.update(".") &&
         mac.update(timestamp) && mac.update(".") && mac.update(body) && mac.final(out);
}

// ASCII digits only (no sign, no spaces), at most 18 so the value fits in int64 without overflow checks. Longer
// values would be thousands of millions of years away, so rejecting them loses nothing.
constexpr bool parse_unix_seconds(std::string_view text, std::int64_t& out) noexcept {
  if (text.empty() || text.size() > 18) return false;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

// Calls f(signature) for the base64 part of every "v1,<base64>" entry of a space-separated webhook-signature value;
// entries of other versions ("v1a,", "v2,") are skipped. Returns true as soon as f does.
template <class F>
constexpr bool any_v1_signature(std::string_view header, F&& f) {
  constexpr std::string_view v1 = "v1,";
  while (!header.empty()) {
    const std::size_t space = header.find(' ');
    const std::string_view entry = header.substr(0, space);
    header = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
    if (entry.substr(0, v1.size()) == v1 && f(entry.substr(v1.size()))) return true;
  }
  return false;
}

}  // namespace detail

// Checks Standard Webhooks signatures.
class standard_webhooks_verifier {
 public:
  // Each secret is "whsec_<base64>" or bare base64 (standard alphabet, padded). With several secrets (rotation), a
  // signature by any of them passes. A bad configuration does not throw: status() reports it, and every verify()
  // then fails with it.
  explicit standard_webhooks_verifier(std::string_view secret, standard_webhooks_options options = {})
      : options_(std::move(options)) {
    add(secret);
    finish();
  }
  explicit standard_webhooks_verifier(std::initializer_list<std::string_view> secrets,
                                      standard_webhooks_options options = {})
      : options_(std::move(options)) {
    for (const std::string_view secret : secrets) add(secret);
    finish();
  }
  explicit standard_webhooks_verifier(const std::vector<std::string>& secrets, standard_webhooks_options options = {})
      : options_(std::move(options)) {
    for (const std::string& secret : secrets) add(secret);
    finish();
  }

  // ok, invalid_secret or crypto_failure; worth checking at startup.
  verify_reason status() const noexcept { return status_; }

  // The three header values (empty = absent) and the raw body bytes exactly as received.
  verify_result verify(std::string_view id, std::string_view timestamp, std::string_view signature,
                       std::string_view body) const {
    if (status_ != verify_reason::ok) return detail::failure(status_);
    return verify(id, timestamp, signature, body, options_.clock ? options_.clock() : std::chrono::system_clock::now());
  }

  // The same with an explicit "now", ignoring the configured clock.
  verify_result verify(std::string_view id, std::string_view timestamp, std::string_view signature,
                       std::string_view body, std::chrono::system_clock::time_point now) const noexcept {
    using detail::v1_signature_chars;
    if (status_ != verify_reason::ok) return detail::failure(status_);
    if (id.empty()) return {verify_reason::missing_header, "missing webhook-id header"};
    if (timestamp.empty()) return {verify_reason::missing_header, "missing webhook-timestamp header"};
    if (signature.empty()) return {verify_reason::missing_header, "missing webhook-signature header"};

    std::int64_t sent = 0;
    if (!detail::parse_unix_seconds(timestamp, sent)) return detail::failure(verify_reason::invalid_timestamp);
    const std::int64_t current = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t tolerance = options_.tolerance.count() < 0 ? 0 : options_.tolerance.count();
    if (current - sent > tolerance) return detail::failure(verify_reason::timestamp_too_old);
    if (sent - current > tolerance) return detail::failure(verify_reason::timestamp_too_new);

    // Skip the HMAC work (and libcrypto's allocation) when no entry could possibly match.
    if (!detail::any_v1_signature(signature, [](std::string_view s) { return s.size() == v1_signature_chars; })) {
      return detail::failure(verify_reason::no_matching_signature);
    }
    detail::hmac_sha256 mac(algorithm_);
    if (!mac.valid()) return detail::failure(verify_reason::crypto_failure);
    for (const detail::secret_bytes& key : keys_) {
      detail::sha256_digest digest{};
      if (!detail::sign_content(mac, key, id, timestamp, body, digest)) {
        return detail::failure(verify_reason::crypto_failure);
      }
      // Compare in the encoded form: one encode per secret instead of one decode per entry.
      char expected[v1_signature_chars];
      detail::base64::encode(digest.data(), digest.size(), expected);
      const bool match = detail::any_v1_signature(signature, [&expected](std::string_view s) {
        return s.size() == v1_signature_chars && detail::equal_constant_time(s.data(), expected, v1_signature_chars);
      });
      if (match) return {};
    }
    return detail::failure(verify_reason::no_matching_signature);
  }

 private:
  void add(std::string_view secret) {
    detail::secret_bytes key;
    if (!detail::decode_secret(secret, key)) {
      status_ = verify_reason::invalid_secret;
      return;
    }
    keys_.push_back(std::move(key));
  }
  void finish() noexcept {
    if (keys_.empty()) status_ = verify_reason::invalid_secret;
    if (status_ == verify_reason::ok && !algorithm_.valid()) status_ = verify_reason::crypto_failure;
  }

  standard_webhooks_options options_;
  std::vector<detail::secret_bytes> keys_;
  detail::hmac_algorithm algorithm_;
  verify_reason status_ = verify_reason::ok;
};

// The webhook-signature value "v1,<base64>" a Standard Webhooks sender would set; for the test kit and examples that
// sign the deliveries they send. nullopt if the secret is invalid or libcrypto fails.
inline std::optional<std::string> sign_standard_webhooks(std::string_view secret, std::string_view id,
                                                         std::string_view timestamp, std::string_view body) {
  detail::secret_bytes key;
  if (!detail::decode_secret(secret, key)) return std::nullopt;
  const detail::hmac_algorithm algorithm;
  detail::hmac_sha256 mac(algorithm);
  detail::sha256_digest digest{};
  if (!mac.valid() || !detail::sign_content(mac, key, id, timestamp, body, digest)) return std::nullopt;
  std::string out = "v1,";
  out.resize(out.size() + detail::v1_signature_chars);
  detail::base64::encode(digest.data(), digest.size(), out.data() + 3);
  return out;
}

// Checks that one header carries a configured value, e.g. `authorization` = `Bearer <token>`.
class shared_secret_verifier {
 public:
  // header_name is passed to the header lookup as is; expected_value is the whole header value. Only a SHA-256 of
  // it is kept: comparing digests takes the same time whatever the lengths, so neither the value nor its length
  // leaks through timing. An empty name or value makes status() (and every verify()) invalid_secret.
  shared_secret_verifier(std::string header_name, std::string_view expected_value)
      : header_name_(std::move(header_name)) {
    if (header_name_.empty() || expected_value.empty()) {
      status_ = verify_reason::invalid_secret;
    } else if (!detail::sha256(expected_value, expected_)) {
      status_ = verify_reason::crypto_failure;
    }
  }

  const std::string& header_name() const noexcept { return header_name_; }
  verify_reason status() const noexcept { return status_; }

  // The header's value, empty if absent.
  verify_result verify(std::string_view value) const noexcept {
    if (status_ != verify_reason::ok) return detail::failure(status_);
    if (value.empty()) return {verify_reason::missing_header, "missing shared-secret header"};
    detail::sha256_digest presented{};
    if (!detail::sha256(value, presented)) return detail::failure(verify_reason::crypto_failure);
    if (!detail::equal_constant_time(presented.data(), expected_.data(), presented.size())) {
      return detail::failure(verify_reason::shared_secret_mismatch);
    }
    return {};
  }

 private:
  std::string header_name_;
  detail::sha256_digest expected_{};
  verify_reason status_ = verify_reason::ok;
};

enum class authentication_kind : std::uint8_t { not_configured, standard_webhooks, shared_secret, disabled };

constexpr std::string_view to_string(authentication_kind kind) noexcept {
  switch (kind) {
    case authentication_kind::not_configured: return "not_configured";
    case authentication_kind::standard_webhooks: return "standard_webhooks";
    case authentication_kind::shared_secret: return "shared_secret";
    case authentication_kind::disabled: return "disabled";
  }
  return "unknown";
}

// What the receiver calls for every request: authenticator.verify(header_lookup, body).
class authenticator {
 public:
  // Rejects every request with not_configured, so forgetting to configure authentication fails closed.
  authenticator() noexcept = default;

  static authenticator standard_webhooks(standard_webhooks_verifier verifier) {
    return authenticator(impl(std::in_place_type<standard_webhooks_verifier>, std::move(verifier)));
  }
  static authenticator shared_secret(shared_secret_verifier verifier) {
    return authenticator(impl(std::in_place_type<shared_secret_verifier>, std::move(verifier)));
  }
  // Accepts every request unverified. Only for local development, or when something in front of the service has
  // already authenticated the sender; log kind() at startup so it is not left on by accident.
  static authenticator none_i_know_what_i_am_doing() noexcept { return authenticator(impl(disabled{})); }

  authentication_kind kind() const noexcept { return static_cast<authentication_kind>(impl_.index()); }

  // ok when requests can pass; otherwise what every verify() will return (worth checking at startup).
  verify_reason status() const noexcept {
    if (const auto* v = std::get_if<standard_webhooks_verifier>(&impl_)) return v->status();
    if (const auto* v = std::get_if<shared_secret_verifier>(&impl_)) return v->status();
    return kind() == authentication_kind::disabled ? verify_reason::ok : verify_reason::not_configured;
  }

  // `header(name)` is called with a std::string_view and returns the value of the request header `name`, matched
  // case-insensitively, as S, std::optional<S> or a pointer to S (S converts to std::string_view; absent = empty,
  // nullopt or null). Whatever it returns is kept alive until verify() returns. `body` is the raw request body, exactly
  // as received.
  template <class HeaderLookup>
  verify_result verify(HeaderLookup&& header, std::string_view body) const {
    if constexpr (!std::is_same_v<std::decay_t<HeaderLookup>, header_lookup>) {
      // header_lookup calls through const; this forwarder lets a mutable lookup be used as well.
      const auto forward = [&header](std::string_view name) -> decltype(auto) { return header(name); };
      return verify(header_lookup(forward), body);
    } else {
      if (const auto* v = std::get_if<standard_webhooks_verifier>(&impl_)) {
        const std::string_view id = header(standard_webhooks_header::id).value_or(std::string_view{});
        const std::string_view timestamp = header(standard_webhooks_header::timestamp).value_or(std::string_view{});
        const std::string_view signature = header(standard_webhooks_header::signature).value_or(std::string_view{});
        return v->verify(id, timestamp, signature, body);
      }
      if (const auto* v = std::get_if<shared_secret_verifier>(&impl_)) {
        return v->verify(header(std::string_view(v->header_name())).value_or(std::string_view{}));
      }
      if (kind() == authentication_kind::disabled) return {verify_reason::ok, "verification disabled"};
      return detail::failure(verify_reason::not_configured);
    }
  }

 private:
  struct disabled {};
  // The alternatives are in authentication_kind order, so index() is the kind.
  using impl = std::variant<std::monostate, standard_webhooks_verifier, shared_secret_verifier, disabled>;
  explicit authenticator(impl i) : impl_(std::move(i)) {}

  impl impl_;
};

// The receiver's authentication for Standard Webhooks signatures, in one call:
//   const qw::receiver webhooks(handlers, qw::standard_webhooks(secret));
// `secret` is "whsec_<base64>" or bare base64; several (rotation) as an initializer list or a vector. A malformed
// secret does not throw: every request is then refused 401, and the authentication's status() (also the
// receiver's auth().status()) says "invalid_secret": check it at startup. Short for
// authentication::with(authenticator::standard_webhooks(standard_webhooks_verifier(secret, options))).
inline authentication standard_webhooks(std::string_view secret, standard_webhooks_options options = {}) {
  return authentication::with(authenticator::standard_webhooks(standard_webhooks_verifier(secret, std::move(options))));
}
inline authentication standard_webhooks(std::initializer_list<std::string_view> secrets,
                                        standard_webhooks_options options = {}) {
  return authentication::with(
      authenticator::standard_webhooks(standard_webhooks_verifier(secrets, std::move(options))));
}
inline authentication standard_webhooks(const std::vector<std::string>& secrets,
                                        standard_webhooks_options options = {}) {
  return authentication::with(
      authenticator::standard_webhooks(standard_webhooks_verifier(secrets, std::move(options))));
}

}  // namespace qurable::webhooks
