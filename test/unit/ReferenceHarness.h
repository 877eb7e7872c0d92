//===- ReferenceHarness.h - JIT-compiled models vs. references --*- C++ -*-===//
//
// What the reference tests (conv/ConvReferenceTest.cpp,
// recurrent/RecurrentReferenceTest.cpp) share: a tolerance-based comparison
// of double vectors that reports the worst element, compiling a model source
// with --f64 through the JIT once per process (at -O2, or at -O0 with LLVM's
// code generator unoptimised too), and a handle on one compiled model with a
// train block that runs its forward, gradient and train_step entry points.
// Parameters come out random with NaN in the padding between tensors, and
// gradient buffers start out NaN, so an out-of-bounds read or an element the
// model fails to write shows up in the comparison. The references themselves
// and their tolerances stay in each test.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TEST_UNIT_REFERENCEHARNESS_H
#define NNC_TEST_UNIT_REFERENCEHARNESS_H

#include "tools/nnc/Compilation.h"
#include "tools/nnc/Jit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace nnc::test {

using Vec = std::vector<double>;
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

/// Whether every element of `actual` is within `rel` times the largest
/// |expected|, plus `abs`, of `expected` (NaN never is); the message names
/// the worst element either way, so a negative check that unexpectedly
/// matches says by how much.
inline ::testing::AssertionResult
matches(const Vec &actual, const Vec &expected, double rel, double abs = 0) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected " << expected.size();
  double scale = 0;
  for (double e : expected)
    scale = std::max(scale, std::abs(e));
  double tol = rel * scale + abs, worst = -1;
  size_t at = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    double err = std::abs(actual[i] - expected[i]);
    if (std::isnan(err))
      err = kInf;
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  std::ostringstream os;
  os.precision(17);
  if (!actual.empty())
    os << "worst element " << at << ": " << actual[at] << " vs expected "
       << expected[at] << ", |error| " << worst << ", tolerance " << tol << " ("
       << actual.size() << " elements)";
  if (worst <= tol)
    return ::testing::AssertionSuccess() << os.str();
  return ::testing::AssertionFailure() << os.str();
}

//===----------------------------------------------------------------------===//
// Compiled models
//===----------------------------------------------------------------------===//

using ForwardFn = void (*)(const double *, const double *, int64_t, double *);
using GradientFn = double (*)(const double *, double *, uint64_t,
                              const double *, const void *, int64_t, void *);
using TrainStepFn = double (*)(double *, double *, double *, int64_t, uint64_t,
                               const double *, const void *, int64_t, void *);

/// A 64-byte aligned byte buffer.
struct AlignedBuffer {
  explicit AlignedBuffer(int64_t bytes)
      : data(std::aligned_alloc(
            64, std::max<int64_t>(64, (bytes + 63) / 64 * 64))) {}
  ~AlignedBuffer() { std::free(data); }
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  void *data;
};

/// The models of one source, compiled with --f64 and JIT-linked.
struct CompiledSource {
  std::unique_ptr<JitSession> jit;
  std::vector<ModelInfo> models;
};

/// Compiles `source` at `optLevel` (2 or 0; at 0 the JIT generates code
/// without optimisation too) once per process (compiling is the slow part of
/// the tests); null, with a test failure, if it does not compile.
inline CompiledSource *compileOnce(const std::string &source,
                                   unsigned optLevel = 2) {
  static std::map<std::pair<std::string, unsigned>,
                  std::unique_ptr<CompiledSource>>
      cache;
  auto [it, inserted] = cache.try_emplace({source, optLevel});
  if (!inserted) {
    if (!it->second)
      ADD_FAILURE() << "did not compile (see the first failure):\n" << source;
    return it->second.get();
  }
  CompilationOptions options;
  options.f64 = true;
  options.optLevel = optLevel;
  Compilation compilation(options);
  CodegenOptions codegen;
  codegen.optLevel = optLevel;
  auto tm = createTargetMachine(codegen);
  if (!tm) {
    ADD_FAILURE() << llvm::toString(tm.takeError());
    return nullptr;
  }
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = compilation.compileToLLVMIR(
      llvm::MemoryBuffer::getMemBufferCopy(source, "test.nn"), "test.nn",
      *context, **tm);
  if (!module) {
    ADD_FAILURE() << llvm::toString(module.takeError()) << "\n" << source;
    return nullptr;
  }
  auto jit = JitSession::create(std::move(*module), std::move(context),
                                optLevel == 0 ? llvm::CodeGenOptLevel::None
                                              : llvm::CodeGenOptLevel::Default);
  if (!jit) {
    ADD_FAILURE() << llvm::toString(jit.takeError());
    return nullptr;
  }
  auto compiled = std::make_unique<CompiledSource>();
  compiled->jit = std::move(*jit);
  compiled->models.assign(compilation.models().begin(),
                          compilation.models().end());
  it->second = std::move(compiled);
  return it->second.get();
}

