//===- ConvReferenceTest.cpp - Spatial layers vs. a naive reference -------===//
//
// conv2d, maxpool2d, avgpool2d, global_avgpool, batchnorm and dropout are
// compiled in double precision through the JIT, run forward and through the
// `gradient` entry point (mse loss), and compared with references written
// here as plain loops in double precision straight from the definitions;
// they share no code with the compiler's lowering. The gradient with respect
// to an op's input is observed as the weight gradient of a 1x1 convolution
// put in front of it. Shapes are deliberately awkward: non-square inputs and
// kernels, channel counts that are not multiples of 8, asymmetric `same`
// padding, groups, dilation and overlapping pooling windows. Every
// comparison is also made against a deliberately wrong reference (a flipped
// kernel, a window one row off, the wrong tie-break, the wrong statistics),
// which must disagree: that shows the harness can fail.
//
// Parameters are random and the padding between parameter tensors is NaN, so
// a read outside a tensor poisons the result instead of passing silently;
// gradient buffers start out NaN too, so an element the model fails to write
// fails the comparison.
//
//===----------------------------------------------------------------------===//

#include "test/unit/ReferenceHarness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using namespace nnc::test;

/// Forward values agree to rounding (f64 on both sides).
constexpr double kForwardTol = 1e-9;
/// Gradients go through longer sums; still far below any real error.
constexpr double kGradTol = 1e-8;
/// The gradient of a bias right before batch norm is exactly zero (the
/// normalization removes any shift), so both sides are rounding noise
/// around 0: compare batch norm's gradients with this absolute floor too.
constexpr double kZeroFloor = 1e-12;

//===----------------------------------------------------------------------===//
// Reference: convolution and pooling
//===----------------------------------------------------------------------===//

/// A batch of images [N, C, H, W], row-major.
struct Image {
  int64_t n = 0, c = 0, h = 0, w = 0;
  Vec v;
  Image() = default;
  Image(int64_t n, int64_t c, int64_t h, int64_t w)
      : n(n), c(c), h(h), w(w), v(n * c * h * w, 0.0) {}
  Image(int64_t n, int64_t c, int64_t h, int64_t w, Vec values)
      : n(n), c(c), h(h), w(w), v(std::move(values)) {
    EXPECT_EQ(int64_t(v.size()), n * c * h * w);
  }
  int64_t index(int64_t i, int64_t ch, int64_t y, int64_t x) const {
    return ((i * c + ch) * h + y) * w + x;
  }
  double &operator()(int64_t i, int64_t ch, int64_t y, int64_t x) {
    return v[index(i, ch, y, x)];
  }
  double operator()(int64_t i, int64_t ch, int64_t y, int64_t x) const {
    return v[index(i, ch, y, x)];
  }
  bool inside(int64_t y, int64_t x) const {
    return y >= 0 && y < h && x >= 0 && x < w;
  }
};

/// A sliding window: kernel, stride, dilation and the padding on each side.
/// Position (oy, ky) reads input row oy * sh - top + ky * dh; rows outside
/// the input are padding.
struct Window {
  int64_t kh, kw, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t top = 0, left = 0, bottom = 0, right = 0;

  int64_t outH(int64_t h) const {
    return (h + top + bottom - (dh * (kh - 1) + 1)) / sh + 1;
  }
  int64_t outW(int64_t w) const {
    return (w + left + right - (dw * (kw - 1) + 1)) / sw + 1;
  }
};

/// TensorFlow's `same` padding for one dimension: out = ceil(in / stride),
/// the odd extra row or column on the bottom / right.
void samePadding(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                 int64_t &before, int64_t &after) {
  int64_t out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>(0, (out - 1) * stride +
                                           dilation * (kernel - 1) + 1 - in);
  before = total / 2;
  after = total - before;
}

struct ConvSpec {
  int64_t filters, groups = 1;
  bool bias = true;
  Window win;
  /// Broken reference: the kernel rotated by 180 degrees.
  bool flipKernel = false;

  int64_t weightIndex(int64_t channelsPerGroup, int64_t f, int64_t c,
                      int64_t ky, int64_t kx) const {
    if (flipKernel) {
      ky = win.kh - 1 - ky;
      kx = win.kw - 1 - kx;
    }
    return ((f * channelsPerGroup + c) * win.kh + ky) * win.kw + kx;
  }
};

/// Visits every (output element, weight element, input element) triple of a
/// convolution whose input element is not padding.
template <typename Fn>
void forEachConvTap(const Image &x, const ConvSpec &s, const Image &y, Fn fn) {
  const Window &k = s.win;
  int64_t cg = x.c / s.groups, fg = s.filters / s.groups;
  for (int64_t n = 0; n < y.n; ++n)
    for (int64_t f = 0; f < s.filters; ++f)
      for (int64_t oy = 0; oy < y.h; ++oy)
        for (int64_t ox = 0; ox < y.w; ++ox)
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t ky = 0; ky < k.kh; ++ky)
              for (int64_t kx = 0; kx < k.kw; ++kx) {
                int64_t iy = oy * k.sh - k.top + ky * k.dh;
                int64_t ix = ox * k.sw - k.left + kx * k.dw;
                if (!x.inside(iy, ix))
                  continue;
                fn(y.index(n, f, oy, ox), s.weightIndex(cg, f, c, ky, kx),
                   x.index(n, f / fg * cg + c, iy, ix), f);
              }
}

