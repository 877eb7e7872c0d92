//===- Trainer.h - The training loop ----------------------------*- C++ -*-===//
//
// Drives a compiled model's train block: shuffles the training set each epoch
// with a seeded, platform-independent generator, feeds it to the generated
// `train_step` in mini-batches, evaluates the test set after every epoch,
// reports progress, appends metrics and writes a training checkpoint from
// which a later call resumes bit for bit. Every buffer (gradients, optimizer
// state, workspace, batch staging, the shuffle order) is allocated once
// before the first step, so nothing between two steps of an epoch touches
// the heap; only the once-per-epoch summary, metrics and checkpoint do.
//
// docs/runtime.md describes the options, outputs and resume semantics.
// Functions are reentrant: two threads may train two models (or one model
// into two parameter buffers) at once, though the generated code may itself
// use threads.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_TRAINER_H
#define NNC_RUNTIME_TRAINER_H

#include "runtime/Augment.h"
#include "runtime/Dataset.h"
#include "runtime/Status.h"
#include "runtime/nnc_model.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace nnc {

struct TrainOptions {
  /// The total number of epochs of the run, counting those a resumed
  /// checkpoint already completed; 0: the train block's `epochs`.
  int64_t epochs = 0;
  /// Examples per step; 0: the train block's `batch` (or, when resuming, the
  /// checkpoint's). The last batch of an epoch holds what remains.
  int64_t batch = 0;
  /// Seeds the shuffle (not the parameters: the caller initialises those,
  /// e.g. with initParams). Ignored when resuming: the run keeps its seed.
  uint64_t seed = 0;
  /// Where to write a training checkpoint after every epoch; "": nowhere.
  std::string savePath;
  /// A training checkpoint to continue from; "": start afresh from the
  /// caller's parameters with zeroed optimizer state.
  std::string resumePath;
  /// A file to receive one JSON object per epoch; "": none. A fresh run
  /// truncates it, a resumed one appends.
  std::string metricsPath;

  enum class Progress {
    /// Bar when `out` is a terminal, else Lines.
    Auto,
    /// One line redrawn in place with '\r' during each epoch, replaced by
    /// the epoch's summary line at its end.
    Bar,
    /// Only the summary line of each epoch.
    Lines,
    /// Nothing.
    Off
  };
  Progress progress = Progress::Auto;
  /// Where progress goes.
  std::FILE *out = stdout;
  /// Examples per call of `eval` on the test set; 0: the training batch.
  int64_t evalBatch = 0;
  /// Random flips and shifts of the training images, applied to each staged
  /// batch before its train_step, chosen by (seed, step, position in the
  /// batch). Enabled, it needs a model input of shape [channels, height,
  /// width]. The data sets and the test evaluation are never augmented. Not
  /// recorded in checkpoints: a resumed run must be given the same value.
  /// Unset: the train block's `augment` (the descriptor's augment_flip and
  /// augment_shift).
  std::optional<AugmentOptions> augment;
};

/// The result of evaluating a data set.
struct EvalReport {
  int64_t examples = 0;
  /// Mean loss per example.
  double loss = 0;
  /// Examples whose arg-max output is the label (classification only).
  int64_t correct = 0;
  /// correct / examples for softmax_cross_entropy; NaN for mse (and when
  /// the data set is empty).
  double accuracy = 0;
};

/// What one epoch did.
struct EpochReport {
  /// 1-based number of the epoch within the whole run.
  int64_t epoch = 0;
  /// train_step calls so far in the run, this epoch's included.
  int64_t step = 0;
  /// Mean training loss per example over the epoch (the loss each batch
  /// had when it was fed, before its update).
  double trainLoss = 0;
  /// NaN without a test set; testAccuracy is NaN for mse too.
  double testLoss = 0;
  double testAccuracy = 0;
  /// Wall time of the epoch's training steps (shuffling and batching
  /// included; evaluation and checkpointing not), and examples per second
  /// over it.
  double seconds = 0;
  double imagesPerSecond = 0;
};

struct TrainReport {
  /// The epochs this call ran, in order.
  std::vector<EpochReport> epochs;
  /// Epochs completed before this call (non-zero when resuming).
  int64_t startEpoch = 0;
  /// Epochs completed and train_step calls made when the call returned.
  int64_t endEpoch = 0;
  int64_t steps = 0;
  /// The batch size and seed the run used.
  int64_t batch = 0;
  uint64_t seed = 0;
  /// Of the last evaluation of the test set (NaN without one). When there
  /// was nothing left to train, the test set is evaluated once for these.
  double finalTestLoss = 0;
  double finalTestAccuracy = 0;
  /// Examples per second over all training steps of this call.
  double imagesPerSecond = 0;
  /// Wall time of the whole call.
  double seconds = 0;
};

/// Trains the model \p desc, whose parameters \p params (desc.param_size
/// floats) the caller has initialised, on \p train, evaluating \p test (may
/// be null) after each epoch. \p params holds the trained parameters
/// afterwards, also when a later epoch's checkpoint or metrics write fails.
/// Refuses a model without a train block, an f64 model, a model whose
/// single input or output does not match the data, and labels outside the
/// model's output range.
Status train(const nnc_model_desc &desc, float *params, const Dataset &train,
             const Dataset *test, const TrainOptions &options,
             TrainReport &report);

/// The mean loss (and accuracy, for classification) of \p params on \p data,
/// fed to the train block's `eval` in order, \p batch examples at a time
/// (0: the train block's batch).
Status evaluate(const nnc_model_desc &desc, const float *params,
                const Dataset &data, int64_t batch, EvalReport &report);

/// The shuffle of epoch \p epoch (0-based) of a run seeded with \p seed: a
/// permutation of [0, order.size()) written to \p order. It depends on
/// (seed, epoch, order.size()) alone and is the same on every platform;
/// docs/runtime.md gives the algorithm. Exposed so that tests and other
/// implementations can reproduce the order in which examples are fed.
void shuffleOrder(uint64_t seed, int64_t epoch, std::vector<uint32_t> &order);

} // namespace nnc

#endif // NNC_RUNTIME_TRAINER_H
