# Builds and runs test_package.cpp against the package being created (`conan create .` runs it).
from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, CMakeToolchain, cmake_layout
import os


class QurableWebhooksTestConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "VirtualRunEnv"
    test_type = "explicit"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def generate(self):
        toolchain = CMakeToolchain(self)
        options = self.dependencies[self.tested_reference_str].options
        toolchain.cache_variables["QW_WITH_SIGNATURE"] = bool(options.with_openssl)
        toolchain.cache_variables["QW_WITH_REDIS"] = bool(options.with_redis)
        toolchain.cache_variables["QW_WITH_PROMETHEUS"] = bool(options.with_prometheus)
        toolchain.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def test(self):
        if can_run(self):
            self.run(os.path.join(self.cpp.build.bindir, "test_package"), env="conanrun")
