// Session API on the zoo's tiny CNN compiled to INT8: asynchronous Submit (future and callback),
// blocking Infer, every engine's numbers bit-exact with the CPU reference on the same compiled
// graph, several models in one session with their own engine sets, plans replaced at run time,
// clear errors. The model is generated at build time (tools/zoo) into build/models/.
#include "runtime/session.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "devices/cpu/reference_executor.h"
#include "graph/onnx_import.h"
#include "runtime/engine_instance.h"
#include "tests/graph/onnx_model_builder.h"
#include "runtime/edgeinfer.h"
#include "runtime/engine_build.h"
#include "runtime/engine_file.h"
#include "runtime/partition.h"

namespace edgeinfer::runtime {
namespace {

const std::string kTiny = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";

devices::TensorMap Input(uint32_t seed) {
  Tensor t(DType::kFloat32, {1, 3, 32, 32});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return {{"input", t}};
}

void ExpectSame(const devices::TensorMap& a, const devices::TensorMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    const Tensor& u = b.at(name);
    ASSERT_EQ(t.bytes(), u.bytes()) << name;
    EXPECT_EQ(0, std::memcmp(t.raw(), u.raw(), t.bytes())) << name << " differs";
  }
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kTiny)) GTEST_SKIP() << "model not generated: " << kTiny << " (build the zoo first)";
    auto s = Session::Create({"orin-agx", "MAXN"});
    ASSERT_TRUE(s.ok()) << s.status().message();
    session_ = std::move(s).value();
  }
  std::unique_ptr<Session> session_;
};

TEST_F(SessionTest, EveryEngineIsBitExactWithTheReference) {
  ModelOptions mo;   // int8 on gpu,dla0,dla1
  auto id = session_->LoadModel(kTiny, mo);
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto g = session_->graph(*id);
  ASSERT_TRUE(g);
  auto info = session_->Info(*id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->engines.size(), 3u);
  EXPECT_NE(info->placement.find("on the DLA"), std::string::npos) << info->placement;
  for (const auto& [e, f] : info->functional) std::printf("FUNCTIONAL %s: %s\n", e.c_str(), f.c_str());
  for (const char* engine : {"gpu", "dla0", "dla1"}) {
    BatchPlan p;
    p.engines.push_back({{std::string(engine) == "gpu" ? EngineClass::kGpu : EngineClass::kDla, engine[3] == '1' ? 1 : 0, engine}, 2, 1});
    ASSERT_TRUE(session_->SetPlan(*id, p).ok());
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      auto ref = devices::RunReference(*g, Input(seed));
      ASSERT_TRUE(ref.ok()) << ref.status().message();
      auto out = session_->Infer(*id, Input(seed));
      ASSERT_TRUE(out.ok()) << engine << ": " << out.status().message();
      ExpectSame(*ref, *out);
    }
    auto st = session_->HostStats(*id);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ((*st)[0].name, engine);
    EXPECT_EQ((*st)[0].samples, 3);
  }
}

TEST_F(SessionTest, SubmitFuturesAndCallbacksAcrossAllEngines) {
  ModelOptions mo;
  mo.ordered = true;
  auto id = session_->LoadModel(kTiny, mo);
  ASSERT_TRUE(id.ok()) << id.status().message();
  std::vector<std::future<Result<devices::TensorMap>>> fs;
  for (uint32_t i = 0; i < 24; ++i) fs.push_back(session_->Submit(*id, Input(100 + i)));
  std::mutex mu;
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < 24; ++i)
    session_->Submit(*id, Input(200 + i), [&, i](Result<devices::TensorMap> r) {
      EXPECT_TRUE(r.ok());
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
    });
  auto g = session_->graph(*id);
  for (uint32_t i = 0; i < 24; ++i) {
    auto r = fs[i].get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    auto ref = devices::RunReference(*g, Input(100 + i));
    ExpectSame(*ref, *r);
  }
  session_->Drain(*id);
  ASSERT_EQ(order.size(), 24u);
  for (uint32_t i = 0; i < 24; ++i) EXPECT_EQ(order[i], i);
  int64_t total = 0;
  for (const auto& e : session_->HostStats(*id).value()) total += e.samples;
  EXPECT_EQ(total, 48);
}

