// The success path allocates nothing once warm: a counting global operator new around many deliveries.
// (An executable of its own: replacing operator new affects the whole program.)
#include "catch.hpp"
#include "support/alloc_counter.hpp"

#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/queue/async_receiver.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

using qtest::alloc_counter::allocations;
using qtest::alloc_counter::counting;

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

// What a stack's header map gives: views, no allocation.
std::optional<std::string_view> json_content_type(std::string_view name) {
  if (name == "content-type") return std::string_view("application/json; charset=utf-8");
  return std::nullopt;
}

struct measured {
  long allocations = 0;
  int acknowledged = 0;
};

template <class F>
measured measure(int rounds, F&& deliver) {
  measured m;
  allocations = 0;
  counting = true;
  for (int i = 0; i < rounds; ++i) m.acknowledged += deliver(i);
  counting = false;
  m.allocations = allocations;
  return m;
}

void* volatile escaped = nullptr;  // so that the compiler cannot elide the allocation below

}  // namespace

TEST_CASE("the counter sees allocations", "[alloc]") {
  const measured m = measure(1, [](int) {
    escaped = ::operator new(100);
    ::operator delete(escaped);
    return 1;
  });
  CHECK(m.allocations == 1);
}

TEST_CASE("receiver: a warm success path does not allocate", "[alloc]") {
  int handled = 0;
  const qw::receiver rx(
      qw::overloaded{[&handled](const qw::member_created& e) { handled += e.execution_results.active; },
                     [&handled](const qw::coupon_event&) { ++handled; }},
      qw::authentication::none_i_know_what_i_am_doing());
  // One body per type, as a std::string with room for the padding (read in place) and as a view (copied into the
  // parser's reusable buffer).
  std::string bodies[3];
  const std::string_view examples[] = {qwt::examples::member_created, qwt::examples::coupon_code_assigned,
                                       qwt::examples::coupon_code_used};
  for (int i = 0; i < 3; ++i) {
    bodies[i].reserve(examples[i].size() + simdjson::SIMDJSON_PADDING);
    bodies[i] = std::string(examples[i]);
  }
  const auto deliver = [&](int i) {
    const qw::response r = i % 2 ? rx.handle("POST", json_content_type, bodies[i % 3])
                                 : rx.handle("POST", json_content_type, examples[i % 3]);
    return static_cast<int>(r.status() == 200 && r.outcome().kind == qw::outcome_kind::dispatched);
  };
  measure(30, deliver);  // warm-up: parser buffers, the pool, per-thread copies
  const measured m = measure(3000, deliver);
  CHECK(m.acknowledged == 3000);
  CHECK(m.allocations == 0);
  CHECK(handled == 3030);
}

namespace {
// Duplicates answered from the store by a warm receiver observed by `o` (may be null): the allocations counted.
long duplicates_allocations(qw::observer* o) {
  qw::memory_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  options.observer = o;
  int handled = 0;
  const qw::receiver rx(qw::overloaded{[&handled](const qw::event_envelope&) { ++handled; }},
                        qw::authentication::none_i_know_what_i_am_doing(), options);
  const auto deliver = [&](int i) {
    const qw::response r =
        rx.handle("POST", json_content_type, i % 2 ? qwt::examples::member_created : qwt::examples::coupon_code_used);
    return static_cast<int>(r.outcome().kind == qw::outcome_kind::duplicate);
  };
  measure(10, deliver);  // the first delivery of each is dispatched (the store allocates its new keys)
  const measured m = measure(2000, deliver);
  CHECK(m.acknowledged == 2000);
  CHECK(handled == 2);
  return m.allocations;
}
}  // namespace

TEST_CASE("receiver with an idempotency store: answering duplicates does not allocate", "[alloc]") {
  CHECK(duplicates_allocations(nullptr) == 0);
}

namespace {
// Events accepted (202) and dispatched by a warm async_receiver observed by `o` (may be null): the allocations counted.
long async_allocations(qw::observer* o) {
  std::atomic<int> handled{0};
  qw::async_options queue;
  queue.workers = 1;
  queue.capacity = 1;
  qw::receiver_options options;
  options.observer = o;
  qw::async_receiver rx(qw::overloaded{[&handled](const qw::coupon_event&) { ++handled; }},
                        qw::authentication::none_i_know_what_i_am_doing(), options, queue);
  const auto deliver = [&](int i) {
    const qw::response r = rx.handle("POST", json_content_type,
                                     i % 2 ? qwt::examples::coupon_code_used : qwt::examples::coupon_code_assigned);
    while (rx.pending() != 0) std::this_thread::yield();  // the worker dispatched it and freed the slot
    return static_cast<int>(r.status() == 202);
  };
  measure(10, deliver);
  const measured m = measure(1000, deliver);
  rx.shutdown();
  CHECK(m.acknowledged == 1000);
  CHECK(handled == 1010);
  return m.allocations;
}
}  // namespace

TEST_CASE("async_receiver: accepting and dispatching a warm event does not allocate", "[alloc]") {
  CHECK(async_allocations(nullptr) == 0);
}

namespace {
// Counts what it is told: the observed path's own cost, without an adapter's.
struct counting_observer final : qw::observer {
  std::atomic<long> requests{0};
  std::atomic<long> depths{0};
  void on_request(const qw::request_record& r) override {
    if (r.ran(qw::observe_stage::parse)) ++requests;
  }
  void on_queue_depth(std::size_t, std::size_t) override { ++depths; }
};
}  // namespace

TEST_CASE("receiver and async_receiver with an observer: a warm observed request does not allocate", "[alloc]") {
  counting_observer seen;
  CHECK(duplicates_allocations(&seen) == 0);
  CHECK(seen.requests == 2010);

  CHECK(async_allocations(&seen) == 0);
  CHECK(seen.depths == 2 * 1010);
  CHECK(seen.requests == 2010 + 1010);
}
