//===- TrainerTest.cpp - The training loop ----------------------*- C++ -*-===//
//
// Drives nnc::train with hand-written models in place of generated code:
// softmax regression (4 features, 3 classes, SGD with momentum) and linear
// regression (mse, plain SGD), each a plain-loop train_step and eval wrapped
// in a descriptor built here, on small synthetic data sets that are linearly
// separable. A probe inside the fake train_step records every call -- step
// number, batch size, the examples fed, the workspace pointer -- so the tests
// can check what the loop promises: learning, determinism, each example once
// per epoch, the last partial batch, one 64-byte aligned workspace of the
// declared size, bit-identical resume, metrics and progress output, a
// checkpoint per epoch, and that SIGKILL during a checkpoint write never
// leaves a corrupt file.
//
//===----------------------------------------------------------------------===//

#include "runtime/Trainer.h"
#include "runtime/Checkpoint.h"
#include "runtime/Params.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace nnc;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// The fake models
//===----------------------------------------------------------------------===//

constexpr int64_t kFeatures = 4;
constexpr int64_t kClasses = 3;
constexpr int64_t kParamSize = kFeatures * kClasses + kClasses;
constexpr float kLearningRate = 0.1f;
constexpr float kMomentum = 0.9f;
constexpr int64_t kWorkspaceFixed = 256;
/// Three probabilities and a pad float per example.
constexpr int64_t kWorkspacePerExample = 16;

/// What the fake train_step and eval saw; installed by the tests that look.
struct Probe {
  /// Example index by input values, to tell which examples a batch holds.
  std::map<std::array<float, kFeatures>, int64_t> idOf;
  std::vector<int64_t> steps;
  std::vector<int64_t> batches;
  std::vector<std::vector<int64_t>> examples;
  std::set<const void *> workspaces;
  std::set<const void *> evalWorkspaces;
  int64_t largestBatch = 0;
  bool misaligned = false;
  std::function<void(int64_t step)> onStep;
};
Probe *probe = nullptr;

void noteCall(const float *x, int64_t batch, void *workspace, bool isEval) {
  if (reinterpret_cast<uintptr_t>(workspace) % 64 != 0)
    probe->misaligned = true;
  (isEval ? probe->evalWorkspaces : probe->workspaces).insert(workspace);
  probe->largestBatch = std::max(probe->largestBatch, batch);
  if (isEval)
    return;
  probe->batches.push_back(batch);
  std::vector<int64_t> ids;
  for (int64_t n = 0; n < batch; ++n) {
    std::array<float, kFeatures> key;
    std::copy_n(x + n * kFeatures, kFeatures, key.begin());
    auto it = probe->idOf.find(key);
    ids.push_back(it == probe->idOf.end() ? -1 : it->second);
  }
  probe->examples.push_back(std::move(ids));
}

/// Writes every byte of the workspace the descriptor declares for \p batch,
/// as generated code may, and returns where the per-example part starts.
float *touchWorkspace(void *workspace, int64_t batch) {
  auto *bytes = static_cast<unsigned char *>(workspace);
  std::memset(bytes, 0x5a, kWorkspaceFixed + batch * kWorkspacePerExample);
  return reinterpret_cast<float *>(bytes + kWorkspaceFixed);
}

/// Softmax probabilities of one example into \p prob.
void forward(const float *params, const float *x, float *prob) {
  const float *w = params;
  const float *b = params + kFeatures * kClasses;
  float logits[kClasses];
  float largest = -INFINITY;
  for (int64_t c = 0; c < kClasses; ++c) {
    logits[c] = b[c];
    for (int64_t f = 0; f < kFeatures; ++f)
      logits[c] += x[f] * w[f * kClasses + c];
    largest = std::max(largest, logits[c]);
  }
  float sum = 0;
  for (int64_t c = 0; c < kClasses; ++c)
    sum += prob[c] = std::exp(logits[c] - largest);
  for (int64_t c = 0; c < kClasses; ++c)
    prob[c] /= sum;
}

float softmaxTrainStep(float *params, float *grads, float *optState,
                       int64_t step, uint64_t, const float *x,
                       const void *labelsRaw, int64_t batch, void *workspace) {
  if (probe) {
    probe->steps.push_back(step);
    noteCall(x, batch, workspace, false);
    if (probe->onStep)
      probe->onStep(step);
  }
  const auto *labels = static_cast<const int32_t *>(labelsRaw);
  float *probs = touchWorkspace(workspace, batch);
  std::fill(grads, grads + kParamSize, 0.0f);
  float loss = 0;
  for (int64_t n = 0; n < batch; ++n) {
    float *p = probs + 4 * n;
    const float *xn = x + n * kFeatures;
    forward(params, xn, p);
    loss -= std::log(p[labels[n]]);
    for (int64_t c = 0; c < kClasses; ++c) {
      float d = p[c] - (c == labels[n] ? 1.0f : 0.0f);
      for (int64_t f = 0; f < kFeatures; ++f)
        grads[f * kClasses + c] += xn[f] * d;
      grads[kFeatures * kClasses + c] += d;
    }
  }
  for (int64_t i = 0; i < kParamSize; ++i) {
    grads[i] /= static_cast<float>(batch);
    optState[i] = kMomentum * optState[i] + grads[i];
    params[i] -= kLearningRate * optState[i];
  }
  return loss / static_cast<float>(batch);
}

