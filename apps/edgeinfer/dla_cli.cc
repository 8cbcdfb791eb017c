#include "apps/edgeinfer/dla_cli.h"

#include "apps/edgeinfer/compile_common.h"
#include "devices/dla/capability.h"
#include "fusions/calibration.h"
#include "fusions/pass_list.h"
#include "graph/ops/fused.h"

namespace edgeinfer::apps {

Result<devices::SocProfile> LoadSocForCli(const std::string& soc, const std::string& power_mode, const std::string& clocks) {
  EI_ASSIGN_OR_RETURN(devices::SocProfile p, devices::LoadSocProfile(soc));
  if (!power_mode.empty()) { EI_ASSIGN_OR_RETURN(p, devices::ApplyPowerMode(p, power_mode)); }
  if (!clocks.empty()) { EI_ASSIGN_OR_RETURN(p, devices::ApplyClocks(p, clocks)); }
  return p;
}

bool IsCompiledGraph(const Graph& g) {
  for (NodeId id : g.NodeIds()) {
    const std::string& op = g.node(id).op;
    if (ops::IsFusedOp(op) || op == "QuantizeLinear" || op == "DequantizeLinear") return true;
  }
  return false;
}

Result<Graph> CompileForDla(const Graph& imported, const DlaCompileArgs& a, const devices::TensorMap& run_inputs,
                            std::string* note) {
  EI_ASSIGN_OR_RETURN(fusions::Precision precision, fusions::ParsePrecision(a.precision));
  if (precision == fusions::Precision::kFp32) {
    return Status::Error("--engine dla runs int8 or fp16; FP32 is not a DLA precision (use --precision int8 or fp16)");
  }
  fusions::PipelineOptions po;
  po.precision = precision;
  po.int8_fallback_fp16 = true;
  fusions::CalibrationTable table;
  if (precision == fusions::Precision::kInt8) {
    EI_ASSIGN_OR_RETURN(std::string hash, fusions::HashModelFile(a.model));
    std::vector<Tensor> batches;
    std::string kind_name = a.calibrator;
    if (!a.calib.empty()) {
      EI_ASSIGN_OR_RETURN(batches, LoadSamples(imported, a.calib, a.preprocess, a.calib_samples, false));
      if (kind_name.empty()) kind_name = "entropy";
      *note = "INT8 scales calibrated (" + kind_name + ") on " + std::to_string(batches.size()) + " batch(es) from " + a.calib;
    } else {
      if (imported.inputs().size() != 1) return Status::Error("--engine dla without --calib calibrates on the run's input; the model has several inputs");
      batches.push_back(run_inputs.at(imported.value(imported.inputs()[0]).name));
      if (kind_name.empty()) kind_name = "minmax";
      *note = "INT8 scales calibrated (" + kind_name + ") on the run's own input (no --calib given)";
    }
    EI_ASSIGN_OR_RETURN(fusions::CalibratorKind kind, fusions::ParseCalibrator(kind_name));
    EI_ASSIGN_OR_RETURN(table, Calibrate(imported, batches, kind, hash, false));
    po.calibration = &table;
  } else {
    *note = "FP16 weights and activations";
  }
  Graph g = imported;
  fusions::CompileReport r;
  EI_RETURN_IF_ERROR(fusions::RunPipeline(g, po, &r));
  return g;
}

std::string DlaEngine::name() const {
  std::string fb = runtime::EngineClassName(plan_.fallback);
  return "dla(" + soc_.name + ") with " + fb + "-fallback layers on cpu-reference";
}

devices::Support DlaEngine::Supports(const Graph& g, NodeId id) const {
  devices::Support s = devices::DlaSupport(soc_, g, id);
  // Refused layers still run (on the fallback), so the engine as a whole supports them.
  return s.ok ? s : devices::Support::Yes();
}

Status DlaEngine::Prepare(std::shared_ptr<const Graph> graph) {
  EI_ASSIGN_OR_RETURN(plan_, runtime::PlanPartition(*graph, soc_));
  return exec_.Prepare(graph, plan_, soc_);
}

}  // namespace edgeinfer::apps
