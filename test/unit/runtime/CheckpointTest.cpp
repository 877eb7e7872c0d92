//===- CheckpointTest.cpp - Checkpoint save and load ------------*- C++ -*-===//
//
// Checks the checkpoint writer against a byte-by-byte rebuild of the format
// documented in docs/checkpoint-format.md (with zlib's crc32 computed here),
// bit-exact round trips including NaN payloads and signed zeros, and that
// loading refuses every kind of bad file -- each truncation length, each
// flipped byte, wrong magic, version, model, tensor names, counts and shapes,
// checksum-valid but malformed records -- with a one-line message naming the
// file and the problem, without touching the caller's buffer. Version 1 files
// still load. Training checkpoints (version 2's training section) round-trip
// optimizer state and counters and are refused for another optimizer or
// state size. Saving is checked to be atomic: failed saves (a write hitting
// RLIMIT_FSIZE, a rename onto a directory, a missing directory) leave the old
// file intact and no temporary file behind, and a save removes the
// temporaries of dead writers but not those of live ones.
//
//===----------------------------------------------------------------------===//

#include "runtime/Checkpoint.h"
#include "runtime/Params.h"

#include "TestModel.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace nnc;
using nnc::test::ParamSpec;
using nnc::test::TestModel;
namespace fs = std::filesystem;

namespace {

constexpr float kSentinel = -777.0f;

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

uint32_t crcOf(const std::string &bytes, size_t length) {
  return static_cast<uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef *>(bytes.data()),
            static_cast<uInt>(length)));
}

/// Recomputes the trailing CRC, so a test can reach the checks behind it.
void fixChecksum(std::string &bytes) {
  uint32_t crc = crcOf(bytes, bytes.size() - 4);
  for (int i = 0; i < 4; ++i)
    bytes[bytes.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
}

void putU32(std::string &bytes, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    bytes[at + i] = static_cast<char>(value >> (8 * i));
}

/// Little-endian encoder for the expected file, written from the spec.
struct ByteBuilder {
  std::string bytes;
  void raw(const std::string &text) { bytes += text; }
  void u32(uint32_t value) {
    for (int i = 0; i < 4; ++i)
      bytes += static_cast<char>(value >> (8 * i));
  }
  void u64(uint64_t value) {
    for (int i = 0; i < 8; ++i)
      bytes += static_cast<char>(value >> (8 * i));
  }
  void f32(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    u32(bits);
  }
  void str(const std::string &text) {
    u32(static_cast<uint32_t>(text.size()));
    raw(text);
  }
};

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::path(::testing::TempDir()) / "nnc-checkpoint-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    path = dir + "/tiny.ckpt";
    params.assign(model.paramSize(), kSentinel);
    initParams(model.desc(), params.data(), 17);
    // Values a lossy or endian-confused format would mangle.
    params[model.param(1).offset] = -0.0f;
    params[model.param(1).offset + 1] = std::numeric_limits<float>::infinity();
    uint32_t nanBits = 0x7fc0beef;
    std::memcpy(&params[model.param(2).offset], &nanBits, 4);
    params[model.param(2).offset + 1] =
        std::numeric_limits<float>::denorm_min();
  }

  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir, fs::perms::owner_all, ignored);
    fs::remove_all(dir, ignored);
  }

  void saveTiny() {
    Status status = saveParams(path, model.desc(), params.data());
    ASSERT_TRUE(status.ok()) << status.message();
  }

  /// The names in the test directory, to spot leftover temporary files.
  std::set<std::string> entries() const {
    std::set<std::string> names;
    for (const fs::directory_entry &entry : fs::directory_iterator(dir))
      names.insert(entry.path().filename().string());
    return names;
  }

  /// Loads \p file into a sentinel-filled buffer for \p desc; expects the
  /// exact message \p expected and an untouched buffer.
  void expectRefusal(const std::string &file, const nnc_model_desc &desc,
                     const std::string &expected) {
    std::vector<float> target(static_cast<size_t>(desc.param_size), kSentinel);
    Status status = loadParams(file, desc, target.data());
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message(), expected);
    for (float value : target)
      ASSERT_EQ(value, kSentinel) << "refused load wrote into the buffer";
  }

  /// Like expectRefusal, but for callers that know the problem, not the
  /// details: the message must name the file and contain \p fragment.
  void expectRefusalMentioning(const std::string &file,
                               const std::string &fragment) {
    std::vector<float> target(model.paramSize(), kSentinel);
    Status status = loadParams(file, model.desc(), target.data());
    ASSERT_FALSE(status.ok());
    const std::string &message = status.message();
    EXPECT_NE(message.find("'" + file + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos)
        << "message: " << message << "\nexpected: " << fragment;
    EXPECT_EQ(message.find('\n'), std::string::npos);
    for (float value : target)
      ASSERT_EQ(value, kSentinel) << "refused load wrote into the buffer";
  }

  TestModel model{"TinyMLP",
                  {{"h.weight", {3, 2}, NNC_INIT_XAVIER_UNIFORM, 3, 2},
                   {"h.bias", {2}, NNC_INIT_ZEROS},
                   {"out.weight", {2, 1}, NNC_INIT_HE_UNIFORM, 2, 1}},
                  /*gap=*/1};
  std::vector<float> params;
  std::string dir;
  std::string path;
};

//===----------------------------------------------------------------------===//
// The format and round trips
//===----------------------------------------------------------------------===//

