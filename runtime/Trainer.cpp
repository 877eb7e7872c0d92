//===- Trainer.cpp - The training loop --------------------------*- C++ -*-===//
//
// The epoch loop around a model's generated train_step and eval functions.
// Everything that can be checked is checked before the first step (the
// descriptor, the data against the model's input and output, the resume
// checkpoint against the options, the metrics file), and every buffer is
// allocated there too, so a run either fails at once or trains; the only
// late failures are writes of metrics and checkpoints.
//
// Reproducibility rests on three things: the shuffle of epoch e is a pure
// function of (seed, e), computed with PCG32 and Lemire's bounded draw rather
// than <random> (whose distributions differ between standard libraries); the
// step counter passed to train_step continues across epochs and resumes; and
// a training checkpoint carries the optimizer state with the parameters. So a
// run resumed after epoch k feeds the generated code exactly the inputs an
// uninterrupted run would have. Data augmentation keeps this: it transforms
// the staged batch by choices that depend on (seed, step, position) alone.
//
//===----------------------------------------------------------------------===//

#include "runtime/Trainer.h"

#include "runtime/Checkpoint.h"
#include "runtime/Idx.h"
#include "runtime/Params.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

#include <unistd.h>

using namespace nnc;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr size_t kWorkspaceAlignment = 64;
/// Mixed into the shuffle streams so that they never coincide with the
/// parameter-initialisation streams of Pcg32::forTensor for the same seed.
constexpr uint64_t kShuffleDomain = 0x6e6e632d73687566ULL; // "nnc-shuf"
/// How often the progress bar is redrawn at most.
constexpr double kBarInterval = 0.1;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double quietNaN() { return std::numeric_limits<double>::quiet_NaN(); }

/// A uniformly distributed value in [0, range), range >= 1: Lemire's
/// "nearly divisionless" method (ACM TOMACS 2019). The 64-bit product's high
/// half is the candidate; rejecting the low halves below 2^32 mod range
/// removes the bias, and the division that computes that threshold runs
/// only when a low half is small enough to need it.
uint32_t boundedDraw(Pcg32 &rng, uint32_t range) {
  uint64_t product = uint64_t(rng.next()) * range;
  auto low = static_cast<uint32_t>(product);
  if (low < range) {
    uint32_t threshold = (0u - range) % range;
    while (low < threshold) {
      product = uint64_t(rng.next()) * range;
      low = static_cast<uint32_t>(product);
    }
  }
  return static_cast<uint32_t>(product >> 32);
}

const char *lossName(int32_t kind) {
  switch (kind) {
  case NNC_LOSS_SOFTMAX_CROSS_ENTROPY:
    return "softmax_cross_entropy";
  case NNC_LOSS_MSE:
    return "mse";
  default:
    return nullptr;
  }
}

/// Checks what train() and evaluate() need beyond validateDescriptor: a
/// train block with the entry points used, f32, one input and an output.
Status checkTrainable(const nnc_model_desc &desc, bool needStep) {
  if (Status status = validateDescriptor(desc); !status)
    return status;
  std::string model = fmt::format("model '{}'", desc.name);
  if (!desc.train)
    return Status::error(model + " has no train block, so it has no loss to "
                                 "train or evaluate");
  const nnc_train_desc &train = *desc.train;
  if (desc.dtype != NNC_DTYPE_F32)
    return Status::error(fmt::format("{} was compiled for element type {}; "
                                     "the training loop supports f32 only",
                                     model,
                                     desc.dtype == NNC_DTYPE_F64
                                         ? std::string("f64")
                                         : std::to_string(desc.dtype)));
  if (desc.num_inputs != 1)
    return Status::error(fmt::format("{} has {} inputs; the training loop "
                                     "feeds exactly one",
                                     model, desc.num_inputs));
  if (!desc.output)
    return Status::error(model + " has no output descriptor");
  if (!lossName(train.loss))
    return Status::error(
        fmt::format("{} has unknown loss kind {}", model, train.loss));
  if ((needStep && !train.train_step) || !train.eval)
    return Status::error(fmt::format("{} lacks its {} function", model,
                                     !train.eval ? "eval" : "train_step"));
  if (train.opt_state_size < 0 || train.workspace_fixed < 0 ||
      train.workspace_per_example < 0)
    return Status::error(fmt::format(
        "{} has a negative buffer size (optimizer state {}, workspace {} + "
        "{} per example)",
        model, train.opt_state_size, train.workspace_fixed,
        train.workspace_per_example));
  return Status::success();
}

