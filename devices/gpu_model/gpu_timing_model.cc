// iGPU roofline timing model (formulas: docs/timing-model.md, "GPU").
//
// Steps per layer:
//  1. Unit: tensor cores for conv/deconv/gemm in int8/fp16 unless the layer is grouped with fewer
//     channels per group than the tensor-core alignment (depthwise): then CUDA cores.
//  2. Implicit GEMM view: M = output pixels of the batch, Ng = output channels per group,
//     Kr = reduction (C/g x R x S). Alignment: Ng padded to the alignment; the reduction padded per
//     kernel tap (C/g to the alignment) or, when C/g is below it, as a whole (C/g*R*S), as
//     small-channel kernels do.
//  3. Tiles: for (tile_m, tile_n), (tile_m/2, tile_n/2), (tile_m/4, tile_n/4) with reuse factors
//     1, 0.85, 0.65 (smaller tiles re-load operands more often per MAC): fill = useful / padded
//     tile area; waves = ceil(tiles / (SMs x CTAs per SM)); quantization = tiles / (waves x slots).
//     The best product wins (what an autotuner picks).
//  4. Memory: input + weights (once per batch) + output + residual bytes at the GPU's DRAM share;
//     re-reads of operands across tiles are assumed to hit the L2.
//  5. Total = max(max(compute, memory) + kernel gap, host enqueue) (one kernel per fused layer; the
//     enqueue floor only without CUDA graphs).
// Known limits: no split-K, no Winograd, no L2 residency of activations between layers, no
// sparsity; pools/eltwise are pure memory operations with a nominal CUDA-core compute term.
#include "devices/gpu_model/gpu_timing_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "devices/soc/dram_model.h"

namespace edgeinfer::devices {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t RoundUp(int64_t a, int64_t b) { return CeilDiv(a, b) * b; }

}  // namespace

Result<GpuLayerTime> GpuLayerTiming(const SocProfile& soc, const LayerWork& w, const GpuTimingOptions& opts) {
  const GpuProfile& g = soc.gpu;
  const std::string label = "layer '" + w.name + "'";
  if (!g.present) return Status::Error("SoC profile '" + soc.name + "' has no GPU");
  if (!(g.clock_hz > 0) || g.enabled_sms <= 0) return Status::Error("SoC profile '" + soc.name + "': GPU clock or SMs is 0");
  GpuLayerTime t;
  t.name = w.name;
  t.macs = w.Macs();
  const double sms = g.enabled_sms;
  const bool has_macs = w.kind == LayerKind::kConv || w.kind == LayerKind::kDeconv || w.kind == LayerKind::kGemm;
  const double cuda_rate = sms * g.fp32_macs_per_clock_per_sm * g.clock_hz;

  if (has_macs && t.macs > 0) {
    const int64_t groups = std::max<int64_t>(w.groups, 1);
    const int64_t Cg = w.C / groups, Kg = w.K / groups;
    const bool low_precision = w.precision_bytes <= 2;
    const int64_t align = w.precision_bytes == 1 ? g.channel_align_int8 : g.channel_align_fp16;
    t.tensor_cores = low_precision && !(groups > 1 && Cg < align);
    if (!t.tensor_cores) {
      // CUDA cores: fp16 packs two MACs per FMA lane; int8 and fp32 one (depthwise has no channel
      // reduction for dp4a to use).
      t.peak_macs_per_s = cuda_rate * (w.precision_bytes == 2 ? 2.0 : 1.0);
      t.align_efficiency = 1;
      t.tile_efficiency = 1;
      t.efficiency = g.tensor_core_efficiency;   // same sustained fraction assumed for CUDA-core kernels
    } else {
      t.peak_macs_per_s = sms * g.clock_hz *
                          (w.precision_bytes == 1 ? g.int8_macs_per_clock_per_sm : g.fp16_macs_per_clock_per_sm);
      int64_t M, taps;
      if (w.kind == LayerKind::kDeconv) {
        M = w.N * w.H * w.W; taps = w.R * w.S;
      } else if (w.kind == LayerKind::kGemm) {
        M = w.N * w.OH * w.OW; taps = 1;
      } else {
        M = w.N * w.OH * w.OW; taps = w.R * w.S;
      }
      const int64_t red = Cg * taps;
      const int64_t red_pad = Cg >= align ? RoundUp(Cg, align) * taps : RoundUp(Cg * taps, align);
      const int64_t n_pad = RoundUp(Kg, align);
      t.align_efficiency = static_cast<double>(red) * Kg / (static_cast<double>(red_pad) * n_pad);
      const double slots = sms * g.ctas_per_sm;
      const double reuse[3] = {1.0, 0.85, 0.65};
      double best = 0;
      for (int i = 0; i < 3; ++i) {
        const int64_t tm = std::max(g.tile_m >> i, 8), tn = std::max(g.tile_n >> i, 8);
        const int64_t tiles = CeilDiv(M, tm) * CeilDiv(n_pad, tn) * groups;
        const double fill = static_cast<double>(M) * n_pad / (static_cast<double>(RoundUp(M, tm)) * RoundUp(n_pad, tn));
        const double waves = std::ceil(tiles / slots);
        const double quant = tiles / (waves * slots);
        const double e = reuse[i] * fill * quant;
        if (e > best) {
          best = e;
          t.tile_m = static_cast<int>(tm);
          t.tile_n = static_cast<int>(tn);
        }
      }
      t.tile_efficiency = best;
      t.efficiency = g.tensor_core_efficiency * t.align_efficiency * t.tile_efficiency;
    }
    t.compute_s = static_cast<double>(t.macs) / (t.peak_macs_per_s * t.efficiency);
  } else {
    // Elementwise and activation: one operation per input element; pooling: one per window tap of
    // each output element. On CUDA cores.
    const double elems = w.kind == LayerKind::kPool ? static_cast<double>(w.N * w.K * w.OH * w.OW * w.R * w.S)
                                                    : static_cast<double>(w.N * w.C * w.H * w.W);
    t.peak_macs_per_s = cuda_rate;
    t.efficiency = g.tensor_core_efficiency;
    t.compute_s = elems / (cuda_rate * t.efficiency);
  }

  t.dram_bytes = w.input_bytes + w.weight_bytes + w.output_bytes + (w.has_residual ? w.residual_bytes : 0);
  const double bw = opts.dram_bandwidth_bytes_per_s > 0 ? opts.dram_bandwidth_bytes_per_s : EngineDramCeiling(soc, EngineClass::kGpu);
  if (!(bw > 0)) return Status::Error(label + ": GPU DRAM bandwidth is 0");
  t.memory_s = static_cast<double>(t.dram_bytes) / bw;
  t.launch_s = g.kernel_gap_cycles / g.clock_hz;
  t.enqueue_s = opts.cuda_graphs ? 0 : g.launch_overhead_s;
  t.bound = t.compute_s >= t.memory_s ? Bound::kCompute : Bound::kMemory;
  t.total_s = std::max(std::max(t.compute_s, t.memory_s) + t.launch_s, t.enqueue_s);
  return t;
}

