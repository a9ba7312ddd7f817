#pragma once
// How a receiver decides that a request comes from the platform. Pluggable, so that this header needs no OpenSSL:
// the signature component (auth/standard_webhooks.hpp) plugs in as is.

#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../http/headers.hpp"

namespace qurable::webhooks {

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
    // The shape of standard_webhooks.hpp's verify_result: ok(), an enum `reason` with a to_string() found by ADL,
    // `message`.
    return {static_cast<bool>(result.ok()), to_string(result.reason), std::string_view(result.message)};
  }
}

// A verifier whose status() has a to_string() (found by ADL) returning a std::string_view to a literal, as the
// signature component's verifiers and authenticator have.
template <class Verifier, class = void>
struct has_status_member : std::false_type {};
template <class Verifier>
struct has_status_member<Verifier, std::void_t<decltype(to_string(std::declval<const Verifier&>().status()))>>
    : std::is_same<decltype(to_string(std::declval<const Verifier&>().status())), std::string_view> {};

template <class Verifier, class = void>
struct has_verify_member : std::false_type {};
template <class Verifier>
struct has_verify_member<Verifier, std::void_t<decltype(std::declval<const Verifier&>().verify(
                                       std::declval<const header_lookup&>(), std::declval<std::string_view>()))>>
    : std::true_type {};

}  // namespace detail

// How requests are authenticated. There is no default on purpose: a receiver is built with one of
//   qurable::webhooks::standard_webhooks(secret)  // auth/standard_webhooks.hpp (OpenSSL): the usual choice
//   authentication::with(qurable::webhooks::authenticator::...(...))  // the same, spelled out; or shared_secret
//   authentication::with(my_check)        // anything with verify(headers, body), or callable as (headers, body)
//   authentication::none_i_know_what_i_am_doing()  // accepts every request: local tests, or an authenticating proxy
// Verifiers are called concurrently from request threads, through a const reference, and must not throw.
class authentication {
 public:
  // `verifier.verify(const header_lookup&, std::string_view body) const`, or `verifier(headers, body)`, returning
  // bool, auth_result, or a result shaped like standard_webhooks.hpp's verify_result (ok(), reason, message).
  template <class Verifier>
  static authentication with(Verifier verifier) {
    using V = std::decay_t<Verifier>;
    authentication a;
    const auto shared = std::make_shared<const V>(std::move(verifier));
    if constexpr (detail::has_status_member<V>::value) a.status_ = to_string(shared->status());
    a.verify_ = [v = shared](const header_lookup& headers, std::string_view body) {
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
  static authentication none_i_know_what_i_am_doing() {
    authentication a;
    a.status_ = "disabled";
    return a;
  }

  // True when requests are checked (with()), false for none_i_know_what_i_am_doing().
  bool verifies() const noexcept { return static_cast<bool>(verify_); }

  // Worth logging (and checking) at startup. "ok" when requests can pass, "disabled" for
  // none_i_know_what_i_am_doing(), else the reason every request will fail with, for a verifier that reports its
  // configuration through status() (the signature component's do): "invalid_secret" for a malformed secret,
  // "not_configured", "crypto_failure". A verifier without status() is "ok".
  std::string_view status() const noexcept { return status_; }

  auth_result verify(const header_lookup& headers, std::string_view body) const {
    if (!verify_) return {true, "disabled", "authentication disabled"};
    return verify_(headers, body);
  }

 private:
  authentication() = default;
  std::function<auth_result(const header_lookup&, std::string_view)> verify_;
  std::string_view status_ = "ok";  // a string literal
};

}  // namespace qurable::webhooks