/// One compiled model with one input and a train block.
class Model {
public:
  /// Model `name` of `source` compiled at `optLevel`; null, with a test
  /// failure, if unavailable.
  static std::unique_ptr<Model> get(const std::string &source,
                                    const std::string &name,
                                    unsigned optLevel = 2) {
    CompiledSource *compiled = compileOnce(source, optLevel);
    if (!compiled)
      return nullptr;
    for (const ModelInfo &info : compiled->models) {
      if (info.name != name)
        continue;
      if (!info.isF64 || !info.train || info.inputs.size() != 1) {
        ADD_FAILURE() << name << ": expected an f64 model with a train block";
        return nullptr;
      }
      auto model = std::unique_ptr<Model>(new Model(info));
      auto lookup = [&](const char *entry) -> void * {
        auto addr = compiled->jit->lookup("nnc_" + name + "_" + entry);
        if (!addr) {
          ADD_FAILURE() << llvm::toString(addr.takeError());
          return nullptr;
        }
        return *addr;
      };
      model->forwardFn = reinterpret_cast<ForwardFn>(lookup("forward"));
      model->gradientFn = reinterpret_cast<GradientFn>(lookup("gradient"));
      model->trainStepFn = reinterpret_cast<TrainStepFn>(lookup("train_step"));
      if (!model->forwardFn || !model->gradientFn || !model->trainStepFn)
        return nullptr;
      return model;
    }
    ADD_FAILURE() << "no model " << name;
    return nullptr;
  }

  const ModelInfo &info() const { return modelInfo; }

  /// The parameter `name` (an empty one, with a test failure, if absent).
  const ParamInfo &param(const std::string &name) const {
    for (const ParamInfo &p : modelInfo.params)
      if (p.name == name)
        return p;
    ADD_FAILURE() << "no parameter " << name << " in " << modelInfo.name;
    static const ParamInfo none;
    return none;
  }

  /// The parameter `name`; fails the test if its shape is not `shape`.
  const ParamInfo &param(const std::string &name,
                         const std::vector<int64_t> &shape) const {
    const ParamInfo &p = param(name);
    EXPECT_EQ(std::vector<int64_t>(p.shape.begin(), p.shape.end()), shape)
        << name;
    return p;
  }

  /// A copy of parameter `name` out of a flat buffer.
  Vec read(const Vec &buffer, const std::string &name,
           const std::vector<int64_t> &shape) const {
    const ParamInfo &p = param(name, shape);
    return Vec(buffer.begin() + p.offset, buffer.begin() + p.offset + p.size);
  }
  /// Parameter `name` of a flat buffer, by name alone.
  Vec read(const Vec &buffer, const std::string &name) const {
    const ParamInfo &p = param(name);
    return Vec(buffer.begin() + p.offset, buffer.begin() + p.offset + p.size);
  }
  void write(Vec &buffer, const std::string &name, const Vec &values) const {
    const ParamInfo &p = param(name);
    ASSERT_EQ(int64_t(values.size()), p.size) << name;
    std::copy(values.begin(), values.end(), buffer.begin() + p.offset);
  }

