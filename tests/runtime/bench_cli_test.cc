// `edgeinfer bench` end to end on the zoo's tiny CNN: the JSON has both clocks, the tuned plan, the
// reference plans and the tuner's candidates; a fixed --plan skips tuning; errors are one line.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <unistd.h>
#include <set>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace {

const std::string kBin = std::string(EDGEINFER_BINARY_DIR) + "/apps/edgeinfer";
const std::string kTiny = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";

int RunCmd(const std::string& cmd, std::string* out) {
  out->clear();
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out->append(buf.data(), n);
  return pclose(p);
}

TEST(BenchCli, JsonHasBothClocksThePlanAndTheTuner) {
  if (!std::filesystem::exists(kBin) || !std::filesystem::exists(kTiny)) GTEST_SKIP() << "edgeinfer or tiny_cnn not built";
  std::string out;
  ASSERT_EQ(RunCmd(kBin + " bench " + kTiny + " --host-samples 4 --eval-queries 512 --min-queries 2048 --json", &out), 0) << out;
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["soc"], "orin-agx");
  EXPECT_EQ(j["power_mode"], "MAXN");
  EXPECT_EQ(j["scenario"], "Offline");
  EXPECT_EQ(j["target"]["clock"], "target");
  EXPECT_EQ(j["host"]["clock"], "host");
  EXPECT_EQ(j["host"]["samples"], 4);
  EXPECT_GT(j["target"]["throughput"].get<double>(), 0);
  EXPECT_GE(j["target"]["samples"].get<int64_t>(), 2048);
  EXPECT_GT(j["target"]["dram_utilization"].get<double>(), 0);
  EXPECT_FALSE(j["plan"]["engines"].empty());
  EXPECT_GT(j["tuner"]["evaluations"].get<int64_t>(), 0);
  EXPECT_EQ(j["tuner"]["space_size"], 1467);
  EXPECT_FALSE(j["tuner"]["why"].get<std::string>().empty());
  EXPECT_GE(j["reference_plans"].size(), 2u);
  int64_t host_samples = 0;
  for (const auto& e : j["host"]["engines"]) host_samples += e["samples"].get<int64_t>();
  EXPECT_EQ(host_samples, 4);
  // The modeled power of the target run adds up (docs/power-model.md); none for the host clock.
  const auto& p = j["target"]["power"];
  EXPECT_EQ(p["clock"], "target");
  EXPECT_GT(p["average_w"].get<double>(), 0);
  EXPECT_NEAR(p["total_j"].get<double>(), p["static_j"].get<double>() + p["compute_j"].get<double>() + p["dram_j"].get<double>(),
              1e-9 * p["total_j"].get<double>());
  EXPECT_NEAR(p["average_w"].get<double>() * j["target"]["duration_s"].get<double>(), p["total_j"].get<double>(),
              1e-6 * p["total_j"].get<double>());
  EXPECT_EQ(p["budget_w"], 60);
  EXPECT_FALSE(j["host"].contains("power"));
}

// --trace: the plan's target timeline as Chrome trace-event JSON, every engine a track.
TEST(BenchCli, TraceFile) {
  if (!std::filesystem::exists(kBin) || !std::filesystem::exists(kTiny)) GTEST_SKIP() << "edgeinfer or tiny_cnn not built";
  const std::string path = (std::filesystem::temp_directory_path() / ("bench_trace_" + std::to_string(::getpid()) + ".json")).string();
  std::string out;
  ASSERT_EQ(RunCmd(kBin + " bench " + kTiny + " --plan gpu:8x1,dla0:2x1 --skip-host --min-queries 256 --trace " + path, &out), 0) << out;
  std::ifstream f(path);
  ASSERT_TRUE(f.good()) << path;
  const auto doc = nlohmann::json::parse(f);
  std::filesystem::remove(path);
  std::set<std::string> tracks;
  int spans = 0;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") tracks.insert(e["args"]["name"].get<std::string>());
    spans += e["ph"] == "X";
  }
  EXPECT_TRUE(tracks.count("gpu") && tracks.count("dla0")) << out;
  EXPECT_GT(spans, 256);   // every layer of every task
  EXPECT_EQ(doc["otherData"]["clock"], "target");
  // --profile: the most expensive layers per engine, in text and JSON.
  ASSERT_EQ(RunCmd(kBin + " bench " + kTiny + " --plan gpu:8x1,dla0:2x1 --skip-host --min-queries 256 --profile 2 --json", &out), 0) << out;
  const auto pj = nlohmann::json::parse(out.substr(out.find('{')));
  ASSERT_TRUE(pj.contains("profile")) << out;
  std::map<std::string, double> last;
  for (const auto& r : pj["profile"]) {
    const std::string e = r["engine"];
    if (last.count(e)) EXPECT_LE(r["total_ms"].get<double>(), last[e]) << "rows of one engine sorted by time";
    last[e] = r["total_ms"].get<double>();
    EXPECT_GT(r["runs"].get<int64_t>(), 0);
  }
  EXPECT_TRUE(last.count("gpu") && last.count("dla0"));
  ASSERT_EQ(RunCmd(kBin + " bench " + kTiny + " --plan gpu:8x1,dla0:2x1 --skip-host --min-queries 256 --profile 2", &out), 0) << out;
  EXPECT_NE(out.find("profile (target clock, under contention"), std::string::npos) << out;
  EXPECT_NE(RunCmd(kBin + " bench " + kTiny + " --plan gpu:8x1 --skip-host --min-queries 64 --trace /nonexistent/dir/t.json", &out), 0);
  EXPECT_NE(out.find("cannot write '/nonexistent/dir/t.json'"), std::string::npos) << out;
}

