//===- AugmentTest.cpp - Seeded augmentation of image batches ---*- C++ -*-===//
//
// Checks nnc::augmentBatch against naive references written independently
// here (a mirror by index arithmetic, a translation as zero-padding followed
// by a crop), the statistics of its draws (flips about half the time, every
// shift occurring), its determinism per (seed, step, example) against values
// from an independent Python implementation of the documented algorithm, the
// --augment parser's accepted spellings and exact messages, and the training
// loop's use of it through a fake image model whose train_step and eval
// record what they are fed.
//
//===----------------------------------------------------------------------===//

#include "runtime/Augment.h"
#include "runtime/Trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <unistd.h>

using namespace nnc;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Naive references
//===----------------------------------------------------------------------===//

using Image = std::vector<float>; // [channels, height, width], row-major

struct Shape {
  int64_t channels, height, width;
  int64_t size() const { return channels * height * width; }
};

/// Distinct values in [1, 2): nothing equals the zero fill, and no two
/// translations of an image agree.
std::vector<float> distinctImages(int64_t count, const Shape &shape,
                                  float offset = 0) {
  std::vector<float> values(static_cast<size_t>(count * shape.size()));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 1.0f + offset + static_cast<float>(i) / float(values.size());
  return values;
}

Image mirror(const Image &in, const Shape &s) {
  Image out(in.size());
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t y = 0; y < s.height; ++y)
      for (int64_t x = 0; x < s.width; ++x)
        out[(c * s.height + y) * s.width + x] =
            in[(c * s.height + y) * s.width + (s.width - 1 - x)];
  return out;
}

/// Zero-pads every side by \p pad and crops the original size with its
/// top-left corner at (pad - dy, pad - dx) of the padded image.
Image padAndCrop(const Image &in, const Shape &s, int64_t pad, int64_t dy,
                 int64_t dx) {
  int64_t ph = s.height + 2 * pad, pw = s.width + 2 * pad;
  Image padded(static_cast<size_t>(s.channels * ph * pw), 0.0f);
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t y = 0; y < s.height; ++y)
      for (int64_t x = 0; x < s.width; ++x)
        padded[(c * ph + y + pad) * pw + x + pad] =
            in[(c * s.height + y) * s.width + x];
  Image out(in.size());
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t y = 0; y < s.height; ++y)
      for (int64_t x = 0; x < s.width; ++x)
        out[(c * s.height + y) * s.width + x] =
            padded[(c * ph + y + pad - dy) * pw + x + pad - dx];
  return out;
}

Image exampleOf(const std::vector<float> &batch, const Shape &s, int64_t i) {
  return Image(batch.begin() + i * s.size(),
               batch.begin() + (i + 1) * s.size());
}

bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

/// Runs augmentBatch on a copy of \p images.
std::vector<float> augmented(const AugmentOptions &options,
                             std::vector<float> images, int64_t batch,
                             const Shape &s, uint64_t seed, uint64_t step) {
  std::vector<float> scratch(static_cast<size_t>(s.size()));
  augmentBatch(options, images.data(), batch, s.channels, s.height, s.width,
               seed, step, scratch.data());
  return images;
}

//===----------------------------------------------------------------------===//
// The transforms
//===----------------------------------------------------------------------===//

TEST(AugmentTest, FlipMirrorsTheWidthAxis) {
  const Shape shape{1, 5, 7};
  const int64_t batch = 32;
  AugmentOptions flip;
  flip.flip = true;
  std::vector<float> images = distinctImages(batch, shape);
  std::vector<float> out = augmented(flip, images, batch, shape, 3, 17);
  int flipped = 0;
  for (int64_t i = 0; i < batch; ++i) {
    SCOPED_TRACE("example " + std::to_string(i));
    Image original = exampleOf(images, shape, i);
    bool expectFlip = augmentChoice(flip, 3, 17, uint64_t(i)).flip;
    flipped += expectFlip;
    EXPECT_TRUE(sameBits(exampleOf(out, shape, i),
                         expectFlip ? mirror(original, shape) : original));
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, batch);
}

