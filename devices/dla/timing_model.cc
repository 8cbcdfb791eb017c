// DLA timing model (formulas and their reasons: docs/timing-model.md).
//
// Steps per layer:
//  1. MAC-array cycles. The array does atomic-C input channels x atomic-K output channels of one
//     output pixel per clock. A layer is blocks of (group, C-atom, K-atom, r, s); each block
//     streams its output pixels through the array. Channel counts are padded up to the atoms. A
//     first layer with fewer channels than atomic-C uses the image-input channel extension: the S
//     horizontal taps are folded into the channel atom (C*S channels, kernel width 1). Loading a
//     block's weights into the array takes atomic-K clocks (one kernel row per clock) and is hidden
//     behind the previous block's stripe only when that stripe has at least atomic-K pixels, so a
//     block costs max(pixels, atomic-K) clocks. Grouped convolutions with groups smaller than the
//     atoms (depthwise) pack several groups into one block with block-diagonal weights. Convolutions loop over the batch; a Gemm puts the
//     batch rows in its stripe (FC batching).
//  2. SDP and PDP cycles: output elements / their throughput; the units run pipelined with the MAC
//     array, so compute = max of the three.
//  3. Bytes. The convolution buffer (CBUF) holds an input stripe (whole rows, at least the kernel's
//     support rows) and weights. For each split of the CBUF into data and weights (sixteenths) the
//     traffic is: weights resident -> inputs once per image (+ halo rows re-read between stripes),
//     weights once per batch (kept across stripes); weights too big -> split into chunks of whole
//     kernel groups (atomic-K kernels; a split whose weight part holds no whole group is not
//     legal), one operation per (chunk, stripe), applied to every image of the batch: the input is
//     re-read once per chunk and the weights once per stripe, the NVDLA primer's two multipliers.
//     (Reusing CBUF contents across those operations, or streaming weights past a resident input
//     as nvdla/sw's compiler can, is not modelled: the primer's sizing rule is the calibrated one;
//     docs/timing-model.md.) The cheapest split wins (the compiler's choice).
//  4. Memory time: DRAM bytes at the core's DRAM bandwidth; SRAM bytes at the SRAM port; the two
//     ports work in parallel. Weights always come from DRAM.
//  5. Input before compute: the convolution sequencer starts a hardware layer only when every input
//     row (slice) of that layer is in the CBUF (nvdla/hw NV_NVDLA_CSC_sg.v: dat_cbuf_ready =
//     slices_avl >= data_in_height), and a layer's input is the previous layer's output, complete
//     only when that layer ends, so it cannot be prefetched: the input fetch (every re-read included,
//     each chunk being its own hardware layer) is exposed, at the port that serves it. Weights,
//     outputs and the residual stream alongside (weights kernel group by kernel group).
//  6. Layer time = max(input fetch + compute, memory) + overhead (pipeline fill/drain: fixed DLA
//     cycles plus one DRAM latency before the first data arrives).
// Known limits: Winograd, weight compression and the DLA's sparse mode are not modelled; the
// CBUF allocation is per sixteenth (real banks are coarser or finer); the per-layer overhead is an
// estimate (docs/timing-model.md).
#include "devices/dla/timing_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "devices/soc/dram_model.h"