/// The file the spec describes for TinyMLP with parameters \p params, in
/// format \p version, with no sections (version 2).
std::string expectedTinyFile(const TestModel &model,
                             const std::vector<float> &params,
                             uint32_t version) {
  ByteBuilder expected;
  expected.raw("NNCPARAM");
  expected.u32(version);
  // 20 header + 11 name + 8 count + 64 + 38 + 50 (+ 4 sections) + 4 CRC
  expected.u64(version == 1 ? 195 : 199);
  expected.str("TinyMLP");
  expected.u64(3);
  for (size_t i = 0; i < 3; ++i) {
    const nnc_param_desc &param = model.param(i);
    expected.str(param.name);
    expected.u32(static_cast<uint32_t>(param.rank));
    for (int32_t d = 0; d < param.rank; ++d)
      expected.u64(static_cast<uint64_t>(param.shape[d]));
    expected.u64(static_cast<uint64_t>(param.size));
    for (int64_t e = 0; e < param.size; ++e)
      expected.f32(params[param.offset + e]);
  }
  if (version >= 2)
    expected.u32(0);
  expected.u32(crcOf(expected.bytes, expected.bytes.size()));
  return expected.bytes;
}

TEST_F(CheckpointTest, WritesTheDocumentedLayout) {
  saveTiny();
  std::string expected = expectedTinyFile(model, params, 2);
  ASSERT_EQ(expected.size(), 199u);
  EXPECT_EQ(readBytes(path), expected);
}

TEST_F(CheckpointTest, ReadsVersion1Files) {
  std::string v1 = expectedTinyFile(model, params, 1);
  ASSERT_EQ(v1.size(), 195u);
  writeBytes(path, v1);
  std::vector<float> loaded(model.paramSize(), kSentinel);
  Status status = loadParams(path, model.desc(), loaded.data());
  ASSERT_TRUE(status.ok()) << status.message();
  for (size_t i = 0; i < 3; ++i) {
    const nnc_param_desc &param = model.param(i);
    EXPECT_EQ(std::memcmp(&loaded[param.offset], &params[param.offset],
                          sizeof(float) * param.size),
              0)
        << param.name;
  }
  // Version 1 ends with the tensors: a section count there is trailing junk.
  std::string padded = v1.substr(0, v1.size() - 4) + std::string(4, '\0') +
                       v1.substr(v1.size() - 4);
  putU32(padded, 12, static_cast<uint32_t>(padded.size()));
  fixChecksum(padded);
  writeBytes(path, padded);
  expectRefusal(path, model.desc(),
                "checkpoint '" + path +
                    "' is malformed: 4 unexpected bytes follow the last "
                    "tensor");
}

TEST_F(CheckpointTest, RoundTripIsBitExact) {
  saveTiny();
  std::vector<float> loaded(model.paramSize(), kSentinel);
  Status status = loadParams(path, model.desc(), loaded.data());
  ASSERT_TRUE(status.ok()) << status.message();
  for (size_t i = 0; i < 3; ++i) {
    const nnc_param_desc &param = model.param(i);
    EXPECT_EQ(std::memcmp(&loaded[param.offset], &params[param.offset],
                          sizeof(float) * param.size),
              0)
        << param.name;
  }
  // Elements between tensors belong to no parameter and are not loaded.
  EXPECT_EQ(loaded[0], kSentinel);
  EXPECT_EQ(loaded.back(), kSentinel);
}

TEST_F(CheckpointTest, RoundTripOfALargeTensorSpanningBuffers) {
  // More than the writer's and reader's 1 MiB chunk.
  TestModel big("Big", {{"w", {700, 1000}, NNC_INIT_XAVIER_UNIFORM, 700, 1000},
                        {"b", {1000}, NNC_INIT_ONES}});
  std::vector<float> original(big.paramSize());
  initParams(big.desc(), original.data(), 5);
  Status saved = saveParams(path, big.desc(), original.data());
  ASSERT_TRUE(saved.ok()) << saved.message();
  std::vector<float> loaded(big.paramSize(), kSentinel);
  Status status = loadParams(path, big.desc(), loaded.data());
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(std::memcmp(loaded.data(), original.data(),
                        sizeof(float) * original.size()),
            0);
}

TEST_F(CheckpointTest, SavingTwiceGivesTheSameBytes) {
  saveTiny();
  std::string first = readBytes(path);
  saveTiny();
  EXPECT_EQ(readBytes(path), first);
}

TEST_F(CheckpointTest, LoadMatchesTensorsByNameNotPosition) {
  saveTiny();
  TestModel reordered("TinyMLP",
                      {{"out.weight", {2, 1}, NNC_INIT_HE_UNIFORM, 2, 1},
                       {"h.bias", {2}, NNC_INIT_ZEROS},
                       {"h.weight", {3, 2}, NNC_INIT_XAVIER_UNIFORM, 3, 2}},
                      /*gap=*/4);
  std::vector<float> loaded(reordered.paramSize(), kSentinel);
  Status status = loadParams(path, reordered.desc(), loaded.data());
  ASSERT_TRUE(status.ok()) << status.message();
  for (size_t i = 0; i < 3; ++i) {
    const nnc_param_desc &mine = model.param(i);
    const nnc_param_desc &theirs = reordered.param(2 - i);
    EXPECT_EQ(std::memcmp(&loaded[theirs.offset], &params[mine.offset],
                          sizeof(float) * mine.size),
              0)
        << mine.name;
  }
}

TEST_F(CheckpointTest, ModelWithoutParametersRoundTrips) {
  TestModel empty("Empty", {});
  Status saved = saveParams(path, empty.desc(), nullptr);
  ASSERT_TRUE(saved.ok()) << saved.message();
  Status loaded = loadParams(path, empty.desc(), nullptr);
  EXPECT_TRUE(loaded.ok()) << loaded.message();
}

//===----------------------------------------------------------------------===//
// Refusals: files that are not intact checkpoints
//===----------------------------------------------------------------------===//

TEST_F(CheckpointTest, RefusesMissingFile) {
  std::string missing = dir + "/nope.ckpt";
  expectRefusal(missing, model.desc(),
                "cannot open checkpoint '" + missing +
                    "': No such file or directory");
}

TEST_F(CheckpointTest, RefusesDirectory) {
  expectRefusal(dir, model.desc(),
                "checkpoint '" + dir + "' is not a regular file");
}

