# qurable-stream-bench: the durable hand-off (receiver → Redis Stream → worker → commit) against the synchronous
# receiver with the Redis store, in one run. Needs the Redis component and a redis-server executable (POSIX: it
# starts its own). Not a test: CI does not run it. See docs/durable-delivery.md.
if(NOT UNIX OR NOT TARGET qurable::webhooks_redis)
  return()
endif()
find_program(QURABLE_REDIS_SERVER_EXECUTABLE redis-server)
if(NOT QURABLE_REDIS_SERVER_EXECUTABLE)
  message(STATUS "qurable-stream-bench: skipped (needs redis-server)")
  return()
endif()
find_package(Threads REQUIRED)
add_executable(qurable-stream-bench ${CMAKE_CURRENT_LIST_DIR}/stream_bench.cpp)
target_link_libraries(qurable-stream-bench PRIVATE qurable::webhooks_redis Threads::Threads)
target_compile_definitions(qurable-stream-bench PRIVATE QURABLE_REDIS_SERVER="${QURABLE_REDIS_SERVER_EXECUTABLE}")
qurable_webhooks_set_warnings(qurable-stream-bench)