namespace edgeinfer::devices {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The channel alignment of the DLA's native format for a precision ("CHW32" -> 32); 1 if none.
int64_t FormatChannelAlign(const DlaProfile& d, int precision_bytes) {
  auto it = d.native_formats.find(PrecisionName(precision_bytes == 1 ? Precision::kInt8 : Precision::kFp16));
  if (it == d.native_formats.end()) return 1;
  const std::string& f = it->second;
  size_t i = f.find_first_of("0123456789");
  if (i == std::string::npos) return 1;
  return std::max<int64_t>(1, std::atoll(f.c_str() + i));
}

struct Traffic {
  double input = 0;    // bytes of input read (all of the batch)
  double weights = 0;  // bytes of weights read
  bool resident = true;
};

// CBUF tiling: the cheapest way to stream a convolution/gemm through the buffer (step 3).
// Per "image": rows x row_bytes input, weights wt in kernel groups of kg bytes (the sequencer
// consumes weights a kernel group at a time, so a chunk holds whole groups); reps images share
// resident weights.
Traffic CbufTraffic(double cbuf, double rows_in, double row_bytes, int64_t out_rows, int64_t support_rows, int64_t stride,
                    double wt, double kg, int64_t reps, double input_cost, double weight_cost) {
  Traffic best;
  double best_cost = std::numeric_limits<double>::infinity();
  const double image_bytes = rows_in * row_bytes;
  for (int part = 1; part < 16; ++part) {
    const double data = cbuf * part / 16.0;
    const double wbuf = cbuf - data;
    const double rows_fit = std::floor(data / row_bytes);
    if (rows_fit < support_rows) continue;
    int64_t stripes = 1;
    if (rows_fit < rows_in) {
      const int64_t out_per_stripe = std::max<int64_t>(1, (static_cast<int64_t>(rows_fit) - support_rows) / stride + 1);
      stripes = CeilDiv(out_rows, out_per_stripe);
    }
    const double halo = static_cast<double>(std::max<int64_t>(support_rows - stride, 0));
    const double per_image_input = image_bytes + static_cast<double>(stripes - 1) * halo * row_bytes;
    Traffic t;
    if (wt <= wbuf) {
      t.input = reps * per_image_input;
      t.weights = wt;
      t.resident = true;
    } else {
      // Weights that do not fit are split into kernel-group chunks, one hardware operation per
      // (chunk, stripe), and each operation loads its own input stripe and weight chunk: the input
      // is re-read once per chunk and, when the input is cut into stripes, the weights once per
      // stripe. These are the NVDLA primer's two multipliers: "if the convolutional buffer can
      // only hold a fourth of the weight data, then the calculation must be split into four
      // steps, multiplying the input bandwidth ... Similarly, if the buffers cannot hold enough
      // lines for a support region for the convolution, the convolution must also be broken up
      // into horizontal strips." Each operation serves every image of the batch.
      const double groups_per_chunk = std::floor(wbuf / kg);
      if (groups_per_chunk < 1) continue;   // not even one kernel group beside this stripe
      const double chunks = std::ceil(std::ceil(wt / kg) / groups_per_chunk);
      t.input = reps * chunks * per_image_input;
      t.weights = wt * static_cast<double>(stripes);
      t.resident = false;
    }
    const double cost = t.input * input_cost + t.weights * weight_cost;
    if (cost < best_cost) {
      best_cost = cost;
      best = t;
    }
  }
  if (!std::isfinite(best_cost)) {
    // Not even the support rows fit in 15/16 of the CBUF: the layer is split along channels and
    // every input row is fetched once per kernel row; weights stream once per image.
    best.input = reps * image_bytes * static_cast<double>(support_rows) / static_cast<double>(stride);
    best.weights = reps * wt;
    best.resident = false;
  }
  return best;
}

}  // namespace

