// qurable-stream-bench: events per second through the durable hand-off (redis_stream_receiver → Redis Stream →
// redis_stream_worker → commit) against the synchronous receiver with the Redis idempotency store, both in this one
// run, on the same redis-server (started here: unix socket, AOF on with appendfsync everysec, the recommended
// setting). No HTTP: both receivers are called directly from `threads` request threads, so the numbers are the SDK
// and Redis, not an HTTP stack. Not a test; CI does not run it. See docs/durable-delivery.md.
//
//   qurable-stream-bench [--events 20000] [--threads 4] [--workers 2] [--appendfsync everysec|always|no]
//
// Phases, each on fresh keys:
//   sync      receiver<handler> + redis_store: reserve (SET NX) and commit (EVAL) per event, on the request thread
//   append    redis_stream_receiver alone: one XADD per event (what the platform waits for)
//   drain     redis_stream_workers alone on the stream `append` filled: XREADGROUP batches, reserve + commit EVALs
//   durable   both at once, end to end: from the first request to the last commit
// The last line: summary: sync_events_per_s=... durable_events_per_s=... ratio=durable/sync append_events_per_s=...
// drain_events_per_s=...
#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/redis_store.hpp>
#include <qurable/webhooks/queue/redis_stream_receiver.hpp>
#include <qurable/webhooks/queue/redis_stream_worker.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../../tests/support/redis_server.hpp"

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;
using steady = std::chrono::steady_clock;

namespace {

struct counting_handler {
  std::atomic<long>* handled;
  void operator()(const qw::event_envelope&) const { handled->fetch_add(1, std::memory_order_relaxed); }
};

std::vector<std::string> make_bodies(const std::string& prefix, int n) {
  std::vector<std::string> bodies;
  bodies.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    bodies.push_back(
        qwt::event_builder(qwt::examples::coupon_code_used).loyalty_event_key(prefix + std::to_string(i)).body());
  }
  return bodies;
}

// Calls post(body) for every body from `threads` threads; returns the seconds it took. Counts non-2xx answers.
template <class Post>
double post_all(const std::vector<std::string>& bodies, int threads, Post post, std::atomic<long>& refused) {
  std::atomic<std::size_t> next{0};
  const auto start = steady::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < bodies.size();) {
        if (!post(bodies[i])) refused.fetch_add(1);
      }
    });
  }
  for (std::thread& t : pool) t.join();
  return std::chrono::duration<double>(steady::now() - start).count();
}

// Runs `workers` workers until `handled` reaches `target` (or 120 s pass).
template <class Worker>
void work_until(std::vector<std::unique_ptr<Worker>>& workers, std::atomic<long>& handled, long target) {
  std::vector<std::thread> pool;
  const auto limit = steady::now() + std::chrono::seconds(120);
  for (auto& w : workers) {
    pool.emplace_back([&handled, target, limit, worker = w.get()] {
      while (handled.load() < target && steady::now() < limit) (void)worker->poll();
    });
  }
  for (std::thread& t : pool) t.join();
}

}  // namespace