/// Checks that \p data fits the model: consistent, its examples the size of
/// the model's input, labels within the output for classification, targets
/// the size of the output for mse.
Status checkDataFits(const nnc_model_desc &desc, const Dataset &data,
                     const char *role) {
  if (Status status = checkDataset(data); !status)
    return status;
  std::string what = fmt::format("{} {}", role, quotePath(data.name));
  const nnc_tensor_desc &input = desc.inputs[0];
  const nnc_tensor_desc &output = *desc.output;
  // Only sizes must agree: a [28, 28] image and a [1, 28, 28] input are the
  // same row-major values.
  if (data.exampleSize != input.size)
    return Status::error(fmt::format(
        "{} has examples of {} values (shape {}) but model '{}' input '{}' "
        "takes {} (shape {})",
        what, data.exampleSize,
        formatShape(data.shape.data(), static_cast<int32_t>(data.shape.size())),
        desc.name, input.name, input.size,
        formatShape(input.shape, input.rank)));
  if (data.count > int64_t(std::numeric_limits<uint32_t>::max()))
    return Status::error(fmt::format("{} has {} examples, more than the "
                                     "training loop's limit of 2^32 - 1",
                                     what, data.count));
  if (desc.train->loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY) {
    if (static_cast<int64_t>(data.labels.size()) != data.count)
      return Status::error(fmt::format(
          "{} has no class labels, which loss softmax_cross_entropy needs",
          what));
    for (size_t i = 0; i < data.labels.size(); ++i)
      if (data.labels[i] >= output.size)
        return Status::error(fmt::format(
            "{} has label {} at index {} but model '{}' has {} outputs", what,
            data.labels[i], i, desc.name, output.size));
  } else if (data.targetSize != output.size ||
             static_cast<int64_t>(data.targets.size()) !=
                 data.count * output.size) {
    return Status::error(fmt::format(
        "{} has targets of {} values but loss mse needs {} per example (the "
        "size of model '{}' output)",
        what, data.targetSize, output.size, desc.name));
  }
  return Status::success();
}

struct FreeDeleter {
  void operator()(void *memory) const { std::free(memory); }
};
using AlignedBuffer = std::unique_ptr<unsigned char, FreeDeleter>;

/// A 64-byte aligned workspace for batches of up to \p batch examples.
Status allocateWorkspace(const nnc_model_desc &desc, int64_t batch,
                         AlignedBuffer &out, int64_t &bytes) {
  const nnc_train_desc &train = *desc.train;
  if (train.workspace_per_example != 0 &&
      batch >
          (kInt64Max - train.workspace_fixed - int64_t(kWorkspaceAlignment)) /
              train.workspace_per_example)
    return Status::error(fmt::format(
        "model '{}' needs more than 2^63 bytes of workspace for a batch of {}",
        desc.name, batch));
  bytes = train.workspace_fixed + batch * train.workspace_per_example;
  // aligned_alloc wants a multiple of the alignment, and a zero-byte
  // workspace still gets a valid pointer.
  int64_t rounded = std::max<int64_t>(
      kWorkspaceAlignment, (bytes + int64_t(kWorkspaceAlignment) - 1) /
                               int64_t(kWorkspaceAlignment) *
                               int64_t(kWorkspaceAlignment));
  out.reset(static_cast<unsigned char *>(
      std::aligned_alloc(kWorkspaceAlignment, static_cast<size_t>(rounded))));
  if (!out)
    return Status::error(fmt::format("cannot allocate {} bytes of workspace "
                                     "for model '{}' with batch {}",
                                     rounded, desc.name, batch));
  return Status::success();
}

/// Feeds \p data to eval in order, \p batch examples at a time, straight
/// from the data set's arrays (consecutive examples are contiguous).
EvalReport runEval(const nnc_model_desc &desc, const float *params,
                   const Dataset &data, int64_t batch, void *workspace) {
  const nnc_train_desc &train = *desc.train;
  bool classify = train.loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY;
  EvalReport report;
  report.examples = data.count;
  double lossSum = 0;
  for (int64_t begin = 0; begin < data.count; begin += batch) {
    int64_t size = std::min(batch, data.count - begin);
    const void *labels =
        classify ? static_cast<const void *>(data.labels.data() + begin)
                 : static_cast<const void *>(data.targets.data() +
                                             begin * data.targetSize);
    int64_t correct = 0;
    float loss =
        train.eval(params, data.inputs.data() + begin * data.exampleSize,
                   labels, size, &correct, workspace);
    lossSum += double(loss) * double(size);
    report.correct += correct;
  }
  report.loss = data.count ? lossSum / double(data.count) : quietNaN();
  report.accuracy = classify && data.count
                        ? double(report.correct) / double(data.count)
                        : quietNaN();
  return report;
}

