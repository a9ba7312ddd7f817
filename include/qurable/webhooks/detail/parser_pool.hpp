#pragma once
// Parsers shared by a receiver's request threads.

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "../core/parser.hpp"

namespace qurable::webhooks {

namespace detail {

// Parsers shared by request threads: each request borrows one for its duration and gives it back. The pool grows to
// the highest number of simultaneous requests and stays there, so a warm receiver allocates no parser.
// Why not thread_local: a thread_local cannot belong to one receiver (options differ, receivers die before threads),
// and servers that start a thread per connection would leave a parser behind per thread.
class parser_pool {
 public:
  explicit parser_pool(parser_options options) : options_(options) {}

  class lease {
   public:
    lease(parser_pool& pool, parser* p) noexcept : pool_(&pool), parser_(p) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() { pool_->give_back(parser_); }
    parser& operator*() const noexcept { return *parser_; }
    parser* operator->() const noexcept { return parser_; }

   private:
    parser_pool* pool_;
    parser* parser_;
  };

  lease acquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) {
      all_.push_back(std::make_unique<parser>(options_));
      free_.reserve(all_.size());  // so that give_back never allocates
      return lease(*this, all_.back().get());
    }
    parser* p = free_.back();
    free_.pop_back();
    return lease(*this, p);
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return all_.size();
  }

 private:
  void give_back(parser* p) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(p);
  }

  const parser_options options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<parser>> all_;
  std::vector<parser*> free_;
};

}  // namespace detail

}  // namespace qurable::webhooks
