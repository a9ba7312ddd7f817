// The observer interface (observe/observer.hpp) and the JSON log line (observe/json_log.hpp): what a receiver fills,
// how calls are contained, that nothing is done without an observer, and the exact lines.
#include <simdjson.h>
#include <qurable/webhooks/observe/json_log.hpp>
#include <qurable/webhooks/observe/observer.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"

namespace qw = qurable::webhooks;
using namespace std::chrono_literals;

namespace {

struct counting_observer : qw::observer {
  int requests = 0;
  int dead_letters = 0;
  int duplicates = 0;
  int drifts = 0;
  int store_errors = 0;
  std::size_t depth = 0;
  std::size_t capacity = 0;
  qw::outcome_kind last_kind = qw::outcome_kind::rejected;
  void on_request(const qw::request_record& r) override {
    ++requests;
    last_kind = r.kind;
  }
  void on_dead_letter(const qw::dead_letter_record&) override { ++dead_letters; }
  void on_duplicate(const qw::duplicate_record&) override { ++duplicates; }
  void on_drift(const qw::drift_record&) override { ++drifts; }
  void on_store_error(const qw::store_error_record&) override { ++store_errors; }
  void on_queue_depth(std::size_t d, std::size_t c) override {
    depth = d;
    capacity = c;
  }
};

struct throwing_observer : qw::observer {
  int calls = 0;
  void on_request(const qw::request_record&) override {
    ++calls;
    throw std::runtime_error("observer bug");
  }
  void on_queue_depth(std::size_t, std::size_t) override {
    ++calls;
    throw 42;  // not even a std::exception
  }
};

// A record as a receiver fills it, with fixed durations so that the log line is known exactly.
qw::request_record sample_record() {
  qw::outcome out;
  out.kind = qw::outcome_kind::rejected;
  out.http_status = 422;
  out.code = qw::error_code::wrong_type;
  out.message = "expected a string";
  out.path = "/event/payload/loyaltyMemberId";
  out.event_type = "member-created";
  out.loyalty_event_key = "ev_1";
  static qw::outcome keep;  // the record's views point into the outcome
  keep = out;
  qw::request_record r;
  r.set_outcome(keep);
  r.body_size = 512;
  r.add(qw::observe_stage::authentication, 3us);
  r.add(qw::observe_stage::parse, 11500ns);
  return r;
}

}  // namespace

TEST_CASE("observer_slot: without an observer nothing is recorded or called", "[observe]") {
  const qw::observer_slot slot;
  CHECK_FALSE(slot);
  std::optional<qw::request_record> storage;
  qw::request_record* rec = slot.record(storage);
  CHECK(rec == nullptr);
  CHECK_FALSE(storage.has_value());  // not even constructed
  {
    qw::stage_timer timer(rec, qw::observe_stage::parse);
    qw::stage_clock clock(rec);
    std::this_thread::sleep_for(1ms);
    clock.lap(qw::observe_stage::parse);
  }
  slot.request(rec);
  slot.queue_depth(3, 10);
  CHECK(slot.failures() == 0);
}

TEST_CASE("stage_timer: times each stage, sums a stage entered twice, marks what ran", "[observe]") {
  counting_observer seen;
  const qw::observer_slot slot(&seen);
  std::optional<qw::request_record> slot_storage;
  qw::request_record* rec = slot.record(slot_storage);
  REQUIRE(slot_storage.has_value());
  REQUIRE(rec == &*slot_storage);
  qw::request_record& storage = *rec;
  {
    qw::stage_timer timer(rec, qw::observe_stage::store);
    std::this_thread::sleep_for(2ms);
  }
  const auto first = storage.time(qw::observe_stage::store);
  CHECK(first >= 2ms);
  {
    qw::stage_timer timer(rec, qw::observe_stage::store);
    std::this_thread::sleep_for(1ms);
    timer.stop();
    std::this_thread::sleep_for(20ms);  // after stop(): not counted, and the destructor adds nothing more
  }
  CHECK(storage.time(qw::observe_stage::store) >= first + 1ms);
  CHECK(storage.time(qw::observe_stage::store) < first + 20ms);
  CHECK(storage.ran(qw::observe_stage::store));
  CHECK_FALSE(storage.ran(qw::observe_stage::handler));
  CHECK_FALSE(storage.ran(qw::observe_stage::parse));
  CHECK(storage.seconds(qw::observe_stage::store) >= 0.003);

  slot.request(rec);
  CHECK(seen.requests == 1);
}

