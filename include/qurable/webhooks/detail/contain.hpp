#pragma once
// Containment, in one place: calls into user code (handlers, hooks, verifiers, lookups, loggers) that must never let
// an exception out of the SDK (a worker thread would std::terminate, a slot would leak), and code that reports errors
// instead of throwing (the idempotency stores, the Redis components). With exceptions off there is nothing to catch
// and the callable is just called. Standard library only.

#include <exception>
#include <string>
#include <utility>

#ifndef QURABLE_WEBHOOKS_DETAIL_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define QURABLE_WEBHOOKS_DETAIL_EXCEPTIONS 1
#else
#define QURABLE_WEBHOOKS_DETAIL_EXCEPTIONS 0
#endif
#endif

namespace qurable::webhooks::detail {

// Sets `out` to `text`, or leaves it empty when even that allocation fails.
inline void set_message(std::string& out, const char* text) noexcept {
#if QURABLE_WEBHOOKS_DETAIL_EXCEPTIONS
  try {
    out = text;
  } catch (...) {
    out.clear();
  }
#else
  out = text;
#endif
}

// Runs f(). True when it returned; false when it threw, with what it said in `what` ("a non-standard exception" for
// one that is not a std::exception; empty if copying the message failed). Without exceptions: f(), true.
template <class F>
bool call_contained(F&& f, std::string& what) noexcept {
#if QURABLE_WEBHOOKS_DETAIL_EXCEPTIONS
  try {
    std::forward<F>(f)();
    return true;
  } catch (const std::exception& error) {
    set_message(what, error.what());
  } catch (...) {
    set_message(what, "a non-standard exception");
  }
  return false;
#else
  (void)what;
  std::forward<F>(f)();
  return true;
#endif
}

// Runs f, turning any exception (bad_alloc, a mutex error) into `fallback`.
template <class R, class F>
R call_or(R fallback, F&& f) noexcept {
#if QURABLE_WEBHOOKS_DETAIL_EXCEPTIONS
  try {
    return f();
  } catch (...) {
    return fallback;
  }
#else
  (void)fallback;
  return f();
#endif
}

}  // namespace qurable::webhooks::detail
