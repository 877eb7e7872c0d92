//===- FashionMnistTrainTest.cpp - Training on Fashion-MNIST ----*- C++ -*-===//
//
// Trains a hand-written softmax regression (784 pixels -> 10 classes, SGD)
// on the installed Fashion-MNIST through loadFashionMnist and nnc::train, the
// path a compiled model takes, and expects the accuracy such a linear model
// reaches (0.83 after three epochs here; 0.84 is typical when converged).
// Skipped when Debian's dataset-fashion-mnist is not installed; labelled `slow`
// (a few seconds).
//
//===----------------------------------------------------------------------===//

#include "runtime/Dataset.h"
#include "runtime/Params.h"
#include "runtime/Trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

using namespace nnc;

namespace {

constexpr int64_t kPixels = 784;
constexpr int64_t kClasses = 10;
constexpr int64_t kParamSize = kPixels * kClasses + kClasses;
constexpr float kLearningRate = 0.1f;

/// Probabilities of one example; `w` is [kPixels, kClasses], then the bias.
void forward(const float *params, const float *x, float *prob) {
  const float *bias = params + kPixels * kClasses;
  std::copy_n(bias, kClasses, prob);
  for (int64_t p = 0; p < kPixels; ++p)
    for (int64_t c = 0; c < kClasses; ++c)
      prob[c] += x[p] * params[p * kClasses + c];
  float largest = *std::max_element(prob, prob + kClasses);
  float sum = 0;
  for (int64_t c = 0; c < kClasses; ++c)
    sum += prob[c] = std::exp(prob[c] - largest);
  for (int64_t c = 0; c < kClasses; ++c)
    prob[c] /= sum;
}

float trainStep(float *params, float *grads, float *, int64_t, uint64_t,
                const float *x, const void *labelsRaw, int64_t batch,
                void *workspace) {
  const auto *labels = static_cast<const int32_t *>(labelsRaw);
  auto *prob = static_cast<float *>(workspace);
  std::fill(grads, grads + kParamSize, 0.0f);
  float loss = 0;
  for (int64_t n = 0; n < batch; ++n) {
    const float *xn = x + n * kPixels;
    forward(params, xn, prob);
    loss -= std::log(std::max(prob[labels[n]], 1e-30f));
    prob[labels[n]] -= 1.0f;
    for (int64_t p = 0; p < kPixels; ++p)
      for (int64_t c = 0; c < kClasses; ++c)
        grads[p * kClasses + c] += xn[p] * prob[c];
    for (int64_t c = 0; c < kClasses; ++c)
      grads[kPixels * kClasses + c] += prob[c];
  }
  float scale = kLearningRate / static_cast<float>(batch);
  for (int64_t i = 0; i < kParamSize; ++i)
    params[i] -= scale * grads[i];
  return loss / static_cast<float>(batch);
}

float eval(const float *params, const float *x, const void *labelsRaw,
           int64_t batch, int64_t *correct, void *workspace) {
  const auto *labels = static_cast<const int32_t *>(labelsRaw);
  auto *prob = static_cast<float *>(workspace);
  float loss = 0;
  *correct = 0;
  for (int64_t n = 0; n < batch; ++n) {
    forward(params, x + n * kPixels, prob);
    loss -= std::log(std::max(prob[labels[n]], 1e-30f));
    *correct += std::max_element(prob, prob + kClasses) - prob == labels[n];
  }
  return loss / static_cast<float>(batch);
}

TEST(FashionMnistTrainTest, SoftmaxRegressionReachesItsKnownAccuracy) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) +
                               "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Dataset train, test;
  Status status = loadFashionMnist(kFashionMnistDir, Split::Train, train);
  ASSERT_TRUE(status.ok()) << status.message();
  status = loadFashionMnist(kFashionMnistDir, Split::Test, test);
  ASSERT_TRUE(status.ok()) << status.message();

  int64_t weightShape[] = {kPixels, kClasses}, biasShape[] = {kClasses};
  int64_t inputShape[] = {1, 28, 28}, outputShape[] = {kClasses};
  nnc_param_desc params[] = {{"out.weight", 2, weightShape, 0,
                              kPixels * kClasses, NNC_INIT_XAVIER_UNIFORM,
                              kPixels, kClasses},
                             {"out.bias", 1, biasShape, kPixels * kClasses,
                              kClasses, NNC_INIT_ZEROS, 0, 0}};
  nnc_tensor_desc input = {"x", 3, inputShape, kPixels};
  nnc_tensor_desc output = {"output", 1, outputShape, kClasses};
  nnc_train_desc trainDesc{};
  trainDesc.loss = NNC_LOSS_SOFTMAX_CROSS_ENTROPY;
  trainDesc.optimizer = NNC_OPTIMIZER_SGD;
  trainDesc.lr = kLearningRate;
  trainDesc.batch = 64;
  trainDesc.epochs = 3;
  trainDesc.workspace_fixed = 64;
  trainDesc.train_step = trainStep;
  trainDesc.eval = eval;
  nnc_model_desc desc{};
  desc.abi_version = NNC_ABI_VERSION;
  desc.name = "FashionSoftmax";
  desc.num_params = 2;
  desc.params = params;
  desc.param_size = kParamSize;
  desc.num_inputs = 1;
  desc.inputs = &input;
  desc.output = &output;
  desc.train = &trainDesc;

  std::vector<float> values(kParamSize);
  initParams(desc, values.data(), 1);
  TrainOptions options;
  options.seed = 1;
  options.progress = TrainOptions::Progress::Lines;
  TrainReport report;
  status = nnc::train(desc, values.data(), train, &test, options, report);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(report.epochs.size(), 3u);
  EXPECT_LT(report.epochs[2].trainLoss, report.epochs[0].trainLoss);
  EXPECT_GT(report.finalTestAccuracy, 0.80);
  EXPECT_EQ(report.steps, 3 * 938); // ceil(60000 / 64) per epoch
}

} // namespace
