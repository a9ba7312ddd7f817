# Tests of the qurable-inspect tool: they run the built binary (POSIX process API), so only where it is built.
if(TARGET qurable-inspect AND UNIX)
  qurable_add_test(inspect_tests SOURCES test_inspect.cpp)
  target_compile_definitions(inspect_tests PRIVATE QURABLE_INSPECT_EXE="$<TARGET_FILE:qurable-inspect>")
  add_dependencies(inspect_tests qurable-inspect)
endif()
