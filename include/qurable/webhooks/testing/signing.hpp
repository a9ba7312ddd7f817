#pragma once
// The test kit's Standard Webhooks signer: the headers the platform would send with a signed delivery. Needs the
// signature component (link qurable::webhooks_signature, which brings OpenSSL); the rest of the kit is
// event_builder.hpp.
//
//   const std::string body = qwt::event_builder(qwt::examples::member_created).body();
//   auto r = my_receiver.handle("POST", qwt::signed_headers(body, secret), body);   // passes authentication
//   auto bad = my_receiver.handle("POST", qwt::signed_headers(body, "whsec_" "b3RoZXI="), body);  // 401

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "../auth/standard_webhooks.hpp"
#include "event_builder.hpp"

namespace qurable::webhooks::testing {

// A valid secret for tests (32 bytes). Never use it outside tests.
inline constexpr std::string_view test_secret = "whsec_cXVyYWJsZS13ZWJob29rcyB0ZXN0IHNlY3JldCAzMmI=";

// Content-Type: application/json plus webhook-id, webhook-timestamp (Unix seconds of `at`) and webhook-signature
// ("v1,<base64 HMAC-SHA256>") for `body` signed with `secret` ("whsec_<base64>" or bare base64). With an invalid
// secret the signature header is left out, which a verifier reports as a missing header.
inline headers signed_headers(std::string_view body, std::string_view secret = test_secret,
                              std::string_view id = "msg_test",
                              std::chrono::system_clock::time_point at = std::chrono::system_clock::now()) {
  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
  headers h = json_headers();
  h.set(standard_webhooks_header::id, id);
  h.set(standard_webhooks_header::timestamp, timestamp);
  if (const std::optional<std::string> signature = sign_standard_webhooks(secret, id, timestamp, body)) {
    h.set(standard_webhooks_header::signature, *signature);
  }
  return h;
}

}  // namespace qurable::webhooks::testing
