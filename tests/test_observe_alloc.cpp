// The observers allocate nothing per request once warm: the JSON log line (a per-thread buffer) and, when the
// component exists, the Prometheus adapter (series cached after their first use). Counted with the replaced global
// operator new of support/alloc_counter.cpp, so this is a program of its own.
#include <qurable/webhooks/observe/json_log.hpp>
#include <qurable/webhooks/observe/observer.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "catch.hpp"
#include "support/alloc_counter.hpp"

#if defined(QURABLE_TEST_PROMETHEUS)
#include <prometheus/registry.h>
#include <qurable/webhooks/observe/prometheus.hpp>
#endif

namespace qw = qurable::webhooks;
using namespace std::chrono_literals;

namespace {

// What a receiver does per request, with the record filled as for a delivery that was dispatched or rejected.
void one_request(const qw::observer_slot& slot, int i) {
  std::optional<qw::request_record> storage;
  qw::request_record* rec = slot.record(storage);
  qw::stage_clock clock(rec);
  clock.lap(qw::observe_stage::parse);
  clock.lap(qw::observe_stage::handler);
  if (rec != nullptr) {
    const bool rejected = i % 3 == 0;
    rec->kind = rejected ? qw::outcome_kind::rejected : qw::outcome_kind::dispatched;
    rec->http_status = rejected ? 422 : 200;
    rec->code = rejected ? qw::error_code::wrong_type : qw::error_code::none;
    rec->event_type = i % 2 == 0 ? "member-created" : "some-future-event";
    rec->loyalty_event_key = "ev_01JSKZG24NMDB0RRQHF247NSCX";
    rec->path = rejected ? "/event/payload/points" : "";
    rec->body_size = 2048;
  }
  slot.request(rec);
}

long allocations_over(const qw::observer_slot& slot, int requests) {
  for (int i = 0; i < 100; ++i) one_request(slot, i);  // warm-up: first series, buffer growth
  const long before = qtest::alloc_counter::allocations.load();
  for (int i = 0; i < requests; ++i) one_request(slot, i);
  return qtest::alloc_counter::allocations.load() - before;
}

}  // namespace

TEST_CASE("observers: no allocation per request once warm", "[observe][alloc]") {
  SECTION("no observer") {
    const qw::observer_slot slot;
    CHECK(allocations_over(slot, 1000) == 0);
  }
  SECTION("json log") {
    std::size_t bytes = 0;
    qw::json_log_observer log([&bytes](std::string_view line) { bytes += line.size(); });
    const qw::observer_slot slot(&log);
    CHECK(allocations_over(slot, 1000) == 0);
    CHECK(bytes > 1000 * 100);  // the lines were really made
  }
#if defined(QURABLE_TEST_PROMETHEUS)
  SECTION("prometheus") {
    prometheus::Registry registry;
    qw::prometheus_observer metrics(registry);
    const qw::observer_slot slot(&metrics);
    CHECK(allocations_over(slot, 1000) == 0);
    metrics.on_duplicate({});
    metrics.on_queue_depth(3, 8);
    CHECK(allocations_over(slot, 10) == 0);
  }
#endif
  SECTION("the counter works") {  // so that the zeros above mean something
    const long before = qtest::alloc_counter::allocations.load();
    static int* volatile kept = nullptr;  // volatile: the compiler may not drop the new/delete pair
    kept = new int(7);
    delete kept;
    CHECK(qtest::alloc_counter::allocations.load() - before == 1);
  }
}
