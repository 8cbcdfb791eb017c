// SoC profiles: the hardware of a target system-on-chip as plain data, loaded from configs/*.yaml.
//
// Hardware is data (STYLE rule 18): MAC array shapes, clocks, SRAM sizes, DRAM bandwidth, DLA op
// limits and power coefficients live in the YAML files, each number with its source in a comment;
// this header only gives them names and units. Units are SI throughout: hertz, bytes, seconds,
// watts, joules. A profile carries every power mode it knows; `ApplyPowerMode` copies one mode's
// clocks into the engine sections so the timing models read a single set of numbers.
//
// Loading validates every key and reports errors that name the file, the key and the rule, e.g.
// `orin-agx.yaml: dla.atomic_c: 48 is not a power of two`.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/precision.h"
#include "graph/status.h"

namespace edgeinfer::devices {

// One power mode (nvpmodel mode on Jetson). Clocks are the caps the mode sets; 0 = not capped by
// the mode (the engine's own maximum applies).
struct PowerMode {
  std::string name;                 // "MAXN", "50W", ...
  double gpu_clock_hz = 0;
  int gpu_sms = 0;                  // SMs left ungated by the mode (0 = all)
  double dla_clock_hz = 0;
  double dla_falcon_clock_hz = 0;   // the DLA's microcontroller (informational)
  double emc_clock_hz = 0;          // DRAM controller clock
  int cpu_cores = 0;
  double cpu_clock_hz = 0;
  double budget_w = 0;              // module power budget (0 = none stated)
  double published_gpu_sparse_int8_tops = 0;   // 0 where none is published
  double published_dla_sparse_int8_tops = 0;   // all DLA cores together
};

// The CPU complex. The MAC rates and efficiency are the target CPU timing model's
// (devices/cpu_model); a profile without them has no CPU timing (the CPU then runs on the host
// clock only, and a GPU-less SoC cannot take fallback layers on the target clock).
struct CpuProfile {
  int cores = 0;
  double clock_hz = 0;
  double fp32_macs_per_clock_per_core = 0;   // SIMD FMA lanes x pipes
  double fp16_macs_per_clock_per_core = 0;
  double int8_macs_per_clock_per_core = 0;   // dot-product instructions
  double efficiency = 0;                     // sustained fraction of that peak on convolutions/GEMMs
  double layer_overhead_s = 0;               // per layer: thread-pool dispatch and join
  double dram_bandwidth_share = 0;           // the cluster's DRAM ceiling as a fraction of peak (0 = dram.efficiency)
  bool HasTimingModel() const { return fp32_macs_per_clock_per_core > 0 && efficiency > 0; }
};

// The integrated GPU. MAC rates are per SM per clock (dense; 2:4 sparsity is not modelled).
struct GpuProfile {
  bool present = false;
  std::string arch;                       // "sm_87"
  int sms = 0;                            // SMs of the full chip
  int enabled_sms = 0;                    // SMs on in the active power mode
  double int8_macs_per_clock_per_sm = 0;  // tensor cores
  double fp16_macs_per_clock_per_sm = 0;  // tensor cores
  double fp32_macs_per_clock_per_sm = 0;  // CUDA cores (FMA)
  double clock_hz = 0;                    // active power mode's clock
  double max_clock_hz = 0;
  int64_t l2_bytes = 0;
  // Timing-model constants (docs/timing-model.md says where each comes from).
  double launch_overhead_s = 0;           // per kernel
  double tensor_core_efficiency = 0;      // sustained fraction of peak on a large, aligned layer
  double dram_efficiency = 0;             // achievable fraction of DRAM peak when the GPU is alone
  int tile_m = 0, tile_n = 0;             // implicit-GEMM CTA tile (output pixels x output channels)
  int ctas_per_sm = 0;                    // resident CTAs per SM for that tile
  int channel_align_int8 = 0;             // channels are padded to this for tensor-core kernels
  int channel_align_fp16 = 0;
};

// DLA legality limits (TensorRT's published DLA restrictions; nvdla configs where they differ).
struct DlaLimits {
  int kernel_min = 1, kernel_max = 32;
  int stride_min = 1, stride_max = 8;
  int pad_max = 31;                       // and pad < kernel
  int dilation_min = 1, dilation_max = 32;
  int pool_window_min = 1, pool_window_max = 8;
  int64_t max_dim = 8192;                 // every non-batch dimension
  int64_t max_batch = 4096;
  int int8_group_channel_multiple = 4;    // INT8 grouped conv: channels per group
  int max_loadables_per_core = 16;        // DLA segments (subgraphs) per core
  std::vector<std::string> ops;           // ONNX / fused op names the engine runs
  std::vector<std::string> activations;   // fused or standalone activations
};

struct DlaProfile {
  int cores = 0;
  int atomic_c = 0;                       // input channels per MAC-array cycle
  int atomic_k = 0;                       // output channels per MAC-array cycle
  double clock_hz = 0;                    // active power mode's clock
  double max_clock_hz = 0;
  int64_t conv_buffer_bytes = 0;          // convolution buffer (CBUF) per core
  int64_t sram_bytes_per_core = 0;        // on-chip SRAM usable by one core (0 = none)
  bool sram_shared = false;               // the SRAM is one pool shared by all cores (and others)
  int64_t sram_default_bytes = 0;         // what the toolchain uses by default (0 = all)
  double sram_bytes_per_clock = 0;        // SRAM port bandwidth per DLA clock
  std::vector<Precision> precisions;      // kInt8, kFp16 (YAML: [int8, fp16])
  int fp16_rate_divisor = 2;              // FP16 MAC rate = INT8 rate / this
  std::map<std::string, std::string> native_formats;   // PrecisionName -> "CHW32" ... (keyed as the YAML spells it)
  DlaLimits limits;
  double sdp_elements_per_clock = 0;      // post-processing (bias/BN/act/eltwise) throughput
  double pdp_elements_per_clock = 0;      // pooling unit throughput (input elements)
  double layer_overhead_cycles = 0;       // pipeline fill/drain per hardware layer (DLA clocks)
  double task_overhead_s = 0;             // per submitted inference task (firmware + signalling)
  bool weight_compression = false;        // not modelled in timing (sparse weights); informational
  double dram_bandwidth_share = 0;        // most of DRAM peak one core can draw (fraction)
  double port_bytes_per_clock = 0;        // memory interface width per DLA clock (0 = no limit)
};

struct DramProfile {
  std::string type;                       // "LPDDR5"
  int bus_width_bits = 0;
  int transfers_per_clock = 2;            // double data rate on the EMC clock
  double emc_clock_hz = 0;                // active power mode's EMC clock
  double max_emc_clock_hz = 0;
  double fixed_bandwidth_bytes_per_s = 0; // set instead of bus/clock where only a figure is given
  double latency_s = 0;                   // loaded access latency (first-fetch cost per layer)
  double efficiency = 0;                  // achievable fraction of peak with every client busy
  // Peak bytes/s at the active EMC clock.
  double PeakBytesPerSec() const;
};

// Power coefficients. Static watts per engine while powered; dynamic energy per operation.
// Every number is an estimate unless its YAML comment cites a source.
struct PowerCoefficients {
  double soc_static_w = 0;
  double gpu_static_w = 0;
  double dla_static_w = 0;                // per core
  double cpu_static_w = 0;
  double gpu_j_per_mac_int8 = 0;
  double gpu_j_per_mac_fp16 = 0;
  double dla_j_per_mac_int8 = 0;
  double dla_j_per_mac_fp16 = 0;
  double cpu_j_per_mac_int8 = 0;          // the CPU timing model's layers (optional keys)
  double cpu_j_per_mac_fp32 = 0;          // FP16 and FP32 MACs on the CPU
  double dram_j_per_byte = 0;
  double sram_j_per_byte = 0;
};

struct SocProfile {
  std::string name;
  std::string description;
  std::string source_path;                // the YAML file it came from
  std::vector<PowerMode> power_modes;     // empty for single-clock designs (nvdla-*)
  std::string default_power_mode;
  std::string active_power_mode;          // "" when the profile has no modes
  CpuProfile cpu;
  GpuProfile gpu;
  DlaProfile dla;
  DramProfile dram;
  PowerCoefficients power;

