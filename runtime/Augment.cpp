//===- Augment.cpp - Seeded augmentation of image batches -------*- C++ -*-===//
//
// The --augment parser and the per-example transform. Each example's choices
// come from a splitmix64 generator keyed by (seed, step, index) alone, and
// bounded values from Lemire's unbiased multiply-and-reject draw, the same
// construction as the trainer's shuffle, so no platform's <random> is
// involved. The transform mirrors and translates one [C, H, W] image through
// a scratch copy of it, a row at a time: a row is either all zeros (shifted
// out), or a run of zeros, a (possibly reversed) copy of a source row and
// another run of zeros.
//
//===----------------------------------------------------------------------===//

#include "runtime/Augment.h"

#include "runtime/Params.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

using namespace nnc;

namespace {

/// Mixed into the key so that augmentation draws never coincide with the
/// shuffle's or the parameter initialiser's for the same seed.
constexpr uint64_t kAugmentDomain = 0x6e6e632d6175676dULL; // "nnc-augm"
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

/// The splitmix64 generator: nnc::splitmix64 adds kGolden before mixing, so
/// the outputs are splitmix64(key), splitmix64(key + kGolden), ...
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t key) : state(key) {}

  uint64_t next() {
    uint64_t out = splitmix64(state);
    state += kGolden;
    return out;
  }

  /// A uniform value in [0, range), 1 <= range < 2^32, from the high halves
  /// of the outputs: Lemire's method, as in the trainer's shuffle.
  uint32_t bounded(uint32_t range) {
    uint64_t product = (next() >> 32) * range;
    auto low = static_cast<uint32_t>(product);
    if (low < range) {
      uint32_t threshold = (0u - range) % range;
      while (low < threshold) {
        product = (next() >> 32) * range;
        low = static_cast<uint32_t>(product);
      }
    }
    return static_cast<uint32_t>(product >> 32);
  }

private:
  uint64_t state;
};

Status invalidItem(std::string_view item) {
  return Status::error(fmt::format(
      "invalid --augment item '{}'; expected flip, shift=N or none", item));
}

/// Transforms one [channels, height, width] image in place.
void augmentOne(float *image, int64_t channels, int64_t height, int64_t width,
                const AugmentChoice &choice, float *scratch) {
  const int64_t plane = height * width;
  std::copy_n(image, channels * plane, scratch);
  // Output columns [xBegin, xEnd) have a source column x - dx inside the
  // image; the others are zero.
  const int64_t xBegin = std::clamp<int64_t>(choice.dx, 0, width);
  const int64_t xEnd = std::clamp<int64_t>(width + choice.dx, 0, width);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t y = 0; y < height; ++y) {
      float *out = image + c * plane + y * width;
      int64_t sy = y - choice.dy;
      if (sy < 0 || sy >= height || xBegin >= xEnd) {
        std::fill_n(out, width, 0.0f);
        continue;
      }
      const float *row = scratch + c * plane + sy * width;
      std::fill(out, out + xBegin, 0.0f);
      // Column x of the mirrored row is column width - 1 - x of the row.
      if (choice.flip)
        std::reverse_copy(row + (width - xEnd + choice.dx),
                          row + (width - xBegin + choice.dx), out + xBegin);
      else
        std::copy(row + (xBegin - choice.dx), row + (xEnd - choice.dx),
                  out + xBegin);
      std::fill(out + xEnd, out + width, 0.0f);
    }
  }
}

} // namespace

Status nnc::parseAugmentSpec(std::string_view spec, AugmentOptions &out) {
  if (spec == "none") {
    out = AugmentOptions();
    return Status::success();
  }
  AugmentOptions parsed;
  bool sawShift = false;
  size_t start = 0;
  while (true) {
    size_t comma = spec.find(',', start);
    std::string_view item = spec.substr(start, comma == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : comma - start);
    if (item == "none")
      return Status::error(fmt::format("invalid --augment spec '{}': 'none' "
                                       "cannot be combined with other items",
                                       spec));
    if (item == "flip") {
      if (parsed.flip)
        return Status::error(fmt::format(
            "invalid --augment spec '{}': 'flip' is given twice", spec));
      parsed.flip = true;
    } else if (item.substr(0, 6) == "shift=") {
      std::string_view digits = item.substr(6);
      if (digits.empty())
        return invalidItem(item);
      int64_t value = 0;
      for (char ch : digits) {
        if (ch < '0' || ch > '9')
          return invalidItem(item);
        // Saturate: any value past the limit is refused the same way.
        value =
            std::min<int64_t>(value * 10 + (ch - '0'), kMaxAugmentShift + 1);
      }
      if (value > kMaxAugmentShift)
        return Status::error(
            fmt::format("invalid --augment item '{}'; the shift must be an "
                        "integer in [0, {}]",
                        item, kMaxAugmentShift));
      if (sawShift)
        return Status::error(fmt::format(
            "invalid --augment spec '{}': 'shift' is given twice", spec));
      sawShift = true;
      parsed.shift = value;
    } else {
      return invalidItem(item);
    }
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  out = parsed;
  return Status::success();
}

std::string nnc::formatAugmentSpec(const AugmentOptions &options) {
  if (!options.enabled())
    return "none";
  std::string text = options.flip ? "flip" : "";
  if (options.shift > 0)
    text += fmt::format("{}shift={}", text.empty() ? "" : ",", options.shift);
  return text;
}

AugmentChoice nnc::augmentChoice(const AugmentOptions &options, uint64_t seed,
                                 uint64_t step, uint64_t index) {
  uint64_t key =
      splitmix64(splitmix64(splitmix64(kAugmentDomain ^ seed) ^ step) ^ index);
  SplitMix64 rng(key);
  AugmentChoice choice;
  // The flip's draw is taken even when flips are off, so that the shifts of
  // "shift=2" and "flip,shift=2" runs agree.
  bool heads = (rng.next() >> 63) != 0;
  choice.flip = options.flip && heads;
  if (options.shift > 0) {
    auto range = static_cast<uint32_t>(2 * options.shift + 1);
    choice.dy = int64_t(rng.bounded(range)) - options.shift;
    choice.dx = int64_t(rng.bounded(range)) - options.shift;
  }
  return choice;
}

void nnc::augmentBatch(const AugmentOptions &options, float *images,
                       int64_t batch, int64_t channels, int64_t height,
                       int64_t width, uint64_t seed, uint64_t step,
                       float *scratch) {
  assert(options.shift >= 0 && options.shift <= kMaxAugmentShift &&
         "augmentation shift out of range");
  if (!options.enabled())
    return;
  const int64_t size = channels * height * width;
  for (int64_t i = 0; i < batch; ++i) {
    AugmentChoice choice =
        augmentChoice(options, seed, step, static_cast<uint64_t>(i));
    if (choice.flip || choice.dy != 0 || choice.dx != 0)
      augmentOne(images + i * size, channels, height, width, choice, scratch);
  }
}
