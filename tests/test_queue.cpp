// async_receiver: validate and answer 202 on the request thread, dispatch on workers from a bounded queue.
#include "catch.hpp"
#include "support/threads.hpp"

#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/queue/async_receiver.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

using qtest::dead_letters;
using qtest::gate;

template <class Receiver>
bool wait_idle(const Receiver& rx) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (rx.pending() != 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::optional<std::string_view> find_header(const qw::response& r, std::string_view name) {
  for (const qw::http_header& h : r.headers()) {
    if (h.name == name) return h.value;
  }
  return std::nullopt;
}

const qw::authentication no_auth = qw::authentication::none_i_know_what_i_am_doing();

}  // namespace

TEST_CASE("valid events are answered 202 and dispatched by a worker", "[queue]") {
  std::atomic<int> member{0}, coupons{0};
  std::mutex mutex;
  std::vector<std::string> codes;
  std::vector<std::thread::id> handler_threads;
  {
    qw::async_receiver rx(qw::overloaded{[&](const qw::member_created& e) {
                                           ++member;
                                           std::lock_guard<std::mutex> lock(mutex);
                                           handler_threads.push_back(std::this_thread::get_id());
                                           codes.emplace_back(e.execution_results.profile.name.value_or(""));
                                         },
                                         [&](const qw::coupon_event& e) {
                                           ++coupons;
                                           std::lock_guard<std::mutex> lock(mutex);
                                           handler_threads.push_back(std::this_thread::get_id());
                                           codes.emplace_back(e.execution_results.coupon.code);
                                         }},
                          no_auth);
    for (const std::string_view body :
         {qwt::examples::member_created, qwt::examples::coupon_code_assigned, qwt::examples::coupon_code_used}) {
      const qw::response r = rx.handle("POST", qwt::json_headers(), body);
      CHECK(r.status() == 202);
      CHECK(r.acknowledged());
      CHECK(r.outcome().kind == qw::outcome_kind::accepted);
      CHECK(r.body() == R"({"outcome":"accepted"})");
      CHECK_FALSE(r.outcome().event_type.empty());
      CHECK_FALSE(r.outcome().loyalty_event_key.empty());
    }
    rx.shutdown();
    CHECK(rx.pending() == 0);
  }
  CHECK(member == 1);
  CHECK(coupons == 2);
  std::sort(codes.begin(), codes.end());
  CHECK(codes == std::vector<std::string>{"John", "PyMsNLgHR3yfMQAAc11viQ", "PyMsNLgHR3yfMQAAc11viQ"});
  for (const auto& id : handler_threads) CHECK(id != std::this_thread::get_id());
}

TEST_CASE("the checks and the full validation run on the request thread", "[queue]") {
  std::atomic<int> handled{0};
  dead_letters dl;
  qw::receiver_options options;
  options.dead_letter = dl.hook();
  options.dead_letter_unauthenticated = true;  // counts the 405, 415, 401 and 413s below too
  options.parser.max_body_size = 8192;
  qw::async_receiver rx(
      qw::overloaded{[&handled](const qw::event_envelope&) { ++handled; }},
      qw::authentication::with([](const qw::header_lookup& h, std::string_view) { return h("x-ok").has_value(); }),
      options);
  const auto ok = qwt::json_headers().set("x-ok", "1");
  CHECK(rx.handle("GET", ok, qwt::examples::member_created).status() == 405);
  CHECK(rx.handle("POST", qwt::headers().set("x-ok", "1"), qwt::examples::member_created).status() == 415);
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 401);
  CHECK(rx.check_content_length(8193)->status() == 413);
  const qw::response chunked = rx.body_too_large();
  CHECK(chunked.status() == 413);
  CHECK(chunked.outcome().code == qw::error_code::body_too_large);
  CHECK(rx.handle("POST", ok, std::string(9000, ' ')).status() == 413);
  const qw::response bad_json = rx.handle("POST", ok, std::string_view("{\"event\":"));
  CHECK(bad_json.status() == 400);
  const qw::response wrong_type = rx.handle(
      "POST", ok, qwt::event_builder(qwt::examples::coupon_code_used).set("/event/loyaltyEventKey", 1).body());
  CHECK(wrong_type.status() == 422);
  CHECK(wrong_type.outcome().path == "/event/loyaltyEventKey");
  CHECK(wrong_type.body().find(R"("path":"/event/loyaltyEventKey")") != std::string_view::npos);
  CHECK(rx.pending() == 0);  // nothing was queued
  rx.shutdown();
  CHECK(handled == 0);
  CHECK(dl.items().size() == 8);
}

