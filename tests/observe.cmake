# Tests of the observers (include/qurable/webhooks/observe/): the interface and the JSON log line (core only), and the
# Prometheus adapter when its component exists. The Prometheus test also scrapes /metrics over loopback with
# cpp-httplib (examples/common/metrics_server.hpp) when it is found, and runs `promtool check metrics` on the scrape
# when promtool (Debian's `prometheus` package) is installed. Each program runs in well under 5 seconds.
find_package(Threads REQUIRED)
qurable_add_test(observe_tests SOURCES test_observe.cpp LIBS Threads::Threads)
set_tests_properties(observe_tests PROPERTIES TIMEOUT 60 LABELS observe)
# Counts allocations with a replaced global operator new: a program of its own.
qurable_add_test(observe_alloc_tests SOURCES test_observe_alloc.cpp support/alloc_counter.cpp)
set_tests_properties(observe_alloc_tests PROPERTIES TIMEOUT 60 LABELS observe)
if(TARGET qurable::webhooks_prometheus)
  target_link_libraries(observe_alloc_tests PRIVATE qurable::webhooks_prometheus)
  target_compile_definitions(observe_alloc_tests PRIVATE QURABLE_TEST_PROMETHEUS=1)
endif()

if(NOT TARGET qurable::webhooks_prometheus)
  message(STATUS "qurable_webhooks: prometheus_tests not built (no qurable::webhooks_prometheus)")
  return()
endif()
qurable_add_test(prometheus_tests SOURCES test_prometheus.cpp LIBS qurable::webhooks_prometheus Threads::Threads)
set_tests_properties(prometheus_tests PROPERTIES TIMEOUT 60 LABELS observe)
include(${PROJECT_SOURCE_DIR}/cmake/QurableFindHttplib.cmake)
if(QURABLE_HTTPLIB_TARGET)
  target_link_libraries(prometheus_tests PRIVATE ${QURABLE_HTTPLIB_TARGET})
  target_compile_definitions(prometheus_tests PRIVATE QURABLE_TEST_HTTPLIB=1)
  find_program(QURABLE_PROMTOOL_EXECUTABLE promtool)
  if(QURABLE_PROMTOOL_EXECUTABLE)
    target_compile_definitions(prometheus_tests PRIVATE QURABLE_PROMTOOL="${QURABLE_PROMTOOL_EXECUTABLE}")
  else()
    message(STATUS
      "qurable_webhooks: promtool not found; prometheus_tests checks the exposition with its own parser only")
  endif()
else()
  message(STATUS "qurable_webhooks: cpp-httplib not found; prometheus_tests does not scrape over HTTP")
endif()