  /// Uniform(-0.5, 0.5) parameters, NaN in the padding between tensors.
  Vec randomParams(std::mt19937 &rng) const {
    Vec buffer(modelInfo.paramSize, kNaN);
    std::uniform_real_distribution<double> uniform(-0.5, 0.5);
    for (const ParamInfo &p : modelInfo.params)
      for (int64_t i = 0; i < p.size; ++i)
        buffer[p.offset + i] = uniform(rng);
    return buffer;
  }

  Vec forward(const Vec &params, const Vec &x, int64_t batch) const {
    Vec out(batch * modelInfo.output.size(), kNaN);
    forwardFn(params.data(), x.data(), batch, out.data());
    return out;
  }

  /// The gradient entry point (training mode); `grads` starts out NaN.
  double gradient(const Vec &params, Vec &grads, uint64_t seed, const Vec &x,
                  const Vec &targets, int64_t batch) const {
    grads.assign(modelInfo.paramSize, kNaN);
    AlignedBuffer workspace(workspaceBytes(batch));
    return gradientFn(params.data(), grads.data(), seed, x.data(),
                      targets.data(), batch, workspace.data);
  }

  /// One train step (step 1, zeroed optimizer state), in place on `params`.
  double trainStep(Vec &params, Vec &grads, uint64_t seed, const Vec &x,
                   const Vec &targets, int64_t batch) const {
    grads.assign(modelInfo.paramSize, kNaN);
    Vec optState(std::max<int64_t>(1, modelInfo.train->statesPerParam *
                                          modelInfo.paramSize),
                 0.0);
    AlignedBuffer workspace(workspaceBytes(batch));
    return trainStepFn(params.data(), grads.data(), optState.data(), 1, seed,
                       x.data(), targets.data(), batch, workspace.data);
  }

private:
  explicit Model(const ModelInfo &info) : modelInfo(info) {}
  int64_t workspaceBytes(int64_t batch) const {
    return modelInfo.train->workspaceFixed +
           batch * modelInfo.train->workspacePerExample;
  }

  const ModelInfo &modelInfo;
  ForwardFn forwardFn = nullptr;
  GradientFn gradientFn = nullptr;
  TrainStepFn trainStepFn = nullptr;
};

//===----------------------------------------------------------------------===//
// Sources and data
//===----------------------------------------------------------------------===//

/// `model <name>(x: f32[in]) -> f32[out] { body }` with an mse/sgd train
/// block; `body` is the statements, the last one without a newline.
inline std::string modelSource(const std::string &name,
                               const std::vector<int64_t> &in,
                               const std::vector<int64_t> &out,
                               const std::string &body) {
  auto shape = [](const std::vector<int64_t> &s) {
    std::string text = "f32[";
    for (size_t i = 0; i < s.size(); ++i)
      text += (i ? ", " : "") + std::to_string(s[i]);
    return text + "]";
  };
  return "model " + name + "(x: " + shape(in) + ") -> " + shape(out) + " {\n" +
         body + "\n}\n\ntrain " + name +
         " {\n  loss = mse\n  optimizer = sgd(lr=0.1)\n}\n";
}

/// Uniform values in [lo, hi).
inline Vec randomVec(int64_t size, std::mt19937 &rng, double lo = -1,
                     double hi = 1) {
  std::uniform_real_distribution<double> uniform(lo, hi);
  Vec v(size);
  for (double &x : v)
    x = uniform(rng);
  return v;
}

/// mean((y - t)^2) and its gradient 2 (y - t) / numel.
inline double mseLoss(const Vec &y, const Vec &t, Vec &dy) {
  double sum = 0;
  dy.resize(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    sum += (y[i] - t[i]) * (y[i] - t[i]);
    dy[i] = 2 * (y[i] - t[i]) / double(y.size());
  }
  return sum / double(y.size());
}

/// A seed for case `name` at `batch`: FNV-1a of the name plus the batch.
inline uint32_t seedOf(const std::string &name, int64_t batch) {
  uint32_t h = 2166136261u;
  for (char ch : name)
    h = (h ^ uint8_t(ch)) * 16777619u;
  return h + uint32_t(batch);
}

} // namespace nnc::test

#endif // NNC_TEST_UNIT_REFERENCEHARNESS_H
