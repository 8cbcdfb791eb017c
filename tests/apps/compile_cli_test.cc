// End-to-end tests of `edgeinfer compile` and `edgeinfer accuracy` on the zoo's tiny CNN: JSON
// fields, INT8 with .npy calibration, the calibration cache (written, reused, refused for another
// model), pass options, and the accuracy figures' plausibility.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "graph/npy.h"
#include "tests/apps/run_command.h"

namespace {

namespace fs = std::filesystem;

using edgeinfer::testing::CmdResult;
using edgeinfer::testing::RunCli;

class CompileCli : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";
    if (!fs::exists(model_)) GTEST_SKIP() << "zoo model not generated: " << model_;
    dir_ = fs::temp_directory_path() / ("edgeinfer_compile_cli_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // Smooth-ish inputs: a per-sample, per-channel offset plus noise.
    edgeinfer::Tensor t(edgeinfer::DType::kFloat32, {16, 3, 32, 32});
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.f, 0.5f);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng) + 0.3f * static_cast<float>((i / 1024) % 5 - 2);
    data_ = (dir_ / "data.npy").string();
    ASSERT_TRUE(edgeinfer::WriteNpy(data_, t).ok());
    // Held-out evaluation samples of the same kind (another seed): accuracy is measured on them.
    std::mt19937 rng2(2);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng2) + 0.3f * static_cast<float>((i / 1024) % 5 - 2);
    eval_ = (dir_ / "eval.npy").string();
    ASSERT_TRUE(edgeinfer::WriteNpy(eval_, t).ok());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string model_, data_, eval_;
  fs::path dir_;
};

TEST_F(CompileCli, Fp32JsonReportsLayersAndFusions) {
  CmdResult r = RunCli("compile " + model_ + " --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["layers_before"].get<int>(), j["layers_after"].get<int>());
  EXPECT_TRUE(j["fusions_by_kind"].contains("ConvBiasAct"));
  EXPECT_TRUE(j["refusals"].is_array());
  EXPECT_FALSE(j["passes"].empty());
}

TEST_F(CompileCli, Int8WithCacheAndOnnxOutput) {
  const std::string cache = (dir_ / "tiny.cache").string(), out = (dir_ / "tiny_int8.onnx").string();
  CmdResult r = RunCli("compile " + model_ + " --precision int8 --calib " + data_ + " --calib-cache " + cache + " -o " + out + " --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["precision"], "int8");
  EXPECT_EQ(j["calibration"]["calibrator"], "entropy");
  EXPECT_GT(j["fusions_by_kind"]["QuantizeInt8"].get<int>(), 0);
  ASSERT_TRUE(fs::exists(cache));
  ASSERT_TRUE(fs::exists(out));
  // Reused: no --calib needed the second time.
  r = RunCli("compile " + model_ + " --precision int8 --calib-cache " + cache + " --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  // The exported INT8 graph runs.
  r = RunCli("run " + out);
  EXPECT_EQ(r.status, 0) << r.out;
  // A cache is refused for another model.
  r = RunCli("compile " + out + " --precision int8 --calib-cache " + cache);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("not this model"), std::string::npos) << r.out;
}

TEST_F(CompileCli, BadOptionsAreClearErrors) {
  CmdResult r = RunCli("compile " + model_ + " --disable-pass nope");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("'nope'"), std::string::npos) << r.out;
  // accuracy measures INT8 error, so it needs real calibration data.
  r = RunCli("accuracy " + model_ + " --data " + data_);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("calibration"), std::string::npos) << r.out;
  r = RunCli("compile --list-passes");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("conv_bias_act_pool"), std::string::npos);
}

TEST_F(CompileCli, Int8WithoutCalibrationWarnsAndMarksTheEngineFile) {
  // As trtexec --int8 without a calibrator: seeded random scales, a warning, and placement and
  // target timing identical to a calibrated compile.
  const std::string plan = (dir_ / "tiny_random.plan").string();
  CmdResult r = RunCli("compile " + model_ + " --precision int8 --soc orin-agx -o " + plan + " --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["calibration"]["synthetic"].get<bool>());
  EXPECT_EQ(j["calibration"]["calibrator"], "minmax");
  CmdResult calibrated = RunCli("compile " + model_ + " --precision int8 --soc orin-agx --calib " + data_ + " --json", false);
  ASSERT_EQ(calibrated.status, 0) << calibrated.out;
  auto jc = nlohmann::json::parse(calibrated.out);
  EXPECT_FALSE(jc["calibration"]["synthetic"].get<bool>());
  EXPECT_EQ(j["partition"]["summary"], jc["partition"]["summary"]);
  EXPECT_DOUBLE_EQ(j["predicted_ms_per_batch"].get<double>(), jc["predicted_ms_per_batch"].get<double>());
  r = RunCli("compile " + model_ + " --precision int8");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("warning: INT8 scales calibrated on 2 seeded random inputs"), std::string::npos) << r.out;
  // The engine file keeps the fact; running it repeats the warning.
  r = RunCli("run --plan " + plan);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("warning: engine file"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seeded random inputs"), std::string::npos) << r.out;
}

TEST_F(CompileCli, AccuracyReportsCloseInt8) {
  CmdResult r = RunCli("accuracy " + model_ + " --calib " + data_ + " --data " + eval_ + " --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dropped_calibration_samples"], 0);
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_GT(j["outputs"][0]["cosine_mean"].get<double>(), 0.99);
  EXPECT_GT(j["outputs"][0]["sqnr_db"].get<double>(), 20.0);
  EXPECT_TRUE(j["outputs"][0].contains("top1_agreement"));
  EXPECT_FALSE(j["worst_layers"].empty());
}

TEST_F(CompileCli, AccuracyRefusesToEvaluateOnItsCalibrationSamples) {
  // The same file for --calib and --data: every evaluation sample is a calibration sample.
  CmdResult r = RunCli("accuracy " + model_ + " --calib " + data_ + " --data " + data_);
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("disjoint from calibration"), std::string::npos) << r.out;
}

TEST_F(CompileCli, ProgressIsOneLineOnATerminalAndAbsentWhenPiped) {
  // Piped (the tests' popen): no progress at all, so no carriage returns.
  CmdResult r = RunCli("accuracy " + model_ + " --calib " + data_ + " --data " + eval_ + " --per-layer 0");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("top-1 agreement"), std::string::npos) << r.out;
  // On a terminal (script(1) gives the command a pseudo-terminal): progress is redrawn in place
  // with '\r' on one line.
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "script(1) is missing (apt-get install bsdutils)";
  const std::string cmd = std::string(EDGEINFER_BINARY_DIR) + "/apps/edgeinfer accuracy " + model_ + " --calib " + data_ +
                          " --data " + eval_ + " --per-layer 0";
  FILE* p = popen(("script -qec '" + cmd + "' /dev/null 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << out;
  // Everything before the report is progress: redrawn in place ('\r'), never a new line.
  const size_t report = out.find("vs fp32 on");
  ASSERT_NE(report, std::string::npos) << out;
  // (The pseudo-terminal turns every '\n' into "\r\n"; the report follows the erased progress line.)
  const std::string progress = out.substr(0, report);
  EXPECT_NE(progress.find("evaluation batches"), std::string::npos) << out;
  EXPECT_NE(progress.find('\r'), std::string::npos) << out;
  EXPECT_EQ(progress.find('\n'), std::string::npos) << "progress spilled onto several lines: " << out;
}

}  // namespace
