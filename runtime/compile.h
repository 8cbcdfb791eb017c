// The one compile driver: model graph -> compiled graph (+ partition, memory plans, engine-file
// contents) for a SoC. The session, `edgeinfer compile`, `bench`, `run --engine dla|gpu` and
// `accuracy` all call Compile; none of them runs the pass pipeline itself.
//
// Phases, in order (each returns Status; the pass pipeline can dump the IR after every pass):
//   1. Validate: the engine set is parsed against the profile, the precision / I/O format / engine
//      combination and the calibration source are checked, all before any work, so a typo such as
//      `dla3` fails in milliseconds, naming the entry.
//   2. Target-aware pass selection: one rule, here only. When a DLA engine is in the set and the
//      model is compiled to int8/fp16, horizontal_conv is skipped (the Split it creates is not a
//      DLA op and would cut the DLA segments; the compiled graph is shared by every engine).
//   3. Calibration (INT8): the first source present wins: a table; a cache file that exists (and
//      matches the model's hash); sample data (a .npy file or folder, an image folder); sample
//      batches in memory; the model's own Q/DQ scales; seeded random inputs (placement, memory
//      plans and target timing are exact, the numerics carry no accuracy; `synthetic` says so).
//      Calibration runs the canonicalised, unfused graph (every pre-activation tensor exists) on the
//      fast CPU path (checked against the reference on the first batch) or on the reference.
//   4. The pass pipeline (fusions::RunPipeline) at the precision; INT8 network I/O on the final
//      graph only. Mixed precision: per-layer SQNR on sample data, layers below the threshold
//      excluded from INT8 and the pipeline run again.
//   5. Partition, once per model (not once per DLA core): on the graph bound to batch 1 when its
//      batch is symbolic. Every DLA engine instance of a session shares it.
//   6. Engine-file contents (when asked): memory plans of every engine instance and per-layer
//      costs (runtime/engine_build.h).
// Thread-safety: Compile is reentrant (no globals); it runs single-threaded except calibration on
// the fast CPU path, which uses its thread pool.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/device.h"
#include "devices/engine_class.h"
#include "devices/soc/soc_profile.h"
#include "fusions/calibration.h"
#include "fusions/compile_for_device.h"
#include "fusions/pass.h"
#include "graph/ir.h"
#include "graph/precision.h"
#include "runtime/engine_file.h"
#include "runtime/engine_instance.h"
#include "runtime/partition.h"

