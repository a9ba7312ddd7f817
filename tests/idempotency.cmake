# Idempotency store tests: standard library only (plus threads for the concurrency test).
find_package(Threads REQUIRED)
qurable_add_test(idempotency_tests SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/test_idempotency.cpp
  LIBS Threads::Threads)
