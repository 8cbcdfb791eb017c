// The camera pipeline demo (apps/examples/camera_pipeline.cc) run as a user runs it, on the zoo's
// tiny CNN: a synthetic clip goes through every stage and is written as an annotated .avi; that
// clip is read back as the source (the OpenCV file path) with INT8 network I/O; every frame comes
// out once, in order, and both clocks are reported. Bad sources and options are one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <unistd.h>

#include "tests/apps/run_command.h"

namespace {

namespace fs = std::filesystem;
using edgeinfer::testing::CmdResult;

const char* kDemo = "apps/examples/edgeinfer-camera-demo";

bool Ready(std::string* why) {
  if (!fs::exists(fs::path(EDGEINFER_BINARY_DIR) / kDemo)) {
    *why = "the camera demo is not built (OpenCV video I/O not found at configure time)";
    return false;
  }
  if (!fs::exists(fs::path(EDGEINFER_BINARY_DIR) / "models/tiny_cnn.onnx")) {
    *why = "zoo model not generated";
    return false;
  }
  return true;
}

std::string Tiny() { return (fs::path(EDGEINFER_BINARY_DIR) / "models/tiny_cnn.onnx").string(); }

long Frames(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(frames\s+(\d+) in)"))) return -1;
  return std::stol(m[1]);
}

TEST(CameraDemo, SyntheticClipWrittenThenReadBackWithInt8Io) {
  std::string why;
  if (!Ready(&why)) GTEST_SKIP() << why;
  const std::string clip = (fs::temp_directory_path() / ("camera_demo_" + std::to_string(::getpid()) + ".avi")).string();
  CmdResult a = edgeinfer::testing::RunBuilt(kDemo, "--model " + Tiny() + " --frames 9 --out " + clip);
  ASSERT_EQ(a.status, 0) << a.out;
  EXPECT_EQ(Frames(a.out), 9) << a.out;
  EXPECT_NE(a.out.find("input float"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("[clock: host]"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("frames/s sustained"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("W average"), std::string::npos) << a.out;
  ASSERT_TRUE(fs::exists(clip));
  EXPECT_GT(fs::file_size(clip), 1000u);
  // The written clip as the source: all 9 frames, quantized in the preprocess stage.
  CmdResult b = edgeinfer::testing::RunBuilt(kDemo, "--model " + Tiny() + " --source " + clip + " --frames 100 --io-format int8");
  fs::remove(clip);
  ASSERT_EQ(b.status, 0) << b.out;
  EXPECT_EQ(Frames(b.out), 9) << b.out;
  EXPECT_NE(b.out.find("input int8"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("quantized in the preprocess stage"), std::string::npos) << b.out;
}

TEST(CameraDemo, BadSourceAndOptionsAreClearErrors) {
  std::string why;
  if (!Ready(&why)) GTEST_SKIP() << why;
  CmdResult r = edgeinfer::testing::RunBuilt(kDemo, "--model " + Tiny() + " --source /nonexistent/clip.avi");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("--source '/nonexistent/clip.avi': OpenCV cannot open it"), std::string::npos) << r.out;
  r = edgeinfer::testing::RunBuilt(kDemo, "--frames 3");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("give --model"), std::string::npos) << r.out;
  r = edgeinfer::testing::RunBuilt(kDemo, "--model " + Tiny() + " --bogus");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("unknown option '--bogus'"), std::string::npos) << r.out;
}

}  // namespace
