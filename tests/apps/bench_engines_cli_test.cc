// `edgeinfer bench --engines`: the engine set is checked against the SoC profile before any work.
// A misspelt or absent engine fails naming it and what the profile has; the proof that nothing ran
// first is behavioural (no timing): with a model path that does not exist the error is still the
// engine's, and with a real model no compile, calibration or tuning output appears.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/apps/run_command.h"

namespace edgeinfer {
namespace {

using testing::CmdResult;
using testing::RunCli;

const std::string kTiny = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";

bool Built() { return std::filesystem::exists(std::string(EDGEINFER_BINARY_DIR) + "/apps/edgeinfer"); }

TEST(BenchEnginesCli, UnknownDlaCoreFailsNamingItBeforeAnyWork) {
  if (!Built() || !std::filesystem::exists(kTiny)) GTEST_SKIP() << "edgeinfer or tiny_cnn not built";
  CmdResult r = RunCli("bench " + kTiny + " --engines gpu,dla3");
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("engine 'dla3': SoC profile 'orin-agx' has 2 DLA cores"), std::string::npos) << r.out;
  // Nothing was compiled, calibrated or tuned: the only output is the one error line.
  EXPECT_EQ(r.out.find("calibrat"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("warning"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("samples/s"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "more than one line:\n" << r.out;
}

TEST(BenchEnginesCli, EnginesAreCheckedBeforeTheModelIsRead) {
  if (!Built()) GTEST_SKIP() << "edgeinfer not built";
  // The model does not exist: had anything read it first, the error would name the file.
  CmdResult r = RunCli("bench /nonexistent/model.onnx --engines gpu,dla3");
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("dla3"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nonexistent"), std::string::npos) << r.out;
  // The same for an engine file (.plan) and for an engine the profile lacks altogether.
  r = RunCli("bench /nonexistent/model.plan --engines gpu,dla3");
  EXPECT_NE(r.out.find("dla3"), std::string::npos) << r.out;
  r = RunCli("bench /nonexistent/model.onnx --soc nvdla-small --engines gpu");
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("engine 'gpu': SoC profile"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("has no GPU"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nonexistent"), std::string::npos) << r.out;
}

TEST(BenchEnginesCli, AValidEngineSetStillRuns) {
  if (!Built() || !std::filesystem::exists(kTiny)) GTEST_SKIP() << "edgeinfer or tiny_cnn not built";
  // The check must not refuse what the profile has (the negative tests above would pass for a
  // bench that refused everything).
  CmdResult r = RunCli("bench " + kTiny + " --engines gpu,dla1 --skip-host --eval-queries 256 --min-queries 512 --plan gpu:8x1,dla1:2x1");
  EXPECT_EQ(r.status, 0) << r.out;
}

}  // namespace
}  // namespace edgeinfer
