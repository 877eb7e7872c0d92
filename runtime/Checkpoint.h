//===- Checkpoint.h - Parameters and training state -------------*- C++ -*-===//
//
// Checkpoints: a model's parameter tensors, by name and shape, optionally
// followed by the state a training run needs to continue exactly where it
// stopped (optimizer state, epoch and step counters, shuffle seed), in the
// little-endian binary format documented in docs/checkpoint-format.md and
// protected by a CRC-32.
//
// Saving is atomic: the file is written under a unique temporary name in the
// target's directory, flushed to disk and renamed over the target, so a crash
// or a failed write never leaves a half-written checkpoint in place of a good
// one. A writer holds an flock() on its temporary file until the rename, so
// each save can recognise and remove the temporaries that killed writers
// left behind. Loading validates the whole file (structure, checksum, model
// name, every tensor's name and shape, the training state against the train
// block) before it writes a single element of the caller's buffers, and
// refuses any byte sequence it does not understand with a one-line message
// naming the file and the problem.
//
// All functions are reentrant. They use POSIX file APIs (open, fsync, flock,
// rename) and so target POSIX systems.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_CHECKPOINT_H
#define NNC_RUNTIME_CHECKPOINT_H

#include "runtime/Status.h"
#include "runtime/nnc_model.h"

#include <cstdint>
#include <string>

namespace nnc {

/// The format version the save functions write. loadParams() and
/// loadTrainingCheckpoint() read it and every earlier version (so far 1).
/// See docs/checkpoint-format.md for the versioning policy.
constexpr uint32_t kCheckpointFormatVersion = 2;

/// Writes the parameters \p params (desc.param_size floats) of the model
/// \p desc to \p path, replacing any existing file atomically. On failure the
/// previous file, if any, is left as it was and no temporary file remains.
Status saveParams(const std::string &path, const nnc_model_desc &desc,
                  const float *params);

/// Reads the checkpoint at \p path into \p params (desc.param_size floats).
/// The file must hold exactly the tensors of \p desc (matched by name, in any
/// order) with the same shapes and the same model name. Training state in
/// the file, if any, is checked for integrity and otherwise ignored. On
/// failure \p params is left untouched.
Status loadParams(const std::string &path, const nnc_model_desc &desc,
                  float *params);

/// Where a training run stands after some epochs; together with the
/// parameters and the optimizer state it determines the rest of the run.
struct TrainingState {
  /// Epochs completed.
  int64_t epoch = 0;
  /// train_step calls so far; the next call passes step + 1.
  int64_t step = 0;
  /// The shuffle seed; the order of epoch e depends only on (seed, e).
  uint64_t seed = 0;
  /// The batch size of the run.
  int64_t batch = 0;
  /// Training examples per epoch.
  int64_t examples = 0;
};

/// Like saveParams(), and also writes \p state and the optimizer state
/// \p optState (desc.train->opt_state_size floats). \p desc must have a
/// train block, whose optimizer kind is recorded too.
Status saveTrainingCheckpoint(const std::string &path,
                              const nnc_model_desc &desc, const float *params,
                              const float *optState,
                              const TrainingState &state);

/// Reads a checkpoint written by saveTrainingCheckpoint() into \p params,
/// \p optState (desc.train->opt_state_size floats) and \p state. Beyond
/// loadParams()'s checks, the file must hold training state for the
/// optimizer kind and state size of desc.train. On failure nothing is
/// written to \p params, \p optState or \p state.
Status loadTrainingCheckpoint(const std::string &path,
                              const nnc_model_desc &desc, float *params,
                              float *optState, TrainingState &state);

} // namespace nnc

#endif // NNC_RUNTIME_CHECKPOINT_H
