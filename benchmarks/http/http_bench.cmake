# qurable-http-bench: the receiver examples next to bare servers of their HTTP stacks (benchmarks/http/). Built when
# every example it drives was built (cpp-httplib, civetweb, Boost.Beast and OpenSSL found). Not a test: CI does not
# run it. Run: build/benchmarks/http/qurable-http-bench; chart: benchmarks/http/chart.py (docs/performance.md).
foreach(_qw_needed httplib_receiver queue_receiver civetweb_receiver beast_receiver)
  if(NOT TARGET ${_qw_needed})
    message(STATUS "qurable-http-bench: skipped (needs the ${_qw_needed} example)")
    return()
  endif()
endforeach()
find_package(Threads REQUIRED)
find_package(Boost 1.70 CONFIG REQUIRED)
include(${qurable_webhooks_SOURCE_DIR}/cmake/QurableFindHttplib.cmake)  # QURABLE_HTTPLIB_TARGET, as the examples

add_executable(qurable-http-bare-httplib ${CMAKE_CURRENT_LIST_DIR}/bare_httplib.cpp)
target_link_libraries(qurable-http-bare-httplib PRIVATE ${QURABLE_HTTPLIB_TARGET} Threads::Threads)
add_executable(qurable-http-bare-civetweb ${CMAKE_CURRENT_LIST_DIR}/bare_civetweb.cpp)
target_include_directories(qurable-http-bare-civetweb SYSTEM PRIVATE ${QW_CIVETWEB_INCLUDE_DIR})
target_link_libraries(qurable-http-bare-civetweb PRIVATE ${QW_CIVETWEB_LIBRARY} Threads::Threads ${CMAKE_DL_LIBS})
add_executable(qurable-http-bare-beast ${CMAKE_CURRENT_LIST_DIR}/bare_beast.cpp)
target_link_libraries(qurable-http-bare-beast PRIVATE Boost::headers Threads::Threads)

add_executable(qurable-http-bench ${CMAKE_CURRENT_LIST_DIR}/http_bench.cpp)
target_include_directories(qurable-http-bench PRIVATE ${qurable_webhooks_SOURCE_DIR}/tests)
target_link_libraries(qurable-http-bench PRIVATE qurable::webhooks qurable::webhooks_signature Threads::Threads)
target_compile_definitions(qurable-http-bench PRIVATE
  QURABLE_BARE_HTTPLIB_EXE="$<TARGET_FILE:qurable-http-bare-httplib>"
  QURABLE_BARE_CIVETWEB_EXE="$<TARGET_FILE:qurable-http-bare-civetweb>"
  QURABLE_BARE_BEAST_EXE="$<TARGET_FILE:qurable-http-bare-beast>"
  QURABLE_HTTPLIB_RECEIVER_EXE="$<TARGET_FILE:httplib_receiver>"
  QURABLE_QUEUE_RECEIVER_EXE="$<TARGET_FILE:queue_receiver>"
  QURABLE_CIVETWEB_RECEIVER_EXE="$<TARGET_FILE:civetweb_receiver>"
  QURABLE_BEAST_RECEIVER_EXE="$<TARGET_FILE:beast_receiver>")
add_dependencies(qurable-http-bench qurable-http-bare-httplib qurable-http-bare-civetweb qurable-http-bare-beast
  httplib_receiver queue_receiver civetweb_receiver beast_receiver)
# The durable receiver too, when it was built and a redis-server can be started for it.
find_program(QURABLE_REDIS_SERVER_EXECUTABLE redis-server)
if(TARGET stream_receiver AND QURABLE_REDIS_SERVER_EXECUTABLE)
  target_compile_definitions(qurable-http-bench PRIVATE QURABLE_STREAM_RECEIVER_EXE="$<TARGET_FILE:stream_receiver>"
    QURABLE_REDIS_SERVER="${QURABLE_REDIS_SERVER_EXECUTABLE}")
  add_dependencies(qurable-http-bench stream_receiver)
endif()
foreach(_qw_target qurable-http-bench qurable-http-bare-httplib qurable-http-bare-civetweb qurable-http-bare-beast)
  set_target_properties(${_qw_target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/http)
  if(COMMAND qurable_webhooks_set_warnings)
    qurable_webhooks_set_warnings(${_qw_target})
  endif()
endforeach()
