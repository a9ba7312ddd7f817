// The receivers call receiver_options::observer: one on_request per request with its outcome, body size and the
// stages that ran; dead letters, duplicates, store errors and queue depth as they happen. A throwing observer is
// contained: same answers, same handler calls, counted in observer_failures().
#include "catch.hpp"

#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/observe/observer.hpp>
#include <qurable/webhooks/queue/async_receiver.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>
#include <qurable/webhooks/testing/examples.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

// What a request record said, copied (its views are valid during the call only).
struct seen_request {
  qw::outcome_kind kind;
  int status;
  qw::error_code code;
  std::string event_type;
  std::string key;
  std::size_t body_size;
  bool ran[qw::observe_stage_count];
  qw::request_record::duration time[qw::observe_stage_count];
};

class recording_observer : public qw::observer {
 public:
  recording_observer() = default;
  explicit recording_observer(qw::observe_stages timed) : qw::observer(timed) {}

  void on_request(const qw::request_record& r) override {
    const std::lock_guard<std::mutex> lock(mutex);
    seen_request s{
        r.kind, r.http_status, r.code, std::string(r.event_type), std::string(r.loyalty_event_key), r.body_size, {},
        {}};
    for (std::size_t i = 0; i < qw::observe_stage_count; ++i) {
      s.ran[i] = r.ran(static_cast<qw::observe_stage>(i));
      s.time[i] = r.time(static_cast<qw::observe_stage>(i));
    }
    requests.push_back(s);
  }
  void on_dead_letter(const qw::dead_letter_record& r) override {
    const std::lock_guard<std::mutex> lock(mutex);
    dead_letters.push_back(r.kind);
  }
  void on_duplicate(const qw::duplicate_record& r) override {
    const std::lock_guard<std::mutex> lock(mutex);
    duplicates.emplace_back(r.loyalty_event_key);
  }
  void on_store_error(const qw::store_error_record& r) override {
    const std::lock_guard<std::mutex> lock(mutex);
    store_errors.emplace_back(r.operation);
  }
  void on_queue_depth(std::size_t depth, std::size_t capacity) override {
    const std::lock_guard<std::mutex> lock(mutex);
    depths.push_back(depth);
    last_capacity = capacity;
  }

  std::mutex mutex;
  std::vector<seen_request> requests;
  std::vector<qw::outcome_kind> dead_letters;
  std::vector<std::string> duplicates;
  std::vector<std::string> store_errors;
  std::vector<std::size_t> depths;
  std::size_t last_capacity = 0;
};

// Throws from every member.
class throwing_observer final : public qw::observer {
 public:
  void on_request(const qw::request_record&) override { throw std::runtime_error("on_request"); }
  void on_dead_letter(const qw::dead_letter_record&) override { throw std::runtime_error("on_dead_letter"); }
  void on_duplicate(const qw::duplicate_record&) override { throw 42; }
  void on_store_error(const qw::store_error_record&) override { throw std::runtime_error("on_store_error"); }
  void on_queue_depth(std::size_t, std::size_t) override { throw std::runtime_error("on_queue_depth"); }
};

// A store that is down: reserve answers store_error.
struct unavailable_store final : qw::idempotency_store {
  qw::reserve_result reserve(std::string_view) noexcept override { return {}; }
  qw::store_status commit(std::string_view, std::uint64_t) noexcept override { return qw::store_status::store_error; }
  qw::store_status release(std::string_view, std::uint64_t) noexcept override { return qw::store_status::store_error; }
};

// Acquires every key, but cannot record: commit and release fail.
struct forgetful_store final : qw::idempotency_store {
  qw::reserve_result reserve(std::string_view) noexcept override {
    qw::reserve_result r;
    r.status = qw::reserve_status::acquired;
    r.token = 7;
    return r;
  }
  qw::store_status commit(std::string_view, std::uint64_t) noexcept override { return qw::store_status::store_error; }
  qw::store_status release(std::string_view, std::uint64_t) noexcept override { return qw::store_status::store_error; }
};

