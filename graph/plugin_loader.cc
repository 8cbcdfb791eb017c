#include "graph/plugin_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

namespace edgeinfer {
namespace fs = std::filesystem;

namespace {

std::string ExeDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

// The folder of the binary (executable or libedgeinfer.so) that holds this code.
std::string SelfDir() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&ExeDir), &info) || !info.dli_fname) return {};
  std::error_code ec;
  fs::path p = fs::canonical(info.dli_fname, ec);
  return ec ? std::string() : p.parent_path().string();
}

struct Opened {
  void* handle = nullptr;
  std::string error;   // when handle is null
};

}  // namespace

std::vector<std::string> PluginSearchPath(const std::string& file_name, const std::string& build_subdir) {
  std::vector<std::string> out;
  if (const char* env = std::getenv("EDGEINFER_PLUGIN_DIR")) {
    std::string dirs = env;
    size_t start = 0;
    while (start <= dirs.size()) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      if (end > start) out.push_back((fs::path(dirs.substr(start, end - start)) / file_name).string());
      start = end + 1;
    }
  }
  const std::string exe = ExeDir();
  if (!exe.empty()) {
    out.push_back((fs::path(exe) / file_name).string());
    out.push_back((fs::path(exe) / ".." / "lib" / file_name).lexically_normal().string());
    out.push_back((fs::path(exe) / ".." / "lib" / "edgeinfer" / file_name).lexically_normal().string());
#ifdef EDGEINFER_INSTALL_LIBDIR
    if (std::string(EDGEINFER_INSTALL_LIBDIR) != "lib")   // e.g. lib/x86_64-linux-gnu
      out.push_back((fs::path(exe) / ".." / EDGEINFER_INSTALL_LIBDIR / "edgeinfer" / file_name).lexically_normal().string());
#endif
    if (!build_subdir.empty()) out.push_back((fs::path(exe) / ".." / build_subdir / file_name).lexically_normal().string());
  }
  // An installed libedgeinfer.so finds its plugins in <its folder>/edgeinfer, wherever the prefix is.
  const std::string self = SelfDir();
  if (!self.empty() && self != exe) out.push_back((fs::path(self) / "edgeinfer" / file_name).string());
#ifdef EDGEINFER_PLUGIN_BUILD_ROOT
  if (!build_subdir.empty()) out.push_back((fs::path(EDGEINFER_PLUGIN_BUILD_ROOT) / build_subdir / file_name).string());
#endif
#ifdef EDGEINFER_PLUGIN_INSTALL_DIR
  out.push_back((fs::path(EDGEINFER_PLUGIN_INSTALL_DIR) / file_name).string());
#endif
  return out;
}

Result<void*> LoadPluginSymbol(const std::string& file_name, const std::string& build_subdir, const char* symbol) {
  static std::mutex mu;
  static std::map<std::string, Opened> opened;   // by file_name; handles are never closed
  std::lock_guard<std::mutex> lock(mu);
  auto it = opened.find(file_name);
  if (it == opened.end()) {
    Opened o;
    // 0. Linked directly (GPU test binaries): use that copy, never a second one.
    o.handle = dlopen(file_name.c_str(), RTLD_NOW | RTLD_NOLOAD);
    std::string tried, load_errors;
    if (!o.handle) {
      for (const std::string& p : PluginSearchPath(file_name, build_subdir)) {
        std::error_code ec;
        tried += (tried.empty() ? "" : ", ") + p;
        if (!fs::exists(p, ec)) continue;
        o.handle = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (o.handle) break;
        const char* e = dlerror();
        load_errors += (load_errors.empty() ? "" : "; ") + std::string(e ? e : p + ": dlopen failed");
      }
    }
    if (!o.handle) {
      // 4b. The dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache).
      o.handle = dlopen(file_name.c_str(), RTLD_NOW | RTLD_LOCAL);
      const char* e = o.handle ? nullptr : dlerror();
      const std::string why = e ? e : "";
      // A library found by the loader but failing on its own dependencies is worth reporting.
      if (!o.handle && why.find(file_name + ": cannot open shared object file") == std::string::npos)
        load_errors += (load_errors.empty() ? "" : "; ") + why;
    }
    if (!o.handle) {
      o.error = load_errors.empty() ? file_name + " not found (looked in " + tried + " and the loader's path; set EDGEINFER_PLUGIN_DIR)"
                                    : "cannot load " + file_name + ": " + load_errors;
    }
    it = opened.emplace(file_name, std::move(o)).first;
  }
  if (!it->second.handle) return Status::Error(it->second.error);
  dlerror();
  void* sym = dlsym(it->second.handle, symbol);
  if (!sym) return Status::Error(file_name + " has no symbol '" + symbol + "' (a plugin from another edgeinfer build?)");
  return sym;
}

}  // namespace edgeinfer