float softmaxEval(const float *params, const float *x, const void *labelsRaw,
                  int64_t batch, int64_t *correct, void *workspace) {
  if (probe)
    noteCall(x, batch, workspace, true);
  const auto *labels = static_cast<const int32_t *>(labelsRaw);
  float *probs = touchWorkspace(workspace, batch);
  float loss = 0;
  *correct = 0;
  for (int64_t n = 0; n < batch; ++n) {
    float *p = probs + 4 * n;
    forward(params, x + n * kFeatures, p);
    loss -= std::log(p[labels[n]]);
    int64_t best = std::max_element(p, p + kClasses) - p;
    *correct += best == labels[n];
  }
  return loss / static_cast<float>(batch);
}

/// y = w . x + b over 2 features, loss mean((y - t)^2), plain SGD.
float linearTrainStep(float *params, float *grads, float *, int64_t, uint64_t,
                      const float *x, const void *targetsRaw, int64_t batch,
                      void *) {
  const auto *targets = static_cast<const float *>(targetsRaw);
  std::fill(grads, grads + 3, 0.0f);
  float loss = 0;
  for (int64_t n = 0; n < batch; ++n) {
    float y = params[0] * x[2 * n] + params[1] * x[2 * n + 1] + params[2];
    float d = y - targets[n];
    loss += d * d;
    grads[0] += 2 * d * x[2 * n];
    grads[1] += 2 * d * x[2 * n + 1];
    grads[2] += 2 * d;
  }
  for (int i = 0; i < 3; ++i)
    params[i] -= 0.05f * grads[i] / static_cast<float>(batch);
  return loss / static_cast<float>(batch);
}

float linearEval(const float *params, const float *x, const void *targetsRaw,
                 int64_t batch, int64_t *correct, void *) {
  const auto *targets = static_cast<const float *>(targetsRaw);
  float loss = 0;
  for (int64_t n = 0; n < batch; ++n) {
    float d = params[0] * x[2 * n] + params[1] * x[2 * n + 1] + params[2] -
              targets[n];
    loss += d * d;
  }
  *correct = 0;
  return loss / static_cast<float>(batch);
}

/// A descriptor such as generated code exports, owning its arrays.
struct FakeModel {
  explicit FakeModel(bool regression = false) {
    if (regression) {
      weightShape = {2, 1};
      biasShape = {1};
      inputShape = {2};
      outputShape = {1};
    }
    int64_t inputs = inputShape[0], outputs = outputShape[0];
    params[0] = {"dense.weight",
                 2,
                 weightShape.data(),
                 0,
                 inputs * outputs,
                 NNC_INIT_XAVIER_UNIFORM,
                 inputs,
                 outputs};
    params[1] = {"dense.bias",
                 1,
                 biasShape.data(),
                 inputs * outputs,
                 outputs,
                 NNC_INIT_ZEROS,
                 0,
                 0};
    input = {"x", 1, inputShape.data(), inputs};
    output = {"output", 1, outputShape.data(), outputs};
    train.loss = regression ? NNC_LOSS_MSE : NNC_LOSS_SOFTMAX_CROSS_ENTROPY;
    train.optimizer = NNC_OPTIMIZER_SGD;
    train.lr = regression ? 0.05 : kLearningRate;
    train.momentum = regression ? 0.0 : kMomentum;
    train.batch = 16;
    train.epochs = 4;
    train.opt_state_size = regression ? 0 : kParamSize;
    train.workspace_fixed = regression ? 0 : kWorkspaceFixed;
    train.workspace_per_example = regression ? 0 : kWorkspacePerExample;
    train.train_step = regression ? linearTrainStep : softmaxTrainStep;
    train.eval = regression ? linearEval : softmaxEval;
    desc.abi_version = NNC_ABI_VERSION;
    desc.name = regression ? "LinearRegression" : "SoftmaxRegression";
    desc.num_params = 2;
    desc.params = params;
    desc.param_size = inputs * outputs + outputs;
    desc.num_inputs = 1;
    desc.inputs = &input;
    desc.output = &output;
    desc.dtype = NNC_DTYPE_F32;
    desc.train = &train;
  }
  FakeModel(const FakeModel &) = delete;
  FakeModel &operator=(const FakeModel &) = delete;

  std::vector<float> initialParams(uint64_t seed = 1) const {
    std::vector<float> values(static_cast<size_t>(desc.param_size));
    initParams(desc, values.data(), seed);
    return values;
  }

