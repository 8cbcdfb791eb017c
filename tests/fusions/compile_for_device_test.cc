// fusions::CompileForDevice: the canonical FP32 entry point every tool calls before a device sees a
// graph. Structure (chains fused, BN folded, no quantization), numbers (compiled = imported on the
// reference), and the device capabilities (horizontal_conv skipped, Concat marks per layout).
#include "fusions/compile_for_device.h"

#include <gtest/gtest.h>

#include "devices/compile_caps.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

// x -> Conv -> BN -> Add(x) -> Relu, plus two sibling 1x1 convs of x concatenated on channels.
Graph ResidualAndSiblings(int64_t hw) {
  Builder b;
  ValueId x = b.Input("x", {1, 8, hw, hw});
  ValueId c = b.Conv("conv", x, 8, 3, 1, 1);
  ValueId bn = b.Op("BatchNormalization", "bn", {c, b.Rand("g", {8}, 0.5f, 1.5f), b.Rand("be", {8}), b.Rand("m", {8}), b.Rand("v", {8}, 0.5f, 2.f)});
  ValueId r = b.Op("Relu", "relu", {b.Op("Add", "add", {bn, x})});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  ValueId cat = b.Op("Concat", "cat", {b.Conv("s1", r, 4, 1), b.Conv("s2", r, 4, 1)}, ca);
  b.Output(cat);
  return b.g;
}

int CountOp(const Graph& g, const std::string& op) {
  int n = 0;
  for (NodeId id : g.NodeIds()) n += g.node(id).op == op;
  return n;
}

TEST(CompileForDevice, FusesAndFoldsAtFp32) {
  const Graph imported = ResidualAndSiblings(6);
  Graph g = imported;
  fusions::CompileReport rep;
  ASSERT_TRUE(fusions::CompileForDevice(g, devices::CpuFastCompileCapabilities(), &rep).ok());
  EXPECT_EQ(rep.precision, Precision::kFp32);
  EXPECT_EQ(CountOp(g, "BatchNormalization"), 0);
  EXPECT_EQ(CountOp(g, "ConvEltwiseAct"), 1);
  EXPECT_EQ(CountOp(g, "Add") + CountOp(g, "Relu"), 0);
  for (NodeId id : g.NodeIds()) EXPECT_NE(g.value(g.node(id).outputs[0]).dtype, DType::kInt8);
  EXPECT_LE(MaxOutputDiff(imported, g, RandomInputs(imported, 3)), 1e-5);
}

TEST(CompileForDevice, CudaCapabilitiesSkipSiblingMergingAndMarkOnlyContiguousConcats) {
  // Channel Concat of [1, 4, 6, 6] maps: contiguous in NCHW at batch 1, never in NHWC.
  Graph cpu = ResidualAndSiblings(6), gpu = cpu;
  fusions::CompileReport rc, rg;
  ASSERT_TRUE(fusions::CompileForDevice(cpu, devices::CpuFastCompileCapabilities(), &rc).ok());
  ASSERT_TRUE(fusions::CompileForDevice(gpu, devices::CudaCompileCapabilities(), &rg).ok());
  EXPECT_EQ(rc.CountByKind()["ConcatInPlace"], 1);
  EXPECT_EQ(rg.CountByKind()["ConcatInPlace"], 0);
  bool skipped = false;
  for (const std::string& n : rg.notes) skipped = skipped || n == "pass horizontal_conv disabled";
  EXPECT_TRUE(skipped);
  // The same Concat of 1x1 maps (H*W = 1) is contiguous in NHWC too, and 16-byte offsets of 4
  // floats are 256-byte aligned only for the first input: the GPU marks that one (partial).
  Graph one = ResidualAndSiblings(1);
  fusions::CompileReport r1;
  ASSERT_TRUE(fusions::CompileForDevice(one, devices::CudaCompileCapabilities(), &r1).ok());
  EXPECT_EQ(r1.CountByKind()["ConcatInPlace"], 1);
  for (NodeId id : one.NodeIds()) {
    if (one.node(id).op == "Concat") EXPECT_EQ(one.node(id).attrs.GetInt("in_place", 0), 0);
  }
}

TEST(CompileForDevice, UnknownDisabledPassIsAnError) {
  Graph g = ResidualAndSiblings(4);
  Status s = fusions::CompileForDevice(g, devices::CpuFastCompileCapabilities(), nullptr, {"no_such_pass"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no_such_pass"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace edgeinfer::testing
