# Tests of the Redis idempotency store against a real redis-server. Only when the component exists (hiredis was
# found) and redis-server is installed; POSIX only (the test program forks the server to kill and restart it).
# The program starts its server on a unix socket in a fresh directory under /tmp, so parallel runs never share one.
# The server dies with the program (PR_SET_PDEATHSIG on Linux); the cleanup fixture also kills any server whose pid
# file a crashed run left in redis_store_tests.servers/.
if(NOT TARGET qurable::webhooks_redis OR NOT UNIX)
  return()
endif()
find_program(QURABLE_REDIS_SERVER_EXECUTABLE redis-server)
if(NOT QURABLE_REDIS_SERVER_EXECUTABLE)
  message(STATUS "qurable_webhooks: redis-server not found, redis_store_tests not built")
  return()
endif()

find_package(Threads REQUIRED)
set(_qw_redis_pid_dir "${CMAKE_CURRENT_BINARY_DIR}/redis_store_tests.servers")

# Lets an existing test program start its own redis-server (tests/support/redis_server.hpp); every one records its
# servers' pids in the same directory, which the cleanup fixture sweeps.
function(qurable_use_redis_server name)
  target_link_libraries(${name} PRIVATE qurable::webhooks_redis)
  target_compile_definitions(${name} PRIVATE
    QURABLE_REDIS_SERVER="${QURABLE_REDIS_SERVER_EXECUTABLE}"
    QURABLE_REDIS_PID_DIR="${_qw_redis_pid_dir}")
  set_property(TEST ${name} APPEND PROPERTY FIXTURES_REQUIRED qurable_redis_server)
  set_property(TEST ${name} APPEND PROPERTY LABELS redis)
endfunction()

# A test program of its own that uses a redis-server.
function(qurable_add_redis_test name timeout)
  qurable_add_test(${name} SOURCES ${ARGN} LIBS Threads::Threads)
  qurable_use_redis_server(${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${timeout})
endfunction()

qurable_add_redis_test(redis_store_tests 120 test_redis_store.cpp)
add_test(NAME redis_store_tests.cleanup
  COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/redis_cleanup.sh" "${_qw_redis_pid_dir}")
set_tests_properties(redis_store_tests.cleanup PROPERTIES FIXTURES_CLEANUP qurable_redis_server LABELS redis)

# The durable hand-off on Redis Streams (queue/redis_stream_*.hpp): receiver, workers, dead letters, effects.
qurable_add_redis_test(redis_stream_tests 120 test_redis_stream.cpp)

# qurable-replay, the dead-letter tool (examples/replay), run as a user runs it.
if(TARGET qurable-replay)
  qurable_add_redis_test(replay_tests 60 test_replay.cpp)
  target_compile_definitions(replay_tests PRIVATE QURABLE_QURABLE_REPLAY_EXE="$<TARGET_FILE:qurable-replay>")
  add_dependencies(replay_tests qurable-replay)
endif()
