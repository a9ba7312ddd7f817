#pragma once
// call_or(): runs a callable and turns any exception it throws into a fallback value, for code that reports errors
// instead of throwing (the idempotency stores, the Redis components, hook containment). With exceptions off there is
// nothing to catch and the callable is just called. Standard library only.

#ifndef QURABLE_WEBHOOKS_DETAIL_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define QURABLE_WEBHOOKS_DETAIL_EXCEPTIONS 1
#else
#define QURABLE_WEBHOOKS_DETAIL_EXCEPTIONS 0
#endif
#endif

namespace qurable::webhooks::detail {

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