TEST(AugmentTest, FlipsAboutHalfTheExamples) {
  // Two-pixel images [0, 1] read [1, 0] when flipped.
  const Shape shape{1, 1, 2};
  const int64_t batch = 16, steps = 500;
  AugmentOptions flip;
  flip.flip = true;
  std::vector<float> images;
  for (int64_t i = 0; i < batch; ++i)
    images.insert(images.end(), {0.0f, 1.0f});
  int64_t flipped = 0;
  for (uint64_t step = 1; step <= steps; ++step) {
    std::vector<float> out = augmented(flip, images, batch, shape, 9, step);
    for (int64_t i = 0; i < batch; ++i)
      flipped += out[static_cast<size_t>(2 * i)] == 1.0f;
  }
  double fraction = double(flipped) / double(batch * steps);
  EXPECT_NEAR(fraction, 0.5, 0.05);
}

TEST(AugmentTest, ShiftTranslatesWithZeroFillAndCoversEveryOffset) {
  const Shape shape{1, 6, 5};
  const int64_t batch = 8, shift = 2;
  AugmentOptions options;
  options.shift = shift;
  std::vector<float> images = distinctImages(batch, shape);
  std::set<std::pair<int64_t, int64_t>> seen;
  for (uint64_t step = 1; step <= 40; ++step) {
    std::vector<float> out = augmented(options, images, batch, shape, 5, step);
    for (int64_t i = 0; i < batch; ++i) {
      SCOPED_TRACE("step " + std::to_string(step) + " example " +
                   std::to_string(i));
      Image original = exampleOf(images, shape, i);
      Image result = exampleOf(out, shape, i);
      std::vector<std::pair<int64_t, int64_t>> matches;
      for (int64_t dy = -shift; dy <= shift; ++dy)
        for (int64_t dx = -shift; dx <= shift; ++dx)
          if (sameBits(result, padAndCrop(original, shape, shift, dy, dx)))
            matches.emplace_back(dy, dx);
      ASSERT_EQ(matches.size(), 1u) << "not a translation within the range";
      AugmentChoice choice = augmentChoice(options, 5, step, uint64_t(i));
      EXPECT_FALSE(choice.flip);
      EXPECT_EQ(matches[0], std::make_pair(choice.dy, choice.dx));
      seen.insert(matches[0]);
    }
  }
  EXPECT_EQ(seen.size(), size_t((2 * shift + 1) * (2 * shift + 1)));
}

TEST(AugmentTest, ShiftsLargerThanTheImageAreTranslationsToo) {
  const Shape shape{1, 2, 2};
  AugmentOptions options;
  options.shift = 64;
  std::vector<float> images = distinctImages(1, shape);
  for (uint64_t step = 1; step <= 20; ++step) {
    AugmentChoice choice = augmentChoice(options, 1, step, 0);
    std::vector<float> out = augmented(options, images, 1, shape, 1, step);
    EXPECT_TRUE(
        sameBits(out, padAndCrop(images, shape, 64, choice.dy, choice.dx)));
  }
}

TEST(AugmentTest, FlipComesBeforeTheShift) {
  const Shape shape{1, 4, 6};
  const int64_t batch = 64;
  AugmentOptions options;
  options.flip = true;
  options.shift = 1;
  std::vector<float> images = distinctImages(batch, shape);
  std::vector<float> out = augmented(options, images, batch, shape, 11, 2);
  int flippedAndShifted = 0;
  for (int64_t i = 0; i < batch; ++i) {
    SCOPED_TRACE("example " + std::to_string(i));
    AugmentChoice choice = augmentChoice(options, 11, 2, uint64_t(i));
    Image original = exampleOf(images, shape, i);
    Image source = choice.flip ? mirror(original, shape) : original;
    EXPECT_TRUE(sameBits(exampleOf(out, shape, i),
                         padAndCrop(source, shape, 1, choice.dy, choice.dx)));
    flippedAndShifted += choice.flip && choice.dx != 0;
  }
  EXPECT_GT(flippedAndShifted, 0);
}

