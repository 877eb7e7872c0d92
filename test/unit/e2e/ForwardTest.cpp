//===- ForwardTest.cpp - Compiled forward passes vs. a naive reference ----===//
//
// The models of forward_models.nn are compiled by nnc at build time and
// linked in. Each is run on random inputs at batch sizes 1, 7, 37 and 64 and
// compared with a reference written here with plain loops in double
// precision; it shares no code with the compiler. Parameters are random and
// the padding between parameter tensors is NaN, so reading outside a tensor
// poisons the result instead of passing silently.
//
//===----------------------------------------------------------------------===//

#include "forward_models.h"

#include <gtest/gtest.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using Vec = std::vector<double>;

/// Looks a parameter up by name in the descriptor and checks its shape.
const float *param(const nnc_model_desc &desc, const std::vector<float> &buffer,
                   const std::string &name, std::vector<int64_t> shape) {
  for (int64_t i = 0; i < desc.num_params; ++i) {
    const nnc_param_desc &p = desc.params[i];
    if (name != p.name)
      continue;
    EXPECT_EQ(std::vector<int64_t>(p.shape, p.shape + p.rank), shape) << name;
    return buffer.data() + p.offset;
  }
  ADD_FAILURE() << "no parameter '" << name << "' in " << desc.name;
  static const float zeros[1 << 20] = {};
  return zeros;
}

Vec dense(const Vec &x, int64_t batch, int64_t in, int64_t out, const float *w,
          const float *b) {
  Vec y(batch * out);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t j = 0; j < out; ++j) {
      double acc = b[j];
      for (int64_t k = 0; k < in; ++k)
        acc += x[n * in + k] * double(w[k * out + j]);
      y[n * out + j] = acc;
    }
  return y;
}

Vec map(Vec x, const std::function<double(double)> &f) {
  for (double &v : x)
    v = f(v);
  return x;
}

double relu(double v) { return v > 0 ? v : 0; }
double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }
double tanhd(double v) { return std::tanh(v); }

Vec softmax(Vec x, int64_t width) {
  for (size_t row = 0; row < x.size(); row += width) {
    double max = x[row];
    for (int64_t i = 1; i < width; ++i)
      max = std::max(max, x[row + i]);
    double sum = 0;
    for (int64_t i = 0; i < width; ++i)
      sum += x[row + i] = std::exp(x[row + i] - max);
    for (int64_t i = 0; i < width; ++i)
      x[row + i] /= sum;
  }
  return x;
}

Vec zip(const Vec &a, const Vec &b,
        const std::function<double(double, double)> &f) {
  Vec r(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    r[i] = f(a[i], b[i]);
  return r;
}

Vec toDouble(const std::vector<float> &v) { return Vec(v.begin(), v.end()); }

/// Random parameters scaled by 1/sqrt(fan_in), NaN in the padding.
std::vector<float> randomParams(const nnc_model_desc &desc, unsigned seed) {
  std::vector<float> buffer(desc.param_size,
                            std::numeric_limits<float>::quiet_NaN());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (int64_t i = 0; i < desc.num_params; ++i) {
    const nnc_param_desc &p = desc.params[i];
    float scale = 1.0f / std::sqrt(float(p.fan_in));
    for (int64_t j = 0; j < p.size; ++j)
      buffer[p.offset + j] = uniform(rng) * scale;
  }
  return buffer;
}

std::vector<float> randomInput(int64_t size, unsigned seed) {
  std::vector<float> v(size);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-2, 2);
  for (float &x : v)
    x = uniform(rng);
  return v;
}

void expectClose(const std::vector<float> &actual, const Vec &expected) {
  ASSERT_EQ(actual.size(), expected.size());
  double worst = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_FALSE(std::isnan(actual[i])) << "NaN at " << i;
    worst = std::max(worst, std::abs(actual[i] - expected[i]));
  }
  EXPECT_LE(worst, 1e-4);
}

class ForwardTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(ForwardTest, Tiny) {
  int64_t batch = GetParam();
  const nnc_model_desc &d = nnc_Tiny_desc;
  std::vector<float> p = randomParams(d, 1), x = randomInput(batch * 3, 2);
  std::vector<float> out(batch * 2, -1);
  nnc_Tiny_forward(p.data(), x.data(), batch, out.data());