TEST_F(CheckpointTest, RefusesFifoWithoutBlocking) {
  std::string fifo = dir + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expectRefusal(fifo, model.desc(),
                "checkpoint '" + fifo + "' is not a regular file");
}

TEST_F(CheckpointTest, RefusesEmptyFile) {
  writeBytes(path, "");
  expectRefusal(path, model.desc(),
                "checkpoint '" + path + "' is truncated: the file is empty");
}

TEST_F(CheckpointTest, RefusesWrongMagic) {
  writeBytes(path, "PK\x03\x04 this is a zip file, or pretends to be one");
  expectRefusal(path, model.desc(),
                "'" + path +
                    "' is not an nnc checkpoint: it does not start with "
                    "\"NNCPARAM\"");
  writeBytes(path, "NNC");
  expectRefusalMentioning(path, "is truncated: it has 3 bytes");
  writeBytes(path, "NNX");
  expectRefusalMentioning(path, "is not an nnc checkpoint");
}

TEST_F(CheckpointTest, RefusesUnsupportedVersion) {
  saveTiny();
  std::string bytes = readBytes(path);
  putU32(bytes, 8, 3);
  fixChecksum(bytes);
  writeBytes(path, bytes);
  expectRefusal(path, model.desc(),
                "checkpoint '" + path +
                    "' has unsupported format version 3; this runtime reads "
                    "versions 1 and 2");
  putU32(bytes, 8, 0);
  fixChecksum(bytes);
  writeBytes(path, bytes);
  expectRefusal(path, model.desc(),
                "checkpoint '" + path +
                    "' has unsupported format version 0; this runtime reads "
                    "versions 1 and 2");
}

TEST_F(CheckpointTest, RefusesEveryTruncation) {
  saveTiny();
  std::string bytes = readBytes(path);
  ASSERT_EQ(bytes.size(), 199u);
  std::string cut = dir + "/cut.ckpt";
  for (size_t length = 0; length < bytes.size(); ++length) {
    SCOPED_TRACE("length " + std::to_string(length));
    writeBytes(cut, bytes.substr(0, length));
    expectRefusalMentioning(cut, "is truncated");
  }
  writeBytes(cut, bytes.substr(0, 100));
  expectRefusal(cut, model.desc(),
                "checkpoint '" + cut +
                    "' is truncated: it has 100 bytes but its header records "
                    "199");
}

TEST_F(CheckpointTest, RefusesTrailingBytes) {
  saveTiny();
  writeBytes(path, readBytes(path) + "junk");
  expectRefusal(path, model.desc(),
                "checkpoint '" + path +
                    "' has 203 bytes but its header records 199: trailing "
                    "data or a corrupt header");
}

TEST_F(CheckpointTest, RefusesEveryFlippedByte) {
  saveTiny();
  std::string bytes = readBytes(path);
  std::string bad = dir + "/bad.ckpt";
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (int mask : {0x01, 0x80, 0xff}) {
      SCOPED_TRACE("byte " + std::to_string(at) + " ^ " + std::to_string(mask));
      std::string flipped = bytes;
      flipped[at] = static_cast<char>(flipped[at] ^ mask);
      writeBytes(bad, flipped);
      // Where a byte sits decides which check catches it first.
      if (at < 8)
        expectRefusalMentioning(bad, "is not an nnc checkpoint");
      else if (at < 12)
        expectRefusalMentioning(bad, "unsupported format version");
      else if (at < 20)
        expectRefusalMentioning(bad, "but its header records");
      else
        expectRefusalMentioning(bad, "is corrupt: checksum mismatch");
    }
  }
}

TEST_F(CheckpointTest, ChecksumMismatchMessageGivesBothValues) {
  saveTiny();
  std::string bytes = readBytes(path);
  uint32_t stored = crcOf(bytes, bytes.size() - 4);
  bytes[100] ^= 0x10;
  uint32_t computed = crcOf(bytes, bytes.size() - 4);
  writeBytes(path, bytes);
  char expected[128];
  std::snprintf(expected, sizeof(expected),
                "' is corrupt: checksum mismatch (stored CRC-32 %08x, "
                "computed %08x)",
                stored, computed);
  expectRefusal(path, model.desc(), "checkpoint '" + path + expected);
}

TEST_F(CheckpointTest, RefusesMalformedRecordsWithAValidChecksum) {
  saveTiny();
  const std::string bytes = readBytes(path);
  auto craft = [&](size_t at, uint32_t value) {
    std::string crafted = bytes;
    putU32(crafted, at, value);
    fixChecksum(crafted);
    writeBytes(path, crafted);
  };
  // Model name length (at 20): far beyond the file.
  craft(20, 0xffffffff);
  expectRefusal(path, model.desc(),
                "checkpoint '" + path +
                    "' is malformed: the model name at offset 24 needs "
                    "4294967295 bytes but only 171 remain");
  // Tensor count (at 31, low half): more records than bytes could hold.
  craft(31, 1000000);
  expectRefusal(path, model.desc(),
                "checkpoint '" + path +
                    "' is malformed: it declares 1000000 tensors but only 156 "
                    "bytes remain");
  // Rank of h.weight (at 39 + 4 + 8): huge.
  craft(51, 0x10000000);
  expectRefusalMentioning(path, "is malformed: tensor 'h.weight' has rank "
                                "268435456");
  // Element count of h.weight (at 55 + 16): disagrees with its shape.
  craft(71, 7);
  expectRefusal(path, model.desc(),
                "checkpoint '" + path +
                    "' is malformed: tensor 'h.weight' has shape [3, 2] but 7 "
                    "elements");
}

