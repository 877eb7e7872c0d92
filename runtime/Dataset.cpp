//===- Dataset.cpp - In-memory training and test data -----------*- C++ -*-===//
//
// Loading IDX image/label pairs into a Dataset and the consistency checks the
// training loop relies on. The checks use overflow-safe arithmetic because
// hand-made data sets reach them too.
//
//===----------------------------------------------------------------------===//

#include "runtime/Dataset.h"

#include "runtime/Idx.h"
#include "runtime/Params.h"

#include <fmt/format.h>

#include <limits>

#include <sys/stat.h>

using namespace nnc;

namespace {

bool isRegularFile(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

/// \p dir/\p base + ".gz" if that exists, else \p dir/\p base if that
/// exists, else "".
std::string findFile(const std::string &dir, const std::string &base) {
  std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  for (const std::string &candidate : {prefix + base + ".gz", prefix + base})
    if (isRegularFile(candidate))
      return candidate;
  return "";
}

} // namespace

Status nnc::loadIdxDataset(const std::string &imagesPath,
                           const std::string &labelsPath, Dataset &out,
                           int64_t numClasses) {
  if (numClasses < 1 || numClasses > 256)
    return Status::error(fmt::format(
        "cannot load {}: {} classes requested; IDX labels are bytes, so "
        "between 1 and 256 classes",
        quotePath(labelsPath), numClasses));
  IdxArray images;
  if (Status status = readIdx(imagesPath, images); !status)
    return status;
  if (images.dims.size() != 3)
    return Status::error(fmt::format(
        "{} has shape {}; images must have rank 3 (count, height, width)",
        quotePath(imagesPath),
        formatShape(images.dims.data(),
                    static_cast<int32_t>(images.dims.size()))));
  IdxArray labels;
  if (Status status = readIdx(labelsPath, labels); !status)
    return status;
  if (labels.dims.size() != 1)
    return Status::error(
        fmt::format("{} has shape {}; labels must have rank 1 (count)",
                    quotePath(labelsPath),
                    formatShape(labels.dims.data(),
                                static_cast<int32_t>(labels.dims.size()))));
  if (labels.dims[0] != images.dims[0])
    return Status::error(fmt::format("{} holds {} images but {} holds {} "
                                     "labels",
                                     quotePath(imagesPath), images.dims[0],
                                     quotePath(labelsPath), labels.dims[0]));
  for (size_t i = 0; i < labels.data.size(); ++i)
    if (labels.data[i] >= numClasses)
      return Status::error(
          fmt::format("{} has label {} at index {}; labels must be below {}",
                      quotePath(labelsPath), labels.data[i], i, numClasses));

  Dataset data;
  data.name = imagesPath;
  data.count = images.dims[0];
  data.shape = {images.dims[1], images.dims[2]};
  data.exampleSize = images.dims[1] * images.dims[2];
  data.inputs.resize(images.data.size());
  // float(v) / 255.0f is the correctly rounded quotient, identical on every
  // IEEE platform; a table keeps the conversion out of the inner loop.
  float table[256];
  for (int v = 0; v < 256; ++v)
    table[v] = static_cast<float>(v) / 255.0f;
  for (size_t i = 0; i < images.data.size(); ++i)
    data.inputs[i] = table[images.data[i]];
  data.labels.assign(labels.data.begin(), labels.data.end());
  data.numClasses = numClasses;
  out = std::move(data);
  return Status::success();
}

Status nnc::loadFashionMnist(const std::string &dir, Split split,
                             Dataset &out) {
  const char *prefix = split == Split::Train ? "train" : "t10k";
  const char *what = split == Split::Train ? "training" : "test";
  std::string paths[2];
  const char *kinds[2] = {"images-idx3-ubyte", "labels-idx1-ubyte"};
  for (int i = 0; i < 2; ++i) {
    std::string base = fmt::format("{}-{}", prefix, kinds[i]);
    paths[i] = findFile(dir, base);
    if (paths[i].empty())
      return Status::error(fmt::format(
          "cannot find the Fashion-MNIST {} {} in {}: neither '{}.gz' nor "
          "'{}' is there",
          what, i == 0 ? "images" : "labels", quotePath(dir), base, base));
  }
  return loadIdxDataset(paths[0], paths[1], out, kFashionMnistClasses);
}

Status nnc::checkDataset(const Dataset &data) {
  std::string what = "data set " + quotePath(data.name);
  auto fail = [&](const std::string &problem) {
    return Status::error(what + ": " + problem);
  };
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (data.count < 0)
    return fail(fmt::format("negative example count {}", data.count));
  int64_t product = 1;
  for (int64_t dim : data.shape) {
    if (dim < 0 || (dim != 0 && product > kMax / dim))
      return fail(
          fmt::format("invalid example shape {}",
                      formatShape(data.shape.data(),
                                  static_cast<int32_t>(data.shape.size()))));
    product *= dim;
  }
  if (product != data.exampleSize)
    return fail(fmt::format(
        "example shape {} has {} elements but the example size is {}",
        formatShape(data.shape.data(), static_cast<int32_t>(data.shape.size())),
        product, data.exampleSize));
  if (data.exampleSize != 0 && data.count > kMax / data.exampleSize)
    return fail("count times example size overflows");
  if (static_cast<int64_t>(data.inputs.size()) != data.count * data.exampleSize)
    return fail(fmt::format("{} input values for {} examples of {}",
                            data.inputs.size(), data.count, data.exampleSize));
  if (!data.labels.empty()) {
    if (static_cast<int64_t>(data.labels.size()) != data.count)
      return fail(fmt::format("{} labels for {} examples", data.labels.size(),
                              data.count));
    for (size_t i = 0; i < data.labels.size(); ++i)
      if (data.labels[i] < 0 || data.labels[i] >= data.numClasses)
        return fail(fmt::format("label {} at index {} is outside [0, {})",
                                data.labels[i], i, data.numClasses));
  }
  if (!data.targets.empty() || data.targetSize != 0) {
    if (data.targetSize < 0 ||
        (data.targetSize != 0 && data.count > kMax / data.targetSize) ||
        static_cast<int64_t>(data.targets.size()) !=
            data.count * data.targetSize)
      return fail(fmt::format("{} target values for {} examples of {}",
                              data.targets.size(), data.count,
                              data.targetSize));
  }
  return Status::success();
}