  Vec h = map(dense(toDouble(x), batch, 3, 4, param(d, p, "h.weight", {3, 4}),
                    param(d, p, "h.bias", {4})),
              relu);
  expectClose(out, dense(h, batch, 4, 2, param(d, p, "output.weight", {4, 2}),
                         param(d, p, "output.bias", {2})));
}

TEST_P(ForwardTest, Deep) {
  int64_t batch = GetParam();
  const nnc_model_desc &d = nnc_Deep_desc;
  std::vector<float> p = randomParams(d, 3), x = randomInput(batch * 64, 4);
  std::vector<float> out(batch * 10, -1);
  nnc_Deep_forward(p.data(), x.data(), batch, out.data());

  Vec h =
      map(dense(toDouble(x), batch, 64, 32, param(d, p, "h.weight", {64, 32}),
                param(d, p, "h.bias", {32})),
          tanhd);
  h = map(dense(h, batch, 32, 32, param(d, p, "h_2.weight", {32, 32}),
                param(d, p, "h_2.bias", {32})),
          sigmoid);
  Vec g = map(dense(h, batch, 32, 16, param(d, p, "g.weight", {32, 16}),
                    param(d, p, "g.bias", {16})),
              relu);
  g = dense(g, batch, 16, 16, param(d, p, "g_2.weight", {16, 16}),
            param(d, p, "g_2.bias", {16}));
  g = zip(g, zip(g, g, [](double a, double b) { return a * b; }),
          [](double a, double b) { return a + b; });
  Vec y = dense(g, batch, 16, 10, param(d, p, "output.weight", {16, 10}),
                param(d, p, "output.bias", {10}));
  expectClose(out, softmax(y, 10));
}

TEST_P(ForwardTest, Wide) {
  int64_t batch = GetParam();
  const nnc_model_desc &d = nnc_Wide_desc;
  std::vector<float> p = randomParams(d, 5), x = randomInput(batch * 784, 6);
  std::vector<float> out(batch * 10, -1);
  nnc_Wide_forward(p.data(), x.data(), batch, out.data());

  Vec h = map(dense(toDouble(x), batch, 784, 256,
                    param(d, p, "h.weight", {784, 256}),
                    param(d, p, "h.bias", {256})),
              relu);
  h = map(dense(h, batch, 256, 128, param(d, p, "h_2.weight", {256, 128}),
                param(d, p, "h_2.bias", {128})),
          relu);
  expectClose(out,
              dense(h, batch, 128, 10, param(d, p, "output.weight", {128, 10}),
                    param(d, p, "output.bias", {10})));
}

TEST_P(ForwardTest, TwoInputs) {
  int64_t batch = GetParam();
  const nnc_model_desc &d = nnc_TwoInputs_desc;
  std::vector<float> p = randomParams(d, 7), a = randomInput(batch * 5, 8),
                     b = randomInput(batch * 5, 9);
  std::vector<float> out(batch * 3, -1);
  nnc_TwoInputs_forward(p.data(), a.data(), b.data(), batch, out.data());

  Vec s = zip(dense(toDouble(a), batch, 5, 8, param(d, p, "s.weight", {5, 8}),
                    param(d, p, "s.bias", {8})),
              dense(toDouble(b), batch, 5, 8, param(d, p, "s_2.weight", {5, 8}),
                    param(d, p, "s_2.bias", {8})),
              [](double x, double y) { return x + y; });
  s = map(s, sigmoid);
  Vec y = dense(s, batch, 8, 3, param(d, p, "output.weight", {8, 3}),
                param(d, p, "output.bias", {3}));
  expectClose(out, softmax(y, 3));
}

// 37 and 64 rows take the packed weight of Wide's first layer (a wide
// layer's products pack from 32 rows, nnc-tile-contractions), 37 with 5
// rows left over; 1 and 7 read it unpacked.
INSTANTIATE_TEST_SUITE_P(Batches, ForwardTest, ::testing::Values(1, 7, 37, 64),
                         [](const auto &info) {
                           return "batch" + std::to_string(info.param);
                         });

TEST(ForwardTest, EmptyBatchWritesNothing) {
  std::vector<float> p = randomParams(nnc_Wide_desc, 1);
  float sentinel = 42;
  nnc_Wide_forward(p.data(), nullptr, 0, &sentinel);
  EXPECT_EQ(sentinel, 42);
}

