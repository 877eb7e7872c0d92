//===- GradCheck.cpp - Generated gradients vs. finite differences ---------===//
//
// In double precision with eps = 1e-6, central differences are accurate to
// about 1e-9 relative for smooth functions, far below the 1e-3 relative
// tolerance, so a failure means a wrong derivative rule, not noise. ReLU's
// kink can in principle fall inside [x - eps, x + eps]; with random data the
// odds are negligible, and the check would then fail loudly, not pass wrongly.
//
// The loss is differentiated in training mode (dropout masks fixed by the
// seed, batch norm on batch statistics), so the finite differences take the
// loss that the gradient entry point itself returns, not eval's inference
// loss.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/GradCheck.h"

#include "runtime/Params.h"
#include "runtime/nnc_model.h"

#include <cmath>
#include <cstdlib>

using namespace llvm;

namespace {

using GradientFn = double (*)(const double *, double *, uint64_t,
                              const double *, const void *, int64_t, void *);

/// A 64-byte aligned byte buffer.
struct AlignedBuffer {
  explicit AlignedBuffer(int64_t bytes)
      : data(std::aligned_alloc(
            64, std::max<int64_t>(64, (bytes + 63) / 64 * 64))) {}
  ~AlignedBuffer() { std::free(data); }
  void *data;
};

} // namespace

Expected<std::vector<nnc::GradCheckResult>>
nnc::gradCheck(JitSession &jit, ArrayRef<ModelInfo> models,
               const GradCheckOptions &options) {
  std::vector<GradCheckResult> results;
  for (const ModelInfo &model : models) {
    if (!model.train)
      continue;
    if (!model.isF64)
      return createStringError("gradcheck needs models compiled with --f64");
    auto gradientAddr = jit.lookup("nnc_" + model.name + "_gradient");
    if (!gradientAddr)
      return gradientAddr.takeError();
    auto gradient = reinterpret_cast<GradientFn>(*gradientAddr);

    int64_t batch = options.batch;
    Pcg32 rng = Pcg32::forTensor(options.seed, model.name.c_str());
    std::vector<double> params(model.paramSize, 0.0);
    for (const ParamInfo &p : model.params) {
      double bound = std::sqrt(6.0 / double(p.fanIn + p.fanOut));
      Pcg32 stream = Pcg32::forTensor(options.seed, p.name.c_str());
      for (int64_t i = 0; i < p.size; ++i)
        params[p.offset + i] = bound * stream.nextSymmetric();
    }
    std::vector<double> x(batch * model.inputs.front().size());
    for (double &v : x)
      v = rng.nextSymmetric();
    std::vector<int32_t> classes;
    std::vector<double> targets;
    const void *labels;
    if (model.train->loss == NNC_LOSS_MSE) {
      targets.resize(batch * model.output.size());
      for (double &v : targets)
        v = rng.nextSymmetric();
      labels = targets.data();
    } else {
      for (int64_t n = 0; n < batch; ++n)
        classes.push_back(int32_t(rng.next() % uint32_t(model.output.size())));
      labels = classes.data();
    }
    AlignedBuffer workspace(model.train->workspaceFixed +
                            batch * model.train->workspacePerExample);

    std::vector<double> grads(model.paramSize, 0.0);
    gradient(params.data(), grads.data(), options.seed, x.data(), labels, batch,
             workspace.data);
    std::vector<double> scratch(model.paramSize, 0.0);
    auto loss = [&] {
      return gradient(params.data(), scratch.data(), options.seed, x.data(),
                      labels, batch, workspace.data);
    };

    for (const ParamInfo &p : model.params) {
      GradCheckResult result;
      result.model = model.name;
      result.param = p.name;
      result.size = p.size;
      std::vector<int64_t> indices;
      if (options.samples == 0 || p.size <= options.samples) {
        for (int64_t i = 0; i < p.size; ++i)
          indices.push_back(i);
      } else {
        Pcg32 pick = Pcg32::forTensor(options.seed + 1, p.name.c_str());
        for (int64_t k = 0; k < options.samples; ++k)
          indices.push_back(int64_t(pick.next()) % p.size);
      }
      for (int64_t i : indices) {
        double &value = params[p.offset + i];
        double saved = value;
        value = saved + options.eps;
        double plus = loss();
        value = saved - options.eps;
        double minus = loss();
        value = saved;
        double numeric = (plus - minus) / (2 * options.eps);
        double analytic = grads[p.offset + i];
        double error = std::abs(analytic - numeric);
        result.maxAbsError = std::max(result.maxAbsError, error);
        result.maxRelError = std::max(
            result.maxRelError, error / std::max(std::abs(numeric), 1e-8));
        if (!(error <= options.atol + options.rtol * std::abs(numeric)))
          result.ok = false;
        ++result.checked;
      }
      results.push_back(result);
    }
  }
  return results;
}
