//===- IdxTest.cpp - IDX reader ---------------------------------*- C++ -*-===//
//
// Writes small IDX files byte by byte from the format's definition, plain and
// gzip-compressed through zlib, and checks that readIdx() returns their
// contents and refuses every kind of bad file with a one-line message naming
// it: truncation at every length (plain and gzip), trailing data, a wrong
// magic number, unsupported element types, bad ranks and dimensions, damaged
// compressed data and gzip trailers, and files that are not files.
//
//===----------------------------------------------------------------------===//

#include "runtime/Idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

using namespace nnc;
namespace fs = std::filesystem;

namespace {

/// An IDX file of unsigned bytes: big-endian magic 0x0000 08 <rank>, dims.
std::string idxBytes(const std::vector<uint32_t> &dims, const std::string &data,
                     uint8_t type = 0x08) {
  std::string bytes = {0, 0, static_cast<char>(type),
                       static_cast<char>(dims.size())};
  for (uint32_t dim : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes += static_cast<char>(dim >> shift);
  return bytes + data;
}

std::string gzipBytes(const std::string &plain,
                      int level = Z_BEST_COMPRESSION) {
  // gzip framing (windowBits 15 + 16) with zlib's deflate.
  z_stream stream{};
  EXPECT_EQ(
      deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&stream, plain.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(plain.data()));
  stream.avail_in = static_cast<uInt>(plain.size());
  stream.next_out = reinterpret_cast<Bytef *>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class IdxTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::path(::testing::TempDir()) / "nnc-idx-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    // 2 images of 3x4 pixels: every byte value distinct.
    for (int i = 0; i < 24; ++i)
      pixels += static_cast<char>(i * 11);
    images = idxBytes({2, 3, 4}, pixels);
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  /// readIdx of \p path must fail with exactly \p expected.
  void expectRefusal(const std::string &path, const std::string &expected) {
    IdxArray out;
    out.dims = {42};
    Status status = readIdx(path, out);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message(), expected);
    EXPECT_EQ(out.dims, std::vector<int64_t>{42}) << "refusal changed out";
  }

  /// readIdx of \p path must fail naming the file, on one line, with
  /// \p fragment in the message.
  void expectRefusalMentioning(const std::string &path,
                               const std::string &fragment) {
    IdxArray out;
    Status status = readIdx(path, out);
    ASSERT_FALSE(status.ok());
    const std::string &message = status.message();
    EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos)
        << "message: " << message << "\nexpected: " << fragment;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }

  std::string dir;
  std::string pixels;
  std::string images;
};

TEST_F(IdxTest, ReadsPlainAndGzipFiles) {
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "plain");
    std::string path = dir + (gzip ? "/images.gz" : "/images");
    writeBytes(path, gzip ? gzipBytes(images) : images);
    IdxArray out;
    Status status = readIdx(path, out);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(out.dims, (std::vector<int64_t>{2, 3, 4}));
    EXPECT_EQ(std::string(out.data.begin(), out.data.end()), pixels);
  }
}

TEST_F(IdxTest, ReadsTheNameNotTheSuffix) {
  // zlib decides by content: a gzip file without .gz and a plain file with
  // it both read.
  writeBytes(dir + "/plain.gz", images);
  writeBytes(dir + "/packed", gzipBytes(images));
  for (const char *name : {"/plain.gz", "/packed"}) {
    IdxArray out;
    Status status = readIdx(dir + name, out);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(out.data.size(), 24u);
  }
}

TEST_F(IdxTest, ReadsLabelsLargeValuesAndEmptyArrays) {
  std::string path = dir + "/labels";
  writeBytes(path, idxBytes({5}, std::string("\x00\x09\xff\x01\x02", 5)));
  IdxArray out;
  Status status = readIdx(path, out);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(out.dims, std::vector<int64_t>{5});
  EXPECT_EQ(out.data, (std::vector<uint8_t>{0, 9, 255, 1, 2}));

  writeBytes(path, idxBytes({0, 28, 28}, ""));
  status = readIdx(path, out);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(out.dims, (std::vector<int64_t>{0, 28, 28}));
  EXPECT_TRUE(out.data.empty());

  // Dimensions above 2^31 are unsigned in IDX; with a zero one the product
  // stays empty.
  writeBytes(path, idxBytes({0xffffffffu, 0}, ""));
  status = readIdx(path, out);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(out.dims, (std::vector<int64_t>{0xffffffffLL, 0}));
}

TEST_F(IdxTest, ReadsDataLargerThanTheReadChunk) {
  // 40 MB: more than one 16 MiB read, compressed (constant data packs well).
  std::string big(40000000, '\x07');
  big[39999999] = 9;
  std::string path = dir + "/big.gz";
  writeBytes(path, gzipBytes(idxBytes({40000, 1000}, big), Z_BEST_SPEED));
  IdxArray out;
  Status status = readIdx(path, out);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(out.data.size(), 40000000u);
  EXPECT_EQ(out.data[0], 7);
  EXPECT_EQ(out.data.back(), 9);
}

