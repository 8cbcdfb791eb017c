// edgeinfer-zoo: writes the zoo's architectures as ONNX files with deterministic weights.
//   edgeinfer-zoo --out DIR [--models resnet50,mobilenetv2,...|all] [--batch N] [--list]
// Default models: those marked built_by_default (resnet50, mobilenetv2, ssd_mobilenet, tiny_cnn).
// Each model's weights come from its own seed (FNV-1a of its name), so generating one model alone
// gives the same bytes as generating it with others. Files are written to DIR/<name>.onnx through a
// temporary file and a rename, so an interrupted run leaves no truncated model behind.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tools/zoo/models.h"

namespace {

using edgeinfer::zoo::NetBuilder;
using edgeinfer::zoo::ZooModel;
using edgeinfer::zoo::ZooModels;

uint32_t Fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) { h ^= c; h *= 16777619u; }
  return h;
}

int Usage(const char* why) {
  if (why) std::fprintf(stderr, "edgeinfer-zoo: %s\n", why);
  std::fprintf(stderr,
               "usage: edgeinfer-zoo --out DIR [--models NAME[,NAME...]|all] [--batch N] [--list]\n"
               "  --out DIR     folder to write NAME.onnx into (created)\n"
               "  --models      comma-separated names (default: the default set, see --list)\n"
               "  --batch N     static batch dimension N (default: symbolic \"N\")\n"
               "  --list        list the models and exit\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir, models_arg;
  int64_t batch = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) { std::fprintf(stderr, "edgeinfer-zoo: %s needs a value\n", flag); std::exit(Usage(nullptr)); }
      return argv[++i];
    };
    if (a == "--out") out_dir = next("--out");
    else if (a == "--models") models_arg = next("--models");
    else if (a == "--batch") {
      const char* v = next("--batch");
      char* end = nullptr;
      long long n = std::strtoll(v, &end, 10);
      if (*v == '\0' || *end != '\0' || n < 1) return Usage("--batch takes a positive integer");
      batch = n;
    } else if (a == "--list") {
      for (const ZooModel& m : ZooModels())
        std::printf("%-14s %s%s\n", m.name, m.description, m.built_by_default ? " [default]" : "");
      return 0;
    } else if (a == "-h" || a == "--help") {
      Usage(nullptr);
      return 0;
    } else {
      return Usage(("unknown argument '" + a + "'").c_str());
    }
  }
  if (out_dir.empty()) return Usage("--out DIR is required");

  std::vector<const ZooModel*> selected;
  if (models_arg.empty()) {
    for (const ZooModel& m : ZooModels()) if (m.built_by_default) selected.push_back(&m);
  } else if (models_arg == "all") {
    for (const ZooModel& m : ZooModels()) selected.push_back(&m);
  } else {
    std::stringstream ss(models_arg);
    std::string name;
    while (std::getline(ss, name, ',')) {
      if (name.empty()) continue;
      const ZooModel* found = nullptr;
      for (const ZooModel& m : ZooModels()) if (name == m.name) found = &m;
      if (!found) return Usage(("unknown model '" + name + "' (see --list)").c_str());
      selected.push_back(found);
    }
  }

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "edgeinfer-zoo: cannot create '%s': %s\n", out_dir.c_str(), ec.message().c_str());
    return 1;
  }
  for (const ZooModel* m : selected) {
    auto t0 = std::chrono::steady_clock::now();
    NetBuilder b(m->name, Fnv1a(m->name), batch);
    m->build(b);
    const std::string path = (std::filesystem::path(out_dir) / (std::string(m->name) + ".onnx")).string();
    const std::string tmp = path + ".tmp";
    edgeinfer::Status s = b.Save(tmp, std::string("edgeinfer-zoo: ") + m->description);
    if (s.ok()) {
      std::filesystem::rename(tmp, path, ec);
      if (ec) s = edgeinfer::Status::Error("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
    }
    if (!s.ok()) {
      std::filesystem::remove(tmp, ec);
      std::fprintf(stderr, "edgeinfer-zoo: %s: %s\n", m->name, s.message().c_str());
      return 1;
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-14s %5lld nodes  %11lld params  -> %s (%.0f ms)\n", m->name, static_cast<long long>(b.num_nodes()),
                static_cast<long long>(b.num_params()), path.c_str(), ms);
  }
  return 0;
}