  std::vector<int64_t> weightShape{kFeatures, kClasses};
  std::vector<int64_t> biasShape{kClasses};
  std::vector<int64_t> inputShape{kFeatures};
  std::vector<int64_t> outputShape{kClasses};
  nnc_param_desc params[2];
  nnc_tensor_desc input;
  nnc_tensor_desc output;
  nnc_train_desc train{};
  nnc_model_desc desc{};
};

/// \p count examples of three well-separated blobs: class c has feature c
/// near 2 and the others near 0, each within +-0.5, so a linear classifier
/// separates them with a margin.
Dataset makeBlobs(int64_t count, uint64_t seed, const std::string &name) {
  Dataset data;
  data.name = name;
  data.count = count;
  data.shape = {kFeatures};
  data.exampleSize = kFeatures;
  data.numClasses = kClasses;
  Pcg32 rng(seed, 99);
  for (int64_t i = 0; i < count; ++i) {
    auto label = static_cast<int32_t>(i % kClasses);
    data.labels.push_back(label);
    for (int64_t f = 0; f < kFeatures; ++f)
      data.inputs.push_back((f == label ? 2.0f : 0.0f) +
                            0.5f * static_cast<float>(rng.nextSymmetric()));
  }
  return data;
}

/// y = 3 x0 - 2 x1 + 0.5 exactly.
Dataset makeLine(int64_t count, uint64_t seed) {
  Dataset data;
  data.name = "line";
  data.count = count;
  data.shape = {2};
  data.exampleSize = 2;
  data.targetSize = 1;
  Pcg32 rng(seed, 5);
  for (int64_t i = 0; i < count; ++i) {
    float x0 = static_cast<float>(rng.nextSymmetric());
    float x1 = static_cast<float>(rng.nextSymmetric());
    data.inputs.push_back(x0);
    data.inputs.push_back(x1);
    data.targets.push_back(3 * x0 - 2 * x1 + 0.5f);
  }
  return data;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> splitLines(const std::string &text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1)
    lines.push_back(text.substr(start, end - start));
  if (start < text.size())
    lines.push_back(text.substr(start));
  return lines;
}

/// Everything written to a tmpfile FILE*.
std::string contentsOf(std::FILE *file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  for (size_t got; (got = std::fread(buffer, 1, sizeof(buffer), file)) > 0;)
    text.append(buffer, got);
  return text;
}

bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

class TrainerTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::path(::testing::TempDir()) / "nnc-trainer-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    options.progress = TrainOptions::Progress::Off;
    options.seed = 7;
    for (int64_t i = 0; i < trainSet.count; ++i) {
      std::array<float, kFeatures> key;
      std::copy_n(trainSet.inputs.data() + i * kFeatures, kFeatures,
                  key.begin());
      ASSERT_TRUE(recorder.idOf.emplace(key, i).second) << "duplicate input";
    }
  }

  void TearDown() override {
    probe = nullptr;
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  /// Trains fresh initial parameters with \p opts; returns them.
  std::vector<float> trainFresh(const TrainOptions &opts,
                                TrainReport *reportOut = nullptr) {
    std::vector<float> params = model.initialParams();
    TrainReport report;
    Status status =
        train(model.desc, params.data(), trainSet, &testSet, opts, report);
    EXPECT_TRUE(status.ok()) << status.message();
    if (reportOut)
      *reportOut = report;
    return params;
  }

  FakeModel model;
  Dataset trainSet = makeBlobs(103, 11, "blobs-train");
  Dataset testSet = makeBlobs(60, 12, "blobs-test");
  TrainOptions options;
  Probe recorder;
  std::string dir;
};

//===----------------------------------------------------------------------===//
// Learning and determinism
//===----------------------------------------------------------------------===//

TEST_F(TrainerTest, LearnsSeparableData) {
  options.epochs = 8;
  TrainReport report;
  std::vector<float> params = trainFresh(options, &report);
  ASSERT_EQ(report.epochs.size(), 8u);
  EXPECT_LT(report.epochs.back().trainLoss, 0.5 * report.epochs[0].trainLoss);
  for (size_t i = 1; i < report.epochs.size(); ++i)
    EXPECT_LE(report.epochs[i].testLoss, report.epochs[i - 1].testLoss * 1.05)
        << "epoch " << i + 1;
  EXPECT_EQ(report.finalTestAccuracy, 1.0);
  EXPECT_EQ(report.finalTestLoss, report.epochs.back().testLoss);
  EXPECT_EQ(report.startEpoch, 0);
  EXPECT_EQ(report.endEpoch, 8);
  EXPECT_EQ(report.batch, 16);    // the train block's default
  EXPECT_EQ(report.steps, 8 * 7); // ceil(103 / 16) = 7 per epoch
  EXPECT_EQ(report.epochs.back().step, report.steps);
  EXPECT_GT(report.imagesPerSecond, 0);

  EvalReport eval;
  Status status = evaluate(model.desc, params.data(), testSet, 7, eval);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(eval.examples, 60);
  EXPECT_EQ(eval.correct, 60);
  EXPECT_EQ(eval.accuracy, 1.0);
  EXPECT_NEAR(eval.loss, report.finalTestLoss, 1e-6);
}