TEST_CASE("stage_clock: one clock read per boundary, each lap charged to its stage", "[observe]") {
  qw::request_record storage;
  qw::stage_clock clock(&storage);
  std::this_thread::sleep_for(2ms);
  clock.lap(qw::observe_stage::authentication);
  std::this_thread::sleep_for(30ms);
  clock.skip();  // not charged to anything
  std::this_thread::sleep_for(1ms);
  clock.lap(qw::observe_stage::parse);
  clock.lap(qw::observe_stage::handler);  // an empty stage still counts as run
  CHECK(storage.time(qw::observe_stage::authentication) >= 2ms);
  CHECK(storage.time(qw::observe_stage::authentication) < 30ms);
  CHECK(storage.time(qw::observe_stage::parse) >= 1ms);
  CHECK(storage.time(qw::observe_stage::parse) < 30ms);
  CHECK(storage.ran(qw::observe_stage::handler));
  CHECK_FALSE(storage.ran(qw::observe_stage::store));

  qw::request_record untouched;
  qw::stage_clock off(nullptr);
  off.lap(qw::observe_stage::parse);
  CHECK_FALSE(untouched.ran(qw::observe_stage::parse));
}

// Uses only the parse and handler durations (as the Prometheus adapter does).
struct parse_and_handler_observer : qw::observer {
  parse_and_handler_observer() : qw::observer({qw::observe_stage::parse, qw::observe_stage::handler}) {}
};
struct store_only_observer : qw::observer {
  store_only_observer() : qw::observer(qw::observe_stage::store) {}
};

TEST_CASE("observe_stages: a set of stages", "[observe]") {
  constexpr qw::observe_stages two{qw::observe_stage::parse, qw::observe_stage::handler};
  static_assert(two.contains(qw::observe_stage::parse) && two.contains(qw::observe_stage::handler), "");
  static_assert(!two.contains(qw::observe_stage::store) && !two.contains(qw::observe_stage::authentication), "");
  CHECK(qw::observe_stages::none().empty());
  CHECK_FALSE(two.intersects(qw::observe_stage::store));
  CHECK(two.intersects(qw::observe_stages{qw::observe_stage::store, qw::observe_stage::handler}));
  CHECK((two | qw::observe_stage::store | qw::observe_stage::authentication) == qw::observe_stages::all());
  CHECK(qw::observe_stages(qw::observe_stage::store) != qw::observe_stages::all());
  CHECK(qw::request_record().timed_stages() == qw::observe_stages::all());
  CHECK(qw::observer().timed_stages() == qw::observe_stages::all());
}

TEST_CASE("stage_clock: only the stages the record times are timed, and only they cost a clock read", "[observe]") {
  // The laps of a receiver with an idempotency store, for an observer of parse and handler only.
  parse_and_handler_observer selective;
  const qw::observer_slot slot(&selective);
  std::optional<qw::request_record> storage;
  qw::request_record* rec = slot.record(storage);
  REQUIRE(rec != nullptr);
  CHECK(rec->timed_stages() == selective.timed_stages());
  qw::stage_clock clock(rec, qw::observe_stage::authentication);
  std::this_thread::sleep_for(30ms);  // authentication: not timed
  clock.lap(qw::observe_stage::authentication, qw::observe_stage::parse);
  std::this_thread::sleep_for(2ms);  // parse
  clock.lap(qw::observe_stage::parse, qw::observe_stage::store);
  std::this_thread::sleep_for(30ms);  // store: not timed
  clock.lap(qw::observe_stage::store, qw::observe_stage::handler);
  std::this_thread::sleep_for(1ms);  // handler
  clock.lap(qw::observe_stage::handler, qw::observe_stage::store);
  std::this_thread::sleep_for(30ms);  // store again: not timed
  clock.lap(qw::observe_stage::store, qw::observe_stages::none());
  CHECK_FALSE(rec->ran(qw::observe_stage::authentication));
  CHECK_FALSE(rec->ran(qw::observe_stage::store));
  CHECK(rec->time(qw::observe_stage::store) == qw::request_record::duration::zero());
  REQUIRE(rec->ran(qw::observe_stage::parse));
  CHECK(rec->time(qw::observe_stage::parse) >= 2ms);
  CHECK(rec->time(qw::observe_stage::parse) < 30ms);  // started after authentication, not with the request
  REQUIRE(rec->ran(qw::observe_stage::handler));
  CHECK(rec->time(qw::observe_stage::handler) >= 1ms);
  CHECK(rec->time(qw::observe_stage::handler) < 30ms);  // started after the store, ended before it

  // stage_timer on a stage the record does not time does nothing.
  { qw::stage_timer timer(rec, qw::observe_stage::authentication); }
  CHECK_FALSE(rec->ran(qw::observe_stage::authentication));

  // A record that times nothing: laps record nothing.
  qw::request_record nothing_timed{qw::observe_stages::none()};
  qw::stage_clock idle(&nothing_timed);
  idle.lap(qw::observe_stage::parse);
  idle.skip();
  idle.lap(qw::observe_stage::handler);
  CHECK_FALSE(nothing_timed.ran(qw::observe_stage::parse));
  CHECK_FALSE(nothing_timed.ran(qw::observe_stage::handler));
}

