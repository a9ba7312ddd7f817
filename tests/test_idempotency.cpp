#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/idempotency/store.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "catch.hpp"

namespace qw = qurable::webhooks;
using namespace std::chrono_literals;

namespace {

// Time stands still unless a test moves it.
struct fake_clock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  void advance(std::chrono::steady_clock::duration d) { now += d; }
};

qw::memory_store_options options_with(fake_clock& clock, std::size_t max_entries = 1000) {
  qw::memory_store_options o;
  o.max_entries = max_entries;
  o.lease = 10s;
  o.committed_ttl = 1h;
  o.clock = [&clock] { return clock.now; };
  return o;
}

// Stands in for a remote store that is down: every call reports store_error.
struct unavailable_store final : qw::idempotency_store {
  int commits = 0;
  int releases = 0;
  qw::reserve_result reserve(std::string_view) noexcept override { return {}; }
  qw::store_status commit(std::string_view, std::uint64_t) noexcept override {
    ++commits;
    return qw::store_status::store_error;
  }
  qw::store_status release(std::string_view, std::uint64_t) noexcept override {
    ++releases;
    return qw::store_status::store_error;
  }
};

}  // namespace

TEST_CASE("reserve, commit, then a redelivery is already_processed", "[idempotency]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock));

  const qw::reserve_result first = store.reserve("evt-1");
  REQUIRE(first.status == qw::reserve_status::acquired);
  REQUIRE(first.token != 0);
  REQUIRE(store.commit("evt-1", first.token) == qw::store_status::ok);

  const qw::reserve_result again = store.reserve("evt-1");
  CHECK(again.status == qw::reserve_status::already_processed);
  CHECK(store.reserve("evt-2").status == qw::reserve_status::acquired);  // other keys are unaffected
  CHECK(qw::to_string(again.status) == "already_processed");
  CHECK(qw::to_string(qw::store_status::not_held) == "not_held");
}

TEST_CASE("release lets the next delivery acquire the key again", "[idempotency]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock));

  const qw::reserve_result first = store.reserve("evt-1");
  REQUIRE(first.status == qw::reserve_status::acquired);
  REQUIRE(store.release("evt-1", first.token) == qw::store_status::ok);
  CHECK(store.size() == 0);

  const qw::reserve_result second = store.reserve("evt-1");
  REQUIRE(second.status == qw::reserve_status::acquired);
  CHECK(second.token != first.token);
  // The first holder is done: its token no longer names the reservation.
  CHECK(store.release("evt-1", first.token) == qw::store_status::not_held);
  CHECK(store.commit("evt-1", first.token) == qw::store_status::not_held);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);
  // A committed key cannot be released back into circulation.
  REQUIRE(store.commit("evt-1", second.token) == qw::store_status::ok);
  CHECK(store.release("evt-1", second.token) == qw::store_status::not_held);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
  // Unknown keys.
  CHECK(store.commit("never", 1) == qw::store_status::not_held);
  CHECK(store.release("never", 1) == qw::store_status::not_held);
}

TEST_CASE("a duplicate arriving while the first delivery is processed is in_flight", "[idempotency]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock));

  const qw::reserve_result first = store.reserve("evt-1");
  REQUIRE(first.status == qw::reserve_status::acquired);
  const qw::reserve_result dup = store.reserve("evt-1");
  CHECK(dup.status == qw::reserve_status::in_flight);
  CHECK(dup.token == 0);
  clock.advance(9999ms);  // still inside the 10 s lease
  CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);

  REQUIRE(store.commit("evt-1", first.token) == qw::store_status::ok);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
}

TEST_CASE("an expired lease can be taken over and the stale holder is fenced off", "[idempotency]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock));

  const qw::reserve_result crashed = store.reserve("evt-1");
  REQUIRE(crashed.status == qw::reserve_status::acquired);
  clock.advance(10s);  // lease over

  const qw::reserve_result retry = store.reserve("evt-1");
  REQUIRE(retry.status == qw::reserve_status::acquired);
  REQUIRE(retry.token != crashed.token);

  // The stale holder wakes up: neither its commit nor its release may touch the new reservation.
  CHECK(store.commit("evt-1", crashed.token) == qw::store_status::not_held);
  CHECK(store.release("evt-1", crashed.token) == qw::store_status::not_held);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);

  REQUIRE(store.commit("evt-1", retry.token) == qw::store_status::ok);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
}