TEST_F(TrainerTest, EpochsDefaultToTheTrainBlock) {
  TrainReport report;
  trainFresh(options, &report);
  EXPECT_EQ(report.epochs.size(), 4u);
}

TEST_F(TrainerTest, SameSeedGivesIdenticalParameters) {
  options.epochs = 3;
  std::vector<float> first = trainFresh(options);
  std::vector<float> second = trainFresh(options);
  EXPECT_TRUE(sameBits(first, second));
  options.seed = 8;
  std::vector<float> other = trainFresh(options);
  EXPECT_FALSE(sameBits(first, other));
}

TEST_F(TrainerTest, ShuffleMatchesTheDocumentedAlgorithm) {
  // From an independent Python implementation of the algorithm in
  // docs/runtime.md (PCG32 stream per epoch, Fisher-Yates, Lemire's draw).
  struct Case {
    uint64_t seed;
    int64_t epoch;
    std::vector<uint32_t> order;
  };
  const Case cases[] = {
      {42, 0, {3, 9, 5, 6, 2, 1, 4, 8, 7, 0}},
      {42, 1, {0, 5, 3, 8, 2, 6, 1, 9, 7, 4}},
      {0, 0, {10, 2, 13, 8, 11, 9, 15, 12, 7, 14, 6, 1, 5, 0, 4, 3}},
      {123456789, 7, {10, 6, 4, 1, 0, 8, 5, 9, 11, 3, 7, 2, 12}},
  };
  for (const Case &c : cases) {
    std::vector<uint32_t> order(c.order.size(), 77);
    shuffleOrder(c.seed, c.epoch, order);
    EXPECT_EQ(order, c.order) << "seed " << c.seed << " epoch " << c.epoch;
  }
  std::vector<uint32_t> one(1, 5), none;
  shuffleOrder(1, 0, one);
  shuffleOrder(1, 0, none);
  EXPECT_EQ(one, std::vector<uint32_t>{0});
}

TEST_F(TrainerTest, TrainsAnMseModel) {
  FakeModel line(/*regression=*/true);
  Dataset data = makeLine(200, 3), held = makeLine(50, 4);
  std::vector<float> params = line.initialParams();
  options.epochs = 20;
  options.batch = 10;
  options.metricsPath = dir + "/metrics.jsonl";
  TrainReport report;
  Status status = train(line.desc, params.data(), data, &held, options, report);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_LT(report.finalTestLoss, 1e-3);
  EXPECT_TRUE(std::isnan(report.finalTestAccuracy));
  EXPECT_NEAR(params[0], 3.0f, 0.05f);
  EXPECT_NEAR(params[1], -2.0f, 0.05f);
  EXPECT_NEAR(params[2], 0.5f, 0.05f);
  std::string metrics = readFile(options.metricsPath);
  EXPECT_NE(metrics.find("\"test_accuracy\":null"), std::string::npos)
      << metrics;
}

//===----------------------------------------------------------------------===//
// What train_step is fed
//===----------------------------------------------------------------------===//

TEST_F(TrainerTest, FeedsEveryExampleOncePerEpochInTheShuffledOrder) {
  probe = &recorder;
  options.epochs = 3;
  options.batch = 10;
  trainFresh(options);
  // 103 examples: ten batches of 10 and a last one of 3, per epoch.
  ASSERT_EQ(recorder.batches.size(), 33u);
  std::vector<int64_t> steps(33);
  for (int64_t i = 0; i < 33; ++i)
    steps[i] = i + 1;
  EXPECT_EQ(recorder.steps, steps);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> fed;
    for (int64_t b = 0; b < 11; ++b) {
      EXPECT_EQ(recorder.batches[epoch * 11 + b], b < 10 ? 10 : 3);
      const std::vector<int64_t> &ids = recorder.examples[epoch * 11 + b];
      fed.insert(fed.end(), ids.begin(), ids.end());
    }
    std::vector<uint32_t> order(103);
    shuffleOrder(7, epoch, order);
    EXPECT_EQ(fed, std::vector<int64_t>(order.begin(), order.end()))
        << "epoch " << epoch;
    std::vector<int64_t> sorted = fed;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 103; ++i)
      ASSERT_EQ(sorted[i], i) << "epoch " << epoch;
  }
  EXPECT_NE(recorder.examples[0], recorder.examples[11]);
}

TEST_F(TrainerTest, BatchLargerThanTheDataSetIsOneBatch) {
  probe = &recorder;
  options.epochs = 2;
  options.batch = 1000;
  trainFresh(options);
  EXPECT_EQ(recorder.batches, (std::vector<int64_t>{103, 103}));
}