TEST_CASE("a full queue answers 503 with Retry-After", "[queue]") {
  gate entered, release;
  std::atomic<int> handled{0};
  qw::receiver_options options;
  options.retry_after = std::chrono::seconds(3);
  dead_letters dl;
  options.dead_letter = dl.hook();
  qw::async_options queue;
  queue.workers = 1;
  queue.capacity = 2;
  qw::async_receiver rx(qw::overloaded{[&](const qw::event_envelope&) {
                          if (++handled == 1) {
                            entered.open();
                            release.wait();
                          }
                        }},
                        no_auth, options, queue);
  const auto body = [](int i) {
    return qwt::event_builder().event_type("x").loyalty_event_key("ev_" + std::to_string(i)).body();
  };
  CHECK(rx.handle("POST", qwt::json_headers(), body(1)).status() == 202);
  entered.wait();  // the only worker is busy
  CHECK(rx.handle("POST", qwt::json_headers(), body(2)).status() == 202);
  CHECK(rx.pending() == 2);

  const qw::response full = rx.handle("POST", qwt::json_headers(), body(3));
  CHECK(full.status() == 503);
  CHECK(full.outcome().kind == qw::outcome_kind::overloaded);
  CHECK(full.outcome().message == "the hand-off queue is full");
  CHECK(find_header(full, "Retry-After") == std::optional<std::string_view>("3"));
  CHECK_FALSE(full.acknowledged());

  release.open();
  REQUIRE(wait_idle(rx));
  CHECK(rx.handle("POST", qwt::json_headers(), body(3)).status() == 202);  // the platform's retry gets in
  rx.shutdown();
  CHECK(handled == 3);

  const qw::response after = rx.handle("POST", qwt::json_headers(), body(4));
  CHECK(after.status() == 503);
  CHECK(after.outcome().message == "shutting down");
  CHECK(dl.items().empty());  // flow control is not a dead letter
}

TEST_CASE("shutdown drains: every accepted event is handled", "[queue]") {
  std::atomic<int> handled{0};
  int accepted = 0;
  std::vector<std::string> bodies;
  for (int i = 0; i < 150; ++i) {
    bodies.push_back(qwt::event_builder().event_type("e").loyalty_event_key("ev_" + std::to_string(i)).body());
  }
  {
    qw::async_options queue;
    queue.workers = 3;
    queue.capacity = 200;
    qw::async_receiver rx(qw::overloaded{[&handled](const qw::event_envelope&) {
                            std::this_thread::sleep_for(std::chrono::milliseconds(2));
                            ++handled;
                          }},
                          no_auth, {}, queue);
    for (const std::string& body : bodies) accepted += rx.handle("POST", qwt::json_headers(), body).status() == 202;
    CHECK(accepted == 150);
    CHECK(handled < 150);  // the handlers are slower than the hand-off
  }                        // the destructor shuts down
  CHECK(handled == accepted);
}

TEST_CASE("a handler failure on a worker goes to the dead-letter hook and releases the reservation", "[queue]") {
  qw::memory_store store;
  dead_letters dl;
  qw::receiver_options options;
  options.idempotency = &store;
  options.dead_letter = dl.hook();
  std::atomic<int> calls{0};
  qw::async_receiver rx(qw::overloaded{[&calls](const qw::coupon_code_used&) {
                          return ++calls == 1 ? qw::handler_result::failure("ledger unavailable")
                                              : qw::handler_result::success();
                        }},
                        no_auth, options);
  const std::string body(qwt::examples::coupon_code_used);

  CHECK(rx.handle("POST", qwt::json_headers(), body).status() == 202);  // the answer cannot change any more
  REQUIRE(wait_idle(rx));
  auto items = dl.items();
  REQUIRE(items.size() == 1);
  CHECK(items[0].kind == qw::outcome_kind::handler_failed);
  CHECK(items[0].message == "ledger unavailable");
  CHECK(items[0].body == body);

  // Released: a redelivery (or a replay from the dead letters) runs again, then it is committed.
  CHECK(rx.handle("POST", qwt::json_headers(), body).status() == 202);
  REQUIRE(wait_idle(rx));
  const qw::response dup = rx.handle("POST", qwt::json_headers(), body);
  CHECK(dup.status() == 200);
  CHECK(dup.outcome().kind == qw::outcome_kind::duplicate);
  rx.shutdown();
  CHECK(calls == 2);
  CHECK(dl.items().size() == 1);
}

TEST_CASE("a copy of a queued event still being handled is in flight: 503", "[queue]") {
  qw::memory_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  gate entered, release;
  std::atomic<int> calls{0};
  qw::async_receiver rx(qw::overloaded{[&](const qw::member_created&) {
                          ++calls;
                          entered.open();
                          release.wait();
                        }},
                        no_auth, options);
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 202);
  entered.wait();
  const qw::response copy = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created);
  CHECK(copy.status() == 503);
  CHECK(copy.outcome().kind == qw::outcome_kind::in_flight);
  CHECK(find_header(copy, "Retry-After"));
  release.open();
  REQUIRE(wait_idle(rx));
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).outcome().kind ==
        qw::outcome_kind::duplicate);
  rx.shutdown();
  CHECK(calls == 1);
}

