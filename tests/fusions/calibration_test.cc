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
  for (double v : h.bins()) sum += v;
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
