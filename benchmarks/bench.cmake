# qurable-bench: the SDK against simdjson DOM / On-Demand, RapidJSON and nlohmann::json on the same events.
# Needs the two baseline libraries (Debian: nlohmann-json3-dev rapidjson-dev); skipped quietly without them.
# Not a test: CI does not run it. See docs/performance.md.

option(QURABLE_BENCH_NATIVE "Compile qurable-bench with -march=native (for comparison only; numbers are not portable)" OFF)

find_package(nlohmann_json 3 CONFIG QUIET)
# RapidJSON's CMake config only sets an include path (and not under the same name everywhere): look for the header.
find_package(RapidJSON CONFIG QUIET)
find_path(QURABLE_BENCH_RAPIDJSON_INCLUDE_DIR rapidjson/document.h
  HINTS ${RAPIDJSON_INCLUDE_DIRS} ${RapidJSON_INCLUDE_DIRS})

if(NOT nlohmann_json_FOUND OR NOT QURABLE_BENCH_RAPIDJSON_INCLUDE_DIR)
  message(STATUS "qurable-bench: skipped (needs nlohmann_json and RapidJSON; Debian: nlohmann-json3-dev rapidjson-dev)")
  return()
endif()

get_property(_qw_bench_multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
if(NOT _qw_bench_multi_config AND NOT CMAKE_BUILD_TYPE MATCHES "^(Release|RelWithDebInfo)$")
  message(STATUS "qurable-bench: configure with -DCMAKE_BUILD_TYPE=Release for meaningful numbers")
endif()

add_executable(qurable-bench
  ${CMAKE_CURRENT_SOURCE_DIR}/main.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/candidates.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/corpus.cpp
  # The tests' counting operator new (one definition for both): off but for the allocation pass, see main.cpp.
  ${PROJECT_SOURCE_DIR}/tests/support/alloc_counter.cpp)
target_include_directories(qurable-bench PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
target_link_libraries(qurable-bench PRIVATE qurable::webhooks nlohmann_json::nlohmann_json)
# SYSTEM: RapidJSON 1.1's headers trip newer compilers' warnings, which are not ours to fix.
target_include_directories(qurable-bench SYSTEM PRIVATE ${QURABLE_BENCH_RAPIDJSON_INCLUDE_DIR})
target_compile_features(qurable-bench PRIVATE cxx_std_17)
qurable_webhooks_set_warnings(qurable-bench)
# GCC 12 at -O3 in C++20 mode reports a false -Wrestrict inside libstdc++ for `"/" + std::to_string(i)` in
# detail/decoder.hpp (GCC bug 105651, fixed in GCC 13). Silenced here only, so the bench builds; reported upstream.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(qurable-bench PRIVATE -Wno-restrict)
endif()

# The release build is -O3 with CMake's defaults for GCC and Clang; the bench prints the flags it was built with.
set(_qw_bench_flags "${CMAKE_CXX_FLAGS}")
if(CMAKE_BUILD_TYPE)
  string(TOUPPER "${CMAKE_BUILD_TYPE}" _qw_bench_config)
  string(APPEND _qw_bench_flags " ${CMAKE_CXX_FLAGS_${_qw_bench_config}}")
endif()
if(QURABLE_BENCH_NATIVE)
  target_compile_options(qurable-bench PRIVATE -march=native)
  string(APPEND _qw_bench_flags " -march=native")
endif()
string(STRIP "${_qw_bench_flags}" _qw_bench_flags)
if(CMAKE_CXX_STANDARD)
  string(APPEND _qw_bench_flags " (C++${CMAKE_CXX_STANDARD})")
endif()

target_compile_definitions(qurable-bench PRIVATE
  QURABLE_BENCH_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures"
  QURABLE_BENCH_FLAGS="${_qw_bench_flags}")
