// Memory: engine instances share one copy of the weights. Host RSS of a session running ResNet-50
// INT8 on GPU + 2 DLA instances must stay within 1.1x of the same session with one engine. Each
// configuration runs in its own child process (fork) so one's heap does not hide the other's; the
// child compiles the model, runs two samples on every engine of its plan, and reports VmRSS.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/edgeinfer.h"

namespace edgeinfer::runtime {
namespace {

const std::string kResNet = std::string(EDGEINFER_BINARY_DIR) + "/models/resnet50.onnx";

int64_t RssBytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return -1;
}

// In a child: load, run 2 samples per engine, write VmRSS (bytes) to the pipe. Returns -1 on error.
int64_t MeasureInChild(const std::string& engines) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int64_t rss = -1;
    auto s = Session::Create({"orin-agx", "MAXN"});
    if (s.ok()) {
      ModelOptions mo;
      mo.engines = engines;
      mo.random_calibration_samples = 1;
      auto id = (*s)->LoadModel(kResNet, mo);
      if (id.ok()) {
        auto info = (*s)->Info(*id);
        BatchPlan p;
        for (const EngineSpec& e : info->engines) p.engines.push_back({e, 1, 1});
        p.dispatch = Dispatch::kStatic;   // every engine gets samples
        bool ok = (*s)->SetPlan(*id, p).ok();
        Tensor x(DType::kFloat32, {1, 3, 224, 224});
        std::vector<std::future<Result<devices::TensorMap>>> fs;
        for (size_t i = 0; i < 2 * p.engines.size(); ++i) fs.push_back((*s)->Submit(*id, {{"input", x}}));
        for (auto& f : fs) ok = f.get().ok() && ok;
        if (ok) rss = RssBytes();
      }
    }
    if (write(fds[1], &rss, sizeof rss) != sizeof rss) _exit(2);
    _exit(0);
  }
  close(fds[1]);
  int64_t rss = -1;
  if (read(fds[0], &rss, sizeof rss) != sizeof rss) rss = -1;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return rss;
}

TEST(SessionMemory, GpuAndTwoDlasWithinTenPercentOfOneEngine) {
  if (!std::filesystem::exists(kResNet)) GTEST_SKIP() << "model not generated: " << kResNet;
  const int64_t one_gpu = MeasureInChild("gpu");
  const int64_t one_dla = MeasureInChild("dla0");
  const int64_t three = MeasureInChild("gpu,dla0,dla1");
  ASSERT_GT(one_gpu, 0);
  ASSERT_GT(one_dla, 0);
  ASSERT_GT(three, 0);
  const int64_t one = std::max(one_gpu, one_dla);
  std::printf("RSS ResNet-50 INT8 session: gpu %.1f MB, dla0 %.1f MB, gpu+dla0+dla1 %.1f MB (%.3fx the larger single engine)\n",
              one_gpu / 1e6, one_dla / 1e6, three / 1e6, static_cast<double>(three) / static_cast<double>(one));
  EXPECT_LE(static_cast<double>(three), 1.1 * static_cast<double>(one));
}

}  // namespace
}  // namespace edgeinfer::runtime
