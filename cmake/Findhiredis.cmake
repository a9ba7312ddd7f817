# Find module for hiredis, giving the imported target hiredis::hiredis however hiredis was installed:
#   1. hiredis' own CMake package (hiredis 1.x: vcpkg, Conan's CMakeDeps, a source build), which defines it;
#   2. pkg-config's `hiredis` (Debian's libhiredis-dev 0.14 ships a HiredisConfig.cmake without any target);
#   3. the header and the library looked for directly.
# Used by the project's build and installed next to qurable_webhooks-config.cmake for the `redis` component.
# Sets hiredis_FOUND, and hiredis_VERSION when known. Headers are included as <hiredis/hiredis.h>.

if(NOT TARGET hiredis::hiredis)
  find_package(hiredis CONFIG QUIET)  # CONFIG: never this module again
endif()

if(TARGET hiredis::hiredis)
  set(_qw_hiredis_required_vars hiredis_TARGET)
  set(hiredis_TARGET hiredis::hiredis)
else()
  set(_qw_hiredis_required_vars hiredis_LIBRARY hiredis_INCLUDE_DIR)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(PC_hiredis QUIET hiredis)
  endif()
  # pkg-config's Cflags name .../include/hiredis; the headers are included with their directory, so the parent.
  find_path(hiredis_INCLUDE_DIR NAMES hiredis/hiredis.h HINTS ${PC_hiredis_INCLUDEDIR})
  find_library(hiredis_LIBRARY NAMES hiredis HINTS ${PC_hiredis_LIBDIR} ${PC_hiredis_LIBRARY_DIRS})
  mark_as_advanced(hiredis_INCLUDE_DIR hiredis_LIBRARY)
  if(PC_hiredis_VERSION)
    set(hiredis_VERSION "${PC_hiredis_VERSION}")
  elseif(hiredis_INCLUDE_DIR AND EXISTS "${hiredis_INCLUDE_DIR}/hiredis/hiredis.h")
    file(STRINGS "${hiredis_INCLUDE_DIR}/hiredis/hiredis.h" _qw_hiredis_defines
      REGEX "^#define HIREDIS_(MAJOR|MINOR|PATCH) [0-9]+")
    foreach(_qw_part MAJOR MINOR PATCH)
      string(REGEX REPLACE ".*#define HIREDIS_${_qw_part} ([0-9]+).*" "\\1" _qw_hiredis_${_qw_part}
        "${_qw_hiredis_defines}")
    endforeach()
    set(hiredis_VERSION "${_qw_hiredis_MAJOR}.${_qw_hiredis_MINOR}.${_qw_hiredis_PATCH}")
  endif()
  if(hiredis_INCLUDE_DIR AND hiredis_LIBRARY)
    add_library(hiredis::hiredis UNKNOWN IMPORTED)
    set_target_properties(hiredis::hiredis PROPERTIES
      IMPORTED_LOCATION "${hiredis_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${hiredis_INCLUDE_DIR}")
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(hiredis REQUIRED_VARS ${_qw_hiredis_required_vars} VERSION_VAR hiredis_VERSION)
unset(_qw_hiredis_required_vars)