TEST_CASE("observer_fanout: times what any of its members times", "[observe]") {
  parse_and_handler_observer a;
  store_only_observer b;
  const qw::observer_fanout<2> both({&a, &b});
  CHECK(both.timed_stages() ==
        (qw::observe_stages{qw::observe_stage::parse, qw::observe_stage::handler} | qw::observe_stage::store));
  const qw::observer_fanout<2> one({&b, nullptr});
  CHECK(one.timed_stages() == qw::observe_stage::store);
  counting_observer everything;
  const qw::observer_fanout<2> with_all({&a, &everything});
  CHECK(with_all.timed_stages() == qw::observe_stages::all());
}

TEST_CASE("observer_slot: forwards every kind of event", "[observe]") {
  counting_observer seen;
  const qw::observer_slot slot(&seen);
  qw::request_record r;
  r.kind = qw::outcome_kind::duplicate;
  slot.request(&r);
  slot.dead_letter({});
  slot.duplicate({"member-created", "ev_1"});
  slot.drift({"member-created", "/event/x", qw::json_kind::string, "number", {}});
  slot.store_error({"reserve", "connection refused"});
  slot.queue_depth(7, 64);
  CHECK(seen.requests == 1);
  CHECK(seen.last_kind == qw::outcome_kind::duplicate);
  CHECK(seen.dead_letters == 1);
  CHECK(seen.duplicates == 1);
  CHECK(seen.drifts == 1);
  CHECK(seen.store_errors == 1);
  CHECK(seen.depth == 7);
  CHECK(seen.capacity == 64);
}

TEST_CASE("observer_slot: an observer that throws is contained and counted", "[observe]") {
  throwing_observer bad;
  const qw::observer_slot slot(&bad);
  qw::request_record r;
  slot.request(&r);
  slot.queue_depth(1, 1);
  slot.drift({});  // not overridden: the default does nothing and does not count as a failure
  CHECK(bad.calls == 2);
  CHECK(slot.failures() == 2);
  CHECK_FALSE(slot.notify([](qw::observer& o) { o.on_request(qw::request_record{}); }));
  CHECK(slot.notify([](qw::observer& o) { o.on_duplicate({}); }));
  CHECK(slot.failures() == 3);
}

TEST_CASE("observer_fanout: every member runs even when one throws", "[observe]") {
  counting_observer first;
  throwing_observer bad;
  counting_observer last;
  qw::observer_fanout<4> fanout({&first, &bad, nullptr, &last});
  const qw::observer_slot slot(&fanout);
  qw::request_record r;
  slot.request(&r);
  slot.queue_depth(5, 0);
  CHECK(first.requests == 1);
  CHECK(last.requests == 1);
  CHECK(first.depth == 5);
  CHECK(last.depth == 5);
  CHECK(fanout.failures() == 2);
  CHECK(slot.failures() == 0);  // contained inside the fan-out already
}

