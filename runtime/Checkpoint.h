//===- Checkpoint.h - Save and load a model's parameters --------*- C++ -*-===//
//
// Parameter checkpoints: a model's parameter tensors, by name and shape, in
// the little-endian binary format documented in docs/checkpoint-format.md and
// protected by a CRC-32.
//
// Saving is atomic: the file is written under a unique temporary name in the
// target's directory, flushed to disk and renamed over the target, so a crash
// or a failed write never leaves a half-written checkpoint in place of a good
// one. Loading validates the whole file (structure, checksum, model name and
// every tensor's name and shape against the descriptor) before it writes a
// single element of the caller's buffer, and refuses any byte sequence it does
// not understand with a one-line message naming the file and the problem.
//
// Both functions are reentrant. They use POSIX file APIs (open, fsync,
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

/// The format version saveParams() writes and the only one loadParams()
/// reads. See docs/checkpoint-format.md for the versioning policy.
constexpr uint32_t kCheckpointFormatVersion = 1;

/// Writes the parameters \p params (desc.param_size floats) of the model
/// \p desc to \p path, replacing any existing file atomically. On failure the
/// previous file, if any, is left as it was and no temporary file remains.
Status saveParams(const std::string &path, const nnc_model_desc &desc,
                  const float *params);

/// Reads the checkpoint at \p path into \p params (desc.param_size floats).
/// The file must hold exactly the tensors of \p desc (matched by name, in any
/// order) with the same shapes and the same model name. On failure \p params
/// is left untouched.
Status loadParams(const std::string &path, const nnc_model_desc &desc,
                  float *params);

} // namespace nnc

#endif // NNC_RUNTIME_CHECKPOINT_H