TEST_F(CheckpointTest, SurvivesEveryChecksumValidSingleByteMutation) {
  // Whatever one byte is changed to, with the checksum fixed up so the
  // parser itself sees the damage: no crash, no write into the buffer unless
  // the load succeeds, and a message naming the file otherwise.
  saveTiny();
  const std::string bytes = readBytes(path);
  for (size_t at = 0; at + 4 < bytes.size(); ++at) {
    for (int value : {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff}) {
      std::string mutated = bytes;
      mutated[at] = static_cast<char>(value);
      fixChecksum(mutated);
      writeBytes(path, mutated);
      std::vector<float> target(model.paramSize(), kSentinel);
      Status status = loadParams(path, model.desc(), target.data());
      if (status.ok())
        continue;
      SCOPED_TRACE("byte " + std::to_string(at) + " = " +
                   std::to_string(value));
      EXPECT_NE(status.message().find("'" + path + "'"), std::string::npos)
          << status.message();
      EXPECT_EQ(status.message().find('\n'), std::string::npos);
      for (float element : target)
        ASSERT_EQ(element, kSentinel);
    }
  }
}

//===----------------------------------------------------------------------===//
// Refusals: intact checkpoints of another model
//===----------------------------------------------------------------------===//

TEST_F(CheckpointTest, RefusesAnotherModel) {
  saveTiny();
  TestModel other("BigMLP",
                  {{"h.weight", {3, 2}, NNC_INIT_XAVIER_UNIFORM, 3, 2},
                   {"h.bias", {2}, NNC_INIT_ZEROS},
                   {"out.weight", {2, 1}, NNC_INIT_HE_UNIFORM, 2, 1}});
  expectRefusal(path, other.desc(),
                "checkpoint '" + path +
                    "' holds the parameters of model 'TinyMLP', not of model "
                    "'BigMLP'");
}

TEST_F(CheckpointTest, RefusesShapeMismatch) {
  saveTiny();
  TestModel wider("TinyMLP",
                  {{"h.weight", {3, 4}, NNC_INIT_XAVIER_UNIFORM, 3, 4},
                   {"h.bias", {4}, NNC_INIT_ZEROS},
                   {"out.weight", {4, 1}, NNC_INIT_HE_UNIFORM, 4, 1}});
  expectRefusal(path, wider.desc(),
                "checkpoint '" + path +
                    "': tensor 'h.weight' has shape [3, 2] in the file but "
                    "the model expects [3, 4]");
}

TEST_F(CheckpointTest, RefusesTransposedShapeOfTheSameSize) {
  saveTiny();
  TestModel transposed("TinyMLP",
                       {{"h.weight", {2, 3}, NNC_INIT_XAVIER_UNIFORM, 3, 2},
                        {"h.bias", {2}, NNC_INIT_ZEROS},
                        {"out.weight", {2, 1}, NNC_INIT_HE_UNIFORM, 2, 1}});
  expectRefusal(path, transposed.desc(),
                "checkpoint '" + path +
                    "': tensor 'h.weight' has shape [3, 2] in the file but "
                    "the model expects [2, 3]");
}

TEST_F(CheckpointTest, RefusesRankMismatch) {
  saveTiny();
  TestModel flat("TinyMLP",
                 {{"h.weight", {3, 2}, NNC_INIT_XAVIER_UNIFORM, 3, 2},
                  {"h.bias", {2}, NNC_INIT_ZEROS},
                  {"out.weight", {2}, NNC_INIT_HE_UNIFORM, 2, 1}});
  expectRefusal(path, flat.desc(),
                "checkpoint '" + path +
                    "': tensor 'out.weight' has shape [2, 1] in the file but "
                    "the model expects [2]");
}

TEST_F(CheckpointTest, RefusesRenamedTensor) {
  saveTiny();
  TestModel renamed("TinyMLP",
                    {{"h.weight", {3, 2}, NNC_INIT_XAVIER_UNIFORM, 3, 2},
                     {"h.b", {2}, NNC_INIT_ZEROS},
                     {"out.weight", {2, 1}, NNC_INIT_HE_UNIFORM, 2, 1}});
  expectRefusal(path, renamed.desc(),
                "checkpoint '" + path +
                    "' has tensor 'h.bias', which model 'TinyMLP' does not "
                    "have (the file lacks 'h.b')");
}

TEST_F(CheckpointTest, RefusesModelWithMoreTensors) {
  saveTiny();
  TestModel more("TinyMLP",
                 {{"h.weight", {3, 2}, NNC_INIT_XAVIER_UNIFORM, 3, 2},
                  {"h.bias", {2}, NNC_INIT_ZEROS},
                  {"out.weight", {2, 1}, NNC_INIT_HE_UNIFORM, 2, 1},
                  {"out.bias", {1}, NNC_INIT_ZEROS}});
  expectRefusal(path, more.desc(),
                "checkpoint '" + path +
                    "' has 3 tensors but model 'TinyMLP' has 4: the file "
                    "lacks tensor 'out.bias'");
}

TEST_F(CheckpointTest, RefusesModelWithFewerTensors) {
  saveTiny();
  TestModel fewer("TinyMLP",
                  {{"h.weight", {3, 2}, NNC_INIT_XAVIER_UNIFORM, 3, 2},
                   {"out.weight", {2, 1}, NNC_INIT_HE_UNIFORM, 2, 1}});
  expectRefusal(path, fewer.desc(),
                "checkpoint '" + path +
                    "' has 3 tensors but model 'TinyMLP' has 2: the model has "
                    "no tensor 'h.bias'");
}

TEST_F(CheckpointTest, RefusesInvalidDescriptor) {
  saveTiny();
  model.mutableDesc().abi_version = 99;
  Status loaded = loadParams(path, model.desc(), params.data());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.message().rfind("cannot load checkpoint '" + path +
                                       "': model 'TinyMLP' was compiled for "
                                       "nnc ABI version 99",
                                   0),
            0u)
      << loaded.message();
  Status saved = saveParams(path, model.desc(), params.data());
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.message().rfind("cannot save checkpoint '" + path + "': ", 0),
            0u)
      << saved.message();
}

TEST_F(CheckpointTest, ControlCharactersInNamesStayOnOneLine) {
  std::string odd = dir + "/line\nbreak.ckpt";
  expectRefusal(odd, model.desc(),
                "cannot open checkpoint '" + dir +
                    "/line\\x0abreak.ckpt': No such file or directory");
}

