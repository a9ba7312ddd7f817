// The durable hand-off on Redis Streams against a real redis-server (started by this program, see
// support/redis_server.hpp): the receiver answers 202 only after XADD, 503 when Redis cannot take the event; workers
// in a consumer group process each event once, claim what a dead worker left pending, dead-letter after
// max_attempts, and apply queued Redis effects atomically with the commit. Every wait is bounded.
#include <qurable/webhooks/idempotency/redis_store.hpp>
#include <qurable/webhooks/queue/redis_stream_receiver.hpp>
#include <qurable/webhooks/queue/redis_stream_worker.hpp>

#include <qurable/webhooks/testing/event_builder.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/redis_server.hpp"

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;
using namespace std::chrono_literals;

namespace {

qtest::redis_server& server() { return qtest::shared_redis_server(); }

// Every test gets keys of its own.
qw::redis_stream_options stream_for(std::string_view test) {
  static std::atomic<int> counter{0};
  const std::string prefix = "qwstream:" + std::to_string(++counter) + ":" + std::string(test) + ":";
  qw::redis_stream_options o;
  o.connection.unix_socket = server().socket();
  o.connection.command_timeout = 1s;
  o.stream = prefix + "stream";
  o.dead_letter_stream = prefix + "dead";
  o.key_prefix = prefix + "key:";
  o.group = "workers";
  return o;
}

qw::redis_worker_options fast_worker(std::string consumer) {
  qw::redis_worker_options w;
  w.consumer = std::move(consumer);
  w.block = 50ms;
  w.visibility_timeout = 300ms;
  w.max_attempts = 3;
  return w;
}

std::string event_body(std::string_view key) {
  return qwt::event_builder(qwt::examples::member_created).loyalty_event_key(key).body();
}

const qw::authentication no_auth = qw::authentication::none_i_know_what_i_am_doing();

// Counts handler runs per loyaltyEventKey; fails the keys listed in `failing`; queues an INCR of `counter_key`.
struct counting_handler {
  struct state {
    std::mutex mutex;
    std::map<std::string, int> runs;
    std::vector<std::string> failing;
    std::string counter_key;
  };
  state* s;

  qw::handler_result operator()(const qw::event_envelope& e) const {
    const std::string key(e.loyalty_event_key);
    {
      std::lock_guard<std::mutex> lock(s->mutex);
      ++s->runs[key];
      for (const std::string& f : s->failing) {
        if (f == key) return qw::handler_result::failure("told to fail");
      }
    }
    if (!s->counter_key.empty()) qw::redis_effects::current().command({"INCR", s->counter_key});
    return qw::handler_result::success();
  }
};

template <class Worker>
void poll_until(Worker& worker, const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < until) (void)worker.poll();
}

long long integer(qtest::raw_client& raw, const std::vector<std::string>& command) { return raw.run(command).integer; }

// The number of entries pending in the group: element 0 of XPENDING's summary (qtest::reply keeps no array elements,
// so a script picks it out). -1 when Redis answered something else.
long long pending_count(qtest::raw_client& raw, const qw::redis_stream_options& o) {
  const qtest::reply r =
      raw.run({"EVAL", "return redis.call('XPENDING', KEYS[1], ARGV[1])[1]", "1", o.stream, o.group});
  return r.type == REDIS_REPLY_INTEGER ? r.integer : -1;
}