//===----------------------------------------------------------------------===//
// Truncated and over-long files
//===----------------------------------------------------------------------===//

TEST_F(IdxTest, RefusesEveryTruncationOfAPlainFile) {
  std::string path = dir + "/cut-idx3-ubyte";
  for (size_t length = 0; length < images.size(); ++length) {
    SCOPED_TRACE("length " + std::to_string(length));
    writeBytes(path, images.substr(0, length));
    expectRefusalMentioning(path, "is truncated: expected ");
  }
  writeBytes(path, "");
  expectRefusal(path, "'" + path +
                          "' is truncated: expected at least 4 bytes (the "
                          "magic number), got 0");
  writeBytes(path, images.substr(0, 9));
  expectRefusal(path, "'" + path +
                          "' is truncated: expected at least 16 bytes (the "
                          "magic number and 3 dimensions), got 9");
  writeBytes(path, images.substr(0, 30));
  expectRefusal(path, "'" + path +
                          "' is truncated: expected 40 bytes (16 of "
                          "header and 24 of data), got 30");
}

TEST_F(IdxTest, RefusesEveryTruncationOfAGzipFile) {
  std::string packed = gzipBytes(images);
  std::string path = dir + "/cut-idx3-ubyte.gz";
  for (size_t length = 0; length < packed.size(); ++length) {
    SCOPED_TRACE("length " + std::to_string(length));
    writeBytes(path, packed.substr(0, length));
    expectRefusalMentioning(path, "is truncated");
  }
  // Cut inside the 8-byte trailer: all data arrived, the end did not.
  writeBytes(path, packed.substr(0, packed.size() - 3));
  expectRefusal(path, "'" + path +
                          "' is truncated: the gzip stream ends after all 40 "
                          "bytes of data but before its trailer");
}

TEST_F(IdxTest, TruncatedGzipDataSaysSo) {
  // Incompressible data, so that a cut in the middle of the file is a cut in
  // the middle of the data.
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 5000; ++i) {
    x = x * 1664525u + 1013904223u;
    noise += static_cast<char>(x >> 24);
  }
  std::string packed = gzipBytes(idxBytes({5000}, noise));
  std::string path = dir + "/noise.gz";
  writeBytes(path, packed.substr(0, packed.size() / 2));
  expectRefusalMentioning(path, "is truncated: expected 5008 bytes (8 of "
                                "header and 5000 of data), got ");
  expectRefusalMentioning(path, " (the gzip stream ends early)");
}

TEST_F(IdxTest, RefusesTrailingData) {
  std::string path = dir + "/long";
  writeBytes(path, images + "xyz");
  expectRefusal(path, "'" + path +
                          "' is too long: expected 40 bytes (16 of "
                          "header and 24 of data), got 43");
  writeBytes(path, gzipBytes(images + std::string(100000, 'x')));
  expectRefusal(path, "'" + path +
                          "' is too long: expected 40 bytes (16 of "
                          "header and 24 of data), got 100040");
}

TEST_F(IdxTest, ConcatenatedGzipMembersFormOneStream) {
  // What `cat a.gz b.gz` makes; gzip -d reads it as the concatenation.
  std::string path = dir + "/two.gz";
  writeBytes(path,
             gzipBytes(images.substr(0, 20)) + gzipBytes(images.substr(20)));
  IdxArray out;
  Status status = readIdx(path, out);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(std::string(out.data.begin(), out.data.end()), pixels);
  writeBytes(path, gzipBytes(images) + gzipBytes("x"));
  expectRefusalMentioning(path, "is too long");
}

TEST_F(IdxTest, IgnoresNonGzipBytesAfterTheLastMember) {
  // A documented zlib behaviour (see Idx.h), pinned down here.
  std::string path = dir + "/junk.gz";
  writeBytes(path, gzipBytes(images) + "junk after the stream");
  IdxArray out;
  Status status = readIdx(path, out);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(std::string(out.data.begin(), out.data.end()), pixels);
}

//===----------------------------------------------------------------------===//
// Bad headers
//===----------------------------------------------------------------------===//

TEST_F(IdxTest, RefusesAWrongMagicNumber) {
  std::string path = dir + "/picture.png";
  writeBytes(path, "\x89PNG\r\n\x1a\n and more");
  expectRefusal(path, "'" + path +
                          "' is not an IDX file: its magic number is "
                          "0x89504e47, not two zero bytes, an element type "
                          "(0x08-0x0e) and the rank");
  writeBytes(path, std::string("\x00\x01\x08\x01", 4) + "data");
  expectRefusalMentioning(path, "its magic number is 0x00010801");
  writeBytes(path, std::string("\x00\x00\x05\x01", 4) + "data");
  expectRefusalMentioning(path, "its magic number is 0x00000501");
}

