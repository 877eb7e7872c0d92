//===- ParamsTest.cpp - Descriptor checks and initialisation ----*- C++ -*-===//
//
// Checks parameter initialisation against expectations that do not come from
// the code under test: published test vectors of PCG32, splitmix64 and
// FNV-1a; golden values produced by an independent Python implementation of
// the algorithm documented in runtime/Params.h; and the statistics of the
// uniform distribution (range, mean, variance, flat histogram). Also checks
// determinism, per-name stream independence, and that validateDescriptor()
// rejects each kind of broken descriptor with a message naming the culprit.
//
//===----------------------------------------------------------------------===//

#include "runtime/Params.h"

#include "TestModel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace nnc;
using nnc::test::ParamSpec;
using nnc::test::TestModel;

namespace {

constexpr float kSentinel = -12345.0f;

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

std::vector<float> initialised(const nnc_model_desc &desc, uint64_t seed) {
  std::vector<float> params(static_cast<size_t>(desc.param_size), kSentinel);
  initParams(desc, params.data(), seed);
  return params;
}

/// The values of parameter \p index of \p model inside \p params.
std::vector<float> tensorOf(const TestModel &model, size_t index,
                            const std::vector<float> &params) {
  const nnc_param_desc &param = model.param(index);
  return std::vector<float>(params.begin() + param.offset,
                            params.begin() + param.offset + param.size);
}

//===----------------------------------------------------------------------===//
// The generator against published reference values
//===----------------------------------------------------------------------===//

TEST(Pcg32Test, MatchesTheReferenceImplementation) {
  // pcg32-demo of the PCG C library, seed 42, sequence 54.
  Pcg32 rng(42, 54);
  const uint32_t expected[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                               0x83d2f293, 0xbfa4784b, 0xcbed606e};
  for (uint32_t value : expected)
    EXPECT_EQ(rng.next(), value);
}

TEST(Pcg32Test, Splitmix64MatchesTheReference) {
  // The first output of SplitMix64 seeded with 1234567 (Vigna's reference).
  EXPECT_EQ(splitmix64(1234567), 6457827717110365317ULL);
}

TEST(Pcg32Test, Fnv1aMatchesTheReference) {
  // From the FNV test suite (Fowler, Noll, Vo).
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(Pcg32Test, SymmetricValuesStayInsideTheOpenInterval) {
  Pcg32 rng(1, 2);
  for (int i = 0; i < 100000; ++i) {
    double x = rng.nextSymmetric();
    ASSERT_GT(x, -1.0);
    ASSERT_LT(x, 1.0);
  }
}

//===----------------------------------------------------------------------===//
// Golden values
//===----------------------------------------------------------------------===//

// Produced by a separate Python implementation of the documented algorithm
// (which itself reproduces the PCG32 reference vector above). If these change,
// every model trained with nnc gets different initial weights: bump nothing
// silently; such a change must be deliberate and documented.
TEST(InitParamsTest, MatchesGoldenXavierValues) {
  TestModel model("M",
                  {{"h.weight", {784, 64}, NNC_INIT_XAVIER_UNIFORM, 784, 64}});
  std::vector<float> params = initialised(model.desc(), 42);
  const uint32_t expected[] = {0xbc413caa, 0x3cdd27ce, 0x3b401c6b, 0x3d43306f};
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(bitsOf(params[i]), expected[i]) << "element " << i;
}

TEST(InitParamsTest, MatchesGoldenHeValues) {
  TestModel model("M",
                  {{"conv1.weight", {8, 1, 3, 3}, NNC_INIT_HE_UNIFORM, 9, 72}});
  std::vector<float> params = initialised(model.desc(), 7);
  const uint32_t expected[] = {0x3f231b5f, 0xbd764b8d, 0xbf1acc8b, 0xbeee51db};
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(bitsOf(params[i]), expected[i]) << "element " << i;
}

//===----------------------------------------------------------------------===//
// Constant initialisers and untouched gaps
//===----------------------------------------------------------------------===//

TEST(InitParamsTest, ZerosAndOnesAreExactAndGapsAreUntouched) {
  TestModel model("M",
                  {{"a.bias", {17}, NNC_INIT_ZEROS},
                   {"b.scale", {3, 5}, NNC_INIT_ONES},
                   {"c.weight", {4, 4}, NNC_INIT_XAVIER_UNIFORM, 4, 4}},
                  /*gap=*/3);
  std::vector<float> params = initialised(model.desc(), 1);
  for (float value : tensorOf(model, 0, params))
    EXPECT_EQ(bitsOf(value), bitsOf(0.0f)); // +0, not -0
  for (float value : tensorOf(model, 1, params))
    EXPECT_EQ(value, 1.0f);
  std::vector<bool> covered(params.size(), false);
  for (size_t i = 0; i < 3; ++i)
    for (int64_t e = 0; e < model.param(i).size; ++e)
      covered[model.param(i).offset + e] = true;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!covered[i]) {
      EXPECT_EQ(params[i], kSentinel) << "gap element " << i << " was written";
    }
  }
}

