# qurable-chaos, the fault-injection harness of the durable hand-off (tests/chaos/chaos.cpp), and a ctest that runs a
# short seeded version of it. Built only where it can run: POSIX, the Redis and signature components, cpp-httplib
# and a redis-server executable. The ctest takes about 25 s (12 s of faults, then the drain) and at most 60 s.
if(NOT UNIX OR NOT TARGET qurable::webhooks_redis OR NOT TARGET qurable::webhooks_signature)
  return()
endif()
include(${qurable_webhooks_SOURCE_DIR}/cmake/QurableFindHttplib.cmake)
find_program(QURABLE_REDIS_SERVER_EXECUTABLE redis-server)
if(NOT QURABLE_HTTPLIB_TARGET OR NOT QURABLE_REDIS_SERVER_EXECUTABLE)
  message(STATUS "qurable-chaos: skipped (needs cpp-httplib and redis-server)")
  return()
endif()
find_package(Threads REQUIRED)

add_executable(qurable-chaos ${CMAKE_CURRENT_LIST_DIR}/chaos.cpp)
target_link_libraries(qurable-chaos PRIVATE qurable::webhooks_redis qurable::webhooks_signature
  ${QURABLE_HTTPLIB_TARGET} Threads::Threads)
target_include_directories(qurable-chaos PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(qurable-chaos PRIVATE
  QURABLE_REDIS_SERVER="${QURABLE_REDIS_SERVER_EXECUTABLE}"
  QURABLE_CHAOS_DIR="${CMAKE_CURRENT_BINARY_DIR}")
qurable_webhooks_set_warnings(qurable-chaos)

# The summary must say that every event was acknowledged and processed once, with kills and a Redis restart; the
# program's own verdict (exit status, printed as "result: FAIL" since PASS_REGULAR_EXPRESSION ignores the exit status)
# and "drained=no" fail the test. Seeded failing handlers (5%) and failing effects (2%) run too.
add_test(NAME chaos_short COMMAND qurable-chaos --seconds 12 --events 300 --seed 7 --drain 20
  --fail-handlers 0.05 --fail-effects 0.02)
set_tests_properties(chaos_short PROPERTIES TIMEOUT 60 LABELS "redis;chaos"
  PASS_REGULAR_EXPRESSION
  "summary: events=300 acknowledged=300 processed=300 lost=0 duplicated=0 kills=([3-9]|[1-9][0-9]+) redis_restarts=[1-9]"
  FAIL_REGULAR_EXPRESSION "result: FAIL;drained=no")
if(DEFINED _qw_redis_pid_dir)  # tests/redis.cmake: the cleanup fixture kills a server a crashed run left behind
  target_compile_definitions(qurable-chaos PRIVATE QURABLE_REDIS_PID_DIR="${_qw_redis_pid_dir}")
  set_tests_properties(chaos_short PROPERTIES FIXTURES_REQUIRED qurable_redis_server)
endif()
