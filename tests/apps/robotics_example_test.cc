// The robotics perception example (apps/examples/robotics_perception.cc) run as a user runs it:
// 1 s at 20 fps on the zoo's tiny CNN must exit 0 with every frame either completed (in order,
// once) or counted as dropped; a missing model must exit 1 with a message naming it.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <sys/wait.h>

#include "tests/apps/run_command.h"

namespace {

using edgeinfer::testing::CmdResult;

CmdResult RunExample(const std::string& args) {
  return edgeinfer::testing::RunBuilt("apps/examples/edgeinfer-robotics-example", args);
}

TEST(RoboticsExample, RunsOneSecondAndAccountsForEveryFrame) {
  const std::string model = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "zoo model not generated: " << model;
  CmdResult r = RunExample("--model " + model + " --fps 20 --seconds 1 --max-inflight 4");
  ASSERT_EQ(r.status, 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(frames: produced (\d+), completed (\d+), dropped (\d+))")))
      << r.out;
  const long n = std::stol(m[1]), c = std::stol(m[2]), d = std::stol(m[3]);
  EXPECT_EQ(n, 20) << r.out;             // 20 fps for 1 s
  EXPECT_EQ(n, c + d) << r.out;
  EXPECT_GT(c, 0) << r.out;
  EXPECT_NE(r.out.find("order: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("host latency"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[clock: target]"), std::string::npos) << r.out;
}

TEST(RoboticsExample, MissingModelIsAClearError) {
  CmdResult r = RunExample("--model /nonexistent/model.onnx --seconds 1");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("error: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/nonexistent/model.onnx"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not exist"), std::string::npos) << r.out;
}

TEST(RoboticsExample, UnknownSocProfileIsAClearError) {
  CmdResult r = RunExample("--soc no-such-soc --seconds 1");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("SoC profile 'no-such-soc'"), std::string::npos) << r.out;
}

}  // namespace
