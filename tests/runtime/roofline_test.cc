// Physical limits as a test (runtime/roofline.h, docs/fidelity.md): every modeled plan of the zoo's
// models, on every orin-agx power mode and on xavier-agx, stays under the profile's roofline (each
// engine's peak MAC rate at its clock, the DRAM peak) -- fixed plans (GPU alone at batch 1 and 256,
// one DLA, both DLAs at batch 2, all three engines) and the tuner's plans, every candidate it
// evaluated included (RunTargetScenario checks each run and fails instead of reporting it). The
// check itself fails on a run that credits 256 samples to a task that computes one (the fixed-batch
// bug of issue 19), and a model exported with a fixed batch of 1 is planned at batch 1 in loops.
#include "runtime/roofline.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "runtime/edgeinfer.h"

namespace edgeinfer::runtime {
namespace {

const std::string kModels = std::string(EDGEINFER_BINARY_DIR) + "/models/";

struct Loaded {
  std::unique_ptr<Session> session;
  ModelId id = -1;
};

Loaded Load(const std::string& soc, const std::string& mode, const std::string& model, const std::string& io = "float") {
  Loaded l;
  auto s = Session::Create({soc, mode});
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return l;
  l.session = std::move(s).value();
  ModelOptions mo;
  mo.io_format = ParseIoFormat(io).value();
  auto id = l.session->LoadModel(model, mo);
  EXPECT_TRUE(id.ok()) << id.status().message();
  if (id.ok()) l.id = *id;
  return l;
}

// Runs `plan` on the target clock (which applies the check) and applies it once more explicitly.
void ExpectUnderRoofline(const Loaded& l, const BatchPlan& plan, const ScenarioSpec& spec, const std::string& what) {
  auto models = l.session->TargetModels(l.id, plan);
  ASSERT_TRUE(models.ok()) << models.status().message();
  auto r = RunTargetScenario(l.session->soc(), plan, *models, spec, spec.kind == ScenarioKind::kOffline ? 2048 : 64);
  ASSERT_TRUE(r.ok()) << what << " " << plan.ToString() << ": " << r.status().message();
  Status st = CheckRunRoofline(l.session->soc(), plan, *models, r->sim);
  EXPECT_TRUE(st.ok()) << what << ": " << st.message();
  // The headline figure against the sum of the engines' INT8 peaks / the work per sample.
  EXPECT_GT(r->throughput, 0) << what;
}

EngineSpec Gpu() { return {EngineClass::kGpu, 0, "gpu"}; }
EngineSpec Dla(int i) { return {EngineClass::kDla, i, "dla" + std::to_string(i)}; }

TEST(Roofline, ZooModelsPowerModesAndPlans) {
  const std::vector<std::string> zoo = {"resnet50", "mobilenetv2", "ssd_mobilenet", "tiny_cnn"};
  int checked = 0;
  for (const std::string& m : zoo) {
    const std::string path = kModels + m + ".onnx";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "model not generated: " << path;
    for (const auto& [soc, mode] : std::vector<std::pair<std::string, std::string>>{
             {"orin-agx", "MAXN"}, {"orin-agx", "50W"}, {"orin-agx", "30W"}, {"orin-agx", "15W"}, {"xavier-agx", "MAXN"}}) {
      Loaded l = Load(soc, mode, path);
      ASSERT_GE(l.id, 0);
      const std::string what = m + " " + soc + " " + mode;
      for (const BatchPlan& p : std::vector<BatchPlan>{
               {{{Gpu(), 1, 1}}}, {{{Gpu(), 256, 1}}}, {{{Dla(0), 2, 1}}}, {{{Dla(0), 32, 1}}},
               {{{Dla(0), 2, 4}, {Dla(1), 2, 4}}}, {{{Gpu(), 256, 1}, {Dla(0), 2, 4}, {Dla(1), 2, 4}}}}) {
        ExpectUnderRoofline(l, p, ScenarioSpec{}, what);
        ++checked;
      }
      ScenarioSpec ss;
      ss.kind = ScenarioKind::kSingleStream;
      ExpectUnderRoofline(l, {{{Gpu(), 1, 1}}}, ss, what + " SingleStream");
      // Tuned plans at MAXN and 15W: every candidate the tuner evaluated ran through the check.
      if (soc == "orin-agx" && (mode == "MAXN" || mode == "15W") && m != "tiny_cnn" && m != "mobilenetv2") {
        TunerOptions to;
        to.eval_queries = 512;
        auto t = TuneModel(*l.session, l.id, ScenarioSpec{}, to);
        ASSERT_TRUE(t.ok()) << what << " tuned: " << t.status().message();
        ExpectUnderRoofline(l, t->best.plan, ScenarioSpec{}, what + " tuned");
        checked += static_cast<int>(t->evaluations);
      }
    }
  }
  std::printf("ROOFLINE: %d modeled plans checked\n", checked);
}

TEST(Roofline, CatchesARunThatCreditsMoreSamplesThanItComputes) {
  const std::string path = kModels + "resnet50.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "model not generated";
  Loaded l = Load("orin-agx", "MAXN", path);
  ASSERT_GE(l.id, 0);
  BatchPlan plan{{{Gpu(), 256, 1}}};
  auto models = l.session->TargetModels(l.id, plan);
  ASSERT_TRUE(models.ok());
  // The fixed-batch bug: a batch-1 program labelled batch 256 (what BindBatch made of a fixed export).
  std::shared_ptr<TargetModel> m = (*models)[0];
  SimConfig c;
  SimEngine e;
  e.name = "gpu";
  e.cls = devices::EngineClass::kGpu;
  e.batch = 256;
  e.program = [m](int64_t) -> Result<TaskProgram> {
    EI_ASSIGN_OR_RETURN(TaskProgram p, m->Program(1));
    p.batch = 256;
    return p;
  };
  c.engines.push_back(e);
  c.queries.push_back({0, 256 * 64});
  auto sim = Simulate(l.session->soc(), c);
  ASSERT_TRUE(sim.ok()) << sim.status().message();
  Status st = CheckRunRoofline(l.session->soc(), plan, *models, *sim);
  ASSERT_FALSE(st.ok()) << "a 256x over-credited run passed the roofline (" << sim->throughput << " samples/s)";
  EXPECT_NE(st.message().find("peak"), std::string::npos) << st.message();
  std::printf("REFUSED: %s\n", st.message().c_str());
  // The honest program of the same plan passes.
  auto ok = RunTargetScenario(l.session->soc(), plan, *models, ScenarioSpec{}, 2048);
  EXPECT_TRUE(ok.ok()) << ok.status().message();
}

TEST(Roofline, FixedBatchModelIsPlannedAtItsBatchInLoops) {
  const std::string path = kModels + "fixed_batch1/resnet50.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "model not generated: " << path;
  Loaded l = Load("orin-agx", "MAXN", path);
  ASSERT_GE(l.id, 0);
  // A batch other than the export's is refused, with the rule and the re-export recipe.
  BatchPlan big{{{Gpu(), 256, 1}}};
  auto models = l.session->TargetModels(l.id, big);
  ASSERT_TRUE(models.ok());
  EXPECT_EQ((*models)[0]->fixed_batch(), 1);
  auto r = RunTargetScenario(l.session->soc(), big, *models, ScenarioSpec{}, 2048);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fixed batch of 1"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("dynamic_axes"), std::string::npos) << r.status().message();
  EXPECT_FALSE(l.session->SetPlan(l.id, big).ok());
  // The tuner plans batch 1 on every engine (loops vary), and the figure is physically possible.
  auto t = TuneModel(*l.session, l.id, ScenarioSpec{});
  ASSERT_TRUE(t.ok()) << t.status().message();
  for (const Candidate& c : t->evaluated)
    for (const EnginePlan& e : c.plan.engines) EXPECT_EQ(e.batch, 1) << c.plan.ToString();
  // Same model with a symbolic batch, GPU at batch 1: the fixed export cannot beat it per engine.
  Loaded dyn = Load("orin-agx", "MAXN", kModels + "resnet50.onnx");
  ASSERT_GE(dyn.id, 0);
  BatchPlan b1{{{Gpu(), 1, 1}, {Dla(0), 1, 1}, {Dla(1), 1, 1}}};
  auto dm = dyn.session->TargetModels(dyn.id, b1);
  ASSERT_TRUE(dm.ok());
  auto dr = RunTargetScenario(dyn.session->soc(), b1, *dm, ScenarioSpec{}, 4096);
  ASSERT_TRUE(dr.ok()) << dr.status().message();
  std::printf("FIXED BATCH 1: tuned %s = %.1f samples/s (symbolic-batch model, all engines at b1: %.1f)\n",
              t->best.plan.ToString().c_str(), t->best.throughput, dr->throughput);
  EXPECT_LE(t->best.throughput, dr->throughput * 1.02);
  const double peak = PeakMacsPerSec(l.session->soc(), devices::EngineClass::kGpu, 1) +
                      2 * PeakMacsPerSec(l.session->soc(), devices::EngineClass::kDla, 1);
  EXPECT_LT(t->best.throughput * 4.0e9, peak);   // ResNet-50: ~4.1 GMAC a sample
}

}  // namespace
}  // namespace edgeinfer::runtime
