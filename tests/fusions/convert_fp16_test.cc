#include "fusions/pass_list.h"
#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

TEST(ConvertFp16, ComputeNodesRunInFp16WithFloatBoundaries) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 8, 8});
  ValueId c1 = b.Op("Relu", "r1", {b.Conv("conv1", x, 8, 3, 1, 1)});
  ValueId c2 = b.Conv("conv2", c1, 8, 3, 1, 1);
  b.Output(b.Op("Softmax", "sm", {c2}));
  Graph before = b.g;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kFp16;
  fusions::CompileReport rep;
  ASSERT_TRUE(fusions::RunPipeline(b.g, po, &rep).ok());
  int half_nodes = 0;
  for (NodeId id : b.g.NodeIds()) {
    const Node& n = b.g.node(id);
    if (n.op == "ConvBiasAct") {
      EXPECT_EQ(b.g.value(n.inputs[0]).dtype, DType::kFloat16);
      EXPECT_EQ(b.g.value(n.inputs[1]).dtype, DType::kFloat16);
      EXPECT_EQ(b.g.value(n.outputs[0]).dtype, DType::kFloat16);
      ++half_nodes;
    }
  }
  EXPECT_EQ(half_nodes, 2);   // conv2 (no activation) became ConvBiasAct too
  EXPECT_EQ(CountOp(b.g, "Cast"), 2);   // into conv1, out of conv2 (before the FP32 Softmax)
  // FP16 storage with FP32 accumulation: relative error of a few FP16 ulps (2^-11) per layer.
  double diff = MaxOutputDiff(before, b.g, RandomInputs(before, 1));
  EXPECT_LT(diff, 5e-3);
  EXPECT_GT(diff, 0.0);
}

TEST(ConvertFp16, NodeWithNonConstantWeightsStaysFp32) {
  Builder b;
  ValueId x = b.Input("x", {1, 2, 5, 5});
  ValueId w = b.Input("w", {3, 2, 1, 1});
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{1, 1});
  b.Output(b.Op("Conv", "conv", {x, w}, a));
  fusions::CompileReport rep;
  fusions::PassContext ctx;
  ctx.report = &rep;
  ASSERT_TRUE(fusions::ConvertFp16(b.g, ctx).ok());
  EXPECT_EQ(CountOp(b.g, "Cast"), 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("constants"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
