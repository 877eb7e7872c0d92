//===- Idx.cpp - Read IDX files, plain or gzip-compressed -------*- C++ -*-===//
//
// The IDX reader. zlib's gz* functions read gzip and plain files alike (a
// plain file is passed through "transparently"), so one code path serves
// both, and lengths are always those of the uncompressed content.
//
// Error classification relies on how zlib 1.2.x reports the end of a gzip
// stream: a stream cut short delivers every byte it could decompress, then
// reads as end of file with gzerror() == Z_BUF_ERROR; damaged compressed data
// or a trailer whose CRC or length disagrees makes gzread() fail with
// Z_DATA_ERROR. The trailer is only checked when the reader asks for bytes
// beyond the data, which is why readIdx() always reads past the expected end:
// that one read both finds trailing data and verifies the gzip checksum.
//
//===----------------------------------------------------------------------===//

#include "runtime/Idx.h"

#include "runtime/Params.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace nnc;

namespace {

/// gzread() takes an unsigned count and returns an int; stay well inside.
constexpr size_t kReadChunk = size_t(16) << 20;
/// The most the data buffer reserves up front, as a multiple of the file's
/// size: enough for any real IDX file (Fashion-MNIST's images compress about
/// 1.8:1), while a forged header on a small file cannot make the reader
/// reserve gigabytes. Beyond it the buffer grows as data arrives.
constexpr uint64_t kMaxExpansion = 64;

constexpr uint8_t kTypeUnsignedByte = 0x08;

const char *typeName(uint8_t type) {
  switch (type) {
  case 0x08:
    return "unsigned byte";
  case 0x09:
    return "signed byte";
  case 0x0b:
    return "16-bit integer";
  case 0x0c:
    return "32-bit integer";
  case 0x0d:
    return "32-bit float";
  case 0x0e:
    return "64-bit float";
  default:
    return nullptr;
  }
}

/// An open gzip-or-plain input that remembers the first failure.
class GzInput {
public:
  explicit GzInput(gzFile input) : file(input) {}
  ~GzInput() { gzclose(file); }
  GzInput(const GzInput &) = delete;
  GzInput &operator=(const GzInput &) = delete;

  /// Reads up to \p size bytes; fewer means end of input or an error, which
  /// problem() then describes.
  size_t read(void *data, size_t size) {
    auto *out = static_cast<unsigned char *>(data);
    size_t done = 0;
    while (done < size) {
      auto want = static_cast<unsigned>(std::min(size - done, kReadChunk));
      int got = gzread(file, out + done, want);
      if (got <= 0)
        break;
      done += static_cast<size_t>(got);
    }
    return done;
  }

  /// Reads to the end of the input, counting the bytes.
  uint64_t drain() {
    std::vector<unsigned char> sink(size_t(1) << 16);
    uint64_t total = 0;
    for (;;) {
      int got = gzread(file, sink.data(), static_cast<unsigned>(sink.size()));
      if (got <= 0)
        return total;
      total += static_cast<uint64_t>(got);
    }
  }

  /// Whether the gzip stream ended before its end-of-stream marker.
  bool cutShort() {
    int code;
    gzerror(file, &code);
    return code == Z_BUF_ERROR;
  }

  /// A description of a hard error (corrupt data, I/O, memory), or "".
  std::string hardError() {
    int code;
    const char *text = gzerror(file, &code);
    if (code == Z_OK || code == Z_BUF_ERROR)
      return "";
    if (code == Z_ERRNO)
      return fmt::format("cannot read it: {}", std::strerror(errno));
    // zlib prefixes its messages with the file's name ("<fd:3>: ..."), which
    // here is a descriptor number; keep only the description.
    std::string_view detail = text ? text : "";
    if (size_t colon = detail.find(": "); colon != std::string_view::npos)
      detail.remove_prefix(colon + 2);
    if (code == Z_DATA_ERROR)
      return fmt::format("is corrupt: invalid gzip data ({})", detail);
    if (code == Z_MEM_ERROR)
      return "cannot be read: out of memory while decompressing it";
    return fmt::format("cannot be read: zlib error {} ({})", code, detail);
  }

private:
  gzFile file;
};

} // namespace

std::string nnc::quotePath(std::string_view path) {
  std::string result = "'";
  result.reserve(path.size() + 2);
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '\\')
      result += fmt::format("\\x{:02x}", byte);
    else
      result += c;
  }
  result += "'";
  return result;
}

