#pragma once
// Calls into user code (hooks, verifiers, lookups) that must never let an exception out of the receiver.

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

}  // namespace qurable::webhooks::detail
