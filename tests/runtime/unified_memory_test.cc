// UnifiedMemory: the host backend everywhere; the CUDA backend where a GPU answers (discrete: copies
// are timed and reported; integrated: zero copy, nothing reported).
#include "runtime/unified_memory.h"

#include <gtest/gtest.h>

#include <cstring>

namespace edgeinfer::runtime {
namespace {

TEST(UnifiedMemory, HostBackendIsAlignedAndZeroCopy) {
  UnifiedMemory um(MakeHostBackend());
  auto b = um.Allocate(1000);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b->host) % 64, 0u);
  EXPECT_TRUE(b->zero_copy());
  EXPECT_EQ(um.bytes_in_use(), 1000u);
  std::memset(b->host, 7, 1000);
  EXPECT_TRUE(um.ToDevice(*b, 0, 1000).ok());
  EXPECT_TRUE(um.Sync().ok());
  EXPECT_TRUE(um.transfers().empty());
  EXPECT_FALSE(um.ToDevice(*b, 900, 200).ok());   // out of range: an error, not a crash
  um.Free(&*b);
  EXPECT_EQ(um.bytes_in_use(), 0u);
  EXPECT_FALSE(um.Allocate(0).ok());
}

TEST(UnifiedMemory, DefaultPicksCudaWhenPresent) {
  std::string why;
  auto um = UnifiedMemory::CreateDefault(&why);
  ASSERT_NE(um, nullptr);
  EXPECT_FALSE(why.empty());
  auto cuda = MakeCudaBackend(0);
  if (!cuda.ok()) {
    EXPECT_EQ(um->kind(), MemoryKind::kHostAligned);
    GTEST_SKIP() << "no CUDA device: " << cuda.status().message();
  }
  EXPECT_NE(um->kind(), MemoryKind::kHostAligned) << why;
}

TEST(UnifiedMemory, CudaRoundTripReportsTransfersOnDiscreteGpu) {
  auto backend = MakeCudaBackend(0);
  if (!backend.ok()) GTEST_SKIP() << "no CUDA device: " << backend.status().message();
  UnifiedMemory um(std::move(backend).value());
  const size_t n = 8 << 20;
  auto b = um.Allocate(n);
  ASSERT_TRUE(b.ok()) << b.status().message();
  ASSERT_NE(b->device, nullptr);
  auto* h = static_cast<unsigned char*>(b->host);
  for (size_t i = 0; i < n; ++i) h[i] = static_cast<unsigned char>(i * 31 + 7);
  ASSERT_TRUE(um.ToDevice(*b, 0, n).ok());
  ASSERT_TRUE(um.Sync().ok());
  std::memset(h, 0, n);
  ASSERT_TRUE(um.ToHost(*b, 0, n).ok());
  ASSERT_TRUE(um.Sync().ok());
  if (um.kind() == MemoryKind::kDeviceWithStaging) {
    // The bytes went to device memory and came back; two transfers were recorded with their times.
    for (size_t i = 0; i < n; i += 4099) ASSERT_EQ(h[i], static_cast<unsigned char>(i * 31 + 7)) << i;
    ASSERT_EQ(um.transfers().size(), 2u);
    EXPECT_TRUE(um.transfers()[0].to_device);
    EXPECT_FALSE(um.transfers()[1].to_device);
    EXPECT_EQ(um.transfers()[0].bytes, n);
    EXPECT_GT(um.transfers()[0].ms, 0.0);
    std::printf("discrete GPU: H2D %.1f GB/s, D2H %.1f GB/s (pinned staging)\n", n / um.transfers()[0].ms / 1e6,
                n / um.transfers()[1].ms / 1e6);
  } else {
    // Mapped memory: host and device views are one allocation; nothing is copied or reported.
    EXPECT_TRUE(um.transfers().empty());
  }
}

}  // namespace
}  // namespace edgeinfer::runtime