// Every entry of a stream (XRANGE - +): its id and fields.
struct stream_entry {
  std::string id;
  std::map<std::string, std::string> fields;
};
std::vector<stream_entry> xrange(const std::string& stream) {
  redisContext* c = redisConnectUnix(server().socket().c_str());
  if (c == nullptr || c->err != 0) throw std::runtime_error("xrange: cannot connect");
  const qw::detail::redis_reply_ptr range(static_cast<redisReply*>(redisCommand(c, "XRANGE %s - +", stream.c_str())));
  redisFree(c);
  if (!range || range->type != REDIS_REPLY_ARRAY) throw std::runtime_error("xrange: no reply");
  std::vector<stream_entry> out;
  for (std::size_t i = 0; i < range->elements; ++i) {
    const redisReply& e = *range->element[i];
    stream_entry entry{std::string(qw::detail::reply_text(*e.element[0])), {}};
    const redisReply& f = *e.element[1];
    for (std::size_t j = 0; j + 1 < f.elements; j += 2) {
      entry.fields[std::string(qw::detail::reply_text(*f.element[j]))] =
          std::string(qw::detail::reply_text(*f.element[j + 1]));
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

TEST_CASE("stream receiver: 202 after XADD with the body byte for byte; invalid bodies are not appended",
          "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("receiver");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());

  const std::string body = event_body("ev_r1");
  qwt::headers h = qwt::json_headers();
  h.set("webhook-id", "msg_1");
  const qw::response r = receiver.handle("POST", h, body);
  CHECK(r.status() == 202);
  CHECK(r.outcome().kind == qw::outcome_kind::accepted);
  CHECK(r.outcome().loyalty_event_key == "ev_r1");
  REQUIRE(integer(raw, {"XLEN", o.stream}) == 1);

  // The entry as Redis has it: the body field must equal what was posted, byte for byte.
  const std::vector<stream_entry> entries = xrange(o.stream);
  REQUIRE(entries.size() == 1);
  const auto& fields = entries[0].fields;
  CHECK(fields.at("body") == body);
  CHECK(fields.at("webhook-id") == "msg_1");
  CHECK(fields.at("key") == "ev_r1");
  CHECK(fields.at("type") == "member-created");
  CHECK_FALSE(fields.at("received-ms").empty());

  CHECK(receiver.handle("POST", qwt::json_headers(), std::string("{\"event\":")).status() == 400);
  CHECK(receiver.handle("GET", qwt::json_headers(), body).status() == 405);
  CHECK(integer(raw, {"XLEN", o.stream}) == 1);
}

TEST_CASE("stream receiver: 503 + Retry-After when Redis cannot take the event; a throwing hook is contained",
          "[redis][stream][down]") {
  qw::redis_stream_options o = stream_for("down");
  o.connection.unix_socket = "/tmp/qw-no-such-redis.sock";
  o.connection.connect_timeout = 200ms;
  qw::receiver_options ro;
  int hook_calls = 0;
  ro.dead_letter = [&hook_calls](std::string_view, const qw::outcome&) {
    ++hook_calls;
    throw std::runtime_error("hook broke");
  };
  qw::redis_stream_receiver receiver(no_auth, ro, o);
  const qw::response r = receiver.handle("POST", qwt::json_headers(), event_body("ev_down"));
  CHECK(r.status() == 503);
  CHECK(r.outcome().kind == qw::outcome_kind::store_unavailable);
  REQUIRE(r.headers().size() == 1);
  CHECK(r.headers()[0].name == "Retry-After");
  CHECK(hook_calls == 1);
  CHECK(receiver.hook_failures() == 1);
  // Contained once, by receiver_core (as in the synchronous receiver): the outcome notes what the hook said.
  CHECK(r.outcome().message.find("the dead-letter hook threw: hook broke") != std::string::npos);
  CHECK_FALSE(receiver.last_error().empty());
}

TEST_CASE("stream worker: each event once, duplicates acknowledged, effects applied with the commit, stream drained",
          "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("once");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  counting_handler::state st;
  st.counter_key = o.key_prefix + "counter";

  for (const char* key : {"ev_a", "ev_b", "ev_a", "ev_c", "ev_b"}) {
    REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body(key)).status() == 202);
  }
  qw::redis_stream_worker<counting_handler> w1(counting_handler{&st}, o, fast_worker("w1"));
  qw::redis_stream_worker<counting_handler> w2(counting_handler{&st}, o, fast_worker("w2"));
  poll_until(w1, [&] {
    (void)w2.poll();
    return integer(raw, {"XLEN", o.stream}) == 0;
  });
  CHECK(integer(raw, {"XLEN", o.stream}) == 0);
  CHECK(st.runs.size() == 3);
  for (const auto& [key, runs] : st.runs) CHECK(runs == 1);
  CHECK(w1.stats().processed + w2.stats().processed == 3);
  CHECK(w1.stats().duplicates + w2.stats().duplicates == 2);
  CHECK(raw.run({"GET", st.counter_key}).text == "3");  // one INCR per event, none for the duplicates
  CHECK(raw.run({"GET", o.key_prefix + "member-created:ev_a"}).text.rfind("done:", 0) ==
        0);                           // the receivers' key format
  CHECK(pending_count(raw, o) == 0);  // XPENDING's summary [count, first, last, consumers]: its count
  CHECK(integer(raw, {"HLEN", o.stream + ":attempts"}) == 0);

  // A redis_store on the same prefix sees the workers' records (one layout).
  qw::redis_store_options so;
  so.unix_socket = server().socket();
  so.key_prefix = o.key_prefix;
  qw::redis_store store(so);
  CHECK(store.reserve("member-created:ev_b").status == qw::reserve_status::already_processed);
}

TEST_CASE("stream worker: a failing handler is retried, then dead-lettered with its body; no effect is applied",
          "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("dead");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  counting_handler::state st;
  st.failing = {"ev_bad"};
  st.counter_key = o.key_prefix + "counter";
  const std::string bad = event_body("ev_bad");
  REQUIRE(receiver.handle("POST", qwt::json_headers(), bad).status() == 202);
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_good")).status() == 202);

  qw::redis_worker_options wo = fast_worker("w");
  std::vector<std::string> dead_bodies;
  wo.dead_letter = [&dead_bodies](std::string_view body, const qw::outcome& out) {
    dead_bodies.emplace_back(body);
    CHECK(out.kind == qw::outcome_kind::handler_failed);
    throw std::runtime_error("the hook throws: contained");
  };
  std::vector<std::string> lines;
  wo.log = [&lines](std::string_view line) { lines.emplace_back(line); };
  qw::redis_stream_worker<counting_handler> worker(counting_handler{&st}, o, wo);
  poll_until(worker, [&] { return integer(raw, {"XLEN", o.dead_letter_stream}) == 1; });

  CHECK(st.runs["ev_bad"] == 3);  // max_attempts
  CHECK(st.runs["ev_good"] == 1);
  CHECK(worker.stats().failed == 3);
  CHECK(worker.stats().dead_lettered == 1);
  CHECK(worker.stats().hook_failures == 1);
  REQUIRE(dead_bodies.size() == 1);
  CHECK(dead_bodies[0] == bad);
  CHECK_FALSE(lines.empty());
  CHECK(raw.run({"GET", st.counter_key}).text == "1");  // only ev_good's INCR
  CHECK(integer(raw, {"XLEN", o.stream}) == 0);
  CHECK(raw.run({"EXISTS", o.key_prefix + "ev_bad"}).integer == 0);  // released: a replay can run it again

  const std::vector<stream_entry> dead = xrange(o.dead_letter_stream);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].fields.at("body") == bad);
  CHECK(dead[0].fields.at("outcome") == "handler_failed");
  CHECK(dead[0].fields.at("error") == "told to fail");
  CHECK(dead[0].fields.at("attempts") == "3");
}

