//===- Augment.h - Seeded augmentation of image batches ---------*- C++ -*-===//
//
// Random horizontal flips and translations of training images, applied to a
// staged batch in place. The random choices for the i-th example of a batch
// are a pure function of (seed, step, i): a key hashed from the three starts
// a splitmix64 generator whose first outputs decide the flip and the shift.
// There is no generator state to carry between steps, so a training run
// resumed at step k (it knows its seed and step counter) augments exactly as
// an uninterrupted one, and every platform draws the same choices.
// docs/runtime.md gives the algorithm.
//
// augmentBatch does not allocate: the training loop calls it between steps,
// where nothing touches the heap. All functions are reentrant.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_AUGMENT_H
#define NNC_RUNTIME_AUGMENT_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace nnc {

/// The largest shift parseAugmentSpec accepts and the training loop allows.
constexpr int64_t kMaxAugmentShift = 64;

struct AugmentOptions {
  /// Mirror the width axis, with probability 1/2 per example.
  bool flip = false;
  /// Translate by (dy, dx), each uniform in [-shift, shift], filling the
  /// uncovered pixels with zeros: the same as zero-padding every side by
  /// `shift` and cropping the original size at a random offset. 0: never.
  int64_t shift = 0;

  bool enabled() const { return flip || shift > 0; }
};

/// Parses the spelling of `nnc train --augment`: "none", or a comma-separated
/// list of "flip" and "shift=N" (N a decimal integer in [0, 64]), each at most
/// once and in any order, e.g. "flip,shift=2". \p out changes only on
/// success. Errors name the offending item:
///   invalid --augment item 'shfit=2'; expected flip, shift=N or none
Status parseAugmentSpec(std::string_view spec, AugmentOptions &out);

/// The canonical spelling of \p options, which parseAugmentSpec reads back:
/// "flip", "shift=2", "flip,shift=2", or "none" when nothing is enabled.
std::string formatAugmentSpec(const AugmentOptions &options);

/// The choices augmentBatch makes for one example.
struct AugmentChoice {
  bool flip = false;
  int64_t dy = 0;
  int64_t dx = 0;
};

/// The choices for example \p index of the batch fed at step \p step of a run
/// seeded with \p seed; flip is false and the shift zero where \p options
/// disables them.
AugmentChoice augmentChoice(const AugmentOptions &options, uint64_t seed,
                            uint64_t step, uint64_t index);

/// Augments \p batch images of shape [channels, height, width] (row-major,
/// one after the other) in place, each example independently by
/// augmentChoice(options, seed, step, i); all channels of an example get the
/// same transform. The flip comes first: pixel (y, x) of the result is pixel
/// (y - dy, x - dx) of the (mirrored) original, or zero where that lies
/// outside the image. \p scratch holds channels * height * width floats;
/// nothing is allocated. With nothing enabled the images are not touched.
/// options.shift must lie in [0, kMaxAugmentShift].
void augmentBatch(const AugmentOptions &options, float *images, int64_t batch,
                  int64_t channels, int64_t height, int64_t width,
                  uint64_t seed, uint64_t step, float *scratch);

} // namespace nnc

#endif // NNC_RUNTIME_AUGMENT_H
