#include "graph/npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace edgeinfer {
namespace {

TEST(Npy, RoundTripsFloatAndInt) {
  Tensor t(DType::kFloat32, {2, 3});
  for (int i = 0; i < 6; ++i) t.data<float>()[i] = 0.5f * static_cast<float>(i) - 1.f;
  auto back = ParseNpy(SerializeNpy(t), "mem");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->dims(), t.dims());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(back->data<float>()[i], t.data<float>()[i]);

  Tensor s(DType::kInt64, {4});
  for (int i = 0; i < 4; ++i) s.data<int64_t>()[i] = -i;
  auto sb = ParseNpy(SerializeNpy(s), "mem");
  ASSERT_TRUE(sb.ok());
  EXPECT_EQ(sb->dtype(), DType::kInt64);
  EXPECT_EQ(sb->dims(), std::vector<int64_t>{4});
  EXPECT_EQ(sb->data<int64_t>()[3], -3);
}

TEST(Npy, HeaderIsAlignedTo64) {
  Tensor t(DType::kFloat32, {1, 3, 8, 8});
  std::string s = SerializeNpy(t);
  EXPECT_EQ((s.size() - t.bytes()) % 64, 0u);
}

TEST(Npy, RejectsMalformedFiles) {
  EXPECT_NE(ParseNpy("hello world", "x").status().message().find("not a .npy"), std::string::npos);
  Tensor t(DType::kFloat32, {10});
  std::string s = SerializeNpy(t);
  auto trunc = ParseNpy(s.substr(0, s.size() - 4), "x");
  ASSERT_FALSE(trunc.ok());
  EXPECT_NE(trunc.status().message().find("truncated"), std::string::npos) << trunc.status().message();
  auto hdr = ParseNpy(s.substr(0, 20), "x");
  ASSERT_FALSE(hdr.ok());
  std::string fortran = s;
  size_t p = fortran.find("False");
  fortran.replace(p, 5, "True ");
  auto f = ParseNpy(fortran, "x");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("Fortran"), std::string::npos);
  std::string bad_dtype = s;
  p = bad_dtype.find("<f4");
  bad_dtype.replace(p, 3, "<c8");
  EXPECT_FALSE(ParseNpy(bad_dtype, "x").ok());
  EXPECT_FALSE(ReadNpy("/nonexistent/file.npy").ok());
}

}  // namespace
}  // namespace edgeinfer
