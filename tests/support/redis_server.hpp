#pragma once
// A real redis-server for the Redis tests and the chaos harness: a child process on a unix socket in a fresh directory
// under /tmp (so that parallel runs never share a server), which a test can stop, kill, pause and restart. The server
// dies with the program (PR_SET_PDEATHSIG on Linux); as a backstop its pid and directory are recorded in `pid_dir`,
// which the ctest cleanup fixture (tests/redis_cleanup.sh) sweeps. Plus raw_client, a plain hiredis connection to
// look at and change what the code under test cannot. POSIX only.

#include <hiredis/hiredis.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace qtest {

struct reply {
  int type = 0;
  long long integer = 0;
  std::string text;
};

// A plain hiredis connection, to look at and change what the store cannot: the keys themselves, CONFIG.
class raw_client {
 public:
  explicit raw_client(const std::string& socket) {
    timeval tv{};
    tv.tv_sec = 2;
    context_ = redisConnectUnixWithTimeout(socket.c_str(), tv);
    if (context_ == nullptr || context_->err != 0) {
      redisFree(context_);
      throw std::runtime_error("raw_client: cannot connect to " + socket);
    }
  }
  raw_client(const std::string& host, int port) {
    timeval tv{};
    tv.tv_sec = 2;
    context_ = redisConnectWithTimeout(host.c_str(), port, tv);
    if (context_ == nullptr || context_->err != 0) {
      redisFree(context_);
      throw std::runtime_error("raw_client: cannot connect to " + host + ":" + std::to_string(port));
    }
  }
  ~raw_client() { redisFree(context_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  reply run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& a : args) {
      argv.push_back(a.c_str());
      lengths.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lengths.data()));
    if (r == nullptr) throw std::runtime_error("raw_client: no reply");
    reply out{r->type, r->integer, r->str != nullptr ? std::string(r->str, r->len) : std::string()};
    freeReplyObject(r);
    return out;
  }

 private:
  redisContext* context_ = nullptr;
};

// Starts args[0] with args as a child process that dies with this one (PR_SET_PDEATHSIG on Linux); its stdout and
// stderr go to `log` when given (appended).
inline pid_t spawn(const std::vector<std::string>& args, const std::string& log = {}) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
#if defined(__linux__)
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // if this program dies, so does the child
    if (getppid() != parent) _exit(127);
#else
    (void)parent;
#endif
    if (!log.empty()) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// A redis-server child process: without persistence, or with the append-only file (appendfsync always unless
// told otherwise) when `aof` is set, so that a restart keeps what was confirmed. On a unix socket in a fresh directory
// under /tmp by default; with `port` set, on 127.0.0.1:port instead, and with `data_dir` set, in that directory
// (emptied first).
class redis_server {
 public:
  explicit redis_server(std::string executable, std::string pid_dir, bool aof = false, std::string data_dir = {},
                        int port = 0, std::string appendfsync = "always")
      : executable_(std::move(executable)),
        pid_dir_(std::move(pid_dir)),
        aof_(aof),
        port_(port),
        appendfsync_(std::move(appendfsync)) {
    if (data_dir.empty()) {
      char dir[] = "/tmp/qw-redis-XXXXXX";  // short: a unix socket path is limited to ~100 bytes
      if (mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
      dir_ = dir;
    } else {
      dir_ = std::move(data_dir);
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
      std::filesystem::create_directories(dir_);
    }
    if (port_ == 0) socket_ = dir_ + "/redis.sock";
    start();
  }
  ~redis_server() {
    stop(SIGKILL);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);  // the socket, the log, the append-only files
    std::remove(record_file().c_str());
  }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  const std::string& socket() const { return socket_; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }

  void start() {
    if (pid_ > 0) return;
    std::vector<std::string> args = {executable_, "--port", std::to_string(port_)};
    if (port_ == 0) {
      args.insert(args.end(), {"--unixsocket", socket_, "--unixsocketperm", "700"});
    } else {
      args.insert(args.end(), {"--bind", "127.0.0.1"});
    }
    args.insert(args.end(), {"--save", "", "--appendonly", aof_ ? "yes" : "no", "--appendfsync", appendfsync_,
                             "--daemonize", "no", "--dir", dir_, "--logfile", dir_ + "/redis.log"});
    pid_ = spawn(args);
    record_pid();
    wait_until_ready();
  }

  // SIGTERM: a clean shutdown; SIGKILL: a crash.
  void stop(int signal_number = SIGTERM) {
    if (pid_ <= 0) return;
    kill(pid_, signal_number);
    if (signal_number != SIGKILL) kill(pid_, SIGCONT);  // a paused server must run to handle SIGTERM
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    record_pid();
  }

  void pause() { kill(pid_, SIGSTOP); }
  void resume() { kill(pid_, SIGCONT); }

 private:
  // QURABLE_REDIS_PID_DIR/<directory name>: "<server pid, 0 when stopped> <directory>", for the cleanup fixture.
  std::string record_file() const { return pid_dir_ + "/" + dir_.substr(dir_.rfind('/') + 1); }

  void record_pid() {
    mkdir(pid_dir_.c_str(), 0755);
    std::ofstream(record_file()) << (pid_ > 0 ? pid_ : 0) << ' ' << dir_ << '\n';
  }

  void wait_until_ready() {
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at startup; see " + dir_ + "/redis.log");
      }
      timeval tv{};
      tv.tv_usec = 200'000;
      redisContext* c = port_ == 0 ? redisConnectUnixWithTimeout(socket_.c_str(), tv)
                                   : redisConnectWithTimeout("127.0.0.1", port_, tv);
      if (c != nullptr) {
        const bool up = c->err == 0;
        redisFree(c);
        if (up) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("redis-server did not accept connections within 5 s");
  }

  std::string executable_;
  std::string pid_dir_;
  bool aof_ = false;
  int port_ = 0;
  std::string appendfsync_;
  std::string dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

#if defined(QURABLE_REDIS_SERVER) && defined(QURABLE_REDIS_PID_DIR)
// The test program's one server, started on first use (tests/redis.cmake defines where redis-server is).
inline redis_server& shared_redis_server() {
  static redis_server s(QURABLE_REDIS_SERVER, QURABLE_REDIS_PID_DIR);
  return s;
}
#endif

}  // namespace qtest
