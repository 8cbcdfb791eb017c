#include "runtime/engine_build.h"

#include <optional>

#include "devices/pricing/price_layer.h"

namespace edgeinfer::runtime {

namespace {

bool InSram(const GraphMemoryPlan& plan, ValueId v) {
  if (v == kNoValue || static_cast<size_t>(v) >= plan.values.size()) return false;
  const int b = plan.values[static_cast<size_t>(v)].buffer;
  return b >= 0 && static_cast<size_t>(b) < plan.plan.placements.size() && plan.plan.placements[static_cast<size_t>(b)].space != 0;
}

}  // namespace

void ApplySramFlags(const Graph& g, const GraphMemoryPlan& plan, NodeId id, devices::LayerWork* w) {
  const Node& n = g.node(id);
  for (ValueId v : n.inputs) {
    if (v == kNoValue || g.value(v).IsConstant()) continue;
    w->input_in_sram = InSram(plan, v);
    break;
  }
  if (!n.outputs.empty()) w->output_in_sram = InSram(plan, n.outputs[0]);
  if (n.op == "ConvEltwiseAct" && n.inputs.size() > 3) w->residual_in_sram = InSram(plan, n.inputs[3]);
}

Result<EngineFile> BuildEngine(const Graph& g, const devices::SocProfile* soc, const PartitionPlan* partition,
                               const EngineBuildOptions& opts) {
  EngineFile e;
  e.graph = g;
  e.options.model = opts.model;
  e.options.precision = opts.precision;
  e.options.tool = opts.tool;
  e.options.batch = opts.batch;
  e.options.extra = opts.extra;
  if (soc) {
    e.options.soc = soc->name;
    e.options.power_mode = soc->active_power_mode;
  }
  if (partition) {
    for (const NodeAssignment& a : partition->nodes) {
      e.partition.order.push_back(a.node);
      if (!a.reason.empty()) e.partition.fallback[a.name] = a.reason;
    }
  }
  std::vector<NodeId> order = e.partition.order;
  if (order.empty()) {
    EI_ASSIGN_OR_RETURN(order, g.TopoOrder());
  } else {
    EI_RETURN_IF_ERROR(CheckExecutionOrder(g, order));
  }
  e.partition.segments = FindEngineRuns(g, order);

  int64_t sram = 0;
  if (soc) {
    sram = opts.sram_bytes < 0 ? DefaultSramBytes(*soc) : opts.sram_bytes;
    if (sram > soc->dla.sram_bytes_per_core) {
      return Status::Error("--sram-bytes " + std::to_string(sram) + " exceeds the " + std::to_string(soc->dla.sram_bytes_per_core) +
                           " bytes of SRAM per DLA core of " + soc->name + " (dla.sram_bytes_per_core)");
    }
  }
  e.options.sram_bytes = sram;
  MemoryPlanOptions mo;
  mo.batch = opts.batch;
  mo.order = order;
  if (!soc) {
    mo.instance = "host";
    mo.sram_chaining = false;
    EI_ASSIGN_OR_RETURN(GraphMemoryPlan p, PlanGraphMemory(g, mo));
    e.memory_plans.push_back(std::move(p));
    return e;
  }
  for (int core = 0; core < soc->dla.cores; ++core) {
    mo.instance = "dla" + std::to_string(core);
    mo.sram_chaining = opts.sram_chaining;
    mo.sram_bytes = sram;
    EI_ASSIGN_OR_RETURN(GraphMemoryPlan p, PlanGraphMemory(g, mo));
    e.memory_plans.push_back(std::move(p));
  }
  if (soc->gpu.present) {
    mo.instance = "gpu";
    mo.sram_chaining = false;
    mo.sram_bytes = 0;
    EI_ASSIGN_OR_RETURN(GraphMemoryPlan p, PlanGraphMemory(g, mo));
    e.memory_plans.push_back(std::move(p));
  }
  // Per-layer cost on the partition's engines, SRAM chaining of the first DLA core applied.
  const GraphMemoryPlan* chain = e.FindPlan("dla0");
  double total = 0;
  for (NodeId id : order) {
    const Node& n = g.node(id);
    LayerCost c;
    c.node = n.name;
    c.engine = n.engine;
    auto w = devices::DescribeNode(g, id, opts.batch);
    const std::optional<EngineClass> engine = devices::ParseEngineClass(n.engine);
    if (w.ok() && engine && soc && !IsViewOp(n.op)) {
      c.macs = w->Macs();
      if (*engine == EngineClass::kDla && chain) ApplySramFlags(g, *chain, id, &*w);
      devices::PriceOptions po;
      po.in_place_concat = IsInPlaceConcat(n);
      auto t = devices::PriceLayer(*soc, *engine, *w, po);
      if (t.ok()) {
        c.predicted_s = t->total_s;
        c.dram_bytes = static_cast<int64_t>(t->dram_bytes);
        c.sram_bytes = static_cast<int64_t>(t->sram_bytes);
        c.bound = devices::BoundName(t->bound);
      }
    } else if (w.ok()) {
      c.macs = w->Macs();
    }
    total += c.predicted_s;
    e.costs.push_back(std::move(c));
  }
  if (partition) total += partition->ConversionSeconds();
  e.predicted_total_s = total;
  return e;
}

}  // namespace edgeinfer::runtime
