// The plugin side of devices/cuda_plugin_abi.h: the one extern "C" symbol libedgeinfer_cuda.so exports
// for the loader (devices/cuda_plugin.cc), wrapping CudaDevice and the memory primitives of
// cuda_memory.h. Nothing here may throw or abort: every failure becomes an error string.
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "devices/cuda/cuda_device.h"
#include "devices/cuda/cuda_memory.h"
#include "devices/cuda_plugin_abi.h"

namespace edgeinfer::devices::cuda {
namespace {

int Fail(const Status& s, char* err, size_t err_len) {
  if (s.ok()) return 0;
  if (err && err_len) std::snprintf(err, err_len, "%s", s.message().c_str());
  return 1;
}

const char* BuildInfo() {
  static const std::string kInfo = "CUDA runtime " + std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10) +
                                   ", cuDNN " + std::to_string(CUDNN_MAJOR) + "." + std::to_string(CUDNN_MINOR) + "." + std::to_string(CUDNN_PATCHLEVEL);
  return kInfo.c_str();
}

void QueryDevice(int index, EiCudaDeviceInfo* out) {
  CudaDeviceInfo i = QueryCudaDevice(index);
  *out = EiCudaDeviceInfo{};
  out->present = i.present;
  out->integrated = i.integrated;
  out->can_map_host = i.can_map_host;
  out->sm_major = i.sm_major;
  out->sm_minor = i.sm_minor;
  out->total_bytes = i.total_bytes;
  std::snprintf(out->name, sizeof(out->name), "%s", i.name.c_str());
  std::snprintf(out->why_absent, sizeof(out->why_absent), "%s", i.why_absent.c_str());
}

int AllocMapped(size_t bytes, void** host, void** device, char* err, size_t n) { return Fail(AllocMappedHost(bytes, host, device), err, n); }
int AllocPinned(size_t bytes, void** host, char* err, size_t n) { return Fail(AllocPinnedHost(bytes, host), err, n); }
int FreeH(void* host, char* err, size_t n) { return Fail(FreeHost(host), err, n); }
int AllocD(size_t bytes, void** device, char* err, size_t n) { return Fail(AllocDevice(bytes, device), err, n); }
int FreeD(void* device, char* err, size_t n) { return Fail(FreeDevice(device), err, n); }

void* QueueCreate(char* err, size_t n) {
  auto* q = new (std::nothrow) CopyQueue();
  if (!q) Fail(Status::Error("out of host memory"), err, n);
  return q;   // the stream is created by the first copy (zero-copy memory never needs one)
}
int QueueCopy(void* q, void* dst, const void* src, size_t bytes, int to_device, char* err, size_t n) {
  return Fail(static_cast<CopyQueue*>(q)->Copy(dst, src, bytes, to_device != 0), err, n);
}
int QueueDrain(void* q, void (*sink)(void*, const EiCudaTransfer*), void* ctx, char* err, size_t n) {
  std::vector<TransferTiming> done;
  Status s = static_cast<CopyQueue*>(q)->Drain(&done);
  for (const TransferTiming& t : done) {
    EiCudaTransfer c{t.to_device ? 1 : 0, t.bytes, t.ms};
    sink(ctx, &c);
  }
  return Fail(s, err, n);
}
void QueueDestroy(void* q) { delete static_cast<CopyQueue*>(q); }

void* CreateDevice(const EiCudaOptions* o, char* err, size_t n) {
  std::string why;
  if (!CudaDevice::Available(&why)) { Fail(Status::Error("no CUDA device: " + why), err, n); return nullptr; }
  CudaOptions opt;
  opt.float_precision = static_cast<DType>(o->float_precision);
  opt.cuda_graphs = o->cuda_graphs != 0;
  opt.autotune = o->autotune != 0;
  opt.device_index = o->device_index;
  if (o->timing_cache) opt.timing_cache = o->timing_cache;
  opt.max_workspace_bytes = static_cast<size_t>(o->max_workspace_bytes);
  Device* d = new (std::nothrow) CudaDevice(std::move(opt));
  if (!d) Fail(Status::Error("out of host memory"), err, n);
  return d;
}
void DestroyDevice(void* d) { delete static_cast<Device*>(d); }

}  // namespace
}  // namespace edgeinfer::devices::cuda

extern "C" __attribute__((visibility("default"))) const EiCudaPluginApi* edgeinfer_cuda_plugin_api(void) {
  namespace c = edgeinfer::devices::cuda;
  static const EiCudaPluginApi kApi = {
      EDGEINFER_CUDA_PLUGIN_ABI, sizeof(EiCudaPluginApi), c::BuildInfo, c::QueryDevice,
      c::AllocMapped, c::AllocPinned, c::FreeH, c::AllocD, c::FreeD,
      c::QueueCreate, c::QueueCopy, c::QueueDrain, c::QueueDestroy,
      c::CreateDevice, c::DestroyDevice};
  return &kApi;
}
