# Compile-failure tests: visitors the SDK must reject at compile time (tests/compile_fail/visitor.cpp). Each case
# is an object library left out of `all`; its test builds it and passes when the build fails with the expected
# static_assert text. Case 0, a correct visitor, must build. About 3 s per case. The cases build in this build tree,
# so they hold a resource lock: two `cmake --build` runs in one tree at once could race.
set(_qw_cf_cases
  "0|"  # the control: a correct visitor builds
  "1|an operator\\(\\) is not const. Fix: declare it `const`"
  "2|an overload takes a non-const reference to an event. Fix: take it as `const T&`"
  "3|it handles no known event type and has no fallback"
  "4|an operator\\(\\) is not const. Fix: declare it `const`"
  "5|an overload takes an event by rvalue reference")
foreach(_qw_cf IN LISTS _qw_cf_cases)
  string(REPLACE "|" ";" _qw_cf "${_qw_cf}")
  list(GET _qw_cf 0 _qw_case)
  list(GET _qw_cf 1 _qw_expect)
  set(_qw_target compile_fail_visitor_${_qw_case})
  add_library(${_qw_target} OBJECT EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/visitor.cpp)
  target_link_libraries(${_qw_target} PRIVATE qurable::webhooks)
  target_compile_definitions(${_qw_target} PRIVATE QW_CASE=${_qw_case})
  add_test(NAME compile_fail.visitor.${_qw_case}
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${_qw_target})
  if(_qw_case EQUAL 0)
    set_tests_properties(compile_fail.visitor.${_qw_case} PROPERTIES LABELS compile_fail TIMEOUT 120
      RESOURCE_LOCK qurable_build_tree)
  else()
    set_tests_properties(compile_fail.visitor.${_qw_case} PROPERTIES
      LABELS compile_fail TIMEOUT 120 PASS_REGULAR_EXPRESSION "${_qw_expect}" RESOURCE_LOCK qurable_build_tree)
  endif()
endforeach()
