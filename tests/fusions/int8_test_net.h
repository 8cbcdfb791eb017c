// A small residual classifier and MinMax calibration over seeded random batches, shared by the
// INT8 compiler tests (quantize_int8_test, int8_io_test).
#pragma once
#include "fusions/calibration.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {

// conv1 -> relu -> conv2 -> (+x) -> relu -> GAP -> flatten -> fc (float_reader: x also feeds a float
// Sigmoid that is a second output).
inline Graph SmallResidualNet(bool float_reader = false) {
  Builder b;
  ValueId x = b.Input("x", {1, 8, 12, 12});
  ValueId c1 = b.Op("Relu", "relu1", {b.Conv("conv1", x, 8, 3, 1, 1)});
  ValueId c2 = b.Conv("conv2", c1, 8, 3, 1, 1);
  ValueId r = b.Op("Relu", "relu2", {b.Op("Add", "add", {c2, x})});
  ValueId gap = b.Op("GlobalAveragePool", "gap", {r});
  Attributes fa;
  fa.Set("axis", int64_t{1});
  ValueId f = b.Op("Flatten", "flatten", {gap}, fa);
  Attributes ga;
  ga.Set("transB", int64_t{1});
  b.Output(b.Op("Gemm", "fc", {f, b.Rand("fc_w", {10, 8}, -0.5f, 0.5f), b.Rand("fc_b", {10})}, ga));
  if (float_reader) b.Output(b.Op("Sigmoid", "side", {x}));   // a second output reading x in float
  return b.g;
}

inline fusions::CalibrationTable CalibrateOn(const Graph& g, int batches) {
  fusions::Calibrator cal(fusions::CalibratorKind::kMinMax);
  devices::ReferenceOptions ro;
  ro.on_layer = [&](const Graph& gg, NodeId id, const std::vector<const Tensor*>& outs) {
    for (size_t i = 0; i < outs.size(); ++i) cal.Observe(gg.value(gg.node(id).outputs[i]).name, *outs[i]);
  };
  for (int i = 0; i < batches; ++i) {
    auto in = RandomInputs(g, 100 + static_cast<uint32_t>(i));
    for (auto& [n, t] : in) cal.Observe(n, t);
    auto r = devices::RunReference(g, in, ro);
    EXPECT_TRUE(r.ok()) << r.status().message();
  }
  return cal.Finish("test");
}

}  // namespace edgeinfer::testing
