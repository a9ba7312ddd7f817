// The Redis idempotency store against a real redis-server, which this program starts on a unix socket in a fresh
// directory under /tmp (so that parallel test runs never share a server) and stops, kills, pauses and restarts to
// check the failure paths. The server dies with this program (PR_SET_PDEATHSIG on Linux); as a backstop its pid and
// directory are recorded in QURABLE_REDIS_PID_DIR, which the ctest cleanup fixture (redis_cleanup.sh) sweeps.
#include <qurable/webhooks/idempotency/redis_store.hpp>
#include <qurable/webhooks/queue/async_receiver.hpp>

#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/redis_server.hpp"

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;
using namespace std::chrono_literals;

#ifndef QURABLE_REDIS_SERVER
#error "QURABLE_REDIS_SERVER must name the redis-server executable"
#endif
#ifndef QURABLE_REDIS_PID_DIR
#error "QURABLE_REDIS_PID_DIR must name a directory for the servers' pid files"
#endif

namespace {

using qtest::raw_client;

qtest::redis_server& server() { return qtest::shared_redis_server(); }

// Every test gets keys of its own, so that they never see each other's.
qw::redis_store_options options_for(std::string_view test) {
  static std::atomic<int> counter{0};
  qw::redis_store_options o;
  o.unix_socket = server().socket();
  o.key_prefix = "qwtest:" + std::to_string(++counter) + ":" + std::string(test) + ":";
  o.lease = 10s;
  o.committed_ttl = 1h;
  o.connect_timeout = 1s;
  o.command_timeout = 1s;
  return o;
}

std::string token_hex(std::uint64_t token) {
  const auto hex = qw::detail::token_hex(token);
  return std::string(hex.data(), hex.size());
}

// A TCP port on 127.0.0.1 with nobody listening (it was free a moment ago).
int unused_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

template <class F>
std::chrono::milliseconds time_of(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

const qw::authentication no_auth = qw::authentication::none_i_know_what_i_am_doing();

}  // namespace

TEST_CASE("redis: reserve, commit, and a redelivery is already_processed; the keys are as documented", "[redis]") {
  const qw::redis_store_options o = options_for("basic");
  qw::redis_store store(o);
  raw_client raw(server().socket());
  REQUIRE(store.ping() == qw::store_status::ok);

  const qw::reserve_result first = store.reserve("evt-1");
  REQUIRE(first.status == qw::reserve_status::acquired);
  REQUIRE(first.token != 0);
  // Reserved: the value is the token, expiring after the lease.
  CHECK(raw.run({"GET", o.key_prefix + "evt-1"}).text == token_hex(first.token));
  const long long lease_left = raw.run({"PTTL", o.key_prefix + "evt-1"}).integer;
  CHECK(lease_left > 9'000);
  CHECK(lease_left <= 10'000);

  CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);
  CHECK(store.commit("evt-1", first.token ^ 1) == qw::store_status::not_held);  // someone else's token
  REQUIRE(store.commit("evt-1", first.token) == qw::store_status::ok);
  // Committed: "done:" + the token, expiring after the TTL.
  CHECK(raw.run({"GET", o.key_prefix + "evt-1"}).text == "done:" + token_hex(first.token));
  const long long ttl_left = raw.run({"PTTL", o.key_prefix + "evt-1"}).integer;
  CHECK(ttl_left > 3'590'000);
  CHECK(ttl_left <= 3'600'000);

  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
  CHECK(store.commit("evt-1", first.token) == qw::store_status::ok);         // committing twice is ok
  CHECK(store.release("evt-1", first.token) == qw::store_status::not_held);  // a committed key stays committed
  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
  CHECK(store.reserve("evt-2").status == qw::reserve_status::acquired);  // other keys are unaffected
  CHECK(store.commit("never-reserved", first.token) == qw::store_status::not_held);
  CHECK(store.last_error().empty());
}

TEST_CASE("redis: renew restarts the lease of the holder only", "[redis]") {
  qw::redis_store_options o = options_for("renew");
  o.lease = 300ms;
  qw::redis_store store(o);
  raw_client raw(server().socket());
  const qw::reserve_result held = store.reserve("evt-1");
  REQUIRE(held.status == qw::reserve_status::acquired);
  std::this_thread::sleep_for(200ms);
  CHECK(store.renew("evt-1", held.token ^ 1) == qw::store_status::not_held);
  REQUIRE(store.renew("evt-1", held.token) == qw::store_status::ok);
  CHECK(raw.run({"PTTL", o.key_prefix + "evt-1"}).integer > 200);  // a whole lease again
  REQUIRE(store.commit("evt-1", held.token) == qw::store_status::ok);
  CHECK(store.renew("evt-1", held.token) == qw::store_status::not_held);  // committed
  CHECK(store.renew("evt-2", 7) == qw::store_status::not_held);
}

TEST_CASE("redis: release lets the next delivery acquire the key again", "[redis]") {
  const qw::redis_store_options o = options_for("release");
  qw::redis_store store(o);
  raw_client raw(server().socket());

  const qw::reserve_result first = store.reserve("evt-1");
  REQUIRE(first.status == qw::reserve_status::acquired);
  REQUIRE(store.release("evt-1", first.token) == qw::store_status::ok);
  CHECK(raw.run({"EXISTS", o.key_prefix + "evt-1"}).integer == 0);
  CHECK(store.release("evt-1", first.token) == qw::store_status::not_held);  // released already

  const qw::reserve_result second = store.reserve("evt-1");
  REQUIRE(second.status == qw::reserve_status::acquired);
  CHECK(second.token != first.token);
  CHECK(store.commit("evt-1", first.token) == qw::store_status::not_held);  // the old token holds nothing
  CHECK(store.commit("evt-1", second.token) == qw::store_status::ok);
}

TEST_CASE("redis: two stores on the same Redis see each other's reservations (two receiver instances)", "[redis]") {
  const qw::redis_store_options o = options_for("shared");
  qw::redis_store instance_a(o);
  qw::redis_store instance_b(o);

  const qw::reserve_result a = instance_a.reserve("evt-1");
  REQUIRE(a.status == qw::reserve_status::acquired);
  CHECK(instance_b.reserve("evt-1").status == qw::reserve_status::in_flight);
  CHECK(instance_b.release("evt-1", a.token) == qw::store_status::ok);  // the token is all that counts
  const qw::reserve_result b = instance_b.reserve("evt-1");
  REQUIRE(b.status == qw::reserve_status::acquired);
  CHECK(instance_a.reserve("evt-1").status == qw::reserve_status::in_flight);
  REQUIRE(instance_b.commit("evt-1", b.token) == qw::store_status::ok);
  CHECK(instance_a.reserve("evt-1").status == qw::reserve_status::already_processed);

  // Another prefix is another namespace.
  qw::redis_store_options other = o;
  other.key_prefix += "other:";
  qw::redis_store elsewhere(other);
  CHECK(elsewhere.reserve("evt-1").status == qw::reserve_status::acquired);
}

TEST_CASE("redis: a lease that runs out is taken over, and the first holder's token is fenced off", "[redis]") {
  qw::redis_store_options o = options_for("lease");
  o.lease = 150ms;
  qw::redis_store store(o);
  raw_client raw(server().socket());

  const qw::reserve_result slow = store.reserve("evt-1");
  REQUIRE(slow.status == qw::reserve_status::acquired);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);
  std::this_thread::sleep_for(300ms);  // the slow handler outlives its lease; Redis expires the reservation

  const qw::reserve_result retry = store.reserve("evt-1");
  REQUIRE(retry.status == qw::reserve_status::acquired);
  CHECK(retry.token != slow.token);
  CHECK(store.commit("evt-1", slow.token) == qw::store_status::not_held);
  CHECK(store.release("evt-1", slow.token) == qw::store_status::not_held);
  CHECK(raw.run({"GET", o.key_prefix + "evt-1"}).text == token_hex(retry.token));  // the new holder is untouched

  REQUIRE(store.commit("evt-1", retry.token) == qw::store_status::ok);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
  CHECK(store.release("evt-1", slow.token) == qw::store_status::not_held);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
}

TEST_CASE("redis: a committed key expires after the TTL and is processed again", "[redis]") {
  qw::redis_store_options o = options_for("ttl");
  o.committed_ttl = 150ms;
  qw::redis_store store(o);

  const qw::reserve_result first = store.reserve("evt-1");
  REQUIRE(first.status == qw::reserve_status::acquired);
  REQUIRE(store.commit("evt-1", first.token) == qw::store_status::ok);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::already_processed);
  std::this_thread::sleep_for(300ms);
  const qw::reserve_result late = store.reserve("evt-1");
  CHECK(late.status == qw::reserve_status::acquired);
  CHECK(late.token != first.token);
}