  const PowerMode* FindMode(const std::string& name) const;
  // Dense INT8 MAC/s of one DLA core / of the GPU at the active clocks.
  double DlaInt8MacsPerSec() const { return static_cast<double>(dla.atomic_c) * dla.atomic_k * dla.clock_hz; }
  double GpuInt8MacsPerSec() const { return gpu.enabled_sms * gpu.int8_macs_per_clock_per_sm * gpu.clock_hz; }
};

// Parses and validates a profile from YAML text; `origin` names it in errors. The default power
// mode (if any) is applied. Pure; thread-safe.
Result<SocProfile> ParseSocProfile(const std::string& yaml_text, const std::string& origin);

// Loads `path_or_name`: a path to a .yaml file, or a profile name ("orin-agx") looked up as
// <dir>/<name>.yaml in, in order: $EDGEINFER_CONFIG_DIR, <source tree>/configs, <install>/share/
// edgeinfer/configs. The error lists the places searched.
Result<SocProfile> LoadSocProfile(const std::string& path_or_name);

// The directories a name is looked up in, in order (existing or not).
std::vector<std::string> SocProfileSearchPath();

// Copies power mode `mode`'s clocks into a profile (case-insensitive name; "15w" works). Error
// names the profile and lists its modes. A profile without modes accepts only "" or "default".
Result<SocProfile> ApplyPowerMode(const SocProfile& profile, const std::string& mode);

// Re-checks the invariants of a profile built or edited in code (the loader runs it too).
Status ValidateSocProfile(const SocProfile& p);

}  // namespace edgeinfer::devices
