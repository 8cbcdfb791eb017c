// Host scheduler: every sample's result delivered exactly once and to the right caller, in
// submission order when asked, under self-scheduling and the static split, from several submitting
// threads; errors travel to the sample that caused them. Real executors (the CPU reference) on a
// small graph: y = Relu(x - 0.5 * x) keeps each sample's identity in its values.
#include "runtime/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "graph/shape_inference.h"

namespace edgeinfer::runtime {
namespace {

std::shared_ptr<const Graph> SmallGraph() {
  Graph g;
  g.name = "small";
  const ValueId x = g.AddValue("x", DType::kFloat32, Shape(std::vector<int64_t>{1, 4}));
  const ValueId y = g.AddValue("y", DType::kFloat32, Shape(std::vector<int64_t>{1, 4}));
  g.AddNode("Relu", "relu", {x}, {y});
  g.inputs().push_back(x);
  g.outputs().push_back(y);
  EXPECT_TRUE(InferShapes(g).ok());
  return std::make_shared<const Graph>(std::move(g));
}

std::vector<EngineInstance> Instances(const std::shared_ptr<FunctionalExecutor>& x) {
  std::vector<EngineInstance> v;
  for (auto [kind, idx, name] : {std::tuple{EngineClass::kGpu, 0, "gpu"}, std::tuple{EngineClass::kDla, 0, "dla0"},
                                 std::tuple{EngineClass::kDla, 1, "dla1"}}) {
    EngineInstance e;
    e.spec = {kind, idx, name};
    e.functional = x;
    v.push_back(e);
  }
  return v;
}

BatchPlan Plan(Dispatch d) {
  BatchPlan p;
  p.dispatch = d;
  p.engines = {{{EngineClass::kGpu, 0, "gpu"}, 4, 1}, {{EngineClass::kDla, 0, "dla0"}, 1, 1}, {{EngineClass::kDla, 1, "dla1"}, 2, 1}};
  return p;
}

devices::TensorMap Sample(int i) {
  // Sample i: [i, -i, i + 0.5, -1]; Relu -> [i, 0, i + 0.5, 0].
  return {{"x", Tensor::FromVector<float>(DType::kFloat32, {1, 4}, std::vector<float>{float(i), float(-i), i + 0.5f, -1.f})}};
}

void ExpectResultOf(const Result<devices::TensorMap>& r, int i) {
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Tensor& y = r->at("y");
  EXPECT_EQ(y.data<float>()[0], float(i));
  EXPECT_EQ(y.data<float>()[1], 0.f);
  EXPECT_EQ(y.data<float>()[2], i + 0.5f);
}

TEST(Scheduler, SelfSchedulingDeliversEachResultOnceToItsFuture) {
  auto x = FunctionalExecutor::Create(SmallGraph(), "cpu-reference");
  ASSERT_TRUE(x.ok()) << x.status().message();
  Scheduler s(Instances(*x), Plan(Dispatch::kSelfScheduling), false);
  std::vector<std::future<Result<devices::TensorMap>>> fs;
  for (int i = 0; i < 300; ++i) {
    std::promise<Result<devices::TensorMap>> p;
    fs.push_back(p.get_future());
    s.Enqueue(Sample(i), std::move(p));
  }
  for (int i = 0; i < 300; ++i) ExpectResultOf(fs[static_cast<size_t>(i)].get(), i);
  s.Drain();
  int64_t total = 0;
  for (const auto& e : s.Stats()) total += e.samples;
  EXPECT_EQ(total, 300);
}

TEST(Scheduler, OrderedCallbacksArriveInSubmissionOrderExactlyOnce) {
  auto x = FunctionalExecutor::Create(SmallGraph(), "cpu-reference");
  ASSERT_TRUE(x.ok());
  std::mutex mu;
  std::vector<int> seen;
  {
    Scheduler s(Instances(*x), Plan(Dispatch::kSelfScheduling), true);
    for (int i = 0; i < 500; ++i) {
      s.Enqueue(Sample(i), [&, i](Result<devices::TensorMap> r) {
        ExpectResultOf(r, i);
        std::lock_guard<std::mutex> lock(mu);
        seen.push_back(i);
      });
    }
    s.Drain();
  }
  ASSERT_EQ(seen.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
}

TEST(Scheduler, StaticDispatchFollowsThePlanProportions) {
  auto x = FunctionalExecutor::Create(SmallGraph(), "cpu-reference");
  ASSERT_TRUE(x.ok());
  Scheduler s(Instances(*x), Plan(Dispatch::kStatic), false);
  std::atomic<int> delivered{0};
  for (int i = 0; i < 700; ++i)
    s.Enqueue(Sample(i), [&, i](Result<devices::TensorMap> r) {
      ExpectResultOf(r, i);
      ++delivered;
    });
  s.Drain();
  EXPECT_EQ(delivered.load(), 700);
  const auto st = s.Stats();
  EXPECT_EQ(st[0].samples, 400);   // 4 of every 7
  EXPECT_EQ(st[1].samples, 100);
  EXPECT_EQ(st[2].samples, 200);
}

TEST(Scheduler, ConcurrentSubmittersEachGetTheirOwnResults) {
  auto x = FunctionalExecutor::Create(SmallGraph(), "cpu-reference");
  ASSERT_TRUE(x.ok());
  Scheduler s(Instances(*x), Plan(Dispatch::kSelfScheduling), true);
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int k = 0; k < 50; ++k) {
        const int i = t * 1000 + k;
        std::promise<Result<devices::TensorMap>> p;
        auto f = p.get_future();
        s.Enqueue(Sample(i), std::move(p));
        auto r = f.get();
        if (r.ok() && r->at("y").data<float>()[0] == float(i)) ++ok;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 200);
}

TEST(Scheduler, FullBatchesRunAsOneLaunchWhenTheBatchIsSymbolic) {
  Graph g;
  g.name = "small_n";
  const ValueId x = g.AddValue("x", DType::kFloat32, Shape(std::vector<int64_t>{kDynamic, 4}));
  const ValueId y = g.AddValue("y", DType::kFloat32, Shape(std::vector<int64_t>{kDynamic, 4}));
  g.AddNode("Relu", "relu", {x}, {y});
  g.inputs().push_back(x);
  g.outputs().push_back(y);
  ASSERT_TRUE(InferShapes(g).ok());
  auto ex = FunctionalExecutor::Create(std::make_shared<const Graph>(std::move(g)), "cpu-reference");
  ASSERT_TRUE(ex.ok()) << ex.status().message();
  EXPECT_TRUE((*ex)->batched());
  BatchPlan p = Plan(Dispatch::kStatic);   // gpu b4, dla0 b1, dla1 b2: 7 a cycle
  std::vector<std::future<Result<devices::TensorMap>>> fs;
  {
    Scheduler s(Instances(*ex), p, true);
    s.SetHold(true);   // everything queued before the engines pull: full batches
    for (int i = 0; i < 70; ++i) {
      std::promise<Result<devices::TensorMap>> pr;
      fs.push_back(pr.get_future());
      s.Enqueue(Sample(i), std::move(pr));
    }
    s.Drain();
    const auto st = s.Stats();
    EXPECT_EQ(st[0].samples, 40);
    EXPECT_EQ(st[0].launches, 10);   // full batches of 4 went as one launch each
    EXPECT_EQ(st[1].launches, st[1].samples);   // batch 1
  }
  for (int i = 0; i < 70; ++i) ExpectResultOf(fs[static_cast<size_t>(i)].get(), i);
  // A graph with a static batch is never stacked.
  auto fixed = FunctionalExecutor::Create(SmallGraph(), "cpu-reference");
  ASSERT_TRUE(fixed.ok());
  EXPECT_FALSE((*fixed)->batched());
}

TEST(Scheduler, AnErrorGoesToTheSampleThatCausedIt) {
  auto x = FunctionalExecutor::Create(SmallGraph(), "cpu-reference");
  ASSERT_TRUE(x.ok());
  Scheduler s(Instances(*x), Plan(Dispatch::kSelfScheduling), true);
  std::vector<std::future<Result<devices::TensorMap>>> fs;
  for (int i = 0; i < 20; ++i) {
    std::promise<Result<devices::TensorMap>> p;
    fs.push_back(p.get_future());
    devices::TensorMap in = Sample(i);
    if (i % 5 == 3) in = {{"wrong", in.at("x")}};
    s.Enqueue(std::move(in), std::move(p));
  }
  for (int i = 0; i < 20; ++i) {
    auto r = fs[static_cast<size_t>(i)].get();
    if (i % 5 == 3) {
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.status().message().find("engine '"), std::string::npos) << r.status().message();
    } else {
      ExpectResultOf(r, i);
    }
  }
}

}  // namespace
}  // namespace edgeinfer::runtime
