#pragma once
// Parsers shared by a receiver's request threads.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/parser.hpp"

namespace qurable::webhooks {

namespace detail {

// Parsers shared by request threads: each request borrows one for its duration and gives it back. The pool grows to
// the highest number of simultaneous requests and stays there, so a warm receiver allocates no parser. Each parser
// comes with a string the request may use as scratch (the idempotency key), which keeps its capacity between requests.
// Why not thread_local: a thread_local cannot belong to one receiver (options differ, receivers die before threads),
// and servers that start a thread per connection would leave a parser behind per thread.
class parser_pool {
 public:
  explicit parser_pool(parser_options options) : options_(options) {}

  struct entry {
    explicit entry(parser_options options) : json(options) {}
    parser json;
    std::string scratch;
  };

  class lease {
   public:
    lease(parser_pool& pool, entry* e) noexcept : pool_(&pool), entry_(e) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() { pool_->give_back(entry_); }
    parser& operator*() const noexcept { return entry_->json; }
    parser* operator->() const noexcept { return &entry_->json; }
    // Scratch space for this request, kept (with its capacity) by the pool.
    std::string& scratch() const noexcept { return entry_->scratch; }

   private:
    parser_pool* pool_;
    entry* entry_;
  };

  lease acquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) {
      all_.push_back(std::make_unique<entry>(options_));
      free_.reserve(all_.size());  // so that give_back never allocates
      return lease(*this, all_.back().get());
    }
    entry* e = free_.back();
    free_.pop_back();
    return lease(*this, e);
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return all_.size();
  }

 private:
  void give_back(entry* e) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(e);
  }

  const parser_options options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<entry>> all_;
  std::vector<entry*> free_;
};

}  // namespace detail

}  // namespace qurable::webhooks
