#pragma once
// A counting global operator new, for the tests that prove a warm path allocates nothing. The replacements are
// defined in support/alloc_counter.cpp: link it into the test program (one per program: it replaces the global
// operators). A translation unit of its own, so that the compiler cannot inline the replacements into callers and
// mistake malloc/free pairs for mismatches.

#include <atomic>

namespace qtest::alloc_counter {

// Every allocation is counted while `counting` is set (the default).
extern std::atomic<bool> counting;
extern std::atomic<long> allocations;
// When set, the next allocation fails (nullptr from a nothrow new, std::bad_alloc or abort from the others) and the
// flag clears: for the tests of out-of-memory paths.
extern std::atomic<bool> fail_next;

}  // namespace qtest::alloc_counter
