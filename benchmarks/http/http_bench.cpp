// qurable-http-bench: end-to-end HTTP throughput and latency of the receiver examples, each next to a bare server of
// its own HTTP stack, in one run. Not a test (CI does not run it). See docs/performance.md.
//
//   qurable-http-bench [--seconds S] [--rounds R] [--connections C] [--client-threads T] [--only NAME]
//
// Every server is started as a child process on a free loopback port; the load is C keep-alive connections driven by
// T client threads, closed loop (a connection sends its next request when the previous answer is in), every request
// a distinct member-created event (its own webhook-id and loyaltyEventKey) signed like the platform signs it. The
// bare servers get the same requests and only read the body. Each round measures every example right after its bare
// server (so that both see the same machine); each figure is the median of its rounds, and each ratio the median of
// the rounds' ratios: on a shared machine single runs vary by 2x. Prints a Markdown table (requests/s, p50, p99 per
// server) and, last, `summary: <example>_vs_bare=R ...` (requests/s of the example over its bare stack's).
// benchmarks/http/chart.py turns that output into docs/performance-http.svg.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include "examples/child_process.hpp"  // tests/examples: a child process whose output is read line by line

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view secret = "whsec_cXVyYWJsZS13ZWJob29rcyBiZW5jaCBzZWNyZXQhISE=";

struct server_spec {
  std::string name;
  std::string stack;
  std::vector<std::string> argv;  // argv[0]: the executable
  std::string bare;               // the bare server of the same stack; empty for a bare server
};

struct result {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::uint64_t ok = 0;
  std::uint64_t other = 0;
  std::uint64_t reconnects = 0;
};

// ---------------------------------------------------------------------------------------------------------------------
// Requests: one body template, a fixed-width key patched in place, signed per request.

class request_maker {
 public:
  explicit request_maker(int thread) : thread_(thread) {
    namespace qwt = qurable::webhooks::testing;
    body_ = qwt::event_builder(qwt::examples::member_created).loyalty_event_key(std::string(key_width, 'X')).body();
    key_at_ = body_.find(std::string(key_width, 'X'));
  }

  std::string next() {
    char key[32];
    std::snprintf(key, sizeof key, "b%02u%013llu", static_cast<unsigned>(thread_ % 100),
                  static_cast<unsigned long long>(++count_ % 10'000'000'000'000ULL));
    body_.replace(key_at_, key_width, key, key_width);
    const std::string id = std::string("msg_") + key;
    const std::string timestamp = std::to_string(static_cast<long long>(std::time(nullptr)));
    const std::optional<std::string> signature =
        qurable::webhooks::sign_standard_webhooks(secret, id, timestamp, body_);
    std::string r;
    r.reserve(body_.size() + 400);
    r.append("POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nwebhook-id: ")
        .append(id)
        .append("\r\nwebhook-timestamp: ")
        .append(timestamp)
        .append("\r\nwebhook-signature: ")
        .append(signature ? *signature : std::string("v1,none"))
        .append("\r\nContent-Length: ")
        .append(std::to_string(body_.size()))
        .append("\r\n\r\n")
        .append(body_);
    return r;
  }

  std::size_t body_size() const { return body_.size(); }

 private:
  static constexpr std::size_t key_width = 16;
  int thread_;
  std::uint64_t count_ = 0;
  std::string body_;
  std::size_t key_at_ = 0;
};

// ---------------------------------------------------------------------------------------------------------------------
// The load: closed loop over keep-alive connections.

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<unsigned short>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

struct thread_load {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t ok = 0, other = 0, reconnects = 0;
};

// Runs `connections` connections until `stop`; records only after `record_from`.
void drive(int port, int thread, int connections, const std::atomic<bool>& stop, clock_type::time_point record_from,
           thread_load& out) {
  struct conn {
    int fd = -1;
    std::string in;
    clock_type::time_point sent;
  };
  request_maker maker(thread);
  std::vector<conn> conns(static_cast<std::size_t>(connections));
  const auto start = [&](conn& c) {
    if (c.fd < 0) c.fd = connect_to(port);
    c.in.clear();
    c.sent = clock_type::now();
    if (c.fd < 0 || !send_all(c.fd, maker.next())) {
      if (c.fd >= 0) ::close(c.fd);
      c.fd = -1;
    }
  };
  for (conn& c : conns) start(c);
  std::vector<pollfd> fds(conns.size());
  char buffer[16 * 1024];
  while (!stop) {
    for (std::size_t i = 0; i < conns.size(); ++i) fds[i] = pollfd{conns[i].fd, POLLIN, 0};
    if (::poll(fds.data(), fds.size(), 100) <= 0) {
      for (conn& c : conns) {
        if (c.fd < 0) start(c);  // could not connect or send: try again
      }
      continue;
    }
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (fds[i].revents == 0) continue;
      conn& c = conns[i];
      const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
      if (n <= 0) {  // the server closed (Connection: close, or a bound): reconnect and send again
        ::close(c.fd);
        c.fd = -1;
        ++out.reconnects;
        start(c);
        continue;
      }
      c.in.append(buffer, static_cast<std::size_t>(n));
      const std::size_t head_end = c.in.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      std::size_t length = 0;
      for (const char* name : {"Content-Length:", "content-length:"}) {
        const std::size_t at = c.in.find(name);
        if (at != std::string::npos && at < head_end) length = std::strtoul(c.in.c_str() + at + 15, nullptr, 10);
      }
      if (c.in.size() < head_end + 4 + length) continue;
      const auto now = clock_type::now();
      if (now >= record_from) {
        const int status = std::atoi(c.in.c_str() + 9);
        (status >= 200 && status < 300 ? out.ok : out.other) += 1;
        out.latencies_us.push_back(
            static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent).count()));
      }
      start(c);
    }
  }
  for (conn& c : conns) {
    if (c.fd >= 0) ::close(c.fd);
  }
}

