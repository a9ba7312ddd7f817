# qurable-observe-bench: the cost of observing requests (no observer, Prometheus, JSON log) against receive() alone,
# side by side in one process. Needs only the prometheus component. Not a test: CI does not run it.
if(NOT TARGET qurable::webhooks_prometheus)
  message(STATUS "qurable-observe-bench: skipped (needs qurable::webhooks_prometheus)")
  return()
endif()
add_executable(qurable-observe-bench ${CMAKE_CURRENT_SOURCE_DIR}/observe_bench.cpp)
target_link_libraries(qurable-observe-bench PRIVATE qurable::webhooks qurable::webhooks_prometheus)
target_compile_definitions(qurable-observe-bench PRIVATE
  QURABLE_BENCH_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures")
# With the signature component, the receiver level also runs with Standard Webhooks signatures (HMAC-SHA256), as a
# production receiver does.
if(TARGET qurable::webhooks_signature)
  target_link_libraries(qurable-observe-bench PRIVATE qurable::webhooks_signature)
  target_compile_definitions(qurable-observe-bench PRIVATE QURABLE_BENCH_SIGNATURE=1)
endif()
qurable_webhooks_set_warnings(qurable-observe-bench)
