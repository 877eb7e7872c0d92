//===- MatmulTilingTest.cpp - Tiled matrix products, checked ---*- C++ -*-===//
//
// Matrix products large enough for nnc-tile-contractions' cache tiles,
// compiled for the host as `nnc` compiles them (tools/nnc/MatmulKernel.h)
// and checked element by element against a loop in double precision. The
// shapes take each path of the large-product tiling: a first k panel that
// starts from zeros in registers, register tiles of 14 rows and the rows
// left over, rows of the left-hand side 4 KiB apart (tiles of 8 rows), a
// right-hand side packed into strips, and transposed operands; in f32, and
// some in f64 (`nnc --f64`), whose registers hold half as many elements.
// A kernel run with the other element type stops with a message.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/MatmulKernel.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

namespace {

struct Case {
  const char *name;
  nnc::MatmulShape shape;
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

class MatmulTilingTest : public testing::TestWithParam<Case> {};

/// Runs `kernel` on random operands and checks every element of the result
/// against a loop in double precision: any order of additions in T stays
/// within k ulps of T of the sum of magnitudes.
template <typename T>
void checkProduct(const nnc::MatmulKernel &kernel, const nnc::MatmulShape &s) {
  std::mt19937 rng(uint32_t(s.m * 131 + s.n * 17 + s.k));
  std::uniform_real_distribution<T> uniform(-1, 1);
  std::vector<T> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n, NAN);
  for (T &v : a)
    v = uniform(rng);
  for (T &v : b)
    v = uniform(rng);
  kernel.run(a.data(), b.data(), c.data());

  auto at = [&](int64_t i, int64_t p) {
    return s.transA ? a[p * s.m + i] : a[i * s.k + p];
  };
  auto bt = [&](int64_t p, int64_t j) {
    return s.transB ? b[j * s.k + p] : b[p * s.n + j];
  };
  int64_t bad = 0;
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      // (In f64, the reference sums in the same precision, whose own error
      // is the same bound again.)
      double sum = 0, bound = 0;
      for (int64_t p = 0; p < s.k; ++p) {
        sum += double(at(i, p)) * double(bt(p, j));
        bound += std::fabs(double(at(i, p)) * double(bt(p, j)));
      }
      double err = std::fabs(double(c[i * s.n + j]) - sum);
      double ulps = s.f64 ? 2 * s.k * DBL_EPSILON : s.k * FLT_EPSILON;
      if (!(err <= ulps * bound) && bad++ < 5)
        ADD_FAILURE() << "C[" << i << "][" << j << "] = " << c[i * s.n + j]
                      << ", expected " << sum;
    }
  }
  EXPECT_EQ(bad, 0) << "elements out of bounds";
}

TEST_P(MatmulTilingTest, MatchesDoublePrecisionLoop) {
  const nnc::MatmulShape s = GetParam().shape;
  auto kernel = nnc::MatmulKernel::compile(s);
  ASSERT_TRUE(bool(kernel)) << llvm::toString(kernel.takeError());
  if (s.f64)
    checkProduct<double>(*kernel, s);
  else
    checkProduct<float>(*kernel, s);
}

INSTANTIATE_TEST_SUITE_P(
    Large, MatmulTilingTest,
    testing::Values(Case{"sq512", {512, 512, 512}},
                    Case{"rows523", {523, 512, 384}},
                    Case{"lhsRows4KiB", {256, 256, 1024}},
                    Case{"packedRhs", {512, 1024, 256}},
                    Case{"transposedRhs", {300, 1024, 256, false, true}},
                    Case{"transposedLhs", {384, 640, 512, true, false}},
                    Case{"sq512f64", {512, 512, 512, false, false, true}},
                    Case{"rows523f64", {523, 512, 384, false, false, true}},
                    Case{"packedRhsF64", {512, 1024, 256, false, false, true}},
                    Case{"transposedRhsF64",
                         {300, 1024, 256, false, true, true}}),
    [](const testing::TestParamInfo<Case> &info) {
      return std::string(info.param.name);
    });

// A kernel called with the other element type stops with a message in
// every build (it would otherwise read the wrong number of bytes).
TEST(MatmulKernelTest, OtherElementTypeIsFatal) {
  testing::FLAGS_gtest_death_test_style = "threadsafe";
  auto f32 = nnc::MatmulKernel::compile({16, 16, 16});
  ASSERT_TRUE(bool(f32)) << llvm::toString(f32.takeError());
  auto f64 = nnc::MatmulKernel::compile({16, 16, 16, false, false, true});
  ASSERT_TRUE(bool(f64)) << llvm::toString(f64.takeError());
  std::vector<float> a(256, 1), b(256, 1), c(256);
  std::vector<double> da(256, 1), db(256, 1), dc(256);
  EXPECT_DEATH(f32->run(da.data(), db.data(), dc.data()),
               "an f32 kernel takes floats");
  EXPECT_DEATH(f64->run(a.data(), b.data(), c.data()),
               "an f64 kernel takes doubles");
  f32->run(a.data(), b.data(), c.data());
  EXPECT_EQ(c[0], 16.0f);
  f64->run(da.data(), db.data(), dc.data());
  EXPECT_EQ(dc[255], 16.0);
}

} // namespace
