// INT8 network I/O (fusions/int8_io.cc): the boundary QuantizeLinear / DequantizeLinear leave the
// graph, the input and output keep their names and become int8 at their scales, and the int8 graph
// computes exactly what the float-I/O INT8 graph computes between its boundaries.
#include <gtest/gtest.h>

#include "devices/cpu/reference_executor.h"
#include "fusions/calibration.h"
#include "fusions/pass_list.h"
#include "fusions/passes.h"
#include "graph/quant/int8_math.h"
#include "tests/fusions/fusion_test_util.h"
#include "tests/fusions/int8_test_net.h"

namespace edgeinfer::testing {
namespace {

// The canonicalised, unfused graph is what calibration observes (as the compile driver does).
fusions::CalibrationTable Calibrate(const Graph& net) {
  Graph canon = net;
  fusions::PipelineOptions po;
  po.stop_before = "conv_eltwise_act";
  fusions::CompileReport r;
  EXPECT_TRUE(fusions::RunPipeline(canon, po, &r).ok());
  return CalibrateOn(canon, 4);
}

Status CompileInt8(const Graph& net, const fusions::CalibrationTable& table, const std::string& io, Graph* out,
                   fusions::CompileReport* rep) {
  *out = net;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kInt8;
  po.calibration = &table;
  if (!io.empty()) po.pass_options["io_format"] = io;
  return fusions::RunPipeline(*out, po, rep);
}

TEST(Int8Io, BoundaryQdqLeaveAndNumericsAreThoseOfTheInt8Graph) {
  const Graph net = SmallResidualNet();
  const auto table = Calibrate(net);
  Graph g8, gio;
  fusions::CompileReport r8, rio;
  ASSERT_TRUE(CompileInt8(net, table, "", &g8, &r8).ok());
  ASSERT_TRUE(CompileInt8(net, table, "int8", &gio, &rio).ok());
  EXPECT_EQ(CountOp(g8, "QuantizeLinear"), 1);
  EXPECT_EQ(CountOp(g8, "DequantizeLinear"), 1);
  EXPECT_EQ(CountOp(gio, "QuantizeLinear"), 0);
  EXPECT_EQ(CountOp(gio, "DequantizeLinear"), 0);
  ASSERT_EQ(gio.inputs().size(), 1u);
  ASSERT_EQ(gio.outputs().size(), 1u);
  const Value& in = gio.value(gio.inputs()[0]);
  const Value& out = gio.value(gio.outputs()[0]);
  EXPECT_EQ(in.name, "x");
  EXPECT_EQ(in.dtype, DType::kInt8);
  ASSERT_TRUE(in.quant.has_value());
  EXPECT_FLOAT_EQ(in.quant->scale[0], table.amax.at("x") / 127.f);
  EXPECT_EQ(out.name, g8.value(g8.outputs()[0]).name);
  EXPECT_EQ(out.dtype, DType::kInt8);
  ASSERT_TRUE(out.quant.has_value());
  EXPECT_EQ(gio.metadata.at("io_format"), "int8");
  EXPECT_TRUE(g8.metadata.empty());
  // The caller quantizes exactly as the removed QuantizeLinear did; the dequantized int8 output is
  // then the float-I/O graph's output, bit for bit.
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    auto fin = RandomInputs(g8, seed);
    const Tensor& xf = fin.at("x");
    Tensor xq(DType::kInt8, xf.dims());
    for (int64_t i = 0; i < xf.numel(); ++i) xq.data<int8_t>()[i] = int8::QuantizeToInt8(xf.data<float>()[i], in.quant->scale[0]);
    auto rf = devices::RunReference(g8, fin);
    auto ri = devices::RunReference(gio, {{"x", xq}});
    ASSERT_TRUE(rf.ok() && ri.ok());
    const Tensor& yf = rf->at(out.name);
    const Tensor& yq = ri->at(out.name);
    ASSERT_EQ(yq.dtype(), DType::kInt8);
    ASSERT_EQ(yf.numel(), yq.numel());
    for (int64_t i = 0; i < yf.numel(); ++i)
      ASSERT_EQ(yf.data<float>()[i], static_cast<float>(yq.data<int8_t>()[i]) * out.quant->scale[0]) << "seed " << seed << " i " << i;
  }
  bool noted = false;
  for (const auto& n : rio.notes) noted = noted || n.find("int8 I/O: input 'x' is int8") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(Int8Io, RefusalsNameTheRule) {
  const Graph net = SmallResidualNet(true);
  const auto table = Calibrate(net);
  Graph g;
  fusions::CompileReport r;
  Status s = CompileInt8(net, table, "int8", &g, &r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("input 'x' is read in float by Sigmoid 'side'"), std::string::npos) << s.message();
  s = CompileInt8(SmallResidualNet(), table, "int4", &g, &r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("io_format 'int4': must be float or int8"), std::string::npos) << s.message();
  // "float" (and no option) leave the graph's I/O alone.
  ASSERT_TRUE(CompileInt8(SmallResidualNet(), table, "float", &g, &r).ok());
  EXPECT_EQ(g.value(g.inputs()[0]).dtype, DType::kFloat32);
  EXPECT_EQ(CountOp(g, "QuantizeLinear"), 1);
}

}  // namespace
}  // namespace edgeinfer::testing
