# Conan 2 recipe for qurable-webhooks (header-only). `conan create .` packages the headers and runs test_package/.
#
# Consumers: find_package(qurable_webhooks CONFIG REQUIRED) and qurable::webhooks, as with the CMake installation:
# CMakeDeps generates the same file and target names. Components (one CMake target each):
#   core       qurable::webhooks            requires simdjson
#   signature  qurable::webhooks_signature  requires core + openssl::crypto      (option with_openssl)
#   redis      qurable::webhooks_redis      requires core + hiredis::hiredis     (option with_redis)
#   prometheus qurable::webhooks_prometheus requires core + prometheus-cpp core  (option with_prometheus)
# The package's root target, qurable_webhooks::qurable_webhooks, is CMakeDeps' aggregate of all the components; it
# cannot be called qurable::webhooks, which is the core alone (the core must not drag OpenSSL in).
from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy
from conan.tools.layout import basic_layout
import os

required_conan_version = ">=2.0"


class QurableWebhooksConan(ConanFile):
    name = "qurable-webhooks"
    version = "0.1.0"
    description = "Header-only C++17 SDK for receiving Qurable loyalty platform webhook events"
    license = "MIT"
    url = "https://github.com/qurable/qurable-webhooks"
    homepage = "https://github.com/qurable/qurable-webhooks"
    topics = ("webhooks", "loyalty", "qurable", "simdjson", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "with_openssl": [True, False],
        "with_redis": [True, False],
        "with_prometheus": [True, False],
    }
    default_options = {
        "with_openssl": True,
        "with_redis": False,
        "with_prometheus": False,
    }
    exports_sources = "include/*", "LICENSE"
    no_copy_source = True

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # Headers of the dependencies are part of our public headers: transitive_headers.
        self.requires("simdjson/[>=3.0.1 <4]", transitive_headers=True)
        if self.options.with_openssl:
            self.requires("openssl/[>=1.1 <4]", transitive_headers=True)
        if self.options.with_redis:
            # 0.14 too: the CMake side and redis_store.hpp support it, and it is what Debian 12 ships (a
            # [platform_requires] hiredis/0.14.1 has to satisfy this range).
            self.requires("hiredis/[>=0.14 <2]", transitive_headers=True)
        if self.options.with_prometheus:
            self.requires("prometheus-cpp/[>=1.0 <2]", transitive_headers=True)

    def package_id(self):
        # The same headers whatever the settings and options: one package. The options still decide, at
        # consumption time, which requirements and components package_info() declares.
        self.info.clear()

    def validate(self):
        if self.settings.get_safe("compiler.cppstd"):
            check_min_cppstd(self, 17)

    def build(self):
        pass

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "qurable_webhooks")
        self.cpp_info.set_property("cmake_target_name", "qurable_webhooks::qurable_webhooks")

        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "qurable::webhooks")
        core.bindirs = []
        core.libdirs = []
        core.requires = ["simdjson::simdjson"]

        if self.options.with_openssl:
            signature = self.cpp_info.components["signature"]
            signature.set_property("cmake_target_name", "qurable::webhooks_signature")
            signature.bindirs = []
            signature.libdirs = []
            signature.requires = ["core", "openssl::crypto"]

        if self.options.with_redis:
            redis = self.cpp_info.components["redis"]
            redis.set_property("cmake_target_name", "qurable::webhooks_redis")
            redis.bindirs = []
            redis.libdirs = []
            redis.requires = ["core", "hiredis::hiredis"]

        if self.options.with_prometheus:
            prometheus = self.cpp_info.components["prometheus"]
            prometheus.set_property("cmake_target_name", "qurable::webhooks_prometheus")
            prometheus.bindirs = []
            prometheus.libdirs = []
            # ConanCenter's recipe names the core library's component prometheus-cpp-core (prometheus-cpp::core).
            prometheus.requires = ["core", "prometheus-cpp::prometheus-cpp-core"]