#if defined(__x86_64__) || defined(__i386__)
/// The entry points flush subnormals to zero (runtime/nnc_model.h) and
/// leave the caller's MXCSR as they found it. Tiny with every weight 1e-20
/// and inputs 1e-20: each product is 1e-40, a subnormal, so the hidden
/// units (and the output, their sum through weights of 1) are 0 when
/// flushed and 1.2e-39 in IEEE arithmetic.
TEST(SubnormalTest, FlushedToZeroAndCallerModeRestored) {
  const nnc_model_desc &d = nnc_Tiny_desc;
  std::vector<float> p(d.param_size, 0.0f);
  for (int64_t j = 0; j < 3 * 4; ++j)
    p[d.params[0].offset + j] = 1e-20f;
  for (int64_t j = 0; j < 4 * 2; ++j)
    p[d.params[2].offset + j] = 1.0f;
  ASSERT_STREQ(d.params[0].name, "h.weight");
  ASSERT_STREQ(d.params[2].name, "output.weight");
  std::vector<float> x(3, 1e-20f), out(2, -1.0f);

  unsigned before = _mm_getcsr();
  ASSERT_EQ(before & 0x8040u, 0u) << "the test process flushes already";
  nnc_Tiny_forward(p.data(), x.data(), 1, out.data());
  EXPECT_EQ(_mm_getcsr(), before);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 0.0f);

  // The same arithmetic here, in the caller's IEEE mode, keeps them.
  volatile float w = 1e-20f, v = 1e-20f;
  float product = w * v;
  EXPECT_GT(product, 0.0f);
  EXPECT_LT(product, std::numeric_limits<float>::min());
}
#endif

TEST(DescriptorTest, DescribesParametersAndShapes) {
  const nnc_model_desc &d = nnc_Deep_desc;
  EXPECT_EQ(d.abi_version, uint32_t(NNC_ABI_VERSION));
  EXPECT_STREQ(d.name, "Deep");
  ASSERT_EQ(d.num_inputs, 1);
  EXPECT_STREQ(d.inputs[0].name, "img");
  EXPECT_EQ(std::vector<int64_t>(d.inputs[0].shape, d.inputs[0].shape + 3),
            (std::vector<int64_t>{1, 8, 8}));
  EXPECT_EQ(d.inputs[0].size, 64);
  EXPECT_EQ(d.output->rank, 1);
  EXPECT_EQ(d.output->size, 10);

  const char *names[] = {
      "h.weight", "h.bias",     "h_2.weight", "h_2.bias",      "g.weight",
      "g.bias",   "g_2.weight", "g_2.bias",   "output.weight", "output.bias"};
  ASSERT_EQ(d.num_params, 10);
  int64_t end = 0;
  for (int64_t i = 0; i < d.num_params; ++i) {
    const nnc_param_desc &p = d.params[i];
    EXPECT_STREQ(p.name, names[i]);
    EXPECT_EQ(p.offset % 16, 0) << p.name << " is not 64-byte aligned";
    EXPECT_GE(p.offset, end) << p.name << " overlaps the previous tensor";
    int64_t size = 1;
    for (int32_t k = 0; k < p.rank; ++k)
      size *= p.shape[k];
    EXPECT_EQ(p.size, size) << p.name;
    end = p.offset + p.size;
    bool isBias = std::strstr(p.name, ".bias") != nullptr;
    EXPECT_EQ(p.init, isBias ? NNC_INIT_ZEROS
                      : std::string(p.name) == "g.weight"
                          ? NNC_INIT_HE_UNIFORM
                          : NNC_INIT_XAVIER_UNIFORM)
        << p.name;
  }
  EXPECT_GE(d.param_size, end);
  EXPECT_EQ(d.params[0].fan_in, 64);
  EXPECT_EQ(d.params[0].fan_out, 32);
}

TEST(HeaderTest, WrapperRunsTheModel) {
  nnc::models::Tiny model;
  static_assert(nnc::models::Tiny::kInputSize_x == 3);
  static_assert(nnc::models::Tiny::kOutputSize == 2);
  std::vector<float> p = randomParams(model.descriptor(), 11);
  std::copy(p.begin(), p.end(), model.params());
  std::vector<float> x = randomInput(2 * 3, 12);
  std::vector<float> viaWrapper = model.forward(x);
  std::vector<float> direct(2 * 2);
  nnc_Tiny_forward(p.data(), x.data(), 2, direct.data());
  EXPECT_EQ(viaWrapper, direct);
}

} // namespace