TEST_CASE("the worker sees views into the slot: body copy and parser stay put", "[queue]") {
  // Many different events with small handler delays, several workers: each handler must see its own event's data,
  // which it can only if the body copy and the parser of each slot are untouched until it is done.
  constexpr int events = 300;
  std::atomic<int> wrong{0}, handled{0};
  {
    qw::async_options queue;
    queue.workers = 4;
    queue.capacity = 16;
    qw::async_receiver rx(qw::overloaded{[&](const qw::coupon_event& e) {
                            std::this_thread::yield();
                            const std::string key(e.envelope.loyalty_event_key);
                            const std::string expected_code = "CODE-" + key.substr(3);
                            if (e.execution_results.coupon.code != expected_code) ++wrong;
                            if (e.payload.usage.coupon.code != expected_code) ++wrong;
                            ++handled;
                          }},
                          no_auth, {}, queue);
    for (int i = 0; i < events; ++i) {
      const std::string body = qwt::event_builder(qwt::examples::coupon_code_used)
                                   .loyalty_event_key("ev_" + std::to_string(i))
                                   .set("/event/executionResults/coupon/code", "CODE-" + std::to_string(i))
                                   .set("/event/payload/usage/coupon/code", "CODE-" + std::to_string(i))
                                   .body();
      for (;;) {
        const qw::response r = rx.handle("POST", qwt::json_headers(), std::string_view(body));
        if (r.status() == 202) break;
        REQUIRE(r.outcome().kind == qw::outcome_kind::overloaded);
        std::this_thread::yield();
      }
    }
  }
  CHECK(handled == events);
  CHECK(wrong == 0);
}

TEST_CASE("queue under concurrency: distinct and duplicate deliveries, each event handled once", "[queue][threads]") {
  constexpr int events = 200;
  constexpr int threads = 6;
  qw::memory_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  std::vector<std::atomic<int>> handled(events);
  std::vector<std::string> bodies;
  for (int i = 0; i < events; ++i) {
    bodies.push_back(qwt::event_builder(i % 2 ? qwt::examples::member_created : qwt::examples::coupon_code_used)
                         .loyalty_event_key("ev_" + std::to_string(i))
                         .body());
  }
  std::atomic<int> accepted{0}, duplicates{0}, unexpected{0};
  {
    qw::async_options queue;
    queue.workers = 3;
    queue.capacity = 8;  // small: overloaded answers happen too
    const auto count = [&handled](const qw::event_envelope& e) {
      ++handled[std::stoi(std::string(e.loyalty_event_key.substr(3)))];
    };
    qw::async_receiver rx(qw::overloaded{[&](const qw::member_created& e) { count(e.envelope); },
                                         [&](const qw::coupon_event& e) { count(e.envelope); }},
                          no_auth, options, queue);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        std::vector<int> order(events);
        for (int i = 0; i < events; ++i) order[i] = i;
        std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(100 + t)));
        for (int i : order) {
          for (;;) {
            const qw::response r = rx.handle("POST", qwt::json_headers(), bodies[i]);
            if (r.outcome().kind == qw::outcome_kind::accepted)
              ++accepted;
            else if (r.outcome().kind == qw::outcome_kind::duplicate)
              ++duplicates;
            else if (r.status() != 503)
              ++unexpected;
            if (r.acknowledged() || r.status() != 503) break;
            std::this_thread::yield();
          }
        }
      });
    }
    for (auto& th : pool) th.join();
  }
  int wrong = 0;
  for (const auto& h : handled) wrong += h != 1;
  CHECK(wrong == 0);
  CHECK(accepted == events);
  CHECK(duplicates == events * (threads - 1));
  CHECK(unexpected == 0);
}

TEST_CASE("a throwing dead-letter hook is contained: no terminate, no leaked slot, counted", "[queue]") {
  qw::receiver_options options;
  std::atomic<int> hook_calls{0};
  options.dead_letter = [&hook_calls](std::string_view, const qw::outcome&) {
    ++hook_calls;
    throw std::runtime_error("the hook is broken");
  };
  qw::async_options queue;
  queue.capacity = 2;
  queue.workers = 1;
  qw::async_receiver rx(qw::overloaded{[](const qw::member_created&) {
                          return qw::handler_result::failure("always fails");  // → the hook, on the worker
                        }},
                        no_auth, options, queue);
  // On the request path: rejected bodies, more of them than there are slots.
  for (int i = 0; i < 5; ++i) CHECK(rx.handle("POST", qwt::json_headers(), std::string("{}")).status() == 422);
  // On the worker thread: handler failures, more than capacity.
  for (int i = 0; i < 5; ++i) {
    CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 202);
    REQUIRE(wait_idle(rx));
  }
  CHECK(rx.pending() == 0);
  rx.shutdown();
  CHECK(hook_calls == 10);
  CHECK(rx.hook_failures() == 10);
}