//===----------------------------------------------------------------------===//
// Statistics of the uniform initialisers
//===----------------------------------------------------------------------===//

/// Checks that \p values look like n independent draws from U(-a, a).
void expectUniform(const std::vector<float> &values, double a) {
  const auto n = static_cast<double>(values.size());
  auto bound = static_cast<float>(a);
  double sum = 0, sumSquares = 0;
  float lo = std::numeric_limits<float>::max();
  float hi = std::numeric_limits<float>::lowest();
  constexpr int kBins = 20;
  std::vector<int64_t> bins(kBins, 0);
  for (float v : values) {
    ASSERT_TRUE(std::isfinite(v));
    ASSERT_LE(std::fabs(v), bound) << "value outside [-a, a]";
    sum += v;
    sumSquares += double(v) * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    int bin = static_cast<int>((v + a) / (2 * a) * kBins);
    ++bins[std::min(std::max(bin, 0), kBins - 1)];
  }
  double mean = sum / n;
  double variance = sumSquares / n - mean * mean;
  // Standard errors for U(-a, a): mean a / sqrt(3n); mean of squares
  // a^2 sqrt(4 / (45 n)). Allow six of them.
  EXPECT_NEAR(mean, 0.0, 6 * a / std::sqrt(3 * n));
  EXPECT_NEAR(variance, a * a / 3, 6 * a * a * std::sqrt(4 / (45 * n)));
  // The extremes of n uniform draws come within about 2a/n of the bounds.
  EXPECT_LT(lo, -a * (1 - 50 / n));
  EXPECT_GT(hi, a * (1 - 50 / n));
  // A flat histogram: each bin's count is binomial(n, 1/kBins); six sigma.
  double expected = n / kBins;
  double sigma = std::sqrt(n * (1.0 / kBins) * (1 - 1.0 / kBins));
  for (int b = 0; b < kBins; ++b)
    EXPECT_NEAR(static_cast<double>(bins[b]), expected, 6 * sigma)
        << "bin " << b;
}

TEST(InitParamsTest, XavierIsUniformWithTheGlorotBound) {
  TestModel model("M",
                  {{"w", {1000, 1000}, NNC_INIT_XAVIER_UNIFORM, 1000, 500}});
  double a = std::sqrt(6.0 / 1500.0);
  EXPECT_DOUBLE_EQ(initBound(model.param(0)), a);
  expectUniform(initialised(model.desc(), 3), a);
}

TEST(InitParamsTest, HeIsUniformWithTheHeBound) {
  TestModel model("M", {{"w", {64, 32, 3, 3}, NNC_INIT_HE_UNIFORM, 288, 576}});
  double a = std::sqrt(6.0 / 288.0);
  EXPECT_DOUBLE_EQ(initBound(model.param(0)), a);
  expectUniform(initialised(model.desc(), 11), a);
}

TEST(InitParamsTest, ConstantInitialisersHaveNoBound) {
  TestModel model("M", {{"z", {2}, NNC_INIT_ZEROS}, {"o", {2}, NNC_INIT_ONES}});
  EXPECT_EQ(initBound(model.param(0)), 0.0);
  EXPECT_EQ(initBound(model.param(1)), 0.0);
}

//===----------------------------------------------------------------------===//
// Determinism and stream independence
//===----------------------------------------------------------------------===//

