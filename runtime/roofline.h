// Physical limits of a SoC profile, checked against modeled figures (docs/fidelity.md, "Physical
// limits").
//
// The roofline of an engine is its peak multiply-accumulate rate at the clock of the active power
// mode (GPU: enabled SMs x tensor-core or CUDA-core MACs per clock; one DLA core: atomic-C x
// atomic-K, FP16 divided by the profile's rate divisor; CPU: online cores x SIMD MACs per clock) and
// the DRAM's peak bandwidth (bus bytes x transfers x EMC clock). No modeled figure may exceed them:
//   - a layer of a task program: time alone >= MACs / peak of its engine class and precision, and
//     >= DRAM bytes / DRAM peak;
//   - a run: every engine instance's executed work (per-sample MACs of the model, as the graph
//     bound to its true batch says, x the samples it was credited with) fits in the makespan at the
//     engine's peak, fallback layers on the executor that runs them; the run's DRAM bytes fit in
//     makespan x DRAM peak.
// The per-sample work is taken from the program of the model's own batch (1, or a fixed batch the
// model was exported with), independent of the batch the plan claims, so a plan that credits more
// samples than a task computes (a fixed-batch model timed at batch 1 but counted at 256) fails.
// Pure functions; thread-safe.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "devices/soc/soc_profile.h"
#include "graph/status.h"
#include "runtime/scenario.h"
#include "runtime/simulator.h"

namespace edgeinfer::runtime {

// Peak MACs per second of one instance of `cls` at the active clocks for a layer of `precision_bytes`
// (1 int8, 2 fp16, 4 fp32). 0 when the engine cannot run that precision.
double PeakMacsPerSec(const devices::SocProfile& soc, devices::EngineClass cls, int precision_bytes);

// One line naming the peak ("gpu: 16 SMs x 2048 INT8 MAC/clk x 1300.5 MHz = 4.26e13 MAC/s").
std::string DescribePeak(const devices::SocProfile& soc, devices::EngineClass cls, int precision_bytes);

// Every layer of `p` against the roofline of the engine class that runs it. `engine` names it in errors.
Status CheckProgramRoofline(const devices::SocProfile& soc, const TaskProgram& p, const std::string& engine);

// A simulated run of `plan` (models: one per plan engine, same order) against the roofline.
Status CheckRunRoofline(const devices::SocProfile& soc, const BatchPlan& plan,
                        const std::vector<std::shared_ptr<TargetModel>>& models, const SimResult& run);

}  // namespace edgeinfer::runtime
