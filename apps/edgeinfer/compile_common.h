// The compile and accuracy commands' shared flags, turned into runtime::CompileOptions (the one
// compile driver, runtime/compile.h, does the work).
#pragma once
#include <string>
#include <vector>

#include "graph/ir.h"
#include "runtime/compile.h"

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
  std::string io_format;                 // "" / "float", or "int8"
  // INT8 with no --calib / cache and no Q/DQ in the model: calibrate on 2 seeded random inputs (as
  // trtexec --int8 without a calibrator does) instead of failing.
  bool random_calibration_if_missing = false;
};

// The flags as typed compile options (words parsed here; errors name the flag's value).
Result<runtime::CompileOptions> ToCompileOptions(const CompileArgs& a);

// Imports args.model at args.batch and compiles it for `soc` (null: a host compile).
Result<runtime::CompiledModel> CompileModel(const CompileArgs& a, const runtime::CompileOptions& options,
                                            const devices::SocProfile* soc);

double Cosine(const Tensor& a, const Tensor& b);

}  // namespace edgeinfer::apps
