#include "devices/cuda_plugin.h"

#include "graph/plugin_loader.h"

namespace edgeinfer::devices {

namespace {

// Forwards the Device interface to the CudaDevice living in the plugin; destroys it there.
class PluginDevice : public Device {
 public:
  PluginDevice(const EiCudaPluginApi* api, Device* impl) : api_(api), impl_(impl) {}
  ~PluginDevice() override { api_->destroy_device(impl_); }
  PluginDevice(const PluginDevice&) = delete;
  PluginDevice& operator=(const PluginDevice&) = delete;
  std::string name() const override { return impl_->name(); }
  Support Supports(const Graph& g, NodeId id) const override { return impl_->Supports(g, id); }
  Status Prepare(std::shared_ptr<const Graph> graph) override { return impl_->Prepare(std::move(graph)); }
  Status Launch(const TensorMap& inputs, TensorMap* outputs) override { return impl_->Launch(inputs, outputs); }
  Status Sync() override { return impl_->Sync(); }

 private:
  const EiCudaPluginApi* api_;
  Device* impl_;
};

}  // namespace

Result<const EiCudaPluginApi*> CudaPlugin() {
#ifndef EDGEINFER_CUDA_PLUGIN_BUILT
  return Status::Error("GPU engine unavailable: this edgeinfer was built without CUDA (EDGEINFER_HAVE_CUDA off)");
#else
  auto sym = LoadPluginSymbol(EDGEINFER_CUDA_PLUGIN_FILE, "devices/cuda", EDGEINFER_CUDA_PLUGIN_ENTRY);
  if (!sym.ok()) return Status::Error("GPU engine unavailable: " + sym.status().message());
  const EiCudaPluginApi* api = reinterpret_cast<EiCudaPluginEntry>(sym.value())();
  if (!api || api->abi_version != EDGEINFER_CUDA_PLUGIN_ABI || api->struct_size != sizeof(EiCudaPluginApi))
    return Status::Error("GPU engine unavailable: " EDGEINFER_CUDA_PLUGIN_FILE " speaks another plugin ABI (from another edgeinfer build?)");
  return api;
#endif
}

bool CudaAvailable(std::string* why) {
  auto api = CudaPlugin();
  if (!api.ok()) {
    if (why) *why = api.status().message();
    return false;
  }
  EiCudaDeviceInfo info{};
  api.value()->query_device(0, &info);
  if (!info.present && why) *why = std::string("GPU engine unavailable: no CUDA device: ") + info.why_absent;
  return info.present != 0;
}

Result<std::unique_ptr<Device>> CreateCudaDevice(const CudaOptions& options) {
  EI_ASSIGN_OR_RETURN(const EiCudaPluginApi* api, CudaPlugin());
  EiCudaOptions o{};
  o.float_precision = static_cast<int>(options.float_precision);
  o.cuda_graphs = options.cuda_graphs;
  o.autotune = options.autotune;
  o.device_index = options.device_index;
  o.timing_cache = options.timing_cache.empty() ? nullptr : options.timing_cache.c_str();
  o.max_workspace_bytes = options.max_workspace_bytes;
  char err[1024] = {0};
  void* d = api->create_device(&o, err, sizeof(err));
  if (!d) return Status::Error(std::string("GPU engine unavailable: ") + err);
  return std::unique_ptr<Device>(std::make_unique<PluginDevice>(api, static_cast<Device*>(d)));
}

}  // namespace edgeinfer::devices