bool ran(const seen_request& r, qw::observe_stage s) { return r.ran[static_cast<std::size_t>(s)]; }

struct visitor {
  std::atomic<int>* handled;
  qw::handler_result operator()(const qw::coupon_code_used&) const {
    ++*handled;
    return qw::handler_result::failure("downstream down");
  }
  qw::handler_result operator()(const qw::event_envelope&) const {
    ++*handled;
    return qw::handler_result::success();
  }
};

// The same requests through a receiver observed by `o` (may be null); the answers' statuses, in order.
std::vector<int> run_requests(qw::observer* o, qw::idempotency_store& store, std::atomic<int>& handled,
                              int& dead_letter_calls) {
  qw::receiver_options options;
  options.idempotency = &store;
  options.observer = o;
  options.dead_letter = [&dead_letter_calls](std::string_view, const qw::outcome&) { ++dead_letter_calls; };
  const qw::receiver rx(visitor{&handled}, qw::authentication::with([](const qw::header_lookup& h, std::string_view) {
                          return h("authorization") == std::optional<std::string_view>("Bearer ok");
                        }),
                        options);
  const qwt::headers good = qwt::json_headers().set("Authorization", "Bearer ok");
  std::vector<int> statuses;
  statuses.push_back(rx.handle("POST", good, qwt::examples::member_created).status());                 // dispatched 200
  statuses.push_back(rx.handle("POST", good, qwt::examples::member_created).status());                 // duplicate 200
  statuses.push_back(rx.handle("POST", good, std::string_view("{not json")).status());                 // rejected 400
  statuses.push_back(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status());  // 401
  statuses.push_back(rx.handle("GET", good, std::string_view()).status());                             // 405
  statuses.push_back(rx.handle("POST", good, qwt::examples::coupon_code_used).status());  // handler_failed 500
  if (const auto r = rx.check_content_length(qw::parser_options{}.max_body_size + 1)) statuses.push_back(r->status());
  if (o != nullptr) CHECK(rx.observer_failures() == (dynamic_cast<throwing_observer*>(o) ? 7u + 3u : 0u));
  return statuses;
}

}  // namespace

TEST_CASE("receiver: one record per request, with outcome, body size and the stages that ran", "[observe][receiver]") {
  recording_observer seen;
  qw::memory_store store;
  std::atomic<int> handled{0};
  int dead_letter_calls = 0;
  const std::vector<int> statuses = run_requests(&seen, store, handled, dead_letter_calls);
  CHECK(statuses == std::vector<int>{200, 200, 400, 401, 405, 500, 413});

  REQUIRE(seen.requests.size() == 7);
  const seen_request& ok = seen.requests[0];
  CHECK(ok.kind == qw::outcome_kind::dispatched);
  CHECK(ok.status == 200);
  CHECK(ok.event_type == "member-created");
  CHECK_FALSE(ok.key.empty());
  CHECK(ok.body_size == qwt::examples::member_created.size());
  CHECK(ran(ok, qw::observe_stage::authentication));
  CHECK(ran(ok, qw::observe_stage::parse));
  CHECK(ran(ok, qw::observe_stage::store));
  CHECK(ran(ok, qw::observe_stage::handler));

  const seen_request& dup = seen.requests[1];
  CHECK(dup.kind == qw::outcome_kind::duplicate);
  CHECK(ran(dup, qw::observe_stage::store));
  CHECK_FALSE(ran(dup, qw::observe_stage::handler));
  REQUIRE(seen.duplicates.size() == 1);
  CHECK(seen.duplicates[0] == ok.key);

  const seen_request& bad = seen.requests[2];
  CHECK(bad.kind == qw::outcome_kind::rejected);
  CHECK(bad.status == 400);
  CHECK(bad.code != qw::error_code::none);
  CHECK(bad.event_type.empty());
  CHECK(bad.body_size == 9);
  CHECK(ran(bad, qw::observe_stage::parse));
  CHECK_FALSE(ran(bad, qw::observe_stage::store));
  CHECK_FALSE(ran(bad, qw::observe_stage::handler));

  const seen_request& unauthorized = seen.requests[3];
  CHECK(unauthorized.kind == qw::outcome_kind::unauthorized);
  CHECK(ran(unauthorized, qw::observe_stage::authentication));
  CHECK_FALSE(ran(unauthorized, qw::observe_stage::parse));

  CHECK(seen.requests[4].kind == qw::outcome_kind::method_not_allowed);
  CHECK_FALSE(ran(seen.requests[4], qw::observe_stage::authentication));

  const seen_request& failed = seen.requests[5];
  CHECK(failed.kind == qw::outcome_kind::handler_failed);
  CHECK(failed.event_type == "coupon-code-used");
  CHECK(ran(failed, qw::observe_stage::handler));

  CHECK(seen.requests[6].kind == qw::outcome_kind::rejected);
  CHECK(seen.requests[6].status == 413);
  CHECK(seen.requests[6].body_size == 0);

  // Dead letters as the hook got them (authenticated refusals and failures only: 400 and 500).
  CHECK(dead_letter_calls == 2);
  CHECK(seen.dead_letters ==
        std::vector<qw::outcome_kind>{qw::outcome_kind::rejected, qw::outcome_kind::handler_failed});
  CHECK(seen.store_errors.empty());
  CHECK(handled == 2);
}

