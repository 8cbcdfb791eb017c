// Unseen-model check without a network: tools/model_check/exporter_quirks.py writes 57 small CNNs
// with the quirks real exporters emit (symbolic batch with a Shape->Gather->Unsqueeze->Concat->
// Reshape head, NHWC + Transpose, SAME_UPPER, Clip with tensor bounds, swish / hardswish,
// Upsample / Resize in each opset's form, Concat branches, TensorFlow-style Pad + VALID conv with BN
// as Mul + Add of Constant nodes, ShuffleNet chunk + channel shuffle, FP16-converted copies; opsets 7 to
// 17). Each goes through the
// user's commands: `run` on the reference and on the fast CPU path (outputs agree), `compile --soc
// orin-agx --precision int8 --explain`, `run --engine dla`, and `bench --skip-host`. Skips with the
// reason when python3 with the onnx module (Debian python3-onnx) is missing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "graph/npy.h"
#include "graph/onnx_import.h"
#include "runtime/session.h"
#include "tests/apps/run_command.h"

namespace {

namespace fs = std::filesystem;
using edgeinfer::testing::CmdResult;
using edgeinfer::testing::RunCli;

int Shell(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(ExporterQuirks, GeneratedModelsRunThroughEveryCommand) {
  if (Shell("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with the onnx module is missing (apt-get install python3-onnx; scripts/bootstrap.sh does)";
  const fs::path dir = fs::temp_directory_path() / ("edgeinfer_exporter_quirks_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string gen = std::string(EDGEINFER_SOURCE_DIR) + "/tools/model_check/exporter_quirks.py";
  ASSERT_EQ(Shell("/usr/bin/python3 " + gen + " " + dir.string() + " >/dev/null"), 0) << gen;
  std::vector<fs::path> models;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".onnx") models.push_back(e.path());
  std::sort(models.begin(), models.end());
  ASSERT_EQ(models.size(), 57u);
  for (const fs::path& m : models) {
    SCOPED_TRACE(m.filename().string());
    const std::string ref_dir = (dir / "ref").string(), cpu_dir = (dir / "cpu").string();
    CmdResult r = RunCli("run " + m.string() + " --engine reference -b 2 -o " + ref_dir);
    ASSERT_EQ(r.status, 0) << r.out;
    r = RunCli("run " + m.string() + " --engine cpu -b 2 -o " + cpu_dir);
    ASSERT_EQ(r.status, 0) << r.out;
    auto a = edgeinfer::ReadNpy(ref_dir + "/output.npy");
    auto b = edgeinfer::ReadNpy(cpu_dir + "/output.npy");
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->numel(), b->numel());
    ASSERT_EQ(a->dtype(), b->dtype());
    for (int64_t i = 0; i < a->numel(); ++i) EXPECT_NEAR(a->GetAsDouble(i), b->GetAsDouble(i), 1e-5) << i;
    r = RunCli("compile " + m.string() + " --soc orin-agx --precision int8 --explain");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out.find("WARNING"), std::string::npos) << r.out;
    r = RunCli("run " + m.string() + " --engine dla");
    ASSERT_EQ(r.status, 0) << r.out;
    r = RunCli("bench " + m.string() + " --skip-host --eval-queries 64 --min-queries 64");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("\ntarget "), std::string::npos) << r.out;
    // The session's compile keeps the batch symbolic; its shape arithmetic must still be gone (the
    // CUDA executor and the DLA cannot run Shape; torchvision's ShuffleNetV2 found this on the H100).
    auto imported = edgeinfer::ImportOnnx(m.string());
    ASSERT_TRUE(imported.ok()) << imported.status().message();
    for (const char* precision : {"fp32", "int8"}) {
      edgeinfer::runtime::ModelOptions mo;
      mo.precision = *edgeinfer::ParsePrecision(precision);
      auto soc = edgeinfer::devices::LoadSocProfile("orin-agx");
      ASSERT_TRUE(soc.ok()) << soc.status().message();
      auto compiled_model = edgeinfer::runtime::Compile(*imported, edgeinfer::runtime::SessionCompileOptions(m.string(), mo), &*soc);
      ASSERT_TRUE(compiled_model.ok()) << compiled_model.status().message();
      const edgeinfer::Graph* compiled = &compiled_model->graph;
      for (edgeinfer::NodeId id : compiled->NodeIds()) {
        EXPECT_NE(compiled->node(id).op, "Shape") << precision << ": " << compiled->node(id).name;
      }
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