/// Progress output: a bar redrawn in place, summary lines, or nothing.
class ProgressPrinter {
public:
  ProgressPrinter(std::FILE *stream, TrainOptions::Progress mode)
      : out(stream) {
    if (!out)
      mode = TrainOptions::Progress::Off;
    if (mode == TrainOptions::Progress::Auto)
      mode = ::isatty(::fileno(out)) ? TrainOptions::Progress::Bar
                                     : TrainOptions::Progress::Lines;
    bar = mode == TrainOptions::Progress::Bar;
    quiet = mode == TrainOptions::Progress::Off;
  }

  void note(const std::string &text) { line(text); }

  void beginEpoch(int64_t epochNumber, int64_t epochCount, int64_t batchCount) {
    epoch = epochNumber;
    epochs = epochCount;
    batches = batchCount;
    lastDraw = Clock::time_point();
  }

  /// Redraws the bar at most every kBarInterval seconds, and always for the
  /// last batch.
  void update(int64_t done, double meanLoss, double imagesPerSecond) {
    if (!bar)
      return;
    Clock::time_point now = Clock::now();
    if (done != batches &&
        std::chrono::duration<double>(now - lastDraw).count() < kBarInterval)
      return;
    lastDraw = now;
    // Formatted into a fixed buffer: this runs between steps, where the
    // loop does not allocate.
    constexpr int64_t kWidth = 24;
    char gauge[kWidth + 1];
    int64_t filled = batches ? done * kWidth / batches : kWidth;
    std::memset(gauge, '#', static_cast<size_t>(filled));
    std::memset(gauge + filled, '.', static_cast<size_t>(kWidth - filled));
    gauge[kWidth] = '\0';
    char text[256];
    auto result =
        fmt::format_to_n(text, sizeof(text) - 1,
                         "epoch {}/{} [{}] {}/{} loss {:.4f} {:.0f} images/s",
                         epoch, epochs, static_cast<const char *>(gauge), done,
                         batches, meanLoss, imagesPerSecond);
    *result.out = '\0';
    draw(text, static_cast<size_t>(result.out - text));
  }

  void endEpoch(const std::string &summary) { line(summary); }

private:
  /// Overwrites the current line, padding over leftovers of a longer one.
  void draw(const char *text, size_t size) {
    size_t pad = drawn > size ? drawn - size : 0;
    std::fprintf(out, "\r%s%*s", text, static_cast<int>(pad), "");
    std::fflush(out);
    drawn = size;
  }

  void line(const std::string &text) {
    if (quiet)
      return;
    if (bar && drawn) {
      draw(text.c_str(), text.size());
      std::fputc('\n', out);
      drawn = 0;
    } else {
      std::fprintf(out, "%s\n", text.c_str());
    }
    std::fflush(out);
  }

  std::FILE *out;
  bool bar = false;
  bool quiet = false;
  int64_t epoch = 0, epochs = 0, batches = 0;
  size_t drawn = 0;
  Clock::time_point lastDraw;
};

/// A JSON number, or null for the NaNs and infinities JSON cannot express.
std::string jsonNumber(double value) {
  return std::isfinite(value) ? fmt::format("{}", value) : "null";
}

/// \p augment is the augmentation's spelling, "" when it is off; it needs no
/// JSON escaping (letters, digits, ',' and '=').
std::string metricsRecord(const EpochReport &epoch,
                          const std::string &augment) {
  std::string record =
      fmt::format("{{\"epoch\":{},\"step\":{},\"train_loss\":{},"
                  "\"test_loss\":{},\"test_accuracy\":{},\"seconds\":{},"
                  "\"images_per_second\":{}",
                  epoch.epoch, epoch.step, jsonNumber(epoch.trainLoss),
                  jsonNumber(epoch.testLoss), jsonNumber(epoch.testAccuracy),
                  jsonNumber(epoch.seconds), jsonNumber(epoch.imagesPerSecond));
  if (!augment.empty())
    record += fmt::format(",\"augment\":\"{}\"", augment);
  return record + "}";
}

