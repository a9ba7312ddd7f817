# Tests of the HTTP-agnostic receiver, the async (queue) receiver and the test kit. No HTTP library: the receiver
# takes method, headers and body. Real threads, the real memory_store, and the real Standard Webhooks verifier when
# OpenSSL was found.
find_package(Threads REQUIRED)

set(_qw_receiver_sources test_receiver.cpp test_receiver_owned.cpp test_receiver_hooks.cpp test_receiver_keys.cpp
  test_receiver_observe.cpp)
set(_qw_testing_sources test_testing.cpp)
set(_qw_receiver_libs Threads::Threads)
if(TARGET qurable::webhooks_signature)
  list(APPEND _qw_receiver_sources test_receiver_signature.cpp)
  list(APPEND _qw_testing_sources test_testing_signature.cpp)
  list(APPEND _qw_receiver_libs qurable::webhooks_signature)
endif()

qurable_add_test(receiver_tests SOURCES ${_qw_receiver_sources} LIBS ${_qw_receiver_libs})
qurable_add_test(queue_tests SOURCES test_queue.cpp LIBS Threads::Threads)
qurable_add_test(testing_kit_tests SOURCES ${_qw_testing_sources} LIBS ${_qw_receiver_libs})

# Counts heap allocations on the success path; it replaces the global operator new, hence an executable of its own.
qurable_add_test(receiver_alloc_tests SOURCES test_receiver_alloc.cpp support/alloc_counter.cpp
  LIBS Threads::Threads)

# The receiver, the queue and the test kit without exceptions (Catch2 needs them, so this one has its own main).
add_executable(receiver_noexcept_tests test_receiver_noexcept.cpp)
target_link_libraries(receiver_noexcept_tests PRIVATE qurable::webhooks Threads::Threads)
target_compile_options(receiver_noexcept_tests PRIVATE
  $<$<CXX_COMPILER_ID:GNU,Clang,AppleClang>:-fno-exceptions>)
target_compile_definitions(receiver_noexcept_tests PRIVATE SIMDJSON_EXCEPTIONS=0)
qurable_webhooks_set_warnings(receiver_noexcept_tests)
add_test(NAME receiver_noexcept_tests COMMAND receiver_noexcept_tests)
