# The three-state options of the optional components and the search for their dependency.
#
#   qurable_webhooks_component_option(<option> <doc>)
#     Declares the cache variable <option> with the values
#       AUTO  (default) the component is provided when its dependency is found, and skipped with a status line when not:
#             a plain top-level configure, or a parent's add_subdirectory(), works on a machine without the library;
#       ON    the component is required: the configure fails, naming the missing package (what the vcpkg port's
#             features pass, and what a packager or a CI job that must ship the component should pass);
#       OFF   the dependency is not looked for and the component is not provided.
#     Any CMake boolean is accepted too (TRUE/YES/1 mean ON, FALSE/NO/0 mean OFF), so -D<option>=ON/OFF from
#     vcpkg_check_features and older build scripts keep their meaning, ON now being strict.
#
#   qurable_webhooks_find_component(<option> <package> COMPONENT <target> [HINT <text>] [ARGS <find_package args...>])
#     (HINT is one argument: no semicolons in it, or it is cut there.)
#     A macro (the find_package results stay visible to the caller): find_package(<package> <args>) unless <option> is
#     OFF; fails when it is ON and the package was not found; sets _qw_<option>_found to TRUE or FALSE.
include_guard(GLOBAL)

function(qurable_webhooks_component_option option doc)
  set(${option} AUTO CACHE STRING "${doc}: AUTO (when found), ON (required) or OFF")
  set_property(CACHE ${option} PROPERTY STRINGS AUTO ON OFF)
  string(TOUPPER "${${option}}" _value)
  if(_value STREQUAL "AUTO")
    set(_mode AUTO)
  elseif(_value MATCHES "^(ON|YES|Y|TRUE|1)$")
    set(_mode ON)
  elseif(_value MATCHES "^(OFF|NO|N|FALSE|0|IGNORE|NOTFOUND)$" OR _value STREQUAL "")
    set(_mode OFF)
  else()
    message(FATAL_ERROR "${option}='${${option}}': expected AUTO, ON or OFF")
  endif()
  set(_qw_${option}_mode ${_mode} PARENT_SCOPE)
endfunction()

macro(qurable_webhooks_find_component _qw_option _qw_package)
  cmake_parse_arguments(_qw_fc "" "COMPONENT;HINT" "ARGS" ${ARGN})
  set(_qw_${_qw_option}_found FALSE)
  if(NOT _qw_${_qw_option}_mode STREQUAL "OFF")
    if(_qw_${_qw_option}_mode STREQUAL "AUTO")
      find_package(${_qw_package} ${_qw_fc_ARGS} QUIET)
    else()
      find_package(${_qw_package} ${_qw_fc_ARGS})
    endif()
    if(${_qw_package}_FOUND)
      set(_qw_${_qw_option}_found TRUE)
    elseif(_qw_${_qw_option}_mode STREQUAL "ON")
      message(FATAL_ERROR
        "${_qw_option} is ON but the package ${_qw_package} was not found, so ${_qw_fc_COMPONENT} cannot be provided. "
        "Install it (${_qw_fc_HINT}) or point CMAKE_PREFIX_PATH at it, or set ${_qw_option}=AUTO or OFF to build "
        "without ${_qw_fc_COMPONENT}.")
    else()
      message(STATUS "qurable-webhooks: ${_qw_package} not found, so ${_qw_fc_COMPONENT} is not provided "
        "(${_qw_option}=AUTO; ON makes this an error)")
    endif()
  endif()
  unset(_qw_fc_COMPONENT)
  unset(_qw_fc_HINT)
  unset(_qw_fc_ARGS)
endmacro()
