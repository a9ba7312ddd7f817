// The receiver with the signature component's real authenticator plugged in: Standard Webhooks HMAC verification
// and the shared-secret header. Built only when OpenSSL was found.
#include "catch.hpp"

#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/testing/signing.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

struct recorded {
  std::string body;
  qw::outcome_kind kind;
  std::string message;
};

struct fixture {
  std::atomic<int> handled{0};
  std::mutex mutex;
  std::vector<recorded> dead;

  qw::receiver_options options() {
    qw::receiver_options o;
    o.dead_letter_unauthenticated = true;  // the 401s below are checked through the hook
    o.dead_letter = [this](std::string_view body, const qw::outcome& out) {
      std::lock_guard<std::mutex> lock(mutex);
      dead.push_back(recorded{std::string(body), out.kind, out.message});
    };
    return o;
  }
  auto visitor() {
    return qw::overloaded{[this](const qw::member_created&) { ++handled; },
                          [this](const qw::coupon_event&) { ++handled; }};
  }
};

}  // namespace

TEST_CASE("Standard Webhooks: signed deliveries pass, anything else is 401", "[receiver][signature]") {
  fixture f;
  const qw::receiver rx(
      f.visitor(),
      qw::authentication::with(qw::authenticator::standard_webhooks(qw::standard_webhooks_verifier(qwt::test_secret))),
      f.options());
  const std::string body = qwt::event_builder(qwt::examples::coupon_code_assigned).body();

  qw::response r = rx.handle("POST", qwt::signed_headers(body), body);
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::dispatched);
  CHECK(f.handled == 1);

  SECTION("no signature headers") {
    r = rx.handle("POST", qwt::json_headers(), body);
    CHECK(r.status() == 401);
    CHECK(r.body() == R"({"outcome":"unauthorized"})");
    REQUIRE(f.dead.size() == 1);
    CHECK(f.dead[0].kind == qw::outcome_kind::unauthorized);
    CHECK(f.dead[0].message.rfind("missing_header: ", 0) == 0);
    CHECK(f.dead[0].body == body);
  }
  SECTION("signed with another secret") {
    r = rx.handle("POST", qwt::signed_headers(body, "whsec_b3RoZXItc2VjcmV0"), body);
    CHECK(r.status() == 401);
    REQUIRE(f.dead.size() == 1);
    CHECK(f.dead[0].message.rfind("no_matching_signature: ", 0) == 0);
  }
  SECTION("the body changed after signing") {
    const std::string tampered = qwt::event_builder(body).set("/event/executionResults/amountAssigned", 100).body();
    r = rx.handle("POST", qwt::signed_headers(body), tampered);
    CHECK(r.status() == 401);
    CHECK(r.body() == R"({"outcome":"unauthorized"})");
  }
  SECTION("an old timestamp (a replay)") {
    r = rx.handle("POST",
                  qwt::signed_headers(body, qwt::test_secret, "msg_old",
                                      std::chrono::system_clock::now() - std::chrono::hours(1)),
                  body);
    CHECK(r.status() == 401);
    REQUIRE(f.dead.size() == 1);
    CHECK(f.dead[0].message.rfind("timestamp_too_old: ", 0) == 0);
  }
  SECTION("authentication runs before parsing: a signed bad body is 400, an unsigned one 401") {
    const std::string garbage = "{\"event\": [";
    r = rx.handle("POST", qwt::signed_headers(garbage), garbage);
    CHECK(r.status() == 400);
    r = rx.handle("POST", qwt::json_headers(), garbage);
    CHECK(r.status() == 401);
  }
  SECTION("header names are matched case-insensitively by the lookup") {
    const qwt::headers signed_h = qwt::signed_headers(body);
    qwt::headers upper;
    upper.set("Content-Type", "application/json")
        .set("Webhook-Id", *signed_h("webhook-id"))
        .set("WEBHOOK-TIMESTAMP", *signed_h("webhook-timestamp"))
        .set("Webhook-Signature", *signed_h("webhook-signature"));
    CHECK(rx.handle("POST", upper, body).status() == 200);
  }
  CHECK(f.handled <= 2);
}