TEST_CASE("stream worker: entries a dead worker left pending are claimed after the visibility timeout",
          "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("claim");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  counting_handler::state st;
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_orphan")).status() == 202);

  // A worker that reads the entry and dies before acknowledging it.
  raw.run({"XGROUP", "CREATE", o.stream, "workers", "0", "MKSTREAM"});
  REQUIRE(raw.run({"XREADGROUP", "GROUP", "workers", "dead", "COUNT", "10", "STREAMS", o.stream, ">"}).type ==
          REDIS_REPLY_ARRAY);

  qw::redis_stream_worker<counting_handler> live(counting_handler{&st}, o, fast_worker("live"));
  const auto start = std::chrono::steady_clock::now();
  poll_until(live, [&] { return integer(raw, {"XLEN", o.stream}) == 0; });
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);  // not before it was idle for visibility_timeout
  CHECK(st.runs["ev_orphan"] == 1);
  CHECK(live.stats().processed == 1);
}

TEST_CASE("stream worker: an entry whose runs crashed the worker max_attempts times is dead-lettered unrun",
          "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("crashloop");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_poison")).status() == 202);
  raw.run({"XGROUP", "CREATE", o.stream, "workers", "0", "MKSTREAM"});
  const qtest::reply read =
      raw.run({"XREADGROUP", "GROUP", "workers", "dead", "COUNT", "10", "STREAMS", o.stream, ">"});
  REQUIRE(read.type == REDIS_REPLY_ARRAY);
  const std::vector<stream_entry> entries = xrange(o.stream);
  REQUIRE(entries.size() == 1);
  const std::string id = entries[0].id;
  raw.run({"HSET", o.stream + ":attempts", id, "3"});  // three earlier runs died with their worker

  counting_handler::state st;
  qw::redis_stream_worker<counting_handler> live(counting_handler{&st}, o, fast_worker("live"));
  poll_until(live, [&] { return integer(raw, {"XLEN", o.dead_letter_stream}) == 1; });
  CHECK(integer(raw, {"XLEN", o.dead_letter_stream}) == 1);
  CHECK(st.runs.count("ev_poison") == 0);
  CHECK(live.stats().dead_lettered == 1);
}