TEST(AugmentTest, AllChannelsGetTheSameTransform) {
  const Shape shape{3, 4, 5};
  const Shape plane{1, 4, 5};
  const int64_t batch = 16;
  AugmentOptions options;
  options.flip = true;
  options.shift = 2;
  // Every channel a different image; and a batch whose channels are equal.
  std::vector<float> images = distinctImages(batch, shape);
  std::vector<float> equal;
  for (int64_t i = 0; i < batch; ++i)
    for (int64_t c = 0; c < shape.channels; ++c)
      equal.insert(equal.end(), images.begin() + i * shape.size(),
                   images.begin() + i * shape.size() + plane.size());
  std::vector<float> out = augmented(options, images, batch, shape, 4, 8);
  std::vector<float> outEqual = augmented(options, equal, batch, shape, 4, 8);
  for (int64_t i = 0; i < batch; ++i) {
    AugmentChoice choice = augmentChoice(options, 4, 8, uint64_t(i));
    for (int64_t c = 0; c < shape.channels; ++c) {
      SCOPED_TRACE("example " + std::to_string(i) + " channel " +
                   std::to_string(c));
      auto at = images.begin() + i * shape.size() + c * plane.size();
      Image channel(at, at + plane.size());
      Image source = choice.flip ? mirror(channel, plane) : channel;
      auto got = out.begin() + i * shape.size() + c * plane.size();
      EXPECT_TRUE(sameBits(Image(got, got + plane.size()),
                           padAndCrop(source, plane, 2, choice.dy, choice.dx)));
      auto first = outEqual.begin() + i * shape.size();
      auto other = first + c * plane.size();
      EXPECT_TRUE(std::equal(first, first + plane.size(), other));
    }
  }
}

TEST(AugmentTest, DisabledLeavesTheDataBitIdentical) {
  const Shape shape{2, 3, 3};
  std::vector<float> images = distinctImages(4, shape);
  images[0] = -0.0f;
  images[1] = std::numeric_limits<float>::quiet_NaN();
  images[2] = std::numeric_limits<float>::infinity();
  AugmentOptions none;
  none.shift = 0;
  ASSERT_FALSE(none.enabled());
  std::vector<float> scratch(static_cast<size_t>(shape.size()), 7.0f);
  std::vector<float> out = images;
  augmentBatch(none, out.data(), 4, shape.channels, shape.height, shape.width,
               1, 1, scratch.data());
  EXPECT_TRUE(sameBits(out, images));
  EXPECT_EQ(scratch, std::vector<float>(scratch.size(), 7.0f));
}

//===----------------------------------------------------------------------===//
// Determinism
//===----------------------------------------------------------------------===//

TEST(AugmentTest, ChoicesMatchTheDocumentedAlgorithm) {
  // From an independent Python implementation of the algorithm in
  // docs/runtime.md (splitmix64 keyed by seed, step and index; Lemire's draw).
  struct Case {
    bool flip;
    int64_t shift;
    uint64_t seed, step, index;
    AugmentChoice expected;
  };
  const Case cases[] = {
      {true, 2, 0u, 1u, 0u, {false, 1, -2}},
      {true, 2, 0u, 1u, 1u, {true, -2, 1}},
      {true, 2, 0u, 1u, 2u, {false, 1, -1}},
      {true, 2, 0u, 1u, 3u, {false, 1, -2}},
      {true, 0, 7u, 12u, 3u, {true, 0, 0}},
      {true, 1, 7u, 12u, 3u, {true, -1, 1}},
      {false, 1, 7u, 12u, 3u, {false, -1, 1}},
      {true, 0, 7u, 12u, 5u, {false, 0, 0}},
      {true, 64, 3u, 99u, 2u, {false, -1, 52}},
      {true, 3, 42u, 1000u, 7u, {true, 0, 1}},
      {false, 3, ~0ull, 1ull << 63, 31u, {false, 1, 0}},
  };
  for (const Case &c : cases) {
    AugmentOptions options;
    options.flip = c.flip;
    options.shift = c.shift;
    AugmentChoice got = augmentChoice(options, c.seed, c.step, c.index);
    SCOPED_TRACE(formatAugmentSpec(options) + " seed " +
                 std::to_string(c.seed) + " step " + std::to_string(c.step) +
                 " index " + std::to_string(c.index));
    EXPECT_EQ(got.flip, c.expected.flip);
    EXPECT_EQ(got.dy, c.expected.dy);
    EXPECT_EQ(got.dx, c.expected.dx);
  }
}

