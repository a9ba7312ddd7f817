// qurable-chaos: the fault-injection harness of the durable hand-off. It counts, end to end, how many events are
// lost or processed twice while processes die.
//
//   qurable-chaos [--seconds 60] [--seed 1] [--events 1000] [--receivers 2] [--workers 2] [--drain 30] [--dir DIR]
//                 [--fail-handlers 0.05] [--fail-effects 0.02]
//
// It starts a real redis-server with the append-only file on (appendfsync always; its own port on 127.0.0.1 and its
// own data folder), two or more receiver processes (cpp-httplib + redis_stream_receiver, checking Standard Webhooks
// signatures) and two or more worker processes (redis_stream_worker), all of them this same program run with
// --role. A platform simulator then sends N distinct signed events at random moments of the fault phase, spread over
// the receivers, with at-least-once retries (backoff, Retry-After honoured), injected duplicate deliveries and
// reordering. During the fault phase, at seeded random moments, receivers and workers are SIGKILLed and restarted,
// and redis-server is SIGKILLed and restarted at least once. A worker is killed inside a handler, not at a random
// moment (which rarely lands there): the orchestrator tells it, through a small file both map, at which handler
// entry to park (the k-th from now, k seeded), waits until a handler parked there, and kills the worker then.
// Each handler records its event in a ledger hash in Redis through redis_effects (applied atomically with the
// idempotency commit), and also appends the key to a file (the at-least-once ledger, outside Redis). Seeded subsets
// of the events have a handler that fails on its first run (--fail-handlers: retried, then processed once) or queue
// a second effect that fails in Redis (--fail-effects: WRONGTYPE after the ledger write; such an event is
// dead-lettered by the commit script with its ledger write applied once). Once every event is acknowledged and the
// stream is drained, the ledger is checked and the last line printed is:
//   summary: events=N acknowledged=A processed=P lost=L duplicated=D kills=K redis_restarts=R seconds=S
// (lost: acknowledged but not in the ledger; duplicated: in the ledger more than once; seconds: the whole run).
// The line before it gives the details, e.g. how often the file ledger saw an event twice (the documented
// at-least-once window for side effects outside Redis). Exit status 0 only when every event was acknowledged and
// processed exactly once, the stream is drained and the dead-letter stream holds exactly the events with failing
// effects; otherwise a line "result: FAIL (...)" is printed after the summary.
#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/queue/redis_effects.hpp>
#include <qurable/webhooks/queue/redis_stream_receiver.hpp>
#include <qurable/webhooks/queue/redis_stream_worker.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>
#include <qurable/webhooks/testing/signing.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../support/redis_server.hpp"

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::string_view secret = qwt::test_secret;
constexpr const char* ledger_key = "chaos:ledger";
constexpr const char* string_key = "chaos:a-string";  // a failing effect: HINCRBY on it is WRONGTYPE

// Shared by the orchestrator and one worker process (a mapped file): how the orchestrator kills inside a handler.
struct worker_slot {
  std::atomic<std::uint32_t> entered;  // handler runs started by this worker process (and its restarts)
  std::atomic<std::uint32_t> park_at;  // the handler run that waits to be killed (0: none)
  std::atomic<std::uint32_t> parked;   // 1 while that run waits
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "the slot is shared between processes");

worker_slot* map_slot(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, sizeof(worker_slot)) != 0) throw std::runtime_error("cannot create " + path);
  void* p = mmap(nullptr, sizeof(worker_slot), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) throw std::runtime_error("cannot map " + path);
  return static_cast<worker_slot*>(p);  // zero-filled by ftruncate: all counters 0
}

// Seeded choice of a subset of the events: true for about `rate` of the keys.
bool chosen(std::string_view key, unsigned long seed, double rate, std::uint64_t salt) {
  std::uint64_t h = 1469598103934665603ull ^ (seed * 0x9E3779B97F4A7C15ull) ^ salt;
  for (const char ch : key) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return static_cast<double>(h % 100000) < rate * 100000;
}
constexpr std::uint64_t salt_handler = 0x68616e64;
constexpr std::uint64_t salt_effect = 0x65666663;

