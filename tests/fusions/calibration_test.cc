#include <cmath>
#include <random>

#include "fusions/calibration.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using namespace fusions;   // NOLINT

TEST(Calibration, MinMaxIsTheLargestMagnitude) {
  Calibrator c(CalibratorKind::kMinMax);
  c.Observe("t", Tensor::FromVector(DType::kFloat32, {4}, std::vector<float>{0.5f, -3.f, 1.f, 2.f}));
  c.Observe("t", Tensor::FromVector(DType::kFloat32, {2}, std::vector<float>{7.f, 0.f}));   // range doubles
  CalibrationTable t = c.Finish("h");
  EXPECT_FLOAT_EQ(t.amax["t"], 7.f);
  EXPECT_FLOAT_EQ(t.Scale("t"), 7.f / 127.f);
}

TEST(Calibration, HistogramKeepsEveryValueWhenTheRangeGrows) {
  AbsHistogram h;
  std::vector<float> a(1000, 0.1f), b(10, 100.f);
  h.Add(a.data(), 1000);
  h.Add(b.data(), 10);
  double sum = 0;
  for (double v : h.fine_bins()) sum += v;
  EXPECT_EQ(sum, 1010.0);
  EXPECT_GE(h.range(), 100.0);
}

TEST(Calibration, PercentileAndEntropyClipAHeavyTail) {
  // 10^5 Gaussian values plus a few huge outliers: both histogram methods must clip the outliers;
  // entropy keeps the bulk (threshold well above 2 sigma).
  std::mt19937 rng(1);
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<float> v(100000);
  for (float& x : v) x = n(rng);
  v[0] = 60.f;
  v[1] = -55.f;
  for (CalibratorKind k : {CalibratorKind::kPercentile, CalibratorKind::kEntropy, CalibratorKind::kMinMax}) {
    Calibrator c(k);
    c.Observe("t", Tensor::FromVector(DType::kFloat32, {static_cast<int64_t>(v.size())}, v));
    float a = c.Finish("h").amax["t"];
    if (k == CalibratorKind::kMinMax) EXPECT_FLOAT_EQ(a, 60.f);
    else {
      EXPECT_LT(a, 10.f) << CalibratorName(k);
      EXPECT_GT(a, 2.5f) << CalibratorName(k);
    }
  }
}

TEST(Calibration, EntropyIsNotDraggedDownByAReluSpikeOfZeros) {
  std::mt19937 rng(2);
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<float> v(100000);
  for (float& x : v) x = std::max(0.f, n(rng));   // half exact zeros
  AbsHistogram h;
  h.Add(v.data(), static_cast<int64_t>(v.size()));
  EXPECT_GT(EntropyThreshold(h), 2.5);
}

// --- Entropy (KL) thresholds on distributions with known answers -----------------------------

float Amax(CalibratorKind k, const std::vector<std::vector<float>>& batches) {
  Calibrator c(k);
  for (const auto& b : batches) {
    c.Observe("t", Tensor::FromVector(DType::kFloat32, {static_cast<int64_t>(b.size())}, b));
    c.EndBatch();
  }
  return c.Finish("h").amax["t"];
}

TEST(Calibration, EntropyOfAUniformHistogramKeepsTheWholeRange) {
  // Every bin equal: Q (128 levels spread back over their bins) equals P only at i = n; any
  // smaller threshold folds a tail into the last bin. Known answer: n * width.
  EXPECT_DOUBLE_EQ(EntropyThresholdOfBins(std::vector<double>(2048, 10.0), 0.5), 1024.0);
  // Fewer bins than levels: nothing to clip.
  EXPECT_DOUBLE_EQ(EntropyThresholdOfBins(std::vector<double>(100, 1.0), 0.5), 50.0);
}

TEST(Calibration, EntropyKeepsASpikeAtTheClipLimit) {
  // ReLU6 output: a continuous part in (0, 6) and 30% of the values exactly at 6 (and zeros).
  // Clipping below 6 would fold the spike into a bin Q cannot reproduce: the answer is 6.
  std::mt19937 rng(3);
  std::normal_distribution<float> n(2.f, 2.5f);
  std::vector<std::vector<float>> batches(20, std::vector<float>(5000));
  for (auto& b : batches)
    for (float& x : b) x = std::min(6.f, std::max(0.f, n(rng)));
  EXPECT_FLOAT_EQ(Amax(CalibratorKind::kMinMax, batches), 6.f);
  EXPECT_GE(Amax(CalibratorKind::kEntropy, batches), 6.f * (1.f - 1.f / 2048.f));
  // Hard-sigmoid gate (squeeze-excite): spikes at 0 and at 1 (its clip limits), smooth between.
  for (auto& b : batches)
    for (float& x : b) x = std::min(1.f, std::max(0.f, n(rng) / 6.f + 0.4f));
  EXPECT_GE(Amax(CalibratorKind::kEntropy, batches), 1.f - 1.f / 2048.f);
}