Image conv2d(const Image &x, const Vec &w, const Vec &b, const ConvSpec &s) {
  Image y(x.n, s.filters, s.win.outH(x.h), s.win.outW(x.w));
  for (int64_t n = 0; n < y.n; ++n)
    for (int64_t f = 0; f < y.c; ++f)
      for (int64_t oy = 0; oy < y.h; ++oy)
        for (int64_t ox = 0; ox < y.w; ++ox)
          y(n, f, oy, ox) = s.bias ? b[f] : 0.0;
  forEachConvTap(x, s, y, [&](int64_t yi, int64_t wi, int64_t xi, int64_t) {
    y.v[yi] += w[wi] * x.v[xi];
  });
  return y;
}

/// dL/dx, dL/dw and dL/db of conv2d from dL/dy.
void conv2dBackward(const Image &x, const Vec &w, const ConvSpec &s,
                    const Image &dy, Image &dx, Vec &dw, Vec &db) {
  dx = Image(x.n, x.c, x.h, x.w);
  dw.assign(w.size(), 0.0);
  db.assign(s.filters, 0.0);
  forEachConvTap(x, s, dy, [&](int64_t yi, int64_t wi, int64_t xi, int64_t) {
    dx.v[xi] += w[wi] * dy.v[yi];
    dw[wi] += x.v[xi] * dy.v[yi];
  });
  for (int64_t n = 0; n < dy.n; ++n)
    for (int64_t f = 0; f < dy.c; ++f)
      for (int64_t oy = 0; oy < dy.h; ++oy)
        for (int64_t ox = 0; ox < dy.w; ++ox)
          db[f] += dy(n, f, oy, ox);
}

/// Max pooling; padding is -inf, ties go to the first maximum in row-major
/// window order (the last one with `lastTie`, a broken reference). `argmax`
/// receives the input index each output came from.
Image maxpool2d(const Image &x, const Window &k, bool lastTie,
                std::vector<int64_t> &argmax) {
  Image y(x.n, x.c, k.outH(x.h), k.outW(x.w));
  argmax.assign(y.v.size(), -1);
  for (int64_t n = 0; n < y.n; ++n)
    for (int64_t c = 0; c < y.c; ++c)
      for (int64_t oy = 0; oy < y.h; ++oy)
        for (int64_t ox = 0; ox < y.w; ++ox) {
          double best = -kInf;
          int64_t at = -1;
          for (int64_t ky = 0; ky < k.kh; ++ky)
            for (int64_t kx = 0; kx < k.kw; ++kx) {
              int64_t iy = oy * k.sh - k.top + ky * k.dh;
              int64_t ix = ox * k.sw - k.left + kx * k.dw;
              if (!x.inside(iy, ix))
                continue;
              double v = x(n, c, iy, ix);
              if (v > best || (lastTie && v == best)) {
                best = v;
                at = x.index(n, c, iy, ix);
              }
            }
          y(n, c, oy, ox) = best;
          argmax[y.index(n, c, oy, ox)] = at;
        }
  return y;
}

Image maxpool2dBackward(const Image &x, const std::vector<int64_t> &argmax,
                        const Image &dy) {
  Image dx(x.n, x.c, x.h, x.w);
  for (size_t i = 0; i < dy.v.size(); ++i)
    if (argmax[i] >= 0)
      dx.v[argmax[i]] += dy.v[i];
  return dx;
}

/// Average pooling with zero padding counted in the mean: the divisor is
/// always kh * kw. `dy` null: forward into the result; otherwise the input
/// gradient.
Image avgpool2d(const Image &x, const Window &k, const Image *dy = nullptr) {
  Image y(x.n, x.c, k.outH(x.h), k.outW(x.w));
  Image dx(x.n, x.c, x.h, x.w);
  double divisor = double(k.kh * k.kw);
  for (int64_t n = 0; n < y.n; ++n)
    for (int64_t c = 0; c < y.c; ++c)
      for (int64_t oy = 0; oy < y.h; ++oy)
        for (int64_t ox = 0; ox < y.w; ++ox)
          for (int64_t ky = 0; ky < k.kh; ++ky)
            for (int64_t kx = 0; kx < k.kw; ++kx) {
              int64_t iy = oy * k.sh - k.top + ky * k.dh;
              int64_t ix = ox * k.sw - k.left + kx * k.dw;
              if (!x.inside(iy, ix))
                continue;
              if (dy)
                dx(n, c, iy, ix) += (*dy)(n, c, oy, ox) / divisor;
              else
                y(n, c, oy, ox) += x(n, c, iy, ix) / divisor;
            }
  return dy ? dx : y;
}

/// The mean over each channel, [N, C, 1, 1], over the first `columns`
/// columns (all of them, except in a broken reference). `dy` as for
/// avgpool2d.
Image globalAvgpool(const Image &x, int64_t columns,
                    const Image *dy = nullptr) {
  Image y(x.n, x.c, 1, 1);
  Image dx(x.n, x.c, x.h, x.w);
  double count = double(x.h * columns);
  for (int64_t n = 0; n < x.n; ++n)
    for (int64_t c = 0; c < x.c; ++c)
      for (int64_t iy = 0; iy < x.h; ++iy)
        for (int64_t ix = 0; ix < columns; ++ix) {
          if (dy)
            dx(n, c, iy, ix) += (*dy)(n, c, 0, 0) / count;
          else
            y(n, c, 0, 0) += x(n, c, iy, ix) / count;
        }
  return dy ? dx : y;
}