TEST_CASE("json_log: one exact line per request, valid JSON", "[observe][json_log]") {
  std::vector<std::string> lines;
  qw::json_log_observer log([&](std::string_view line) { lines.emplace_back(line); });
  const qw::observer_slot slot(&log);

  const qw::request_record rejected = sample_record();
  slot.request(&rejected);

  qw::request_record ok;
  ok.kind = qw::outcome_kind::dispatched;
  ok.http_status = 200;
  ok.event_type = "coupon-code-used";
  ok.loyalty_event_key = "ev_\"2\"\n";
  ok.body_size = 1024;
  ok.add(qw::observe_stage::store, 40us);
  ok.add(qw::observe_stage::handler, 120250ns);
  slot.request(&ok);

  qw::request_record early;  // refused before anything was known
  early.kind = qw::outcome_kind::method_not_allowed;
  early.http_status = 405;
  early.message = "only POST is allowed";
  slot.request(&early);

  slot.drift({"coupon-code-used", "/event/x", qw::json_kind::string, "number", {}});
  slot.store_error({"reserve", "connection refused"});
  slot.dead_letter({});  // no line: the request's line says it already
  slot.duplicate({});

  REQUIRE(lines.size() == 5);
  CHECK(lines[0] ==
        R"({"log":"request","outcome":"rejected","status":422,"event_type":"member-created","key":"ev_1",)"
        R"("code":"wrong_type","path":"/event/payload/loyaltyMemberId","bytes":512,"auth_us":3.0,"parse_us":11.5,)"
        R"("message":"expected a string"})"
        "\n");
  CHECK(lines[1] == R"({"log":"request","outcome":"dispatched","status":200,"event_type":"coupon-code-used",)"
                    R"("key":"ev_\"2\"\n","bytes":1024,"store_us":40.0,"handler_us":120.25})"
                    "\n");
  CHECK(lines[2] ==
        R"({"log":"request","outcome":"method_not_allowed","status":405,"event_type":null,"key":null,"bytes":0,)"
        R"("message":"only POST is allowed"})"
        "\n");
  CHECK(lines[3] ==
        R"({"log":"drift","event_type":"coupon-code-used","path":"/event/x","expected":"string","found":"number"})"
        "\n");
  CHECK(lines[4] == R"({"log":"store_error","operation":"reserve","message":"connection refused"})"
                    "\n");

  // Each line is one JSON document that a log pipeline can read back.
  simdjson::dom::parser parser;
  for (const std::string& line : lines) {
    CHECK(line.find('\n') == line.size() - 1);
    simdjson::dom::element doc;
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
    std::string_view kind;
    CHECK(doc["log"].get(kind) == simdjson::SUCCESS);
  }
  simdjson::dom::element second;
  REQUIRE(parser.parse(lines[1]).get(second) == simdjson::SUCCESS);
  std::string_view key;
  REQUIRE(second["key"].get(key) == simdjson::SUCCESS);
  CHECK(key == "ev_\"2\"\n");
  double handler_us = 0;
  REQUIRE(second["handler_us"].get(handler_us) == simdjson::SUCCESS);
  CHECK(handler_us == 120.25);
}

TEST_CASE("json_log: concurrent requests give whole lines", "[observe][json_log]") {
  std::mutex mutex;
  std::vector<std::string> lines;
  qw::json_log_observer log([&](std::string_view line) {
    const std::lock_guard<std::mutex> lock(mutex);
    lines.emplace_back(line);
  });
  const qw::observer_slot slot(&log);
  constexpr int threads = 4;
  constexpr int per_thread = 500;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&slot, t] {
      const std::string type = "type-" + std::to_string(t);
      for (int i = 0; i < per_thread; ++i) {
        qw::request_record r;
        r.kind = qw::outcome_kind::dispatched;
        r.http_status = 200;
        r.event_type = type;
        slot.request(&r);
      }
    });
  }
  for (auto& thread : pool) thread.join();
  REQUIRE(lines.size() == threads * per_thread);
  std::vector<int> per_type(threads, 0);
  for (const std::string& line : lines) {
    for (int t = 0; t < threads; ++t) {
      const std::string expected = R"({"log":"request","outcome":"dispatched","status":200,"event_type":"type-)" +
                                   std::to_string(t) + R"(","key":null,"bytes":0})" + "\n";
      if (line == expected) ++per_type[static_cast<std::size_t>(t)];
    }
  }
  for (int t = 0; t < threads; ++t) CHECK(per_type[static_cast<std::size_t>(t)] == per_thread);
}