TEST_CASE("redis: keys are arbitrary bytes, compared byte for byte", "[redis]") {
  const qw::redis_store_options o = options_for("bytes");
  qw::redis_store store(o);
  raw_client raw(server().socket());

  const std::vector<std::string> keys = {
      "with space",
      std::string("a\0b", 3),
      std::string("a\0c", 3),
      std::string("\0", 1),
      std::string(10'000, 'k'),
      "\xff\xfe\r\n*1\r\n$4\r\nPING\r\n",  // invalid UTF-8 and RESP framing: sent as one argument
      "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",  // "ключ"
  };
  std::vector<std::uint64_t> tokens;
  for (const std::string& key : keys) {
    const qw::reserve_result r = store.reserve(key);
    REQUIRE(r.status == qw::reserve_status::acquired);
    tokens.push_back(r.token);
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    CHECK(raw.run({"GET", o.key_prefix + keys[i]}).text == token_hex(tokens[i]));
    CHECK(store.commit(keys[i], tokens[i]) == qw::store_status::ok);
    CHECK(store.reserve(keys[i]).status == qw::reserve_status::already_processed);
  }
  CHECK(raw.run({"DBSIZE"}).integer >= static_cast<long long>(keys.size()));
  // Prefixes of the keys above are other keys.
  CHECK(store.reserve("a").status == qw::reserve_status::acquired);
  CHECK(store.reserve(std::string(9'999, 'k')).status == qw::reserve_status::acquired);
  CHECK(store.reserve("with").status == qw::reserve_status::acquired);
}

TEST_CASE("redis: an empty key is store_error; an empty key or token 0 holds nothing", "[redis]") {
  qw::redis_store store(options_for("empty"));
  const qw::reserve_result r = store.reserve("");
  CHECK(r.status == qw::reserve_status::store_error);
  CHECK(r.token == 0);
  CHECK(store.commit("", 1) == qw::store_status::not_held);
  CHECK(store.release("", 1) == qw::store_status::not_held);
  const qw::reserve_result held = store.reserve("evt-1");
  REQUIRE(held.status == qw::reserve_status::acquired);
  CHECK(store.commit("evt-1", 0) == qw::store_status::not_held);
  CHECK(store.reserve("evt-1").status == qw::reserve_status::in_flight);  // token 0 did not commit it
}

TEST_CASE("redis: no server at startup is store_error for every call, quickly, and never throws", "[redis][down]") {
  qw::redis_store_options o = options_for("down");
  o.unix_socket = server().socket() + ".nobody-here";
  qw::redis_store no_socket(o);
  CHECK(no_socket.reserve("evt-1").status == qw::reserve_status::store_error);
  CHECK(no_socket.commit("evt-1", 42) == qw::store_status::store_error);
  CHECK(no_socket.release("evt-1", 42) == qw::store_status::store_error);
  CHECK(no_socket.ping() == qw::store_status::store_error);
  CHECK(no_socket.last_error().find("connect") != std::string::npos);

  qw::redis_store_options tcp = options_for("down-tcp");
  tcp.unix_socket.clear();
  tcp.host = "127.0.0.1";
  tcp.port = unused_port();
  qw::redis_store refused(tcp);
  const auto elapsed = time_of([&] { CHECK(refused.reserve("evt-1").status == qw::reserve_status::store_error); });
  CHECK(elapsed < 1s);
  CHECK(refused.ping() == qw::store_status::store_error);
  CHECK_FALSE(refused.last_error().empty());
}

TEST_CASE("redis: the server dies, the store answers store_error, and recovers once it is back", "[redis][down]") {
  const qw::redis_store_options o = options_for("restart");
  qw::redis_store store(o);
  const qw::reserve_result held = store.reserve("evt-held");
  REQUIRE(held.status == qw::reserve_status::acquired);
  const qw::reserve_result done = store.reserve("evt-done");
  REQUIRE(done.status == qw::reserve_status::acquired);
  REQUIRE(store.commit("evt-done", done.token) == qw::store_status::ok);

  server().stop(SIGKILL);
  // The pooled connection is dead: writing to it raises SIGPIPE, which must not kill this program.
  CHECK(store.reserve("evt-1").status == qw::reserve_status::store_error);
  CHECK(store.commit("evt-held", held.token) == qw::store_status::store_error);
  CHECK(store.release("evt-held", held.token) == qw::store_status::store_error);
  CHECK(store.ping() == qw::store_status::store_error);
  CHECK_FALSE(store.last_error().empty());

  server().start();  // an empty server: nothing was persisted
  CHECK(store.ping() == qw::store_status::ok);
  CHECK(store.commit("evt-held", held.token) == qw::store_status::not_held);  // the reservation is gone
  CHECK(store.reserve("evt-done").status == qw::reserve_status::acquired);    // and so is the record
  const qw::reserve_result again = store.reserve("evt-1");
  REQUIRE(again.status == qw::reserve_status::acquired);
  CHECK(store.commit("evt-1", again.token) == qw::store_status::ok);

  // A clean shutdown while connections are pooled, then a restart: the same.
  server().stop(SIGTERM);
  CHECK(store.reserve("evt-2").status == qw::reserve_status::store_error);
  server().start();
  CHECK(store.reserve("evt-2").status == qw::reserve_status::acquired);
}

TEST_CASE("redis: a server that stops answering is store_error after command_timeout", "[redis][down]") {
  qw::redis_store_options o = options_for("hang");
  o.command_timeout = 200ms;
  qw::redis_store store(o);
  REQUIRE(store.ping() == qw::store_status::ok);  // a pooled connection exists

  server().pause();
  std::chrono::milliseconds elapsed{};
  qw::reserve_result r;
  elapsed = time_of([&] { r = store.reserve("evt-1"); });
  server().resume();
  CHECK(r.status == qw::reserve_status::store_error);
  CHECK(elapsed >= 150ms);
  CHECK(elapsed < 2s);

  // The timed-out connection was dropped; a new one works.
  CHECK(store.ping() == qw::store_status::ok);
  const qw::reserve_result next = store.reserve("evt-2");
  REQUIRE(next.status == qw::reserve_status::acquired);
  CHECK(store.commit("evt-2", next.token) == qw::store_status::ok);
}

TEST_CASE("redis: an error reply (out of memory) is store_error, and the store works again after", "[redis][down]") {
  qw::redis_store store(options_for("oom"));
  raw_client raw(server().socket());
  const qw::reserve_result held = store.reserve("evt-held");
  REQUIRE(held.status == qw::reserve_status::acquired);

  REQUIRE(raw.run({"CONFIG", "SET", "maxmemory-policy", "noeviction"}).type == REDIS_REPLY_STATUS);
  REQUIRE(raw.run({"CONFIG", "SET", "maxmemory", "1"}).type == REDIS_REPLY_STATUS);
  const qw::reserve_result r = store.reserve("evt-1");
  raw.run({"CONFIG", "SET", "maxmemory", "0"});
  CHECK(r.status == qw::reserve_status::store_error);
  CHECK(store.last_error().find("OOM") != std::string::npos);

  const qw::reserve_result after = store.reserve("evt-1");
  REQUIRE(after.status == qw::reserve_status::acquired);
  CHECK(store.commit("evt-1", after.token) == qw::store_status::ok);
  CHECK(store.commit("evt-held", held.token) == qw::store_status::ok);
}

TEST_CASE("redis: AUTH and SELECT on every new connection", "[redis]") {
  raw_client raw(server().socket());
  REQUIRE(raw.run({"CONFIG", "SET", "requirepass", "s3cret"}).type == REDIS_REPLY_STATUS);
  struct restore {
    raw_client& raw;
    ~restore() { raw.run({"CONFIG", "SET", "requirepass", ""}); }
  } restore_password{raw};

  qw::redis_store_options o = options_for("auth");
  qw::redis_store no_password(o);
  CHECK(no_password.reserve("evt-1").status == qw::reserve_status::store_error);
  CHECK(no_password.last_error().find("NOAUTH") != std::string::npos);

  o.password = "wrong";
  qw::redis_store wrong_password(o);
  CHECK(wrong_password.ping() == qw::store_status::store_error);

  o.password = "s3cret";
  o.database = 3;
  qw::redis_store with_password(o);
  const qw::reserve_result r = with_password.reserve("evt-1");
  REQUIRE(r.status == qw::reserve_status::acquired);
  CHECK(raw.run({"EXISTS", o.key_prefix + "evt-1"}).integer == 0);  // not in database 0
  raw.run({"SELECT", "3"});
  CHECK(raw.run({"GET", o.key_prefix + "evt-1"}).text == token_hex(r.token));
  raw.run({"SELECT", "0"});

  o.username = "default";  // Redis 6 ACL form: AUTH <username> <password>
  qw::redis_store with_user(o);
  CHECK(with_user.reserve("evt-1").status == qw::reserve_status::in_flight);
}

TEST_CASE("redis: threads racing on the same keys: exactly one acquires each", "[redis][threads]") {
  qw::redis_store_options o = options_for("race");
  o.pool_size = 3;  // fewer connections than threads: calls wait for one
  qw::redis_store store(o);
  qw::redis_store second(o);  // another instance on the same keys

  constexpr int thread_count = 8;
  constexpr int key_count = 100;
  std::vector<std::vector<std::uint64_t>> acquired(thread_count, std::vector<std::uint64_t>(key_count, 0));
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      qw::redis_store& s = t % 2 == 0 ? store : second;  // two "instances", four threads each
      for (int i = 0; i < key_count; ++i) {
        const int k = (i * (t + 1) + t) % key_count;  // every thread in its own order
        const qw::reserve_result r = s.reserve("evt-" + std::to_string(k));
        if (r.status == qw::reserve_status::acquired) {
          acquired[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)] = r.token;
        } else if (r.status != qw::reserve_status::in_flight) {
          ++errors;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(errors == 0);

  std::set<std::uint64_t> tokens;
  for (int k = 0; k < key_count; ++k) {
    int winners = 0;
    for (int t = 0; t < thread_count; ++t) {
      const std::uint64_t token = acquired[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)];
      if (token == 0) continue;
      ++winners;
      tokens.insert(token);
      CHECK(store.commit("evt-" + std::to_string(k), token) == qw::store_status::ok);
    }
    CHECK(winners == 1);
  }
  CHECK(tokens.size() == static_cast<std::size_t>(key_count));
  for (int k = 0; k < key_count; ++k) {
    CHECK(second.reserve("evt-" + std::to_string(k)).status == qw::reserve_status::already_processed);
  }
  CHECK(store.last_error().empty());
}

TEST_CASE("redis: behind two receivers, a duplicate is answered duplicate and the handler runs once",
          "[redis][receiver]") {
  const qw::redis_store_options o = options_for("receiver");
  qw::redis_store store_a(o);
  qw::redis_store store_b(o);
  qw::receiver_options options_a;
  options_a.idempotency = &store_a;
  qw::receiver_options options_b;
  options_b.idempotency = &store_b;

  std::atomic<int> members{0};
  std::atomic<int> coupons{0};
  auto visitor = qw::overloaded{
      [&members](const qw::member_created&) { ++members; },
      [&coupons](const qw::coupon_code_used&) {
        return ++coupons == 1 ? qw::handler_result::failure("ledger unavailable") : qw::handler_result::success();
      },
      [](const qw::event_envelope&) {},
  };
  const qw::receiver instance_a(visitor, no_auth, options_a);
  const qw::receiver instance_b(visitor, no_auth, options_b);

  const std::string member(qwt::examples::member_created);
  qw::response r = instance_a.handle("POST", qwt::json_headers(), member);
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::dispatched);
  r = instance_b.handle("POST", qwt::json_headers(), member);  // the retry lands on the other instance
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::duplicate);
  CHECK(members == 1);

  // A failed handler releases the key: the retry, wherever it lands, runs it again; then it is a duplicate.
  const std::string coupon(qwt::examples::coupon_code_used);
  r = instance_a.handle("POST", qwt::json_headers(), coupon);
  CHECK(r.status() == 500);
  CHECK(r.outcome().kind == qw::outcome_kind::handler_failed);
  r = instance_b.handle("POST", qwt::json_headers(), coupon);
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::dispatched);
  r = instance_a.handle("POST", qwt::json_headers(), coupon);
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::duplicate);
  CHECK(coupons == 2);

  raw_client raw(server().socket());
  // The receiver's default key: "<eventType>:<loyaltyEventKey>".
  CHECK(raw.run({"GET", o.key_prefix + "member-created:ev_01JSKZG24NMDB0RRQHF247NSCX"}).text.rfind("done:", 0) == 0);
  CHECK(raw.run({"GET", o.key_prefix + "coupon-code-used:ev_c11viQYM0YZHBS9X3G0VMVyfMQ"}).text.rfind("done:", 0) == 0);
}

