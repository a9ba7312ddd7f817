# End-to-end tests of the HTTP examples: each starts the example's real binary on an ephemeral 127.0.0.1 port (a
# child process, killed and reaped by the test whatever happens) and talks to it with a real HTTP client
# (cpp-httplib's). Registered only for the examples that were built, on POSIX (fork/exec), with the signature
# component (the tests sign like the platform) and cpp-httplib (the client).
if(NOT UNIX OR NOT TARGET qurable::webhooks_signature)
  return()
endif()

include(${qurable_webhooks_SOURCE_DIR}/cmake/QurableFindHttplib.cmake)  # cpp-httplib, found as the examples find it
if(NOT QURABLE_HTTPLIB_TARGET)
  message(STATUS "Example end-to-end tests: skipped (cpp-httplib, their HTTP client, not found)")
  return()
endif()
find_package(Threads REQUIRED)

# qurable_add_example_test(<name> SOURCES <files...> EXES <targets...> [TIMEOUT <seconds>])
# Each target in EXES is built first and its path is given to the test as QURABLE_<TARGET>_EXE (upper case, '-' as
# '_'), e.g. QURABLE_HTTPLIB_RECEIVER_EXE, QURABLE_QURABLE_SEND_EXE.
function(qurable_add_example_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;EXES;DEFINES" ${ARGN})
  qurable_add_test(${name} SOURCES ${ARG_SOURCES}
    LIBS qurable::webhooks_signature ${QURABLE_HTTPLIB_TARGET} Threads::Threads)
  foreach(exe IN LISTS ARG_EXES)
    string(TOUPPER "${exe}" _upper)
    string(REPLACE "-" "_" _upper "${_upper}")
    target_compile_definitions(${name} PRIVATE QURABLE_${_upper}_EXE="$<TARGET_FILE:${exe}>")
    add_dependencies(${name} ${exe})
  endforeach()
  target_compile_definitions(${name} PRIVATE ${ARG_DEFINES})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  # Every wait inside the tests is bounded; this is the backstop. The servers die with the test process.
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "examples;e2e")
endfunction()

# The synchronous servers share one contract test, compiled once per example.
foreach(_example httplib_receiver beast_receiver civetweb_receiver)
  if(TARGET ${_example})
    string(TOUPPER "${_example}" _upper)
    qurable_add_example_test(example_${_example}_tests
      SOURCES examples/test_server_contract.cpp
      EXES ${_example}
      DEFINES QURABLE_EXAMPLE_EXE=QURABLE_${_upper}_EXE QURABLE_EXAMPLE_NAME="${_example}")
  endif()
endforeach()

# --metrics-port: signed events, then /metrics scraped over HTTP with exact counter values and the exposition checked
# (strict parser; promtool too when installed). Only for the examples built with the metrics (the Prometheus
# component). About 1 s each.
find_program(QURABLE_PROMTOOL_EXECUTABLE promtool)
foreach(_example httplib_receiver beast_receiver)
  if(TARGET ${_example} AND TARGET qurable::webhooks_prometheus)
    get_target_property(_qw_defs ${_example} COMPILE_DEFINITIONS)
    if(NOT "QURABLE_EXAMPLES_METRICS=1" IN_LIST _qw_defs)
      continue()
    endif()
    string(TOUPPER "${_example}" _upper)
    set(_qw_promtool "")
    if(QURABLE_PROMTOOL_EXECUTABLE)
      set(_qw_promtool QURABLE_PROMTOOL="${QURABLE_PROMTOOL_EXECUTABLE}")
    endif()
    qurable_add_example_test(example_${_example}_metrics_tests
      SOURCES examples/test_metrics.cpp
      EXES ${_example}
      TIMEOUT 60
      DEFINES QURABLE_EXAMPLE_EXE=QURABLE_${_upper}_EXE QURABLE_EXAMPLE_NAME="${_example}" ${_qw_promtool})
  endif()
endforeach()

# httplib_receiver --demo: its exit code and what it prints.
if(TARGET httplib_receiver)
  qurable_add_example_test(example_httplib_demo_tests SOURCES examples/test_demo.cpp EXES httplib_receiver TIMEOUT 60)
endif()

# The queue hand-off: 202, processing on workers, 503 + Retry-After when full, draining on SIGTERM.
if(TARGET queue_receiver)
  qurable_add_example_test(example_queue_receiver_tests SOURCES examples/test_queue_receiver.cpp EXES queue_receiver)
endif()