TEST(AugmentTest, SameSeedStepAndIndexGiveTheSameResult) {
  const Shape shape{1, 6, 6};
  const int64_t batch = 24;
  AugmentOptions options;
  options.flip = true;
  options.shift = 2;
  std::vector<float> images = distinctImages(batch, shape);
  std::vector<float> a = augmented(options, images, batch, shape, 1, 5);
  std::vector<float> b = augmented(options, images, batch, shape, 1, 5);
  EXPECT_TRUE(sameBits(a, b));
  // An example's choices do not depend on the batch around it.
  std::vector<float> alone =
      augmented(options, exampleOf(images, shape, 0), 1, shape, 1, 5);
  EXPECT_TRUE(sameBits(alone, exampleOf(a, shape, 0)));

  auto choices = [&](uint64_t seed, uint64_t step) {
    std::vector<std::tuple<bool, int64_t, int64_t>> all;
    for (uint64_t i = 0; i < uint64_t(batch); ++i) {
      AugmentChoice c = augmentChoice(options, seed, step, i);
      all.emplace_back(c.flip, c.dy, c.dx);
    }
    return all;
  };
  EXPECT_NE(choices(1, 5), choices(1, 6));
  EXPECT_NE(choices(1, 5), choices(2, 5));
  EXPECT_FALSE(sameBits(a, augmented(options, images, batch, shape, 1, 6)));
}

//===----------------------------------------------------------------------===//
// The --augment spelling
//===----------------------------------------------------------------------===//

TEST(AugmentTest, ParsesTheDocumentedSpellings) {
  struct Case {
    const char *spec;
    bool flip;
    int64_t shift;
    const char *canonical;
  };
  const Case cases[] = {
      {"none", false, 0, "none"},
      {"flip", true, 0, "flip"},
      {"shift=2", false, 2, "shift=2"},
      {"flip,shift=2", true, 2, "flip,shift=2"},
      {"shift=2,flip", true, 2, "flip,shift=2"},
      {"shift=0", false, 0, "none"},
      {"flip,shift=0", true, 0, "flip"},
      {"shift=64", false, 64, "shift=64"},
      {"shift=007", false, 7, "shift=7"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.spec);
    AugmentOptions options;
    options.flip = !c.flip;
    options.shift = 33;
    Status status = parseAugmentSpec(c.spec, options);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(options.flip, c.flip);
    EXPECT_EQ(options.shift, c.shift);
    EXPECT_EQ(formatAugmentSpec(options), c.canonical);
  }
}