//===----------------------------------------------------------------------===//
// Windowed ops: forward and gradients
//===----------------------------------------------------------------------===//

enum class Op { Conv, MaxPool, AvgPool, GlobalAvgPool };

/// One model: optionally a 1x1 convolution `h = conv2d(x, c, 1, bias=false)`
/// (so the op's input gradient becomes h.weight's gradient), then the op
/// under test as the returned value (parameters `output.*`).
struct WindowCase {
  const char *name;
  int64_t c, h, w; // the input [C, H, W]
  bool front;
  Op op;
  const char *call; // the op, on `h` with a front layer, else on `x`
  ConvSpec conv;    // conv: the whole spec; pools: the window only
  /// Inputs in {0, 1} and dyadic front weights: the 1x1 convolution is
  /// exact, so equal input pixels give exactly tied maxima.
  bool ties = false;
  /// Broken reference: shift every window down one row (pools), take the
  /// last tied maximum, drop the last column (global_avgpool) or flip the
  /// kernel (conv).
  bool broken = false;

  std::vector<int64_t> outShape() const {
    switch (op) {
    case Op::Conv:
      return {conv.filters, conv.win.outH(h), conv.win.outW(w)};
    case Op::MaxPool:
    case Op::AvgPool:
      return {c, conv.win.outH(h), conv.win.outW(w)};
    case Op::GlobalAvgPool:
      return {c};
    }
    return {};
  }

  std::string source() const {
    std::string body;
    if (front)
      body = "  h = conv2d(x, " + std::to_string(c) + ", 1, bias=false)\n";
    return modelSource(name, {c, h, w}, outShape(), body + "  return " + call);
  }

  ConvSpec frontSpec() const {
    ConvSpec s;
    s.filters = c;
    s.bias = false;
    s.win.kh = s.win.kw = 1;
    return s;
  }
};

/// What the reference computes for one batch.
struct WindowReference {
  Vec y;
  double loss;
  Vec dFront, dWeight, dBias; // h.weight, output.weight, output.bias
};

WindowReference referenceOf(const WindowCase &c, const Image &x,
                            const Vec &front, const Vec &weight,
                            const Vec &bias, const Vec &targets) {
  WindowReference r;
  Vec unused;
  Image in = c.front ? conv2d(x, front, unused, c.frontSpec()) : x;
  Window win = c.conv.win;
  if (c.broken && c.op != Op::Conv && !c.ties) {
    --win.top;
    ++win.bottom;
  }
  ConvSpec spec = c.conv;
  spec.flipKernel = c.broken;

  Image y, dy, din;
  std::vector<int64_t> argmax;
  switch (c.op) {
  case Op::Conv:
    y = conv2d(in, weight, bias, spec);
    break;
  case Op::MaxPool:
    y = maxpool2d(in, win, c.broken && c.ties, argmax);
    break;
  case Op::AvgPool:
    y = avgpool2d(in, win);
    break;
  case Op::GlobalAvgPool:
    y = globalAvgpool(in, c.broken ? in.w - 1 : in.w);
    break;
  }
  r.y = y.v;
  dy = Image(y.n, y.c, y.h, y.w);
  r.loss = mseLoss(y.v, targets, dy.v);
  switch (c.op) {
  case Op::Conv:
    conv2dBackward(in, weight, spec, dy, din, r.dWeight, r.dBias);
    break;
  case Op::MaxPool:
    din = maxpool2dBackward(in, argmax, dy);
    break;
  case Op::AvgPool:
    din = avgpool2d(in, win, &dy);
    break;
  case Op::GlobalAvgPool:
    din = globalAvgpool(in, c.broken ? in.w - 1 : in.w, &dy);
    break;
  }
  if (c.front) {
    Image dx;
    conv2dBackward(x, front, c.frontSpec(), din, dx, r.dFront, unused);
  }
  return r;
}

Window window(int64_t kh, int64_t kw, int64_t sh, int64_t sw,
              std::array<int64_t, 4> pad = {0, 0, 0, 0}, int64_t dh = 1,
              int64_t dw = 1) {
  Window k;
  k.kh = kh;
  k.kw = kw;
  k.sh = sh;
  k.sw = sw;
  k.dh = dh;
  k.dw = dw;
  k.top = pad[0];
  k.left = pad[1];
  k.bottom = pad[2];
  k.right = pad[3];
  return k;
}

ConvSpec convSpec(int64_t filters, Window win, int64_t groups = 1,
                  bool bias = true) {
  ConvSpec s;
  s.filters = filters;
  s.win = win;
  s.groups = groups;
  s.bias = bias;
  return s;
}

/// `same` padding computed independently of the compiler, [top, left,
/// bottom, right].
std::array<int64_t, 4> same(int64_t h, int64_t w, int64_t kh, int64_t kw,
                            int64_t sh, int64_t sw, int64_t dh = 1,
                            int64_t dw = 1) {
  std::array<int64_t, 4> pad;
  samePadding(h, kh, sh, dh, pad[0], pad[2]);
  samePadding(w, kw, sw, dw, pad[1], pad[3]);
  return pad;
}

