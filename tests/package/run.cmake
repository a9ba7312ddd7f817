# Driver of the packaging tests (cmake -P). Run by ctest as
#   cmake -DQW_SETTINGS=<settings.cmake> -DQW_CONFIG=<config> -P run.cmake
# where <settings.cmake>, written by tests/packaging.cmake at configure time, sets:
#   QW_STEP            install | project
#   QW_CMAKE           the cmake executable
#   QW_GENERATOR, QW_GENERATOR_PLATFORM, QW_GENERATOR_TOOLSET   the generator of the enclosing build
#   QW_INITIAL_CACHE   a -C script with the enclosing build's compiler, flags and dependency locations
#   QW_EXE_SUFFIX      CMAKE_EXECUTABLE_SUFFIX
# install:  QW_PREFIX (emptied first), and either QW_INSTALL_FROM (a configured build tree: cmake --install of it) or
#           QW_SOURCE_DIR + QW_BINARY_DIR + QW_CONFIGURE_ARGS (a nested configure of the source tree, then install)
# project:  QW_SOURCE_DIR, QW_BINARY_DIR (emptied first), QW_CONFIGURE_ARGS,
#           QW_BUILD (build it), QW_RUN (name of an executable to run after the build) and QW_RUN_ARGS,
#           QW_EXPECT_FAILURE (a regex: the configure must fail and print it),
#           QW_EXPECT_OUTPUT (a regex: the configure must succeed and print it)
cmake_minimum_required(VERSION 3.16)

if(NOT QW_SETTINGS OR NOT EXISTS "${QW_SETTINGS}")
  message(FATAL_ERROR "run.cmake: QW_SETTINGS='${QW_SETTINGS}' does not exist")
endif()
include("${QW_SETTINGS}")

function(qw_run what)
  string(REPLACE ";" " " _printable "${ARGN}")
  message(STATUS "+ ${_printable}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  set(qw_last_output "${_out}" PARENT_SCOPE)
  set(qw_last_result "${_rc}" PARENT_SCOPE)
  message("${_out}")
  if(NOT _rc EQUAL 0 AND NOT what STREQUAL "may-fail")
    message(FATAL_ERROR "${what} failed (${_rc})")
  endif()
endfunction()

# Whether the last command's output matches `regex`. CMake wraps messages at about 80 columns, so every run of white
# space counts as one space.
function(qw_output_matches regex out_var)
  string(REGEX REPLACE "[ \t\r\n]+" " " _flat "${qw_last_output}")
  if(_flat MATCHES "${regex}")
    set(${out_var} TRUE PARENT_SCOPE)
  else()
    set(${out_var} FALSE PARENT_SCOPE)
  endif()
endfunction()

set(_generator_args -G "${QW_GENERATOR}")
if(QW_GENERATOR_PLATFORM)
  list(APPEND _generator_args -A "${QW_GENERATOR_PLATFORM}")
endif()
if(QW_GENERATOR_TOOLSET)
  list(APPEND _generator_args -T "${QW_GENERATOR_TOOLSET}")
endif()
set(_config_args "")
set(_build_config_args "")
if(QW_CONFIG)
  set(_config_args "-DCMAKE_BUILD_TYPE=${QW_CONFIG}")
  set(_build_config_args --config "${QW_CONFIG}")
endif()

if(QW_STEP STREQUAL "install")
  file(REMOVE_RECURSE "${QW_PREFIX}")
  if(QW_INSTALL_FROM)
    qw_run("install" "${QW_CMAKE}" --install "${QW_INSTALL_FROM}" --prefix "${QW_PREFIX}" ${_build_config_args})
  else()
    file(REMOVE_RECURSE "${QW_BINARY_DIR}")
    qw_run("configure" "${QW_CMAKE}" ${_generator_args} -C "${QW_INITIAL_CACHE}" ${_config_args} ${QW_CONFIGURE_ARGS}
      -S "${QW_SOURCE_DIR}" -B "${QW_BINARY_DIR}")
    qw_run("build" "${QW_CMAKE}" --build "${QW_BINARY_DIR}" ${_build_config_args})
    qw_run("install" "${QW_CMAKE}" --install "${QW_BINARY_DIR}" --prefix "${QW_PREFIX}" ${_build_config_args})
  endif()
  # What every installation has, wherever QURABLE_WEBHOOKS_INSTALL_CMAKEDIR put the package files.
  file(GLOB_RECURSE _config RELATIVE "${QW_PREFIX}" "${QW_PREFIX}/*/qurable_webhooks-config.cmake")
  foreach(_file include/qurable/webhooks.hpp include/qurable/webhooks/core/parser.hpp share/doc/qurable_webhooks/LICENSE)
    if(NOT EXISTS "${QW_PREFIX}/${_file}")
      message(FATAL_ERROR "the installation has no ${_file}")
    endif()
  endforeach()
  if(NOT _config)
    message(FATAL_ERROR "the installation has no qurable_webhooks-config.cmake")
  endif()
  message(STATUS "installed into ${QW_PREFIX}; package config: ${_config}")
  return()
endif()

if(NOT QW_STEP STREQUAL "project")
  message(FATAL_ERROR "run.cmake: unknown QW_STEP '${QW_STEP}'")
endif()

file(REMOVE_RECURSE "${QW_BINARY_DIR}")
set(_configure "${QW_CMAKE}" ${_generator_args} -C "${QW_INITIAL_CACHE}" ${_config_args} ${QW_CONFIGURE_ARGS}
  -S "${QW_SOURCE_DIR}" -B "${QW_BINARY_DIR}")

if(QW_EXPECT_FAILURE)
  qw_run("may-fail" ${_configure})
  if(qw_last_result EQUAL 0)
    message(FATAL_ERROR "the configure was expected to fail (with '${QW_EXPECT_FAILURE}') but succeeded")
  endif()
  qw_output_matches("${QW_EXPECT_FAILURE}" _matches)
  if(NOT _matches)
    message(FATAL_ERROR "the configure failed as expected, but without saying '${QW_EXPECT_FAILURE}'")
  endif()
  message(STATUS "the configure failed as expected, saying '${QW_EXPECT_FAILURE}'")
  return()
endif()

qw_run("configure" ${_configure})
if(QW_EXPECT_OUTPUT)
  qw_output_matches("${QW_EXPECT_OUTPUT}" _matches)
  if(NOT _matches)
    message(FATAL_ERROR "the configure succeeded, but without saying '${QW_EXPECT_OUTPUT}'")
  endif()
  message(STATUS "the configure said '${QW_EXPECT_OUTPUT}', as expected")
endif()
if(QW_BUILD)
  qw_run("build" "${QW_CMAKE}" --build "${QW_BINARY_DIR}" ${_build_config_args})
endif()
if(QW_RUN)
  file(GLOB_RECURSE _candidates "${QW_BINARY_DIR}/${QW_RUN}${QW_EXE_SUFFIX}" "${QW_BINARY_DIR}/*/${QW_RUN}${QW_EXE_SUFFIX}")
  list(FILTER _candidates EXCLUDE REGEX "/CMakeFiles/")
  if(NOT _candidates)
    message(FATAL_ERROR "no executable ${QW_RUN}${QW_EXE_SUFFIX} under ${QW_BINARY_DIR}")
  endif()
  list(GET _candidates 0 _exe)
  qw_run("running ${QW_RUN}" "${_exe}" ${QW_RUN_ARGS})
endif()