Result<GpuNetworkTime> GpuNetworkTiming(const SocProfile& soc, const std::vector<LayerWork>& layers, int64_t batch,
                                        const GpuTimingOptions& opts) {
  if (batch <= 0) return Status::Error("GpuNetworkTiming: batch must be positive");
  GpuNetworkTime n;
  n.batch = batch;
  for (const LayerWork& w : layers) {
    EI_ASSIGN_OR_RETURN(GpuLayerTime t, GpuLayerTiming(soc, w, opts));
    n.total_s += t.total_s;
    n.dram_bytes += t.dram_bytes;
    n.layers.push_back(std::move(t));
  }
  return n;
}

std::string FormatGpuNetworkTime(const GpuNetworkTime& n) {
  std::ostringstream os;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-24s %9s %9s %9s %6s %6s %8s %10s %7s\n", "layer", "total_us", "compute", "memory",
                "eff", "align", "tile", "dram_KB", "bound");
  os << buf;
  for (const auto& t : n.layers) {
    std::snprintf(buf, sizeof(buf), "%-24.24s %9.2f %9.2f %9.2f %5.0f%% %5.0f%% %4dx%-3d %10.1f %7s\n", t.name.c_str(),
                  t.total_s * 1e6, t.compute_s * 1e6, t.memory_s * 1e6, t.efficiency * 100, t.align_efficiency * 100,
                  t.tile_m, t.tile_n, t.dram_bytes / 1024.0, BoundName(t.bound));
    os << buf;
  }
  std::snprintf(buf, sizeof(buf), "total %.3f ms for batch %lld; DRAM %.2f MB; %.1f images/s\n", n.total_s * 1e3,
                static_cast<long long>(n.batch), n.dram_bytes / 1e6, n.ImagesPerSecond());
  os << buf;
  return os.str();
}

}  // namespace edgeinfer::devices