TEST(InitParamsTest, SameSeedGivesTheSameBytes) {
  TestModel model("M", {{"a", {300, 7}, NNC_INIT_XAVIER_UNIFORM, 300, 7},
                        {"b", {7}, NNC_INIT_ZEROS},
                        {"c", {7, 10}, NNC_INIT_HE_UNIFORM, 7, 10}});
  std::vector<float> first = initialised(model.desc(), 2024);
  std::vector<float> second = initialised(model.desc(), 2024);
  EXPECT_EQ(
      std::memcmp(first.data(), second.data(), first.size() * sizeof(float)),
      0);
}

TEST(InitParamsTest, DifferentSeedsGiveDifferentValues) {
  TestModel model("M", {{"a", {1000}, NNC_INIT_XAVIER_UNIFORM, 10, 10}});
  std::vector<float> first = initialised(model.desc(), 1);
  std::vector<float> second = initialised(model.desc(), 2);
  size_t differing = 0;
  for (size_t i = 0; i < first.size(); ++i)
    differing += first[i] != second[i];
  EXPECT_GE(differing, 990u);
}

TEST(InitParamsTest, TensorsWithDifferentNamesGetDifferentStreams) {
  TestModel model("M", {{"l1.weight", {500}, NNC_INIT_XAVIER_UNIFORM, 10, 10},
                        {"l2.weight", {500}, NNC_INIT_XAVIER_UNIFORM, 10, 10}});
  std::vector<float> params = initialised(model.desc(), 5);
  std::vector<float> first = tensorOf(model, 0, params);
  std::vector<float> second = tensorOf(model, 1, params);
  size_t differing = 0;
  for (size_t i = 0; i < first.size(); ++i)
    differing += first[i] != second[i];
  EXPECT_GE(differing, 495u);
}

TEST(InitParamsTest, AddingOrReorderingParametersKeepsTheOthersValues) {
  TestModel before("M",
                   {{"enc.weight", {20, 30}, NNC_INIT_XAVIER_UNIFORM, 20, 30},
                    {"dec.weight", {30, 5}, NNC_INIT_HE_UNIFORM, 30, 5}});
  TestModel after("M",
                  {{"new.weight", {9, 9}, NNC_INIT_XAVIER_UNIFORM, 9, 9},
                   {"dec.weight", {30, 5}, NNC_INIT_HE_UNIFORM, 30, 5},
                   {"enc.bias", {30}, NNC_INIT_ZEROS},
                   {"enc.weight", {20, 30}, NNC_INIT_XAVIER_UNIFORM, 20, 30}},
                  /*gap=*/2);
  std::vector<float> old = initialised(before.desc(), 99);
  std::vector<float> now = initialised(after.desc(), 99);
  EXPECT_EQ(tensorOf(before, 0, old), tensorOf(after, 3, now));
  EXPECT_EQ(tensorOf(before, 1, old), tensorOf(after, 1, now));
}

TEST(InitParamsTest, InitParamMatchesInitParams) {
  TestModel model("M", {{"x", {3}, NNC_INIT_ZEROS},
                        {"w", {40, 3}, NNC_INIT_XAVIER_UNIFORM, 40, 3}});
  std::vector<float> all = initialised(model.desc(), 8);
  std::vector<float> one(120, kSentinel);
  initParam(model.param(1), one.data(), 8);
  EXPECT_EQ(tensorOf(model, 1, all), one);
}

//===----------------------------------------------------------------------===//
// formatShape
//===----------------------------------------------------------------------===//

TEST(FormatShapeTest, PrintsBracketedDims) {
  const int64_t dims[] = {784, 64};
  EXPECT_EQ(formatShape(dims, 2), "[784, 64]");
  EXPECT_EQ(formatShape(dims, 1), "[784]");
  EXPECT_EQ(formatShape(nullptr, 0), "[]");
}

//===----------------------------------------------------------------------===//
// validateDescriptor
//===----------------------------------------------------------------------===//

/// A small valid model; each test breaks one thing.
class ValidateTest : public ::testing::Test {
protected:
  TestModel model{"Net",
                  {{"h.weight", {784, 64}, NNC_INIT_XAVIER_UNIFORM, 784, 64},
                   {"h.bias", {64}, NNC_INIT_ZEROS},
                   {"out.weight", {64, 10}, NNC_INIT_HE_UNIFORM, 64, 10}}};