namespace edgeinfer::runtime {

// Loads a profile by name or path and applies a power mode ("" = the profile's default).
Result<devices::SocProfile> LoadSoc(const std::string& soc, const std::string& power_mode);

// The engines a model is compiled for and runs on, parsed and checked against one profile.
struct EngineSet {
  std::vector<EngineSpec> engines;
  bool Has(EngineClass c) const;
  std::string ToString() const;   // "gpu,dla0,dla1"
};
// "gpu,dla0,dla1" ("dla" = every DLA core, "all" = gpu + every DLA core, "cpu"). Errors name the
// entry and what the profile has ("engine 'dla3': SoC profile 'orin-agx' has 2 DLA cores").
Result<EngineSet> ParseEngineSet(const std::string& list, const devices::SocProfile& soc);
// Every engine the profile has: the GPU when present and each DLA core.
EngineSet AllEngines(const devices::SocProfile& soc);

// Where INT8 scales come from (Compile's phase 3 takes the first one given).
struct CalibrationSource {
  const fusions::CalibrationTable* table = nullptr;   // a table made before
  std::string cache;           // read if the file exists (same model); else written after calibrating on `data`
  std::string data;            // .npy file, folder of .npy batches or folder of images
  std::string preprocess;      // YAML preprocessing for image folders
  int64_t max_samples = 500;   // at most this many samples of `data`
  std::vector<Tensor> batches; // sample batches of the (single) input, in memory
  // With none of the above and no Q/DQ in the model: this many seeded uniform [-1, 1) inputs
  // (minmax). 0: an INT8 compile without a source is an error.
  int64_t seeded_samples = 0;
  fusions::CalibratorKind calibrator = fusions::CalibratorKind::kEntropy;   // for data and batches
  bool on_reference = false;   // calibrate on the reference executor instead of the fast CPU path
};

struct CompileOptions {
  std::string model_path;      // the ONNX file (its hash keys calibration caches); "" for in-memory graphs
  Precision precision = Precision::kFp32;
  // Engines the graph is compiled for, validated against the profile before any work. "" with a
  // profile: every engine it has; "" without one: a host compile (no target rule applies).
  std::string engines;
  IoFormat io_format = IoFormat::kFloat;
  CalibrationSource calibration;
  // > 0: INT8 layers whose isolated SQNR (dB) on sample data is below stay in float.
  double mixed_precision_sqnr_db = 0;
  bool fallback_fp16 = true;   // float layers of an INT8 compile run in FP16 (else FP32)
  // The device the compiled graph is handed to: its needs (layout, alignment, passes it gains
  // nothing from) as pass options (fusions/compile_for_device.h; CompileCapabilities in
  // runtime/device_factory.h gives each engine's). Default: none.
  fusions::DeviceCapabilities device;
  // Pass pipeline controls (fusions::PipelineOptions).
  std::vector<std::string> disabled_passes;
  std::vector<std::string> dump_after;
  std::string dump_dir = "edgeinfer_dump";
  // Phase 5-6 (need a profile): partition with per-layer target times; build the engine-file
  // contents (memory plans and costs) for the graph's batch.
  bool partition_timing = true;
  bool build_engine = false;
  int64_t batch = 1;           // the batch the graph is bound to (recorded in the engine file)
  int64_t sram_bytes = -1;     // per DLA core for chaining; -1: the profile's default
  bool sram_chaining = true;
  std::string tool = "edgeinfer";
  bool progress = false;       // progress bars on stderr (calibration, data loading)
};

// Per-layer INT8 error (mixed precision, `edgeinfer accuracy`).
struct LayerSqnr {
  std::string node;
  std::string op;
  double isolated_db = 0.0;     // this layer alone: FP32 inputs quantized, INT8 kernel vs FP32 node
  double accumulated_db = 0.0;  // at this layer's output when the whole graph runs in INT8
};

struct CompiledModel {
  Graph graph;                  // compiled: fused, quantized, shapes inferred (batch as given)
  fusions::CompileReport report;
  EngineSet engines;            // empty for a host compile
  std::optional<fusions::CalibrationTable> calibration;
  std::string calibration_note; // which source gave the scales, in words
  bool synthetic_calibration = false;   // scales from seeded random inputs: no accuracy
  std::vector<LayerSqnr> sensitivity;   // filled when mixed precision ran
  std::vector<std::string> kept_float;  // layers mixed precision kept out of INT8
  bool horizontal_conv_skipped = false; // the DLA rule of phase 2 applied
  // Phase 5: the partition and the graph it was planned on (Node::engine set; bound to batch 1
  // when `graph`'s batch is symbolic, else `graph` itself). Present with a profile whose engine set
  // has a DLA, or when an engine file was asked for.
  std::shared_ptr<const PartitionPlan> partition;
  std::shared_ptr<const Graph> partitioned_graph;
  std::optional<EngineFile> engine;     // phase 6, when build_engine
};

// The warning printed (and kept in engine files) when the scales come from seeded random inputs.
inline constexpr const char* kSyntheticCalibrationNote =
    "INT8 scales calibrated on 2 seeded random inputs (no --calib given): placement, memory plans and target "
    "timing are exact; the numerics carry no accuracy. Give --calib DATA (or --calib-cache) for a deployable engine";

// Compiles `imported` (an imported model graph; batch bound or symbolic) for `soc` (may be null: a
// host compile with no target phases). Does not change `imported` (weights are shared).
Result<CompiledModel> Compile(const Graph& imported, const CompileOptions& options, const devices::SocProfile* soc);

// True when g is already compiled (it holds fused or quantization nodes), e.g. from an engine file.
bool IsCompiledGraph(const Graph& g);

// Sample batches of a single-input model's input from `path` (batch = the input's leading dim; a
// short last batch is dropped).
Result<std::vector<Tensor>> LoadSampleBatches(const Graph& g, const std::string& path, const std::string& preprocess_yaml,
                                              int64_t max_samples, bool progress);

// Activation ranges of `imported` (canonicalised first, not fused) over the batches (phase 3).
Result<fusions::CalibrationTable> Calibrate(const Graph& imported, const std::vector<Tensor>& batches,
                                            fusions::CalibratorKind kind, const std::string& model_hash, bool progress,
                                            bool on_reference);

// Per-layer SQNR of every INT8 node of g8 against the FP32 graph g32 built by the same pipeline
// (value names match; int8 values carry the suffix "_i8"), averaged over batches; worst first.
Result<std::vector<LayerSqnr>> PerLayerSqnr(const Graph& g32, const Graph& g8, const std::vector<Tensor>& batches);

// 10*log10(sum ref^2 / sum (ref-test)^2); +inf when equal. Tensors of equal element count.
double SqnrDb(const Tensor& ref, const Tensor& test);
// Float copy (int8 dequantized with `scale`, float16 widened).
Tensor ToFloat32(const Tensor& t, float scale = 1.f);
// Runs g on one input tensor on the reference executor (single-input models); outputs by name.
Result<devices::TensorMap> RunReferenceOn(const Graph& g, const Tensor& input);

}  // namespace edgeinfer::runtime