std::optional<result> measure(const server_spec& spec, int seconds, int connections, int threads) {
  qtest::child_process server(spec.argv, {{"QURABLE_WEBHOOK_SECRET", std::string(secret)}});
  const std::optional<std::size_t> line = server.wait_for_text("listening on http://127.0.0.1:", 10s);
  if (!line) {
    std::fprintf(stderr, "%s did not start:\n%s\n", spec.name.c_str(), server.output().c_str());
    return std::nullopt;
  }
  const std::string& text = server.lines()[*line];
  const int port = std::atoi(text.c_str() + text.find("127.0.0.1:") + 10);

  std::atomic<bool> stop{false};
  const auto record_from = clock_type::now() + 500ms;  // warm-up
  std::vector<thread_load> loads(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    const int share = connections / threads + (t < connections % threads ? 1 : 0);
    pool.emplace_back(drive, port, t, share, std::cref(stop), record_from,
                      std::ref(loads[static_cast<std::size_t>(t)]));
  }
  const auto end = record_from + std::chrono::seconds(seconds);
  // The examples print lines per request: keep their pipe empty, waiting for output (not spinning) meanwhile.
  while (clock_type::now() < end)
    server.wait_for_line([](const std::string&) { return false; }, 50ms, server.lines().size());
  stop = true;
  for (std::thread& t : pool) t.join();
  server.stop(SIGTERM, 10s);

  result r;
  std::vector<std::uint32_t> all;
  for (const thread_load& l : loads) {
    all.insert(all.end(), l.latencies_us.begin(), l.latencies_us.end());
    r.ok += l.ok;
    r.other += l.other;
    r.reconnects += l.reconnects;
  }
  if (all.empty()) return r;
  std::sort(all.begin(), all.end());
  r.rps = static_cast<double>(all.size()) / seconds;
  r.p50_ms = all[all.size() / 2] / 1000.0;
  r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)] / 1000.0;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 2, rounds = 5, connections = 16, threads = 2;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    const int n = std::max(1, std::atoi(argv[i + 1]));
    if (arg == "--seconds") seconds = n;
    if (arg == "--rounds") rounds = n;
    if (arg == "--connections") connections = n;
    if (arg == "--client-threads") threads = n;
    if (arg == "--only") only = argv[i + 1];
  }
  threads = std::min(threads, connections);

#if defined(QURABLE_STREAM_RECEIVER_EXE)
  // The durable receiver answers 202 once Redis has the event: a redis-server of the bench's own, on a unix socket,
  // without persistence (the figure is the HTTP + XADD path, not the disk), killed with the bench.
  char redis_dir[] = "/tmp/qw-http-bench-XXXXXX";
  if (mkdtemp(redis_dir) == nullptr) return 1;
  const std::string redis_socket = std::string(redis_dir) + "/redis.sock";
  struct remove_at_exit {  // declared before the server, so destroyed after it is killed
    std::string path;
    ~remove_at_exit() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } redis_files{redis_dir};
  qtest::child_process redis({QURABLE_REDIS_SERVER, "--port", "0", "--unixsocket", redis_socket, "--save", "",
                              "--appendonly", "no", "--dir", redis_dir});
  if (!redis.wait_for_text("accept connections", 10s)) {  // "ready to accept connections at <socket>"
    std::fprintf(stderr, "qurable-http-bench: redis-server did not start:\n%s\n", redis.output().c_str());
    return 1;
  }