Result<DlaLayerTime> DlaLayerTiming(const SocProfile& soc, const LayerWork& w, const DlaTimingOptions& opts) {
  const DlaProfile& d = soc.dla;
  const std::string label = "layer '" + w.name + "'";
  if (d.cores <= 0) return Status::Error("SoC profile '" + soc.name + "' has no DLA");
  if (!(d.clock_hz > 0)) return Status::Error("SoC profile '" + soc.name + "': DLA clock is 0");
  const Precision prec = w.precision_bytes == 1 ? Precision::kInt8 : w.precision_bytes == 2 ? Precision::kFp16 : Precision::kFp32;
  if (std::find(d.precisions.begin(), d.precisions.end(), prec) == d.precisions.end())
    return Status::Error(label + ": precision " + PrecisionName(prec) + " is not supported by the DLA of '" + soc.name + "'");
  if (w.kind == LayerKind::kOther)
    return Status::Error(label + ": kind 'other' has no DLA unit to time");
  if ((w.input_in_sram || w.output_in_sram || w.residual_in_sram) && d.sram_bytes_per_core <= 0)
    return Status::Error(label + ": a tensor is placed in SRAM but '" + soc.name + "' has no DLA SRAM");
  if (w.N <= 0 || w.C <= 0 || w.K <= 0 || w.H <= 0 || w.W <= 0 || w.OH <= 0 || w.OW <= 0)
    return Status::Error(label + ": dims must be positive");

  DlaLayerTime t;
  t.name = w.name;
  const int64_t aC = d.atomic_c, aK = d.atomic_k;
  const double p = w.precision_bytes;
  const bool has_macs = w.kind == LayerKind::kConv || w.kind == LayerKind::kDeconv || w.kind == LayerKind::kGemm;

  // 1. MAC-array cycles.
  if (has_macs) {
    const int64_t g = std::max<int64_t>(w.groups, 1);
    const int64_t Cg = w.C / g, Kg = w.K / g;
    int64_t c_atoms = CeilDiv(Cg, aC), k_atoms = CeilDiv(Kg, aK), s_eff = w.S, group_blocks = g;
    if (w.kind == LayerKind::kConv && g == 1 && Cg < aC) {   // image-input channel extension
      c_atoms = CeilDiv(Cg * w.S, aC);
      s_eff = 1;
    } else if (g > 1 && Cg < aC && Kg < aK) {
      // Small groups (depthwise) share one block with block-diagonal weights: `pack` groups per
      // C-atom x K-atom, the rest of the block multiplies zeros.
      const int64_t pack = std::max<int64_t>(1, std::min(aC / Cg, aK / Kg));
      group_blocks = CeilDiv(g, pack);
      c_atoms = k_atoms = 1;
    }
    int64_t pixels, reps;
    if (w.kind == LayerKind::kGemm) {
      pixels = w.N * w.OH * w.OW;   // batch rows share the weight block
      reps = 1;
    } else if (w.kind == LayerKind::kDeconv) {
      pixels = w.H * w.W;           // each input pixel scatters over the kernel
      reps = w.N;
    } else {
      pixels = w.OH * w.OW;
      reps = w.N;
    }
    const double per_block = static_cast<double>(std::max<int64_t>(pixels, aK));
    t.mac_cycles = static_cast<double>(reps) * group_blocks * c_atoms * k_atoms * w.R * s_eff * per_block;
    if (w.precision_bytes == 2) t.mac_cycles *= d.fp16_rate_divisor;
    t.macs = w.Macs();
    t.mac_utilization = t.mac_cycles > 0 ? static_cast<double>(t.macs) / (t.mac_cycles * aC * aK) : 0;
  }
  // 2. SDP / PDP.
  if (has_macs || w.kind == LayerKind::kEltwise || w.kind == LayerKind::kActivation) {
    t.sdp_cycles = static_cast<double>(w.ConvOutputElements()) / d.sdp_elements_per_clock;
  }
  if (w.kind == LayerKind::kPool) {
    t.pdp_cycles = static_cast<double>(w.N * w.C * w.H * w.W) / d.pdp_elements_per_clock;
  } else if (w.pool_window > 0) {
    t.pdp_cycles = static_cast<double>(w.ConvOutputElements()) / d.pdp_elements_per_clock;
  }
  const double compute_cycles = std::max({t.mac_cycles, t.sdp_cycles, t.pdp_cycles});
  t.compute_s = compute_cycles / d.clock_hz;

  // 3. Bytes.
  const double dram_bw = opts.dram_bandwidth_bytes_per_s > 0 ? opts.dram_bandwidth_bytes_per_s : EngineDramCeiling(soc, EngineClass::kDla);
  const double sram_bw = d.sram_bytes_per_clock * d.clock_hz;
  if (!(dram_bw > 0)) return Status::Error(label + ": DLA DRAM bandwidth is 0");
  double input_read = static_cast<double>(w.input_bytes);
  double weight_read = static_cast<double>(w.weight_bytes);
  if (has_macs) {
    // Per-image geometry of the input as the CBUF sees it (channels padded to the native format).
    const int64_t align = FormatChannelAlign(d, w.precision_bytes);
    const int64_t c_mem = w.C >= align ? CeilDiv(w.C, align) * align : w.C;
    double rows_in, row_bytes;
    int64_t out_rows, support, stride, reps;
    if (w.kind == LayerKind::kGemm) {
      rows_in = 1; row_bytes = static_cast<double>(w.N * w.OH * w.OW * c_mem) * p;
      out_rows = 1; support = 1; stride = 1; reps = 1;
    } else {
      rows_in = static_cast<double>(w.H);
      row_bytes = static_cast<double>(w.W * c_mem) * p;
      reps = w.N;
      if (w.kind == LayerKind::kDeconv) {
        out_rows = w.H; support = 1; stride = 1;
      } else {
        out_rows = w.OH; support = w.dilation_h * (w.R - 1) + 1; stride = std::max<int64_t>(w.stride_h, 1);
      }
    }
    const double in_cost = w.input_in_sram && sram_bw > 0 ? 1.0 / sram_bw : 1.0 / dram_bw;
    // One kernel group: atomic-K kernels (of one convolution group) of Cg x R x S weights.
    const int64_t g = std::max<int64_t>(w.groups, 1);
    const double kernels = static_cast<double>(std::min<int64_t>(aK, std::max<int64_t>(w.K / g, 1)));
    const double kg = std::min(static_cast<double>(w.weight_bytes),
                               kernels * static_cast<double>(w.weight_bytes) / static_cast<double>(std::max<int64_t>(w.K, 1)));
    const Traffic tr = CbufTraffic(static_cast<double>(d.conv_buffer_bytes), rows_in, row_bytes, out_rows, support,
                                   stride, static_cast<double>(w.weight_bytes), std::max(kg, 1.0), reps, in_cost, 1.0 / dram_bw);
    input_read = tr.input;
    weight_read = tr.weights;
    t.weights_resident = tr.resident;
  }
  t.input_read_factor = w.input_bytes > 0 ? input_read / static_cast<double>(w.input_bytes) : 1;
  t.weight_read_factor = w.weight_bytes > 0 ? weight_read / static_cast<double>(w.weight_bytes) : 1;
  t.weight_dram_bytes = static_cast<int64_t>(std::llround(weight_read));
  const int64_t in_b = static_cast<int64_t>(std::llround(input_read));
  (w.input_in_sram ? t.sram_bytes : t.input_dram_bytes) += in_b;
  (w.output_in_sram ? t.sram_bytes : t.output_dram_bytes) += w.output_bytes;
  if (w.has_residual) (w.residual_in_sram ? t.sram_bytes : t.residual_dram_bytes) += w.residual_bytes;

  // 4. Memory time (DRAM and SRAM ports in parallel).
  t.dram_s = static_cast<double>(t.DramBytes()) / dram_bw;
  t.sram_s = t.sram_bytes > 0 ? static_cast<double>(t.sram_bytes) / sram_bw : 0;
  t.memory_s = std::max(t.dram_s, t.sram_s);

  t.overhead_s = d.layer_overhead_cycles / d.clock_hz + soc.dram.latency_s;
  // 5. The input of a MAC layer is in the CBUF before the array starts (file comment, step 5).
  const double in_bw = w.input_in_sram ? sram_bw : dram_bw;
  if (has_macs && in_bw > 0) t.input_load_s = input_read / in_bw;

  // 6. Total.
  t.bound = t.compute_s + t.input_load_s >= t.memory_s ? Bound::kCompute : Bound::kMemory;
  t.total_s = std::max(t.compute_s + t.input_load_s, t.memory_s) + t.overhead_s;
  return t;
}

