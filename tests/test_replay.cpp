// qurable-replay (examples/replay) and redis_dead_letters against a real redis-server: list the dead letters,
// re-queue them after a fix, and see the workers process them once (idempotency still applies).
#include <qurable/webhooks/queue/redis_dead_letters.hpp>
#include <qurable/webhooks/queue/redis_stream_receiver.hpp>
#include <qurable/webhooks/queue/redis_stream_worker.hpp>

#include <qurable/webhooks/testing/event_builder.hpp>

#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/redis_server.hpp"

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;
using namespace std::chrono_literals;

namespace {

qtest::redis_server& server() { return qtest::shared_redis_server(); }

struct run_result {
  int status = -1;
  std::string out;
};

// Runs qurable-replay with the test's stream names; stdout and stderr together.
run_result replay(const qw::redis_stream_options& o, const std::string& command) {
  const std::string line = std::string(QURABLE_QURABLE_REPLAY_EXE) + " --socket " + o.connection.unix_socket +
                           " --stream " + o.stream + " --dead " + o.dead_letter_stream + " " + command + " 2>&1";
  run_result r;
  FILE* p = popen(line.c_str(), "r");
  REQUIRE(p != nullptr);
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, p) != nullptr) r.out += buffer;
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Fails every event while `broken` is set; counts runs per key.
struct switchable_handler {
  std::atomic<bool>* broken;
  std::map<std::string, int>* runs;
  qw::handler_result operator()(const qw::event_envelope& e) const {
    ++(*runs)[std::string(e.loyalty_event_key)];
    return broken->load() ? qw::handler_result::failure("downstream is down") : qw::handler_result::success();
  }
};

}  // namespace

TEST_CASE("qurable-replay lists dead letters and re-queues them; re-queued events still pass idempotency",
          "[redis][replay]") {
  qw::redis_stream_options o;
  o.connection.unix_socket = server().socket();
  o.stream = "replay:stream";
  o.dead_letter_stream = "replay:dead";
  o.key_prefix = "replay:key:";
  qw::redis_stream_receiver receiver(qw::authentication::none_i_know_what_i_am_doing(), {}, o);
  std::atomic<bool> broken{true};
  std::map<std::string, int> runs;
  qw::redis_worker_options wo;
  wo.consumer = "w";
  wo.block = 20ms;
  wo.visibility_timeout = 200ms;
  wo.max_attempts = 1;
  qw::redis_stream_worker<switchable_handler> worker(switchable_handler{&broken, &runs}, o, wo);
  const auto poll_until = [&worker](auto done) {
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < until) (void)worker.poll();
  };

  for (const char* key : {"ev_x", "ev_y"}) {
    const std::string body = qwt::event_builder(qwt::examples::member_created).loyalty_event_key(key).body();
    REQUIRE(receiver.handle("POST", qwt::json_headers(), body).status() == 202);
  }
  poll_until([&] { return worker.stats().dead_lettered == 2; });
  REQUIRE(worker.stats().dead_lettered == 2);

  const run_result listed = replay(o, "list");
  CHECK(listed.status == 0);
  CHECK(listed.out.find("key=ev_x outcome=handler_failed attempts=1") != std::string::npos);
  CHECK(listed.out.find("error=\"downstream is down\"") != std::string::npos);
  CHECK(listed.out.find("2 dead letter(s) in replay:dead") != std::string::npos);

  // ev_y is redelivered by the platform and processed before the operator re-queues it.
  broken = false;
  const std::string y = qwt::event_builder(qwt::examples::member_created).loyalty_event_key("ev_y").body();
  REQUIRE(receiver.handle("POST", qwt::json_headers(), y).status() == 202);
  poll_until([&] { return worker.stats().processed == 1; });
  REQUIRE(runs["ev_y"] == 2);

  const run_result unknown = replay(o, "requeue 1-1");
  CHECK(unknown.status == 1);
  CHECK(unknown.out.find("no dead letter 1-1") != std::string::npos);

  const run_result moved = replay(o, "requeue --all");
  CHECK(moved.status == 0);
  CHECK(moved.out.find("requeued 2 entries into replay:stream") != std::string::npos);
  poll_until([&] { return worker.stats().processed == 2 && worker.stats().duplicates == 1; });
  CHECK(runs["ev_x"] == 2);  // failed once, then ran again after the fix
  CHECK(runs["ev_y"] == 2);  // not a third time: already processed
  CHECK(worker.stats().duplicates == 1);

  std::vector<qw::dead_letter_entry> left;
  qw::redis_dead_letters dead(o);
  REQUIRE(dead.list(left));
  CHECK(left.empty());
  CHECK(replay(o, "list").out.find("0 dead letter(s)") != std::string::npos);
}
