// What a receiver hands back owns its data: responses kept after more requests on the same thread, copied, moved,
// or kept after the receiver is gone still show their own event's ids and headers (ASan checks the reads).
#include "catch.hpp"

#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

const auto ignore_all = qw::overloaded{[](const qw::event_envelope&) {}};

std::optional<std::string_view> header_of(const qw::response& r, std::string_view name) {
  for (const qw::http_header& h : r.headers()) {
    if (h.name == name) return h.value;
  }
  return std::nullopt;
}

// What a log line made from a response says.
std::string log_line(const qw::response& r) {
  std::string line(qw::to_string(r.outcome().kind));
  line.append(" ").append(r.outcome().event_type).append(" ").append(r.outcome().loyalty_event_key);
  return line;
}

}  // namespace

TEST_CASE("a response logged after a second request on the same thread still shows its own event",
          "[receiver][owned]") {
  const qw::receiver rx(ignore_all, qw::authentication::none_i_know_what_i_am_doing());
  const qw::response first = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created);
  const qw::response second = rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_assigned);
  // An event loop that logs after it has served the next request (previously: heap-use-after-free).
  CHECK(log_line(first) == "dispatched member-created ev_01JSKZG24NMDB0RRQHF247NSCX");
  CHECK(log_line(second) == "dispatched coupon-code-assigned ev_01JSG9YM0YZHBS9X3G0VMVMAW6");

  // Another receiver on the same thread does not touch them either.
  const qw::receiver other(ignore_all, qw::authentication::none_i_know_what_i_am_doing());
  const qw::response third = other.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used);
  CHECK(log_line(first) == "dispatched member-created ev_01JSKZG24NMDB0RRQHF247NSCX");
  CHECK(log_line(third) == "dispatched coupon-code-used ev_c11viQYM0YZHBS9X3G0VMVyfMQ");
}

TEST_CASE("copies and moves of a response carry their own ids and headers", "[receiver][owned]") {
  qw::receiver_options options;
  options.retry_after = std::chrono::seconds(12);
  options.parser.max_body_size = 64 * 1024;
  auto rx = std::make_unique<qw::receiver<decltype(ignore_all)>>(
      ignore_all, qw::authentication::with([](const qw::header_lookup& h, std::string_view) { return !h("x-deny"); }),
      options);

  // Ids longer than the inline storage are kept whole.
  const std::string long_type = "x-" + std::string(200, 't');
  const std::string long_key = "ev_" + std::string(300, 'k');
  std::vector<qw::response> kept;
  kept.push_back(rx->handle("POST", qwt::json_headers(),
                            qwt::event_builder().event_type(long_type).loyalty_event_key(long_key).body()));
  kept.push_back(rx->handle("POST", qwt::json_headers(), qwt::examples::member_created));
  kept.push_back(*rx->check_content_length(1 << 20));
  kept.push_back(rx->handle("POST", qwt::json_headers().set("x-deny", "1"), qwt::examples::member_created));
  for (int i = 0; i < 40; ++i) {  // the vector grows: every response is moved several times
    kept.push_back(rx->handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used));
  }
  rx.reset();  // the receiver is gone: nothing in a response may point into it

  CHECK(kept[0].outcome().event_type == long_type);
  CHECK(kept[0].outcome().loyalty_event_key == long_key);
  CHECK(log_line(kept[1]) == "dispatched member-created ev_01JSKZG24NMDB0RRQHF247NSCX");
  CHECK(kept[2].status() == 413);
  CHECK(kept[2].outcome().event_type.empty());
  CHECK(kept[3].status() == 401);
  CHECK(kept[43].outcome().loyalty_event_key == "ev_c11viQYM0YZHBS9X3G0VMVyfMQ");

  qw::response copy = kept[0];
  const qw::response moved = std::move(kept[1]);
  kept[0] = kept[43];  // copy-assigned over a response with heap-held ids
  CHECK(copy.outcome().event_type == long_type);
  CHECK(copy.outcome().loyalty_event_key.data() != kept[43].outcome().loyalty_event_key.data());
  CHECK(log_line(moved) == "dispatched member-created ev_01JSKZG24NMDB0RRQHF247NSCX");
  CHECK(log_line(kept[0]) == "dispatched coupon-code-used ev_c11viQYM0YZHBS9X3G0VMVyfMQ");
  copy = std::move(kept[0]);
  CHECK(log_line(copy) == "dispatched coupon-code-used ev_c11viQYM0YZHBS9X3G0VMVyfMQ");
}

TEST_CASE("a Retry-After header survives the receiver and moves with its response", "[receiver][owned]") {
  qw::memory_store_options store_options;
  store_options.max_entries = 1;
  qw::memory_store full(store_options);  // full of someone else's reservation: every reserve is store_error
  REQUIRE(full.reserve("someone_else").status == qw::reserve_status::acquired);
  qw::receiver_options options;
  options.idempotency = &full;
  options.retry_after = std::chrono::seconds(1234567);
  std::optional<qw::response> kept;
  {
    const qw::receiver rx(ignore_all, qw::authentication::none_i_know_what_i_am_doing(), options);
    qw::response r = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created);
    REQUIRE(r.status() == 503);
    kept.emplace(std::move(r));
  }
  CHECK(header_of(*kept, "Retry-After") == std::optional<std::string_view>("1234567"));
  const qw::response copy = *kept;
  kept.reset();
  CHECK(header_of(copy, "Retry-After") == std::optional<std::string_view>("1234567"));
  CHECK(log_line(copy) == "store_unavailable member-created ev_01JSKZG24NMDB0RRQHF247NSCX");
}