//===----------------------------------------------------------------------===//
// Atomic saves
//===----------------------------------------------------------------------===//

TEST_F(CheckpointTest, SaveReplacesAnExistingFileAndLeavesNoTemporary) {
  writeBytes(path, "old contents");
  saveTiny();
  EXPECT_EQ(readBytes(path).substr(0, 8), "NNCPARAM");
  EXPECT_EQ(entries(), std::set<std::string>{"tiny.ckpt"});
}

TEST_F(CheckpointTest, FailedWriteLeavesTheOldFileIntact) {
  saveTiny();
  const std::string old = readBytes(path);
  TestModel big("TinyMLP", {{"w", {100, 100}, NNC_INIT_ONES}});
  std::vector<float> ones(big.paramSize(), 1.0f);

  // A file-size limit makes write() fail with EFBIG part way through the
  // file -- what a full disk does -- even when the tests run as root.
  rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit limited = saved;
  limited.rlim_cur = 4096;
  auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  Status status = saveParams(path, big.desc(), ones.data());
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previousHandler);

  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind(
                "cannot save checkpoint '" + path + "': cannot write '", 0),
            0u)
      << status.message();
  EXPECT_NE(status.message().find("File too large"), std::string::npos)
      << status.message();
  EXPECT_EQ(readBytes(path), old);
  EXPECT_EQ(entries(), std::set<std::string>{"tiny.ckpt"});
}

TEST_F(CheckpointTest, FailedRenameLeavesTheTargetAndNoTemporary) {
  // rename() cannot replace a non-empty directory with a file, so the save
  // fails at its last step, after the temporary was written and synced.
  std::string target = dir + "/occupied";
  ASSERT_TRUE(fs::create_directory(target));
  writeBytes(target + "/keep", "precious");
  Status status = saveParams(target, model.desc(), params.data());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind(
                "cannot save checkpoint '" + target + "': cannot rename '", 0),
            0u)
      << status.message();
  EXPECT_EQ(readBytes(target + "/keep"), "precious");
  EXPECT_EQ(entries(), std::set<std::string>{"occupied"});
}

TEST_F(CheckpointTest, SaveRemovesTemporariesOfDeadWriters) {
  // What a writer killed mid-save leaves: its temporary, unlocked.
  writeBytes(dir + "/.tiny.ckpt.tmp-0123456789abcdef", "half a checkpoint");
  // Not temporaries of this target: kept.
  writeBytes(dir + "/.other.ckpt.tmp-0123456789abcdef", "someone else's");
  writeBytes(dir + "/.tiny.ckpt.tmp-0123456789ABCDEF", "not our spelling");
  writeBytes(dir + "/.tiny.ckpt.tmp-0123", "too short");
  saveTiny();
  EXPECT_EQ(entries(),
            (std::set<std::string>{
                "tiny.ckpt", ".other.ckpt.tmp-0123456789abcdef",
                ".tiny.ckpt.tmp-0123456789ABCDEF", ".tiny.ckpt.tmp-0123"}));
}

TEST_F(CheckpointTest, SaveKeepsTemporariesOfLiveWriters) {
  // A live writer holds an flock() on its temporary; flock locks conflict
  // between separate open() calls even within one process.
  std::string live = dir + "/.tiny.ckpt.tmp-00000000deadbeef";
  writeBytes(live, "being written");
  int fd = ::open(live.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  saveTiny();
  ::close(fd);
  EXPECT_EQ(entries(), (std::set<std::string>{
                           "tiny.ckpt", ".tiny.ckpt.tmp-00000000deadbeef"}));
  saveTiny();
  EXPECT_EQ(entries(), std::set<std::string>{"tiny.ckpt"});
}

TEST_F(CheckpointTest, SaveIntoMissingDirectoryFails) {
  std::string target = dir + "/no/such/dir/x.ckpt";
  Status status = saveParams(target, model.desc(), params.data());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("cannot save checkpoint '" + target +
                                       "': cannot create a temporary file",
                                   0),
            0u)
      << status.message();
  EXPECT_NE(status.message().find("No such file or directory"),
            std::string::npos);
  EXPECT_TRUE(entries().empty());
}

TEST_F(CheckpointTest, SaveToEmptyPathFails) {
  Status status = saveParams("", model.desc(), params.data());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "cannot save checkpoint '': the path is empty");
}

TEST_F(CheckpointTest, SaveIntoReadOnlyDirectoryFails) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root ignores directory permissions";
  saveTiny();
  const std::string old = readBytes(path);
  ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
  std::vector<float> zeros(model.paramSize(), 0.0f);
  Status status = saveParams(path, model.desc(), zeros.data());
  ::chmod(dir.c_str(), 0755);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("Permission denied"), std::string::npos)
      << status.message();
  EXPECT_EQ(readBytes(path), old);
  EXPECT_EQ(entries(), std::set<std::string>{"tiny.ckpt"});
}

//===----------------------------------------------------------------------===//
// Training checkpoints
//===----------------------------------------------------------------------===//

class TrainingCheckpointTest : public CheckpointTest {
protected:
  void SetUp() override {
    CheckpointTest::SetUp();
    train.optimizer = NNC_OPTIMIZER_SGD;
    train.opt_state_size = 5;
    model.mutableDesc().train = &train;
    optState = {0.5f, -0.0f, std::numeric_limits<float>::infinity(), 1e-40f,
                -3.25f};
    state.epoch = 3;
    state.step = 0x123456789;
    state.seed = 0xfedcba9876543210ULL;
    state.batch = 32;
    state.examples = 1000;
  }

