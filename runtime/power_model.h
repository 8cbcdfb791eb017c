// Energy and average power of a simulated run on the target (docs/power-model.md).
//
//   E = (SoC + CPU static) x T + GPU static x T (when the GPU runs anything) + DLA static x T per DLA
//       instance in the plan + sum over executed layers of MACs x J/MAC(engine class, precision)
//       + DRAM bytes x J/byte + SRAM bytes x J/byte
//   P = E / T,  samples per joule = samples / E,  T = the run's makespan on the target clock
//
// The coefficients are the profile's `power:` section (per MAC and per byte at the profile's
// clocks; no voltage/frequency scaling between power modes). FP32 GPU MACs cost twice the FP16
// coefficient (no FP32 coefficient in the profiles). Pure; thread-safe.
#pragma once
#include <string>
#include <vector>

#include "devices/soc/soc_profile.h"
#include "graph/status.h"
#include "runtime/simulator.h"

namespace edgeinfer::runtime {

struct EnginePower {
  std::string name;         // "gpu", "dla0", ...
  double static_j = 0;
  double compute_j = 0;     // MACs x J/MAC
  double sram_j = 0;
  double dram_j = 0;        // DRAM traffic of the layers it executed
};

struct PowerReport {
  double seconds = 0;       // makespan (target clock)
  int64_t samples = 0;
  double soc_static_j = 0;  // SoC rails + CPU
  std::vector<EnginePower> engines;
  double budget_w = 0;      // the active power mode's module budget (0: none stated)
  double TotalJ() const;
  double AverageW() const { return seconds > 0 ? TotalJ() / seconds : 0; }
  double SamplesPerJ() const { const double e = TotalJ(); return e > 0 ? static_cast<double>(samples) / e : 0; }
  double DramJ() const;
  double StaticJ() const;
  double ComputeJ() const;
  // "41.3 W (modeled, target): static 8.0, compute GPU 18.1 + DLA 2.2 + 2.2, DRAM 10.4, SRAM 0.1;
  //  127 samples/J; 69% of the 60 W MAXN budget"
  std::string Summary(const std::string& mode) const;
};

// Errors: a run with no time, or an engine class without coefficients for a precision it ran.
Result<PowerReport> EstimatePower(const devices::SocProfile& soc, const SimResult& run);

}  // namespace edgeinfer::runtime
