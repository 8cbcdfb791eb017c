// DLA capability rules: one refusal per rule (with the exact reason for the key ones), acceptance of
// typical INT8/FP16 layers, and that every number is read from the profile (a changed limit in the
// profile changes the answer).
#include <gtest/gtest.h>

#include "devices/dla/capability.h"
#include "tests/devices/dla/dla_test_util.h"

namespace edgeinfer::devices {
namespace {

// A graph built by hand (no inference: the rules read the values' dtypes and shapes).
struct G {
  Graph g;
  ValueId V(const std::string& name, DType dt, std::vector<int64_t> dims, float scale = 0.f) {
    ValueId v = g.AddValue(name, dt, Shape(std::move(dims)));
    if (scale > 0.f) g.value(v).quant = QuantParams{{scale}, {0}, -1};
    return v;
  }
  ValueId C(const std::string& name, DType dt, std::vector<int64_t> dims) { return g.AddConstant(name, Tensor(dt, std::move(dims))); }
  NodeId N(const std::string& op, const std::string& name, std::vector<ValueId> in, std::vector<ValueId> out, Attributes a = {}) {
    return g.AddNode(op, name, std::move(in), std::move(out), std::move(a));
  }
  // A conv node of `op` with dtype dt: X [1,c,h,w] -> Y [1,k,oh,ow] (oh/ow not checked by the rules).
  NodeId Conv(const std::string& name, DType dt, int64_t c, int64_t k, int64_t kernel, int64_t stride, int64_t pad,
              int64_t group = 1, int64_t dilation = 1, const std::string& op = "ConvBiasAct", int64_t hw = 56) {
    ValueId x = V(name + "_x", dt, {1, c, hw, hw}, 0.1f);
    ValueId w = C(name + "_w", dt == DType::kInt8 ? DType::kInt8 : dt, {k, c / group, kernel, kernel});
    ValueId y = V(name + "_y", dt, {1, k, hw, hw}, 0.1f);
    Attributes a;
    a.Set("kernel_shape", std::vector<int64_t>{kernel, kernel});
    a.Set("strides", std::vector<int64_t>{stride, stride});
    a.Set("pads", std::vector<int64_t>{pad, pad, pad, pad});
    a.Set("dilations", std::vector<int64_t>{dilation, dilation});
    a.Set("group", group);
    return N(op, name, {x, w}, {y}, a);
  }
};

SocProfile Orin() { return testing::Profile("orin-agx"); }

std::string Why(const SocProfile& soc, const G& g, NodeId id) {
  Support s = DlaSupport(soc, g.g, id);
  EXPECT_FALSE(s.ok) << "expected a refusal";
  return s.reason;
}

TEST(DlaCapability, AcceptsTypicalInt8AndFp16Layers) {
  G g;
  NodeId a = g.Conv("conv_i8", DType::kInt8, 64, 64, 3, 1, 1);
  NodeId b = g.Conv("conv_f16", DType::kFloat16, 64, 64, 3, 2, 1, 1, 1, "Conv");
  NodeId c = g.Conv("grouped_i8", DType::kInt8, 64, 64, 3, 1, 1, 16);   // 4 channels per group
  for (NodeId id : {a, b, c}) {
    Support s = DlaSupport(Orin(), g.g, id);
    EXPECT_TRUE(s.ok) << s.reason;
  }
}

TEST(DlaCapability, StrideExactMessage) {
  G g;
  NodeId id = g.Conv("layer1.0.conv1", DType::kFloat16, 64, 64, 3, 9, 1, 1, 1, "Conv");
  EXPECT_EQ(Why(Orin(), g, id), "Conv 'layer1.0.conv1': stride 9 exceeds the DLA's maximum 8 (orin-agx dla.limits.stride_max)");
}

TEST(DlaCapability, Fp32IsNotADlaPrecision) {
  G g;
  NodeId id = g.Conv("c", DType::kFloat32, 8, 8, 3, 1, 1, 1, 1, "Conv");
  const std::string r = Why(Orin(), g, id);
  EXPECT_NE(r.find("Conv 'c': FP32 is not a DLA precision"), std::string::npos) << r;
  EXPECT_NE(r.find("int8, fp16"), std::string::npos) << r;
  EXPECT_NE(r.find("--precision int8 or fp16"), std::string::npos) << r;
}

TEST(DlaCapability, PrecisionNotInProfile) {
  // nvdla-small runs int8 only.
  G g;
  NodeId id = g.Conv("c", DType::kFloat16, 8, 8, 3, 1, 1, 1, 1, "Conv");
  const std::string r = Why(testing::Profile("nvdla-small"), g, id);
  EXPECT_NE(r.find("fp16 is not a precision of this DLA (it runs int8) (nvdla-small dla.precisions)"), std::string::npos) << r;
}

TEST(DlaCapability, OpNotInProfile) {
  G g;
  ValueId x = g.V("x", DType::kInt8, {1, 8, 4, 4}, 0.1f);
  ValueId y = g.V("y", DType::kInt8, {1, 8, 4, 4}, 0.1f);
  NodeId id = g.N("Transpose", "t", {x}, {y});
  EXPECT_EQ(Why(Orin(), g, id), "Transpose 't': Transpose is not a DLA op (orin-agx dla.limits.ops)");
}

TEST(DlaCapability, NoDla) {
  SocProfile soc = Orin();
  soc.dla.cores = 0;
  G g;
  NodeId id = g.Conv("c", DType::kInt8, 8, 8, 3, 1, 1);
  EXPECT_NE(Why(soc, g, id).find("has no DLA"), std::string::npos);
}

TEST(DlaCapability, MixedPrecisionInsideALayer) {
  G g;
  ValueId x = g.V("x", DType::kInt8, {1, 8, 4, 4}, 0.1f);
  ValueId y = g.V("y", DType::kFloat16, {1, 8, 4, 4});
  NodeId id = g.N("Relu", "r", {x}, {y});
  EXPECT_NE(Why(Orin(), g, id).find("output 'y' is float16 but the node computes in int8"), std::string::npos) << Why(Orin(), g, id);
}

TEST(DlaCapability, Int8ArithmeticMustBeDefined) {
  G g;
  ValueId a = g.V("a", DType::kInt8, {1, 8, 4, 4}, 0.1f);
  ValueId b = g.V("b", DType::kInt8, {1, 8, 4, 4}, 0.1f);
  ValueId y = g.V("y", DType::kInt8, {1, 8, 4, 4}, 0.1f);
  NodeId id = g.N("Add", "add", {a, b}, {y});
  EXPECT_NE(Why(Orin(), g, id).find("INT8 arithmetic is not defined for Add"), std::string::npos);
  // The same Add in FP16 is fine.
  G h;
  ValueId a16 = h.V("a", DType::kFloat16, {1, 8, 4, 4});
  ValueId b16 = h.V("b", DType::kFloat16, {1, 8, 4, 4});
  ValueId y16 = h.V("y", DType::kFloat16, {1, 8, 4, 4});
  NodeId id16 = h.N("Add", "add", {a16, b16}, {y16});
  EXPECT_TRUE(DlaSupport(Orin(), h.g, id16).ok);
}

TEST(DlaCapability, Int8ConcatNeedsOneScale) {
  G g;
  ValueId a = g.V("a", DType::kInt8, {1, 8, 4, 4}, 0.1f);
  ValueId b = g.V("b", DType::kInt8, {1, 8, 4, 4}, 0.2f);
  ValueId y = g.V("y", DType::kInt8, {1, 16, 4, 4}, 0.1f);
  Attributes ax;
  ax.Set("axis", int64_t{1});
  NodeId id = g.N("Concat", "cat", {a, b}, {y}, ax);
  EXPECT_NE(Why(Orin(), g, id).find("INT8 Concat of 'b' needs the same scale"), std::string::npos);
  g.g.value(b).quant->scale = {0.1f};
  EXPECT_TRUE(DlaSupport(Orin(), g.g, id).ok);
  // Concat along another axis is refused.
  Attributes a2;
  a2.Set("axis", int64_t{2});
  ValueId y2 = g.V("y2", DType::kInt8, {1, 8, 8, 4}, 0.1f);
  NodeId id2 = g.N("Concat", "cat2", {a, b}, {y2}, a2);
  EXPECT_NE(Why(Orin(), g, id2).find("along channels (axis 1) only"), std::string::npos);
}

TEST(DlaCapability, ShapesDynamicBatchAndMaxDim) {
  G g;
  ValueId x = g.V("x", DType::kInt8, {kDynamic, 8, 4, 4}, 0.1f);
  ValueId y = g.V("y", DType::kInt8, {kDynamic, 8, 4, 4}, 0.1f);
  NodeId id = g.N("Relu", "r", {x}, {y});
  EXPECT_NE(Why(Orin(), g, id).find("dynamic shape"), std::string::npos);
  // nvdla-small: max_batch 1.
  ValueId x2 = g.V("x2", DType::kInt8, {2, 8, 4, 4}, 0.1f);
  ValueId y2 = g.V("y2", DType::kInt8, {2, 8, 4, 4}, 0.1f);
  NodeId id2 = g.N("Relu", "r2", {x2}, {y2});
  EXPECT_NE(Why(testing::Profile("nvdla-small"), g, id2).find("batch 2 of 'x2' exceeds the DLA's maximum 1 (nvdla-small dla.limits.max_batch)"),
            std::string::npos) << Why(testing::Profile("nvdla-small"), g, id2);
  ValueId x3 = g.V("x3", DType::kInt8, {1, 8, 9000, 4}, 0.1f);
  ValueId y3 = g.V("y3", DType::kInt8, {1, 8, 9000, 4}, 0.1f);
  NodeId id3 = g.N("Relu", "r3", {x3}, {y3});
  EXPECT_NE(Why(Orin(), g, id3).find("dimension 2 of 'x3' is 9000, above the DLA's maximum 8192 (orin-agx dla.limits.max_dim)"),
            std::string::npos);
}

TEST(DlaCapability, ConvolutionLimits) {
  G g;
  EXPECT_NE(Why(Orin(), g, g.Conv("k", DType::kInt8, 8, 8, 33, 1, 0)).find("kernel 33x33: size 33 exceeds the DLA's maximum 32 (orin-agx dla.limits.kernel_max)"),
            std::string::npos);
  EXPECT_NE(Why(Orin(), g, g.Conv("d", DType::kInt8, 8, 8, 3, 1, 1, 1, 33)).find("dilation 33 exceeds the DLA's maximum 32 (orin-agx dla.limits.dilation_max)"),
            std::string::npos);
  EXPECT_NE(Why(Orin(), g, g.Conv("p", DType::kInt8, 8, 8, 3, 1, 3)).find("padding 3 is not smaller than the kernel size 3"),
            std::string::npos);
  EXPECT_NE(Why(Orin(), g, g.Conv("pm", DType::kInt8, 8, 8, 32, 1, 32)).find("padding 32 exceeds the DLA's maximum 31 (orin-agx dla.limits.pad_max)"),
            std::string::npos);
  // INT8 depthwise: 1 channel per group is not a multiple of 4.
  EXPECT_NE(Why(Orin(), g, g.Conv("dw", DType::kInt8, 32, 32, 3, 1, 1, 32))
                .find("INT8 grouped convolution (group=32) has 1 input channels per group; the DLA needs a multiple of 4 "
                      "(orin-agx dla.limits.int8_group_channel_multiple)"),
            std::string::npos);
  // 4 input but 2 output channels per group (K=16, group=8 on C=32).
  EXPECT_NE(Why(Orin(), g, g.Conv("kg", DType::kInt8, 32, 16, 3, 1, 1, 8)).find("has 2 output channels per group"), std::string::npos);
  // The same depthwise conv in FP16 is allowed (the rule is INT8's).
  Support s = DlaSupport(Orin(), g.g, g.Conv("dw16", DType::kFloat16, 32, 32, 3, 1, 1, 32));
  EXPECT_TRUE(s.ok) << s.reason;
  // 2-D only.
  ValueId x = g.V("x1d", DType::kInt8, {1, 8, 16}, 0.1f);
  ValueId w = g.C("w1d", DType::kInt8, {8, 8, 3});
  ValueId y = g.V("y1d", DType::kInt8, {1, 8, 16}, 0.1f);
  EXPECT_NE(Why(Orin(), g, g.N("ConvBiasAct", "c1d", {x, w}, {y})).find("2-D convolutions only"), std::string::npos);
}

TEST(DlaCapability, LimitsAreReadFromTheProfile) {
  SocProfile soc = Orin();
  G g;
  NodeId id = g.Conv("c", DType::kInt8, 8, 8, 5, 1, 2);
  EXPECT_TRUE(DlaSupport(soc, g.g, id).ok);
  soc.dla.limits.kernel_max = 3;
  EXPECT_NE(Why(soc, g, id).find("exceeds the DLA's maximum 3 (orin-agx dla.limits.kernel_max)"), std::string::npos);
  soc = Orin();
  soc.dla.limits.stride_min = 2;
  EXPECT_NE(Why(soc, g, id).find("stride 1 is below the DLA's minimum 2 (orin-agx dla.limits.stride_min)"), std::string::npos);
  soc = Orin();
  soc.dla.limits.ops.erase(std::find(soc.dla.limits.ops.begin(), soc.dla.limits.ops.end(), "ConvBiasAct"));
  EXPECT_NE(Why(soc, g, id).find("ConvBiasAct is not a DLA op"), std::string::npos);
  soc = Orin();
  soc.dla.limits.int8_group_channel_multiple = 1;
  EXPECT_TRUE(DlaSupport(soc, g.g, g.Conv("dw", DType::kInt8, 32, 32, 3, 1, 1, 32)).ok);
}

TEST(DlaCapability, PoolWindows) {
  G g;
  ValueId x = g.V("x", DType::kInt8, {1, 8, 20, 20}, 0.1f);
  ValueId y = g.V("y", DType::kInt8, {1, 8, 2, 2}, 0.1f);
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{9, 9});
  a.Set("strides", std::vector<int64_t>{8, 8});
  NodeId id = g.N("MaxPool", "mp", {x}, {y}, a);
  EXPECT_NE(Why(Orin(), g, id).find("pool window 9x9: size 9 exceeds the DLA's maximum 8 (orin-agx dla.limits.pool_window_max)"),
            std::string::npos) << Why(Orin(), g, id);
  // Fused pool window.
  NodeId c = g.Conv("cp", DType::kInt8, 8, 8, 3, 1, 1, 1, 1, "ConvBiasActPool");
  g.g.node(c).attrs.Set("pool", std::string("MaxPool"));
  g.g.node(c).attrs.Set("pool_kernel_shape", std::vector<int64_t>{10, 10});
  EXPECT_NE(Why(Orin(), g, c).find("fused pool window 10x10"), std::string::npos);
  // Global pools: the whole map is the window (FP16 so the precision rule passes).
  ValueId gx = g.V("gx", DType::kFloat16, {1, 8, 10, 10});
  ValueId gy = g.V("gy", DType::kFloat16, {1, 8, 1, 1});
  EXPECT_NE(Why(Orin(), g, g.N("GlobalAveragePool", "gap", {gx}, {gy})).find("global pool window 10x10"), std::string::npos);
  ValueId hx = g.V("hx", DType::kFloat16, {1, 8, 7, 7});
  ValueId hy = g.V("hy", DType::kFloat16, {1, 8, 1, 1});
  EXPECT_TRUE(DlaSupport(Orin(), g.g, g.N("GlobalAveragePool", "gap7", {hx}, {hy})).ok);
}

TEST(DlaCapability, Activations) {
  G g;
  NodeId c = g.Conv("c", DType::kInt8, 8, 8, 3, 1, 1);
  g.g.node(c).attrs.Set("activation", std::string("HardSwish"));
  EXPECT_NE(Why(Orin(), g, c).find("fused activation HardSwish is not a DLA activation (it runs Relu, Sigmoid, Tanh, Clip) (orin-agx dla.limits.activations)"),
            std::string::npos) << Why(Orin(), g, c);
  g.g.node(c).attrs.Set("activation", std::string("Clip"));
  EXPECT_TRUE(DlaSupport(Orin(), g.g, c).ok);
}

TEST(DlaCapability, GemmTransA) {
  G g;
  ValueId a = g.V("a", DType::kFloat16, {16, 1});
  ValueId b = g.C("b", DType::kFloat16, {16, 10});
  ValueId y = g.V("y", DType::kFloat16, {1, 10});
  Attributes at;
  at.Set("transA", int64_t{1});
  EXPECT_NE(Why(Orin(), g, g.N("Gemm", "fc", {a, b}, {y}, at)).find("transA=1"), std::string::npos);
}

TEST(DlaCapability, NativeFormats) {
  EXPECT_EQ(DlaNativeFormat(Orin(), DType::kInt8), "CHW32");
  EXPECT_EQ(DlaNativeFormat(Orin(), DType::kFloat16), "CHW16");
  EXPECT_EQ(DlaNativeFormat(testing::Profile("nvdla-small"), DType::kInt8), "CHW8");
  EXPECT_EQ(DlaNativeFormat(Orin(), DType::kFloat32), "");
  EXPECT_EQ(FormatChannelBlock("CHW32"), 32);
  EXPECT_EQ(FormatChannelBlock("HWC4x"), 1);
}

}  // namespace
}  // namespace edgeinfer::devices