TEST_CASE("a late commit succeeds when nobody took the expired lease over", "[idempotency]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock));

  const qw::reserve_result slow = store.reserve("evt-1");
  REQUIRE(slow.status == qw::reserve_status::acquired);
  clock.advance(30s);
  CHECK(store.commit("evt-1", slow.token) == qw::store_status::ok);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
}

TEST_CASE("committed keys expire after the TTL", "[idempotency]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock));

  const qw::reserve_result first = store.reserve("evt-1");
  REQUIRE(first.status == qw::reserve_status::acquired);
  clock.advance(5s);  // the TTL counts from the commit, not from the reserve
  REQUIRE(store.commit("evt-1", first.token) == qw::store_status::ok);

  clock.advance(1h - 1ms);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
  clock.advance(1ms);
  CHECK(store.reserve("evt-2").status == qw::reserve_status::acquired);
  CHECK(store.size() == 1);  // evt-1 was dropped as expired by the reserve above
  CHECK(store.reserve("evt-1").status == qw::reserve_status::acquired);
}

TEST_CASE("defaults are documented values", "[idempotency]") {
  const qw::memory_store_options o;
  CHECK(o.max_entries == 100'000);
  CHECK(o.committed_ttl == std::chrono::hours(24));
  CHECK(o.lease == std::chrono::seconds(60));
  CHECK(!o.clock);
}

TEST_CASE("a full store evicts expired entries, then the oldest committed, never in-flight ones", "[idempotency]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock, 3));

  const qw::reserve_result x = store.reserve("x");  // will be abandoned: lease expires at +10 s
  REQUIRE(x.status == qw::reserve_status::acquired);
  clock.advance(1s);
  for (const char* key : {"a", "b"}) {
    const qw::reserve_result r = store.reserve(key);
    REQUIRE(r.status == qw::reserve_status::acquired);
    REQUIRE(store.commit(key, r.token) == qw::store_status::ok);
    clock.advance(1s);
  }
  REQUIRE(store.size() == 3);

  clock.advance(10s);  // x's lease is over; a and b are committed for an hour
  const qw::reserve_result d = store.reserve("d");
  REQUIRE(d.status == qw::reserve_status::acquired);
  CHECK(store.size() == 3);
  CHECK(store.reserve("a").status == qw::reserve_status::already_processed);
  CHECK(store.reserve("b").status == qw::reserve_status::already_processed);

  // Nothing expired: the oldest committed key (a) goes, the in-flight d stays.
  const qw::reserve_result x2 = store.reserve("x");
  REQUIRE(x2.status == qw::reserve_status::acquired);
  CHECK(store.size() == 3);
  CHECK(store.reserve("b").status == qw::reserve_status::already_processed);
  CHECK(store.reserve("d").status == qw::reserve_status::in_flight);
  const qw::reserve_result a2 = store.reserve("a");  // evicted, so processed again; this evicts b
  REQUIRE(a2.status == qw::reserve_status::acquired);

  SECTION("only in-flight reservations left: new keys get store_error, known keys still answer") {
    CHECK(store.reserve("b").status == qw::reserve_status::store_error);
    CHECK(store.reserve("e").status == qw::reserve_status::store_error);
    CHECK(store.reserve("d").status == qw::reserve_status::in_flight);
    CHECK(store.size() == 3);

    REQUIRE(store.release("a", a2.token) == qw::store_status::ok);
    CHECK(store.reserve("e").status == qw::reserve_status::acquired);
  }
  SECTION("a commit makes room again") {
    REQUIRE(store.commit("d", d.token) == qw::store_status::ok);
    CHECK(store.reserve("e").status == qw::reserve_status::acquired);  // evicts d
    CHECK(store.reserve("d").status == qw::reserve_status::store_error);
    CHECK(store.reserve("x").status == qw::reserve_status::in_flight);
  }
}

TEST_CASE("max_entries 0 is treated as 1", "[idempotency]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock, 0));
  const qw::reserve_result r = store.reserve("a");
  REQUIRE(r.status == qw::reserve_status::acquired);
  CHECK(store.reserve("b").status == qw::reserve_status::store_error);
}

TEST_CASE("an empty key is refused rather than shared by all keyless events", "[idempotency]") {
  qw::memory_store store;
  CHECK(store.reserve("").status == qw::reserve_status::store_error);
  CHECK(store.size() == 0);
}

TEST_CASE("the reservation guard releases on scope exit unless committed", "[idempotency][reservation]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock));

  SECTION("handler failed: scope exit releases") {
    {
      qw::reservation r(store, "evt-1");
      REQUIRE(r.acquired());
      CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);
    }
    CHECK(store.reserve("evt-1").status == qw::reserve_status::acquired);
  }
  SECTION("handler succeeded: commit survives scope exit") {
    {
      qw::reservation r(store, "evt-1");
      REQUIRE(r.acquired());
      CHECK(r.commit() == qw::store_status::ok);
      CHECK(r.commit() == qw::store_status::not_held);   // once only
      CHECK(r.release() == qw::store_status::not_held);  // too late to release
    }
    CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
  }
  SECTION("early return releases") {
    auto handle = [&store](bool fail) {
      qw::reservation r(store, "evt-1");
      if (!r.acquired() || fail) return false;
      return r.commit() == qw::store_status::ok;
    };
    CHECK_FALSE(handle(true));
    CHECK(handle(false));  // acquirable again, then committed
    CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
  }
  SECTION("an exception releases") {
    try {
      qw::reservation r(store, "evt-1");
      REQUIRE(r.acquired());
      throw std::runtime_error("handler failed");
    } catch (const std::runtime_error&) {
    }
    CHECK(store.reserve("evt-1").status == qw::reserve_status::acquired);
  }
  SECTION("explicit release, then destruction does not release twice") {
    const std::string key = "evt-1";
    {
      qw::reservation r(store, key);
      REQUIRE(r.release() == qw::store_status::ok);
      CHECK(r.release() == qw::store_status::not_held);
      // Someone else takes the key; the guard's destructor must leave them alone.
      REQUIRE(store.reserve(key).status == qw::reserve_status::acquired);
    }
    CHECK(store.reserve(key).status == qw::reserve_status::in_flight);
  }
  SECTION("a guard that did not acquire never releases the holder's reservation") {
    const qw::reserve_result holder = store.reserve("evt-1");
    REQUIRE(holder.status == qw::reserve_status::acquired);
    {
      qw::reservation dup(store, "evt-1");
      CHECK(dup.status() == qw::reserve_status::in_flight);
      CHECK_FALSE(dup.acquired());
      CHECK(dup.commit() == qw::store_status::not_held);
    }
    CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);
  }
  SECTION("moving the guard moves the duty to release") {
    std::vector<qw::reservation> held;
    {
      qw::reservation r(store, "evt-1");
      REQUIRE(r.acquired());
      held.push_back(std::move(r));
    }  // the moved-from guard must not release
    CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);
    held.clear();
    CHECK(store.reserve("evt-1").status == qw::reserve_status::acquired);
  }
}