TEST_CASE("stream: after a Redis restart the first request and the workers succeed on fresh connections",
          "[redis][stream][down]") {
  const qw::redis_stream_options o = stream_for("restart");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_before")).status() == 202);
  qw::redis_store_options so;
  so.unix_socket = server().socket();
  so.key_prefix = o.key_prefix + "store:";
  qw::redis_store store(so);
  const qw::reserve_result held = store.reserve("k0");
  REQUIRE(held.status == qw::reserve_status::acquired);

  server().stop(SIGTERM);
  server().start();  // no persistence in this server: the stream is gone, the pooled connections are stale

  // The pooled connection is dead; the call is retried once on a fresh one instead of answering 503.
  CHECK(receiver.handle("POST", qwt::json_headers(), event_body("ev_after")).status() == 202);
  CHECK(store.reserve("k1").status == qw::reserve_status::acquired);

  counting_handler::state st;
  qw::redis_stream_worker<counting_handler> worker(counting_handler{&st}, o, fast_worker("w"));
  qtest::raw_client raw(server().socket());
  poll_until(worker, [&] { return st.runs.count("ev_after") == 1 && integer(raw, {"XLEN", o.stream}) == 0; });
  CHECK(st.runs["ev_after"] == 1);

  // Stale worker connection: restart again, the next poll works at once.
  server().stop(SIGKILL);
  server().start();
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_third")).status() == 202);
  const std::uint64_t errors = worker.stats().redis_errors;
  qtest::raw_client raw2(server().socket());
  poll_until(worker, [&] { return st.runs.count("ev_third") == 1 && integer(raw2, {"XLEN", o.stream}) == 0; });
  CHECK(st.runs["ev_third"] == 1);
  CHECK(worker.stats().redis_errors == errors);
}

TEST_CASE("stream worker: a batch whose effect fails mid-way is dead-lettered at once, never applied twice",
          "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("badeffect");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  const std::string wrong_type = o.key_prefix + "a-string";
  const std::string counter = o.key_prefix + "counter";
  raw.run({"SET", wrong_type, "x"});
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_fx")).status() == 202);

  struct bad_effect_handler {
    std::string key, counter;
    std::atomic<int>* runs;
    void operator()(const qw::event_envelope&) const {
      ++*runs;
      qw::redis_effects::current().command({"INCR", counter});               // applied
      qw::redis_effects::current().command({"HINCRBY", key, "field", "1"});  // WRONGTYPE: the key is a string
      qw::redis_effects::current().command({"INCR", counter});               // never runs
    }
  };
  std::atomic<int> runs{0};
  qw::redis_worker_options wo = fast_worker("w");
  std::atomic<int> hooked{0};
  wo.dead_letter = [&](std::string_view, const qw::outcome& out) {
    if (out.kind == qw::outcome_kind::handler_failed) ++hooked;
  };
  qw::redis_stream_worker<bad_effect_handler> worker(bad_effect_handler{wrong_type, counter, &runs}, o, wo);
  poll_until(worker, [&] { return integer(raw, {"XLEN", o.dead_letter_stream}) == 1; });
  // Keep polling past visibility_timeout: nothing is retried, so nothing is applied again.
  const auto until = std::chrono::steady_clock::now() + 3 * wo.visibility_timeout;
  while (std::chrono::steady_clock::now() < until) (void)worker.poll();
  CHECK(runs == 1);
  CHECK(raw.run({"GET", counter}).text == "1");  // the first command stayed applied, once
  CHECK(worker.stats().processed == 0);
  CHECK(worker.stats().failed == 1);
  CHECK(worker.stats().dead_lettered == 1);
  CHECK(hooked == 1);
  const std::vector<stream_entry> dead = xrange(o.dead_letter_stream);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].fields.at("error").find("a queued Redis effect failed (command 2, HINCRBY)") != std::string::npos);
  CHECK(dead[0].fields.at("error").find("WRONGTYPE") != std::string::npos);
  CHECK(dead[0].fields.at("outcome") == "handler_failed");
  CHECK(dead[0].fields.at("attempts") == "1");
  CHECK(dead[0].fields.at("body") == event_body("ev_fx"));
  // Recorded as processed, so a redelivery is a duplicate; the work stream is empty and nothing is pending.
  CHECK(raw.run({"GET", o.key_prefix + "member-created:ev_fx"}).text.rfind("done:", 0) == 0);
  CHECK(integer(raw, {"XLEN", o.stream}) == 0);
  CHECK(pending_count(raw, o) == 0);
  CHECK(raw.run({"GET", wrong_type}).text == "x");
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_fx")).status() == 202);
  poll_until(worker, [&] { return worker.stats().duplicates == 1; });
  CHECK(worker.stats().duplicates == 1);
  CHECK(runs == 1);
  CHECK(raw.run({"GET", counter}).text == "1");
}

