// Engine instances, SRAM side: which values of a partitioned graph the memory plan keeps in a DLA
// core's SRAM at one batch (runtime::PlanGraphMemory: chaining inside DLA segments, the rest in DRAM).
#include "runtime/engine_instance.h"
#include "runtime/memory_plan.h"

namespace edgeinfer::runtime {

Result<std::set<ValueId>> SramResidentValues(const Graph& g, int64_t batch, const devices::SocProfile& soc) {
  MemoryPlanOptions mo;
  mo.instance = "dla0";
  mo.batch = batch;
  mo.sram_chaining = true;
  mo.sram_bytes = DefaultSramBytes(soc);
  EI_ASSIGN_OR_RETURN(GraphMemoryPlan mp, PlanGraphMemory(g, mo));
  std::set<ValueId> sram;
  for (size_t v = 0; v < mp.values.size(); ++v) {
    const int buf = mp.values[v].buffer;
    if (buf >= 0 && static_cast<size_t>(buf) < mp.plan.placements.size() &&
        mp.plan.spaces[static_cast<size_t>(mp.plan.placements[static_cast<size_t>(buf)].space)].name != "dram")
      sram.insert(static_cast<ValueId>(v));
  }
  return sram;
}

}  // namespace edgeinfer::runtime