TEST_CASE("redis: with Redis unreachable the receiver answers 503 with Retry-After and runs no handler",
          "[redis][receiver][down]") {
  qw::redis_store_options o = options_for("receiver-down");
  o.unix_socket = server().socket() + ".nobody-here";
  qw::redis_store store(o);
  qw::receiver_options options;
  options.idempotency = &store;
  options.retry_after = std::chrono::seconds(7);
  std::atomic<int> calls{0};
  const qw::receiver rx(qw::overloaded{[&calls](const qw::event_envelope&) { ++calls; }}, no_auth, options);

  const qw::response r = rx.handle("POST", qwt::json_headers(), std::string(qwt::examples::member_created));
  CHECK(r.status() == 503);
  CHECK(r.outcome().kind == qw::outcome_kind::store_unavailable);
  bool has_retry_after = false;
  for (const qw::http_header& h : r.headers()) {
    if (h.name == "Retry-After") has_retry_after = h.value == "7";
  }
  CHECK(has_retry_after);
  CHECK(calls == 0);
}

namespace {

// A unix-socket proxy in front of the test server that can break a connection after Redis ran a SET and before its
// reply reaches the client: what a connection reset at the wrong moment looks like to the store. Bounded: every
// wait has a timeout, the thread ends with the object.
class breaking_proxy {
 public:
  explicit breaking_proxy(std::string path) : path_(std::move(path)) {
    ::unlink(path_.c_str());
    listener_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener_, 8) != 0) {
      throw std::runtime_error("breaking_proxy: cannot listen");
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~breaking_proxy() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
    ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::atomic<bool> break_after_set{false};
  std::atomic<int> broken{0};

 private:
  struct pair_fd {
    int client, server;
    bool set_sent;
  };

  void loop() {
    std::vector<pair_fd> pairs;
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (const pair_fd& p : pairs) {
        fds.push_back({p.client, POLLIN, 0});
        fds.push_back({p.server, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int client = accept(listener_, nullptr, nullptr);
        const int upstream = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", server().socket().c_str());
        if (client >= 0 && upstream >= 0 && connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
          pairs.push_back({client, upstream, false});
        } else {
          if (client >= 0) ::close(client);
          if (upstream >= 0) ::close(upstream);
        }
        continue;
      }
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        pair_fd& p = pairs[i];
        char buffer[65536];
        bool closed = false;
        if (fds[1 + 2 * i].revents & (POLLIN | POLLHUP)) {
          const ssize_t n = read(p.client, buffer, sizeof buffer);
          if (n <= 0) {
            closed = true;
          } else {
            if (break_after_set &&
                std::string_view(buffer, static_cast<std::size_t>(n)).find("SET") != std::string_view::npos) {
              p.set_sent = true;
            }
            (void)!write(p.server, buffer, static_cast<std::size_t>(n));
          }
        }
        if (!closed && (fds[2 + 2 * i].revents & (POLLIN | POLLHUP))) {
          const ssize_t n = read(p.server, buffer, sizeof buffer);
          if (n <= 0 || (p.set_sent && break_after_set.exchange(false))) {
            closed = true;  // the SET ran; its reply is dropped with the connection
            if (n > 0) ++broken;
          } else {
            (void)!write(p.client, buffer, static_cast<std::size_t>(n));
          }
        }
        if (closed) {
          ::close(p.client);
          ::close(p.server);
          pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(i));
          break;  // the poll set changed
        }
      }
    }
    for (const pair_fd& p : pairs) {
      ::close(p.client);
      ::close(p.server);
    }
  }