TEST_F(TrainerTest, OneAlignedWorkspaceLargeEnoughForEveryCall) {
  probe = &recorder;
  options.epochs = 2;
  options.batch = 10;
  options.evalBatch = 25; // eval batches are larger than training batches
  trainFresh(options);
  ASSERT_EQ(recorder.workspaces.size(), 1u);
  EXPECT_EQ(recorder.evalWorkspaces, recorder.workspaces);
  EXPECT_FALSE(recorder.misaligned);
  EXPECT_EQ(recorder.largestBatch, 25);
}

#if defined(__GLIBC__)
TEST_F(TrainerTest, WorkspaceAllocationCoversTheLargestBatch) {
  // Checked from inside the step, while the block is alive.
  size_t usable = 0;
  probe = &recorder;
  recorder.onStep = [&](int64_t) {
    usable =
        ::malloc_usable_size(const_cast<void *>(*recorder.workspaces.begin()));
  };
  options.epochs = 1;
  options.batch = 40;
  options.evalBatch = 50;
  trainFresh(options);
  EXPECT_GE(usable, size_t(kWorkspaceFixed + 50 * kWorkspacePerExample));
}
#endif

//===----------------------------------------------------------------------===//
// Resume
//===----------------------------------------------------------------------===//

TEST_F(TrainerTest, ResumeAfterAnyEpochIsBitIdentical) {
  options.epochs = 5;
  options.batch = 12; // not the default, so resume must take it from the file
  options.savePath = dir + "/full.ckpt";
  std::vector<float> uninterrupted = trainFresh(options);
  std::string fullCheckpoint = readFile(options.savePath);

  for (int64_t k = 1; k < 5; ++k) {
    SCOPED_TRACE("resume after epoch " + std::to_string(k));
    TrainOptions first = options;
    first.epochs = k;
    first.savePath = dir + "/part.ckpt";
    trainFresh(first);

    TrainOptions second = options;
    second.batch = 0;
    second.seed = 999; // ignored: the run keeps its seed
    second.resumePath = first.savePath;
    second.savePath = first.savePath;
    std::vector<float> params(uninterrupted.size(), -1.0f);
    TrainReport report;
    Status status =
        train(model.desc, params.data(), trainSet, &testSet, second, report);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_TRUE(sameBits(params, uninterrupted));
    EXPECT_EQ(readFile(first.savePath), fullCheckpoint);
    EXPECT_EQ(report.startEpoch, k);
    EXPECT_EQ(report.epochs.size(), size_t(5 - k));
    EXPECT_EQ(report.epochs.front().epoch, k + 1);
    EXPECT_EQ(report.batch, 12);
    EXPECT_EQ(report.seed, 7u);
  }
}

TEST_F(TrainerTest, ResumingAFinishedRunOnlyEvaluates) {
  options.epochs = 2;
  options.savePath = dir + "/done.ckpt";
  std::vector<float> trained = trainFresh(options);
  probe = &recorder;
  TrainOptions again = options;
  again.resumePath = options.savePath;
  std::vector<float> params(trained.size(), 0.0f);
  TrainReport report;
  Status status =
      train(model.desc, params.data(), trainSet, &testSet, again, report);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(recorder.steps.empty());
  EXPECT_TRUE(report.epochs.empty());
  EXPECT_TRUE(sameBits(params, trained));
  EvalReport eval;
  Status evaluated = evaluate(model.desc, params.data(), testSet, 0, eval);
  ASSERT_TRUE(evaluated.ok()) << evaluated.message();
  EXPECT_EQ(report.finalTestLoss, eval.loss);
  EXPECT_EQ(report.finalTestAccuracy, eval.accuracy);
}

TEST_F(TrainerTest, ResumeRefusesAnotherRun) {
  options.epochs = 1;
  options.savePath = dir + "/run.ckpt";
  trainFresh(options);
  std::vector<float> params(kParamSize, -1.0f);
  TrainReport report;
  auto refused = [&](TrainOptions opts, const Dataset &data,
                     const std::string &expected) {
    std::vector<float> target = params;
    Status status =
        train(model.desc, target.data(), data, nullptr, opts, report);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message(), expected);
    EXPECT_TRUE(sameBits(target, params)) << "refused resume wrote params";
  };
  TrainOptions resume = options;
  resume.resumePath = options.savePath;
  resume.epochs = 3;
  std::string prefix =
      "cannot resume from checkpoint '" + options.savePath + "': ";

  TrainOptions otherBatch = resume;
  otherBatch.batch = 32;
  refused(otherBatch, trainSet,
          prefix + "its run uses batch size 16, not 32; a resumed run keeps "
                   "its batch size (leave it unset)");
  refused(resume, makeBlobs(90, 11, "smaller"),
          prefix + "its run trains on 103 examples per epoch but the "
                   "training set 'smaller' has 90; a resumed run must see "
                   "the same data");

  model.train.opt_state_size = 0; // as if compiled without momentum
  refused(resume, trainSet,
          "checkpoint '" + options.savePath +
              "' holds 15 optimizer state elements but model "
              "'SoftmaxRegression' has 0");
  model.train.opt_state_size = kParamSize;
  model.train.optimizer = NNC_OPTIMIZER_ADAM;
  refused(resume, trainSet,
          "checkpoint '" + options.savePath +
              "' holds the state of optimizer 'sgd' but model "
              "'SoftmaxRegression' trains with 'adam'");
  model.train.optimizer = NNC_OPTIMIZER_SGD;

  std::vector<float> values = model.initialParams();
  ASSERT_TRUE(saveParams(dir + "/plain.ckpt", model.desc, values.data()).ok());
  TrainOptions plain = resume;
  plain.resumePath = dir + "/plain.ckpt";
  refused(plain, trainSet,
          "checkpoint '" + plain.resumePath +
              "' holds parameters only, no training state to resume from");
}