TEST_CASE("an authenticator nobody configured rejects everything", "[receiver][signature]") {
  fixture f;
  const qw::receiver rx(f.visitor(), qw::authentication::with(qw::authenticator()), f.options());
  const std::string body(qwt::examples::member_created);
  CHECK(rx.handle("POST", qwt::signed_headers(body), body).status() == 401);
  REQUIRE(f.dead.size() == 1);
  CHECK(f.dead[0].message.rfind("not_configured: ", 0) == 0);
  CHECK(f.handled == 0);
}

TEST_CASE("shared-secret header", "[receiver][signature]") {
  fixture f;
  const qw::receiver rx(f.visitor(),
                        qw::authentication::with(qw::authenticator::shared_secret(
                            qw::shared_secret_verifier("authorization", "Bearer s3cret-token"))),
                        f.options());
  const std::string body(qwt::examples::member_created);
  CHECK(rx.handle("POST", qwt::json_headers().set("Authorization", "Bearer s3cret-token"), body).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers().set("Authorization", "Bearer guess"), body).status() == 401);
  CHECK(rx.handle("POST", qwt::json_headers(), body).status() == 401);
  CHECK(f.handled == 1);
  REQUIRE(f.dead.size() == 2);
  CHECK(f.dead[0].message.rfind("shared_secret_mismatch: ", 0) == 0);
  CHECK(f.dead[1].message.rfind("missing_header: ", 0) == 0);
}

TEST_CASE("an explicitly disabled authenticator lets requests through", "[receiver][signature]") {
  fixture f;
  const qw::receiver rx(f.visitor(), qw::authentication::with(qw::authenticator::none_i_know_what_i_am_doing()),
                        f.options());
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 200);
  CHECK(f.handled == 1);
}

TEST_CASE("the one-line secure receiver: qw::standard_webhooks(secret)", "[receiver][signature]") {
  std::atomic<int> handled{0};
  const auto handlers = qw::overloaded{[&handled](const qw::event_envelope&) { ++handled; }};
  const qw::receiver webhooks(handlers, qw::standard_webhooks(qwt::test_secret));
  CHECK(webhooks.auth().verifies());
  CHECK(webhooks.auth().status() == "ok");

  const std::string body(qwt::examples::coupon_code_used);
  CHECK(webhooks.handle("POST", qwt::signed_headers(body), body).status() == 200);
  CHECK(webhooks.handle("POST", qwt::json_headers(), body).status() == 401);
  CHECK(webhooks.handle("POST", qwt::signed_headers(body, "whsec_b3RoZXItc2VjcmV0"), body).status() == 401);
  CHECK(handled == 1);

  // Rotation: either secret passes; options pass through (a zero tolerance refuses a timestamp 10 s old).
  const qw::receiver rotating(handlers, qw::standard_webhooks({"whsec_b3RoZXItc2VjcmV0", qwt::test_secret}));
  CHECK(rotating.handle("POST", qwt::signed_headers(body), body).status() == 200);
  const std::vector<std::string> secrets{std::string(qwt::test_secret)};
  CHECK(
      qw::receiver(handlers, qw::standard_webhooks(secrets)).handle("POST", qwt::signed_headers(body), body).status() ==
      200);
  qw::standard_webhooks_options strict;
  strict.tolerance = std::chrono::seconds(0);
  strict.clock = [] { return std::chrono::system_clock::now() + std::chrono::seconds(10); };
  const qw::receiver no_slack(handlers, qw::standard_webhooks(qwt::test_secret, strict));
  CHECK(no_slack.handle("POST", qwt::signed_headers(body), body).status() == 401);
  CHECK(handled == 3);

  // A malformed secret does not throw: it says so at startup, and every request is a 401.
  const qw::receiver broken(handlers, qw::standard_webhooks("not base64!"));
  CHECK(broken.auth().status() == "invalid_secret");
  const qw::response r = broken.handle("POST", qwt::signed_headers(body), body);
  CHECK(r.status() == 401);
  CHECK(r.outcome().message.rfind("invalid_secret: ", 0) == 0);
  CHECK(qw::authentication::none_i_know_what_i_am_doing().status() == "disabled");
  CHECK(qw::authentication::with([](const qw::header_lookup&, std::string_view) { return true; }).status() == "ok");
  CHECK(qw::authentication::with(qw::authenticator()).status() == "not_configured");
  CHECK(handled == 3);
}