  /// Expects validation to fail with a message containing every fragment.
  void expectInvalid(std::initializer_list<const char *> fragments) {
    Status status = validateDescriptor(model.desc());
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message().find('\n'), std::string::npos);
    for (const char *fragment : fragments)
      EXPECT_NE(status.message().find(fragment), std::string::npos)
          << "message: " << status.message() << "\nmissing: " << fragment;
  }
};

TEST_F(ValidateTest, AcceptsAWellFormedModel) {
  Status status = validateDescriptor(model.desc());
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(status.message().empty());
}

TEST_F(ValidateTest, AcceptsScalarsAndInputs) {
  TestModel scalar("S", {{"temperature", {}, NNC_INIT_ONES}});
  const int64_t inputShape[] = {1, 28, 28};
  const int64_t outputShape[] = {10};
  nnc_tensor_desc input{"x", 3, inputShape, 784};
  nnc_tensor_desc output{"output", 1, outputShape, 10};
  scalar.mutableDesc().num_inputs = 1;
  scalar.mutableDesc().inputs = &input;
  scalar.mutableDesc().output = &output;
  Status status = validateDescriptor(scalar.desc());
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST_F(ValidateTest, RejectsAnotherAbiVersion) {
  model.mutableDesc().abi_version = NNC_ABI_VERSION + 1;
  std::string found = "ABI version " + std::to_string(NNC_ABI_VERSION + 1);
  std::string implements =
      "implements version " + std::to_string(NNC_ABI_VERSION);
  expectInvalid({"'Net'", found.c_str(), implements.c_str()});
}

TEST_F(ValidateTest, RejectsSizeThatIsNotTheShapeProduct) {
  model.param(1).size = 65;
  expectInvalid({"'h.bias'", "[64]", "size 65"});
}

TEST_F(ValidateTest, RejectsNegativeDimension) {
  static const int64_t shape[] = {-1, 64};
  model.param(0).shape = shape;
  expectInvalid({"'h.weight'", "negative dimension"});
}

TEST_F(ValidateTest, RejectsTensorPastTheBufferEnd) {
  model.mutableDesc().param_size -= 1;
  expectInvalid({"'out.weight'", "does not fit"});
}

TEST_F(ValidateTest, RejectsNegativeOffset) {
  model.param(1).offset = -1;
  expectInvalid({"'h.bias'", "offset -1"});
}

TEST_F(ValidateTest, RejectsOverlappingTensors) {
  model.param(2).offset -= 1;
  expectInvalid({"'h.bias'", "'out.weight'", "overlap"});
}

TEST_F(ValidateTest, RejectsDuplicateNames) {
  model.param(2).name = "h.bias";
  expectInvalid({"'h.bias'", "twice"});
}

TEST_F(ValidateTest, RejectsMissingNames) {
  model.param(1).name = "";
  expectInvalid({"parameter #1", "no name"});
}

TEST_F(ValidateTest, RejectsUnknownInitialiser) {
  model.param(1).init = 42;
  expectInvalid({"'h.bias'", "unknown initialiser kind 42"});
}

TEST_F(ValidateTest, RejectsHeWithoutFanIn) {
  model.param(2).fan_in = 0;
  expectInvalid({"'out.weight'", "He", "fan_in 0"});
}

TEST_F(ValidateTest, RejectsXavierWithoutFans) {
  model.param(0).fan_in = 0;
  model.param(0).fan_out = 0;
  expectInvalid({"'h.weight'", "Xavier"});
}

TEST_F(ValidateTest, RejectsInconsistentOutput) {
  const int64_t outputShape[] = {10};
  nnc_tensor_desc output{"output", 1, outputShape, 11};
  model.mutableDesc().output = &output;
  expectInvalid({"output 'output'", "size 11"});
}

TEST_F(ValidateTest, RejectsShapeProductOverflow) {
  static const int64_t shape[] = {int64_t(1) << 40, int64_t(1) << 40};
  model.param(0).shape = shape;
  expectInvalid({"'h.weight'", "overflows"});
}

} // namespace

//===----------------------------------------------------------------------===//
// Column blocks (`column_blocks`, --parallel's split dense layers)
//===----------------------------------------------------------------------===//