  void saveTraining() {
    Status status = saveTrainingCheckpoint(path, model.desc(), params.data(),
                                           optState.data(), state);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  /// Loads \p file for training into sentinel-filled buffers; expects the
  /// exact message \p expected (or, when \p fragment, a message that names
  /// the file and contains it) and untouched buffers.
  void expectTrainingRefusal(const std::string &file,
                             const nnc_model_desc &desc,
                             const std::string &expected,
                             bool fragment = false) {
    std::vector<float> target(static_cast<size_t>(desc.param_size), kSentinel);
    size_t stateSize =
        desc.train ? static_cast<size_t>(desc.train->opt_state_size) : 0;
    std::vector<float> targetState(stateSize, kSentinel);
    TrainingState loaded;
    loaded.epoch = -5;
    Status status = loadTrainingCheckpoint(file, desc, target.data(),
                                           targetState.data(), loaded);
    ASSERT_FALSE(status.ok());
    if (fragment) {
      EXPECT_NE(status.message().find("'" + file + "'"), std::string::npos)
          << status.message();
      EXPECT_NE(status.message().find(expected), std::string::npos)
          << "message: " << status.message() << "\nexpected: " << expected;
    } else {
      EXPECT_EQ(status.message(), expected);
    }
    EXPECT_EQ(status.message().find('\n'), std::string::npos);
    for (float value : target)
      ASSERT_EQ(value, kSentinel) << "refused load wrote into the buffer";
    for (float value : targetState)
      ASSERT_EQ(value, kSentinel) << "refused load wrote optimizer state";
    EXPECT_EQ(loaded.epoch, -5);
  }

  nnc_train_desc train{};
  std::vector<float> optState;
  TrainingState state;
};

TEST_F(TrainingCheckpointTest, WritesTheDocumentedLayout) {
  saveTraining();
  std::string tensors = expectedTinyFile(model, params, 2);
  // Everything up to the section count is as in a parameters-only file.
  ByteBuilder expected;
  expected.raw(tensors.substr(0, tensors.size() - 8));
  expected.u32(1);
  expected.str("train");
  expected.u64(52 + 4 * 5);
  expected.u32(NNC_OPTIMIZER_SGD);
  expected.u64(3);
  expected.u64(0x123456789);
  expected.u64(0xfedcba9876543210ULL);
  expected.u64(32);
  expected.u64(1000);
  expected.u64(5);
  for (float value : optState)
    expected.f32(value);
  // 191 up to the tensors' end, 4 section count, 9 kind, 8 length,
  // 72 payload, 4 CRC.
  putU32(expected.bytes, 12, 288);
  expected.u32(crcOf(expected.bytes, expected.bytes.size()));
  ASSERT_EQ(expected.bytes.size(), 288u);
  EXPECT_EQ(readBytes(path), expected.bytes);
}

TEST_F(TrainingCheckpointTest, RoundTripIsBitExact) {
  saveTraining();
  std::vector<float> loaded(model.paramSize(), kSentinel);
  std::vector<float> loadedState(optState.size(), kSentinel);
  TrainingState loadedCounters;
  Status status = loadTrainingCheckpoint(path, model.desc(), loaded.data(),
                                         loadedState.data(), loadedCounters);
  ASSERT_TRUE(status.ok()) << status.message();
  for (size_t i = 0; i < 3; ++i) {
    const nnc_param_desc &param = model.param(i);
    EXPECT_EQ(std::memcmp(&loaded[param.offset], &params[param.offset],
                          sizeof(float) * param.size),
              0);
  }
  EXPECT_EQ(std::memcmp(loadedState.data(), optState.data(),
                        sizeof(float) * optState.size()),
            0);
  EXPECT_EQ(loadedCounters.epoch, 3);
  EXPECT_EQ(loadedCounters.step, 0x123456789);
  EXPECT_EQ(loadedCounters.seed, 0xfedcba9876543210ULL);
  EXPECT_EQ(loadedCounters.batch, 32);
  EXPECT_EQ(loadedCounters.examples, 1000);
}

TEST_F(TrainingCheckpointTest, LoadParamsReadsATrainingCheckpoint) {
  saveTraining();
  std::vector<float> loaded(model.paramSize(), kSentinel);
  Status status = loadParams(path, model.desc(), loaded.data());
  ASSERT_TRUE(status.ok()) << status.message();
  const nnc_param_desc &param = model.param(0);
  EXPECT_EQ(std::memcmp(&loaded[param.offset], &params[param.offset],
                        sizeof(float) * param.size),
            0);
}

TEST_F(TrainingCheckpointTest, RefusesParametersOnlyFiles) {
  saveTiny();
  expectTrainingRefusal(path, model.desc(),
                        "checkpoint '" + path +
                            "' holds parameters only, no training state to "
                            "resume from");
  writeBytes(path, expectedTinyFile(model, params, 1));
  expectTrainingRefusal(path, model.desc(),
                        "checkpoint '" + path +
                            "' holds parameters only, no training state to "
                            "resume from");
}

TEST_F(TrainingCheckpointTest, RefusesAnotherOptimizer) {
  saveTraining();
  train.optimizer = NNC_OPTIMIZER_ADAM;
  expectTrainingRefusal(path, model.desc(),
                        "checkpoint '" + path +
                            "' holds the state of optimizer 'sgd' but model "
                            "'TinyMLP' trains with 'adam'");
}

TEST_F(TrainingCheckpointTest, RefusesAnotherStateSize) {
  saveTraining();
  train.opt_state_size = 10;
  expectTrainingRefusal(path, model.desc(),
                        "checkpoint '" + path +
                            "' holds 5 optimizer state elements but model "
                            "'TinyMLP' has 10");
}

TEST_F(TrainingCheckpointTest, RefusesAnotherModel) {
  saveTraining();
  TestModel other("BigMLP",
                  {{"h.weight", {3, 2}, NNC_INIT_XAVIER_UNIFORM, 3, 2},
                   {"h.bias", {2}, NNC_INIT_ZEROS},
                   {"out.weight", {2, 1}, NNC_INIT_HE_UNIFORM, 2, 1}});
  other.mutableDesc().train = &train;
  expectTrainingRefusal(path, other.desc(),
                        "checkpoint '" + path +
                            "' holds the parameters of model 'TinyMLP', not "
                            "of model 'BigMLP'");
}

TEST_F(TrainingCheckpointTest, RefusesModelsWithoutATrainBlock) {
  saveTraining();
  model.mutableDesc().train = nullptr;
  expectTrainingRefusal(path, model.desc(),
                        "cannot load checkpoint '" + path +
                            "': model 'TinyMLP' has no train block, so there "
                            "is no training state to load");
  Status saved = saveTrainingCheckpoint(path, model.desc(), params.data(),
                                        optState.data(), state);
  EXPECT_EQ(saved.message(), "cannot save checkpoint '" + path +
                                 "': model 'TinyMLP' has no train block, so "
                                 "there is no training state to save");
}

TEST_F(TrainingCheckpointTest, RefusesEveryTruncation) {
  saveTraining();
  std::string bytes = readBytes(path);
  std::string cut = dir + "/cut.ckpt";
  for (size_t length = 0; length < bytes.size(); ++length) {
    SCOPED_TRACE("length " + std::to_string(length));
    writeBytes(cut, bytes.substr(0, length));
    expectTrainingRefusal(cut, model.desc(), "is truncated", true);
  }
}

TEST_F(TrainingCheckpointTest, RefusesEveryFlippedByteOfTheSection) {
  saveTraining();
  std::string bytes = readBytes(path);
  std::string bad = dir + "/bad.ckpt";
  for (size_t at = 195 - 4; at < bytes.size(); ++at) {
    SCOPED_TRACE("byte " + std::to_string(at));
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x20);
    writeBytes(bad, flipped);
    expectTrainingRefusal(bad, model.desc(), "is corrupt: checksum mismatch",
                          true);
  }
}