TEST_CASE("stream worker: a Redis error during the commit is Redis being unavailable, not a handler failure",
          "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("commitredis");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  const std::string counter = o.key_prefix + "counter";
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_nr")).status() == 202);

  // The first run makes every write of Redis fail (NOREPLICAS) between the reserve and the commit.
  struct refusing_handler {
    std::string counter;
    std::string socket;
    std::atomic<int>* runs;
    void operator()(const qw::event_envelope&) const {
      if (++*runs == 1) qtest::raw_client(socket).run({"CONFIG", "SET", "min-replicas-to-write", "1"});
      qw::redis_effects::current().command({"INCR", counter});
    }
  };
  std::atomic<int> runs{0};
  qw::redis_worker_options wo = fast_worker("w");
  wo.max_attempts = 1;  // a failed attempt would dead-letter the event at once  // a commit blamed on the handler would
                        // dead-letter the event at once
  qw::redis_stream_worker<refusing_handler> worker(refusing_handler{counter, server().socket(), &runs}, o, wo);
  // Redis accepts writes again while the worker retries the commit (for up to half of visibility_timeout).
  std::thread heal([&] {
    std::this_thread::sleep_for(60ms);
    qtest::raw_client(server().socket()).run({"CONFIG", "SET", "min-replicas-to-write", "0"});
  });
  poll_until(worker, [&] { return worker.stats().processed == 1; });
  heal.join();
  CHECK(runs == 1);  // the handler did not run again
  CHECK(worker.stats().failed == 0);
  CHECK(worker.stats().redis_errors >= 1);
  CHECK(worker.stats().processed == 1);
  CHECK(worker.stats().dead_lettered == 0);
  CHECK(integer(raw, {"XLEN", o.dead_letter_stream}) == 0);
  CHECK(raw.run({"GET", counter}).text == "1");
}

TEST_CASE("stream worker: an entry whose key Redis refuses (WRONGTYPE) is dead-lettered after max_attempts deliveries",
          "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("refused");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  raw.run({"HSET", o.key_prefix + "member-created:ev_wt", "a", "b"});  // GET on it: WRONGTYPE
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_wt")).status() == 202);
  counting_handler::state st;
  qw::redis_stream_worker<counting_handler> worker(counting_handler{&st}, o, fast_worker("w"));
  poll_until(worker, [&] { return integer(raw, {"XLEN", o.dead_letter_stream}) == 1; });
  CHECK(st.runs.empty());  // the handler never ran
  CHECK(worker.stats().dead_lettered == 1);
  CHECK(pending_count(raw, o) == 0);
  const std::vector<stream_entry> dead = xrange(o.dead_letter_stream);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].fields.at("error").find("WRONGTYPE") != std::string::npos);
  CHECK(dead[0].fields.at("attempts") == "4");                                       // delivered max_attempts + 1 times
  CHECK(raw.run({"HGET", o.key_prefix + "member-created:ev_wt", "a"}).text == "b");  // untouched
}

