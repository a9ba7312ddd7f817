#pragma once
// Effectively-once side effects for state kept in the same Redis as the stream: a handler running in a
// redis_stream_worker queues its Redis writes here instead of sending them, and the worker runs them in the same Lua
// call that records the event as processed and acknowledges its stream entry. A crash anywhere (before, during or
// after the handler) cannot apply the writes twice: the script runs whole or not at all, and until it ran the event
// is processed again from scratch with its writes queued again.
//
//   void operator()(const qw::member_created& m) const {
//     qw::redis_effects& fx = qw::redis_effects::current();   // the batch of the event this thread is handling
//     fx.command({"HSET", "members:" + std::string(m.member_id()), "created", "1"});
//   }
//
// What stays at-least-once: anything the handler does outside this batch (HTTP calls, another database, a file).
// Those may run again when the worker dies after doing them and before the commit, or when the commit fails.
// A queued command that fails when it runs (e.g. WRONGTYPE) is NOT all or nothing: Redis does not roll back a script,
// so the commands before it stay applied and the ones after it are not run. So that such a batch is never applied
// twice, the same script then records the event as processed, copies the entry to the dead-letter stream (outcome
// handler_failed, error "a queued Redis effect failed (command N, NAME): <Redis' error>; the N-1 command(s) before it
// were applied..."), and acknowledges it: the event is not retried, a redelivery is answered as a duplicate, and an
// operator repairs the state by hand (to run it again, delete its idempotency key, then replay it). Queue commands
// that cannot fail on well-formed data. An error of Redis itself before anything was written (OOM, READONLY, LOADING,
// BUSY...) is not that: the worker retries the commit, as for a connection failure.
// Commands must touch keys of this Redis only (no cluster slot checks are made). Needs nothing but the standard
// library; the worker that runs the batch needs hiredis.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace qurable::webhooks {

class redis_effects {
 public:
  // Queues one command, e.g. command({"INCRBY", "points:m1", "5"}). Arguments are copied.
  void command(std::initializer_list<std::string_view> args) {
    append(std::to_string(args.size()));
    for (std::string_view a : args) append(a);
    ++commands_;
  }

  std::size_t size() const noexcept { return commands_; }
  bool empty() const noexcept { return commands_ == 0; }
  // Forgets what was queued (the worker does it before each event). Keeps the memory for the next event.
  void clear() noexcept {
    used_ = 0;
    commands_ = 0;
  }

  // The flat encoding the worker's script reads: for each command its argument count, then its arguments.
  const std::string* begin() const noexcept { return words_.data(); }
  const std::string* end() const noexcept { return words_.data() + used_; }

  // The batch of the event the calling thread is handling in a redis_stream_worker. Outside a handler there is
  // none: then it is a batch that nobody runs (size() tells what was queued), never a crash.
  static redis_effects& current() noexcept {
    redis_effects* active = active_slot();
    if (active != nullptr) return *active;
    thread_local redis_effects discarded;
    return discarded;
  }
  // True while the calling thread runs a handler for a redis_stream_worker.
  static bool active() noexcept { return active_slot() != nullptr; }

  // Sets the thread's current batch for a scope (used by the worker).
  class scope {
   public:
    explicit scope(redis_effects& batch) noexcept : previous_(active_slot()) { active_slot() = &batch; }
    ~scope() { active_slot() = previous_; }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    redis_effects* previous_;
  };

 private:
  static redis_effects*& active_slot() noexcept {
    thread_local redis_effects* slot = nullptr;
    return slot;
  }

  void append(std::string_view word) {
    if (used_ == words_.size()) words_.emplace_back();
    words_[used_++].assign(word.data(), word.size());
  }

  std::vector<std::string> words_;  // words_[0, used_) are in use; the rest keep their capacity
  std::size_t used_ = 0;
  std::size_t commands_ = 0;
};

}  // namespace qurable::webhooks
