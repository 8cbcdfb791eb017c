#include "runtime/device_factory.h"

#include "devices/compile_caps.h"
#include "devices/cpu/reference_executor.h"
#include "devices/cuda_plugin.h"
#include "devices/dla/capability.h"
#ifdef EDGEINFER_HAVE_DNNL
#include "devices/cpu/fast/fast_device.h"
#endif

namespace edgeinfer::runtime {

fusions::DeviceCapabilities CompileCapabilities(EngineClass engine) {
  switch (engine) {
    case EngineClass::kGpu: return devices::CudaCompileCapabilities();
    case EngineClass::kCpu: return devices::CpuFastCompileCapabilities();
    default: return fusions::DeviceCapabilities{};
  }
}

bool FastCpuBuilt() {
#ifdef EDGEINFER_HAVE_DNNL
  return true;
#else
  return false;
#endif
}

Result<std::unique_ptr<devices::Device>> CreateDevice(EngineClass engine, const DeviceOptions& o) {
  switch (engine) {
    case EngineClass::kGpu: {
      devices::CudaOptions c;
      c.float_precision = o.float_precision == Precision::kFp16 ? DType::kFloat16 : DType::kFloat32;
      c.int8_exact_epilogue = o.int8_exact_epilogue;
      return devices::CreateCudaDevice(c);
    }
    case EngineClass::kCpu: {
      if (o.reference) return std::unique_ptr<devices::Device>(new devices::ReferenceDevice());
#ifdef EDGEINFER_HAVE_DNNL
      devices::CpuFastOptions f;
      f.num_threads = o.threads;
      return std::unique_ptr<devices::Device>(new devices::CpuFastDevice(f));
#else
      return Status::Error("engine 'cpu': this edgeinfer was built without oneDNN (install libdnnl-dev and rebuild)");
#endif
    }
    case EngineClass::kDla:
      if (!o.soc) return Status::Error("engine 'dla': no SoC profile given (its DLA rules decide the partition)");
      return std::unique_ptr<devices::Device>(new DlaEngineDevice(*o.soc));
  }
  return Status::Error("unknown engine class");
}

std::string DlaEngineDevice::name() const {
  std::string fb = EngineClassName(plan_.fallback);
  return "dla(" + soc_.name + ") with " + fb + "-fallback layers on cpu-reference";
}

devices::Support DlaEngineDevice::Supports(const Graph& g, NodeId id) const {
  devices::Support s = devices::DlaSupport(soc_, g, id);
  // Refused layers still run (on the fallback), so the engine as a whole supports them.
  return s.ok ? s : devices::Support::Yes();
}

Status DlaEngineDevice::Prepare(std::shared_ptr<const Graph> graph) {
  if (preset_) plan_ = std::move(*preset_);
  else { EI_ASSIGN_OR_RETURN(plan_, PlanPartition(*graph, soc_)); }
  preset_.reset();
  return exec_.Prepare(graph, plan_, soc_);
}

}  // namespace edgeinfer::runtime
