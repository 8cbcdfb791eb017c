#include "runtime/unified_memory.h"

#include <algorithm>
#include <cstdlib>

#ifdef EDGEINFER_HAVE_CUDA
#include "devices/cuda/cuda_memory.h"
#endif

namespace edgeinfer::runtime {

const char* MemoryKindName(MemoryKind k) {
  switch (k) {
    case MemoryKind::kHostAligned: return "host (64-byte aligned)";
    case MemoryKind::kMappedPinned: return "mapped pinned host (zero copy)";
    case MemoryKind::kDeviceWithStaging: return "device + pinned staging (copies)";
  }
  return "?";
}

namespace {

class HostBackend : public MemoryBackend {
 public:
  MemoryKind kind() const override { return MemoryKind::kHostAligned; }
  std::string Describe() const override { return "host memory, 64-byte aligned (no GPU)"; }
  Status Allocate(size_t bytes, Buffer* b) override {
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) return Status::Error("unified memory: host allocation of " + std::to_string(bytes) + " bytes failed");
    b->host = p;
    b->device = nullptr;
    b->kind = kind();
    return Status::Ok();
  }
  void Free(Buffer* b) override { std::free(b->host); b->host = nullptr; }
  Status Copy(const Buffer&, size_t, size_t, bool) override { return Status::Ok(); }
  Status Drain(std::vector<Transfer>*) override { return Status::Ok(); }
};

#ifdef EDGEINFER_HAVE_CUDA
class CudaBackend : public MemoryBackend {
 public:
  explicit CudaBackend(devices::cuda::CudaDeviceInfo info) : info_(std::move(info)) {}
  MemoryKind kind() const override {
    return info_.integrated && info_.can_map_host ? MemoryKind::kMappedPinned : MemoryKind::kDeviceWithStaging;
  }
  std::string Describe() const override {
    return info_.name + (info_.integrated ? " (integrated): mapped pinned host memory, zero copy"
                                          : " (discrete): device memory + pinned staging, copies reported as transfers");
  }
  Status Allocate(size_t bytes, Buffer* b) override {
    b->kind = kind();
    if (b->kind == MemoryKind::kMappedPinned) return devices::cuda::AllocMappedHost(bytes, &b->host, &b->device);
    EI_RETURN_IF_ERROR(devices::cuda::AllocDevice(bytes, &b->device));
    Status s = devices::cuda::AllocPinnedHost(bytes, &b->host);
    if (!s.ok()) { (void)devices::cuda::FreeDevice(b->device); b->device = nullptr; }
    return s;
  }
  void Free(Buffer* b) override {
    if (b->host) (void)devices::cuda::FreeHost(b->host);
    if (b->kind == MemoryKind::kDeviceWithStaging && b->device) (void)devices::cuda::FreeDevice(b->device);
    b->host = b->device = nullptr;
  }
  Status Copy(const Buffer& b, size_t offset, size_t bytes, bool to_device) override {
    if (b.zero_copy()) return Status::Ok();
    pending_ids_.push_back(b.id);
    char* h = static_cast<char*>(b.host) + offset;
    char* d = static_cast<char*>(b.device) + offset;
    return to_device ? queue_.Copy(d, h, bytes, true) : queue_.Copy(h, d, bytes, false);
  }
  Status Drain(std::vector<Transfer>* out) override {
    std::vector<devices::cuda::TransferTiming> done;
    EI_RETURN_IF_ERROR(queue_.Drain(&done));
    for (size_t i = 0; i < done.size(); ++i)
      out->push_back({i < pending_ids_.size() ? pending_ids_[i] : -1, done[i].to_device, done[i].bytes, done[i].ms});
    pending_ids_.clear();
    return Status::Ok();
  }

 private:
  devices::cuda::CudaDeviceInfo info_;
  devices::cuda::CopyQueue queue_;
  std::vector<int64_t> pending_ids_;
};
#endif

}  // namespace

std::unique_ptr<MemoryBackend> MakeHostBackend() { return std::make_unique<HostBackend>(); }

Result<std::unique_ptr<MemoryBackend>> MakeCudaBackend(int index) {
#ifdef EDGEINFER_HAVE_CUDA
  devices::cuda::CudaDeviceInfo info = devices::cuda::QueryCudaDevice(index);
  if (!info.present) return Status::Error("unified memory: no CUDA device: " + info.why_absent);
  return std::unique_ptr<MemoryBackend>(std::make_unique<CudaBackend>(info));
#else
  (void)index;
  return Status::Error("unified memory: built without CUDA (EDGEINFER_HAVE_CUDA off)");
#endif
}

UnifiedMemory::UnifiedMemory(std::unique_ptr<MemoryBackend> backend) : backend_(std::move(backend)) {}

UnifiedMemory::~UnifiedMemory() {
  (void)Sync();
  for (Buffer& b : live_) backend_->Free(&b);
}

std::unique_ptr<UnifiedMemory> UnifiedMemory::CreateDefault(std::string* why) {
  auto cuda = MakeCudaBackend(0);
  if (cuda.ok()) {
    auto um = std::make_unique<UnifiedMemory>(std::move(cuda).value());
    if (why) *why = um->Describe();
    return um;
  }
  if (why) *why = cuda.status().message() + "; using host memory";
  return std::make_unique<UnifiedMemory>(MakeHostBackend());
}

Result<Buffer> UnifiedMemory::Allocate(size_t bytes) {
  if (bytes == 0) return Status::Error("unified memory: zero-byte allocation");
  Buffer b;
  b.bytes = bytes;
  b.id = next_id_++;
  EI_RETURN_IF_ERROR(backend_->Allocate(bytes, &b).WithContext("unified memory: allocating " + std::to_string(bytes) + " bytes"));
  live_.push_back(b);
  in_use_ += bytes;
  return b;
}

void UnifiedMemory::Free(Buffer* b) {
  auto it = std::find_if(live_.begin(), live_.end(), [&](const Buffer& x) { return x.id == b->id; });
  if (it == live_.end()) return;
  (void)Sync();
  backend_->Free(&*it);
  in_use_ -= it->bytes;
  live_.erase(it);
  *b = Buffer{};
}

Status UnifiedMemory::CheckRange(const Buffer& b, size_t offset, size_t bytes) const {
  if (offset > b.bytes || bytes > b.bytes - offset)
    return Status::Error("unified memory: range [" + std::to_string(offset) + ", +" + std::to_string(bytes) + ") exceeds buffer " +
                         std::to_string(b.id) + " of " + std::to_string(b.bytes) + " bytes");
  return Status::Ok();
}

Status UnifiedMemory::ToDevice(const Buffer& b, size_t offset, size_t bytes) {
  EI_RETURN_IF_ERROR(CheckRange(b, offset, bytes));
  return backend_->Copy(b, offset, bytes, true);
}

Status UnifiedMemory::ToHost(const Buffer& b, size_t offset, size_t bytes) {
  EI_RETURN_IF_ERROR(CheckRange(b, offset, bytes));
  return backend_->Copy(b, offset, bytes, false);
}

Status UnifiedMemory::Sync() { return backend_->Drain(&transfers_); }

size_t UnifiedMemory::transferred_bytes() const {
  size_t s = 0;
  for (const Transfer& t : transfers_) s += t.bytes;
  return s;
}

}  // namespace edgeinfer::runtime
