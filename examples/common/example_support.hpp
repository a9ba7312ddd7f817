#pragma once
// What the HTTP examples share and what is not about any HTTP stack: the log lines they print (the end-to-end tests
// read them), the demo handlers, the --fail-once knob, waiting for SIGINT / SIGTERM, and two small argument helpers.
// When you copy an example, copy this folder with it, then replace loyalty_handlers with your own work.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include <qurable/webhooks.hpp>

namespace qw = qurable::webhooks;  // as in the examples

namespace qurable_examples {

// The environment variable holding the endpoint's signing secret(s): "whsec_<base64>" as the platform shows it.
// While rotating, put the new and the old secret separated by a space: a signature by either passes.
constexpr const char* secret_env = "QURABLE_WEBHOOK_SECRET";

// ---------------------------------------------------------------------------------------------------------------------
// Output: one line per event handled, per request answered, per dead letter, on stdout. Lines from request threads
// must not interleave, and a request thread must never wait for the reader of stdout. On a terminal each line is
// written at once. Otherwise (a pipe, a file, a log collector; the tests read a pipe) lines are appended to a buffer
// under a short lock, and a background thread writes the buffer out every 20 ms (and at exit): one write for many
// lines, outside the lock. At tens of thousands of requests per second this was most of what logging cost.

struct output_state {
  std::mutex pending_mutex;  // guards `pending`
  std::string pending;
  std::mutex write_mutex;  // one writer of stdout at a time, so that lines keep their order
  bool interactive = false;

  void write_out() {
    const std::lock_guard<std::mutex> writing(write_mutex);
    std::string out;
    {
      const std::lock_guard<std::mutex> lock(pending_mutex);
      out.swap(pending);
    }
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::write(STDOUT_FILENO, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stdout closed: nothing more to do
      done += static_cast<std::size_t>(n);
    }
  }
};

inline output_state& output() {
  static output_state* const state = [] {
    auto* s = new output_state;  // never destroyed: the writer thread and the exit handler use it to the end
    s->interactive = ::isatty(STDOUT_FILENO) != 0;
    std::fflush(stdout);  // what was printed with stdio before comes first
    std::atexit([] { output().write_out(); });
    if (!s->interactive) {
      std::thread([s] {
        for (;;) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          s->write_out();
        }
      }).detach();
    }
    return s;
  }();
  return *state;
}

// Appends `text` (and a newline when asked) to the pending output. A terminal gets each line at once; a reader that
// falls behind makes the writers wait past 4 MiB (bounded memory).
inline void write_pending(std::string_view text, bool newline) {
  output_state& out = output();
  std::size_t buffered = 0;
  {
    const std::lock_guard<std::mutex> lock(out.pending_mutex);
    out.pending.append(text.data(), text.size());
    if (newline) out.pending.push_back('\n');
    buffered = out.pending.size();
  }
  if (out.interactive || buffered > (std::size_t{4} << 20)) out.write_out();
}

inline void write_line(const std::string& line) { write_pending(line, true); }

// Text that already ends with its newline (a JSON log line from observe/json_log.hpp), in order with the other lines.
inline void write_text(std::string_view text) { write_pending(text, false); }

inline void append(std::string& out, std::string_view text) { out.append(text.data(), text.size()); }
inline void append(std::string& out, const char* text) { out.append(text); }
inline void append(std::string& out, const std::string& text) { out.append(text); }
template <class Number, std::enable_if_t<std::is_arithmetic_v<Number>, int> = 0>
void append(std::string& out, Number n) {
  if constexpr (std::is_floating_point_v<Number>) {
    char buffer[32];
    const int size = std::snprintf(buffer, sizeof buffer, "%g", static_cast<double>(n));
    out.append(buffer, static_cast<std::size_t>(size > 0 ? size : 0));
  } else {
    out += std::to_string(n);
  }
}

template <class... Parts>
void log_line(const Parts&... parts) {
  std::string line;
  (append(line, parts), ...);
  write_line(line);
}

inline std::string_view or_dash(const std::optional<std::string_view>& value) { return value ? *value : "-"; }

// ---------------------------------------------------------------------------------------------------------------------
// Demo knob, not something to copy: `--fail-once KEY` makes the handler fail the first delivery of the event whose
// loyaltyEventKey is KEY, as if a downstream service were down. The receiver answers 500, releases the event's
// idempotency reservation, and the platform's retry (any later delivery of the same event) is handled normally.
class simulated_outage {
 public:
  explicit simulated_outage(std::vector<std::string> keys) : keys_(keys.begin(), keys.end()) {}

  // True the first time `key` is asked for, if it was configured.
  bool fails_now(std::string_view key) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = keys_.find(std::string(key));
    if (it == keys_.end()) return false;
    keys_.erase(it);
    return true;
  }

 private:
  std::mutex mutex_;
  std::set<std::string> keys_;
};

