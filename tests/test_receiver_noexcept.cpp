// The receiver, the async receiver and the test kit built with -fno-exceptions and SIMDJSON_EXCEPTIONS=0.
// Catch2 needs exceptions, so this is a plain program: it prints each failed check and exits non-zero.
#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/queue/async_receiver.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <atomic>
#include <cstdio>
#include <string>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  qw::memory_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  int dead = 0;
  options.dead_letter = [&dead](std::string_view, const qw::outcome&) { ++dead; };
  std::atomic<int> calls{0};
  const auto visitor = qw::overloaded{[&calls](const qw::member_created&) { ++calls; },
                                      [&calls](const qw::coupon_event&) {
                                        return ++calls == 2 ? qw::handler_result::failure("first coupon fails")
                                                            : qw::handler_result::success();
                                      }};

  {
    const qw::receiver rx(visitor, qw::authentication::none_i_know_what_i_am_doing(), options);
    check(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 200, "member 200");
    check(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).outcome().kind ==
              qw::outcome_kind::duplicate,
          "member duplicate");
    check(rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used).status() == 500, "coupon 500");
    check(rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used).status() == 200, "coupon retry 200");
    check(rx.handle("GET", qwt::json_headers(), qwt::examples::coupon_code_used).status() == 405, "405");
    check(rx.handle("POST", qwt::headers(), qwt::examples::coupon_code_used).status() == 415, "415");
    const std::string bad =
        qwt::event_builder(qwt::examples::coupon_code_assigned).set("/event/loyaltyEventKey", 1).body();
    const qw::response r = rx.handle("POST", qwt::json_headers(), bad);
    check(r.status() == 422, "422");
    check(r.outcome().path == "/event/loyaltyEventKey", "422 path");
    check(rx.check_content_length(std::size_t{2} << 20)->status() == 413, "413");
  }
  check(calls == 3, "handler calls (sync)");
  check(dead == 2, "dead letters (sync): the 500 and the 422, not the 405, 415, 413 refused before authentication");

  {
    qw::receiver_options async_options;
    qw::async_receiver rx(visitor, qw::authentication::none_i_know_what_i_am_doing(), async_options);
    const std::string body = qwt::event_builder(qwt::examples::member_created).loyalty_event_key("ev_noexcept").body();
    check(rx.handle("POST", qwt::json_headers(), body).status() == 202, "async 202");
    rx.shutdown();
  }
  check(calls == 4, "handler calls (async)");

  if (failures == 0) std::printf("all checks passed\n");
  return failures == 0 ? 0 : 1;
}