TEST_CASE("receiver: a throwing observer changes no answer and skips nothing", "[observe][receiver]") {
  std::atomic<int> handled_plain{0};
  std::atomic<int> handled_thrown{0};
  int dead_plain = 0;
  int dead_thrown = 0;
  qw::memory_store store_plain;
  qw::memory_store store_thrown;
  throwing_observer thrower;
  const std::vector<int> plain = run_requests(nullptr, store_plain, handled_plain, dead_plain);
  // 7 requests, 2 dead letters and 1 duplicate: 10 contained throws (checked inside run_requests).
  const std::vector<int> thrown = run_requests(&thrower, store_thrown, handled_thrown, dead_thrown);
  CHECK(thrown == plain);
  CHECK(handled_thrown == handled_plain);
  CHECK(dead_thrown == dead_plain);
  CHECK(dead_thrown == 2);
}

TEST_CASE("receiver: store errors are reported with their operation", "[observe][receiver]") {
  recording_observer seen;
  std::atomic<int> handled{0};
  SECTION("reserve fails: 503") {
    unavailable_store store;
    qw::receiver_options options;
    options.idempotency = &store;
    options.observer = &seen;
    const qw::receiver rx(visitor{&handled}, qw::authentication::none_i_know_what_i_am_doing(), options);
    CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 503);
    CHECK(seen.store_errors == std::vector<std::string>{"reserve"});
    REQUIRE(seen.requests.size() == 1);
    CHECK(seen.requests[0].kind == qw::outcome_kind::store_unavailable);
    CHECK(handled == 0);
  }
  SECTION("commit and release fail: processed anyway") {
    forgetful_store store;
    qw::receiver_options options;
    options.idempotency = &store;
    options.observer = &seen;
    const qw::receiver rx(visitor{&handled}, qw::authentication::none_i_know_what_i_am_doing(), options);
    CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 200);
    CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used).status() == 500);
    CHECK(seen.store_errors == std::vector<std::string>{"commit", "release"});
    CHECK(handled == 2);
  }
}

namespace {
// Slow enough to tell the stages apart: the verifier takes 30 ms, the handler 20 ms.
struct slow_visitor {
  qw::handler_result operator()(const qw::event_envelope&) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return qw::handler_result::success();
  }
};
qw::authentication slow_authentication() {
  return qw::authentication::with([](const qw::header_lookup&, std::string_view) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return true;
  });
}
std::chrono::milliseconds ms(qw::request_record::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}
}  // namespace

