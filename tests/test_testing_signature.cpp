// The test kit's Standard Webhooks signer, checked against the signature component's real verifier.
#include "catch.hpp"

#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/testing/signing.hpp>

#include <chrono>
#include <string>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

TEST_CASE("signed_headers produce what a Standard Webhooks verifier accepts", "[testing][signature]") {
  const qw::standard_webhooks_verifier verifier(qwt::test_secret);
  REQUIRE(verifier.status() == qw::verify_reason::ok);
  const std::string body = qwt::event_builder(qwt::examples::coupon_code_used).body();
  const qwt::headers h = qwt::signed_headers(body);

  CHECK(h("content-type") == std::optional<std::string_view>("application/json"));
  CHECK(h("webhook-id") == std::optional<std::string_view>("msg_test"));
  REQUIRE(h("webhook-timestamp"));
  REQUIRE(h("webhook-signature"));
  CHECK(h("webhook-signature")->substr(0, 3) == "v1,");
  CHECK(verifier.verify(*h("webhook-id"), *h("webhook-timestamp"), *h("webhook-signature"), body).ok());

  // Another body, another secret, or another id: no match.
  CHECK(verifier.verify(*h("webhook-id"), *h("webhook-timestamp"), *h("webhook-signature"), body + " ").reason ==
        qw::verify_reason::no_matching_signature);
  const qwt::headers other = qwt::signed_headers(body, "whsec_b3RoZXItc2VjcmV0");
  CHECK(verifier.verify(*other("webhook-id"), *other("webhook-timestamp"), *other("webhook-signature"), body).reason ==
        qw::verify_reason::no_matching_signature);
  const qwt::headers renamed = qwt::signed_headers(body, qwt::test_secret, "msg_other");
  CHECK(verifier.verify("msg_test", *renamed("webhook-timestamp"), *renamed("webhook-signature"), body).reason ==
        qw::verify_reason::no_matching_signature);
}

TEST_CASE("signed_headers at a given time, and with an invalid secret", "[testing][signature]") {
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const qwt::headers h = qwt::signed_headers("{}", qwt::test_secret, "msg_1", at);
  CHECK(h("webhook-timestamp") == std::optional<std::string_view>("1700000000"));
  const qw::standard_webhooks_verifier verifier(qwt::test_secret);
  CHECK(verifier.verify("msg_1", "1700000000", *h("webhook-signature"), "{}", at).ok());
  CHECK(verifier.verify("msg_1", "1700000000", *h("webhook-signature"), "{}", at + std::chrono::hours(1)).reason ==
        qw::verify_reason::timestamp_too_old);

  const qwt::headers invalid = qwt::signed_headers("{}", "whsec_not base64!");
  CHECK_FALSE(invalid("webhook-signature"));
  CHECK(invalid("webhook-id"));
}
