// The compiler's INT8 output on the CUDA executor, end to end: a residual classifier (conv, residual
// add, GlobalAveragePool, Gemm) calibrated and compiled by the pass pipeline -- with the head's
// GlobalAveragePool averaging int8 (docs/int8-arithmetic.md step 5) -- run on CudaDevice and on the
// reference, with float network I/O (input QuantizeLinear, output DequantizeLinear on the GPU) and
// with INT8 network I/O (--io-format int8: the graph starts and ends in int8). Int8 tensors must be
// bit-exact; the float output (a DequantizeLinear of an exact int8 tensor) equal to 1e-6 relative.
// Without a GPU (CI) the tests skip and say why.
#include <gtest/gtest.h>

#include <cmath>

#include "devices/cpu/reference_executor.h"
#include "fusions/pass_list.h"
#include "graph/quant/int8_math.h"
#include "tests/fusions/int8_test_net.h"
#ifdef EDGEINFER_HAVE_CUDA
#include "devices/cuda/cuda_device.h"
#endif

namespace edgeinfer::testing {
namespace {

#ifndef EDGEINFER_HAVE_CUDA
TEST(CudaCompiledInt8, SkipsWithoutCuda) { GTEST_SKIP() << "no CUDA device: built without CUDA (nvcc or cuDNN not found)"; }
#else

Graph CompileInt8(const Graph& net, const fusions::CalibrationTable& table, const std::string& io) {
  Graph g = net;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kInt8;
  po.calibration = &table;
  if (!io.empty()) po.pass_options["io_format"] = io;
  fusions::CompileReport r;
  Status s = fusions::RunPipeline(g, po, &r);
  EXPECT_TRUE(s.ok()) << s.message();
  return g;
}

void ExpectGpuEqualsReference(const Graph& g, const devices::TensorMap& in, const std::string& what) {
  SCOPED_TRACE(what);
  auto ref = devices::RunReference(g, in);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  devices::CudaDevice dev(devices::CudaOptions{});
  Status s = dev.Prepare(std::make_shared<const Graph>(g));
  ASSERT_TRUE(s.ok()) << s.message();
  devices::TensorMap out;
  s = dev.Launch(in, &out);
  ASSERT_TRUE(s.ok()) << s.message();
  for (const auto& [name, r] : *ref) {
    ASSERT_TRUE(out.count(name)) << name;
    const Tensor& o = out.at(name);
    ASSERT_EQ(o.dtype(), r.dtype()) << name;
    ASSERT_EQ(o.dims(), r.dims()) << name;
    double worst = 0, scale = 0;
    int64_t differ = 0;
    for (int64_t i = 0; i < r.numel(); ++i) {
      const double a = r.GetAsDouble(i), b = o.GetAsDouble(i);
      differ += a != b;
      worst = std::max(worst, std::fabs(a - b));
      scale = std::max(scale, std::fabs(a));
    }
    if (r.dtype() == DType::kInt8) EXPECT_EQ(differ, 0) << name << ": " << differ << " of " << r.numel() << " differ";
    else EXPECT_LE(worst, 1e-6 * std::max(scale, 1.0)) << name;
  }
}

TEST(CudaCompiledInt8, ResidualClassifierFloatAndInt8Io) {
  std::string why;
  if (!devices::CudaDevice::Available(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  const Graph net = SmallResidualNet();
  Graph canon = net;
  fusions::PipelineOptions po;
  po.stop_before = "conv_eltwise_act";
  fusions::CompileReport r;
  ASSERT_TRUE(fusions::RunPipeline(canon, po, &r).ok());
  const auto table = CalibrateOn(canon, 4);
  const Graph g8 = CompileInt8(net, table, "");
  const Graph gio = CompileInt8(net, table, "int8");
  bool gap_int8 = false;
  for (NodeId id : g8.NodeIds())
    gap_int8 = gap_int8 || (g8.node(id).op == "GlobalAveragePool" && g8.value(g8.node(id).inputs[0]).dtype == DType::kInt8);
  ASSERT_TRUE(gap_int8) << g8.DumpText();
  const Value& xin = gio.value(gio.inputs()[0]);
  ASSERT_EQ(xin.dtype, DType::kInt8);
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    auto fin = RandomInputs(g8, seed);
    ExpectGpuEqualsReference(g8, fin, "float I/O seed " + std::to_string(seed));
    const Tensor& xf = fin.at("x");
    Tensor xq(DType::kInt8, xf.dims());
    for (int64_t i = 0; i < xf.numel(); ++i) xq.data<int8_t>()[i] = int8::QuantizeToInt8(xf.data<float>()[i], xin.quant->scale[0]);
    ExpectGpuEqualsReference(gio, {{"x", xq}}, "int8 I/O seed " + std::to_string(seed));
  }
}

#endif

}  // namespace
}  // namespace edgeinfer::testing