const WindowCase kWindowCases[] = {
    // conv2d: non-square kernel, symmetric [h, w] padding, stride 2, input
    // straight from x.
    {"ConvStridePadding", 3, 7, 5, false, Op::Conv,
     "conv2d(x, 5, [3, 2], stride=2, padding=[2, 1])",
     convSpec(5, window(3, 2, 2, 2, {2, 1, 2, 1}))},
    // Asymmetric `same` with stride 2 (1 above / 2 below, 0 left / 1
    // right), groups 3.
    {"ConvSameStride2Groups3", 6, 9, 8, true, Op::Conv,
     "conv2d(h, 6, [4, 3], stride=2, padding=same, groups=3)",
     convSpec(6, window(4, 3, 2, 2, same(9, 8, 4, 3, 2, 2)), 3)},
    // Dilation 2 with int padding, groups 2 (3 channels, 2 filters each).
    {"ConvDilationGroups2", 6, 8, 7, true, Op::Conv,
     "conv2d(h, 4, [2, 3], dilation=2, padding=1, groups=2)",
     convSpec(4, window(2, 3, 1, 1, {1, 1, 1, 1}, 2, 2), 2)},
    // valid, per-dimension stride and dilation, no bias, 7 channels.
    {"ConvValidNoBias", 7, 6, 9, true, Op::Conv,
     "conv2d(h, 3, [3, 2], stride=[1, 2], dilation=[2, 1], padding=valid, "
     "bias=false)",
     convSpec(3, window(3, 2, 1, 2, {0, 0, 0, 0}, 2, 1), 1, false)},
    // `same` at stride 1 with an even dilated kernel: odd total on top.
    {"ConvSameDilated", 5, 6, 7, true, Op::Conv,
     "conv2d(h, 5, [2, 4], padding=same, dilation=[1, 2])",
     convSpec(5, window(2, 4, 1, 1, same(6, 7, 2, 4, 1, 1, 1, 2), 1, 2))},
    // Overlapping windows (kernel 3, stride 2), the last row / column of
    // the input never read.
    {"MaxPoolOverlap", 5, 9, 8, true, Op::MaxPool, "maxpool2d(h, 3, stride=2)",
     convSpec(0, window(3, 3, 2, 2))},
    {"MaxPoolPadding", 3, 7, 6, true, Op::MaxPool,
     "maxpool2d(h, [3, 2], stride=[2, 1], padding=1)",
     convSpec(0, window(3, 2, 2, 1, {1, 1, 1, 1}))},
    {"MaxPoolSame", 7, 8, 7, true, Op::MaxPool,
     "maxpool2d(h, 3, stride=2, padding=same)",
     convSpec(0, window(3, 3, 2, 2, same(8, 7, 3, 3, 2, 2)))},
    // Many exact ties: the gradient must go to the first maximum.
    {"MaxPoolTies", 3, 7, 8, true, Op::MaxPool,
     "maxpool2d(h, 3, stride=2, padding=1)",
     convSpec(0, window(3, 3, 2, 2, {1, 1, 1, 1})), /*ties=*/true},
    // Windows that tile the rows (stride = kernel, no padding) run on
    // vectors of windows: the last row and column of a 7x9 image are in no
    // window, a 2x3 window over 13 columns leaves one, and 40 columns make
    // more than one vector of 16 windows.
    {"MaxPoolTiling", 5, 7, 9, true, Op::MaxPool, "maxpool2d(h, 2)",
     convSpec(0, window(2, 2, 2, 2))},
    {"MaxPoolTilingTies", 3, 8, 8, true, Op::MaxPool, "maxpool2d(h, 2)",
     convSpec(0, window(2, 2, 2, 2)), /*ties=*/true},
    {"MaxPoolTilingWide", 4, 6, 13, true, Op::MaxPool, "maxpool2d(h, [2, 3])",
     convSpec(0, window(2, 3, 2, 3))},
    {"MaxPoolTilingLong", 2, 4, 40, true, Op::MaxPool, "maxpool2d(h, 2)",
     convSpec(0, window(2, 2, 2, 2))},
    {"AvgPoolPadding", 6, 8, 9, true, Op::AvgPool,
     "avgpool2d(h, 3, stride=2, padding=1)",
     convSpec(0, window(3, 3, 2, 2, {1, 1, 1, 1}))},
    // Default stride = kernel; the last input row is not covered.
    {"AvgPoolDefaultStride", 5, 7, 10, true, Op::AvgPool,
     "avgpool2d(h, [2, 3])", convSpec(0, window(2, 3, 2, 3))},
    {"AvgPoolPairPadding", 3, 5, 6, true, Op::AvgPool,
     "avgpool2d(h, [3, 2], stride=[1, 2], padding=[1, 1])",
     convSpec(0, window(3, 2, 1, 2, {1, 1, 1, 1}))},
    {"GlobalAvgPool", 6, 5, 7, true, Op::GlobalAvgPool, "global_avgpool(h)",
     convSpec(0, window(1, 1, 1, 1))},
};

/// All windowed models in one source: one compilation for the suite.
std::string windowSource() {
  std::string source;
  for (const WindowCase &c : kWindowCases)
    source += c.source() + "\n";
  return source;
}

class WindowedOpTest
    : public ::testing::TestWithParam<std::tuple<WindowCase, int64_t>> {};