namespace {

/// A 3 x 4 weight stored in 2 column blocks, between two vectors.
struct BlockedModel {
  BlockedModel()
      : model("Blocked",
              {{"a", {5}, NNC_INIT_ONES},
               {"w", {3, 4}, NNC_INIT_XAVIER_UNIFORM, 3, 4},
               {"b", {2}, NNC_INIT_ZEROS}},
              /*gap=*/1) {
    model.param(1).column_blocks = 2;
  }
  TestModel model;
};

} // namespace

TEST(ParamsBlocksTest, ConvertLayoutMovesEachElementToItsBlock) {
  BlockedModel m;
  const nnc_param_desc &w = m.model.param(1);
  std::vector<float> rowMajor(m.model.paramSize());
  for (size_t i = 0; i < rowMajor.size(); ++i)
    rowMajor[i] = float(i);
  std::vector<float> stored(rowMajor.size(), -1.0f);
  convertLayout(m.model.desc(), rowMajor.data(), stored.data(),
                /*toRowMajor=*/false);
  // Element (r, j) of the row-major [3, 4] tensor, independently of
  // convertLayout: block j / 2, row r, column j % 2 of [3, 2] blocks.
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t j = 0; j < 4; ++j)
      EXPECT_EQ(stored[w.offset + (j / 2) * 6 + r * 2 + j % 2],
                rowMajor[w.offset + r * 4 + j])
          << "element (" << r << ", " << j << ")";
  // Everything outside the blocked tensor is copied as it is.
  for (int64_t i = 0; i < w.offset; ++i)
    EXPECT_EQ(stored[i], rowMajor[i]);
  for (size_t i = w.offset + w.size; i < stored.size(); ++i)
    EXPECT_EQ(stored[i], rowMajor[i]);
  std::vector<float> back(rowMajor.size(), -1.0f);
  convertLayout(m.model.desc(), stored.data(), back.data(),
                /*toRowMajor=*/true);
  EXPECT_EQ(back, rowMajor);
}

TEST(ParamsBlocksTest, InitialisesTheRowMajorValuesInTheirBlocks) {
  BlockedModel blocked;
  BlockedModel plain;
  plain.model.param(1).column_blocks = 1;
  ASSERT_TRUE(validateDescriptor(blocked.model.desc()).ok());
  std::vector<float> stored(blocked.model.paramSize(), 7.0f);
  std::vector<float> rowMajor(plain.model.paramSize(), 7.0f);
  initParams(blocked.model.desc(), stored.data(), 5);
  initParams(plain.model.desc(), rowMajor.data(), 5);
  const nnc_param_desc &w = plain.model.param(1);
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t j = 0; j < 4; ++j)
      EXPECT_EQ(stored[w.offset + (j / 2) * 6 + r * 2 + j % 2],
                rowMajor[w.offset + r * 4 + j]);
  // The values are not all equal: a layout mistake would show.
  EXPECT_NE(rowMajor[w.offset], rowMajor[w.offset + 1]);
  EXPECT_TRUE(hasColumnBlocks(blocked.model.desc()));
  EXPECT_FALSE(hasColumnBlocks(plain.model.desc()));
}

TEST(ParamsBlocksTest, ZeroMeansRowMajor) {
  BlockedModel m;
  m.model.param(1).column_blocks = 0;
  EXPECT_TRUE(validateDescriptor(m.model.desc()).ok());
  EXPECT_EQ(columnBlocks(m.model.param(1)), 1);
  EXPECT_FALSE(hasColumnBlocks(m.model.desc()));
}

TEST(ParamsBlocksTest, RefusesBlocksThatDoNotDivideTheColumns) {
  BlockedModel m;
  m.model.param(1).column_blocks = 3;
  Status status = validateDescriptor(m.model.desc());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "model 'Blocked' parameter 'w' of shape [3, 4] "
                              "cannot be stored in 3 column blocks");
  m.model.param(1).column_blocks = 2;
  m.model.param(0).column_blocks = 5; // rank 1
  EXPECT_FALSE(validateDescriptor(m.model.desc()).ok());
  m.model.param(0).column_blocks = -1;
  EXPECT_FALSE(validateDescriptor(m.model.desc()).ok());
}