TEST_CASE("the guard cannot bind a temporary string", "[idempotency][reservation]") {
  STATIC_REQUIRE(std::is_constructible_v<qw::reservation, qw::idempotency_store&, std::string_view>);
  STATIC_REQUIRE(std::is_constructible_v<qw::reservation, qw::idempotency_store&, const std::string&>);
  STATIC_REQUIRE_FALSE(std::is_constructible_v<qw::reservation, qw::idempotency_store&, std::string&&>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<qw::reservation>);
}

TEST_CASE("store errors are results, and a guard that got one does not call the store again", "[idempotency]") {
  unavailable_store store;
  {
    qw::reservation r(store, "evt-1");
    CHECK(r.status() == qw::reserve_status::store_error);
    CHECK(r.commit() == qw::store_status::not_held);
  }
  CHECK(store.commits == 0);
  CHECK(store.releases == 0);
}

TEST_CASE("body_key is stable, prefixed, and differs between bodies", "[idempotency][body_key]") {
  const std::string body = R"({"event":{"eventType":"member.created"}})";
  const std::string key = qw::body_key(body);
  CHECK(key == qw::body_key(std::string(body)));  // same bytes, same key
  CHECK(key.size() == 21);
  CHECK(key.rfind("body:", 0) == 0);
  CHECK(key.find_first_not_of("0123456789abcdef", 5) == std::string::npos);

  CHECK(qw::body_key(body + " ") != key);  // one byte more
  CHECK(qw::body_key(R"({"event":{"eventType":"member.createe"}})") != key);
  // FNV-1a 64 reference values, so the key does not change between releases (stores outlive upgrades).
  CHECK(qw::body_key("") == "body:cbf29ce484222325");
  CHECK(qw::body_key("a") == "body:af63dc4c8601ec8c");
  CHECK(qw::body_key("foobar") == "body:85944171f73967e8");
}