TEST_P(WindowedOpTest, ForwardAndGradientsMatchReference) {
  const WindowCase &c = std::get<0>(GetParam());
  int64_t batch = std::get<1>(GetParam());
  auto model = Model::get(windowSource(), c.name);
  ASSERT_TRUE(model);
  std::mt19937 rng(seedOf(c.name, batch));

  Vec params = model->randomParams(rng);
  Image x(batch, c.c, c.h, c.w, randomVec(batch * c.c * c.h * c.w, rng));
  Vec front, weight, bias;
  if (c.front) {
    if (c.ties) {
      // Multiples of 1/8 and inputs in {0, 1}: every sum is exact.
      front.resize(c.c * c.c);
      for (double &v : front)
        v = double(int(rng() % 9) - 4) / 8;
      model->write(params, "h.weight", front);
      for (double &v : x.v)
        v = double(rng() % 2);
    }
    front = model->read(params, "h.weight", {c.c, c.c, 1, 1});
  }
  if (c.op == Op::Conv) {
    const Window &k = c.conv.win;
    weight = model->read(params, "output.weight",
                         {c.conv.filters, c.c / c.conv.groups, k.kh, k.kw});
    if (c.conv.bias)
      bias = model->read(params, "output.bias", {c.conv.filters});
  }
  std::vector<int64_t> outShape = c.outShape();
  ASSERT_EQ(std::vector<int64_t>(model->info().output.shape.begin(),
                                 model->info().output.shape.end()),
            outShape);
  Vec targets = randomVec(batch * model->info().output.size(), rng);

  Vec out = model->forward(params, x.v, batch);
  Vec grads;
  double loss = model->gradient(params, grads, /*seed=*/1, x.v, targets, batch);

  // The parameter gradients, compiled and expected, in the same order.
  std::vector<std::string> names;
  if (c.front)
    names.push_back("h.weight");
  if (c.op == Op::Conv) {
    names.push_back("output.weight");
    if (c.conv.bias)
      names.push_back("output.bias");
  }
  auto expectedGrads = [&](const WindowReference &r) {
    std::vector<Vec> v;
    if (c.front)
      v.push_back(r.dFront);
    if (c.op == Op::Conv) {
      v.push_back(r.dWeight);
      if (c.conv.bias)
        v.push_back(r.dBias);
    }
    return v;
  };
  auto gradsMatch = [&](const WindowReference &r, bool report) {
    std::vector<Vec> want = expectedGrads(r);
    bool all = true;
    for (size_t i = 0; i < names.size(); ++i) {
      auto result = matches(model->read(grads, names[i]), want[i], kGradTol);
      if (report)
        EXPECT_TRUE(result) << "gradient of " << names[i];
      all &= bool(result);
    }
    return all;
  };

  WindowReference ref = referenceOf(c, x, front, weight, bias, targets);
  EXPECT_TRUE(matches(out, ref.y, kForwardTol)) << "forward";
  EXPECT_TRUE(matches({loss}, {ref.loss}, kForwardTol)) << "loss";
  gradsMatch(ref, /*report=*/true);

  WindowCase broken = c;
  broken.broken = true;
  WindowReference bad = referenceOf(broken, x, front, weight, bias, targets);
  if (!c.ties)
    EXPECT_FALSE(matches(out, bad.y, kForwardTol))
        << "forward agrees with a broken reference";
  EXPECT_FALSE(gradsMatch(bad, /*report=*/false))
      << "gradients agree with a broken reference";
}

INSTANTIATE_TEST_SUITE_P(Ops, WindowedOpTest,
                         ::testing::Combine(::testing::ValuesIn(kWindowCases),
                                            ::testing::Values(1, 3)),
                         [](const auto &info) {
                           return std::string(std::get<0>(info.param).name) +
                                  "_batch" +
                                  std::to_string(std::get<1>(info.param));
                         });

//===----------------------------------------------------------------------===//
// Batch normalization
//===----------------------------------------------------------------------===//

/// Batch norm over channel dimension 1 of [N, C, H, W] with batch statistics
/// (biased variance), returning them; with `running` statistics given, the
/// inference form instead.
Image batchnorm(const Image &x, const Vec &gamma, const Vec &beta, double eps,
                Vec &mean, Vec &var, const Vec *runningMean = nullptr,
                const Vec *runningVar = nullptr) {
  double m = double(x.n * x.h * x.w);
  mean.assign(x.c, 0.0);
  var.assign(x.c, 0.0);
  for (int64_t n = 0; n < x.n; ++n)
    for (int64_t c = 0; c < x.c; ++c)
      for (int64_t i = 0; i < x.h * x.w; ++i)
        mean[c] += x.v[(n * x.c + c) * x.h * x.w + i] / m;
  for (int64_t n = 0; n < x.n; ++n)
    for (int64_t c = 0; c < x.c; ++c)
      for (int64_t i = 0; i < x.h * x.w; ++i) {
        double d = x.v[(n * x.c + c) * x.h * x.w + i] - mean[c];
        var[c] += d * d / m;
      }
  const Vec &mu = runningMean ? *runningMean : mean;
  const Vec &sigma2 = runningVar ? *runningVar : var;
  Image y(x.n, x.c, x.h, x.w);
  for (int64_t n = 0; n < x.n; ++n)
    for (int64_t c = 0; c < x.c; ++c)
      for (int64_t i = 0; i < x.h * x.w; ++i) {
        int64_t at = (n * x.c + c) * x.h * x.w + i;
        y.v[at] =
            (x.v[at] - mu[c]) / std::sqrt(sigma2[c] + eps) * gamma[c] + beta[c];
      }
  return y;
}

