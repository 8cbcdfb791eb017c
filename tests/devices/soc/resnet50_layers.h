// ResNet-50 v1.5 (torchvision) as the list of fused layers the compiler makes of it, as LayerWork,
// so timing tests run without model files: conv1+BN+ReLU+MaxPool (ConvBiasActPool), each
// bottleneck's 1x1 / 3x3 (stride on the 3x3, v1.5) / 1x1 convs with BN+ReLU folded (ConvBiasAct),
// the last one adding the skip (ConvEltwiseAct), the projection shortcut (ConvBiasAct), the global
// average pool and the FC (GemmBiasAct). 4.09 GMAC and 25.5 M weights per image.
//
// A simple SRAM chaining rule stands in for the memory planner: an activation stays in the DLA's
// SRAM when it is at most a third of the budget (a bottleneck keeps three activations live: the
// skip input and the current layer's input and output); otherwise it goes to DRAM.
#pragma once
#include <string>
#include <vector>

#include "devices/soc/layer_work.h"

namespace edgeinfer::devices::testing {

inline std::vector<LayerWork> ResNet50Layers(int64_t batch, int precision_bytes) {
  std::vector<LayerWork> L;
  LayerWork c1 = ConvWork("conv1", batch, 3, 224, 224, 64, 7, 7, 2, 3, precision_bytes);
  c1.activation = "Relu";
  FusePool(&c1, 3, 2, 1);   // 112 -> 56
  L.push_back(c1);
  int64_t in_c = 64, hw = 56;
  const int64_t widths[4] = {64, 128, 256, 512}, blocks[4] = {3, 4, 6, 3}, strides[4] = {1, 2, 2, 2};
  for (int s = 0; s < 4; ++s) {
    const int64_t w = widths[s], out_c = w * 4;
    for (int64_t b = 0; b < blocks[s]; ++b) {
      const int64_t st = b == 0 ? strides[s] : 1;
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
      LayerWork a = ConvWork(p + "conv1", batch, in_c, hw, hw, w, 1, 1, 1, 0, precision_bytes);
      a.activation = "Relu";
      L.push_back(a);
      LayerWork m = ConvWork(p + "conv2", batch, w, hw, hw, w, 3, 3, st, 1, precision_bytes);
      m.activation = "Relu";
      L.push_back(m);
      const int64_t ohw = m.OH;
      if (b == 0) {
        LayerWork d = ConvWork(p + "downsample", batch, in_c, hw, hw, out_c, 1, 1, st, 0, precision_bytes);
        L.push_back(d);
      }
      LayerWork c = ConvWork(p + "conv3", batch, w, ohw, ohw, out_c, 1, 1, 1, 0, precision_bytes);
      c.activation = "Relu";
      c.has_residual = true;
      c.FillBytes();
      L.push_back(c);
      in_c = out_c;
      hw = ohw;
    }
  }
  LayerWork gap;
  gap.name = "avgpool";
  gap.kind = LayerKind::kPool;
  gap.N = batch; gap.C = gap.K = 2048; gap.H = gap.W = 7; gap.R = gap.S = 7;
  gap.precision_bytes = precision_bytes;
  gap.FillBytes();
  L.push_back(gap);
  L.push_back(GemmWork("fc", batch, 2048, 1000, precision_bytes));
  return L;
}

// Marks activations that fit a third of `sram_budget` as SRAM-resident (see the file comment).
// The network input and output stay in DRAM.
inline void ChainSram(std::vector<LayerWork>* layers, int64_t sram_budget) {
  if (sram_budget <= 0) return;
  const int64_t limit = sram_budget / 3;
  bool main_out_in_sram = false;   // output of the last main-path layer (the next one's input)
  bool block_in_sram = false;      // the current block's input (skip path)
  bool shortcut_in_sram = false;   // the projection shortcut's output, when the block has one
  bool has_shortcut = false;
  for (size_t i = 0; i < layers->size(); ++i) {
    LayerWork& w = (*layers)[i];
    const bool last = i + 1 == layers->size();
    const bool is_shortcut = w.name.find("downsample") != std::string::npos;
    // The projection shortcut reads the block input, the others the previous main-path output.
    w.input_in_sram = i > 0 && (is_shortcut ? block_in_sram : main_out_in_sram);
    w.output_in_sram = !last && w.output_bytes <= limit;
    if (is_shortcut) {
      shortcut_in_sram = w.output_in_sram;
      has_shortcut = true;
      continue;
    }
    if (w.has_residual) w.residual_in_sram = has_shortcut ? shortcut_in_sram : block_in_sram;
    main_out_in_sram = w.output_in_sram;
    if (w.has_residual || i == 0) {   // a block ends: its output is the next block's input
      block_in_sram = w.output_in_sram;
      has_shortcut = false;
    }
  }
}

}  // namespace edgeinfer::devices::testing