#endif

  std::vector<server_spec> servers = {
      {"bare_httplib", "cpp-httplib", {QURABLE_BARE_HTTPLIB_EXE, "0"}, ""},
      {"httplib_receiver", "cpp-httplib", {QURABLE_HTTPLIB_RECEIVER_EXE, "--port", "0"}, "bare_httplib"},
      {"queue_receiver",
       "cpp-httplib",
       {QURABLE_QUEUE_RECEIVER_EXE, "--port", "0", "--handler-delay-ms", "0", "--capacity", "100000"},
       "bare_httplib"},
      {"bare_civetweb", "civetweb", {QURABLE_BARE_CIVETWEB_EXE, "0"}, ""},
      {"civetweb_receiver", "civetweb", {QURABLE_CIVETWEB_RECEIVER_EXE, "--port", "0"}, "bare_civetweb"},
      {"bare_beast", "Boost.Beast", {QURABLE_BARE_BEAST_EXE, "0"}, ""},
      {"beast_receiver", "Boost.Beast", {QURABLE_BEAST_RECEIVER_EXE, "--port", "0"}, "bare_beast"},
  };
#if defined(QURABLE_STREAM_RECEIVER_EXE)
  // Receive only: 202 once the XADD is confirmed. The workers' side has its own bench (qurable-stream-bench).
  servers.push_back({"stream_receiver",
                     "cpp-httplib",
                     {QURABLE_STREAM_RECEIVER_EXE, "--port", "0", "--workers", "0", "--redis-socket", redis_socket},
                     "bare_httplib"});
#endif

  std::printf(
      "qurable-http-bench: %d keep-alive connections, %d client thread(s), %d round(s) of %d s per server "
      "after 0.5 s of warm-up, medians; every request a distinct signed member-created event (%zu bytes)\n\n",
      connections, threads, rounds, seconds, request_maker(0).body_size());
  // --only NAME: that server, and its bare baseline.
  const auto selected = [&](const server_spec& spec) {
    if (only.empty() || spec.name == only) return true;
    for (const server_spec& s : servers) {
      if (s.name == only && s.bare == spec.name) return true;
    }
    return false;
  };
  // Each round measures every example right after its bare server, and keeps the ratio of the two: the machine's
  // load changes between rounds (other processes), much less within a pair.
  std::map<std::string, std::vector<result>> runs;
  std::map<std::string, std::vector<double>> ratios;
  for (int round = 1; round <= rounds; ++round) {
    for (const server_spec& spec : servers) {
      if (spec.bare.empty() || !selected(spec)) continue;
      const auto bare =
          std::find_if(servers.begin(), servers.end(), [&](const server_spec& s) { return s.name == spec.bare; });
      const std::optional<result> base = measure(*bare, seconds, connections, threads);
      const std::optional<result> r = measure(spec, seconds, connections, threads);
      if (!base || !r) return 1;
      std::fprintf(stderr, "round %d: %s %.0f requests/s, %s %.0f requests/s\n", round, bare->name.c_str(), base->rps,
                   spec.name.c_str(), r->rps);
      runs[bare->name].push_back(*base);
      runs[spec.name].push_back(*r);
      ratios[spec.name].push_back(base->rps > 0 ? r->rps / base->rps : 0);
    }
  }
  const auto median = [](std::vector<result> v, double result::*field) {
    std::sort(v.begin(), v.end(), [field](const result& a, const result& b) { return a.*field < b.*field; });
    return v[v.size() / 2].*field;
  };
  std::map<std::string, result> results;
  std::printf("| server | stack | requests/s | p50 ms | p99 ms | non-2xx | reconnects |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  for (const server_spec& spec : servers) {
    if (!runs.count(spec.name)) continue;
    result r;
    r.rps = median(runs[spec.name], &result::rps);
    r.p50_ms = median(runs[spec.name], &result::p50_ms);
    r.p99_ms = median(runs[spec.name], &result::p99_ms);
    for (const result& one : runs[spec.name]) {
      r.other += one.other;
      r.reconnects += one.reconnects;
    }
    results[spec.name] = r;
    std::printf("| %s | %s | %.0f | %.3f | %.3f | %llu | %llu |\n", spec.name.c_str(), spec.stack.c_str(), r.rps,
                r.p50_ms, r.p99_ms, static_cast<unsigned long long>(r.other),
                static_cast<unsigned long long>(r.reconnects));
  }
  // The median over the rounds of the paired ratios.
  std::string summary = "summary:";
  for (const server_spec& spec : servers) {
    if (!ratios.count(spec.name)) continue;
    std::vector<double> v = ratios[spec.name];
    std::sort(v.begin(), v.end());
    char part[128];
    std::snprintf(part, sizeof part, " %s_vs_bare=%.2f", spec.name.c_str(), v[v.size() / 2]);
    summary += part;
  }
  std::printf("\n%s\n", summary.c_str());
  return 0;
}
