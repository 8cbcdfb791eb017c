#include <cstdio>
#include <filesystem>
#include <fstream>

#include "fusions/calib_data.h"
#include "graph/npy.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

namespace fs = std::filesystem;

// Writes a 24-bit BMP (bottom-up rows, BGR, rows padded to 4 bytes); pixel(y, x) gives {r, g, b}.
template <class F>
void WriteBmp(const std::string& path, int w, int h, F pixel) {
  const int row = (w * 3 + 3) / 4 * 4;
  const uint32_t size = 54 + static_cast<uint32_t>(row * h);
  std::vector<uint8_t> b(size, 0);
  auto u32 = [&](size_t o, uint32_t v) { for (int i = 0; i < 4; ++i) b[o + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i)); };
  b[0] = 'B';
  b[1] = 'M';
  u32(2, size);
  u32(10, 54);
  u32(14, 40);
  u32(18, static_cast<uint32_t>(w));
  u32(22, static_cast<uint32_t>(h));
  b[26] = 1;
  b[28] = 24;
  u32(34, static_cast<uint32_t>(row * h));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      auto [r, g, bl] = pixel(y, x);
      size_t o = 54 + static_cast<size_t>((h - 1 - y) * row + x * 3);
      b[o] = bl;
      b[o + 1] = g;
      b[o + 2] = r;
    }
  }
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::string TempDir(const std::string& name) {
  std::string d = std::string(EDGEINFER_BINARY_DIR) + "/calib_data_test_" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(CalibData, ImagesArePreprocessedAsTheYamlSays) {
  const std::string dir = TempDir("images");
  for (int i = 0; i < 3; ++i) {
    WriteBmp(dir + "/img" + std::to_string(i) + ".bmp", 8, 6, [i](int y, int x) {
      return std::tuple<uint8_t, uint8_t, uint8_t>{static_cast<uint8_t>(10 * x + i), static_cast<uint8_t>(20 * y), 200};
    });
  }
  auto pre = fusions::ParsePreprocess("scale: 255\nmean: [0, 0, 0]\nstd: [1, 1, 1]\ncolor: RGB\nlayout: NCHW\n", "inline");
  ASSERT_TRUE(pre.ok()) << pre.status().message();
  auto batches = fusions::LoadCalibrationBatches(dir, Shape({2, 3, 6, 8}), 2, *pre, 0, false);
  if (!batches.ok() && batches.status().message().find("OpenCV") != std::string::npos) GTEST_SKIP() << batches.status().message();
  ASSERT_TRUE(batches.ok()) << batches.status().message();
  ASSERT_EQ(batches->size(), 2u);   // 2 + 1
  const Tensor& t = (*batches)[0];
  EXPECT_EQ(t.dims(), (std::vector<int64_t>{2, 3, 6, 8}));
  // Sample 1 (img1), channel R at (y=2, x=5) = (10*5+1)/255; channel G = 40/255; B = 200/255.
  auto at = [&](int64_t n, int64_t c, int64_t y, int64_t x) { return t.data<float>()[((n * 3 + c) * 6 + y) * 8 + x]; };
  EXPECT_NEAR(at(1, 0, 2, 5), 51.f / 255.f, 1e-6);
  EXPECT_NEAR(at(1, 1, 2, 5), 40.f / 255.f, 1e-6);
  EXPECT_NEAR(at(1, 2, 2, 5), 200.f / 255.f, 1e-6);
  EXPECT_EQ((*batches)[1].dim(0), 1);
  // BGR + NHWC + ImageNet mean/std.
  auto pre2 = fusions::ParsePreprocess("color: BGR\nlayout: NHWC\n", "inline");
  ASSERT_TRUE(pre2.ok());
  auto b2 = fusions::LoadCalibrationBatches(dir, Shape({1, 6, 8, 3}), 1, *pre2, 1, false);
  ASSERT_TRUE(b2.ok()) << b2.status().message();
  ASSERT_EQ(b2->size(), 1u);
  const float* p = (*b2)[0].data<float>() + (2 * 8 + 5) * 3;
  EXPECT_NEAR(p[0], (200.f / 255.f - 0.406f) / 0.225f, 1e-5);   // B first
  EXPECT_NEAR(p[2], (50.f / 255.f - 0.485f) / 0.229f, 1e-5);    // R last (img0: 10*5+0)
}

TEST(CalibData, NpyFileIsSplitIntoBatches) {
  const std::string dir = TempDir("npy");
  Tensor t = RandomTensor({5, 3, 2, 2}, 1);
  ASSERT_TRUE(WriteNpy(dir + "/data.npy", t).ok());
  auto b = fusions::LoadCalibrationBatches(dir + "/data.npy", Shape({2, 3, 2, 2}), 2, {}, 0, false);
  ASSERT_TRUE(b.ok()) << b.status().message();
  ASSERT_EQ(b->size(), 3u);
  EXPECT_EQ((*b)[2].dim(0), 1);
  EXPECT_EQ((*b)[1].data<float>()[0], t.data<float>()[2 * 12]);
}

TEST(CalibData, BadYamlIsAnErrorNamingTheKey) {
  auto r = fusions::ParsePreprocess("colour: RGB\n", "p.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("colour"), std::string::npos);
  r = fusions::ParsePreprocess("layout: CHW\n", "p.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("layout"), std::string::npos);
  r = fusions::ParsePreprocess("std: [1, 0, 1]\n", "p.yaml");
  ASSERT_FALSE(r.ok());
}

TEST(CalibData, EmptyFolderIsAnError) {
  auto r = fusions::LoadCalibrationBatches(TempDir("empty"), Shape({1, 3, 2, 2}), 1, {}, 0, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no .npy files and no images"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
