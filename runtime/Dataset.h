//===- Dataset.h - In-memory training and test data -------------*- C++ -*-===//
//
// A data set as the training loop consumes it: every example's input as f32
// values in one contiguous row-major array, with either an int32 class label
// (for softmax_cross_entropy) or a vector of f32 targets (for mse) per
// example. Loaders for IDX pairs and for Fashion-MNIST in the layout Debian's
// `dataset-fashion-mnist` package installs fill it from disk; tests and
// applications may also fill it directly.
//
// Image bytes are normalised to [0, 1] as v / 255, computed in float (the
// correctly rounded quotient of two exact floats), so every platform sees the
// same bits. Nothing else -- no mean subtraction, no standardisation -- is
// applied; a model that wants it does it itself.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_DATASET_H
#define NNC_RUNTIME_DATASET_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc {

struct Dataset {
  /// Where the data came from (the images file for IDX data), for messages.
  std::string name;
  /// Number of examples.
  int64_t count = 0;
  /// Per-example input shape, e.g. {28, 28}; `exampleSize` is its product.
  std::vector<int64_t> shape;
  int64_t exampleSize = 0;
  /// count * exampleSize values, example after example.
  std::vector<float> inputs;
  /// One class in [0, numClasses) per example, for classification data;
  /// empty for regression data.
  std::vector<int32_t> labels;
  int64_t numClasses = 0;
  /// count * targetSize values for regression (mse) data; empty otherwise.
  std::vector<float> targets;
  int64_t targetSize = 0;
};

/// The directory `dataset-fashion-mnist` installs to.
constexpr const char *kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Fashion-MNIST's ten classes.
constexpr int64_t kFashionMnistClasses = 10;

/// Reads a classification data set from two IDX files of unsigned bytes
/// (plain or gzip): \p imagesPath of rank 3 (count, height, width) and
/// \p labelsPath of rank 1 (count). The counts must agree and every label
/// must be below \p numClasses. On failure \p out is left unchanged.
Status loadIdxDataset(const std::string &imagesPath,
                      const std::string &labelsPath, Dataset &out,
                      int64_t numClasses = kFashionMnistClasses);

enum class Split { Train, Test };

/// Reads the training (60000 examples) or test (10000) split of
/// Fashion-MNIST from \p dir, which holds `train-images-idx3-ubyte.gz`,
/// `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz` and
/// `t10k-labels-idx1-ubyte.gz`, or the same names without `.gz` (the gzip
/// name wins when both exist). MNIST itself uses the same names and layout.
Status loadFashionMnist(const std::string &dir, Split split, Dataset &out);

/// Checks that \p data is internally consistent: sizes agree with `count`,
/// `exampleSize` is the product of `shape`, and labels lie in
/// [0, numClasses). loadIdxDataset() output always passes; the training loop
/// calls this on every data set it is given, which may be hand-made.
Status checkDataset(const Dataset &data);

} // namespace nnc

#endif // NNC_RUNTIME_DATASET_H
