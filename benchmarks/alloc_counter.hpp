#pragma once
// Heap allocations made by the whole bench process, counted by the replacement global operator new in
// alloc_counter.cpp. Single-threaded bench: a plain counter is enough.

#include <cstdint>

namespace qurable_bench {

// Calls to any global operator new / new[] (all overloads) since the process started.
std::uint64_t allocation_count() noexcept;

}  // namespace qurable_bench