Result<DlaNetworkTime> DlaNetworkTiming(const SocProfile& soc, const std::vector<LayerWork>& layers, int64_t batch,
                                        const DlaTimingOptions& opts) {
  if (batch <= 0) return Status::Error("DlaNetworkTiming: batch must be positive");
  DlaNetworkTime n;
  n.batch = batch;
  for (const LayerWork& w : layers) {
    EI_ASSIGN_OR_RETURN(DlaLayerTime t, DlaLayerTiming(soc, w, opts));
    n.layers_s += t.total_s;
    n.dram_bytes += t.DramBytes();
    (t.bound == Bound::kCompute ? n.compute_bound_s : n.memory_bound_s) += t.total_s;
    n.layers.push_back(std::move(t));
  }
  n.task_overhead_s = soc.dla.task_overhead_s;
  n.total_s = n.layers_s + n.task_overhead_s;
  return n;
}

std::string FormatDlaNetworkTime(const DlaNetworkTime& n) {
  std::ostringstream os;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-24s %9s %9s %9s %9s %9s %6s %10s %10s %7s\n", "layer", "total_us", "in_load",
                "compute", "memory", "ovh_us", "util", "dram_KB", "sram_KB", "bound");
  os << buf;
  for (const auto& t : n.layers) {
    std::snprintf(buf, sizeof(buf), "%-24.24s %9.2f %9.2f %9.2f %9.2f %9.2f %5.0f%% %10.1f %10.1f %7s\n", t.name.c_str(),
                  t.total_s * 1e6, t.input_load_s * 1e6, t.compute_s * 1e6, t.memory_s * 1e6, t.overhead_s * 1e6, t.mac_utilization * 100,
                  t.DramBytes() / 1024.0, t.sram_bytes / 1024.0, BoundName(t.bound));
    os << buf;
  }
  std::snprintf(buf, sizeof(buf),
                "total %.3f ms for batch %lld (layers %.3f ms, task overhead %.3f ms; compute-bound %.3f ms, "
                "memory-bound %.3f ms); DRAM %.2f MB; %.1f images/s\n",
                n.total_s * 1e3, static_cast<long long>(n.batch), n.layers_s * 1e3, n.task_overhead_s * 1e3,
                n.compute_bound_s * 1e3, n.memory_bound_s * 1e3, n.dram_bytes / 1e6, n.ImagesPerSecond());
  os << buf;
  return os.str();
}

}  // namespace edgeinfer::devices
