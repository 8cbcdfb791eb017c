// UnifiedMemory: the one allocator every engine (CPU, emulated DLA, GPU) takes its buffers from.
//
// Policy, chosen once by the backend:
//   - integrated GPU (cudaDeviceProp::integrated, Jetson/Orin): mapped pinned host memory; host and
//     device pointers address the same bytes, so no engine ever copies (ToDevice/ToHost are no-ops
//     and record nothing).
//   - discrete GPU (the H100 of the GPU machine): device memory plus a pinned host staging buffer of
//     the same size; ToDevice/ToHost enqueue asynchronous copies on one copy stream and Sync()
//     reports each as a Transfer (direction, bytes, measured milliseconds).
//   - no GPU (or built without CUDA): 64-byte aligned host memory; device pointer is null.
// Managed (cudaMallocManaged) memory is never used. Not thread-safe: one owner per instance.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph/status.h"

namespace edgeinfer::runtime {

enum class MemoryKind { kHostAligned, kMappedPinned, kDeviceWithStaging };
const char* MemoryKindName(MemoryKind k);

struct Buffer {
  int64_t id = -1;
  size_t bytes = 0;
  void* host = nullptr;     // CPU/DLA view (staging copy on a discrete GPU)
  void* device = nullptr;   // GPU view; equals the mapped address of `host` when zero_copy
  MemoryKind kind = MemoryKind::kHostAligned;
  bool zero_copy() const { return kind != MemoryKind::kDeviceWithStaging; }
};

struct Transfer {
  int64_t buffer_id = -1;
  bool to_device = true;
  size_t bytes = 0;
  double ms = 0.0;   // host clock of the copy engine, measured with events
};

// The injected allocation strategy. The CUDA one lives behind EDGEINFER_HAVE_CUDA (it calls the
// primitives of devices/cuda/cuda_memory.h); the host one is always there.
class MemoryBackend {
 public:
  virtual ~MemoryBackend() = default;
  virtual MemoryKind kind() const = 0;
  virtual std::string Describe() const = 0;
  virtual Status Allocate(size_t bytes, Buffer* b) = 0;
  virtual void Free(Buffer* b) = 0;
  // Enqueue copies between host and device views (discrete only; others return Ok doing nothing).
  virtual Status Copy(const Buffer& b, size_t offset, size_t bytes, bool to_device) = 0;
  // Waits for enqueued copies; appends their records.
  virtual Status Drain(std::vector<Transfer>* out) = 0;
};

std::unique_ptr<MemoryBackend> MakeHostBackend();
// The CUDA backend for device `index`, or an error saying why not (no CUDA build, no device).
Result<std::unique_ptr<MemoryBackend>> MakeCudaBackend(int index = 0);

class UnifiedMemory {
 public:
  explicit UnifiedMemory(std::unique_ptr<MemoryBackend> backend);
  ~UnifiedMemory();
  UnifiedMemory(const UnifiedMemory&) = delete;
  UnifiedMemory& operator=(const UnifiedMemory&) = delete;

  // CUDA when built with it and a device answers, else host; `why` says which and why.
  static std::unique_ptr<UnifiedMemory> CreateDefault(std::string* why = nullptr);

  MemoryKind kind() const { return backend_->kind(); }
  std::string Describe() const { return backend_->Describe(); }
  // bytes > 0. Buffers stay valid until Free or destruction of this object.
  Result<Buffer> Allocate(size_t bytes);
  void Free(Buffer* b);
  // Makes [offset, offset+bytes) of the host view visible to the device (or back). Asynchronous;
  // Sync() completes them. No-ops on zero-copy memory.
  Status ToDevice(const Buffer& b, size_t offset, size_t bytes);
  Status ToHost(const Buffer& b, size_t offset, size_t bytes);
  Status Sync();
  const std::vector<Transfer>& transfers() const { return transfers_; }
  size_t bytes_in_use() const { return in_use_; }
  size_t transferred_bytes() const;

 private:
  Status CheckRange(const Buffer& b, size_t offset, size_t bytes) const;
  std::unique_ptr<MemoryBackend> backend_;
  std::vector<Buffer> live_;
  std::vector<Transfer> transfers_;
  int64_t next_id_ = 0;
  size_t in_use_ = 0;
};

}  // namespace edgeinfer::runtime
