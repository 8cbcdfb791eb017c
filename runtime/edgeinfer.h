// edgeinfer: the one header an application includes.
//
//   #include "runtime/edgeinfer.h"
//   using namespace edgeinfer::runtime;
//   auto session = Session::Create({.soc = "orin-agx", .power_mode = "MAXN"}).value();
//   ModelOptions mo;                       // INT8 on gpu,dla0,dla1 by default
//   ModelId net = session->LoadModel("resnet50.onnx", mo).value();
//   // tune the plan on the target clock, then use it
//   auto tuned = TuneModel(*session, net, ScenarioSpec{}).value();
//   session->SetPlan(net, tuned.best.plan);
//   std::future<Result<TensorMap>> f = session->Submit(net, {{"input", image}});
//   Result<TensorMap> out = f.get();       // or Submit(net, inputs, callback), or Infer(net, inputs)
//
// Every figure a session reports says its clock: "target" (simulated on the SoC profile) or
// "host" (measured on this machine).
#pragma once
#include "runtime/power_model.h"
#include "runtime/scenario.h"
#include "runtime/scheduler.h"
#include "runtime/session.h"
#include "runtime/trace_export.h"
#include "runtime/tuner.h"

namespace edgeinfer::runtime {

// Tunes `model`'s plan for `spec` over the model's engines (CPU left out: it has no target model).
Result<TuneResult> TuneModel(const Session& session, ModelId model, const ScenarioSpec& spec,
                             const TunerOptions& options = {}, TunerSpace* space_out = nullptr);

// Runs `spec` on the host clock through the session with the model's current plan: real numerics
// on spec.host_samples samples (Offline: all submitted at once; SingleStream/MultiStream: one query
// at a time; Server: Poisson arrivals at `host_qps` samples/s). `make_input(i)` gives sample i.
Result<ScenarioResult> RunHostScenario(Session& session, ModelId model, const ScenarioSpec& spec,
                                       const std::function<devices::TensorMap(int64_t)>& make_input,
                                       double host_qps = 0);

}  // namespace edgeinfer::runtime