TEST(AugmentTest, RefusesOtherSpellingsNamingTheItem) {
  auto expectItem = [](const std::string &item) {
    return "invalid --augment item '" + item +
           "'; expected flip, shift=N or none";
  };
  const std::pair<std::string, std::string> cases[] = {
      {"shfit=2", expectItem("shfit=2")},
      {"bogus", expectItem("bogus")},
      {"", expectItem("")},
      {"flip,", expectItem("")},
      {",flip", expectItem("")},
      {"flip,,shift=1", expectItem("")},
      {"FLIP", expectItem("FLIP")},
      {" flip", expectItem(" flip")},
      {"flip ", expectItem("flip ")},
      {"shift", expectItem("shift")},
      {"shift=", expectItem("shift=")},
      {"shift=-1", expectItem("shift=-1")},
      {"shift=+1", expectItem("shift=+1")},
      {"shift=1e1", expectItem("shift=1e1")},
      {"shift = 2", expectItem("shift = 2")},
      {"flip,shift=x", expectItem("shift=x")},
      {"shift=65", "invalid --augment item 'shift=65'; the shift must be an "
                   "integer in [0, 64]"},
      {"shift=99999999999999999999999", "invalid --augment item "
                                        "'shift=99999999999999999999999'; the "
                                        "shift must be an integer in [0, 64]"},
      {"flip,flip", "invalid --augment spec 'flip,flip': 'flip' is given "
                    "twice"},
      {"shift=1,flip,shift=1", "invalid --augment spec "
                               "'shift=1,flip,shift=1': 'shift' is given "
                               "twice"},
      {"none,flip", "invalid --augment spec 'none,flip': 'none' cannot be "
                    "combined with other items"},
      {"flip,none", "invalid --augment spec 'flip,none': 'none' cannot be "
                    "combined with other items"},
      {"none,none", "invalid --augment spec 'none,none': 'none' cannot be "
                    "combined with other items"},
  };
  for (const auto &[spec, message] : cases) {
    SCOPED_TRACE("'" + spec + "'");
    AugmentOptions options;
    options.flip = true;
    options.shift = 3;
    Status status = parseAugmentSpec(spec, options);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message(), message);
    EXPECT_TRUE(options.flip && options.shift == 3) << "changed on failure";
  }
}

TEST(AugmentTest, FormatRoundTrips) {
  for (bool flip : {false, true})
    for (int64_t shift = 0; shift <= kMaxAugmentShift; ++shift) {
      AugmentOptions options;
      options.flip = flip;
      options.shift = shift;
      AugmentOptions back;
      back.flip = !flip;
      back.shift = 5;
      std::string spec = formatAugmentSpec(options);
      ASSERT_TRUE(parseAugmentSpec(spec, back).ok()) << spec;
      EXPECT_EQ(back.flip, flip) << spec;
      EXPECT_EQ(back.shift, shift) << spec;
    }
}

//===----------------------------------------------------------------------===//
// The training loop
//===----------------------------------------------------------------------===//

constexpr int64_t kChannels = 2, kHeight = 3, kWidth = 4;
constexpr int64_t kImageSize = kChannels * kHeight * kWidth;
constexpr int64_t kClasses = 2;

/// What the fake image model was fed.
struct Feed {
  std::vector<int64_t> steps;
  std::vector<std::vector<float>> trainBatches;
  std::vector<float> evalInputs;
};
Feed *feed = nullptr;

float recordingTrainStep(float *, float *, float *, int64_t step, uint64_t,
                         const float *x, const void *, int64_t batch, void *) {
  feed->steps.push_back(step);
  feed->trainBatches.emplace_back(x, x + batch * kImageSize);
  return 1.0f;
}

float recordingEval(const float *, const float *x, const void *, int64_t batch,
                    int64_t *correct, void *) {
  feed->evalInputs.insert(feed->evalInputs.end(), x, x + batch * kImageSize);
  *correct = 0;
  return 1.0f;
}

