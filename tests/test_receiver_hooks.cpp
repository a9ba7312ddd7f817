// User code around the handler is contained: a dead-letter hook, a verifier or a header lookup that throws never
// escapes handle() (nor kills a worker), never changes the HTTP answer, and is counted in hook_failures().
#include "catch.hpp"

#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/queue/async_receiver.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <atomic>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

const qw::authentication no_auth = qw::authentication::none_i_know_what_i_am_doing();

auto failing_coupons() {
  return qw::overloaded{[](const qw::member_created&) {},
                        [](const qw::coupon_event&) { return qw::handler_result::failure("no coupons today"); }};
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

TEST_CASE("a dead-letter hook that throws changes nothing the platform sees", "[receiver][hooks]") {
  // loyaltyEventKey routes the event, so a wrong type there is a rejection (422) even with drift tolerance on.
  const std::string wrong = qwt::event_builder(qwt::examples::coupon_code_used).set("/event/loyaltyEventKey", 1).body();
  // The same requests through a receiver whose hook works: the reference answers.
  qw::receiver_options quiet;
  std::atomic<int> quiet_calls{0};
  quiet.dead_letter = [&quiet_calls](std::string_view, const qw::outcome&) { ++quiet_calls; };
  const qw::receiver reference(failing_coupons(), no_auth, quiet);

  std::atomic<int> calls{0};
  qw::receiver_options options;
  options.dead_letter_unauthenticated = true;
  std::string said;  // what the note should quote
  SECTION("a std::exception") {
    said = "disk full";
    options.dead_letter = [&calls](std::string_view, const qw::outcome&) {
      ++calls;
      throw std::runtime_error("disk full");
    };
  }
  SECTION("anything else") {
    said = "a non-standard exception";
    options.dead_letter = [&calls](std::string_view, const qw::outcome&) {
      ++calls;
      throw 42;
    };
  }
  const qw::receiver rx(failing_coupons(), no_auth, options);

  const qw::response rejected = rx.handle("POST", qwt::json_headers(), wrong);
  const qw::response failed = rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used);
  const qw::response not_post = rx.handle("GET", qwt::json_headers(), qwt::examples::member_created);
  const qw::response fine = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created);

  const qw::response rejected_ref = reference.handle("POST", qwt::json_headers(), wrong);
  const qw::response failed_ref = reference.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used);
  CHECK(rejected.status() == 422);
  CHECK(rejected.body() == rejected_ref.body());
  CHECK(rejected.outcome().path == "/event/loyaltyEventKey");
  CHECK(failed.status() == 500);
  CHECK(failed.body() == failed_ref.body());
  CHECK(not_post.status() == 405);
  CHECK(fine.status() == 200);
  CHECK(calls == 3);  // 422, 500, 405 (opted in); not the 200
  CHECK(rx.hook_failures() == 3);
  CHECK(reference.hook_failures() == 0);
  CHECK(quiet_calls == 2);
  // The failure is noted for logs after what the outcome said already.
  CHECK(contains(failed.outcome().message, "no coupons today; the dead-letter hook threw: "));
  CHECK(contains(rejected.outcome().message, "the dead-letter hook threw: "));
  CHECK(failed.outcome().message == "no coupons today; the dead-letter hook threw: " + said);
  CHECK(failed_ref.outcome().message == "no coupons today");
  CHECK(fine.outcome().message.empty());
}

TEST_CASE("a verifier that throws fails closed: 401, counted", "[receiver][hooks]") {
  std::atomic<int> dead{0};
  qw::receiver_options options;
  options.dead_letter = [&dead](std::string_view, const qw::outcome&) { ++dead; };
  std::atomic<int> handled{0};
  const qw::receiver rx(qw::overloaded{[&handled](const qw::event_envelope&) { ++handled; }},
                        qw::authentication::with([](const qw::header_lookup& h, std::string_view) -> bool {
                          if (h("x-boom")) throw std::runtime_error("secret store unreachable");
                          return true;
                        }),
                        options);
  const qw::response r = rx.handle("POST", qwt::json_headers().set("x-boom", "1"), qwt::examples::member_created);
  CHECK(r.status() == 401);
  CHECK(r.body() == R"({"outcome":"unauthorized"})");
  CHECK(r.outcome().message == "verifier_threw: secret store unreachable");
  CHECK(rx.hook_failures() == 1);
  CHECK(handled == 0);
  CHECK(dead == 0);  // before authentication passed: not dead-lettered by default
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 200);
  CHECK(handled == 1);
}

TEST_CASE("a header lookup that throws reads as an absent header", "[receiver][hooks]") {
  std::atomic<int> handled{0};
  const qw::receiver rx(qw::overloaded{[&handled](const qw::event_envelope&) { ++handled; }},
                        qw::authentication::with([](const qw::header_lookup& h, std::string_view) {
                          return h("authorization") == std::optional<std::string_view>("Bearer good");
                        }));
  // std::map::at throws std::out_of_range for a header the request does not have.
  std::map<std::string, std::string, std::less<>> headers{{"content-type", "application/json"}};
  const auto at = [&headers](std::string_view name) -> const std::string& { return headers.at(std::string(name)); };

  qw::response r = rx.handle("POST", at, qwt::examples::member_created);
  CHECK(r.status() == 401);
  CHECK(contains(r.outcome().message, "the header lookup threw"));
  CHECK(rx.hook_failures() == 1);

  headers.erase("content-type");
  r = rx.handle("POST", at, qwt::examples::member_created);
  CHECK(r.status() == 415);
  CHECK(r.outcome().message == "no Content-Type header; the header lookup threw (its header was read as absent)");
  CHECK(rx.hook_failures() == 2);

  headers = {{"content-type", "application/json"}, {"authorization", "Bearer good"}};
  r = rx.handle("POST", at, qwt::examples::member_created);
  CHECK(r.status() == 200);
  CHECK(handled == 1);
  CHECK(rx.hook_failures() == 2);
}

TEST_CASE("async_receiver: a dead-letter hook that throws on a worker does not stop it", "[receiver][hooks][queue]") {
  std::atomic<int> calls{0};
  std::atomic<int> handled{0};
  qw::receiver_options options;
  options.dead_letter = [&calls](std::string_view, const qw::outcome& out) {
    ++calls;
    if (out.kind == qw::outcome_kind::handler_failed) throw std::runtime_error("dead-letter store down");
  };
  qw::async_options queue;
  queue.workers = 1;
  qw::async_receiver rx(qw::overloaded{[&handled](const qw::member_created&) { ++handled; },
                                       [](const qw::coupon_event&) -> qw::handler_result {
                                         throw std::runtime_error("no coupons today");
                                       }},
                        no_auth, options, queue);
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used).status() == 202);
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_assigned).status() == 202);
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 202);
  rx.shutdown();  // drains: the worker survived both throwing hooks and handled the third event
  CHECK(handled == 1);
  CHECK(calls == 2);
  CHECK(rx.hook_failures() == 2);
}