/// dL/dx, dL/dgamma, dL/dbeta of training-mode batch norm: y depends on x
/// through the batch mean and variance too.
Image batchnormBackward(const Image &x, const Vec &gamma, double eps,
                        const Vec &mean, const Vec &var, const Image &dy,
                        Vec &dgamma, Vec &dbeta) {
  int64_t hw = x.h * x.w;
  double m = double(x.n * hw);
  dgamma.assign(x.c, 0.0);
  dbeta.assign(x.c, 0.0);
  Image dx(x.n, x.c, x.h, x.w);
  for (int64_t c = 0; c < x.c; ++c) {
    double inv = 1 / std::sqrt(var[c] + eps);
    for (int64_t n = 0; n < x.n; ++n)
      for (int64_t i = 0; i < hw; ++i) {
        int64_t at = (n * x.c + c) * hw + i;
        dgamma[c] += dy.v[at] * (x.v[at] - mean[c]) * inv;
        dbeta[c] += dy.v[at];
      }
    // dx = gamma inv / m (m dy - sum dy - xhat sum(dy xhat)).
    for (int64_t n = 0; n < x.n; ++n)
      for (int64_t i = 0; i < hw; ++i) {
        int64_t at = (n * x.c + c) * hw + i;
        double xhat = (x.v[at] - mean[c]) * inv;
        dx.v[at] =
            gamma[c] * inv / m * (m * dy.v[at] - dbeta[c] - xhat * dgamma[c]);
      }
  }
  return dx;
}

/// x [N, in] times w [in, out] plus b, as [N, out, 1, 1].
Image dense(const Image &x, const Vec &w, const Vec &b, int64_t out) {
  int64_t in = x.c * x.h * x.w;
  Image y(x.n, out, 1, 1);
  for (int64_t n = 0; n < x.n; ++n)
    for (int64_t j = 0; j < out; ++j) {
      double acc = b[j];
      for (int64_t k = 0; k < in; ++k)
        acc += x.v[n * in + k] * w[k * out + j];
      y.v[n * out + j] = acc;
    }
  return y;
}

/// The batch norm models: a layer with its own gradient in front, then
/// batchnorm as the returned value (parameters output.*).
struct BatchNormCase {
  const char *name;
  bool conv; // 3x3 conv (padding 1, no bias) on [3, 5, 6]; else dense on [7]
  double eps, momentum;
};

const BatchNormCase kBatchNormCases[] = {
    {"BnConv", true, 1e-3, 0.1},
    {"BnDense", false, 1e-5, 0.3},
};

std::string batchNormSource() {
  return modelSource("BnConv", {3, 5, 6}, {5, 5, 6},
                     "  h = conv2d(x, 5, 3, padding=1, bias=false)\n"
                     "  return batchnorm(h, eps=0.001)") +
         "\n" +
         modelSource("BnDense", {7}, {5},
                     "  h = dense(x, 5)\n"
                     "  return batchnorm(h, momentum=0.3)");
}

/// One batch of a batch norm model, its parameters and the reference.
struct BatchNormRun {
  std::unique_ptr<Model> model;
  Vec params, targets;
  Image x;
  Vec frontW, frontB, gamma, beta, runningMean, runningVar;

  // Reference in training mode.
  Image h; // the front layer's output
  Vec mean, var;
  double loss;
  Vec dFrontW, dFrontB, dGamma, dBeta;

  BatchNormRun(const BatchNormCase &c, int64_t batch) {
    model = Model::get(batchNormSource(), c.name);
    if (!model)
      return;
    std::mt19937 rng(seedOf(c.name, batch));
    params = model->randomParams(rng);
    x = c.conv ? Image(batch, 3, 5, 6, randomVec(batch * 90, rng))
               : Image(batch, 7, 1, 1, randomVec(batch * 7, rng));
    // Positive running variances, away from zero.
    model->write(params, "output.running_var", randomVec(5, rng, 0.5, 1.5));
    frontW = c.conv ? model->read(params, "h.weight", {5, 3, 3, 3})
                    : model->read(params, "h.weight", {7, 5});
    if (!c.conv)
      frontB = model->read(params, "h.bias", {5});
    gamma = model->read(params, "output.weight", {5});
    beta = model->read(params, "output.bias", {5});
    runningMean = model->read(params, "output.running_mean", {5});
    runningVar = model->read(params, "output.running_var", {5});
    targets = randomVec(batch * model->info().output.size(), rng);

    ConvSpec spec = frontSpec();
    h = c.conv ? conv2d(x, frontW, {}, spec) : dense(x, frontW, frontB, 5);
    Image y = batchnorm(h, gamma, beta, c.eps, mean, var);
    Image dy(y.n, y.c, y.h, y.w);
    loss = mseLoss(y.v, targets, dy.v);
    Image dh = batchnormBackward(h, gamma, c.eps, mean, var, dy, dGamma, dBeta);
    if (c.conv) {
      Image dx;
      conv2dBackward(x, frontW, spec, dh, dx, dFrontW, dFrontB);
    } else {
      dFrontW.assign(7 * 5, 0.0);
      dFrontB.assign(5, 0.0);
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t j = 0; j < 5; ++j) {
          dFrontB[j] += dh.v[n * 5 + j];
          for (int64_t k = 0; k < 7; ++k)
            dFrontW[k * 5 + j] += x.v[n * 7 + k] * dh.v[n * 5 + j];
        }
    }
  }

  static ConvSpec frontSpec() {
    return convSpec(5, window(3, 3, 1, 1, {1, 1, 1, 1}), 1, false);
  }

  /// The trainable parameters' reference gradients, by name.
  std::vector<std::pair<std::string, Vec>> expectedGrads(bool conv) const {
    std::vector<std::pair<std::string, Vec>> g = {{"h.weight", dFrontW}};
    if (!conv)
      g.push_back({"h.bias", dFrontB});
    g.push_back({"output.weight", dGamma});
    g.push_back({"output.bias", dBeta});
    return g;
  }
};