  std::string path_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("redis: a reserve whose SET ran before the connection broke is acquired by its retry, not left orphaned",
          "[redis]") {
  breaking_proxy proxy(server().socket() + ".proxy");
  qw::redis_store_options o = options_for("orphan");
  o.unix_socket = proxy.path();
  qw::redis_store store(o);
  // A pooled connection first: the retry-once applies to a connection that was reused.
  const qw::reserve_result warm = store.reserve("warm");
  REQUIRE(warm.status == qw::reserve_status::acquired);
  proxy.break_after_set = true;
  const qw::reserve_result r = store.reserve("ev_orphan");
  CHECK(proxy.broken == 1);
  REQUIRE(r.status == qw::reserve_status::acquired);
  raw_client raw(server().socket());
  CHECK(raw.run({"GET", o.key_prefix + "ev_orphan"}).text == token_hex(r.token));
  CHECK(store.commit("ev_orphan", r.token) == qw::store_status::ok);
  CHECK(store.reserve("ev_orphan").status == qw::reserve_status::already_processed);
}

TEST_CASE("redis: an event whose reservation expired while it waited in async_receiver's queue still runs, once",
          "[redis][queue]") {
  qw::redis_store_options so = options_for("queued");
  so.lease = 100ms;  // shorter than the second event's wait in the queue
  qw::redis_store store(so);
  qw::receiver_options ro;
  ro.idempotency = &store;
  std::atomic<int> dead{0};
  ro.dead_letter = [&](std::string_view, const qw::outcome&) { ++dead; };
  qw::async_options ao;
  ao.workers = 1;
  std::atomic<int> first{0}, second{0};
  int status = 0;
  {
    qw::async_receiver rx(
        [&](const qw::event_envelope& e) {
          if (e.loyalty_event_key == "ev_q1") {
            ++first;
            std::this_thread::sleep_for(400ms);  // ev_q2 waits in the queue meanwhile; its lease runs out
          } else {
            ++second;
          }
        },
        qw::authentication::none_i_know_what_i_am_doing(), ro, ao);
    REQUIRE(rx.handle("POST", qwt::json_headers(),
                      qwt::event_builder(qwt::examples::member_created).loyalty_event_key("ev_q1").body())
                .status() == 202);
    status = rx.handle("POST", qwt::json_headers(),
                       qwt::event_builder(qwt::examples::member_created).loyalty_event_key("ev_q2").body())
                 .status();
    rx.shutdown();
  }
  CHECK(status == 202);
  CHECK(first == 1);
  CHECK(second == 1);
  CHECK(dead == 0);
  CHECK(store.reserve("member-created:ev_q2").status == qw::reserve_status::already_processed);
}