TEST_CASE("receivers: an observer that times only some stages gets exactly those, each timed on its own",
          "[observe][receiver]") {
  // Bounded: 5 requests, ~250 ms in all.
  using qw::observe_stage;
  recording_observer selective({observe_stage::parse, observe_stage::handler});
  recording_observer store_only(observe_stage::store);
  recording_observer everything;
  const auto run = [](recording_observer& o, bool with_store) {
    qw::memory_store store;
    qw::receiver_options options;
    options.observer = &o;
    options.idempotency = with_store ? &store : nullptr;
    const qw::receiver rx(slow_visitor{}, slow_authentication(), options);
    CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 200);
  };
  run(selective, false);
  run(selective, true);
  run(everything, false);
  run(store_only, true);
  REQUIRE(selective.requests.size() == 2);
  for (const seen_request& r : selective.requests) {
    CHECK_FALSE(ran(r, observe_stage::authentication));
    CHECK_FALSE(ran(r, observe_stage::store));
    REQUIRE(ran(r, observe_stage::parse));
    REQUIRE(ran(r, observe_stage::handler));
    CHECK(ms(r.time[static_cast<std::size_t>(observe_stage::parse)]).count() < 30);  // not the verifier's time
    CHECK(ms(r.time[static_cast<std::size_t>(observe_stage::handler)]).count() >= 20);
  }
  REQUIRE_FALSE(everything.requests.empty());
  const seen_request& all = everything.requests[0];
  CHECK(ran(all, observe_stage::authentication));
  CHECK(ms(all.time[static_cast<std::size_t>(observe_stage::authentication)]).count() >= 30);
  CHECK(ran(all, observe_stage::parse));
  CHECK(ran(all, observe_stage::handler));

  // The store alone, around a handler and a verifier that are not timed.
  REQUIRE(store_only.requests.size() == 1);
  CHECK(ran(store_only.requests[0], observe_stage::store));
  CHECK(ms(store_only.requests[0].time[static_cast<std::size_t>(observe_stage::store)]).count() < 20);  // no handler
  CHECK_FALSE(ran(store_only.requests[0], observe_stage::parse));
  CHECK_FALSE(ran(store_only.requests[0], observe_stage::handler));
  CHECK_FALSE(ran(store_only.requests[0], observe_stage::authentication));

  // async_receiver: parse and the hand-off.
  recording_observer queued({observe_stage::parse, observe_stage::handler});
  qw::receiver_options async_options;
  async_options.observer = &queued;
  {
    qw::async_receiver arx(slow_visitor{}, slow_authentication(), async_options);
    CHECK(arx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 202);
    arx.shutdown();
  }
  REQUIRE(queued.requests.size() == 1);
  CHECK_FALSE(ran(queued.requests[0], observe_stage::authentication));
  CHECK(ran(queued.requests[0], observe_stage::parse));
  CHECK(ms(queued.requests[0].time[static_cast<std::size_t>(observe_stage::parse)]).count() < 30);
  CHECK(ran(queued.requests[0], observe_stage::handler));
}