std::string summaryLine(const EpochReport &epoch, int64_t epochs, bool hasTest,
                        const std::string &augment) {
  std::string text = fmt::format("epoch {}/{}: train loss {:.4f}", epoch.epoch,
                                 epochs, epoch.trainLoss);
  // The training loss is of the augmented images, so say so next to it.
  if (!augment.empty())
    text += fmt::format(" (augmented: {})", augment);
  if (hasTest)
    text += fmt::format(", test loss {:.4f}", epoch.testLoss);
  if (hasTest && !std::isnan(epoch.testAccuracy))
    text += fmt::format(", test accuracy {:.4f}", epoch.testAccuracy);
  text += fmt::format(", {:.0f} images/s", epoch.imagesPerSecond);
  return text;
}

struct FileCloser {
  void operator()(std::FILE *file) const { std::fclose(file); }
};

/// Loads the resume checkpoint into copies of the parameters and optimizer
/// state and checks that it continues this run; the caller's buffers change
/// only when everything passed.
Status resume(const nnc_model_desc &desc, float *params,
              std::vector<float> &optState, const Dataset &train,
              const TrainOptions &options, TrainingState &state) {
  std::string from =
      "cannot resume from checkpoint " + quotePath(options.resumePath) + ": ";
  std::vector<float> loaded(params, params + desc.param_size);
  if (Status status = loadTrainingCheckpoint(
          options.resumePath, desc, loaded.data(), optState.data(), state);
      !status)
    return status;
  if (state.batch <= 0)
    return Status::error(
        fmt::format("{}it records batch size {}", from, state.batch));
  if (state.examples != train.count)
    return Status::error(fmt::format(
        "{}its run trains on {} examples per epoch but the training set {} "
        "has {}; a resumed run must see the same data",
        from, state.examples, quotePath(train.name), train.count));
  if (options.batch != 0 && options.batch != state.batch)
    return Status::error(fmt::format(
        "{}its run uses batch size {}, not {}; a resumed run keeps its batch "
        "size (leave it unset)",
        from, state.batch, options.batch));
  std::copy(loaded.begin(), loaded.end(), params);
  return Status::success();
}

} // namespace

void nnc::shuffleOrder(uint64_t seed, int64_t epoch,
                       std::vector<uint32_t> &order) {
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = static_cast<uint32_t>(i);
  uint64_t key = splitmix64(kShuffleDomain ^ static_cast<uint64_t>(epoch));
  Pcg32 rng(splitmix64(seed ^ splitmix64(key)),
            splitmix64(key ^ splitmix64(seed)));
  // Fisher-Yates, from the back.
  for (size_t i = order.size(); i > 1; --i) {
    uint32_t j = boundedDraw(rng, static_cast<uint32_t>(i));
    std::swap(order[i - 1], order[j]);
  }
}

Status nnc::evaluate(const nnc_model_desc &desc, const float *params,
                     const Dataset &data, int64_t batch, EvalReport &report) {
  if (Status status = checkTrainable(desc, /*needStep=*/false); !status)
    return status;
  if (!params && desc.param_size > 0)
    return Status::error("cannot evaluate: the parameter buffer is null");
  if (Status status = checkDataFits(desc, data, "data set"); !status)
    return status;
  if (batch == 0)
    batch = desc.train->batch;
  if (batch <= 0)
    return Status::error(fmt::format(
        "cannot evaluate model '{}' with batch size {}", desc.name, batch));
  AlignedBuffer workspace;
  int64_t bytes;
  if (Status status = allocateWorkspace(
          desc, std::max<int64_t>(1, std::min(batch, data.count)), workspace,
          bytes);
      !status)
    return status;
  report = runEval(desc, params, data, batch, workspace.get());
  return Status::success();
}