# The durable hand-off: 202 once Redis has the event, workers in the same or another process, a failed handler run
# again, 503 + Retry-After while Redis does not answer. Against a real redis-server (tests/redis.cmake).
if(TARGET stream_receiver AND COMMAND qurable_use_redis_server)
  qurable_add_example_test(example_stream_receiver_tests SOURCES examples/test_stream_receiver.cpp
    EXES stream_receiver TIMEOUT 120)
  qurable_use_redis_server(example_stream_receiver_tests)
endif()

# qurable-send against a real example server, including a retry after a 5xx.
if(TARGET qurable-send AND TARGET httplib_receiver)
  qurable_add_example_test(example_send_tests SOURCES examples/test_send.cpp EXES qurable-send httplib_receiver)
endif()

# The abuse suite (tests/examples/test_abuse.cpp), once per receiver example: slow bodies and headers, idle
# connections, gzip and brotli bombs, framing errors, oversized bodies, each with a liveness check and SIGTERM under
# attack. About 10 s per example (the servers run with 1 s deadlines); zlib and libbrotlienc build the bombs.
find_package(ZLIB QUIET)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(QW_BROTLIENC QUIET IMPORTED_TARGET libbrotlienc)
endif()
if(NOT TARGET ZLIB::ZLIB OR NOT TARGET PkgConfig::QW_BROTLIENC)
  message(STATUS "Example abuse tests: skipped (zlib and libbrotlienc build the bombs; "
                 "Debian/Ubuntu: apt-get install zlib1g-dev libbrotli-dev)")
  return()
endif()
set(_qw_abuse_args_httplib_receiver "--threads 8")
set(_qw_abuse_args_queue_receiver "--handler-delay-ms 0 --threads 8")
set(_qw_abuse_args_civetweb_receiver "--threads 8")
set(_qw_abuse_args_beast_receiver "")
set(_qw_abuse_args_stream_receiver "--workers 1 --threads 8")
foreach(_example httplib_receiver queue_receiver civetweb_receiver beast_receiver stream_receiver)
  if(_example STREQUAL "stream_receiver" AND NOT COMMAND qurable_use_redis_server)
    continue()  # it needs a redis-server to answer 2xx
  endif()
  if(TARGET ${_example})
    string(TOUPPER "${_example}" _upper)
    qurable_add_example_test(example_${_example}_abuse_tests
      SOURCES examples/test_abuse.cpp
      EXES ${_example}
      TIMEOUT 90
      DEFINES QURABLE_EXAMPLE_EXE=QURABLE_${_upper}_EXE QURABLE_EXAMPLE_NAME="${_example}"
              QURABLE_EXAMPLE_ARGS="${_qw_abuse_args_${_example}}")
    target_link_libraries(example_${_example}_abuse_tests PRIVATE ZLIB::ZLIB PkgConfig::QW_BROTLIENC)
    set_property(TEST example_${_example}_abuse_tests APPEND PROPERTY LABELS abuse)
    if(_example STREQUAL "stream_receiver")
      qurable_use_redis_server(example_${_example}_abuse_tests)
      target_compile_definitions(example_${_example}_abuse_tests PRIVATE QURABLE_EXAMPLE_NEEDS_REDIS=1)
    endif()
  endif()
endforeach()

# examples/nginx: Debian's nginx from the production template, in front of httplib_receiver, on 127.0.0.1, with its
# pid, logs and temporary files under the build tree; signed events through it, then the abuse suite's attacks.
# About 10 s.
find_program(QURABLE_NGINX_EXE nginx PATHS /usr/sbin /usr/local/sbin /usr/local/nginx/sbin)
if(NOT QURABLE_NGINX_EXE)
  message(STATUS "Example nginx test: skipped (nginx not found; Debian/Ubuntu: apt-get install nginx)")
elseif(TARGET httplib_receiver)
  qurable_add_example_test(example_nginx_tests
    SOURCES examples/test_nginx.cpp
    EXES httplib_receiver
    TIMEOUT 90
    DEFINES QURABLE_NGINX_EXE="${QURABLE_NGINX_EXE}"
            QURABLE_NGINX_TEMPLATE="${qurable_webhooks_SOURCE_DIR}/examples/nginx/nginx.conf.template"
            QURABLE_NGINX_RUNTIME_DIR="${CMAKE_CURRENT_BINARY_DIR}/nginx_e2e")
  target_link_libraries(example_nginx_tests PRIVATE ZLIB::ZLIB PkgConfig::QW_BROTLIENC)
  set_property(TEST example_nginx_tests APPEND PROPERTY LABELS "abuse;nginx")
endif()