/// A classifier of [2, 3, 4] images into two classes whose train_step and
/// eval only record their inputs.
struct ImageModel {
  ImageModel() {
    param.name = "dense.bias";
    param.rank = 1;
    param.shape = biasShape.data();
    param.offset = 0;
    param.size = kClasses;
    param.init = NNC_INIT_ZEROS;
    param.trainable = 1;
    input = {"image", 3, inputShape.data(), kImageSize};
    output = {"output", 1, outputShape.data(), kClasses};
    train.loss = NNC_LOSS_SOFTMAX_CROSS_ENTROPY;
    train.optimizer = NNC_OPTIMIZER_SGD;
    train.lr = 0.1;
    train.batch = 4;
    train.epochs = 3;
    train.train_step = recordingTrainStep;
    train.eval = recordingEval;
    desc.abi_version = NNC_ABI_VERSION;
    desc.name = "ImageModel";
    desc.num_params = 1;
    desc.params = &param;
    desc.param_size = kClasses;
    desc.num_inputs = 1;
    desc.inputs = &input;
    desc.output = &output;
    desc.dtype = NNC_DTYPE_F32;
    desc.train = &train;
  }
  ImageModel(const ImageModel &) = delete;
  ImageModel &operator=(const ImageModel &) = delete;

  std::vector<int64_t> biasShape{kClasses};
  std::vector<int64_t> inputShape{kChannels, kHeight, kWidth};
  std::vector<int64_t> outputShape{kClasses};
  nnc_param_desc param{};
  nnc_tensor_desc input{};
  nnc_tensor_desc output{};
  nnc_train_desc train{};
  nnc_model_desc desc{};
};

Dataset makeImages(int64_t count, float offset, const std::string &name) {
  Dataset data;
  data.name = name;
  data.count = count;
  data.shape = {kChannels, kHeight, kWidth};
  data.exampleSize = kImageSize;
  data.numClasses = kClasses;
  data.inputs =
      distinctImages(count, Shape{kChannels, kHeight, kWidth}, offset);
  for (int64_t i = 0; i < count; ++i)
    data.labels.push_back(static_cast<int32_t>(i % kClasses));
  return data;
}

class AugmentTrainTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::path(::testing::TempDir()) / "nnc-augment-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    options.progress = TrainOptions::Progress::Off;
    options.seed = 5;
    options.augment = AugmentOptions();
    options.augment->flip = true;
    options.augment->shift = 1;
    feed = &recorded;
  }

  void TearDown() override {
    feed = nullptr;
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  /// The batch of \p step as the loop stages it before augmentation.
  std::vector<float> stagedBatch(int64_t step) const {
    int64_t batch = model.train.batch;
    int64_t perEpoch = (trainSet.count + batch - 1) / batch;
    int64_t epoch = (step - 1) / perEpoch,
            begin = (step - 1) % perEpoch * batch;
    std::vector<uint32_t> order(static_cast<size_t>(trainSet.count));
    shuffleOrder(options.seed, epoch, order);
    std::vector<float> staged;
    for (int64_t i = begin; i < std::min(begin + batch, trainSet.count); ++i) {
      auto at = trainSet.inputs.begin() + order[size_t(i)] * kImageSize;
      staged.insert(staged.end(), at, at + kImageSize);
    }
    return staged;
  }

  ImageModel model;
  Dataset trainSet = makeImages(10, 0.0f, "images-train");
  Dataset testSet = makeImages(6, 1.0f, "images-test");
  TrainOptions options;
  Feed recorded;
  std::string dir;
};