struct config {
  std::string role = "orchestrator";
  double seconds = 60;
  unsigned long seed = 1;
  int events = 1000;
  int receivers = 2;
  int workers = 2;
  double drain = 30;
  double fail_handlers = 0.05;
  double fail_effects = 0.02;
  int index = 0;
  int port = 0;
  int redis_port = 0;
  std::string dir;
  std::string redis_server;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "qurable-chaos: %s\nusage: qurable-chaos [--seconds S] [--seed N] [--events N] [--receivers N] "
               "[--workers N] [--drain S] [--dir DIR] [--redis-server PATH] [--fail-handlers P] [--fail-effects P]\n",
               why);
  std::exit(2);
}

config parse_args(int argc, char** argv) {
  config c;
#if defined(QURABLE_REDIS_SERVER)
  c.redis_server = QURABLE_REDIS_SERVER;
#endif
#if defined(QURABLE_CHAOS_DIR)
  c.dir = QURABLE_CHAOS_DIR;
#endif
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--role")
      c.role = v;
    else if (a == "--seconds")
      c.seconds = std::stod(v);
    else if (a == "--seed")
      c.seed = std::stoul(v);
    else if (a == "--events")
      c.events = std::stoi(v);
    else if (a == "--receivers")
      c.receivers = std::max(1, std::stoi(v));
    else if (a == "--workers")
      c.workers = std::max(1, std::stoi(v));
    else if (a == "--drain")
      c.drain = std::stod(v);
    else if (a == "--fail-handlers")
      c.fail_handlers = std::stod(v);
    else if (a == "--fail-effects")
      c.fail_effects = std::stod(v);
    else if (a == "--index")
      c.index = std::stoi(v);
    else if (a == "--port")
      c.port = std::stoi(v);
    else if (a == "--redis-port")
      c.redis_port = std::stoi(v);
    else if (a == "--dir")
      c.dir = v;
    else if (a == "--redis-server")
      c.redis_server = v;
    else
      usage(("unknown option " + a).c_str());
  }
  if (c.events < 1 || c.seconds < 1) usage("--events and --seconds must be positive");
  return c;
}

qw::redis_stream_options stream_options(int redis_port) {
  qw::redis_stream_options o;
  o.connection.host = "127.0.0.1";
  o.connection.port = redis_port;
  o.connection.connect_timeout = 500ms;
  o.connection.command_timeout = 2s;  // an AOF reload after a restart answers LOADING for a moment
  o.stream = "chaos:stream";
  o.dead_letter_stream = "chaos:dead";
  o.key_prefix = "chaos:key:";
  o.group = "chaos-workers";
  return o;
}

// ---------------------------------------------------------------------------------------------------------------------
// Receiver process.