class BatchNormTest
    : public ::testing::TestWithParam<std::tuple<BatchNormCase, int64_t>> {};

TEST_P(BatchNormTest, TrainingModeUsesBatchStatistics) {
  const BatchNormCase &c = std::get<0>(GetParam());
  int64_t batch = std::get<1>(GetParam());
  BatchNormRun run(c, batch);
  ASSERT_TRUE(run.model);
  Vec grads;
  double loss =
      run.model->gradient(run.params, grads, 1, run.x.v, run.targets, batch);
  EXPECT_TRUE(matches({loss}, {run.loss}, kForwardTol)) << "loss";
  for (auto &[name, want] : run.expectedGrads(c.conv))
    EXPECT_TRUE(
        matches(run.model->read(grads, name), want, kGradTol, kZeroFloor))
        << "gradient of " << name;
  if (!c.conv)
    EXPECT_TRUE(
        matches(run.model->read(grads, "h.bias"), Vec(5, 0.0), 0, kZeroFloor))
        << "a bias before batch norm has no effect";
  // Model state has a zero gradient.
  EXPECT_TRUE(matches(run.model->read(grads, "output.running_mean", {5}),
                      Vec(5, 0.0), 0));
  EXPECT_TRUE(matches(run.model->read(grads, "output.running_var", {5}),
                      Vec(5, 0.0), 0));

  // Negative: the loss with the running statistics (inference form).
  Vec mean, var;
  Image y = batchnorm(run.h, run.gamma, run.beta, c.eps, mean, var,
                      &run.runningMean, &run.runningVar);
  Vec dy;
  EXPECT_FALSE(matches({loss}, {mseLoss(y.v, run.targets, dy)}, kForwardTol))
      << "the training loss agrees with the inference form";
}

TEST_P(BatchNormTest, TrainStepUpdatesRunningStatistics) {
  const BatchNormCase &c = std::get<0>(GetParam());
  int64_t batch = std::get<1>(GetParam());
  BatchNormRun run(c, batch);
  ASSERT_TRUE(run.model);
  Vec after = run.params, grads;
  double loss =
      run.model->trainStep(after, grads, 1, run.x.v, run.targets, batch);
  EXPECT_TRUE(matches({loss}, {run.loss}, kForwardTol)) << "loss";

  // PyTorch: new = (1 - momentum) old + momentum stat, the variance
  // unbiased (m / (m - 1); biased for a single value per channel).
  double m = double(run.h.n * run.h.h * run.h.w);
  double unbias = m > 1 ? m / (m - 1) : 1;
  Vec wantMean(5), wantVar(5), biasedVar(5);
  for (int64_t ch = 0; ch < 5; ++ch) {
    wantMean[ch] =
        (1 - c.momentum) * run.runningMean[ch] + c.momentum * run.mean[ch];
    wantVar[ch] = (1 - c.momentum) * run.runningVar[ch] +
                  c.momentum * run.var[ch] * unbias;
    biasedVar[ch] =
        (1 - c.momentum) * run.runningVar[ch] + c.momentum * run.var[ch];
  }
  Vec gotMean = run.model->read(after, "output.running_mean", {5});
  Vec gotVar = run.model->read(after, "output.running_var", {5});
  EXPECT_TRUE(matches(gotMean, wantMean, kForwardTol)) << "running mean";
  EXPECT_TRUE(matches(gotVar, wantVar, kForwardTol)) << "running var";
  if (m > 1)
    EXPECT_FALSE(matches(gotVar, biasedVar, kForwardTol))
        << "running var agrees with the biased-variance update";

  // The trainable parameters take one SGD step (lr 0.1) along the
  // training-mode gradients.
  for (auto &[name, want] : run.expectedGrads(c.conv)) {
    EXPECT_TRUE(
        matches(run.model->read(grads, name), want, kGradTol, kZeroFloor))
        << "step gradient of " << name;
    Vec stepped = run.model->read(run.params, name);
    for (size_t i = 0; i < stepped.size(); ++i)
      stepped[i] -= 0.1 * want[i];
    EXPECT_TRUE(
        matches(run.model->read(after, name), stepped, kGradTol, kZeroFloor))
        << "update of " << name;
  }
}

