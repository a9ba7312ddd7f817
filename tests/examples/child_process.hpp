#pragma once
// A child process for the end-to-end tests of the examples: the real binary, started with arguments and extra
// environment, its stdout and stderr read line by line through one pipe, every wait bounded by a deadline. The
// destructor kills and reaps it, so no test leaves a process behind; on Linux the child also dies with the test
// process (PR_SET_PDEATHSIG), so a test killed by ctest's TIMEOUT does not leave a server listening either.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qtest {

using namespace std::chrono_literals;

class child_process {
 public:
  using clock = std::chrono::steady_clock;

  // `argv[0]` is the executable's path. `env` is set on top of this process's environment; `unset` names are removed.
  explicit child_process(std::vector<std::string> argv, std::vector<std::pair<std::string, std::string>> env = {},
                         std::vector<std::string> unset = {}) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return;
    }
    if (pid_ == 0) {  // the child: only async-signal-safe calls until exec, plus setenv (single-threaded here)
#ifdef __linux__
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
#else
      (void)parent;
#endif
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      // The test's own signal mask and dispositions must not leak into the server.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (const auto& name : unset) ::unsetenv(name.c_str());
      for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    ::fcntl(out_, F_SETFL, ::fcntl(out_, F_GETFL) | O_NONBLOCK);
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  ~child_process() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      reap(clock::now() + 5s);
    }
    if (out_ >= 0) ::close(out_);
  }

  bool started() const noexcept { return pid_ > 0; }
  bool running() const noexcept { return pid_ > 0 && !status_; }

  // Output lines so far (complete lines only).
  const std::vector<std::string>& lines() const noexcept { return lines_; }

  std::string output() const {
    std::string all;
    for (const auto& line : lines_) all.append(line).push_back('\n');
    return all + partial_;
  }

  // Waits for a line (from `from` on) for which `match` is true; returns its index, or nothing at the deadline or
  // when the process ended without printing it.
  std::optional<std::size_t> wait_for_line(const std::function<bool(const std::string&)>& match,
                                           std::chrono::milliseconds timeout, std::size_t from = 0) {
    const auto deadline = clock::now() + timeout;
    for (;;) {
      for (std::size_t i = from; i < lines_.size(); ++i) {
        if (match(lines_[i])) return i;
      }
      from = lines_.size() > from ? lines_.size() : from;
      if (eof_ || clock::now() >= deadline) return std::nullopt;
      pump(deadline);
    }
  }

  // Waits for a line containing `text`.
  std::optional<std::size_t> wait_for_text(std::string_view text, std::chrono::milliseconds timeout,
                                           std::size_t from = 0) {
    return wait_for_line([text](const std::string& line) { return line.find(text) != std::string::npos; }, timeout,
                         from);
  }

  // Lines containing `text` so far.
  std::size_t count(std::string_view text) const {
    std::size_t n = 0;
    for (const auto& line : lines_) n += line.find(text) != std::string::npos ? 1 : 0;
    return n;
  }

  // Reads what is available now, without waiting.
  void drain() { pump(clock::now()); }

  // Waits for the process to exit (reading its output) and returns its exit code; -1 if it did not exit normally
  // (killed by a signal), nothing at the deadline (it is still running then).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (!eof_ && clock::now() < deadline) pump(deadline);
    if (!reap(deadline)) return std::nullopt;
    return exit_code();
  }

  // Sends `signal` and waits for the exit; SIGKILL if it has not exited by the deadline.
  std::optional<int> stop(int signal = SIGTERM, std::chrono::milliseconds timeout = 10s) {
    if (!running()) return exit_code();
    ::kill(pid_, signal);
    if (std::optional<int> code = wait_exit(timeout)) return code;
    ::kill(pid_, SIGKILL);
    reap(clock::now() + 5s);
    return std::nullopt;
  }

 private:
  std::optional<int> exit_code() const {
    if (!status_) return std::nullopt;
    return WIFEXITED(*status_) ? WEXITSTATUS(*status_) : -1;
  }

  // Reads available output, waiting at most until `deadline` for some.
  void pump(clock::time_point deadline) {
    if (out_ < 0 || eof_) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    pollfd p{out_, POLLIN, 0};
    const int ready = ::poll(&p, 1, left > 0 ? static_cast<int>(left < 100 ? left : 100) : 0);
    if (ready <= 0) return;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(out_, buffer, sizeof buffer);
      if (n > 0) {
        partial_.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) eof_ = true;
      if (n < 0 && errno == EINTR) continue;
      break;  // EAGAIN: nothing more for now
    }
    std::size_t start = 0;
    for (std::size_t nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', start)) {
      lines_.push_back(partial_.substr(start, nl - start));
      start = nl + 1;
    }
    partial_.erase(0, start);
  }

  bool reap(clock::time_point deadline) {
    if (pid_ <= 0) return false;
    if (status_) return true;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        status_ = status;
        return true;
      }
      if (r < 0 && errno != EINTR) return false;
      if (clock::now() >= deadline) return false;
      ::usleep(10'000);
    }
  }

  pid_t pid_ = -1;
  int out_ = -1;
  bool eof_ = false;
  std::optional<int> status_;
  std::string partial_;
  std::vector<std::string> lines_;
};

}  // namespace qtest