TEST_F(AugmentTrainTest, AugmentsTheStagedBatchOnly) {
  const std::vector<float> trainInputs = trainSet.inputs;
  const std::vector<float> testInputs = testSet.inputs;
  options.progress = TrainOptions::Progress::Lines;
  options.metricsPath = dir + "/metrics.jsonl";
  std::FILE *out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  options.out = out;
  std::vector<float> params(kClasses, 0.0f);
  TrainReport report;
  Status status =
      train(model.desc, params.data(), trainSet, &testSet, options, report);
  ASSERT_TRUE(status.ok()) << status.message();

  // 3 epochs of ceil(10 / 4) = 3 steps.
  ASSERT_EQ(recorded.steps.size(), 9u);
  int changed = 0;
  std::vector<float> scratch(kImageSize);
  for (size_t n = 0; n < recorded.steps.size(); ++n) {
    int64_t step = recorded.steps[n];
    SCOPED_TRACE("step " + std::to_string(step));
    std::vector<float> staged = stagedBatch(step);
    std::vector<float> expected = staged;
    augmentBatch(*options.augment, expected.data(),
                 int64_t(staged.size()) / kImageSize, kChannels, kHeight,
                 kWidth, options.seed, uint64_t(step), scratch.data());
    EXPECT_TRUE(sameBits(recorded.trainBatches[n], expected));
    changed += !sameBits(recorded.trainBatches[n], staged);
  }
  EXPECT_GT(changed, 0) << "no batch was augmented";
  EXPECT_TRUE(sameBits(trainSet.inputs, trainInputs)) << "data set changed";
  EXPECT_TRUE(sameBits(testSet.inputs, testInputs)) << "test set changed";
  // Three evaluations of the test set, in order, as it is.
  std::vector<float> evaluated;
  for (int e = 0; e < 3; ++e)
    evaluated.insert(evaluated.end(), testInputs.begin(), testInputs.end());
  EXPECT_TRUE(sameBits(recorded.evalInputs, evaluated));

  std::fflush(out);
  std::rewind(out);
  char line[512] = {};
  ASSERT_NE(std::fgets(line, sizeof(line), out), nullptr);
  std::fclose(out);
  EXPECT_EQ(std::string(line).rfind("epoch 1/3: train loss 1.0000 "
                                    "(augmented: flip,shift=1), test loss "
                                    "1.0000, test accuracy 0.0000, ",
                                    0),
            0u)
      << line;
  std::ifstream metrics(options.metricsPath);
  std::string record;
  ASSERT_TRUE(std::getline(metrics, record));
  EXPECT_NE(record.find(",\"augment\":\"flip,shift=1\"}"), std::string::npos)
      << record;
}

TEST_F(AugmentTrainTest, ResumedRunAugmentsLikeAnUninterruptedOne) {
  std::vector<float> params(kClasses, 0.0f);
  TrainReport report;
  ASSERT_TRUE(
      train(model.desc, params.data(), trainSet, nullptr, options, report)
          .ok());
  Feed whole = std::move(recorded);

  recorded = Feed();
  TrainOptions first = options;
  first.epochs = 1;
  first.savePath = dir + "/run.ckpt";
  ASSERT_TRUE(
      train(model.desc, params.data(), trainSet, nullptr, first, report).ok());
  recorded = Feed();
  TrainOptions rest = options;
  rest.seed = 99; // ignored: the checkpoint's seed is used
  rest.resumePath = first.savePath;
  Status status =
      train(model.desc, params.data(), trainSet, nullptr, rest, report);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(recorded.steps, std::vector<int64_t>({4, 5, 6, 7, 8, 9}));
  for (size_t n = 0; n < recorded.steps.size(); ++n)
    EXPECT_TRUE(sameBits(recorded.trainBatches[n], whole.trainBatches[n + 3]))
        << "step " << recorded.steps[n];
}

TEST_F(AugmentTrainTest, RefusesModelsWithoutAnImageInput) {
  std::vector<float> params(kClasses, 0.0f);
  TrainReport report;
  model.inputShape = {kImageSize};
  model.input.shape = model.inputShape.data();
  model.input.rank = 1;
  trainSet.shape = {kImageSize};
  Status status =
      train(model.desc, params.data(), trainSet, &testSet, options, report);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "augmentation needs an image input of shape [channels, height, "
            "width]; model 'ImageModel' takes f32[24]");
  EXPECT_TRUE(recorded.steps.empty());

  // Without augmentation the same model trains.
  options.augment = AugmentOptions();
  status =
      train(model.desc, params.data(), trainSet, &testSet, options, report);
  EXPECT_TRUE(status.ok()) << status.message();

  model.inputShape = {kChannels, kHeight, kWidth};
  model.input.shape = model.inputShape.data();
  model.input.rank = 3;
  options.augment->shift = 65;
  status =
      train(model.desc, params.data(), trainSet, &testSet, options, report);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "augmentation shift 65 is outside [0, 64]");
}

} // namespace