int run_receiver(const config& c) {
  qw::receiver_options ro;
  ro.retry_after = 1s;  // short, so that the simulator's retries fit in a short run
  qw::redis_stream_receiver receiver(
      qw::authentication::with(qw::authenticator::standard_webhooks(qw::standard_webhooks_verifier(secret))), ro,
      stream_options(c.redis_port));
  httplib::Server server;
  server.set_tcp_nodelay(true);
  server.Post("/webhooks", [&receiver](const httplib::Request& req, httplib::Response& res) {
    const auto lookup = [&req](std::string_view name) -> const std::string* {
      const auto it = req.headers.find(std::string(name));
      return it == req.headers.end() ? nullptr : &it->second;
    };
    const qw::response r = receiver.handle(req.method, lookup, req.body);
    res.status = r.status();
    for (const qw::http_header& h : r.headers()) res.set_header(std::string(h.name), std::string(h.value));
    res.set_content(std::string(r.body()), std::string(r.content_type()).c_str());
    if (r.status() >= 500) std::fprintf(stderr, "receiver: %d %s\n", r.status(), r.outcome().message.c_str());
  });
  if (!server.listen("127.0.0.1", c.port)) {
    std::fprintf(stderr, "receiver: cannot listen on port %d\n", c.port);
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------------
// Worker process.

struct ledger_handler {
  int file_ledger = -1;
  worker_slot* slot = nullptr;
  std::string fail_dir;  // a file per event whose handler already failed once
  unsigned long seed = 0;
  double fail_handlers = 0;
  double fail_effects = 0;

  qw::handler_result operator()(const qw::event_envelope& e) const {
    // Inside the handler: if this is the run the orchestrator asked for, wait here to be killed (at most 5 s).
    const std::uint32_t run = slot->entered.fetch_add(1) + 1;
    if (run == slot->park_at.load()) {
      slot->parked.store(1);
      for (int i = 0; i < 500; ++i) std::this_thread::sleep_for(10ms);
    }
    // The side effect kept in Redis: applied with the commit, so at most once per event.
    qw::redis_effects::current().command({"HINCRBY", ledger_key, e.loyalty_event_key, "1"});
    // A failing effect after it: the commit script dead-letters the event, the ledger write stays applied once.
    if (chosen(e.loyalty_event_key, seed, fail_effects, salt_effect)) {
      qw::redis_effects::current().command({"HINCRBY", string_key, "f", "1"});
    }
    // The side effect outside Redis: at least once (it runs again when the worker dies before the commit).
    std::string line(e.loyalty_event_key);
    line += '\n';
    (void)!write(file_ledger, line.data(), line.size());
    // A failing handler, on its first run only (it is retried after visibility_timeout and then succeeds).
    if (chosen(e.loyalty_event_key, seed, fail_handlers, salt_handler)) {
      const std::string marker = fail_dir + "/" + std::string(e.loyalty_event_key);
      const int fd = open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) {
        close(fd);
        return qw::handler_result::failure("chaos: told to fail once");
      }
    }
    // Some work (2 to 12 ms, varying by event).
    std::size_t h = 0;
    for (char ch : e.loyalty_event_key) h = h * 31 + static_cast<unsigned char>(ch);
    std::this_thread::sleep_for(std::chrono::microseconds(2000 + h % 10000));
    return qw::handler_result::success();
  }
};

qw::redis_stream_worker<ledger_handler>* running_worker = nullptr;

void on_term(int) {
  if (running_worker != nullptr) running_worker->stop();  // one atomic store: async-signal-safe
}

int run_worker(const config& c) {
  const int fd = open((c.dir + "/file-ledger.txt").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("worker: open file ledger");
    return 1;
  }
  qw::redis_worker_options wo;
  wo.block = 200ms;
  wo.visibility_timeout = 1s;  // a killed worker's entries are claimed a second later
  wo.max_attempts = 20;        // kills count as attempts; a failing handler fails once
  wo.log = [](std::string_view line) { std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data()); };
  ledger_handler handler{fd,
                         map_slot(c.dir + "/worker-" + std::to_string(c.index) + ".slot"),
                         c.dir + "/failed",
                         c.seed,
                         c.fail_handlers,
                         c.fail_effects};
  qw::redis_stream_worker<ledger_handler> worker(handler, stream_options(c.redis_port), wo);
  running_worker = &worker;
  std::signal(SIGTERM, on_term);
  worker.run();
  running_worker = nullptr;
  close(fd);
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------------
// Orchestrator.

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind");
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A receiver or worker: this program again, with --role. Dies with the orchestrator.
class child {
 public:
  child(std::vector<std::string> args, std::string log) : args_(std::move(args)), log_(std::move(log)) {}
  ~child() { stop(SIGKILL); }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  void start() { pid_ = qtest::spawn(args_, log_); }

  void stop(int signal_number) {
    if (pid_ <= 0) return;
    kill(pid_, signal_number);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  std::vector<std::string> args_;
  std::string log_;
  pid_t pid_ = -1;
};

struct delivery {
  steady::time_point due;
  int event = 0;
  int attempt = 0;
  bool operator>(const delivery& other) const { return due > other.due; }
};

// The platform: every delivery is retried until a receiver answers 2xx.
class simulator {
 public:
  simulator(const config& c, std::vector<int> ports, steady::time_point start)
      : seed_(c.seed),
        ports_(std::move(ports)),
        acknowledged_(static_cast<std::size_t>(c.events), false),
        rng_(c.seed * 7919 + 1) {
    const double window = c.seconds * 0.8;
    std::uniform_real_distribution<double> when(0, window);
    std::bernoulli_distribution duplicate(0.1);
    for (int i = 0; i < c.events; ++i) {
      bodies_.push_back(qwt::event_builder(qwt::examples::coupon_code_used).loyalty_event_key(key(i)).body());
      // Random due times: the events arrive out of order, and ~10% are delivered twice (the platform's duplicates).
      push({start + std::chrono::milliseconds(static_cast<long>(when(rng_) * 1000)), i, 0});
      if (duplicate(rng_)) {
        push({start + std::chrono::milliseconds(static_cast<long>(when(rng_) * 1000 + 500)), i, 0});
        ++duplicates_;
      }
    }
    pending_deliveries_ = queue_.size();
  }

  void run(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { send_loop(i); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  // True once every delivery (duplicates included) was acknowledged.
  bool all_acknowledged() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_deliveries_ == 0;
  }
  int acknowledged_events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(std::count(acknowledged_.begin(), acknowledged_.end(), true));
  }
  bool acknowledged(int event) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return acknowledged_[static_cast<std::size_t>(event)];
  }
  std::string key(int event) const { return "ev_chaos_" + std::to_string(seed_) + "_" + std::to_string(event); }
  long sends() const { return sends_.load(); }
  long retries() const { return retries_.load(); }
  int duplicates() const { return duplicates_; }

 private:
  void push(delivery d) { queue_.push(d); }

  void send_loop(int thread_index) {
    std::mt19937 rng(static_cast<unsigned>(rng_() + static_cast<unsigned>(thread_index)));
    for (;;) {
      delivery d;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
          if (stopping_) return;
          if (!queue_.empty() && queue_.top().due <= steady::now()) break;
          if (queue_.empty()) {
            ready_.wait_for(lock, 50ms);
          } else {
            ready_.wait_until(lock, std::min(queue_.top().due, steady::now() + 50ms));
          }
        }
        d = queue_.top();
        queue_.pop();
      }
      const std::string& body = bodies_[static_cast<std::size_t>(d.event)];
      const int port = ports_[std::uniform_int_distribution<std::size_t>(0, ports_.size() - 1)(rng)];
      httplib::Client client("127.0.0.1", port);
      client.set_connection_timeout(1, 0);
      client.set_read_timeout(5, 0);
      client.set_write_timeout(5, 0);
      httplib::Headers headers;
      for (const auto& [name, value] : qwt::signed_headers(body, secret, "msg_" + std::to_string(d.event))) {
        if (name != "Content-Type") headers.emplace(name, value);
      }
      ++sends_;
      const httplib::Result res = client.Post("/webhooks", headers, body, "application/json");
      const bool ok = res && res->status >= 200 && res->status < 300;
      std::lock_guard<std::mutex> lock(mutex_);
      if (ok) {
        acknowledged_[static_cast<std::size_t>(d.event)] = true;
        --pending_deliveries_;
        continue;
      }
      ++retries_;
      // Retry-After when the receiver sent one; otherwise exponential backoff with jitter (50 ms to 1 s).
      std::chrono::milliseconds delay = std::min<std::chrono::milliseconds>(50ms * (1 << std::min(d.attempt, 5)), 1s);
      if (res && res->has_header("Retry-After"))
        delay = std::chrono::seconds(std::stoi(res->get_header_value("Retry-After")));
      delay += std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 50)(rng));
      queue_.push({steady::now() + delay, d.event, d.attempt + 1});
      ready_.notify_one();
    }
  }

  const unsigned long seed_;
  std::vector<int> ports_;
  std::vector<std::string> bodies_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::priority_queue<delivery, std::vector<delivery>, std::greater<delivery>> queue_;
  std::vector<bool> acknowledged_;
  std::size_t pending_deliveries_ = 0;
  bool stopping_ = false;
  std::mt19937_64 rng_;
  std::vector<std::thread> threads_;
  std::atomic<long> sends_{0};
  std::atomic<long> retries_{0};
  int duplicates_ = 0;
};