TEST_CASE("concurrent deliveries: each key is processed and committed exactly once", "[idempotency][threads]") {
  constexpr int thread_count = 8;
  constexpr std::size_t key_count = 256;
  qw::memory_store store;  // real clock: the 60 s lease never runs out during the test

  std::vector<std::string> keys;
  for (std::size_t i = 0; i < key_count; ++i) keys.push_back("evt-" + std::to_string(i));

  std::array<std::atomic<int>, key_count> acquisitions{};
  std::array<std::atomic<int>, key_count> commits{};
  std::array<std::atomic<int>, key_count> active{};
  std::array<std::atomic<bool>, key_count> failed_once{};
  std::atomic<int> overlaps{0};
  std::atomic<int> errors{0};
  std::atomic<int> duplicates{0};
  std::atomic<bool> go{false};

  auto worker = [&](int id) {
    while (!go.load()) std::this_thread::yield();
    for (std::size_t n = 0; n < key_count; ++n) {
      // Threads start at different offsets, then all of them walk every key: same and different keys at once.
      const std::size_t k = (n + static_cast<std::size_t>(id) * 37) % key_count;
      for (;;) {
        const qw::reserve_result r = store.reserve(keys[k]);
        if (r.status == qw::reserve_status::in_flight) {
          std::this_thread::yield();  // the platform would retry later
          continue;
        }
        if (r.status == qw::reserve_status::already_processed) {
          duplicates.fetch_add(1);
          break;
        }
        if (r.status != qw::reserve_status::acquired) {
          errors.fetch_add(1);
          break;
        }
        if (active[k].fetch_add(1) != 0) overlaps.fetch_add(1);
        acquisitions[k].fetch_add(1);
        std::this_thread::yield();  // "processing"
        // Every fourth key fails the first time, so it must be released and processed again.
        const bool fail = k % 4 == 0 && !failed_once[k].exchange(true);
        active[k].fetch_sub(1);
        if (fail) {
          if (store.release(keys[k], r.token) != qw::store_status::ok) errors.fetch_add(1);
          continue;
        }
        if (store.commit(keys[k], r.token) == qw::store_status::ok) {
          commits[k].fetch_add(1);
        } else {
          errors.fetch_add(1);
        }
        break;
      }
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < thread_count; ++i) threads.emplace_back(worker, i);
  go.store(true);
  for (auto& t : threads) t.join();

  CHECK(errors.load() == 0);
  CHECK(overlaps.load() == 0);
  CHECK(duplicates.load() == static_cast<int>(key_count) * (thread_count - 1));
  CHECK(store.size() == key_count);
  int wrong = 0;
  for (std::size_t k = 0; k < key_count; ++k) {
    const int expected_acquisitions = k % 4 == 0 ? 2 : 1;
    if (commits[k].load() != 1 || acquisitions[k].load() != expected_acquisitions) ++wrong;
  }
  CHECK(wrong == 0);
  for (std::size_t k = 0; k < key_count; ++k) {
    CHECK(store.reserve(keys[k]).status == qw::reserve_status::already_processed);
  }
}

TEST_CASE("renew restarts the lease of the holder only", "[idempotency]") {
  fake_clock clock;
  qw::memory_store store(options_with(clock));
  const qw::reserve_result held = store.reserve("evt-1");
  REQUIRE(held.status == qw::reserve_status::acquired);
  clock.advance(8s);
  CHECK(store.renew("evt-1", held.token ^ 1) == qw::store_status::not_held);  // someone else's token
  REQUIRE(store.renew("evt-1", held.token) == qw::store_status::ok);
  clock.advance(8s);  // 16 s after the reserve, 8 s after the renew: still held
  CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);
  // Another key reserved after the renewed one expires after it: the in-flight list stays in expiry order.
  const qw::reserve_result other = store.reserve("evt-2");
  REQUIRE(other.status == qw::reserve_status::acquired);
  clock.advance(3s);  // evt-1's renewed lease is over, evt-2's is not
  CHECK(store.reserve("evt-1").status == qw::reserve_status::acquired);
  CHECK(store.reserve("evt-2").status == qw::reserve_status::in_flight);
  REQUIRE(store.commit("evt-2", other.token) == qw::store_status::ok);
  CHECK(store.renew("evt-2", other.token) == qw::store_status::not_held);  // committed: nothing to renew
  CHECK(store.renew("evt-3", 1) == qw::store_status::not_held);
}