TEST_CASE("stream keys and idempotency keys never meet", "[redis][stream]") {
  const qw::redis_stream_options defaults;
  CHECK(defaults.stream.rfind(defaults.key_prefix, 0) == std::string::npos);
  CHECK(defaults.dead_letter_stream.rfind(defaults.key_prefix, 0) == std::string::npos);
  CHECK(qw::detail::stream_attempts_key(defaults).rfind(defaults.key_prefix, 0) == std::string::npos);

  // A configuration that lets them meet: the event whose key names the stream is dead-lettered, the stream intact.
  qw::redis_stream_options o = stream_for("collide");
  o.key_prefix = o.stream.substr(0, o.stream.size() - std::string_view("stream").size());
  o.stream = o.key_prefix + "member-created:stream";
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("stream")).status() == 202);
  REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_ok")).status() == 202);
  counting_handler::state st;
  qw::redis_stream_worker<counting_handler> worker(counting_handler{&st}, o, fast_worker("w"));
  poll_until(worker, [&] { return integer(raw, {"XLEN", o.stream}) == 0; });
  CHECK(st.runs.count("stream") == 0);
  CHECK(st.runs["ev_ok"] == 1);
  CHECK(worker.stats().dead_lettered == 1);
  const std::vector<stream_entry> dead = xrange(o.dead_letter_stream);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].fields.at("error").find("one of the stream's own keys") != std::string::npos);
}

TEST_CASE("stream worker: a backlog left by a dead worker is claimed in one round, batch after batch",
          "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("backlog");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  for (int i = 0; i < 40; ++i) {
    REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_b" + std::to_string(i))).status() == 202);
  }
  // A worker that read them all and died.
  raw.run({"XGROUP", "CREATE", o.stream, o.group, "0", "MKSTREAM"});
  raw.run({"XREADGROUP", "GROUP", o.group, "dead", "COUNT", "100", "STREAMS", o.stream, ">"});
  REQUIRE(pending_count(raw, o) == 40);
  qw::redis_worker_options wo = fast_worker("w");
  wo.batch = 4;
  counting_handler::state st;
  qw::redis_stream_worker<counting_handler> worker(counting_handler{&st}, o, wo);
  std::this_thread::sleep_for(wo.visibility_timeout + 50ms);
  CHECK(worker.poll() == 40);  // 10 claims of 4 in one round (at most 16 per round)
  CHECK(pending_count(raw, o) == 0);
  CHECK(st.runs.size() == 40);
}

namespace {
// How many WAIT commands the server ran (INFO commandstats: "cmdstat_wait:calls=N,...").
long long wait_calls(qtest::raw_client& raw) {
  const std::string info = raw.run({"INFO", "commandstats"}).text;
  const std::size_t at = info.find("cmdstat_wait:calls=");
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + std::string_view("cmdstat_wait:calls=").size()));
}
}  // namespace

TEST_CASE("stream receiver: wait_replicas sends WAIT after the append; fewer replicas than asked: 503",
          "[redis][stream]") {
  qtest::raw_client raw(server().socket());
  {  // Default: no WAIT.
    const qw::redis_stream_options o = stream_for("nowait");
    qw::redis_stream_receiver receiver(no_auth, {}, o);
    const long long before = wait_calls(raw);
    CHECK(receiver.handle("POST", qwt::json_headers(), event_body("ev_w0")).status() == 202);
    CHECK(wait_calls(raw) == before);
  }
  {  // One replica asked for; the test server is standalone (WAIT answers 0 after the timeout): 503 + Retry-After.
    qw::redis_stream_options o = stream_for("wait");
    o.wait_replicas = 1;
    o.wait_timeout = 50ms;
    qw::redis_stream_receiver receiver(no_auth, {}, o);
    const long long before = wait_calls(raw);
    const auto start = std::chrono::steady_clock::now();
    const qw::response r = receiver.handle("POST", qwt::json_headers(), event_body("ev_w1"));
    CHECK(std::chrono::steady_clock::now() - start >= 50ms);  // it waited for the replicas
    CHECK(r.status() == 503);
    CHECK(r.outcome().kind == qw::outcome_kind::store_unavailable);
    bool retry_after = false;
    for (const qw::http_header& h : r.headers()) retry_after = retry_after || h.name == "Retry-After";
    CHECK(retry_after);
    CHECK(wait_calls(raw) == before + 1);
    CHECK(integer(raw, {"XLEN", o.stream}) == 1);  // appended all the same: a worker processes it (once)
  }
}

