# cpp-httplib for the examples and their end-to-end tests (the only code that knows an HTTP library). Sets
# QURABLE_HTTPLIB_TARGET to the target to link, or leaves it empty when cpp-httplib is not found.
#
# Upstream's CMake package (vcpkg, Conan, `cmake --install` of cpp-httplib) provides httplib::httplib; Debian/Ubuntu's
# libcpp-httplib-dev ships a compiled library described by cpp-httplib.pc instead. Its header declares classes whose
# layout depends on the library's build flags (CPPHTTPLIB_OPENSSL_SUPPORT...), so the flags must come from
# pkg-config, not be guessed.
set(QURABLE_HTTPLIB_TARGET "")
find_package(httplib CONFIG QUIET)
if(TARGET httplib::httplib)
  set(QURABLE_HTTPLIB_TARGET httplib::httplib)
else()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(QW_CPP_HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
  endif()
  if(TARGET PkgConfig::QW_CPP_HTTPLIB)
    set(QURABLE_HTTPLIB_TARGET PkgConfig::QW_CPP_HTTPLIB)
  endif()
endif()
