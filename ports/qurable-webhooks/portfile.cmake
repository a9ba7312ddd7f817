# qurable-webhooks: header-only, so one release configure is enough and nothing is architecture-specific.
set(VCPKG_BUILD_TYPE release)

# Where the sources come from:
#  - used as an overlay port from a checkout of the repository (vcpkg --overlay-ports=<checkout>/ports), the port
#    builds that checkout: ports/qurable-webhooks/../.. is the source tree. vcpkg's ABI hash covers the port files,
#    not the checkout, so after changing the sources rebuild with `vcpkg remove qurable-webhooks` (classic mode) or
#    `--no-binarycaching`, or bump "port-version" in vcpkg.json;
#  - copied anywhere else (a registry, another overlay directory), it downloads the release tag v<version>. On each
#    release, set SHA512 below: vcpkg prints the right value when the placeholder 0 does not match.
get_filename_component(_qw_checkout "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
if(EXISTS "${_qw_checkout}/include/qurable/webhooks.hpp" AND EXISTS "${_qw_checkout}/cmake/QurableInstall.cmake")
  message(STATUS "qurable-webhooks: building the checkout at ${_qw_checkout}")
  set(SOURCE_PATH "${_qw_checkout}")
else()
  vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO qurable/qurable-webhooks
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
  )
endif()

# A feature asked for passes ON, which makes its library required (the configure fails naming the package rather
# than installing without the component); one not asked for passes OFF. See cmake/QurableComponentOption.cmake.
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    openssl QURABLE_WEBHOOKS_WITH_OPENSSL
    redis   QURABLE_WEBHOOKS_WITH_REDIS
    prometheus QURABLE_WEBHOOKS_WITH_PROMETHEUS
)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    ${FEATURE_OPTIONS}
    -DQURABLE_WEBHOOKS_BUILD_TESTS=OFF
    -DQURABLE_WEBHOOKS_BUILD_EXAMPLES=OFF
    -DQURABLE_WEBHOOKS_BUILD_BENCH=OFF
    -DQURABLE_WEBHOOKS_BUILD_FUZZERS=OFF
    -DQURABLE_WEBHOOKS_INSTALL=ON
    -DQURABLE_WEBHOOKS_WARNINGS_AS_ERRORS=OFF
    # Straight into vcpkg's place for it, so that the fixup below has no directory to move.
    -DQURABLE_WEBHOOKS_INSTALL_CMAKEDIR=share/qurable_webhooks
)
vcpkg_cmake_install()

# The package files are in share/qurable_webhooks, where find_package(qurable_webhooks CONFIG) looks.
vcpkg_cmake_config_fixup(PACKAGE_NAME qurable_webhooks CONFIG_PATH share/qurable_webhooks)

file(REMOVE_RECURSE
  "${CURRENT_PACKAGES_DIR}/debug"
  "${CURRENT_PACKAGES_DIR}/share/doc"   # the license is installed as the port's copyright below
)

vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