int main(int argc, char** argv) {
  int events = 20000;
  int threads = 4;
  int worker_count = 2;
  std::string fsync = "everysec";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    if (a == "--events")
      events = std::atoi(argv[i + 1]);
    else if (a == "--threads")
      threads = std::atoi(argv[i + 1]);
    else if (a == "--workers")
      worker_count = std::atoi(argv[i + 1]);
    else if (a == "--appendfsync")
      fsync = argv[i + 1];
  }
  if (events < 1 || threads < 1 || worker_count < 1) {
    std::fprintf(stderr, "usage: qurable-stream-bench [--events N] [--threads N] [--workers N] [--appendfsync X]\n");
    return 2;
  }
  qtest::redis_server redis(QURABLE_REDIS_SERVER, "/tmp/qw-stream-bench-pids", fsync != "no", {}, 0,
                            fsync == "no" ? "everysec" : fsync);
  std::printf("qurable-stream-bench: %d events, %d request threads, %d workers, redis appendonly=%s appendfsync=%s\n",
              events, threads, worker_count, fsync == "no" ? "no" : "yes", fsync.c_str());
  const auto no_auth = qw::authentication::none_i_know_what_i_am_doing();

  // 1. The synchronous receiver with the Redis store.
  double sync_rate = 0;
  {
    qw::redis_store_options so;
    so.unix_socket = redis.socket();
    so.key_prefix = "bench:sync:";
    so.pool_size = static_cast<std::size_t>(threads);
    qw::redis_store store(so);
    qw::receiver_options ro;
    ro.idempotency = &store;
    std::atomic<long> handled{0};
    std::atomic<long> refused{0};
    qw::receiver<counting_handler> rx(counting_handler{&handled}, no_auth, ro);
    const auto bodies = make_bodies("sync_", events);
    const double s = post_all(
        bodies, threads, [&](const std::string& b) { return rx.handle("POST", qwt::json_headers(), b).acknowledged(); },
        refused);
    sync_rate = events / s;
    std::printf("sync     %8.0f events/s  (%.2f s, handled %ld, refused %ld)\n", sync_rate, s, handled.load(),
                refused.load());
  }

  qw::redis_stream_options o;
  o.connection.unix_socket = redis.socket();
  o.connection.pool_size = static_cast<std::size_t>(threads);
  qw::redis_worker_options wo;
  wo.block = std::chrono::milliseconds(20);
  wo.batch = 64;
  const auto make_workers = [&](std::atomic<long>& handled) {
    std::vector<std::unique_ptr<qw::redis_stream_worker<counting_handler>>> workers;
    for (int i = 0; i < worker_count; ++i) {
      wo.consumer = "bench-" + std::to_string(i);
      workers.push_back(std::make_unique<qw::redis_stream_worker<counting_handler>>(counting_handler{&handled}, o, wo));
    }
    return workers;
  };

  // 2. and 3. Append alone, then drain alone.
  double append_rate = 0;
  double drain_rate = 0;
  {
    o.stream = "bench:phased:stream";
    o.key_prefix = "bench:phased:";
    qw::redis_stream_receiver rx(no_auth, {}, o);
    std::atomic<long> refused{0};
    const auto bodies = make_bodies("phased_", events);
    const double s = post_all(
        bodies, threads, [&](const std::string& b) { return rx.handle("POST", qwt::json_headers(), b).acknowledged(); },
        refused);
    append_rate = events / s;
    std::printf("append   %8.0f events/s  (%.2f s, refused %ld)\n", append_rate, s, refused.load());
    std::atomic<long> handled{0};
    auto workers = make_workers(handled);
    const auto start = steady::now();
    work_until(workers, handled, events);
    const double d = std::chrono::duration<double>(steady::now() - start).count();
    drain_rate = handled.load() / d;
    std::printf("drain    %8.0f events/s  (%.2f s, handled %ld)\n", drain_rate, d, handled.load());
  }

  // 4. End to end, concurrently.
  double durable_rate = 0;
  {
    o.stream = "bench:e2e:stream";
    o.key_prefix = "bench:e2e:";
    qw::redis_stream_receiver rx(no_auth, {}, o);
    std::atomic<long> handled{0};
    std::atomic<long> refused{0};
    auto workers = make_workers(handled);
    const auto bodies = make_bodies("e2e_", events);
    const auto start = steady::now();
    std::thread consumers([&] { work_until(workers, handled, events); });
    const double appended = post_all(
        bodies, threads, [&](const std::string& b) { return rx.handle("POST", qwt::json_headers(), b).acknowledged(); },
        refused);
    const long handled_then = handled.load();
    consumers.join();
    const double s = std::chrono::duration<double>(steady::now() - start).count();
    durable_rate = handled.load() / s;
    std::printf(
        "durable  %8.0f events/s  (%.2f s, handled %ld, refused %ld; all appended after %.2f s, %ld handled by then)\n",
        durable_rate, s, handled.load(), refused.load(), appended, handled_then);
  }
  std::printf(
      "summary: sync_events_per_s=%.0f durable_events_per_s=%.0f ratio=%.2f append_events_per_s=%.0f "
      "drain_events_per_s=%.0f\n",
      sync_rate, durable_rate, durable_rate / sync_rate, append_rate, drain_rate);
  return 0;
}