TEST_F(SessionTest, SeveralModelsWithTheirOwnEngines) {
  ModelOptions a;
  a.engines = "gpu";
  ModelOptions b;
  b.engines = "dla0,dla1";
  auto ia = session_->LoadModel(kTiny, a);
  auto ib = session_->LoadModel(kTiny, b);
  ASSERT_TRUE(ia.ok() && ib.ok());
  EXPECT_NE(*ia, *ib);
  EXPECT_EQ(session_->Info(*ia)->engines.size(), 1u);
  EXPECT_EQ(session_->Info(*ib)->engines.size(), 2u);
  auto ra = session_->Submit(*ia, Input(7));
  auto rb = session_->Submit(*ib, Input(7));
  ASSERT_TRUE(ra.get().ok());
  ASSERT_TRUE(rb.get().ok());
  // A plan may only use the model's own engines.
  BatchPlan p;
  p.engines.push_back({{EngineClass::kDla, 0, "dla0"}, 1, 1});
  Status s = session_->SetPlan(*ia, p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("dla0"), std::string::npos);
}

TEST_F(SessionTest, TargetClockTuneAndScenarioOnTheSessionsModel) {
  ModelOptions mo;
  auto id = session_->LoadModel(kTiny, mo);
  ASSERT_TRUE(id.ok());
  ScenarioSpec spec;
  spec.kind = ScenarioKind::kOffline;
  TunerOptions to;
  to.eval_queries = 512;
  auto t = TuneModel(*session_, *id, spec, to);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_GT(t->best.throughput, 0);
  EXPECT_FALSE(t->why.empty());
  ASSERT_TRUE(session_->SetPlan(*id, t->best.plan).ok());
  spec.host_samples = 8;
  auto h = RunHostScenario(*session_, *id, spec, [](int64_t i) { return Input(static_cast<uint32_t>(i)); });
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->clock, "host");
  EXPECT_EQ(h->samples, 8);
  EXPECT_NE(h->note.find("host"), std::string::npos);
}

TEST_F(SessionTest, FromAnEngineFileCompiledForBatchOne) {
  ImportOptions io;
  io.batch = 1;
  auto imported = ImportOnnx(kTiny, io);
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  ModelOptions mo;
  auto compiled_model = Compile(*imported, SessionCompileOptions(kTiny, mo), &session_->soc());
  ASSERT_TRUE(compiled_model.ok()) << compiled_model.status().message();
  Result<Graph> compiled = std::move(compiled_model->graph);
  ASSERT_TRUE(compiled.ok()) << compiled.status().message();
  auto part = Partition(*compiled, session_->soc());
  ASSERT_TRUE(part.ok()) << part.status().message();
  EngineBuildOptions bo;
  bo.model = kTiny;
  bo.precision = Precision::kInt8;
  bo.batch = 1;
  auto engine = BuildEngine(*compiled, &session_->soc(), &*part, bo);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  const std::string path = ::testing::TempDir() + "/tiny_session.plan";
  ASSERT_TRUE(WriteEngineFile(*engine, path).ok());
  auto id = session_->LoadEngineFile(path, ModelOptions{});
  ASSERT_TRUE(id.ok()) << id.status().message();
  // The batch is symbolic again: programs at several batch sizes differ.
  BatchPlan all;
  all.engines.push_back({{EngineClass::kDla, 0, "dla0"}, 1, 1});
  auto models = session_->TargetModels(*id, all);
  ASSERT_TRUE(models.ok());
  auto p1 = (*models)[0]->Program(1);
  auto p8 = (*models)[0]->Program(8);
  ASSERT_TRUE(p1.ok() && p8.ok());
  EXPECT_GT(p8->dram_bytes, p1->dram_bytes);
  // Same numbers as the reference on the compiled graph, on every engine.
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    auto ref = devices::RunReference(*compiled, Input(seed));
    auto out = session_->Infer(*id, Input(seed));
    ASSERT_TRUE(ref.ok() && out.ok()) << (out.ok() ? ref.status().message() : out.status().message());
    ExpectSame(*ref, *out);
  }
  std::remove(path.c_str());
}

