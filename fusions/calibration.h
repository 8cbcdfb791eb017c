// INT8 calibration: per-tensor activation ranges from sample data, and the cache that stores them.
//
// Steps: (1) the caller runs the FP32 graph (canonicalised, not yet fused: calibration must see the
// pre-activation tensors that fusion hides) on each batch and hands every float tensor to
// Calibrator::Observe; (2) each tensor keeps max|x| and a 2048-bin histogram of |x| whose range
// doubles (bins merged pairwise) when a larger value arrives, so one pass over the data suffices;
// (3) Finish picks amax per tensor: MinMax = max|x|; Percentile = the 99.99th percentile of |x|;
// Entropy = TensorRT's KL-divergence threshold (the clipping threshold whose 128-level quantized
// distribution is closest to the observed one). Scale = amax / 127.
// The fusions layer does not run graphs (devices sit above it): the driver (apps/edgeinfer) runs
// them with the fastest CPU executor and feeds Observe.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/status.h"
#include "graph/tensor.h"

namespace edgeinfer::fusions {

enum class CalibratorKind { kMinMax, kEntropy, kPercentile };
Result<CalibratorKind> ParseCalibrator(const std::string& s);
const char* CalibratorName(CalibratorKind k);

// Histogram of |x| over [0, range) in 2048 bins; the range doubles as needed.
class AbsHistogram {
 public:
  static constexpr int kBins = 2048;
  void Add(const float* x, int64_t n);
  double amax() const { return amax_; }
  double range() const { return range_; }
  double total() const { return total_; }
  const std::vector<double>& bins() const { return bins_; }

 private:
  std::vector<double> bins_ = std::vector<double>(kBins, 0.0);
  double range_ = 0.0;
  double amax_ = 0.0;
  double total_ = 0.0;
};

// TensorRT's entropy threshold (the zero bin first takes bin 1's count, as TensorRT's
// pytorch-quantization does, so a ReLU's spike of zeros does not decide the threshold): argmin over i in [128, 2048] of KL(P_i || Q_i), P_i the first i bins
// with the tail folded into bin i-1, Q_i P_i quantized to 128 levels and expanded back over its
// non-zero bins; threshold = (i + 0.5) * bin width, capped at amax.
double EntropyThreshold(const AbsHistogram& h);
// Smallest bin upper edge below which `fraction` of the samples lie, capped at amax.
double PercentileThreshold(const AbsHistogram& h, double fraction);

// Activation ranges by tensor name (ONNX value names), tied to the model they were measured on.
struct CalibrationTable {
  std::string model_hash;   // HashModelBytes of the .onnx file
  std::string calibrator;   // minmax | entropy | percentile
  int batches = 0;
  std::map<std::string, float> amax;

  // amax / 127, or 0 when the tensor was not calibrated (or is all zeros: scale 1/127 then).
  float Scale(const std::string& tensor) const;
  std::string ToText() const;
  static Result<CalibrationTable> FromText(const std::string& text, const std::string& what);
  Status Save(const std::string& path) const;
  // Loads a cache; an error when it was made for a different model hash (expected_hash non-empty).
  static Result<CalibrationTable> Load(const std::string& path, const std::string& expected_hash);
};

// FNV-1a 64-bit hash of the model file's bytes, as "fnv1a64:<16 hex digits>".
std::string HashModelBytes(const std::string& bytes);
Result<std::string> HashModelFile(const std::string& path);

class Calibrator {
 public:
  explicit Calibrator(CalibratorKind kind, double percentile = 0.9999) : kind_(kind), percentile_(percentile) {}
  // Adds one tensor's values (float32 only; other dtypes are ignored).
  void Observe(const std::string& name, const Tensor& t);
  void EndBatch() { ++batches_; }
  CalibrationTable Finish(const std::string& model_hash) const;

 private:
  CalibratorKind kind_;
  double percentile_;
  int batches_ = 0;
  std::map<std::string, AbsHistogram> hist_;
};

}  // namespace edgeinfer::fusions
