// Test helpers for the DLA tests: compile a zoo model to INT8 the way `edgeinfer compile` does
// (import with a bound batch, calibrate the canonicalised FP32 graph on seeded random batches,
// run the pass pipeline with the table), seeded random tensors, and the SoC profiles.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "devices/cpu/reference_executor.h"
#include "devices/soc/soc_profile.h"
#include "fusions/calibration.h"
#include "fusions/fusion_util.h"
#include "fusions/pass_list.h"
#include "graph/onnx_import.h"

namespace edgeinfer::testing {

inline std::filesystem::path ZooDir() { return std::filesystem::path(EDGEINFER_BINARY_DIR) / "models"; }

inline Tensor RandomFloat(const std::vector<int64_t>& dims, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t(DType::kFloat32, dims);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

inline Tensor RandomInt8(const std::vector<int64_t>& dims, uint32_t seed) {
  Tensor t(DType::kInt8, dims);
  std::mt19937 rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
  return t;
}

inline devices::SocProfile Profile(const std::string& name) {
  auto p = devices::LoadSocProfile(name);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : devices::SocProfile();
}

// Seeded inputs for every graph input (float: uniform [-1, 1)).
inline devices::TensorMap RandomInputs(const Graph& g, uint32_t seed) {
  devices::TensorMap m;
  for (ValueId v : g.inputs()) {
    const Value& val = g.value(v);
    m[val.name] = val.dtype == DType::kInt8 ? RandomInt8(val.shape.dims, seed++) : RandomFloat(val.shape.dims, seed++);
  }
  return m;
}

// Compiles `g` (imported) to INT8 with a MinMax table from `batches` seeded random batches.
inline Result<Graph> CompileInt8(const Graph& imported, int batches, uint32_t seed, bool fallback_fp16 = true) {
  Graph cg = imported;
  fusions::PipelineOptions po;
  po.stop_before = "conv_eltwise_act";
  fusions::CompileReport r;
  EI_RETURN_IF_ERROR(fusions::RunPipeline(cg, po, &r));
  fusions::Calibrator cal(fusions::CalibratorKind::kMinMax);
  devices::ReferenceOptions ro;
  ro.on_layer = [&](const Graph& gg, NodeId id, const std::vector<const Tensor*>& outs) {
    for (size_t i = 0; i < outs.size(); ++i) cal.Observe(gg.value(gg.node(id).outputs[i]).name, *outs[i]);
  };
  for (int b = 0; b < batches; ++b) {
    devices::TensorMap in = RandomInputs(cg, seed + static_cast<uint32_t>(b) * 101);
    for (auto& [name, t] : in) cal.Observe(name, t);
    auto res = devices::RunReference(cg, in, ro);
    if (!res.ok()) return res.status();
    cal.EndBatch();
  }
  fusions::CalibrationTable table = cal.Finish("test");
  Graph g = imported;
  fusions::PipelineOptions p8;
  p8.precision = fusions::Precision::kInt8;
  p8.calibration = &table;
  p8.int8_fallback_fp16 = fallback_fp16;
  fusions::CompileReport r8;
  EI_RETURN_IF_ERROR(fusions::RunPipeline(g, p8, &r8));
  return g;
}


// Builds INT8 graphs node by node (shapes inferred as nodes are added): int8 activations with a
// per-tensor scale on Value::quant, int8 per-channel weights, int32 bias, scales as attributes.
class Int8Builder {
 public:
  Graph g;
  uint32_t seed = 1;

  ValueId Input(const std::string& name, std::vector<int64_t> dims, float scale = 0.05f, DType dt = DType::kInt8) {
    ValueId v = g.AddValue(name, dt, Shape(std::move(dims)));
    if (dt == DType::kInt8) g.value(v).quant = QuantParams{{scale}, {0}, -1};
    g.inputs().push_back(v);
    return v;
  }
  float ScaleOf(ValueId v) const { return g.value(v).quant ? g.value(v).quant->scale[0] : 1.f; }

  // Adds a node and infers it; sets the output's scale when y_scale > 0.
  ValueId Op(const std::string& op, const std::string& name, std::vector<ValueId> in, Attributes a = {}, float y_scale = 0.f) {
    ValueId y = g.AddValue(name + "_out", DType::kUndefined, Shape());
    NodeId id = g.AddNode(op, name, std::move(in), {y}, std::move(a));
    Status s = fusions::InferAndStore(g, id);
    EXPECT_TRUE(s.ok()) << s.message();
    if (y_scale > 0.f) g.value(y).quant = QuantParams{{y_scale}, {0}, -1};
    return y;
  }

  // An INT8 convolution node: op ConvBiasAct (or ConvBiasActPool when pool is set, ConvEltwiseAct
  // when residual is given). act: "", Relu, Clip, Sigmoid, LeakyRelu, ...
  ValueId Conv(const std::string& name, ValueId x, int64_t k, int64_t kernel, int64_t stride = 1, int64_t pad = 0,
               int64_t group = 1, const std::string& act = "Relu", ValueId residual = kNoValue, const std::string& pool = "",
               int64_t pool_k = 2, int64_t pool_s = 2, int64_t pool_pad = 0, int64_t dilation = 1) {
    std::mt19937 rng(seed++);
    const int64_t c = g.value(x).shape.dims[1];
    Tensor w = RandomInt8({k, c / group, kernel, kernel}, seed++);
    Tensor b(DType::kInt32, {k});
    for (int64_t i = 0; i < k; ++i) b.data<int32_t>()[i] = static_cast<int32_t>(rng() % 20001) - 10000;
    std::vector<float> ws(static_cast<size_t>(k));
    for (auto& v : ws) v = std::uniform_real_distribution<float>(0.0005f, 0.004f)(rng);
    Attributes a;
    a.Set("kernel_shape", std::vector<int64_t>{kernel, kernel});
    a.Set("strides", std::vector<int64_t>{stride, stride});
    a.Set("pads", std::vector<int64_t>{pad, pad, pad, pad});
    a.Set("dilations", std::vector<int64_t>{dilation, dilation});
    a.Set("group", group);
    if (!act.empty()) a.Set("activation", act);
    if (act == "Clip") { a.Set("act_min", 0.f); a.Set("act_max", 3.f); }
    if (act == "LeakyRelu") a.Set("act_alpha", 0.1f);
    a.Set("x_scale", ScaleOf(x));
    a.Set("w_scale", ws);
    const float y_scale = std::uniform_real_distribution<float>(0.03f, 0.2f)(rng);
    a.Set("y_scale", y_scale);
    if (act != "" && act != "Relu" && act != "Clip") a.Set("act_in_scale", y_scale * 2.f);
    std::vector<ValueId> in = {x, g.AddConstant(name + "_w", std::move(w)), g.AddConstant(name + "_b", std::move(b))};
    std::string op = "ConvBiasAct";
    if (residual != kNoValue) {
      op = "ConvEltwiseAct";
      in.push_back(residual);
      a.Set("r_scale", ScaleOf(residual));
    } else if (!pool.empty()) {
      op = "ConvBiasActPool";
      a.Set("pool", pool);
      a.Set("pool_kernel_shape", std::vector<int64_t>{pool_k, pool_k});
      a.Set("pool_strides", std::vector<int64_t>{pool_s, pool_s});
      a.Set("pool_pads", std::vector<int64_t>{pool_pad, pool_pad, pool_pad, pool_pad});
    }
    return Op(op, name, in, a, y_scale);
  }

  ValueId Gemm(const std::string& name, ValueId x, int64_t n, bool trans_b, const std::string& act = "") {
    std::mt19937 rng(seed++);
    const int64_t k = g.value(x).shape.dims[1];
    Tensor w = RandomInt8(trans_b ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, seed++);
    Tensor b(DType::kInt32, {n});
    for (int64_t i = 0; i < n; ++i) b.data<int32_t>()[i] = static_cast<int32_t>(rng() % 2001) - 1000;
    std::vector<float> ws(static_cast<size_t>(n));
    for (auto& v : ws) v = std::uniform_real_distribution<float>(0.0005f, 0.004f)(rng);
    Attributes a;
    a.Set("transB", static_cast<int64_t>(trans_b ? 1 : 0));
    if (!act.empty()) a.Set("activation", act);
    a.Set("x_scale", ScaleOf(x));
    a.Set("w_scale", ws);
    const float y_scale = 0.1f;
    a.Set("y_scale", y_scale);
    if (act != "" && act != "Relu" && act != "Clip") a.Set("act_in_scale", 0.2f);
    return Op("GemmBiasAct", name, {x, g.AddConstant(name + "_w", std::move(w)), g.AddConstant(name + "_b", std::move(b))}, a, y_scale);
  }
  void Output(ValueId v) { g.outputs().push_back(v); }
};

inline Result<Graph> ImportZoo(const std::string& file, int64_t batch = 1) {
  ImportOptions io;
  io.batch = batch;
  return ImportOnnx((ZooDir() / file).string(), io);
}

}  // namespace edgeinfer::testing
