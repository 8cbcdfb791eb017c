#include "apps/edgeinfer/compile_common.h"

#include <cmath>

#include "apps/edgeinfer/common.h"

namespace edgeinfer::apps {

Result<runtime::CompileOptions> ToCompileOptions(const CompileArgs& a) {
  runtime::CompileOptions o;
  o.model_path = a.model;
  EI_ASSIGN_OR_RETURN(o.precision, ParsePrecision(a.precision));
  EI_ASSIGN_OR_RETURN(o.io_format, ParseIoFormat(a.io_format));
  o.calibration.data = a.calib;
  o.calibration.cache = a.calib_cache;
  o.calibration.preprocess = a.preprocess;
  o.calibration.max_samples = a.calib_samples;
  EI_ASSIGN_OR_RETURN(o.calibration.calibrator, fusions::ParseCalibrator(a.calibrator));
  o.calibration.on_reference = a.calib_engine == "reference";
  o.calibration.seeded_samples = a.random_calibration_if_missing ? 2 : 0;
  o.mixed_precision_sqnr_db = a.mixed_sqnr_db;
  o.fallback_fp16 = a.fallback_fp16;
  o.disabled_passes = a.disable;
  o.dump_after = a.dump_after;
  o.dump_dir = a.dump_dir;
  o.batch = a.batch;
  o.progress = a.progress;
  return o;
}

Result<runtime::CompiledModel> CompileModel(const CompileArgs& a, const runtime::CompileOptions& options,
                                            const devices::SocProfile* soc) {
  EI_ASSIGN_OR_RETURN(Graph imported, LoadModel(a.model, a.batch));
  return runtime::Compile(imported, options, soc);
}

double Cosine(const Tensor& a, const Tensor& b) {
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = a.GetAsDouble(i), y = b.GetAsDouble(i);
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa == 0.0 || bb == 0.0) return aa == bb ? 1.0 : 0.0;
  return ab / std::sqrt(aa * bb);
}

}  // namespace edgeinfer::apps