long long redis_integer(qtest::raw_client& raw, const std::vector<std::string>& command) {
  const qtest::reply r = raw.run(command);
  return r.type == REDIS_REPLY_INTEGER ? r.integer : -1;
}

// Entries not yet acknowledged: the stream's length (processed entries are deleted) plus the pending count (element 0
// of XPENDING's summary array, picked out by a script: qtest::reply keeps no array elements).
bool drained(int redis_port) {
  try {
    qtest::raw_client raw("127.0.0.1", redis_port);
    if (redis_integer(raw, {"XLEN", "chaos:stream"}) != 0) return false;
    return redis_integer(raw, {"EVAL", "return redis.call('XPENDING', KEYS[1], ARGV[1])[1]", "1", "chaos:stream",
                               "chaos-workers"}) == 0;
  } catch (const std::exception&) {
    return false;
  }
}

bool run_chaos(const config& c, const char* self, const std::string& dir) {
  const auto start = steady::now();
  std::mt19937_64 rng(c.seed);

  const int redis_port = free_port();
#if defined(QURABLE_REDIS_PID_DIR)
  const std::string pid_dir = QURABLE_REDIS_PID_DIR;  // swept by the ctest cleanup fixture after a crashed run
#else
  const std::string pid_dir = dir + "/pids";
#endif
  qtest::redis_server redis(c.redis_server, pid_dir, /*aof=*/true, dir + "/redis", redis_port);
  qtest::raw_client("127.0.0.1", redis_port).run({"SET", string_key, "not a hash"});
  std::filesystem::create_directories(dir + "/failed");

  std::vector<int> ports;
  std::vector<std::unique_ptr<child>> receivers;
  std::vector<std::unique_ptr<child>> workers;
  for (int i = 0; i < c.receivers; ++i) {
    ports.push_back(free_port());
    receivers.push_back(std::make_unique<child>(
        std::vector<std::string>{self, "--role", "receiver", "--port", std::to_string(ports.back()), "--redis-port",
                                 std::to_string(redis_port), "--dir", dir},
        dir + "/receiver-" + std::to_string(i) + ".log"));
    receivers.back()->start();
  }
  std::vector<worker_slot*> slots;
  for (int i = 0; i < c.workers; ++i) {
    slots.push_back(map_slot(dir + "/worker-" + std::to_string(i) + ".slot"));
    workers.push_back(std::make_unique<child>(
        std::vector<std::string>{self, "--role", "worker", "--redis-port", std::to_string(redis_port), "--dir", dir,
                                 "--index", std::to_string(i), "--seed", std::to_string(c.seed), "--fail-handlers",
                                 std::to_string(c.fail_handlers), "--fail-effects", std::to_string(c.fail_effects)},
        dir + "/worker-" + std::to_string(i) + ".log"));
    workers.back()->start();
  }

  simulator platform(c, ports, start + 200ms);
  platform.run(6);

  // The fault phase: kills at seeded random moments, redis-server restarted at least once (twice from 30 s).
  int kills = 0;
  int mid_handler_kills = 0;
  int redis_restarts = 0;
  std::vector<double> redis_at = {c.seconds * std::uniform_real_distribution<double>(0.3, 0.55)(rng)};
  if (c.seconds >= 30) redis_at.push_back(c.seconds * std::uniform_real_distribution<double>(0.65, 0.85)(rng));
  std::uniform_real_distribution<double> gap(0.6, std::max(1.0, c.seconds / 12));
  std::uniform_real_distribution<double> down(0.0, 0.5);
  double next_kill = gap(rng);
  for (;;) {
    const double now = std::chrono::duration<double>(steady::now() - start).count();
    if (now >= c.seconds) break;
    if (!redis_at.empty() && now >= redis_at.front()) {
      redis_at.erase(redis_at.begin());
      redis.stop(SIGKILL);  // a crash: with appendfsync always, every confirmed write is in the AOF
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(down(rng) * 1000)));
      redis.start();
      ++redis_restarts;
      std::printf("t=%.1fs redis-server killed and restarted\n", now);
    } else if (now >= next_kill) {
      const bool receiver = std::bernoulli_distribution(0.5)(rng);
      auto& group = receiver ? receivers : workers;
      const std::size_t victim = std::uniform_int_distribution<std::size_t>(0, group.size() - 1)(rng);
      bool in_handler = false;
      if (!receiver) {
        // Kill the worker inside its k-th handler run from now; give up waiting after 3 s (no traffic).
        worker_slot& slot = *slots[victim];
        slot.parked.store(0);
        slot.park_at.store(slot.entered.load() + std::uniform_int_distribution<std::uint32_t>(1, 3)(rng));
        const auto give_up = steady::now() + 3s;
        while (slot.parked.load() == 0 && steady::now() < give_up) std::this_thread::sleep_for(1ms);
        in_handler = slot.parked.load() != 0;
      }
      group[victim]->stop(SIGKILL);
      if (!receiver) {
        slots[victim]->park_at.store(0);
        slots[victim]->parked.store(0);
      }
      ++kills;
      mid_handler_kills += in_handler ? 1 : 0;
      std::printf("t=%.1fs %s %zu killed%s\n", now, receiver ? "receiver" : "worker", victim,
                  in_handler ? " inside a handler" : "");
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(down(rng) * 1000)));
      group[victim]->start();
      next_kill = now + gap(rng);
    }
    std::this_thread::sleep_for(20ms);
  }
  std::fflush(stdout);

  // Quiet phase: wait until the platform got a 2xx for every delivery and the workers drained the stream.
  const auto drain_until = steady::now() + std::chrono::milliseconds(static_cast<long>(c.drain * 1000));
  while (steady::now() < drain_until && !(platform.all_acknowledged() && drained(redis_port))) {
    std::this_thread::sleep_for(100ms);
  }
  platform.stop();
  for (auto& w : workers) w->stop(SIGTERM);
  for (auto& r : receivers) r->stop(SIGKILL);

  // The ledgers.
  qtest::raw_client raw("127.0.0.1", redis_port);
  int acknowledged = 0, processed = 0, lost = 0, duplicated = 0, unacknowledged_processed = 0;
  for (int i = 0; i < c.events; ++i) {
    const qtest::reply r = raw.run({"HGET", ledger_key, platform.key(i)});
    const long long count = r.type == REDIS_REPLY_STRING ? std::stoll(r.text) : 0;
    const bool acked = platform.acknowledged(i);
    acknowledged += acked ? 1 : 0;
    if (count >= 1) ++processed;
    if (count > 1) ++duplicated;
    if (acked && count == 0) ++lost;
    if (!acked && count > 0) ++unacknowledged_processed;
  }
  std::map<std::string, int> file_counts;
  {
    std::ifstream file(dir + "/file-ledger.txt");
    for (std::string line; std::getline(file, line);) ++file_counts[line];
  }
  int file_duplicated = 0;
  for (const auto& [key, count] : file_counts) file_duplicated += count > 1 ? 1 : 0;
  const long long dead = redis_integer(raw, {"XLEN", "chaos:dead"});
  int expected_dead = 0;  // the events with a failing effect: dead-lettered by the commit script, ledger applied once
  for (int i = 0; i < c.events; ++i) expected_dead += chosen(platform.key(i), c.seed, c.fail_effects, salt_effect);
  int failing_handlers = 0;
  for (int i = 0; i < c.events; ++i) failing_handlers += chosen(platform.key(i), c.seed, c.fail_handlers, salt_handler);
  const bool is_drained = drained(redis_port);
  const double seconds = std::chrono::duration<double>(steady::now() - start).count();
  std::printf(
      "details: sends=%ld retries=%ld injected_duplicates=%d failing_handlers=%d dead_letters=%lld "
      "expected_dead_letters=%d drained=%s mid_handler_kills=%d file_ledger_events=%zu file_ledger_duplicated=%d "
      "processed_unacknowledged=%d dir=%s\n",
      platform.sends(), platform.retries(), platform.duplicates(), failing_handlers, dead, expected_dead,
      is_drained ? "yes" : "no", mid_handler_kills, file_counts.size(), file_duplicated, unacknowledged_processed,
      dir.c_str());
  std::printf(
      "summary: events=%d acknowledged=%d processed=%d lost=%d duplicated=%d kills=%d redis_restarts=%d "
      "seconds=%.0f\n",
      c.events, acknowledged, processed, lost, duplicated, kills, redis_restarts, seconds);
  const bool ok = acknowledged == c.events && processed == c.events && lost == 0 && duplicated == 0 && is_drained &&
                  dead == expected_dead;
  if (!ok) {
    std::printf("result: FAIL (%s)\n", lost != 0                  ? "events lost"
                                       : duplicated != 0          ? "events processed twice"
                                       : !is_drained              ? "stream not drained"
                                       : acknowledged != c.events ? "events not acknowledged"
                                       : processed != c.events    ? "events not processed"
                                                                  : "unexpected dead letters");
  }
  std::fflush(stdout);
  return ok;
}

int run_orchestrator(const config& c, const char* self) {
  if (c.redis_server.empty()) usage("no redis-server (--redis-server PATH)");
  // Absolute: redis-server changes into its --dir before it opens the log file.
  const std::string dir =
      std::filesystem::absolute(c.dir.empty() ? std::filesystem::current_path() : std::filesystem::path(c.dir))
          .string() +
      "/chaos-" + std::to_string(c.seed) + "-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const bool ok = run_chaos(c, self, dir);
  if (ok) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);  // the logs of a failed run are kept
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const config c = parse_args(argc, argv);
  try {
    if (c.role == "receiver") return run_receiver(c);
    if (c.role == "worker") return run_worker(c);
    if (c.role == "orchestrator") {
      // The children are this program: by its absolute path where /proc tells it (argv[0] may be a bare name).
      std::error_code no_proc;
      const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", no_proc);
      return run_orchestrator(c, no_proc ? argv[0] : exe.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qurable-chaos (%s): %s\n", c.role.c_str(), e.what());
    return 1;
  }
  usage("unknown --role");
}