// ---------------------------------------------------------------------------------------------------------------------
// The handlers: one overload per event type, plus a fallback for other and future types. They run on the server's
// request threads, several at once, so they are const and share nothing but thread-safe state. Returning
// handler_result::failure() answers 500 and the platform retries; views are valid during the call only (copy what you
// keep). Each handler prints one "event ..." line: the tests and the demo read it. `handled`, when set, counts them.
struct loyalty_handlers {
  simulated_outage* outage = nullptr;
  std::atomic<int>* handled = nullptr;

  qw::handler_result operator()(const qw::member_created& e) const {
    if (auto failed = simulate_failure(e.envelope)) return *failed;
    const qw::member_profile& profile = e.execution_results.profile;
    // Your work goes here: create the member in your system, keyed by the loyaltyMemberId, send a welcome email...
    log_line("event member-created key=", e.envelope.loyalty_event_key, " member=", e.payload.loyalty_member_id,
             " email=", or_dash(profile.email), " name=", or_dash(profile.name), " ", or_dash(profile.last_name),
             " tiers=", e.execution_results.tiers.size());
    return done();
  }

  qw::handler_result operator()(const qw::coupon_code_assigned& e) const {
    if (auto failed = simulate_failure(e.envelope)) return *failed;
    const qw::coupon_usage& usage = e.execution_results;
    const qw::coupon_book& book = e.payload.coupon_book;
    log_line("event coupon-code-assigned key=", e.envelope.loyalty_event_key, " code=", usage.coupon.code,
             " member=", or_dash(e.envelope.loyalty_member_id), " book=\"", book.name,
             "\" discount=", book.discount_amount, " ", book.discount_type, " assigned=", usage.amount_assigned);
    return done();
  }

  qw::handler_result operator()(const qw::coupon_code_used& e) const {
    if (auto failed = simulate_failure(e.envelope)) return *failed;
    const qw::coupon_usage& usage = e.execution_results;
    const qw::coupon_book& book = e.payload.coupon_book;
    log_line("event coupon-code-used key=", e.envelope.loyalty_event_key, " code=", usage.coupon.code,
             " member=", or_dash(e.envelope.loyalty_member_id), " book=\"", book.name,
             "\" discount=", book.discount_amount, " ", book.discount_type, " used=", usage.amount_used);
    return done();
  }

  // Every other type, including the ones the platform adds later: acknowledge (200) so they are not retried forever.
  qw::handler_result operator()(const qw::event_envelope& e) const {
    if (auto failed = simulate_failure(e)) return *failed;
    log_line("event other type=", e.event_type, " key=", e.loyalty_event_key);
    return done();
  }

 private:
  std::optional<qw::handler_result> simulate_failure(const qw::event_envelope& e) const {
    if (outage == nullptr || !outage->fails_now(e.loyalty_event_key)) return std::nullopt;
    log_line("failing ", e.event_type, " key=", e.loyalty_event_key, " (simulated downstream failure, --fail-once)");
    return qw::handler_result::failure("simulated downstream failure (--fail-once)");
  }

  qw::handler_result done() const {
    if (handled != nullptr) ++*handled;
    return qw::handler_result::success();
  }
};

// ---------------------------------------------------------------------------------------------------------------------
// Stopping. SIGINT and SIGTERM are blocked in every thread and waited for by the main thread, so that stopping a
// server never happens inside a signal handler. Threads inherit the mask of the thread that starts them: call
// block_stop_signals() first thing in main(), before any library starts one.

inline sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

inline sigset_t block_stop_signals() {
  const sigset_t set = stop_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Waits for SIGINT or SIGTERM while running() holds, looking again every 200 ms. Returns the signal, or -1 when
// running() turned false (the server stopped by itself) or the wait failed.
template <class Running>
int wait_for_stop(const sigset_t& signals, Running running) {
  const timespec tick{0, 200'000'000};
  int signal = -1;
  while (running() && signal < 0) {
    signal = sigtimedwait(&signals, nullptr, &tick);
    if (signal < 0 && errno != EAGAIN && errno != EINTR) break;
  }
  return signal;
}

// ---------------------------------------------------------------------------------------------------------------------
// Arguments.

template <class Number>
bool parse_number(std::string_view text, Number& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

// "whsec_a whsec_b" (or comma-separated) → {"whsec_a", "whsec_b"}.
inline std::vector<std::string> split_secrets(std::string_view text) {
  std::vector<std::string> secrets;
  while (!text.empty()) {
    const std::size_t start = text.find_first_not_of(" ,\t\n");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const std::size_t end = text.find_first_of(" ,\t\n");
    secrets.emplace_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  }
  return secrets;
}

}  // namespace qurable_examples
