// INT8 calibration: per-tensor activation ranges from sample data, and the cache that stores them.
//
// Steps: (1) the caller runs the FP32 graph (canonicalised, not yet fused: calibration must see the
// pre-activation tensors that fusion hides) on each batch and hands every float tensor to
// Calibrator::Observe; (2) each tensor keeps max|x| and a fine histogram of |x| (8 x 2048 bins)
// whose range doubles (bins merged pairwise) when a larger value arrives, so one pass over the data
// suffices; (3) Finish re-bins it onto 2048 bins over exactly [0, max|x|] (the histogram a two-pass
// calibrator builds once the range is known) and picks amax per tensor: MinMax = max|x|;
// Percentile = the 99.99th percentile of |x|; Entropy = TensorRT's KL-divergence threshold (the
// clipping threshold whose 128-level quantized distribution is closest to the observed one, see
// EntropyThresholdOfBins). Scale = amax / 127.
// Why the fine histogram: with 2048 bins collected directly, every doubling halves the resolution
// and leaves the data in the lower part of the bins (after k doublings in the first 2048/2^k), so
// the thresholds depended on the order of the samples; re-binning from 8x finer bins makes the
// 2048 bins span [0, amax] whatever the order, within a quarter of a bin.
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

// Histogram of |x|: kFineBins bins over [0, range); the range doubles (pairs of bins merged) when a
// larger value arrives. Non-finite values are skipped.
class AbsHistogram {
 public:
  static constexpr int kBins = 2048;            // bins the thresholds are chosen on
  static constexpr int kFineBins = 8 * kBins;   // bins collected (re-binned onto kBins by Bins())
  void Add(const float* x, int64_t n);
  double amax() const { return amax_; }
  double range() const { return range_; }
  double total() const { return total_; }
  const std::vector<double>& fine_bins() const { return bins_; }
  // kBins bins over [0, amax]: each fine bin's count is spread over its part of [0, amax] in
  // proportion to the overlap (uniform within a fine bin). Empty (all zero) when amax == 0.
  std::vector<double> Bins() const;

 private:
  std::vector<double> bins_ = std::vector<double>(kFineBins, 0.0);
  double range_ = 0.0;
  double amax_ = 0.0;
  double total_ = 0.0;
};

// TensorRT's entropy calibration on a histogram of |x| (bins of equal `width` from 0), as in
// NVIDIA's "8-bit Inference with TensorRT" (GTC 2017) and its pytorch-quantization code: for each
// candidate i from 128 to bins.size(): P = bins[0:i] with the outliers (bins[i:]) added to P[i-1];
// Q = bins[0:i] merged into 128 levels (bin j in level floor(128 j / i)), each level's sum spread
// evenly over its non-empty bins; KL(P || Q) with both divided by the total count (Q, which lacks
// the outliers, sums to 1 - clipped fraction: the textbook KL of the normalised pair plus
// log(1 / (1 - clipped fraction)), so a threshold below most of the data cannot score 0), infinite
// where P > 0 = Q.
// The last i with the smallest KL gives the threshold i * width. Bin 0 first takes bin 1's count
// (as pytorch-quantization does), so a ReLU's spike of exact zeros does not decide the threshold.
// Fewer than 128 bins: returns bins.size() * width (nothing to clip).
double EntropyThresholdOfBins(std::vector<double> bins, double width);
// EntropyThresholdOfBins on h.Bins() (2048 bins over [0, amax]); amax when h has fewer than two
// distinct non-zero magnitudes' worth of data (amax == 0).
double EntropyThreshold(const AbsHistogram& h);
// Smallest bin upper edge (of the 2048 bins over [0, amax]) below which `fraction` of the samples lie.
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