//===----------------------------------------------------------------------===//
// Outputs: checkpoints, metrics, progress
//===----------------------------------------------------------------------===//

TEST_F(TrainerTest, WritesACheckpointAfterEachEpoch) {
  options.epochs = 4;
  options.batch = 20; // 6 steps per epoch
  options.savePath = dir + "/every.ckpt";
  std::vector<int64_t> seen;
  probe = &recorder;
  recorder.onStep = [&](int64_t step) {
    if ((step - 1) % 6 != 0)
      return;
    // First step of an epoch: the previous epoch's checkpoint is there.
    std::vector<float> params(kParamSize), optState(kParamSize);
    TrainingState state;
    Status status = loadTrainingCheckpoint(
        options.savePath, model.desc, params.data(), optState.data(), state);
    seen.push_back(status.ok() ? state.epoch : -1);
    if (status.ok())
      EXPECT_EQ(state.step, step - 1);
  };
  std::vector<float> trained = trainFresh(options);
  EXPECT_EQ(seen, (std::vector<int64_t>{-1, 1, 2, 3}));
  std::vector<float> params(kParamSize), optState(kParamSize);
  TrainingState state;
  Status status = loadTrainingCheckpoint(options.savePath, model.desc,
                                         params.data(), optState.data(), state);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(state.epoch, 4);
  EXPECT_EQ(state.step, 24);
  EXPECT_EQ(state.seed, 7u);
  EXPECT_EQ(state.batch, 20);
  EXPECT_EQ(state.examples, 103);
  EXPECT_TRUE(sameBits(params, trained));
  // Only the checkpoint, no temporaries.
  std::set<std::string> names;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  EXPECT_EQ(names, std::set<std::string>{"every.ckpt"});
}

TEST_F(TrainerTest, FailedCheckpointStopsWithTheEpochNamed) {
  options.epochs = 3;
  options.savePath = dir + "/missing/dir/x.ckpt";
  std::vector<float> params = model.initialParams();
  TrainReport report;
  Status status =
      train(model.desc, params.data(), trainSet, &testSet, options, report);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("epoch 1: cannot save checkpoint '" +
                                       options.savePath + "'",
                                   0),
            0u)
      << status.message();
  EXPECT_EQ(report.epochs.size(), 1u);
  EXPECT_EQ(report.endEpoch, 1);
}

/// Whether \p line is one flat JSON object of numbers and nulls; fills
/// \p fields.
bool parseFlatJson(const std::string &line,
                   std::map<std::string, std::string> &fields) {
  static const std::regex member(
      R"re("([a-z_]+)":(null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)(,|\}$))re");
  if (line.size() < 2 || line[0] != '{')
    return false;
  size_t at = 1;
  std::smatch match;
  while (at < line.size()) {
    std::string rest = line.substr(at);
    if (!std::regex_search(rest, match, member,
                           std::regex_constants::match_continuous))
      return false;
    if (!fields.emplace(match[1].str(), match[2].str()).second)
      return false;
    at += match.length(0);
    if (match[3] == "}")
      return at == line.size();
  }
  return false;
}

TEST_F(TrainerTest, MetricsFileHasOneJsonObjectPerEpoch) {
  options.epochs = 3;
  options.metricsPath = dir + "/metrics.jsonl";
  options.savePath = dir + "/m.ckpt";
  std::ofstream(options.metricsPath) << "stale line of an earlier run\n";
  trainFresh(options);
  // Resuming appends.
  TrainOptions resume = options;
  resume.resumePath = options.savePath;
  resume.epochs = 5;
  trainFresh(resume);

  std::vector<std::string> lines = splitLines(readFile(options.metricsPath));
  ASSERT_EQ(lines.size(), 5u);
  const std::set<std::string> keys = {
      "epoch",         "step",    "train_loss",       "test_loss",
      "test_accuracy", "seconds", "images_per_second"};
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    std::map<std::string, std::string> fields;
    ASSERT_TRUE(parseFlatJson(lines[i], fields));
    std::set<std::string> names;
    for (const auto &field : fields)
      names.insert(field.first);
    EXPECT_EQ(names, keys);
    EXPECT_EQ(fields["epoch"], std::to_string(i + 1));
    EXPECT_EQ(fields["step"], std::to_string(7 * (i + 1)));
    EXPECT_GT(std::stod(fields["train_loss"]), 0);
    EXPECT_GE(std::stod(fields["test_accuracy"]), 0);
    EXPECT_LE(std::stod(fields["test_accuracy"]), 1);
  }
}

