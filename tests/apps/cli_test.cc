// End-to-end tests of the edgeinfer CLI: it is run as a user runs it, and bad input must give a
// clear one-line error and a non-zero exit status, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

#include "graph/npy.h"
#include "tests/apps/run_command.h"
#include "graph/tensor.h"

namespace {

namespace fs = std::filesystem;

using edgeinfer::testing::CmdResult;
using edgeinfer::testing::RunCli;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";
    if (!fs::exists(model_)) GTEST_SKIP() << "zoo model not generated: " << model_;
    dir_ = fs::temp_directory_path() / ("edgeinfer_cli_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::string model_;
  fs::path dir_;
};

TEST_F(Cli, InspectAndRunWork) {
  CmdResult r = RunCli("inspect " + model_ + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"macs\""), std::string::npos);
  r = RunCli("run " + model_ + " --repeat 2 --output-dir " + (dir_ / "out").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("host clock"), std::string::npos);
  auto t = edgeinfer::ReadNpy((dir_ / "out" / "output.npy").string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->dims(), (std::vector<int64_t>{1, 10}));
}

TEST_F(Cli, RunWithGivenInputMatchesSavedOutput) {
  edgeinfer::Tensor x(edgeinfer::DType::kFloat32, {2, 3, 32, 32});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i % 17) / 17.f;
  std::string in = (dir_ / "x.npy").string();
  ASSERT_TRUE(edgeinfer::WriteNpy(in, x).ok());
  CmdResult a = RunCli("run " + model_ + " -i input=" + in + " -o " + (dir_ / "a").string());
  ASSERT_EQ(a.status, 0) << a.out;
  CmdResult b = RunCli("run " + model_ + " -i input=" + in + " -o " + (dir_ / "b").string());
  ASSERT_EQ(b.status, 0) << b.out;
  auto ta = edgeinfer::ReadNpy((dir_ / "a" / "output.npy").string());
  auto tb = edgeinfer::ReadNpy((dir_ / "b" / "output.npy").string());
  ASSERT_TRUE(ta.ok() && tb.ok());
  EXPECT_EQ(ta->dims(), (std::vector<int64_t>{2, 10}));
  for (int64_t i = 0; i < ta->numel(); ++i) EXPECT_EQ(ta->data<float>()[i], tb->data<float>()[i]);
}

TEST_F(Cli, MissingAndNonOnnxAndTruncatedModels) {
  CmdResult r = RunCli("inspect " + (dir_ / "nope.onnx").string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("error"), std::string::npos);
  r = RunCli("run " + Write("text.onnx", "this is not a model\n"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("error"), std::string::npos);
  std::ifstream f(model_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  r = RunCli("run " + Write("trunc.onnx", bytes.substr(0, bytes.size() / 2)));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("error"), std::string::npos);
}

TEST_F(Cli, BadInputsAreNamed) {
  edgeinfer::Tensor good(edgeinfer::DType::kFloat32, {1, 3, 32, 32});
  std::string good_path = (dir_ / "good.npy").string();
  ASSERT_TRUE(edgeinfer::WriteNpy(good_path, good).ok());
  // Unknown input name.
  CmdResult r = RunCli("run " + model_ + " -i images=" + good_path);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no input named 'images'"), std::string::npos) << r.out;
  // Wrong shape.
  edgeinfer::Tensor wrong(edgeinfer::DType::kFloat32, {1, 3, 31, 32});
  std::string wrong_path = (dir_ / "wrong.npy").string();
  ASSERT_TRUE(edgeinfer::WriteNpy(wrong_path, wrong).ok());
  r = RunCli("run " + model_ + " -i input=" + wrong_path);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("has shape [1,3,31,32]"), std::string::npos) << r.out;
  // Wrong dtype.
  edgeinfer::Tensor ints(edgeinfer::DType::kInt32, {1, 3, 32, 32});
  std::string int_path = (dir_ / "ints.npy").string();
  ASSERT_TRUE(edgeinfer::WriteNpy(int_path, ints).ok());
  r = RunCli("run " + model_ + " -i input=" + int_path);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("dtype int32"), std::string::npos) << r.out;
  // Malformed .npy.
  r = RunCli("run " + model_ + " -i input=" + Write("bad.npy", "\x93NUMPY garbage"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("bad.npy"), std::string::npos) << r.out;
  // NaN input.
  good.data<float>()[7] = std::nanf("");
  std::string nan_path = (dir_ / "nan.npy").string();
  ASSERT_TRUE(edgeinfer::WriteNpy(nan_path, good).ok());
  r = RunCli("run " + model_ + " -i input=" + nan_path);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("element 7 is NaN"), std::string::npos) << r.out;
  // Malformed spec.
  r = RunCli("run " + model_ + " -i input");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("NAME=FILE.npy"), std::string::npos) << r.out;
}

}  // namespace

namespace {

TEST_F(Cli, FastCpuEngineMatchesReference) {
  std::string ref = (dir_ / "ref").string(), fast = (dir_ / "fast").string();
  CmdResult a = RunCli("run " + model_ + " --engine reference -o " + ref);
  ASSERT_EQ(a.status, 0) << a.out;
  CmdResult b = RunCli("run " + model_ + " --engine cpu -o " + fast);
  if (b.status != 0 && b.out.find("without oneDNN") != std::string::npos) GTEST_SKIP() << b.out;
  ASSERT_EQ(b.status, 0) << b.out;
  auto tr = edgeinfer::ReadNpy(ref + "/output.npy");
  auto tf = edgeinfer::ReadNpy(fast + "/output.npy");
  ASSERT_TRUE(tr.ok() && tf.ok());
  ASSERT_EQ(tr->dims(), tf->dims());
  float max_ref = 0.f;
  for (int64_t i = 0; i < tr->numel(); ++i) max_ref = std::max(max_ref, std::fabs(tr->data<float>()[i]));
  // FP32 tolerance of the fast path (tests/devices/cpu/fast_test.cc): 1e-4 of the output's range.
  for (int64_t i = 0; i < tr->numel(); ++i) {
    EXPECT_NEAR(tf->data<float>()[i], tr->data<float>()[i], 1e-4f * std::max(1.f, max_ref)) << "element " << i;
  }
}

TEST_F(Cli, GpuEngineRunsOrSaysWhyNot) {
  CmdResult r = RunCli("run " + model_ + " --engine gpu");
  if (r.status != 0) {
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("GPU engine unavailable"), std::string::npos) << r.out;
  } else {
    EXPECT_NE(r.out.find("output"), std::string::npos) << r.out;
  }
  CmdResult bad = RunCli("run " + model_ + " --engine tpu");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("unknown"), std::string::npos) << bad.out;
  CmdResult epi = RunCli("run " + model_ + " --engine gpu --int8-epilogue approximate");
  EXPECT_NE(epi.status, 0);
  EXPECT_NE(epi.out.find("--int8-epilogue"), std::string::npos) << epi.out;
}

}  // namespace