TEST_CASE("time spent queued does not eat the lease: a redelivery accepted meanwhile does not run twice", "[queue]") {
  qw::memory_store_options store_options;
  store_options.lease = std::chrono::milliseconds(100);
  qw::memory_store store(store_options);
  qw::receiver_options options;
  options.idempotency = &store;
  qw::async_options queue;
  queue.workers = 1;  // the event waits behind a slow one
  gate slow_entered, slow_release;
  std::atomic<int> used_runs{0};
  qw::async_receiver rx(qw::overloaded{[&](const qw::member_created&) {
                                         slow_entered.open();
                                         slow_release.wait();
                                       },
                                       [&](const qw::coupon_code_used&) { ++used_runs; }},
                        no_auth, options, queue);
  REQUIRE(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 202);
  slow_entered.wait();
  const std::string used(qwt::examples::coupon_code_used);
  REQUIRE(rx.handle("POST", qwt::json_headers(), used).status() == 202);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // its lease runs out while it is queued
  // The platform retries (say, a timeout on its side): the key is free again, so it is accepted and queued too.
  REQUIRE(rx.handle("POST", qwt::json_headers(), used).status() == 202);
  slow_release.open();
  REQUIRE(wait_idle(rx));
  rx.shutdown();
  CHECK(used_runs == 1);
}

namespace {

// A memory_store that behaves like a redis_store in trouble, for async_receiver::renew(): renew() either answers
// "cannot renew" (the default store_error) or, with lose_lease, finds the reservation expired (Redis dropped the key
// when its lease ran out while the event was queued: not_held); release() can fail once (a timeout).
class troubled_store final : public qw::idempotency_store {
 public:
  qw::reserve_result reserve(std::string_view key) noexcept override { return inner_.reserve(key); }
  qw::store_status commit(std::string_view key, std::uint64_t token) noexcept override {
    return inner_.commit(key, token);
  }
  qw::store_status release(std::string_view key, std::uint64_t token) noexcept override {
    if (fail_next_release.exchange(false)) return qw::store_status::store_error;
    return inner_.release(key, token);
  }
  qw::store_status renew(std::string_view key, std::uint64_t token) noexcept override {
    if (!lose_lease) return qw::idempotency_store::renew(key, token);
    (void)inner_.release(key, token);  // the key expired while queued
    return qw::store_status::not_held;
  }
  std::atomic<bool> fail_next_release{false};
  bool lose_lease = false;

 private:
  qw::memory_store inner_;
};

// One delivery through an async_receiver on `store`, drained: how often the handler ran, how many dead letters.
struct one_delivery {
  int runs = 0;
  std::size_t dead_letters = 0;
  int status = 0;
};
one_delivery deliver_once(qw::idempotency_store& store, std::string_view key) {
  dead_letters dead;
  qw::receiver_options options;
  options.idempotency = &store;
  options.dead_letter = dead.hook();
  std::atomic<int> runs{0};
  const std::string body = qwt::event_builder(qwt::examples::member_created).loyalty_event_key(key).body();
  one_delivery out;
  {
    qw::async_receiver rx([&](const qw::event_envelope&) { ++runs; }, no_auth, options);
    out.status = rx.handle("POST", qwt::json_headers(), body).status();
    rx.shutdown();  // drains
  }
  out.runs = runs;
  out.dead_letters = dead.items().size();
  return out;
}

}  // namespace

TEST_CASE("renew: a failed release runs the event under its old reservation, never skipped", "[queue]") {
  troubled_store store;  // renew() cannot renew: release, reserve again; the release fails
  store.fail_next_release = true;
  const one_delivery d = deliver_once(store, "ev_renew_a");
  CHECK(d.status == 202);
  CHECK(d.runs == 1);
  CHECK(d.dead_letters == 0);
  CHECK_FALSE(store.fail_next_release);  // the failing release did happen
  // The run was committed under the old reservation: a redelivery is a duplicate.
  CHECK(store.reserve("member-created:ev_renew_a").status == qw::reserve_status::already_processed);
}

TEST_CASE("renew: a lease that expired while queued is taken again, the event runs once", "[queue]") {
  troubled_store store;
  store.lose_lease = true;
  const one_delivery d = deliver_once(store, "ev_renew_b");
  CHECK(d.status == 202);
  CHECK(d.runs == 1);
  CHECK(d.dead_letters == 0);
  CHECK(store.reserve("member-created:ev_renew_b").status == qw::reserve_status::already_processed);
}
