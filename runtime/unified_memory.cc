#include "runtime/unified_memory.h"

#include <algorithm>
#include <cstdlib>

#include "devices/cuda_plugin.h"

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

// Calls the CUDA plugin's memory primitives (devices/cuda_plugin_abi.h); the plugin is dlopen'ed by
// MakeCudaBackend, never linked.
class CudaBackend : public MemoryBackend {
 public:
  CudaBackend(const EiCudaPluginApi* api, EiCudaDeviceInfo info) : api_(api), info_(info) {}
  ~CudaBackend() override {
    if (queue_) api_->copy_queue_destroy(queue_);
  }
  Status Init() {
    char err[512] = {0};
    queue_ = api_->copy_queue_create(err, sizeof(err));
    return queue_ ? Status::Ok() : Status::Error(std::string("unified memory: copy queue: ") + err);
  }
  MemoryKind kind() const override {
    return info_.integrated && info_.can_map_host ? MemoryKind::kMappedPinned : MemoryKind::kDeviceWithStaging;
  }
  std::string Describe() const override {
    return std::string(info_.name) + (info_.integrated ? " (integrated): mapped pinned host memory, zero copy"
                                                       : " (discrete): device memory + pinned staging, copies reported as transfers");
  }
  Status Allocate(size_t bytes, Buffer* b) override {
    char err[512] = {0};
    b->kind = kind();
    if (b->kind == MemoryKind::kMappedPinned) return Check(api_->alloc_mapped_host(bytes, &b->host, &b->device, err, sizeof(err)), err);
    EI_RETURN_IF_ERROR(Check(api_->alloc_device(bytes, &b->device, err, sizeof(err)), err));
    Status s = Check(api_->alloc_pinned_host(bytes, &b->host, err, sizeof(err)), err);
    if (!s.ok()) { (void)api_->free_device(b->device, err, sizeof(err)); b->device = nullptr; }
    return s;
  }
  void Free(Buffer* b) override {
    char err[512];
    if (b->host) (void)api_->free_host(b->host, err, sizeof(err));
    if (b->kind == MemoryKind::kDeviceWithStaging && b->device) (void)api_->free_device(b->device, err, sizeof(err));
    b->host = b->device = nullptr;
  }
  Status Copy(const Buffer& b, size_t offset, size_t bytes, bool to_device) override {
    if (b.zero_copy()) return Status::Ok();
    pending_ids_.push_back(b.id);
    char* h = static_cast<char*>(b.host) + offset;
    char* d = static_cast<char*>(b.device) + offset;
    char err[512] = {0};
    return Check(to_device ? api_->copy_queue_copy(queue_, d, h, bytes, 1, err, sizeof(err))
                           : api_->copy_queue_copy(queue_, h, d, bytes, 0, err, sizeof(err)), err);
  }
  Status Drain(std::vector<Transfer>* out) override {
    struct Ctx { std::vector<Transfer>* out; const std::vector<int64_t>* ids; size_t i; } ctx{out, &pending_ids_, 0};
    char err[512] = {0};
    const int rc = api_->copy_queue_drain(queue_, [](void* c, const EiCudaTransfer* t) {
      auto* x = static_cast<Ctx*>(c);
      x->out->push_back({x->i < x->ids->size() ? (*x->ids)[x->i] : -1, t->to_device != 0, static_cast<size_t>(t->bytes), t->ms});
      ++x->i;
    }, &ctx, err, sizeof(err));
    pending_ids_.clear();
    return Check(rc, err);
  }

 private:
  static Status Check(int rc, const char* err) { return rc == 0 ? Status::Ok() : Status::Error(err); }
  const EiCudaPluginApi* api_;
  EiCudaDeviceInfo info_;
  void* queue_ = nullptr;
  std::vector<int64_t> pending_ids_;
};

}  // namespace

std::unique_ptr<MemoryBackend> MakeHostBackend() { return std::make_unique<HostBackend>(); }

Result<std::unique_ptr<MemoryBackend>> MakeCudaBackend(int index) {
  auto api = devices::CudaPlugin();
  if (!api.ok()) return Status::Error("unified memory: " + api.status().message());
  EiCudaDeviceInfo info{};
  api.value()->query_device(index, &info);
  if (!info.present) return Status::Error(std::string("unified memory: no CUDA device: ") + info.why_absent);
  auto backend = std::make_unique<CudaBackend>(api.value(), info);
  EI_RETURN_IF_ERROR(backend->Init());
  return std::unique_ptr<MemoryBackend>(std::move(backend));
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
