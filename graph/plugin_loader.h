// Optional back ends (the CUDA executor, OpenCV image decoding) live in plugin shared libraries that
// are dlopen'ed the first time they are needed, so a process that never uses them never maps their
// (large) dependencies. This is the one place that finds and opens such a library.
//
// Search order for `file_name` (e.g. "libedgeinfer_cuda.so"), first hit wins:
//   0. already loaded in this process (a binary that links the library directly)
//   1. each directory of $EDGEINFER_PLUGIN_DIR (colon-separated)
//   2. next to the executable, <exe>/../lib, <exe>/../lib/edgeinfer (and <exe>/../<install libdir>/edgeinfer),
//      <exe>/../<build_subdir>; <folder of libedgeinfer.so>/edgeinfer when this code runs in that library
//   3. <build tree>/<build_subdir> (the CMake binary dir this edgeinfer was built in)
//   4. the configured install dir (CMAKE_INSTALL_FULL_LIBDIR/edgeinfer), then the dynamic loader's own search
//      (LD_LIBRARY_PATH, ld.so.cache)
// A library that exists but cannot be opened (e.g. libcudnn missing) is reported with dlerror's text.
// Libraries are never unloaded. Thread-safe.
#pragma once
#include <string>
#include <vector>

#include "graph/status.h"

namespace edgeinfer {

// Opens `file_name` (once per process) and returns the address of the extern "C" `symbol` in it,
// or an error naming every place looked at / the loader's reason.
Result<void*> LoadPluginSymbol(const std::string& file_name, const std::string& build_subdir, const char* symbol);

// The candidate paths of step 1-4 above, in order (for messages and tests).
std::vector<std::string> PluginSearchPath(const std::string& file_name, const std::string& build_subdir);

}  // namespace edgeinfer
