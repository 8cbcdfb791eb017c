// The compile and accuracy commands' shared driver: import, calibrate (runs the canonicalised FP32
// graph on sample data and feeds the calibrator), run the pass pipeline, measure INT8 error
// (per output and per layer) and pick mixed-precision fallbacks. Used by cmd_compile.cc and
// cmd_accuracy.cc. Single-threaded; graphs run on the CPU reference executor.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "devices/device.h"
#include "fusions/calibration.h"
#include "fusions/pass_list.h"
#include "graph/ir.h"

namespace edgeinfer::apps {

struct CompileArgs {
  std::string model;
  std::string precision = "fp32";
  std::string calib;                     // .npy file, folder of .npy, or folder of images
  std::string calibrator = "entropy";
  std::string calib_cache;               // read if it exists (and matches the model), else written
  std::string preprocess;                // YAML for image folders
  int64_t calib_samples = 500;
  int64_t batch = 1;
  std::vector<std::string> disable;
  std::vector<std::string> dump_after;
  std::string dump_dir = "edgeinfer_dump";
  double mixed_sqnr_db = 0.0;            // > 0: layers whose isolated INT8 SQNR is below stay in float
  bool fallback_fp16 = true;             // float fallbacks of an INT8 compile run in FP16
  bool progress = true;
  std::string calib_engine = "fast";     // fast (oneDNN CPU path, when built) or reference
  std::string io_format;                 // "" / "float", or "int8": network input and output in int8 (fusions/int8_io.cc)
  // INT8 with no --calib / cache and no Q/DQ in the model: calibrate on seeded random inputs (as
  // trtexec --int8 without a calibrator does) instead of failing. Placement, memory plans and
  // target timing do not depend on the scales; numerics then carry no accuracy (Compiled says so).
  bool random_calibration_if_missing = false;
};

struct LayerSqnr {
  std::string node;
  std::string op;
  double isolated_db = 0.0;     // this layer alone: FP32 inputs quantized, INT8 kernel vs FP32 node
  double accumulated_db = 0.0;  // at this layer's output when the whole graph runs in INT8
};

struct Compiled {
  Graph graph;
  fusions::CompileReport report;
  std::optional<fusions::CalibrationTable> calibration;
  std::vector<LayerSqnr> sensitivity;   // filled when mixed precision ran
  std::vector<std::string> kept_float;  // layers mixed precision kept out of INT8
  bool synthetic_calibration = false;   // scales from seeded random inputs (CompileArgs::random_calibration_if_missing)
};

// The warning printed (and kept in engine files) when the scales come from seeded random inputs.
inline constexpr const char* kSyntheticCalibrationNote =
    "INT8 scales calibrated on 2 seeded random inputs (no --calib given): placement, memory plans and target "
    "timing are exact; the numerics carry no accuracy. Give --calib DATA (or --calib-cache) for a deployable engine";

// Sample batches for a single-input model (batch = the graph input's leading dim).
Result<std::vector<Tensor>> LoadSamples(const Graph& g, const std::string& path, const std::string& preprocess_yaml,
                                        int64_t max_samples, bool progress);

// Activation ranges of `imported` (canonicalised first, not fused) over the batches. engine "fast"
// runs them on the oneDNN CPU path when built (checked against the reference on the first batch,
// falling back to it on disagreement); "reference" always uses the reference executor.
Result<fusions::CalibrationTable> Calibrate(const Graph& imported, const std::vector<Tensor>& batches,
                                            fusions::CalibratorKind kind, const std::string& model_hash, bool progress,
                                            const std::string& engine = "fast");

Result<Compiled> CompileModel(const CompileArgs& args);

// 10*log10(sum ref^2 / sum (ref-test)^2); +inf when equal. Tensors of equal element count.
double SqnrDb(const Tensor& ref, const Tensor& test);
double Cosine(const Tensor& a, const Tensor& b);
// Float copy (int8 dequantized with `scale`, float16 widened).
Tensor ToFloat32(const Tensor& t, float scale = 1.f);

// Per-layer SQNR of every INT8 node of g8 against the FP32 graph g32 built by the same pipeline
// (value names match; int8 values carry the suffix "_i8"), averaged over batches.
Result<std::vector<LayerSqnr>> PerLayerSqnr(const Graph& g32, const Graph& g8, const std::vector<Tensor>& batches);

// Runs g on one input tensor (single-input models); outputs by name.
Result<devices::TensorMap> RunOne(const Graph& g, const Tensor& input);

}  // namespace edgeinfer::apps
