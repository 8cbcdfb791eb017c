// CUDA memory primitives for runtime::UnifiedMemory (which must build without CUDA, so it sees only
// these plain functions, compiled in when EDGEINFER_HAVE_CUDA is defined).
//
//  - integrated GPU (cudaDeviceProp::integrated, e.g. Orin): cudaHostAlloc(Mapped) memory; the same
//    bytes are read by the CPU, the emulated DLA and the GPU (true zero copy).
//  - discrete GPU: cudaMalloc'd device memory plus a cudaHostAlloc'd pinned staging buffer; copies are
//    asynchronous on one stream, each timed with two events and reported as a transfer.
// Managed memory is never used. All functions are thread-compatible (one owner per object).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/status.h"

namespace edgeinfer::devices::cuda {

struct CudaDeviceInfo {
  bool present = false;     // a usable CUDA device answered
  bool integrated = false;  // cudaDeviceProp::integrated
  bool can_map_host = false;
  std::string name;
  std::string why_absent;   // when !present: the CUDA error text
  int sm_major = 0, sm_minor = 0;
  size_t total_bytes = 0;
};
// Queries device `index` (cached per process). Never fails: absence is reported in the struct.
CudaDeviceInfo QueryCudaDevice(int index = 0);

// Mapped pinned host memory: *host and *device address the same bytes.
Status AllocMappedHost(size_t bytes, void** host, void** device);
Status AllocPinnedHost(size_t bytes, void** host);
Status FreeHost(void* host);
Status AllocDevice(size_t bytes, void** device);
Status FreeDevice(void* device);

// One asynchronous copy stream whose copies are timed with CUDA events.
struct TransferTiming {
  bool to_device = true;
  size_t bytes = 0;
  double ms = 0.0;
};
class CopyQueue {
 public:
  CopyQueue();
  ~CopyQueue();
  CopyQueue(const CopyQueue&) = delete;
  CopyQueue& operator=(const CopyQueue&) = delete;
  Status Init();
  // Enqueues dst <- src (bytes) and returns at once.
  Status Copy(void* dst, const void* src, size_t bytes, bool to_device);
  // Waits for every enqueued copy and appends their timings to *done (in enqueue order).
  Status Drain(std::vector<TransferTiming>* done);

 private:
  struct Pending { void* start; void* end; TransferTiming t; };
  void* stream_ = nullptr;
  std::vector<Pending> pending_;
};

}  // namespace edgeinfer::devices::cuda
