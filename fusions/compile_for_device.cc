// CompileForDevice: the pass list at FP32 with the device's capabilities as pass options.
#include "fusions/compile_for_device.h"

#include "fusions/pass_list.h"

namespace edgeinfer::fusions {

void ApplyDeviceCapabilities(const DeviceCapabilities& caps, PipelineOptions* po) {
  if (!caps.merge_sibling_convs) po->disabled.insert("horizontal_conv");
  if (!caps.concat_layout.empty()) po->pass_options["concat_layout"] = caps.concat_layout;
  if (caps.concat_align_bytes > 0) po->pass_options["concat_align_bytes"] = std::to_string(caps.concat_align_bytes);
  if (caps.concat_partial) po->pass_options["concat_partial"] = "1";
}

Status CompileForDevice(Graph& g, const DeviceCapabilities& caps, CompileReport* report,
                        const std::set<std::string>& disabled) {
  PipelineOptions po;
  po.precision = Precision::kFp32;
  po.disabled = disabled;
  ApplyDeviceCapabilities(caps, &po);
  CompileReport local;
  CompileReport* r = report ? report : &local;
  Status s = RunPipeline(g, po, r);
  if (!s.ok()) return s.WithContext("compiling for " + (caps.device.empty() ? std::string("the device") : caps.device));
  if (!caps.device.empty()) r->notes.push_back("compiled for device " + caps.device);
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