TEST_F(TrainerTest, MetricsWithoutATestSetAreNull) {
  options.epochs = 1;
  options.metricsPath = dir + "/metrics.jsonl";
  std::vector<float> params = model.initialParams();
  TrainReport report;
  Status status =
      train(model.desc, params.data(), trainSet, nullptr, options, report);
  ASSERT_TRUE(status.ok()) << status.message();
  std::string line = readFile(options.metricsPath);
  EXPECT_NE(line.find("\"test_loss\":null,\"test_accuracy\":null"),
            std::string::npos)
      << line;
  EXPECT_TRUE(std::isnan(report.finalTestAccuracy));
}

TEST_F(TrainerTest, UnwritableMetricsFileFailsBeforeTraining) {
  probe = &recorder;
  options.metricsPath = dir + "/no/such/metrics.jsonl";
  std::vector<float> params = model.initialParams();
  TrainReport report;
  Status status =
      train(model.desc, params.data(), trainSet, &testSet, options, report);
  EXPECT_EQ(status.message(), "cannot open metrics file '" +
                                  options.metricsPath +
                                  "': No such file or directory");
  EXPECT_TRUE(recorder.steps.empty());
}

TEST_F(TrainerTest, LinesModePrintsOneLinePerEpoch) {
  for (TrainOptions::Progress mode :
       {TrainOptions::Progress::Lines, TrainOptions::Progress::Auto}) {
    std::FILE *out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    options.epochs = 3;
    options.progress = mode; // a tmpfile is no terminal: Auto means Lines
    options.out = out;
    trainFresh(options);
    std::vector<std::string> lines = splitLines(contentsOf(out));
    std::fclose(out);
    ASSERT_EQ(lines.size(), 3u);
    static const std::regex summary(
        R"(epoch ([1-3])/3: train loss [0-9]+\.[0-9]{4}, test loss [0-9]+\.[0-9]{4}, test accuracy [01]\.[0-9]{4}, [0-9]+ images/s)");
    for (size_t i = 0; i < 3; ++i) {
      std::smatch match;
      ASSERT_TRUE(std::regex_match(lines[i], match, summary)) << lines[i];
      EXPECT_EQ(match[1], std::to_string(i + 1));
    }
  }
}

TEST_F(TrainerTest, BarModeRedrawsOneLineAndEndsEachEpochWithItsSummary) {
  std::FILE *out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  options.epochs = 2;
  options.progress = TrainOptions::Progress::Bar;
  options.out = out;
  trainFresh(options);
  std::string text = contentsOf(out);
  std::fclose(out);
  std::vector<std::string> lines = splitLines(text);
  ASSERT_EQ(lines.size(), 2u) << text;
  for (size_t i = 0; i < 2; ++i) {
    // Bars redrawn with '\r' (the first batch's, maybe some between, the
    // last batch's), then the summary drawn over them.
    std::string epoch = "epoch " + std::to_string(i + 1) + "/2";
    std::vector<std::string> draws;
    size_t start = 0;
    for (size_t end; (end = lines[i].find('\r', start)) != std::string::npos;
         start = end + 1)
      draws.push_back(lines[i].substr(start, end - start));
    draws.push_back(lines[i].substr(start));
    ASSERT_GE(draws.size(), 4u) << lines[i];
    EXPECT_EQ(draws[0], "");
    EXPECT_EQ(
        draws[1].rfind(epoch + " [###.....................] 1/7 loss ", 0), 0u)
        << draws[1];
    EXPECT_EQ(draws[draws.size() - 2].rfind(
                  epoch + " [########################] 7/7 loss ", 0),
              0u)
        << draws[draws.size() - 2];
    EXPECT_EQ(draws.back().rfind(epoch + ": train loss", 0), 0u)
        << draws.back();
  }
}

TEST_F(TrainerTest, OffModePrintsNothing) {
  std::FILE *out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  options.epochs = 1;
  options.out = out;
  trainFresh(options);
  EXPECT_EQ(contentsOf(out), "");
  std::fclose(out);
}

//===----------------------------------------------------------------------===//
// Refusals
//===----------------------------------------------------------------------===//

