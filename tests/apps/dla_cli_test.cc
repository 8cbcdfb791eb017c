// End-to-end: `edgeinfer run --engine dla` and `edgeinfer compile --soc ... --explain` on tiny_cnn,
// run as a user runs them (the binary must be built: cmake --build build --target edgeinfer).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "graph/npy.h"
#include "graph/tensor.h"

namespace {

namespace fs = std::filesystem;

struct Out {
  int rc = -1;
  std::string text;
};

Out Cli(const std::string& args) {
  Out o;
  const std::string cmd = "OMP_NUM_THREADS=1 " + std::string(EDGEINFER_BINARY_DIR) + "/apps/edgeinfer " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return o;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) o.text.append(buf, n);
  o.rc = pclose(p);
  return o;
}

bool Ready(std::string* why) {
  if (!fs::exists(fs::path(EDGEINFER_BINARY_DIR) / "apps/edgeinfer")) { *why = "edgeinfer binary not built"; return false; }
  if (!fs::exists(fs::path(EDGEINFER_BINARY_DIR) / "models/tiny_cnn.onnx")) { *why = "no models/tiny_cnn.onnx"; return false; }
  return true;
}

std::string Model() { return (fs::path(EDGEINFER_BINARY_DIR) / "models/tiny_cnn.onnx").string(); }

TEST(DlaCli, RunEngineDlaSaysWhatRanWhere) {
  std::string why;
  if (!Ready(&why)) GTEST_SKIP() << why;
  Out o = Cli("run " + Model() + " --engine dla");
  ASSERT_EQ(o.rc, 0) << o.text;
  EXPECT_NE(o.text.find("engine   dla(orin-agx) with gpu-fallback layers on cpu-reference"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("ran on the DLA model (exact INT8 arithmetic)"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("ran on cpu-reference in the gpu's place"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("calibrated (minmax) on the run's own input"), std::string::npos) << o.text;

  Out j = Cli("run " + Model() + " --engine dla --json");
  ASSERT_EQ(j.rc, 0) << j.text;
  auto js = nlohmann::json::parse(j.text);
  EXPECT_EQ(js["dla"]["soc"], "orin-agx");
  EXPECT_EQ(js["dla"]["precision"], "int8");
  EXPECT_GT(js["dla"]["dla_layers"].get<int>(), 0);
  EXPECT_GT(js["dla"]["predicted_target_ms"].get<double>(), 0.0);
  EXPECT_EQ(js["dla"]["fallback_runs_on"], "cpu-reference");
  // Deterministic: the same seed gives the same outputs.
  Out j2 = Cli("run " + Model() + " --engine dla --json");
  ASSERT_EQ(j2.rc, 0);
  EXPECT_EQ(nlohmann::json::parse(j2.text)["outputs"], js["outputs"]);
}

TEST(DlaCli, RunEngineDlaErrors) {
  std::string why;
  if (!Ready(&why)) GTEST_SKIP() << why;
  Out o = Cli("run " + Model() + " --engine dla --soc no-such-soc");
  EXPECT_NE(o.rc, 0);
  EXPECT_NE(o.text.find("no-such-soc"), std::string::npos) << o.text;
  Out m = Cli("run " + Model() + " --engine dla --power-mode 7W");
  EXPECT_NE(m.rc, 0);
  EXPECT_NE(m.text.find("7W"), std::string::npos) << m.text;
}

TEST(DlaCli, CompileExplainListsEveryLayer) {
  std::string why;
  if (!Ready(&why)) GTEST_SKIP() << why;
  const fs::path calib = fs::temp_directory_path() / ("dla_cli_calib_" + std::to_string(::getpid()) + ".npy");
  edgeinfer::Tensor t(edgeinfer::DType::kFloat32, {1, 3, 32, 32});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>((i * 37) % 200) / 100.f - 1.f;
  ASSERT_TRUE(edgeinfer::WriteNpy(calib.string(), t).ok());
  Out o = Cli("compile " + Model() + " --soc orin-agx --power-mode MAXN --precision int8 --calib " + calib.string() +
              " --calibrator minmax --explain");
  fs::remove(calib);
  ASSERT_EQ(o.rc, 0) << o.text;
  EXPECT_NE(o.text.find("partition of"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("on orin-agx (MAXN)"), std::string::npos) << o.text;
  // The head's GlobalAveragePool runs in INT8 on the DLA (one DLA segment); only the network's
  // input quantize and output dequantize fall back.
  EXPECT_NE(o.text.find("segments: 1 DLA, 2 gpu"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("GlobalAveragePool int8  dla"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("QuantizeLinear is not a DLA op (orin-agx dla.limits.ops)"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("[target clock]"), std::string::npos) << o.text;
}

}  // namespace