TEST_F(TrainingCheckpointTest, RefusesMalformedSectionsWithAValidChecksum) {
  saveTraining();
  const std::string bytes = readBytes(path);
  // Offsets: section count at 191, kind length 195, kind 199, length 204,
  // optimizer 212, counters 216.., state count 256, state 264.
  auto craft = [&](size_t at, const std::string &patch) {
    std::string crafted = bytes;
    crafted.replace(at, patch.size(), patch);
    fixChecksum(crafted);
    writeBytes(path, crafted);
  };
  auto u64Bytes = [](uint64_t value) {
    std::string out;
    for (int i = 0; i < 8; ++i)
      out += static_cast<char>(value >> (8 * i));
    return out;
  };
  std::string prefix = "checkpoint '" + path + "' is malformed: ";
  craft(199, "trian");
  expectTrainingRefusal(path, model.desc(), prefix + "unknown section 'trian'");
  craft(204, u64Bytes(1000));
  expectTrainingRefusal(path, model.desc(),
                        prefix + "section 'train' has 1000 bytes but only 72 "
                                 "remain");
  craft(204, u64Bytes(10));
  expectTrainingRefusal(path, model.desc(),
                        prefix + "section 'train' has 10 bytes, fewer than "
                                 "its 52-byte fixed part");
  craft(256, u64Bytes(4));
  expectTrainingRefusal(path, model.desc(),
                        prefix + "section 'train' has 72 bytes but 4 "
                                 "optimizer state elements");
  craft(216, u64Bytes(~uint64_t(0)));
  expectTrainingRefusal(path, model.desc(),
                        prefix + "section 'train' has a negative epoch");
  craft(191, "\x02");
  expectTrainingRefusal(path, model.desc(),
                        "is malformed: the length of the "
                        "kind of section #1",
                        true);
}

TEST_F(TrainingCheckpointTest, SurvivesEveryChecksumValidSingleByteMutation) {
  saveTraining();
  const std::string bytes = readBytes(path);
  for (size_t at = 0; at + 4 < bytes.size(); ++at) {
    for (int value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string mutated = bytes;
      mutated[at] = static_cast<char>(value);
      fixChecksum(mutated);
      writeBytes(path, mutated);
      std::vector<float> target(model.paramSize(), kSentinel);
      std::vector<float> targetState(optState.size(), kSentinel);
      TrainingState loaded;
      Status status = loadTrainingCheckpoint(path, model.desc(), target.data(),
                                             targetState.data(), loaded);
      if (status.ok())
        continue;
      SCOPED_TRACE("byte " + std::to_string(at) + " = " +
                   std::to_string(value));
      EXPECT_NE(status.message().find("'" + path + "'"), std::string::npos)
          << status.message();
      EXPECT_EQ(status.message().find('\n'), std::string::npos);
      for (float element : target)
        ASSERT_EQ(element, kSentinel);
      for (float element : targetState)
        ASSERT_EQ(element, kSentinel);
    }
  }
}

/// Bytes from a hex dump such as docs/checkpoint-format.md shows.
std::string fromHex(const std::string &hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return bytes;
}

