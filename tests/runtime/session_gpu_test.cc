// The session hands the compiled float precision to the GPU engine's CUDA device: a model compiled to
// FP16 computes in FP16 on the GPU (not in FP32 with FP16-rounded weights). Shown two ways on the
// zoo's tiny CNN: the device reports its float storage type, and the GPU's outputs differ from the
// FP32 reference by an FP16-sized amount (far above what the same session's FP32 compile shows on
// the same device) while staying within FP16 tolerance of it. Skips, with the reason, without a CUDA
// device (the GPU machine runs it: scripts/gpu_run.sh).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "devices/cuda_plugin.h"
#include "graph/onnx_import.h"
#include "runtime/compile.h"
#include "runtime/session.h"

namespace edgeinfer::runtime {
namespace {

const std::string kTiny = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";

devices::TensorMap Input(uint32_t seed) {
  Tensor t(DType::kFloat32, {1, 3, 32, 32});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return {{"input", t}};
}

// Largest |a - b| over every output, relative to max(1, largest |b|).
double RelDiff(const devices::TensorMap& a, const devices::TensorMap& b) {
  double diff = 0, mag = 1;
  for (const auto& [name, t] : b) {
    const Tensor u = ToFloat32(a.at(name));
    const Tensor r = ToFloat32(t);
    for (int64_t i = 0; i < r.numel(); ++i) {
      mag = std::max(mag, std::fabs(r.GetAsDouble(i)));
      diff = std::max(diff, std::fabs(u.GetAsDouble(i) - r.GetAsDouble(i)));
    }
  }
  return diff / mag;
}

TEST(SessionGpu, Fp16CompiledModelComputesInFp16OnTheCudaDevice) {
  std::string why;
  if (!devices::CudaAvailable(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  if (!std::filesystem::exists(kTiny)) GTEST_SKIP() << "model not generated: " << kTiny;
  auto s = Session::Create({"orin-agx", "MAXN"});
  ASSERT_TRUE(s.ok()) << s.status().message();

  // The FP32 reference: the FP32 compile of the model on the reference executor.
  ImportOptions io;
  io.batch = 1;
  auto imported = ImportOnnx(kTiny, io);
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  CompileOptions co;
  co.precision = Precision::kFp32;
  auto g32 = Compile(*imported, co, nullptr);
  ASSERT_TRUE(g32.ok()) << g32.status().message();
  const devices::TensorMap in = Input(7);
  auto ref = RunReferenceOn(g32->graph, in.at("input"));
  ASSERT_TRUE(ref.ok()) << ref.status().message();

  auto run = [&](Precision p, std::string* functional) -> Result<devices::TensorMap> {
    ModelOptions mo;
    mo.precision = p;
    mo.engines = "gpu";
    EI_ASSIGN_OR_RETURN(ModelId id, (*s)->LoadModel(kTiny, mo));
    EI_ASSIGN_OR_RETURN(ModelInfo info, (*s)->Info(id));
    *functional = info.functional.at("gpu");
    return (*s)->Infer(id, in);
  };
  std::string f16, f32;
  auto out16 = run(Precision::kFp16, &f16);
  ASSERT_TRUE(out16.ok()) << out16.status().message();
  auto out32 = run(Precision::kFp32, &f32);
  ASSERT_TRUE(out32.ok()) << out32.status().message();
  std::printf("fp16 compile: %s\nfp32 compile: %s\n", f16.c_str(), f32.c_str());

  // Both ran on the CUDA device, each in its compile's float type.
  ASSERT_EQ(f16.rfind("cuda:", 0), 0u) << f16;
  ASSERT_EQ(f32.rfind("cuda:", 0), 0u) << f32;
  EXPECT_NE(f16.find(" fp16)"), std::string::npos) << f16;
  EXPECT_NE(f32.find(" fp32)"), std::string::npos) << f32;

  const double d16 = RelDiff(*out16, *ref);
  const double d32 = RelDiff(*out32, *ref);
  std::printf("relative difference from the FP32 reference: fp16 compile %.3g, fp32 compile %.3g\n", d16, d32);
  // FP32 on the GPU agrees with the reference to FP32 rounding (no TF32: cuda_device.cc forbids it).
  EXPECT_LT(d32, 1e-4);
  // FP16 storage moves the outputs by an FP16-sized amount (half precision: 2^-11 relative per
  // rounding), well above the FP32 path's, and stays within FP16 tolerance.
  EXPECT_GT(d16, 1e-4);
  EXPECT_GT(d16, 10 * d32);
  EXPECT_LT(d16, 2e-2);
}

}  // namespace
}  // namespace edgeinfer::runtime