TEST(Calibration, EntropyKeepsADistributionThatDoesNotStartAtZero) {
  // A squeeze-excite gate after training: every value in [0.2, 0.7], none near zero (the glyph CNN's
  // /b3/b3.3/gate: 2400 values in [0.21, 0.70]). A threshold below the data clips everything; the
  // answer must keep (nearly) all of it. With Q normalised by its own sum, the first candidate
  // that holds one non-empty bin had KL = 0 (P and Q the same point mass) and won: 0.14.
  std::mt19937 rng(6);
  std::normal_distribution<float> n(0.47f, 0.08f);
  std::vector<std::vector<float>> batches(100, std::vector<float>(24));
  for (auto& b : batches)
    for (float& x : b) x = std::min(0.7f, std::max(0.2f, n(rng)));
  const float mx = Amax(CalibratorKind::kMinMax, batches);
  EXPECT_GT(Amax(CalibratorKind::kEntropy, batches), 0.9f * mx);
  // The same shape as a histogram: 300 empty bins, then a bump.
  std::vector<double> bins(2048, 0.0);
  for (int j = 600; j < 2048; ++j) bins[static_cast<size_t>(j)] = 1.0 + (j % 7);
  EXPECT_GT(EntropyThresholdOfBins(bins, 1.0), 1900.0);
}

TEST(Calibration, EntropyOfGaussianAndLaplacianWithOutliers) {
  // Unit-variance Gaussian and Laplacian (b = 1/sqrt 2) bodies with 0.01% outliers at 40: the
  // outliers are clipped, the Gaussian's threshold lies a few sigma out, and the heavier-tailed
  // Laplacian keeps a larger threshold (in sigma) than the Gaussian.
  std::mt19937 rng(4);
  std::normal_distribution<float> g(0.f, 1.f);
  std::exponential_distribution<float> e(std::sqrt(2.f));
  std::vector<std::vector<float>> gauss(10, std::vector<float>(20000)), laplace = gauss;
  for (size_t b = 0; b < gauss.size(); ++b) {
    for (size_t i = 0; i < gauss[b].size(); ++i) {
      gauss[b][i] = g(rng);
      laplace[b][i] = (i % 2 ? 1.f : -1.f) * e(rng);
    }
    for (size_t i = 0; i < 2; ++i) gauss[b][i] = laplace[b][i] = 40.f - static_cast<float>(b);
  }
  const float tg = Amax(CalibratorKind::kEntropy, gauss), tl = Amax(CalibratorKind::kEntropy, laplace);
  EXPECT_GT(tg, 2.5f);
  EXPECT_LT(tg, 6.f);
  EXPECT_GT(tl, tg);
  EXPECT_LT(tl, 15.f);
}

TEST(Calibration, ThresholdsDoNotDependOnTheOrderOfTheBatches) {
  // Batch-1 calibration sees the range grow sample by sample. Feeding the same samples with the
  // smallest first (the histogram range doubles many times) or the largest first must give the same
  // 2048 bins over [0, amax] and so the same thresholds (within a bin).
  std::mt19937 rng(5);
  std::vector<std::vector<float>> up(64, std::vector<float>(3000));
  for (size_t b = 0; b < up.size(); ++b) {
    std::normal_distribution<float> n(0.f, 0.02f * std::pow(1.08f, static_cast<float>(b)));
    for (float& x : up[b]) x = std::max(0.f, n(rng));
  }
  std::vector<std::vector<float>> down(up.rbegin(), up.rend());
  for (CalibratorKind k : {CalibratorKind::kEntropy, CalibratorKind::kPercentile}) {
    const float a = Amax(k, up), b = Amax(k, down), mx = Amax(CalibratorKind::kMinMax, up);
    EXPECT_NEAR(a, b, 1.5f * mx / 2048.f) << CalibratorName(k);
  }
}

TEST(Calibration, RebinnedHistogramKeepsTheCountsAndSpansZeroToAmax) {
  AbsHistogram h;
  std::vector<float> a(1000, 0.01f), b(10, 3.f);
  h.Add(a.data(), 1000);
  h.Add(b.data(), 10);   // the range doubles 9 times
  const std::vector<double> bins = h.Bins();
  ASSERT_EQ(bins.size(), 2048u);
  double sum = 0;
  for (double v : bins) sum += v;
  EXPECT_NEAR(sum, 1010.0, 1e-6);
  EXPECT_NEAR(bins.back(), 10.0, 1e-6);   // the values at amax land in the last bin
  // 0.01 of 3 is bin 6.8 of 2048: the 1000 values stay within a fine bin of it.
  double low = 0;
  for (int j = 5; j <= 8; ++j) low += bins[static_cast<size_t>(j)];
  EXPECT_NEAR(low, 1000.0, 1e-6);
}

TEST(Calibration, CacheRoundTripsAndIsTiedToTheModel) {
  CalibrationTable t;
  t.model_hash = HashModelBytes("model bytes");
  t.calibrator = "entropy";
  t.batches = 3;
  t.amax["conv 1/out"] = 1.25f;
  t.amax["x"] = 0.333333343f;
  const std::string path = std::string(EDGEINFER_BINARY_DIR) + "/calibration_test.cache";
  ASSERT_TRUE(t.Save(path).ok());
  auto back = CalibrationTable::Load(path, t.model_hash);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->amax, t.amax);
  EXPECT_EQ(back->batches, 3);
  auto other = CalibrationTable::Load(path, HashModelBytes("another model"));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("not this model"), std::string::npos);
}

TEST(Calibration, MalformedCacheIsAnError) {
  auto r = CalibrationTable::FromText("# edgeinfer calibration cache v1\ntensor\tabc\tx\n", "mem");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(CalibrationTable::FromText("tensor\t1\tx\n", "mem").ok());   // no header
}

}  // namespace
}  // namespace edgeinfer::testing