TEST_F(CheckpointTest, DocumentedExamplesMatch) {
  // The three examples of docs/checkpoint-format.md, byte for byte.
  const std::string v2 = fromHex("4e4e43504152414d020000004a000000"
                                 "00000000010000004d01000000000000"
                                 "00010000006201000000020000000000"
                                 "000002000000000000000000803f0000"
                                 "00c0000000007fd24dc4");
  const std::string v1 = fromHex("4e4e43504152414d0100000046000000"
                                 "00000000010000004d01000000000000"
                                 "00010000006201000000020000000000"
                                 "000002000000000000000000803f0000"
                                 "00c0ba58eed9");
  const std::string trained = fromHex("4e4e43504152414d0200000097000000"
                                      "00000000010000004d01000000000000"
                                      "00010000006201000000020000000000"
                                      "000002000000000000000000803f0000"
                                      "00c00100000005000000747261696e3c"
                                      "00000000000000000000000100000000"
                                      "00000003000000000000000700000000"
                                      "00000002000000000000000500000000"
                                      "00000002000000000000000000003f00"
                                      "00803ea8054da3");
  TestModel m("M", {{"b", {2}, NNC_INIT_ZEROS}});
  nnc_train_desc train{};
  train.optimizer = NNC_OPTIMIZER_SGD;
  train.opt_state_size = 2;
  m.mutableDesc().train = &train;

  float b[2] = {1.0f, -2.0f};
  Status saved = saveParams(path, m.desc(), b);
  ASSERT_TRUE(saved.ok()) << saved.message();
  EXPECT_EQ(readBytes(path), v2);
  float velocity[2] = {0.5f, 0.25f};
  TrainingState state;
  state.epoch = 1;
  state.step = 3;
  state.seed = 7;
  state.batch = 2;
  state.examples = 5;
  saved = saveTrainingCheckpoint(path, m.desc(), b, velocity, state);
  ASSERT_TRUE(saved.ok()) << saved.message();
  EXPECT_EQ(readBytes(path), trained);

  for (const std::string *bytes : {&v1, &v2, &trained}) {
    writeBytes(path, *bytes);
    float loaded[2] = {0, 0};
    Status status = loadParams(path, m.desc(), loaded);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(loaded[0], 1.0f);
    EXPECT_EQ(loaded[1], -2.0f);
  }
  float loaded[2] = {0, 0}, loadedVelocity[2] = {0, 0};
  TrainingState loadedState;
  Status status = loadTrainingCheckpoint(path, m.desc(), loaded, loadedVelocity,
                                         loadedState);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(loadedVelocity[0], 0.5f);
  EXPECT_EQ(loadedVelocity[1], 0.25f);
  EXPECT_EQ(loadedState.step, 3);
}

TEST_F(TrainingCheckpointTest, RefusesNegativeCountersOnSave) {
  state.step = -1;
  Status status = saveTrainingCheckpoint(path, model.desc(), params.data(),
                                         optState.data(), state);
  EXPECT_EQ(status.message(), "cannot save checkpoint '" + path +
                                  "': the training state has a negative "
                                  "counter");
  EXPECT_TRUE(entries().empty());
}

} // namespace

//===----------------------------------------------------------------------===//
// Column blocks: checkpoints are row-major whatever the object stores
//===----------------------------------------------------------------------===//

TEST_F(TrainingCheckpointTest, BlockedTensorsAreSavedRowMajor) {
  // The same model twice, its rank-2 tensor stored in 2 column blocks in
  // one and row-major in the other; the optimizer state is two copies of
  // the parameter layout (Adam's moments).
  TestModel blocked("Tiny", {{"w", {2, 4}, NNC_INIT_XAVIER_UNIFORM, 2, 4},
                             {"b", {3}, NNC_INIT_ONES}});
  TestModel plain("Tiny", {{"w", {2, 4}, NNC_INIT_XAVIER_UNIFORM, 2, 4},
                           {"b", {3}, NNC_INIT_ONES}});
  blocked.param(0).column_blocks = 2;
  nnc_train_desc adam{};
  adam.optimizer = NNC_OPTIMIZER_ADAM;
  adam.opt_state_size = 2 * blocked.desc().param_size;
  blocked.mutableDesc().train = &adam;
  plain.mutableDesc().train = &adam;

  // Row-major values, and the same values in blocks (independently of
  // convertLayout: element (r, j) is at (j / 2) * 4 + r * 2 + j % 2).
  size_t size = blocked.paramSize();
  std::vector<float> rowParams(size), rowState(2 * size);
  for (size_t i = 0; i < size; ++i)
    rowParams[i] = 1.5f + float(i);
  for (size_t i = 0; i < 2 * size; ++i)
    rowState[i] = -0.25f * float(i + 1);
  std::vector<float> blockedParams = rowParams, blockedState = rowState;
  for (int64_t copy = 0; copy < 3; ++copy) {
    const float *from = copy == 0 ? rowParams.data()
                                  : rowState.data() + (copy - 1) * size;
    float *to = copy == 0 ? blockedParams.data()
                          : blockedState.data() + (copy - 1) * size;
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t j = 0; j < 4; ++j)
        to[(j / 2) * 4 + r * 2 + j % 2] = from[r * 4 + j];
  }

  std::string blockedPath = dir + "/blocked.ckpt",
              plainPath = dir + "/plain.ckpt";
  ASSERT_TRUE(saveTrainingCheckpoint(blockedPath, blocked.desc(),
                                     blockedParams.data(),
                                     blockedState.data(), state)
                  .ok());
  ASSERT_TRUE(saveTrainingCheckpoint(plainPath, plain.desc(),
                                     rowParams.data(), rowState.data(), state)
                  .ok());
  // The two files are the same bytes.
  std::ifstream a(blockedPath, std::ios::binary), b(plainPath, std::ios::binary);
  std::string aBytes{std::istreambuf_iterator<char>(a), {}},
      bBytes{std::istreambuf_iterator<char>(b), {}};
  EXPECT_EQ(aBytes, bBytes);

  // Each model loads the other's file into its own layout.
  std::vector<float> params(size), optState(2 * size);
  TrainingState loaded;
  ASSERT_TRUE(loadTrainingCheckpoint(plainPath, blocked.desc(), params.data(),
                                     optState.data(), loaded)
                  .ok());
  EXPECT_EQ(params, blockedParams);
  EXPECT_EQ(optState, blockedState);
  ASSERT_TRUE(loadTrainingCheckpoint(blockedPath, plain.desc(), params.data(),
                                     optState.data(), loaded)
                  .ok());
  EXPECT_EQ(params, rowParams);
  EXPECT_EQ(optState, rowState);
  // Parameters only, too.
  ASSERT_TRUE(saveParams(blockedPath, blocked.desc(), blockedParams.data())
                  .ok());
  std::fill(params.begin(), params.end(), kSentinel);
  ASSERT_TRUE(loadParams(blockedPath, plain.desc(), params.data()).ok());
  EXPECT_EQ(params, rowParams);
}
