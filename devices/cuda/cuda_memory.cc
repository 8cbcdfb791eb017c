#include "devices/cuda/cuda_memory.h"

#include <cuda_runtime.h>

#include <mutex>

namespace edgeinfer::devices::cuda {
namespace {

Status Check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return Status::Ok();
  return Status::Error(std::string("cuda: ") + what + " failed: " + cudaGetErrorString(e));
}

}  // namespace

CudaDeviceInfo QueryCudaDevice(int index) {
  static std::mutex mu;
  static bool done = false;
  static CudaDeviceInfo cached;
  std::lock_guard<std::mutex> lock(mu);
  if (done && index == 0) return cached;
  CudaDeviceInfo info;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    info.why_absent = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(e);
    cudaGetLastError();   // clear the sticky-free error so later calls start clean
  } else if (count <= index) {
    info.why_absent = "no CUDA device with index " + std::to_string(index) + " (" + std::to_string(count) + " found)";
  } else {
    cudaDeviceProp p{};
    e = cudaGetDeviceProperties(&p, index);
    if (e != cudaSuccess) {
      info.why_absent = std::string("cudaGetDeviceProperties: ") + cudaGetErrorString(e);
    } else {
      info.present = true;
      info.integrated = p.integrated != 0;
      info.can_map_host = p.canMapHostMemory != 0;
      info.name = p.name;
      info.sm_major = p.major;
      info.sm_minor = p.minor;
      info.total_bytes = p.totalGlobalMem;
    }
  }
  if (index == 0) { cached = info; done = true; }
  return info;
}

Status AllocMappedHost(size_t bytes, void** host, void** device) {
  EI_RETURN_IF_ERROR(Check(cudaHostAlloc(host, bytes, cudaHostAllocMapped), "cudaHostAlloc(Mapped)"));
  Status s = Check(cudaHostGetDevicePointer(device, *host, 0), "cudaHostGetDevicePointer");
  if (!s.ok()) { cudaFreeHost(*host); *host = nullptr; }
  return s;
}
Status AllocPinnedHost(size_t bytes, void** host) {
  return Check(cudaHostAlloc(host, bytes, cudaHostAllocDefault), "cudaHostAlloc");
}
Status FreeHost(void* host) { return Check(cudaFreeHost(host), "cudaFreeHost"); }
Status AllocDevice(size_t bytes, void** device) { return Check(cudaMalloc(device, bytes), "cudaMalloc"); }
Status FreeDevice(void* device) { return Check(cudaFree(device), "cudaFree"); }

CopyQueue::CopyQueue() = default;
CopyQueue::~CopyQueue() {
  for (Pending& p : pending_) {
    cudaEventDestroy(static_cast<cudaEvent_t>(p.start));
    cudaEventDestroy(static_cast<cudaEvent_t>(p.end));
  }
  if (stream_) cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
}

Status CopyQueue::Init() {
  if (stream_) return Status::Ok();
  cudaStream_t s = nullptr;
  EI_RETURN_IF_ERROR(Check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate"));
  stream_ = s;
  return Status::Ok();
}

Status CopyQueue::Copy(void* dst, const void* src, size_t bytes, bool to_device) {
  EI_RETURN_IF_ERROR(Init());
  auto s = static_cast<cudaStream_t>(stream_);
  cudaEvent_t a = nullptr, b = nullptr;
  EI_RETURN_IF_ERROR(Check(cudaEventCreate(&a), "cudaEventCreate"));
  EI_RETURN_IF_ERROR(Check(cudaEventCreate(&b), "cudaEventCreate"));
  pending_.push_back({a, b, {to_device, bytes, 0.0}});
  EI_RETURN_IF_ERROR(Check(cudaEventRecord(a, s), "cudaEventRecord"));
  EI_RETURN_IF_ERROR(Check(cudaMemcpyAsync(dst, src, bytes, to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, s),
                           "cudaMemcpyAsync"));
  return Check(cudaEventRecord(b, s), "cudaEventRecord");
}

Status CopyQueue::Drain(std::vector<TransferTiming>* done) {
  if (!stream_) return Status::Ok();
  EI_RETURN_IF_ERROR(Check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_)), "cudaStreamSynchronize"));
  for (Pending& p : pending_) {
    float ms = 0.f;
    EI_RETURN_IF_ERROR(Check(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(p.start), static_cast<cudaEvent_t>(p.end)),
                             "cudaEventElapsedTime"));
    p.t.ms = ms;
    if (done) done->push_back(p.t);
    cudaEventDestroy(static_cast<cudaEvent_t>(p.start));
    cudaEventDestroy(static_cast<cudaEvent_t>(p.end));
  }
  pending_.clear();
  return Status::Ok();
}

}  // namespace edgeinfer::devices::cuda
