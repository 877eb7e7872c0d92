//===- main.cpp - Embedding a model compiled by nnc -----------------------===//
//
// The smallest complete use of a compiled model: the build compiled
// examples/mlp.nn into an object and `mlp.h`; this program initialises the
// parameters with the runtime (seeded, so the output is reproducible), saves
// and reloads them as a checkpoint, runs a batch through the model and
// prints each example's most likely class.
//
//   nnc-embed-example [checkpoint-path]
//
//===----------------------------------------------------------------------===//

#include "mlp.h"

#include "runtime/Checkpoint.h"
#include "runtime/Params.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  using Model = nnc::models::MLP;
  const nnc_model_desc &desc = Model::descriptor();
  if (nnc::Status status = nnc::validateDescriptor(desc); !status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }

  Model model;
  nnc::initParams(desc, model.params(), /*seed=*/42);
  std::printf("model %s: %lld parameter tensors, %lld floats\n", desc.name,
              (long long)desc.num_params, (long long)desc.param_size);

  std::string checkpoint = argc > 1 ? argv[1] : "mlp-example.nncp";
  if (nnc::Status status = nnc::saveParams(checkpoint, desc, model.params());
      !status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  Model restored;
  if (nnc::Status status = nnc::loadParams(checkpoint, desc, restored.params());
      !status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  std::printf("saved and reloaded the parameters via %s\n", checkpoint.c_str());

  // Four synthetic 28x28 "images": smooth patterns of different frequency.
  constexpr int64_t batch = 4;
  std::vector<float> images(batch * Model::kInputSize_x);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t i = 0; i < Model::kInputSize_x; ++i)
      images[n * Model::kInputSize_x + i] =
          0.5f + 0.5f * std::sin(float(i % 28) * (n + 1) * 0.2f) *
                     std::cos(float(i / 28) * 0.1f);

  std::vector<float> probabilities = restored.forward(images);
  for (int64_t n = 0; n < batch; ++n) {
    const float *p = &probabilities[n * Model::kOutputSize];
    int best = 0;
    float sum = 0;
    for (int c = 0; c < Model::kOutputSize; ++c) {
      sum += p[c];
      if (p[c] > p[best])
        best = c;
    }
    std::printf(
        "example %lld: class %d (p = %.4f, probabilities sum to %.4f)\n",
        (long long)n, best, p[best], sum);
  }
  return 0;
}