// INT8 network I/O: the header says so, the DLA plan has no fallback, the power line is printed.
TEST(BenchCli, Int8IoTextReport) {
  if (!std::filesystem::exists(kBin) || !std::filesystem::exists(kTiny)) GTEST_SKIP() << "edgeinfer or tiny_cnn not built";
  std::string out;
  ASSERT_EQ(RunCmd(kBin + " bench " + kTiny + " --io-format int8 --host-samples 2 --eval-queries 256 --min-queries 512", &out), 0) << out;
  EXPECT_NE(out.find("| int8, int8 I/O |"), std::string::npos) << out;
  EXPECT_NE(out.find("0 gpu-fallback segment(s), 0 format conversion(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("\npower   "), std::string::npos) << out;
  EXPECT_NE(out.find("samples/J"), std::string::npos) << out;
  EXPECT_NE(RunCmd(kBin + " bench " + kTiny + " --io-format int8 --precision fp16 --skip-host", &out), 0);
  EXPECT_NE(out.find("needs precision int8"), std::string::npos) << out;
  // A headless NVDLA (no GPU, no batching): with INT8 I/O every layer is on the DLA and the plans
  // stay at batch 1; with float I/O the boundary Q/DQ fall back to the host CPU (its timing model);
  // a profile whose CPU has no timing model refuses and names them.
  ASSERT_EQ(RunCmd(kBin + " bench " + kTiny + " --soc nvdla-small --engines dla0 --io-format int8 --skip-host --eval-queries 64 --min-queries 64", &out), 0) << out;
  EXPECT_NE(out.find("tuned        dla0 b1x1"), std::string::npos) << out;
  ASSERT_EQ(RunCmd(kBin + " bench " + kTiny + " --soc nvdla-small --engines dla0 --skip-host --eval-queries 64 --min-queries 64", &out), 0) << out;
  EXPECT_NE(out.find("2 cpu-fallback segment(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("cpu(fallback) fallback layers only"), std::string::npos) << out;
  std::ifstream in(std::string(EDGEINFER_SOURCE_DIR) + "/configs/nvdla-small.yaml");
  std::string yaml, line;
  while (std::getline(in, line))
    if (line.find("_per_clock_per_core") == std::string::npos && line.find("efficiency: 0.5") == std::string::npos) yaml += line + "\n";
  const std::string bare = (std::filesystem::temp_directory_path() / ("nvdla_small_no_cpu_model_" + std::to_string(::getpid()) + ".yaml")).string();
  std::ofstream(bare) << yaml;
  EXPECT_NE(RunCmd(kBin + " bench " + kTiny + " --soc " + bare + " --engines dla0 --skip-host", &out), 0);
  EXPECT_NE(out.find("no GPU and no CPU timing model to fall back to"), std::string::npos) << out;
  EXPECT_NE(out.find("QuantizeLinear 'input_quantize'"), std::string::npos) << out;
  std::filesystem::remove(bare);
}

TEST(BenchCli, CpuEngineOnTheTargetClock) {
  // The SoC's CPU as a fourth engine: timed by the profile's CPU model, in the plan, the power
  // breakdown and the busy line.
  if (!std::filesystem::exists(kBin) || !std::filesystem::exists(kTiny)) GTEST_SKIP() << "edgeinfer or tiny_cnn not built";
  std::string out;
  ASSERT_EQ(RunCmd(kBin + " bench " + kTiny + " --engines gpu,cpu --plan gpu:64x1,cpu:8x1 --skip-host --min-queries 512", &out), 0) << out;
  EXPECT_NE(out.find("gpu b64x1 + cpu b8x1"), std::string::npos) << out;
  EXPECT_NE(out.find("+ cpu "), std::string::npos) << out;   // power: compute gpu .. + cpu ..
  EXPECT_NE(out.find("cpu b8x1 "), std::string::npos) << out;
}

TEST(BenchCli, FixedPlanAndErrors) {
  if (!std::filesystem::exists(kBin) || !std::filesystem::exists(kTiny)) GTEST_SKIP() << "edgeinfer or tiny_cnn not built";
  std::string out;
  ASSERT_EQ(RunCmd(kBin + " bench " + kTiny + " --plan gpu:16x1,dla1:4x2 --skip-host --min-queries 1024 --json", &out), 0) << out;
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_FALSE(j.contains("tuner"));
  ASSERT_EQ(j["plan"]["engines"].size(), 2u);
  EXPECT_EQ(j["plan"]["engines"][1]["engine"], "dla1");
  EXPECT_EQ(j["plan"]["engines"][1]["batch"], 4);
  EXPECT_EQ(j["plan"]["engines"][1]["loop"], 2);
  EXPECT_NE(RunCmd(kBin + " bench " + kTiny + " --plan npu:4", &out), 0);
  EXPECT_NE(out.find("edgeinfer bench: error:"), std::string::npos) << out;
  EXPECT_NE(RunCmd(kBin + " bench " + kTiny + " --scenario server", &out), 0);
  EXPECT_NE(out.find("--server-qps"), std::string::npos) << out;
  EXPECT_NE(RunCmd(kBin + " bench " + kTiny + " --power-mode 99W", &out), 0);
  EXPECT_NE(out.find("99W"), std::string::npos) << out;
}

}  // namespace