TEST_CASE("async_receiver: the 202 is recorded, queue depth follows pushes and pops", "[observe][queue]") {
  recording_observer seen;
  std::atomic<int> handled{0};
  int dead_letter_calls = 0;
  qw::receiver_options options;
  options.observer = &seen;
  options.dead_letter = [&dead_letter_calls](std::string_view, const qw::outcome&) { ++dead_letter_calls; };
  qw::async_options queue;
  queue.workers = 1;
  queue.capacity = 4;
  {
    qw::async_receiver rx(visitor{&handled}, qw::authentication::none_i_know_what_i_am_doing(), options, queue);
    CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 202);
    CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used).status() == 202);
    CHECK(rx.handle("POST", qwt::json_headers(), std::string_view("[]")).status() != 202);
    rx.shutdown();
  }
  CHECK(handled == 2);
  REQUIRE(seen.requests.size() == 3);
  CHECK(seen.requests[0].kind == qw::outcome_kind::accepted);
  CHECK(seen.requests[0].status == 202);
  CHECK(seen.requests[0].event_type == "member-created");
  CHECK(ran(seen.requests[0], qw::observe_stage::parse));
  CHECK(ran(seen.requests[0], qw::observe_stage::handler));  // the hand-off
  CHECK(seen.requests[2].kind == qw::outcome_kind::rejected);
  // Two pushes and two pops: four depth reports, each within the capacity, the last one 0.
  REQUIRE(seen.depths.size() == 4);
  CHECK(seen.last_capacity == 4);
  for (const std::size_t d : seen.depths) CHECK(d <= 2);
  CHECK(seen.depths.back() == 0);
  // The coupon-code-used handler failed on the worker: dead-lettered from there.
  CHECK(dead_letter_calls == 2);
  CHECK(std::count(seen.dead_letters.begin(), seen.dead_letters.end(), qw::outcome_kind::handler_failed) == 1);
}

TEST_CASE("async_receiver: a throwing observer kills no worker and changes no answer", "[observe][queue]") {
  throwing_observer thrower;
  std::atomic<int> handled{0};
  qw::receiver_options options;
  options.observer = &thrower;
  qw::async_options queue;
  queue.workers = 1;
  queue.capacity = 2;
  qw::async_receiver rx(visitor{&handled}, qw::authentication::none_i_know_what_i_am_doing(), options, queue);
  for (int i = 0; i < 20; ++i) {
    CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 202);
    for (int wait = 0; wait < 5000 && rx.pending() != 0; ++wait)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  rx.shutdown();
  CHECK(handled == 20);
  CHECK(rx.observer_failures() == 20u * 3u);  // on_request, depth after push, depth after pop
}

namespace {
class drift_counter : public qw::observer {
 public:
  void on_drift(const qw::drift_record& r) override {
    const std::lock_guard<std::mutex> lock(mutex);
    paths.emplace_back(r.path);
    found.emplace_back(r.found);
  }
  std::mutex mutex;
  std::vector<std::string> paths;
  std::vector<std::string> found;
};
}  // namespace

TEST_CASE("receivers: schema drift reaches the drift hook and the observer, and the event is dispatched",
          "[observe][receiver][drift]") {
  // ledgerWalletId is documented as an integer; sent as a string it is drift: read as its value, event dispatched.
  const std::string drifted =
      qwt::event_builder(qwt::examples::member_created).set("/event/executionResults/ledgerWalletId", "16069").body();
  drift_counter seen;
  std::vector<std::string> hook_paths;
  int handled = 0;
  qw::receiver_options options;
  options.observer = &seen;
  options.drift = [&hook_paths](qw::array_view<qw::drift_record> records) {
    for (const qw::drift_record& r : records) hook_paths.emplace_back(r.path);
  };
  const auto visitor = [&handled](const qw::member_created&) { ++handled; };
  const qw::receiver rx(visitor, qw::authentication::none_i_know_what_i_am_doing(), options);

  CHECK(rx.handle("POST", qwt::json_headers(), drifted).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).status() == 200);  // no drift
  CHECK(handled == 2);
  CHECK(hook_paths == std::vector<std::string>{"/event/executionResults/ledgerWalletId"});
  CHECK(seen.paths == std::vector<std::string>{"/event/executionResults/ledgerWalletId"});
  CHECK(seen.found == std::vector<std::string>{"string"});

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
  SECTION("a throwing drift hook is contained and counted") {
    qw::receiver_options throwing;
    throwing.drift = [](qw::array_view<qw::drift_record>) { throw std::runtime_error("log sink down"); };
    const qw::receiver rx2(visitor, qw::authentication::none_i_know_what_i_am_doing(), throwing);
    CHECK(rx2.handle("POST", qwt::json_headers(), drifted).status() == 200);
    CHECK(rx2.hook_failures() == 1);
  }
#endif
}
