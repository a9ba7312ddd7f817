#pragma once
// Calling user code (hooks, observers, loggers) so that it cannot hurt the caller: an exception it throws is caught
// and counted, never reaching a worker thread (std::terminate) or skipping the caller's clean-up (a leaked slot).
// With exceptions off there is nothing to catch and the call is made as is (detail::call_or). Standard library only.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

#include "../core/outcome.hpp"
#include "call_or.hpp"

namespace qurable::webhooks::detail {

// Runs f(); true when it returned, false when it threw (then `failures` is incremented).
template <class F>
bool contained_call(std::atomic<std::uint64_t>& failures, F&& f) noexcept {
  const bool returned = call_or(false, [&f] {
    std::forward<F>(f)();
    return true;
  });
  if (!returned) failures.fetch_add(1, std::memory_order_relaxed);
  return returned;
}

// A dead-letter hook wrapped so that a throw is counted instead of propagated. `failures` must outlive the result.
inline std::function<void(std::string_view, const outcome&)> contained_hook(
    std::function<void(std::string_view, const outcome&)> hook, std::atomic<std::uint64_t>& failures) {
  if (!hook) return hook;
  return [hook = std::move(hook), &failures](std::string_view body, const outcome& out) {
    (void)contained_call(failures, [&] { hook(body, out); });
  };
}

}  // namespace qurable::webhooks::detail