Status nnc::readIdx(const std::string &path, IdxArray &out) {
  std::string shown = quotePath(path);
  auto refuse = [&](std::string_view problem) {
    return Status::error(fmt::format("{} {}", shown, problem));
  };

  // O_NONBLOCK so that a FIFO at `path` is refused below instead of blocking
  // the open; it has no effect on reads from a regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return Status::error(fmt::format("cannot open IDX file {}: {}", shown,
                                     std::strerror(errno)));
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return refuse("is not a regular file");
  }
  gzFile gz = gzdopen(fd, "rb");
  if (!gz) {
    ::close(fd);
    return Status::error(
        fmt::format("cannot open IDX file {}: out of memory", shown));
  }
  GzInput input(gz);
  gzbuffer(gz, 1u << 17);

  // A short read is reported as the hard error behind it if there is one,
  // else as a truncation; `gotText` is what was read, `expectedText` what
  // the format requires at that point.
  auto shortRead = [&](const std::string &expectedText, uint64_t got) {
    if (std::string hard = input.hardError(); !hard.empty())
      return refuse(hard);
    return refuse(
        fmt::format("is truncated: expected {}, got {}{}", expectedText, got,
                    input.cutShort() ? " (the gzip stream ends early)" : ""));
  };

  unsigned char magic[4];
  size_t got = input.read(magic, sizeof(magic));
  if (got < sizeof(magic))
    return shortRead("at least 4 bytes (the magic number)", got);
  uint32_t magicValue = uint32_t(magic[0]) << 24 | uint32_t(magic[1]) << 16 |
                        uint32_t(magic[2]) << 8 | magic[3];
  uint8_t type = magic[2];
  if (magic[0] != 0 || magic[1] != 0 || !typeName(type))
    return refuse(fmt::format(
        "is not an IDX file: its magic number is 0x{:08x}, not two zero "
        "bytes, an element type (0x08-0x0e) and the rank",
        magicValue));
  if (type != kTypeUnsignedByte)
    return refuse(fmt::format("holds elements of type 0x{:02x} ({}); only "
                              "unsigned bytes (0x08) are supported",
                              type, typeName(type)));
  int rank = magic[3];
  if (rank == 0)
    return refuse("has rank 0; an IDX data set needs at least one dimension");
  if (rank > kIdxMaxRank)
    return refuse(fmt::format("has rank {}, more than the {} this reader "
                              "accepts",
                              rank, kIdxMaxRank));

  uint64_t headerSize = 4 + 4 * uint64_t(rank);
  unsigned char rawDims[4 * kIdxMaxRank];
  got = input.read(rawDims, 4 * size_t(rank));
  if (got < 4 * size_t(rank))
    return shortRead(fmt::format("at least {} bytes (the magic number and {} "
                                 "dimension{})",
                                 headerSize, rank, rank == 1 ? "" : "s"),
                     4 + got);
  std::vector<int64_t> dims(rank);
  bool anyZero = false;
  for (int i = 0; i < rank; ++i) {
    const unsigned char *p = rawDims + 4 * i;
    dims[i] = int64_t(uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 |
                      uint32_t(p[2]) << 8 | p[3]);
    anyZero |= dims[i] == 0;
  }
  uint64_t elements = anyZero ? 0 : 1;
  for (int i = 0; i < rank && !anyZero; ++i) {
    auto dim = static_cast<uint64_t>(dims[i]);
    if (elements > kIdxMaxElements / dim)
      return refuse(fmt::format("has dimensions {}, more than the {} "
                                "elements this reader accepts",
                                formatShape(dims.data(), rank),
                                kIdxMaxElements));
    elements *= dim;
  }

  uint64_t total = headerSize + elements;
  std::string expectedText = fmt::format(
      "{} bytes ({} of header and {} of data)", total, headerSize, elements);
  std::vector<uint8_t> data;
  data.reserve(static_cast<size_t>(std::min<uint64_t>(
      elements, kMaxExpansion * static_cast<uint64_t>(info.st_size))));
  while (data.size() < elements) {
    size_t at = data.size();
    size_t want =
        static_cast<size_t>(std::min<uint64_t>(elements - at, kReadChunk));
    data.resize(at + want);
    size_t read = input.read(data.data() + at, want);
    if (read < want)
      return shortRead(expectedText, headerSize + at + read);
  }

  // Past the end: trailing data, or (for gzip) the trailer's verdict.
  uint64_t extra = input.drain();
  if (std::string hard = input.hardError(); !hard.empty())
    return refuse(hard);
  if (input.cutShort())
    return refuse(fmt::format("is truncated: the gzip stream ends after all "
                              "{} bytes of data but before its trailer",
                              total));
  if (extra)
    return refuse(fmt::format("is too long: expected {}, got {}", expectedText,
                              total + extra));

  out.dims = std::move(dims);
  out.data = std::move(data);
  return Status::success();
}