// Exporters compute the Reshape target of a dynamic-batch model at run time (Shape -> Gather ->
// Unsqueeze -> Concat -> Reshape). At a fixed batch that is constant: the target programs fold it
// (no kernel is timed for it), on the GPU and the CPU models, at every batch.
TEST(TargetModelShapeChain, FoldsAtAFixedBatch) {
  testing::ModelBuilder b(13);
  const int kF = onnx::TensorProto::FLOAT;
  b.Input("x", kF, {"N", "4", "8", "8"});
  b.InitFloat("w", {8, 4, 3, 3}, std::vector<float>(8 * 4 * 9, 0.01f));
  auto* conv = b.Node("Conv", {"x", "w"}, {"c"}, "conv");
  testing::ModelBuilder::AttrInts(conv, "pads", {1, 1, 1, 1});
  b.Node("GlobalAveragePool", {"c"}, {"g"}, "gap");
  b.Node("Shape", {"g"}, {"s"}, "shape");
  b.InitInt64("zero", {}, {0});
  b.Node("Gather", {"s", "zero"}, {"n"}, "gather");
  b.InitInt64("ax", {1}, {0});
  b.Node("Unsqueeze", {"n", "ax"}, {"n1"}, "unsqueeze");
  b.InitInt64("minus1", {1}, {-1});
  testing::ModelBuilder::AttrInt(b.Node("Concat", {"n1", "minus1"}, {"shp"}, "concat"), "axis", 0);
  b.Node("Reshape", {"g", "shp"}, {"flat"}, "reshape");
  b.InitFloat("fw", {8, 2}, std::vector<float>(16, 0.1f));
  b.Node("MatMul", {"flat", "fw"}, {"y"}, "fc");
  b.Output("y", kF);
  auto g = ImportOnnxFromBytes(b.Bytes(), "", {});
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_TRUE(g->FindNode("gather").has_value()) << "the chain must survive import with a symbolic batch";
  auto shared = std::make_shared<const Graph>(std::move(g).value());
  auto soc_r = devices::LoadSocProfile("orin-agx");
  ASSERT_TRUE(soc_r.ok()) << soc_r.status().message();
  auto soc_m = devices::ApplyPowerMode(*soc_r, "MAXN");
  ASSERT_TRUE(soc_m.ok());
  const devices::SocProfile soc = *soc_m;
  for (EngineClass kind : {EngineClass::kGpu, EngineClass::kCpu}) {
    auto m = TargetModel::Create(shared, soc, kind);
    ASSERT_TRUE(m.ok()) << m.status().message();
    for (int64_t batch : {1, 4}) {
      auto p = (*m)->Program(batch);
      ASSERT_TRUE(p.ok()) << p.status().message();
      for (const SimLayer& l : p->layers) {
        EXPECT_TRUE(l.name == "conv" || l.name == "gap" || l.name == "fc") << "timed as a kernel: " << l.name;
      }
    }
  }
}

// Sibling 1x1 convolutions on one input: merged (+ Split) for a GPU-only model, kept apart when the
// model also runs on a DLA (the Split is not a DLA op and would cut its segments).
TEST(CompileForSession, HorizontalFusionOnlyWithoutADla) {
  testing::ModelBuilder b(13);
  const int kF = onnx::TensorProto::FLOAT;
  b.Input("x", kF, {"N", "8", "4", "4"});
  b.InitFloat("w1", {16, 8, 1, 1}, std::vector<float>(128, 0.05f));
  b.InitFloat("w2", {16, 8, 1, 1}, std::vector<float>(128, -0.05f));
  b.Node("Conv", {"x", "w1"}, {"a"}, "c1");
  b.Node("Conv", {"x", "w2"}, {"b"}, "c2");
  testing::ModelBuilder::AttrInt(b.Node("Concat", {"a", "b"}, {"y"}, "cat"), "axis", 1);
  b.Output("y", kF);
  auto g = ImportOnnxFromBytes(b.Bytes(), "", {});
  ASSERT_TRUE(g.ok()) << g.status().message();
  auto count = [](const Graph& c, const std::string& op) {
    int n = 0;
    for (NodeId id : c.NodeIds()) n += c.node(id).op == op;
    return n;
  };
  for (const char* engines : {"gpu", "gpu,dla0,dla1"}) {
    ModelOptions mo;
    mo.engines = engines;
    auto soc = devices::LoadSocProfile("orin-agx");
    ASSERT_TRUE(soc.ok()) << soc.status().message();
    auto c = Compile(*g, SessionCompileOptions("", mo), &*soc);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(count(c->graph, "Split"), std::string(engines) == "gpu" ? 1 : 0) << engines;
  }
}

TEST_F(SessionTest, Errors) {
  ModelOptions mo;
  mo.engines = "gpu,dla7";
  auto id = session_->LoadModel(kTiny, mo);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("dla7"), std::string::npos) << id.status().message();
  auto r = session_->Infer(42, Input(1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no model"), std::string::npos);
  auto bad = Session::Create({"no-such-soc", ""});
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace edgeinfer::runtime
