//===- DatasetTest.cpp - IDX data sets and Fashion-MNIST --------*- C++ -*-===//
//
// Checks that image/label IDX pairs load into a Dataset with the documented
// normalisation (v / 255 in float), that mismatched pairs are refused with
// messages naming the files, that loadFashionMnist finds the gzip or plain
// file names of the standard layout, and that checkDataset catches
// inconsistent hand-made data sets. When Debian's dataset-fashion-mnist is
// installed, also checks the real files: sizes, value range and the known
// class balance.
//
//===----------------------------------------------------------------------===//

#include "runtime/Dataset.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace nnc;
namespace fs = std::filesystem;

namespace {

std::string idxBytes(const std::vector<uint32_t> &dims,
                     const std::string &data) {
  std::string bytes = {0, 0, 8, static_cast<char>(dims.size())};
  for (uint32_t dim : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes += static_cast<char>(dim >> shift);
  return bytes + data;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void writeGzip(const std::string &path, const std::string &bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

class DatasetTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::path(::testing::TempDir()) / "nnc-dataset-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    // Three 2x2 images using 0, 255 and values between.
    for (int v : {0, 255, 1, 128, 254, 3, 51, 102, 7, 77, 200, 100})
      pixels += static_cast<char>(v);
    imagesPath = dir + "/images";
    labelsPath = dir + "/labels";
    writeBytes(imagesPath, idxBytes({3, 2, 2}, pixels));
    writeBytes(labelsPath, idxBytes({3}, std::string("\x02\x00\x09", 3)));
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  void expectRefusal(const std::string &images, const std::string &labels,
                     const std::string &expected, int64_t classes = 10) {
    Dataset out;
    out.name = "untouched";
    Status status = loadIdxDataset(images, labels, out, classes);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message(), expected);
    EXPECT_EQ(out.name, "untouched");
  }

  std::string dir;
  std::string pixels;
  std::string imagesPath;
  std::string labelsPath;
};

TEST_F(DatasetTest, LoadsAndNormalisesAnIdxPair) {
  Dataset data;
  Status status = loadIdxDataset(imagesPath, labelsPath, data);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(data.name, imagesPath);
  EXPECT_EQ(data.count, 3);
  EXPECT_EQ(data.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(data.exampleSize, 4);
  EXPECT_EQ(data.numClasses, 10);
  EXPECT_EQ(data.labels, (std::vector<int32_t>{2, 0, 9}));
  ASSERT_EQ(data.inputs.size(), 12u);
  for (size_t i = 0; i < 12; ++i) {
    auto byte = static_cast<unsigned char>(pixels[i]);
    // Bit-exact: the correctly rounded float quotient.
    EXPECT_EQ(data.inputs[i], static_cast<float>(byte) / 255.0f) << i;
  }
  EXPECT_EQ(data.inputs[0], 0.0f);
  EXPECT_EQ(data.inputs[1], 1.0f);
  EXPECT_TRUE(data.targets.empty());
  EXPECT_TRUE(checkDataset(data).ok());
}

TEST_F(DatasetTest, RefusesMismatchedPairs) {
  std::string fewer = dir + "/two-labels";
  writeBytes(fewer, idxBytes({2}, std::string("\x01\x02", 2)));
  expectRefusal(imagesPath, fewer,
                "'" + imagesPath + "' holds 3 images but '" + fewer +
                    "' holds 2 labels");
  expectRefusal(
      imagesPath, labelsPath,
      "'" + labelsPath + "' has label 9 at index 2; labels must be below 5", 5);
  std::string flat = dir + "/flat-images";
  writeBytes(flat, idxBytes({3, 4}, pixels));
  expectRefusal(flat, labelsPath,
                "'" + flat +
                    "' has shape [3, 4]; images must have rank 3 (count, "
                    "height, width)");
  expectRefusal(imagesPath, imagesPath,
                "'" + imagesPath +
                    "' has shape [3, 2, 2]; labels must have rank 1 (count)");
  expectRefusal(imagesPath, labelsPath,
                "cannot load '" + labelsPath +
                    "': 0 classes requested; IDX labels are bytes, so "
                    "between 1 and 256 classes",
                0);
  // Problems of the files themselves come from the IDX reader.
  writeBytes(labelsPath, idxBytes({3}, "\x01"));
  expectRefusal(imagesPath, labelsPath,
                "'" + labelsPath +
                    "' is truncated: expected 11 bytes (8 of header and 3 "
                    "of data), got 9");
}

TEST_F(DatasetTest, FindsFashionMnistFilesGzipOrPlain) {
  std::string images = idxBytes({3, 2, 2}, pixels);
  std::string labels = idxBytes({3}, std::string("\x01\x02\x03", 3));
  writeGzip(dir + "/train-images-idx3-ubyte.gz", images);
  writeGzip(dir + "/train-labels-idx1-ubyte.gz", labels);
  writeBytes(dir + "/t10k-images-idx3-ubyte",
             idxBytes({2, 2, 2}, pixels.substr(0, 8)));
  writeBytes(dir + "/t10k-labels-idx1-ubyte", idxBytes({2}, "\x04\x05"));

  Dataset train, test;
  Status status = loadFashionMnist(dir, Split::Train, train);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(train.count, 3);
  EXPECT_EQ(train.name, dir + "/train-images-idx3-ubyte.gz");
  status = loadFashionMnist(dir + "/", Split::Test, test);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(test.count, 2);
  EXPECT_EQ(test.labels, (std::vector<int32_t>{4, 5}));

  // With both spellings present the gzip file wins.
  writeBytes(dir + "/train-labels-idx1-ubyte", "not even IDX");
  status = loadFashionMnist(dir, Split::Train, train);
  EXPECT_TRUE(status.ok()) << status.message();

  fs::remove(dir + "/t10k-labels-idx1-ubyte");
  Dataset untouched;
  status = loadFashionMnist(dir, Split::Test, untouched);
  EXPECT_EQ(status.message(), "cannot find the Fashion-MNIST test labels in '" +
                                  dir +
                                  "': neither 't10k-labels-idx1-ubyte.gz' nor "
                                  "'t10k-labels-idx1-ubyte' is there");
}

TEST_F(DatasetTest, CheckDatasetCatchesInconsistentHandMadeData) {
  Dataset data;
  data.name = "hand";
  data.count = 2;
  data.shape = {3};
  data.exampleSize = 3;
  data.inputs.assign(6, 0.5f);
  data.labels = {0, 1};
  data.numClasses = 2;
  ASSERT_TRUE(checkDataset(data).ok());
  auto expectProblem = [](const Dataset &broken, const std::string &expected) {
    Status status = checkDataset(broken);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message(), expected);
  };
  Dataset bad = data;
  bad.inputs.pop_back();
  expectProblem(bad, "data set 'hand': 5 input values for 2 examples of 3");
  bad = data;
  bad.exampleSize = 4;
  expectProblem(bad, "data set 'hand': example shape [3] has 3 elements but "
                     "the example size is 4");
  bad = data;
  bad.labels = {0};
  expectProblem(bad, "data set 'hand': 1 labels for 2 examples");
  bad = data;
  bad.labels = {0, 2};
  expectProblem(bad, "data set 'hand': label 2 at index 1 is outside [0, 2)");
  bad = data;
  bad.targetSize = 2;
  bad.targets.assign(3, 0.0f);
  expectProblem(bad, "data set 'hand': 3 target values for 2 examples of 2");
  bad = data;
  bad.count = -1;
  expectProblem(bad, "data set 'hand': negative example count -1");
}

TEST(FashionMnistTest, TheInstalledDataSetLoads) {
  if (!fs::exists(std::string(kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  for (Split split : {Split::Train, Split::Test}) {
    Dataset data;
    Status status = loadFashionMnist(kFashionMnistDir, split, data);
    ASSERT_TRUE(status.ok()) << status.message();
    int64_t count = split == Split::Train ? 60000 : 10000;
    EXPECT_EQ(data.count, count);
    EXPECT_EQ(data.shape, (std::vector<int64_t>{28, 28}));
    EXPECT_EQ(data.exampleSize, 784);
    EXPECT_EQ(data.numClasses, 10);
    auto [low, high] =
        std::minmax_element(data.inputs.begin(), data.inputs.end());
    EXPECT_EQ(*low, 0.0f);
    EXPECT_EQ(*high, 1.0f);
    // Fashion-MNIST is balanced: a tenth of each split per class.
    std::vector<int64_t> perClass(10);
    for (int32_t label : data.labels)
      ++perClass[label];
    EXPECT_EQ(perClass, std::vector<int64_t>(10, count / 10));
    // Both splits start with an ankle boot (class 9).
    EXPECT_EQ(data.labels[0], 9);
  }
}

} // namespace
