// The CUDA plugin loader (devices/cuda_plugin.h) and the generic plugin search (graph/plugin_loader.h):
// the plugin is found in the build tree when it was built, its absence or a broken file is a clear
// error, and without a CUDA device the GPU engine reports why instead of crashing.
#include "devices/cuda_plugin.h"

#include <gtest/gtest.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "graph/plugin_loader.h"

namespace edgeinfer::devices {
namespace {
namespace fs = std::filesystem;

bool PluginBuilt() { return fs::exists(fs::path(EDGEINFER_BINARY_DIR) / "devices/cuda" / EDGEINFER_CUDA_PLUGIN_FILE); }

TEST(CudaPlugin, NotLinkedIntoThisBinary) {
  // This test (like the CLI) reaches CUDA only through the loader: before it asks, nothing of CUDA
  // is mapped.
  EXPECT_EQ(dlopen("libcudart.so.13", RTLD_NOW | RTLD_NOLOAD), nullptr);
  EXPECT_EQ(dlopen("libcublasLt.so.13", RTLD_NOW | RTLD_NOLOAD), nullptr);
  EXPECT_EQ(dlopen(EDGEINFER_CUDA_PLUGIN_FILE, RTLD_NOW | RTLD_NOLOAD), nullptr);
}

TEST(CudaPlugin, LoadsFromTheBuildTreeWhenBuilt) {
  auto api = CudaPlugin();
  if (!api.ok()) {
    EXPECT_EQ(api.status().message().rfind("GPU engine unavailable: ", 0), 0u) << api.status().message();
    ASSERT_FALSE(PluginBuilt()) << "the plugin was built in this tree but does not load: " << api.status().message();
    GTEST_SKIP() << api.status().message();
  }
  EXPECT_EQ(api.value()->abi_version, uint32_t{EDGEINFER_CUDA_PLUGIN_ABI});
  EXPECT_NE(std::string(api.value()->build_info()).find("CUDA"), std::string::npos);
  // Loaded once: a second call gives the same table.
  EXPECT_EQ(CudaPlugin().value(), api.value());
}

TEST(CudaPlugin, LoadsAndAnswersWhereAGpuDriverIsPresent) {
  // On the GPU machine (bundle from scripts/gpu_bundle.sh) the plugin must be found next to the
  // binaries and see the device: a GPU run must never silently fall back to the CPU.
  if (!fs::exists("/dev/nvidiactl")) GTEST_SKIP() << "no NVIDIA driver on this machine";
  std::string why;
  EXPECT_TRUE(CudaAvailable(&why)) << why;
}

TEST(CudaPlugin, WithoutDeviceSaysWhyAndCreatesNothing) {
  std::string why;
  if (CudaAvailable(&why)) GTEST_SKIP() << "a CUDA device is present (covered by tests/devices/cuda)";
  EXPECT_EQ(why.rfind("GPU engine unavailable: ", 0), 0u) << why;
  auto d = CreateCudaDevice();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message().rfind("GPU engine unavailable: ", 0), 0u) << d.status().message();
}

TEST(PluginLoader, MissingPluginNamesWhereItLooked) {
  ::setenv("EDGEINFER_PLUGIN_DIR", "/nonexistent/a:/nonexistent/b", 1);
  auto paths = PluginSearchPath("libedgeinfer_no_such_plugin.so", "devices/none");
  ASSERT_GE(paths.size(), 3u);
  EXPECT_EQ(paths[0], "/nonexistent/a/libedgeinfer_no_such_plugin.so");
  EXPECT_EQ(paths[1], "/nonexistent/b/libedgeinfer_no_such_plugin.so");
  auto s = LoadPluginSymbol("libedgeinfer_no_such_plugin.so", "devices/none", "entry");
  ::unsetenv("EDGEINFER_PLUGIN_DIR");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not found"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("/nonexistent/a/libedgeinfer_no_such_plugin.so"), std::string::npos) << s.status().message();
}

TEST(PluginLoader, BrokenPluginIsAnErrorWithTheLoadersReason) {
  const fs::path dir = fs::temp_directory_path() / ("ei_plugin_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "libedgeinfer_broken_test.so") << "not an ELF file";
  ::setenv("EDGEINFER_PLUGIN_DIR", dir.c_str(), 1);
  auto s = LoadPluginSymbol("libedgeinfer_broken_test.so", "", "entry");
  ::unsetenv("EDGEINFER_PLUGIN_DIR");
  fs::remove_all(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("cannot load libedgeinfer_broken_test.so"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace edgeinfer::devices
