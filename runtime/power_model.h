// Energy and average power of a simulated run on the target (docs/power-model.md).
//
//   vr(unit) = v0 + (1 - v0) x f / fmax          the unit's voltage relative to its maximum clock's
//   E = SoC static x T + CPU static x T x (online/all cores) x vr(cpu)
//       + CPU active x T x online cores x vr(cpu)^2 x f/fmax          (the harness feeding the engines)
//       + GPU static x T x (enabled/all SMs) x vr(gpu)   when the GPU runs anything (own work or fallback)
//       + DLA static x T x vr(dla) per DLA instance with work (idle cores are power-gated)
//       + sum over executed layers of MACs x J/MAC(engine class, precision) x vr(unit)^2
//       + DRAM bytes x J/byte x vr(emc)^2 + SRAM bytes x J/byte x vr(dla)^2
//   module P = E / T;  wall P = module P / wall_conversion_efficiency + wall_extra_w
//   samples per joule = samples / (wall P x T) when the profile states the wall terms, else / E
//
// The coefficients are the profile's `power:` section (at each unit's maximum clock). FP32 GPU MACs
// cost twice the FP16 coefficient. Every joule is assigned to one of the module's power-monitor
// rails (NVIDIA Jetson AGX Orin: VDD_GPU_SOC, VDD_CPU_CV, and the DRAM's VDDQ_VDD2_1V8AO/VIN_SYS_5V0)
// so a modeled figure can be compared rail by rail. Pure; thread-safe.
#pragma once
#include <string>
#include <vector>

#include "devices/soc/soc_profile.h"
#include "graph/status.h"
#include "runtime/simulator.h"

namespace edgeinfer::runtime {

struct EnginePower {
  std::string name;         // "gpu", "dla0", ...
  std::string rail;         // the module rail it draws from
  double static_j = 0;
  double compute_j = 0;     // MACs x J/MAC
  double sram_j = 0;
  double dram_j = 0;        // DRAM traffic of the layers it executed
};

struct RailPower {
  std::string rail;
  double j = 0;
};

struct PowerReport {
  double seconds = 0;       // makespan (target clock)
  int64_t samples = 0;
  double soc_static_j = 0;  // SoC rails + CPU (static and the harness's active share)
  std::vector<EnginePower> engines;
  std::vector<RailPower> rails;       // the module's rails (sum = TotalJ)
  double budget_w = 0;      // the active power mode's module budget (0: none stated)
  double wall_extra_w = 0;            // developer kit beyond the module (profile)
  double wall_conversion_efficiency = 1;
  double TotalJ() const;              // the module
  double AverageW() const { return seconds > 0 ? TotalJ() / seconds : 0; }
  bool HasWall() const { return wall_extra_w > 0 || wall_conversion_efficiency < 1; }
  double WallW() const { return AverageW() / wall_conversion_efficiency + wall_extra_w; }
  // Per joule at the wall when the profile states the wall terms, else of the module.
  double SamplesPerJ() const {
    const double e = HasWall() ? WallW() * seconds : TotalJ();
    return e > 0 ? static_cast<double>(samples) / e : 0;
  }
  double DramJ() const;
  double StaticJ() const;
  double ComputeJ() const;
  // "13.1 W average on the module (VDD_GPU_SOC 6.2, VDD_CPU_CV 3.0, DRAM 3.9), 21.0 W wall: static 8.0, compute gpu 3.1 + ...;
  //  127 samples/J; 22% of the 60 W MAXN budget"
  std::string Summary(const std::string& mode) const;
};

// The voltage of a unit relative to the one at its maximum clock (docs/power-model.md).
double VoltageRatio(double v0_fraction, double clock_hz, double max_clock_hz);

// Errors: a run with no time, or an engine class without coefficients for a precision it ran.
Result<PowerReport> EstimatePower(const devices::SocProfile& soc, const SimResult& run);

}  // namespace edgeinfer::runtime