TEST_F(TrainerTest, RefusesWhatItCannotTrain) {
  std::vector<float> params = model.initialParams();
  TrainReport report;
  auto expectRefusal = [&](const Dataset &data, const std::string &expected) {
    Status status =
        train(model.desc, params.data(), data, nullptr, options, report);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message(), expected);
  };

  model.desc.train = nullptr;
  expectRefusal(trainSet, "model 'SoftmaxRegression' has no train block, so "
                          "it has no loss to train or evaluate");
  model.desc.train = &model.train;

  model.desc.dtype = NNC_DTYPE_F64;
  expectRefusal(trainSet, "model 'SoftmaxRegression' was compiled for "
                          "element type f64; the training loop supports f32 "
                          "only");
  model.desc.dtype = NNC_DTYPE_F32;

  Dataset wide = trainSet;
  wide.shape = {2, 4};
  wide.exampleSize = 8;
  wide.count = trainSet.count / 2;
  wide.inputs.resize(static_cast<size_t>(wide.count * 8));
  wide.labels.resize(static_cast<size_t>(wide.count));
  expectRefusal(wide, "training set 'blobs-train' has examples of 8 values "
                      "(shape [2, 4]) but model 'SoftmaxRegression' input "
                      "'x' takes 4 (shape [4])");

  Dataset manyClasses = trainSet;
  manyClasses.numClasses = 10;
  manyClasses.labels[5] = 7;
  expectRefusal(manyClasses, "training set 'blobs-train' has label 7 at index "
                             "5 but model 'SoftmaxRegression' has 3 outputs");

  Dataset unlabelled = trainSet;
  unlabelled.labels.clear();
  expectRefusal(unlabelled, "training set 'blobs-train' has no class labels, "
                            "which loss softmax_cross_entropy needs");

  Dataset broken = trainSet;
  broken.labels[2] = -1;
  expectRefusal(broken, "data set 'blobs-train': label -1 at index 2 is "
                        "outside [0, 3)");

  Dataset empty = makeBlobs(0, 1, "empty");
  expectRefusal(empty, "training set 'empty' is empty");

  model.train.batch = 0;
  expectRefusal(trainSet, "model 'SoftmaxRegression' has no default batch "
                          "size; choose one");
}

//===----------------------------------------------------------------------===//
// SIGKILL during checkpoint writes
//===----------------------------------------------------------------------===//

TEST(CheckpointKillTest, KilledWritersNeverLeaveACorruptCheckpoint) {
  std::string pattern =
      (fs::path(::testing::TempDir()) / "nnc-kill-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::string dir = pattern;
  const std::string path = dir + "/big.ckpt";

  // Large enough (8 MiB) that a save takes a while, so kills land in every
  // phase: cleanup, creating, writing, fsync, rename.
  std::vector<int64_t> shape = {1024, 1024};
  nnc_param_desc param = {"w", 2, shape.data(), 0, 1 << 20, NNC_INIT_ZEROS,
                          0,   0};
  nnc_train_desc trainDesc{};
  trainDesc.optimizer = NNC_OPTIMIZER_SGD;
  trainDesc.opt_state_size = 1 << 20;
  nnc_model_desc desc{};
  desc.abi_version = NNC_ABI_VERSION;
  desc.name = "Big";
  desc.num_params = 1;
  desc.params = &param;
  desc.param_size = 1 << 20;
  desc.train = &trainDesc;

  // Every saved file is self-consistent: all values equal the step counter.
  auto fill = [](int64_t step) {
    return std::vector<float>(1 << 20, static_cast<float>(step));
  };

  Pcg32 rng(2024, 1);
  int kills = 0, midWrite = 0;
  for (int iteration = 0; iteration < 40; ++iteration) {
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    std::fflush(nullptr);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int64_t step = 1;; ++step) {
        std::vector<float> values = fill(step);
        TrainingState state;
        state.epoch = step;
        state.step = step;
        state.batch = 1;
        state.examples = 1;
        if (!saveTrainingCheckpoint(path, desc, values.data(), values.data(),
                                    state)
                 .ok())
          ::_exit(3);
      }
    }
    ::usleep(1000 + rng.next() % 60000);
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the saving child failed on its own";
    ++kills;

    std::vector<std::string> temporaries;
    for (const fs::directory_entry &entry : fs::directory_iterator(dir)) {
      std::string name = entry.path().filename().string();
      if (name != "big.ckpt") {
        EXPECT_EQ(name.rfind(".big.ckpt.tmp-", 0), 0u) << name;
        temporaries.push_back(name);
      }
    }
    // At most the one the child was writing when it died; earlier ones were
    // removed by the child's next save.
    EXPECT_LE(temporaries.size(), 1u);
    midWrite += !temporaries.empty();
    if (!fs::exists(path))
      continue;
    std::vector<float> params(1 << 20), optState(1 << 20);
    TrainingState state;
    Status loaded = loadTrainingCheckpoint(path, desc, params.data(),
                                           optState.data(), state);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
    EXPECT_EQ(params, fill(state.step));
    EXPECT_EQ(optState, fill(state.step));
  }
  EXPECT_EQ(kills, 40);
  // The test is only worth something if some kills hit a save in progress
  // (about three in four do on a disk with a real fsync).
  EXPECT_GT(midWrite, 0);

  // One more save cleans up what the last killed writer left.
  std::vector<float> values = fill(0);
  ASSERT_TRUE(
      saveTrainingCheckpoint(path, desc, values.data(), values.data(), {})
          .ok());
  std::set<std::string> names;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  EXPECT_EQ(names, std::set<std::string>{"big.ckpt"});
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

} // namespace