TEST_F(IdxTest, RefusesOtherElementTypes) {
  std::string path = dir + "/floats";
  writeBytes(path, idxBytes({1}, "abcd", 0x0d));
  expectRefusal(path, "'" + path +
                          "' holds elements of type 0x0d (32-bit float); only "
                          "unsigned bytes (0x08) are supported");
  writeBytes(path, idxBytes({1}, "a", 0x09));
  expectRefusalMentioning(path, "type 0x09 (signed byte)");
}

TEST_F(IdxTest, RefusesBadRanksAndDimensions) {
  std::string path = dir + "/bad";
  writeBytes(path, idxBytes({}, "x"));
  expectRefusal(path, "'" + path +
                          "' has rank 0; an IDX data set needs at least one "
                          "dimension");
  writeBytes(path, idxBytes(std::vector<uint32_t>(9, 1), "x"));
  expectRefusal(path, "'" + path +
                          "' has rank 9, more than the 8 this reader accepts");
  // 2^48 elements: a corrupt header, refused before any allocation.
  writeBytes(path, idxBytes({65536, 65536, 65536}, "x"));
  expectRefusal(path, "'" + path +
                          "' has dimensions [65536, 65536, 65536], more than "
                          "the 17179869184 elements this reader accepts");
  writeBytes(path, idxBytes(std::vector<uint32_t>(8, 0xffffffffu), "x"));
  expectRefusalMentioning(path, "more than the 17179869184 elements");
  // Plausible but wrong: claims far more data than there is, and is refused
  // as truncated without reserving the claimed 4 GB.
  writeBytes(path, idxBytes({60000, 256, 256}, "only a little"));
  expectRefusal(path, "'" + path +
                          "' is truncated: expected 3932160016 bytes (16 "
                          "of header and 3932160000 of data), got "
                          "29");
}

//===----------------------------------------------------------------------===//
// Damaged gzip streams
//===----------------------------------------------------------------------===//

TEST_F(IdxTest, RefusesCorruptCompressedData) {
  std::string packed = gzipBytes(images);
  std::string path = dir + "/corrupt.gz";
  // The 8-byte trailer: CRC-32, then the length modulo 2^32.
  std::string badCrc = packed;
  badCrc[packed.size() - 8] ^= 0x01;
  writeBytes(path, badCrc);
  expectRefusal(path, "'" + path +
                          "' is corrupt: invalid gzip data (incorrect data "
                          "check)");
  std::string badLength = packed;
  badLength[packed.size() - 4] ^= 0x01;
  writeBytes(path, badLength);
  expectRefusal(path, "'" + path +
                          "' is corrupt: invalid gzip data (incorrect length "
                          "check)");
  // Block type 3 does not exist in deflate.
  std::string badBlock = packed;
  badBlock[10] = static_cast<char>(badBlock[10] | 0x06);
  writeBytes(path, badBlock);
  expectRefusalMentioning(path, "is corrupt: invalid gzip data (");
}

TEST_F(IdxTest, EveryFlippedByteOfAGzipFileIsCaughtOrHarmless) {
  // Bytes of the gzip header such as the mtime do not matter; everything
  // that changes the data is caught by the CRC, so a load that succeeds
  // returns the original contents.
  std::string packed = gzipBytes(images);
  std::string path = dir + "/flipped.gz";
  for (size_t at = 0; at < packed.size(); ++at) {
    for (int mask : {0x01, 0x10, 0x80}) {
      SCOPED_TRACE("byte " + std::to_string(at) + " ^ " + std::to_string(mask));
      std::string flipped = packed;
      flipped[at] = static_cast<char>(flipped[at] ^ mask);
      writeBytes(path, flipped);
      IdxArray out;
      Status status = readIdx(path, out);
      if (status.ok()) {
        EXPECT_EQ(std::string(out.data.begin(), out.data.end()), pixels);
        continue;
      }
      EXPECT_NE(status.message().find("'" + path + "'"), std::string::npos)
          << status.message();
      EXPECT_EQ(status.message().find('\n'), std::string::npos);
    }
  }
}

//===----------------------------------------------------------------------===//
// Not files
//===----------------------------------------------------------------------===//

TEST_F(IdxTest, RefusesMissingFilesDirectoriesAndFifos) {
  expectRefusal(dir + "/nope", "cannot open IDX file '" + dir +
                                   "/nope': No such file or directory");
  expectRefusal(dir, "'" + dir + "' is not a regular file");
  std::string fifo = dir + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expectRefusal(fifo, "'" + fifo + "' is not a regular file");
}

TEST_F(IdxTest, ControlCharactersInPathsStayOnOneLine) {
  expectRefusal(dir + "/a\nb", "cannot open IDX file '" + dir +
                                   "/a\\x0ab': No such file or directory");
  EXPECT_EQ(quotePath("x\\y\t"), "'x\\x5cy\\x09'");
}

} // namespace