TEST_P(BatchNormTest, InferenceUsesRunningStatistics) {
  const BatchNormCase &c = std::get<0>(GetParam());
  int64_t batch = std::get<1>(GetParam());
  BatchNormRun run(c, batch);
  ASSERT_TRUE(run.model);
  Vec out = run.model->forward(run.params, run.x.v, batch);
  Vec mean, var;
  Image want = batchnorm(run.h, run.gamma, run.beta, c.eps, mean, var,
                         &run.runningMean, &run.runningVar);
  EXPECT_TRUE(matches(out, want.v, kForwardTol));
  Image training = batchnorm(run.h, run.gamma, run.beta, c.eps, mean, var);
  EXPECT_FALSE(matches(out, training.v, kForwardTol))
      << "inference agrees with batch statistics";
}

INSTANTIATE_TEST_SUITE_P(
    Models, BatchNormTest,
    ::testing::Combine(::testing::ValuesIn(kBatchNormCases),
                       ::testing::Values(1, 3)),
    [](const auto &info) {
      return std::string(std::get<0>(info.param).name) + "_batch" +
             std::to_string(std::get<1>(info.param));
    });

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

/// dropout(dense(x, 64), 0.5) on [8]. With x_n = e_n (one-hot per example,
/// batch 8), h.weight all ones, h.bias zero and zero targets, every h is 1,
/// y = keep * 2 and dL/dh.weight[k][j] = dL/dh[k][j] = 2 y / 512 * keep * 2:
/// 8 / 512 where example k kept element j, 0 where it dropped it. The weight
/// gradient is the mask, and its nonzero value the scale.
const char *const kDropoutSource = R"(model Drop(x: f32[8]) -> f32[64] {
  h = dense(x, 64)
  return dropout(h, 0.5)
}

train Drop {
  loss = mse
  optimizer = sgd(lr=0.1)
}
)";

constexpr int64_t kDropBatch = 8, kDropUnits = 64;
constexpr double kDropNumel = kDropBatch * kDropUnits;

struct DropoutRun {
  std::unique_ptr<Model> model;
  Vec params, x, targets;

  DropoutRun() {
    model = Model::get(kDropoutSource, "Drop");
    if (!model)
      return;
    params.assign(model->info().paramSize, kNaN);
    model->write(params, "h.weight", Vec(kDropBatch * kDropUnits, 1.0));
    model->write(params, "h.bias", Vec(kDropUnits, 0.0));
    x.assign(kDropBatch * kDropBatch, 0.0);
    for (int64_t n = 0; n < kDropBatch; ++n)
      x[n * kDropBatch + n] = 1;
    targets.assign(kDropBatch * kDropUnits, 0.0);
  }

  /// The mask (1 kept, 0 dropped) of `seed`, [example, unit]; checks that
  /// kept elements were scaled by exactly 2 and the loss agrees.
  Vec mask(uint64_t seed) {
    Vec grads;
    double loss = model->gradient(params, grads, seed, x, targets, kDropBatch);
    Vec w = model->read(grads, "h.weight", {kDropBatch, kDropUnits});
    Vec m(w.size());
    double kept = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      m[i] = w[i] > 0 ? 1 : 0;
      kept += m[i];
    }
    Vec want(w.size());
    for (size_t i = 0; i < w.size(); ++i)
      want[i] = m[i] * 8 / kDropNumel;
    EXPECT_TRUE(matches(w, want, 1e-12))
        << "kept elements are not scaled by 2 (or the rest not zeroed)";
    EXPECT_TRUE(matches({loss}, {4 * kept / kDropNumel}, 1e-12)) << "loss";
    return m;
  }
};

TEST(DropoutTest, TrainingZeroesAboutHalfAndScalesTheRestByTwo) {
  DropoutRun run;
  ASSERT_TRUE(run.model);
  Vec m = run.mask(5);
  double kept = 0;
  for (double v : m)
    kept += v;
  // Binomial(512, 0.5): sd 11.3; [205, 307] is 4.5 sd either side.
  EXPECT_GE(kept, 0.4 * kDropNumel);
  EXPECT_LE(kept, 0.6 * kDropNumel);

  // Negative: no dropout would give 2 / 512 everywhere.
  Vec grads;
  run.model->gradient(run.params, grads, 5, run.x, run.targets, kDropBatch);
  EXPECT_FALSE(
      matches(run.model->read(grads, "h.weight", {kDropBatch, kDropUnits}),
              Vec(kDropBatch * kDropUnits, 2 / kDropNumel), 1e-12))
      << "training mode is the identity";
}

TEST(DropoutTest, MaskDependsOnlyOnTheSeed) {
  DropoutRun run;
  ASSERT_TRUE(run.model);
  Vec a = run.mask(5), again = run.mask(5), other = run.mask(6);
  EXPECT_EQ(a, again);
  int64_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i)
    differ += a[i] != other[i];
  // Independent masks differ in about half the elements.
  EXPECT_GE(differ, int64_t(0.3 * kDropNumel));
}

TEST(DropoutTest, InferenceIsTheIdentity) {
  DropoutRun run;
  ASSERT_TRUE(run.model);
  std::mt19937 rng(17);
  Vec params = run.model->randomParams(rng);
  Image x(3, 8, 1, 1, randomVec(3 * 8, rng));
  Vec out = run.model->forward(params, x.v, 3);
  Image want =
      dense(x, run.model->read(params, "h.weight", {kDropBatch, kDropUnits}),
            run.model->read(params, "h.bias", {kDropUnits}), kDropUnits);
  EXPECT_TRUE(matches(out, want.v, kForwardTol));
}

} // namespace
