# libFuzzer targets (configure with -DQURABLE_WEBHOOKS_BUILD_FUZZERS=ON -DCMAKE_CXX_COMPILER=clang++):
#   fuzz_receive    the whole receive path over arbitrary bytes, with its invariants checked
#   fuzz_accessors  every accessor of the views of whatever the parser accepts
# Each is built with -fsanitize=fuzzer,address,undefined. ctest (label fuzz) replays the seed corpus, and each saved
# regression as its own test, once through both targets (libFuzzer runs the files it is given and exits).
# See docs/quality.md.

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR
    "QURABLE_WEBHOOKS_BUILD_FUZZERS needs clang with libFuzzer (Debian: clang and libclang-rt-14-dev), but the C++ "
    "compiler is ${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Configure a separate build tree with "
    "-DCMAKE_CXX_COMPILER=clang++, or leave QURABLE_WEBHOOKS_BUILD_FUZZERS off.")
endif()

set(QURABLE_WEBHOOKS_FUZZ_SANITIZERS "fuzzer,address,undefined" CACHE STRING
  "The -fsanitize= list the fuzz targets are built with (must include fuzzer)")

# Fail at configure time, with the fix, when libFuzzer's runtime is not installed (rather than at link time).
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_FLAGS "-fsanitize=${QURABLE_WEBHOOKS_FUZZ_SANITIZERS}")
set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=${QURABLE_WEBHOOKS_FUZZ_SANITIZERS}")
check_cxx_source_compiles([=[
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
]=] QURABLE_WEBHOOKS_HAVE_LIBFUZZER)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT QURABLE_WEBHOOKS_HAVE_LIBFUZZER)
  message(FATAL_ERROR
    "clang cannot link with -fsanitize=${QURABLE_WEBHOOKS_FUZZ_SANITIZERS}: install libFuzzer's runtime "
    "(Debian 12: apt-get install libclang-rt-14-dev). See CMakeFiles/CMakeError.log for the compiler's words.")
endif()

set(QURABLE_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})

function(qurable_add_fuzzer name)
  add_executable(${name} ${QURABLE_FUZZ_DIR}/${name}.cpp)
  target_link_libraries(${name} PRIVATE qurable::webhooks)
  target_compile_options(${name} PRIVATE
    -fsanitize=${QURABLE_WEBHOOKS_FUZZ_SANITIZERS} -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  target_link_options(${name} PRIVATE -fsanitize=${QURABLE_WEBHOOKS_FUZZ_SANITIZERS})
  qurable_webhooks_set_warnings(${name})
endfunction()

qurable_add_fuzzer(fuzz_receive)
qurable_add_fuzzer(fuzz_accessors)

# Replays: every seed and every saved regression, run once through each target. Never an empty file list (which
# would make libFuzzer start fuzzing): the seed corpus is part of the repository.
file(GLOB _qw_fuzz_seeds CONFIGURE_DEPENDS ${QURABLE_FUZZ_DIR}/corpus/*)
file(GLOB _qw_fuzz_regressions CONFIGURE_DEPENDS ${QURABLE_FUZZ_DIR}/regressions/*)
list(FILTER _qw_fuzz_regressions EXCLUDE REGEX "/README(\\.md)?$")
if(NOT _qw_fuzz_seeds)
  message(FATAL_ERROR "the fuzz seed corpus ${QURABLE_FUZZ_DIR}/corpus is empty")
endif()
enable_testing()
foreach(_qw_fuzzer fuzz_receive fuzz_accessors)
  add_test(NAME ${_qw_fuzzer}.corpus COMMAND ${_qw_fuzzer} ${_qw_fuzz_seeds})
  set(_qw_tests ${_qw_fuzzer}.corpus)
  # One test per regression, so that a failure names its input.
  foreach(_qw_file IN LISTS _qw_fuzz_regressions)
    get_filename_component(_qw_name ${_qw_file} NAME)
    add_test(NAME ${_qw_fuzzer}.regression.${_qw_name} COMMAND ${_qw_fuzzer} ${_qw_file})
    list(APPEND _qw_tests ${_qw_fuzzer}.regression.${_qw_name})
  endforeach()
  set_tests_properties(${_qw_tests} PROPERTIES
    LABELS fuzz
    ENVIRONMENT "ASAN_OPTIONS=halt_on_error=1:detect_leaks=1;UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
endforeach()
