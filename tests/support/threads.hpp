#pragma once
// Helpers for the receiver tests that run handlers and hooks on several threads.

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <qurable/webhooks/core/outcome.hpp>
#include <qurable/webhooks/http/receiver.hpp>

namespace qtest {

// A one-shot signal between threads (std::latch is C++20).
class gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// What one call of the dead-letter hook received.
struct dead_letter {
  std::string body;
  qurable::webhooks::outcome_kind kind;
  qurable::webhooks::error_code code;
  std::string message;
};

// Collects what reaches the dead-letter hook, from any thread.
class dead_letters {
 public:
  qurable::webhooks::dead_letter_hook hook() {
    return [this](std::string_view body, const qurable::webhooks::outcome& o) {
      std::lock_guard<std::mutex> lock(mutex_);
      items_.push_back(dead_letter{std::string(body), o.kind, o.code, o.message});
    };
  }
  std::vector<dead_letter> items() {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_;
  }

 private:
  std::mutex mutex_;
  std::vector<dead_letter> items_;
};

}  // namespace qtest