Status nnc::train(const nnc_model_desc &desc, float *params,
                  const Dataset &trainSet, const Dataset *testSet,
                  const TrainOptions &options, TrainReport &report) {
  Clock::time_point callStart = Clock::now();
  if (Status status = checkTrainable(desc, /*needStep=*/true); !status)
    return status;
  const nnc_train_desc &train = *desc.train;
  if (!params && desc.param_size > 0)
    return Status::error("cannot train: the parameter buffer is null");
  if (Status status = checkDataFits(desc, trainSet, "training set"); !status)
    return status;
  if (trainSet.count == 0)
    return Status::error(
        fmt::format("training set {} is empty", quotePath(trainSet.name)));
  if (testSet)
    if (Status status = checkDataFits(desc, *testSet, "test set"); !status)
      return status;
  if (options.epochs < 0 || options.batch < 0 || options.evalBatch < 0)
    return Status::error(fmt::format(
        "negative training option: epochs {}, batch {}, eval batch {}",
        options.epochs, options.batch, options.evalBatch));
  AugmentOptions augment;
  if (options.augment) {
    augment = *options.augment;
  } else {
    augment.flip = desc.train->augment_flip != 0;
    augment.shift = desc.train->augment_shift;
  }
  const nnc_tensor_desc &input = desc.inputs[0];
  if (augment.shift < 0 || augment.shift > kMaxAugmentShift)
    return Status::error(fmt::format("augmentation shift {} is outside [0, {}]",
                                     augment.shift, kMaxAugmentShift));
  if (augment.enabled() && input.rank != 3)
    return Status::error(
        fmt::format("augmentation needs an image input of shape [channels, "
                    "height, width]; model '{}' takes f32{}",
                    desc.name, formatShape(input.shape, input.rank)));

  // Buffers, all allocated here: the loop below allocates nothing.
  std::vector<float> grads, optState, stagedInputs, stagedTargets,
      augmentScratch;
  std::vector<int32_t> stagedLabels;
  std::vector<uint32_t> order;
  AlignedBuffer workspace;
  TrainingState state;
  state.examples = trainSet.count;
  try {
    optState.assign(static_cast<size_t>(train.opt_state_size), 0.0f);
    if (!options.resumePath.empty()) {
      if (Status status =
              resume(desc, params, optState, trainSet, options, state);
          !status)
        return status;
    } else {
      state.batch = options.batch ? options.batch : train.batch;
      state.seed = options.seed;
    }
  } catch (const std::bad_alloc &) {
    return Status::error("cannot allocate the optimizer state: out of memory");
  }
  int64_t batch = state.batch;
  if (batch <= 0)
    return Status::error(fmt::format(
        "model '{}' has no default batch size; choose one", desc.name));
  int64_t epochs = options.epochs ? options.epochs : train.epochs;
  if (epochs <= 0)
    return Status::error(fmt::format(
        "model '{}' has no default number of epochs; choose one", desc.name));
  int64_t evalBatch = options.evalBatch ? options.evalBatch : batch;

  bool classify = train.loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY;
  int64_t trainBatch = std::min(batch, trainSet.count);
  int64_t largest = trainBatch;
  if (testSet)
    largest = std::max(largest, std::min(evalBatch, testSet->count));
  int64_t workspaceBytes;
  if (Status status =
          allocateWorkspace(desc, largest, workspace, workspaceBytes);
      !status)
    return status;
  try {
    grads.assign(static_cast<size_t>(desc.param_size), 0.0f);
    stagedInputs.assign(static_cast<size_t>(trainBatch * trainSet.exampleSize),
                        0.0f);
    if (classify)
      stagedLabels.assign(static_cast<size_t>(trainBatch), 0);
    else
      stagedTargets.assign(
          static_cast<size_t>(trainBatch * trainSet.targetSize), 0.0f);
    order.resize(static_cast<size_t>(trainSet.count));
    if (augment.enabled())
      augmentScratch.assign(static_cast<size_t>(trainSet.exampleSize), 0.0f);
    report = TrainReport();
    report.epochs.reserve(
        static_cast<size_t>(std::max<int64_t>(0, epochs - state.epoch)));
  } catch (const std::bad_alloc &) {
    return Status::error("cannot allocate the training buffers: out of memory");
  }

  std::unique_ptr<std::FILE, FileCloser> metrics;
  if (!options.metricsPath.empty()) {
    metrics.reset(std::fopen(options.metricsPath.c_str(),
                             options.resumePath.empty() ? "w" : "a"));
    if (!metrics)
      return Status::error(fmt::format("cannot open metrics file {}: {}",
                                       quotePath(options.metricsPath),
                                       std::strerror(errno)));
  }

  ProgressPrinter progress(options.out, options.progress);
  if (!options.resumePath.empty())
    progress.note(fmt::format("resuming from {} after epoch {} (step {})",
                              quotePath(options.resumePath), state.epoch,
                              state.step));

  report.startEpoch = state.epoch;
  report.batch = batch;
  report.seed = state.seed;
  report.finalTestLoss = quietNaN();
  report.finalTestAccuracy = quietNaN();
  const int64_t examples = trainSet.count;
  const int64_t batches = (examples + batch - 1) / batch;
  const int64_t inputSize = trainSet.exampleSize;
  const int64_t targetSize = trainSet.targetSize;
  const void *stagedTruth =
      classify ? static_cast<const void *>(stagedLabels.data())
               : static_cast<const void *>(stagedTargets.data());
  const std::string augmentSpec =
      augment.enabled() ? formatAugmentSpec(augment) : std::string();
  double trainSeconds = 0;
  int64_t trained = 0;

  auto finish = [&] {
    report.endEpoch = state.epoch;
    report.steps = state.step;
    report.imagesPerSecond =
        trainSeconds > 0 ? double(trained) / trainSeconds : 0;
    report.seconds = secondsSince(callStart);
  };

  for (; state.epoch < epochs; ++state.epoch) {
    Clock::time_point epochStart = Clock::now();
    progress.beginEpoch(state.epoch + 1, epochs, batches);
    shuffleOrder(state.seed, state.epoch, order);
    double lossSum = 0;
    for (int64_t b = 0; b < batches; ++b) {
      int64_t begin = b * batch;
      int64_t size = std::min(batch, examples - begin);
      for (int64_t i = 0; i < size; ++i) {
        int64_t example = order[static_cast<size_t>(begin + i)];
        std::copy_n(trainSet.inputs.data() + example * inputSize, inputSize,
                    stagedInputs.data() + i * inputSize);
        if (classify)
          stagedLabels[static_cast<size_t>(i)] =
              trainSet.labels[static_cast<size_t>(example)];
        else
          std::copy_n(trainSet.targets.data() + example * targetSize,
                      targetSize, stagedTargets.data() + i * targetSize);
      }
      // The staged copy is augmented, never the data set; the step is the
      // one train_step gets below.
      if (augment.enabled())
        augmentBatch(augment, stagedInputs.data(), size, input.shape[0],
                     input.shape[1], input.shape[2], state.seed,
                     static_cast<uint64_t>(state.step + 1),
                     augmentScratch.data());
      float loss = train.train_step(
          params, grads.data(), optState.data(), ++state.step, state.seed,
          stagedInputs.data(), stagedTruth, size, workspace.get());
      lossSum += double(loss) * double(size);
      double elapsed = secondsSince(epochStart);
      int64_t done = begin + size;
      progress.update(b + 1, lossSum / double(done),
                      elapsed > 0 ? double(done) / elapsed : 0);
    }

    EpochReport epoch;
    epoch.epoch = state.epoch + 1;
    epoch.step = state.step;
    epoch.trainLoss = lossSum / double(examples);
    epoch.seconds = secondsSince(epochStart);
    epoch.imagesPerSecond =
        epoch.seconds > 0 ? double(examples) / epoch.seconds : 0;
    trainSeconds += epoch.seconds;
    trained += examples;
    epoch.testLoss = quietNaN();
    epoch.testAccuracy = quietNaN();
    if (testSet) {
      EvalReport eval =
          runEval(desc, params, *testSet, evalBatch, workspace.get());
      epoch.testLoss = eval.loss;
      epoch.testAccuracy = eval.accuracy;
      report.finalTestLoss = eval.loss;
      report.finalTestAccuracy = eval.accuracy;
    }
    report.epochs.push_back(epoch);
    progress.endEpoch(
        summaryLine(epoch, epochs, testSet != nullptr, augmentSpec));

    if (metrics) {
      std::string record = metricsRecord(epoch, augmentSpec) + "\n";
      if (std::fputs(record.c_str(), metrics.get()) < 0 ||
          std::fflush(metrics.get()) != 0) {
        int err = errno;
        ++state.epoch;
        finish();
        return Status::error(fmt::format(
            "epoch {}: cannot write metrics "
            "file {}: {}",
            epoch.epoch, quotePath(options.metricsPath), std::strerror(err)));
      }
    }
    if (!options.savePath.empty()) {
      TrainingState saved = state;
      saved.epoch = state.epoch + 1;
      if (Status status = saveTrainingCheckpoint(options.savePath, desc, params,
                                                 optState.data(), saved);
          !status) {
        ++state.epoch;
        finish();
        return Status::error(
            fmt::format("epoch {}: {}", epoch.epoch, status.message()));
      }
    }
  }

  if (report.epochs.empty() && testSet) {
    EvalReport eval =
        runEval(desc, params, *testSet, evalBatch, workspace.get());
    report.finalTestLoss = eval.loss;
    report.finalTestAccuracy = eval.accuracy;
  }
  finish();
  return Status::success();
}