TEST_CASE("stream worker: the receivers' key function works on the stored webhook-id", "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("keyfn");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  // Two deliveries of one message (same webhook-id) whose bodies differ in loyaltyEventKey, and a third message.
  const auto post = [&](std::string_view key, std::string id) {
    const auto headers = [&id](std::string_view name) -> std::optional<std::string> {
      if (name == "content-type") return std::string("application/json");
      if (name == "webhook-id") return id;
      return std::nullopt;
    };
    return receiver.handle("POST", headers, event_body(key)).status();
  };
  REQUIRE(post("ev_k1", "msg_1") == 202);
  REQUIRE(post("ev_k2", "msg_1") == 202);
  REQUIRE(post("ev_k3", "msg_2") == 202);
  qw::redis_worker_options wo = fast_worker("w");
  std::atomic<int> asked_other{0};
  wo.idempotency_key = [&](const qw::event&, const qw::header_lookup& headers, std::string_view, std::string& key) {
    if (headers("webhook-signature")) ++asked_other;  // not stored: absent
    if (const auto id = headers("webhook-id")) key.assign("wh:").append(*id);
  };
  counting_handler::state st;
  qw::redis_stream_worker<counting_handler> worker(counting_handler{&st}, o, wo);
  poll_until(worker, [&] { return integer(raw, {"XLEN", o.stream}) == 0; });
  CHECK(worker.stats().processed == 2);
  CHECK(worker.stats().duplicates == 1);
  CHECK(st.runs["ev_k1"] + st.runs["ev_k2"] == 1);
  CHECK(st.runs["ev_k3"] == 1);
  CHECK(asked_other == 0);
  CHECK(raw.run({"GET", o.key_prefix + "wh:msg_1"}).text.rfind("done:", 0) == 0);
  CHECK(raw.run({"GET", o.key_prefix + "member-created:ev_k1"}).type == REDIS_REPLY_NIL);
}

TEST_CASE("redis_effects outside a worker: a batch nobody runs, never a crash", "[stream]") {
  CHECK_FALSE(qw::redis_effects::active());
  qw::redis_effects& fx = qw::redis_effects::current();
  fx.clear();
  fx.command({"INCR", "k"});
  CHECK(fx.size() == 1);
  qw::redis_effects mine;
  {
    const qw::redis_effects::scope in(mine);
    CHECK(qw::redis_effects::active());
    CHECK(&qw::redis_effects::current() == &mine);
    qw::redis_effects::current().command({"SET", "a", "b"});
  }
  CHECK_FALSE(qw::redis_effects::active());
  REQUIRE(mine.size() == 1);
  const std::vector<std::string> words(mine.begin(), mine.end());
  CHECK(words == std::vector<std::string>{"3", "SET", "a", "b"});
  mine.clear();
  CHECK(mine.empty());
}

TEST_CASE("stream worker: run() returns after stop(), with what it had read finished", "[redis][stream]") {
  const qw::redis_stream_options o = stream_for("stop");
  qw::redis_stream_receiver receiver(no_auth, {}, o);
  qtest::raw_client raw(server().socket());
  counting_handler::state st;
  qw::redis_stream_worker<counting_handler> worker(counting_handler{&st}, o, fast_worker("w"));
  std::thread running([&worker] { worker.run(); });
  for (int i = 0; i < 20; ++i) {
    REQUIRE(receiver.handle("POST", qwt::json_headers(), event_body("ev_stop_" + std::to_string(i))).status() == 202);
  }
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (integer(raw, {"XLEN", o.stream}) != 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(10ms);
  }
  const auto asked = std::chrono::steady_clock::now();
  worker.stop();
  running.join();
  CHECK(std::chrono::steady_clock::now() - asked < 1s);  // within one `block` (50 ms) and a batch
  CHECK(worker.stats().processed == 20);
  CHECK(st.runs.size() == 20);
  CHECK(integer(raw, {"XLEN", o.stream}) == 0);
}
