// End-to-end tests of engine files through the CLI: `compile -o X.plan` then `run --plan` gives
// byte-identical outputs to running the compiled graph (exported as ONNX by the same compile
// options), `--explain` prints the SRAM/DRAM figures, and bad plan files give one-line errors.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "graph/npy.h"
#include "tests/apps/run_command.h"
#include "graph/tensor.h"

namespace {

namespace fs = std::filesystem;

using edgeinfer::testing::CmdResult;
using edgeinfer::testing::RunCli;

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class PlanCli : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";
    if (!fs::exists(model_)) GTEST_SKIP() << "zoo model not generated: " << model_;
    dir_ = fs::temp_directory_path() / ("edgeinfer_plan_cli_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // Seeded calibration batch and a separate test input.
    std::mt19937 rng(11);
    std::normal_distribution<float> nd(0.f, 1.f);
    edgeinfer::Tensor calib(edgeinfer::DType::kFloat32, {2, 3, 32, 32});
    for (int64_t i = 0; i < calib.numel(); ++i) calib.data<float>()[i] = nd(rng);
    ASSERT_TRUE(edgeinfer::WriteNpy(Path("calib.npy"), calib).ok());
    edgeinfer::Tensor x(edgeinfer::DType::kFloat32, {1, 3, 32, 32});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = nd(rng);
    ASSERT_TRUE(edgeinfer::WriteNpy(Path("x.npy"), x).ok());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Compile(const std::string& extra) const {
    return "compile " + model_ + " --precision int8 --calib " + Path("calib.npy") + " --calibrator minmax --batch 1 " + extra;
  }
  std::string model_;
  fs::path dir_;
};

TEST_F(PlanCli, RunPlanIsBitIdenticalToTheCompiledGraph) {
  CmdResult c = RunCli(Compile("--soc orin-agx -o " + Path("m.plan")));
  ASSERT_EQ(c.status, 0) << c.out;
  EXPECT_NE(c.out.find("(engine file)"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("SRAM chaining saves"), std::string::npos) << c.out;
  c = RunCli(Compile("-o " + Path("m.onnx")));
  ASSERT_EQ(c.status, 0) << c.out;
  CmdResult a = RunCli("run --plan " + Path("m.plan") + " -i input=" + Path("x.npy") + " -o " + Path("out_plan"));
  ASSERT_EQ(a.status, 0) << a.out;
  CmdResult b = RunCli("run " + Path("m.onnx") + " -i input=" + Path("x.npy") + " -o " + Path("out_onnx"));
  ASSERT_EQ(b.status, 0) << b.out;
  int files = 0;
  for (const auto& f : fs::directory_iterator(Path("out_plan"))) {
    const std::string other = Path("out_onnx") + "/" + f.path().filename().string();
    ASSERT_TRUE(fs::exists(other)) << other;
    EXPECT_EQ(Slurp(f.path().string()), Slurp(other)) << f.path();
    ++files;
  }
  EXPECT_GT(files, 0);
  // --json reports the host memory figures.
  CmdResult j = RunCli("run --plan " + Path("m.plan") + " --json");
  ASSERT_EQ(j.status, 0) << j.out;
  EXPECT_NE(j.out.find("\"peak_rss_kb\""), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"plan_dram_arena_bytes\""), std::string::npos) << j.out;
}

TEST_F(PlanCli, ExplainPrintsSramAndDramFigures) {
  CmdResult c = RunCli(Compile("--soc orin-agx --sram-bytes 1048576 --explain"));
  ASSERT_EQ(c.status, 0) << c.out;
  for (const char* s : {"memory plan for instance 'dla0'", "dla0.sram", "peak/bound", "SRAM chaining:", "per layer", "instance 'gpu'"}) {
    EXPECT_NE(c.out.find(s), std::string::npos) << s << "\n" << c.out;
  }
  CmdResult too_much = RunCli(Compile("--soc orin-agx --sram-bytes 99999999"));
  EXPECT_NE(too_much.status, 0);
  EXPECT_NE(too_much.out.find("dla.sram_bytes_per_core"), std::string::npos) << too_much.out;
  CmdResult no_soc = RunCli(Compile("--explain"));
  EXPECT_NE(no_soc.status, 0);
  EXPECT_NE(no_soc.out.find("--soc"), std::string::npos) << no_soc.out;
}

TEST_F(PlanCli, BadPlanFilesGiveOneLineErrors) {
  // An ONNX model given as a plan.
  CmdResult r = RunCli("run --plan " + model_);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("not an edgeinfer engine file"), std::string::npos) << r.out;
  // A truncated and a corrupted plan.
  CmdResult c = RunCli(Compile("-o " + Path("m.plan")));
  ASSERT_EQ(c.status, 0) << c.out;
  const std::string good = Slurp(Path("m.plan"));
  std::ofstream(Path("cut.plan"), std::ios::binary) << good.substr(0, good.size() / 2);
  r = RunCli("run --plan " + Path("cut.plan"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("truncated"), std::string::npos) << r.out;
  std::string bad = good;
  bad[bad.size() - 100] ^= 0x10;   // inside the weights
  std::ofstream(Path("bad.plan"), std::ios::binary) << bad;
  r = RunCli("run --plan " + Path("bad.plan"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("section WGTS checksum mismatch"), std::string::npos) << r.out;
  // Neither or both of MODEL and --plan.
  r = RunCli("run");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("--plan"), std::string::npos) << r.out;
  r = RunCli("run " + model_ + " --plan " + Path("m.plan"));
  EXPECT_NE(r.status, 0);
}

// --io-format int8: the plan's input and output are int8 at their scales, nothing falls back at the
// network boundary, and `run --plan` (float .npy quantized on the host) gives the float-I/O plan's
// output exactly once dequantized (output = scale * q).
TEST_F(PlanCli, Int8IoPlanMatchesTheFloatIoPlan) {
  CmdResult c = RunCli(Compile("--soc orin-agx --io-format int8 --explain -o " + Path("io8.plan")));
  ASSERT_EQ(c.status, 0) << c.out;
  EXPECT_NE(c.out.find("segments: 1 DLA, 0 gpu"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("format conversions: 0"), std::string::npos) << c.out;
  c = RunCli(Compile("--soc orin-agx -o " + Path("f.plan")));
  ASSERT_EQ(c.status, 0) << c.out;
  CmdResult a = RunCli("run --plan " + Path("io8.plan") + " --engine dla -i input=" + Path("x.npy") + " -o " + Path("out_io8"));
  ASSERT_EQ(a.status, 0) << a.out;
  EXPECT_NE(a.out.find("was quantized on the host"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("scale"), std::string::npos) << a.out;
  CmdResult b = RunCli("run --plan " + Path("f.plan") + " --engine dla -i input=" + Path("x.npy") + " -o " + Path("out_f"));
  ASSERT_EQ(b.status, 0) << b.out;
  CmdResult j = RunCli("run --plan " + Path("io8.plan") + " --engine dla -i input=" + Path("x.npy") + " --json", false);
  ASSERT_EQ(j.status, 0) << j.out;
  const size_t at = j.out.find("\"scale\":");
  ASSERT_NE(at, std::string::npos) << j.out;
  const float scale = std::stof(j.out.substr(at + 8));
  int files = 0;
  for (const auto& f : fs::directory_iterator(Path("out_io8"))) {
    auto q = edgeinfer::ReadNpy(f.path().string());
    auto y = edgeinfer::ReadNpy(Path("out_f") + "/" + f.path().filename().string());
    ASSERT_TRUE(q.ok() && y.ok()) << f.path();
    ASSERT_EQ(q->dtype(), edgeinfer::DType::kInt8);
    ASSERT_EQ(q->numel(), y->numel());
    for (int64_t i = 0; i < q->numel(); ++i)
      ASSERT_EQ(y->data<float>()[i], static_cast<float>(q->data<int8_t>()[i]) * scale) << i;
    ++files;
  }
  EXPECT_EQ(files, 1);
  // INT8 I/O needs an INT8 compile.
  CmdResult bad = RunCli("compile " + model_ + " --precision fp16 --io-format int8");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("--io-format int8 needs --precision int8"), std::string::npos) << bad.out;
}

}  // namespace
