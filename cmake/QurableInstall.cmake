# Install rules and the CMake package `qurable_webhooks`. Included by the top level when QURABLE_WEBHOOKS_INSTALL is ON.
#
# What a consumer writes:
#   find_package(qurable_webhooks CONFIG REQUIRED)                          # core: qurable::webhooks
#   find_package(qurable_webhooks CONFIG REQUIRED COMPONENTS signature)     # + qurable::webhooks_signature
#   find_package(qurable_webhooks CONFIG REQUIRED COMPONENTS redis)         # + qurable::webhooks_redis
#   find_package(qurable_webhooks CONFIG REQUIRED COMPONENTS prometheus)    # + qurable::webhooks_prometheus
#
# Layout under the prefix:
#   include/qurable/...                                  every header (optional ones too: they are inert until used)
#   share/cmake/qurable_webhooks/                        config, version file, one targets file per component
#   share/doc/qurable_webhooks/                          LICENSE (+ README.md and docs/*.md when present)
#
# The package is architecture-independent (headers only), hence share/ and an ARCH_INDEPENDENT version file.

include(CMakePackageConfigHelpers)

set(QURABLE_WEBHOOKS_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/qurable_webhooks"
  CACHE STRING "Where the CMake package files of qurable_webhooks are installed (relative to the prefix)")
mark_as_advanced(QURABLE_WEBHOOKS_INSTALL_CMAKEDIR)

# Headers: the whole include/qurable tree.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/qurable"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  COMPONENT qurable_webhooks_development
  FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")

# Core target, in its own export set: qurable_webhooks-targets.cmake.
install(TARGETS qurable_webhooks EXPORT qurable_webhooks-targets)
install(EXPORT qurable_webhooks-targets
  NAMESPACE qurable::
  FILE qurable_webhooks-targets.cmake
  DESTINATION "${QURABLE_WEBHOOKS_INSTALL_CMAKEDIR}"
  COMPONENT qurable_webhooks_development)

# Optional components. Each one that was built gets its own export set and targets file
# (qurable_webhooks-<name>-targets.cmake), loaded by the package config only once its dependency is found, so that an
# imported target never refers to a dependency target that does not exist.
#
#   _qurable_webhooks_install_component(<name> <target> <find_package arguments of its dependency...>)
#
# The names below are every component the package knows, built or not (the config tells "unknown" from "not built").
# Adding one is one more line here; the config template needs no change. A dependency without a CMake package of its
# own everywhere also gets its find module (cmake/Find<name>.cmake) installed next to the config, which looks there
# first.
set(QURABLE_WEBHOOKS_KNOWN_COMPONENTS core signature redis prometheus)
set(QURABLE_WEBHOOKS_PACKAGE_COMPONENTS "")
set(QURABLE_WEBHOOKS_COMPONENT_DEPENDENCIES "")

function(_qurable_webhooks_install_component name target)
  if(NOT TARGET ${target})
    return()
  endif()
  install(TARGETS ${target} EXPORT qurable_webhooks-${name}-targets)
  install(EXPORT qurable_webhooks-${name}-targets
    NAMESPACE qurable::
    FILE qurable_webhooks-${name}-targets.cmake
    DESTINATION "${QURABLE_WEBHOOKS_INSTALL_CMAKEDIR}"
    COMPONENT qurable_webhooks_development)
  list(JOIN ARGN " " _dependency)
  set(QURABLE_WEBHOOKS_PACKAGE_COMPONENTS ${QURABLE_WEBHOOKS_PACKAGE_COMPONENTS} ${name} PARENT_SCOPE)
  set(QURABLE_WEBHOOKS_COMPONENT_DEPENDENCIES
    "${QURABLE_WEBHOOKS_COMPONENT_DEPENDENCIES}set(_qurable_webhooks_${name}_dependency ${_dependency})\n" PARENT_SCOPE)
endfunction()

_qurable_webhooks_install_component(signature qurable_webhooks_signature OpenSSL COMPONENTS Crypto)
_qurable_webhooks_install_component(redis qurable_webhooks_redis hiredis)
_qurable_webhooks_install_component(prometheus qurable_webhooks_prometheus prometheus-cpp CONFIG)
if(TARGET qurable_webhooks_redis)
  # hiredis 0.14 (Debian) has no CMake package with a target; the module finds either version as hiredis::hiredis.
  install(FILES "${PROJECT_SOURCE_DIR}/cmake/Findhiredis.cmake"
    DESTINATION "${QURABLE_WEBHOOKS_INSTALL_CMAKEDIR}"
    COMPONENT qurable_webhooks_development)
endif()

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/qurable_webhooks-config.cmake.in"
  "${PROJECT_BINARY_DIR}/qurable_webhooks-config.cmake"
  INSTALL_DESTINATION "${QURABLE_WEBHOOKS_INSTALL_CMAKEDIR}")

# While the major version is 0, a minor release may break the API (semantic versioning's rule for 0.y.z), so only
# the same 0.y series is compatible; from 1.0 on, any release of the same major version is.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_qurable_webhooks_compatibility SameMinorVersion)
else()
  set(_qurable_webhooks_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/qurable_webhooks-config-version.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${_qurable_webhooks_compatibility}
  ARCH_INDEPENDENT)

install(FILES
  "${PROJECT_BINARY_DIR}/qurable_webhooks-config.cmake"
  "${PROJECT_BINARY_DIR}/qurable_webhooks-config-version.cmake"
  DESTINATION "${QURABLE_WEBHOOKS_INSTALL_CMAKEDIR}"
  COMPONENT qurable_webhooks_development)

# License and documentation: share/doc/qurable_webhooks.
set(_qurable_webhooks_docs "${PROJECT_SOURCE_DIR}/LICENSE")
if(EXISTS "${PROJECT_SOURCE_DIR}/README.md")
  list(APPEND _qurable_webhooks_docs "${PROJECT_SOURCE_DIR}/README.md")
endif()
file(GLOB _qurable_webhooks_doc_pages "${PROJECT_SOURCE_DIR}/docs/*.md")
# Spelled out rather than CMAKE_INSTALL_DOCDIR, which names the parent project when a parent included GNUInstallDirs
# first (add_subdirectory).
set(_qurable_webhooks_docdir "${CMAKE_INSTALL_DATAROOTDIR}/doc/qurable_webhooks")
install(FILES ${_qurable_webhooks_docs}
  DESTINATION "${_qurable_webhooks_docdir}"
  COMPONENT qurable_webhooks_development)
if(_qurable_webhooks_doc_pages)
  install(FILES ${_qurable_webhooks_doc_pages}
    DESTINATION "${_qurable_webhooks_docdir}/docs"
    COMPONENT qurable_webhooks_development)
endif()
