//===- Checkpoint.cpp - Parameters and training state ----------*- C++ -*-===//
//
// The checkpoint writer and reader; docs/checkpoint-format.md is the
// specification they implement.
//
// The writer streams the file through a 1 MiB buffer, updating the CRC as it
// goes, so saving needs no copy of the parameters. The header records the
// total file size, computed from the descriptor up front, which lets the
// reader tell a truncated file from a corrupt one before parsing anything.
//
// The reader makes a single pass. Every length field is checked against the
// bytes that remain before anything is allocated or read, tensor data goes to
// a scratch buffer, and the checksum of every byte read is compared with the
// stored one before any structural or semantic complaint is reported: a
// corrupt file is called corrupt, not "the wrong shape". Only a file that
// passes everything is copied into the caller's buffers.
//
// Version 2 appended a list of sections to version 1's tensors; the only
// section so far holds training state. Both versions share one parser, which
// branches only where they differ: at the end of the tensor records.
//
//===----------------------------------------------------------------------===//

#include "runtime/Checkpoint.h"

#include "runtime/Params.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace nnc;

namespace {

constexpr char kMagic[8] = {'N', 'N', 'C', 'P', 'A', 'R', 'A', 'M'};
constexpr uint64_t kMagicSize = sizeof(kMagic);
constexpr uint64_t kInt64Max = uint64_t(std::numeric_limits<int64_t>::max());
/// Magic, format version (u32), total file size (u64).
constexpr uint64_t kHeaderSize = kMagicSize + 4 + 8;
/// The CRC-32 at the end.
constexpr uint64_t kTrailerSize = 4;
/// The section kind of training state, and the size of its fixed part:
/// optimizer (u32); epoch, step, seed, batch, examples, state count (u64).
constexpr std::string_view kTrainSection = "train";
constexpr uint64_t kTrainFixedSize = 4 + 6 * 8;
/// The versions loadParams() reads, as its messages name them.
constexpr const char *kReadableVersions = "1 and 2";
static_assert(kCheckpointFormatVersion == 2, "update kReadableVersions");
/// I/O and CRC granularity; also keeps every length passed to zlib's crc32,
/// which takes a 32-bit count, small.
constexpr size_t kChunkSize = size_t(1) << 20;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
constexpr bool kHostIsBigEndian = true;
#else
constexpr bool kHostIsBigEndian = false;
#endif

/// Names and paths in messages come from files and users; escaping control
/// bytes keeps every message on one line.
std::string printable(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '\\')
      result += fmt::format("\\x{:02x}", byte);
    else
      result += c;
  }
  return result;
}

std::string errorText(int err) { return std::strerror(err); }

void putU32(unsigned char *out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<unsigned char>(value >> (8 * i));
}

void putU64(unsigned char *out, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<unsigned char>(value >> (8 * i));
}

uint32_t getU32(const unsigned char *in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= uint32_t(in[i]) << (8 * i);
  return value;
}

uint64_t getU64(const unsigned char *in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value |= uint64_t(in[i]) << (8 * i);
  return value;
}

uint32_t crcUpdate(uint32_t crc, const void *data, size_t size) {
  return static_cast<uint32_t>(
      crc32(crc, static_cast<const Bytef *>(data), static_cast<uInt>(size)));
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// Buffered, checksummed writes to a file descriptor. The first failure is
/// remembered and later writes become no-ops, so the caller checks once.
class FileWriter {
public:
  explicit FileWriter(int fileDescriptor) : fd(fileDescriptor) {
    buffer.reserve(kChunkSize);
  }

  void bytes(const void *data, size_t size) {
    auto *in = static_cast<const unsigned char *>(data);
    while (size) {
      size_t take = std::min(size, kChunkSize - buffer.size());
      buffer.insert(buffer.end(), in, in + take);
      in += take;
      size -= take;
      if (buffer.size() == kChunkSize)
        flush();
    }
  }

  void u32(uint32_t value) {
    unsigned char raw[4];
    putU32(raw, value);
    bytes(raw, sizeof(raw));
  }

  void u64(uint64_t value) {
    unsigned char raw[8];
    putU64(raw, value);
    bytes(raw, sizeof(raw));
  }

  void string(std::string_view text) {
    u32(static_cast<uint32_t>(text.size()));
    bytes(text.data(), text.size());
  }

  void floats(const float *data, int64_t count) {
    while (count > 0) {
      size_t room = (kChunkSize - buffer.size()) / 4;
      if (room == 0) {
        flush();
        continue;
      }
      size_t take = std::min(room, static_cast<size_t>(count));
      size_t at = buffer.size();
      buffer.resize(at + 4 * take);
      for (size_t i = 0; i < take; ++i) {
        uint32_t bits;
        std::memcpy(&bits, data + i, 4);
        putU32(buffer.data() + at + 4 * i, bits);
      }
      data += take;
      count -= static_cast<int64_t>(take);
    }
  }

  /// Flushes the buffer and appends the CRC of everything written so far.
  void finish() {
    flush();
    unsigned char raw[4];
    putU32(raw, crc);
    writeAll(raw, sizeof(raw));
  }

  int error() const { return err; }
  uint64_t bytesWritten() const { return written; }

private:
  void flush() {
    crc = crcUpdate(crc, buffer.data(), buffer.size());
    writeAll(buffer.data(), buffer.size());
    buffer.clear();
  }

  void writeAll(const unsigned char *data, size_t size) {
    while (size && !err) {
      ssize_t done = ::write(fd, data, size);
      if (done < 0) {
        if (errno != EINTR)
          err = errno;
        continue;
      }
      data += done;
      size -= static_cast<size_t>(done);
      written += static_cast<uint64_t>(done);
    }
  }

  int fd;
  std::vector<unsigned char> buffer;
  uint32_t crc = crcUpdate(0, nullptr, 0);
  uint64_t written = 0;
  int err = 0;
};

/// Splits \p path into its directory part ("" or ending in '/') and its
/// last component.
void splitPath(const std::string &path, std::string &dir, std::string &base) {
  size_t slash = path.rfind('/');
  dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  base = slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Whether \p entry is a temporary file name of createTempFile() for the
/// target named \p base: ".<base>.tmp-" and 16 lowercase hex digits.
bool isTempNameOf(std::string_view entry, std::string_view base) {
  constexpr std::string_view kSuffix = ".tmp-";
  if (entry.size() != 1 + base.size() + kSuffix.size() + 16 ||
      entry[0] != '.' || entry.substr(1, base.size()) != base ||
      entry.substr(1 + base.size(), kSuffix.size()) != kSuffix)
    return false;
  for (char c : entry.substr(entry.size() - 16))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

/// Removes the temporary files of earlier saves to \p path whose writers
/// died (SIGKILL, power loss) before renaming them. A live writer holds an
/// exclusive flock() on its temporary until the rename, and the kernel drops
/// the lock when a process dies, so a temporary this can lock is abandoned.
/// The inode comparison makes sure the name still denotes the file locked.
/// Best effort: anything unexpected leaves the file alone.
void removeStaleTemps(const std::string &path) {
  std::string dir, base;
  splitPath(path, dir, base);
  DIR *stream = ::opendir(dir.empty() ? "." : dir.c_str());
  if (!stream)
    return;
  std::vector<std::string> stale;
  while (const dirent *entry = ::readdir(stream))
    if (isTempNameOf(entry->d_name, base))
      stale.push_back(dir + entry->d_name);
  ::closedir(stream);
  for (const std::string &candidate : stale) {
    int fd = ::open(candidate.c_str(),
                    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
      continue;
    struct stat opened, named;
    if (::fstat(fd, &opened) == 0 && S_ISREG(opened.st_mode) &&
        ::flock(fd, LOCK_EX | LOCK_NB) == 0 &&
        ::lstat(candidate.c_str(), &named) == 0 &&
        opened.st_dev == named.st_dev && opened.st_ino == named.st_ino)
      ::unlink(candidate.c_str());
    ::close(fd);
  }
}

/// Opens a new file next to \p path with O_EXCL, so concurrent savers never
/// share a temporary; the name mixes pid, a counter and the clock. Mode 0666
/// lets the umask decide the permissions, as for any file the user creates.
/// The file is returned locked (see removeStaleTemps); a file that another
/// save's cleanup removed between its creation and the lock is replaced.
int createTempFile(const std::string &path, std::string &tempPath, int &err) {
  static std::atomic<uint64_t> counter{0};
  std::string dir, base;
  splitPath(path, dir, base);
  for (int attempt = 0; attempt < 64; ++attempt) {
    uint64_t ticks = static_cast<uint64_t>(
        std::chrono::steady_clock::now().time_since_epoch().count());
    uint64_t tag = splitmix64(ticks ^ (uint64_t(::getpid()) << 32) ^
                              splitmix64(counter.fetch_add(1)));
    tempPath = fmt::format("{}.{}.tmp-{:016x}", dir, base, tag);
    int fd =
        ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      if (errno != EEXIST && errno != EINTR) {
        err = errno;
        return -1;
      }
      continue;
    }
    // Without flock() support (some network file systems) no cleanup can
    // lock the file either, so it is never removed from under us.
    int locked;
    do
      locked = ::flock(fd, LOCK_EX);
    while (locked != 0 && errno == EINTR);
    struct stat info;
    if (locked == 0 && ::fstat(fd, &info) == 0 && info.st_nlink == 0) {
      ::close(fd);
      continue;
    }
    return fd;
  }
  err = EEXIST;
  return -1;
}

/// Makes the rename itself durable. Best effort: some file systems refuse to
/// fsync a directory, and the new file is already in place either way.
void syncDirectoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  (void)::fsync(fd);
  ::close(fd);
}

uint64_t tensorRecordSize(const nnc_param_desc &param) {
  return 4 + std::strlen(param.name) + 4 + 8 * uint64_t(param.rank) + 8 +
         4 * uint64_t(param.size);
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

struct FileCloser {
  std::FILE *file;
  ~FileCloser() { std::fclose(file); }
};

/// Checksummed reads of the payload [pos, end) of a checkpoint. Callers check
/// lengths against remaining() before reading; a short read here means an I/O
/// error or a file that shrank while being read.
class FileReader {
public:
  FileReader(std::FILE *input, uint64_t start, uint64_t payloadEnd,
             uint32_t crcSoFar)
      : file(input), pos(start), end(payloadEnd), crc(crcSoFar) {}

  uint64_t remaining() const { return end - pos; }
  uint64_t offset() const { return pos; }
  uint32_t checksum() const { return crc; }
  bool failed() const { return ioFailed; }
  int failedErrno() const { return ioErrno; }

  bool read(void *data, uint64_t size) {
    auto *out = static_cast<unsigned char *>(data);
    while (size && !ioFailed) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(size, kChunkSize));
      size_t got = std::fread(out, 1, take, file);
      crc = crcUpdate(crc, out, got);
      pos += got;
      out += got;
      size -= got;
      if (got < take) {
        ioFailed = true;
        ioErrno = std::ferror(file) ? errno : 0;
      }
    }
    return !ioFailed;
  }

  bool u32(uint32_t &value) {
    unsigned char raw[4];
    if (!read(raw, sizeof(raw)))
      return false;
    value = getU32(raw);
    return true;
  }

  bool u64(uint64_t &value) {
    unsigned char raw[8];
    if (!read(raw, sizeof(raw)))
      return false;
    value = getU64(raw);
    return true;
  }

  /// Reads \p count little-endian floats into \p dest.
  bool floats(float *dest, uint64_t count) {
    if (!read(dest, 4 * count))
      return false;
    if (kHostIsBigEndian)
      for (uint64_t i = 0; i < count; ++i) {
        uint32_t bits;
        std::memcpy(&bits, dest + i, 4);
        bits = getU32(reinterpret_cast<unsigned char *>(&bits));
        std::memcpy(dest + i, &bits, 4);
      }
    return true;
  }

  /// Reads and checksums \p size bytes without keeping them.
  bool skip(uint64_t size) {
    std::vector<unsigned char> sink(
        static_cast<size_t>(std::min<uint64_t>(size, kChunkSize)));
    while (size && !ioFailed) {
      uint64_t take = std::min<uint64_t>(size, sink.size());
      read(sink.data(), take);
      size -= take;
    }
    return !ioFailed;
  }

private:
  std::FILE *file;
  uint64_t pos;
  uint64_t end;
  uint32_t crc;
  bool ioFailed = false;
  int ioErrno = 0;
};

/// One tensor record as found in the file.
struct FileTensor {
  std::string name;
  std::vector<int64_t> dims;
  /// Index of the descriptor parameter with this name, or -1.
  int64_t param = -1;
  bool shapeMatches = false;
};

/// The training section as found in the file.
struct FileTraining {
  bool present = false;
  uint32_t optimizer = 0;
  TrainingState state;
  uint64_t count = 0;
  /// The optimizer state, when the caller asked for it.
  std::vector<float> optState;
};

/// Parses the payload after the header. Structural problems end the parse
/// with `malformed` set; I/O problems leave it to the reader's failed().
/// Matching tensors' data lands in `scratch` at the descriptor's offsets.
class BodyParser {
public:
  BodyParser(FileReader &input, const nnc_model_desc &model,
             std::vector<float> &buffer, uint32_t formatVersion,
             bool keepOptState)
      : reader(input), desc(model), scratch(buffer), version(formatVersion),
        wantOptState(keepOptState) {}

  std::string malformed;
  std::string modelName;
  std::vector<FileTensor> tensors;
  FileTraining train;

  void run() {
    std::unordered_map<std::string_view, int64_t> byName;
    for (int64_t i = 0; i < desc.num_params; ++i)
      byName.emplace(desc.params[i].name, i);

    if (!readString(modelName, "the model name"))
      return;
    uint64_t count;
    if (!need(8, "the tensor count") || !reader.u64(count))
      return;
    // The smallest record (empty name, rank 0, no data) takes 16 bytes.
    if (count > reader.remaining() / 16) {
      malformed = fmt::format("it declares {} tensors but only {} bytes "
                              "remain",
                              count, reader.remaining());
      return;
    }

    std::unordered_set<std::string> seen;
    for (uint64_t index = 0; index < count; ++index) {
      FileTensor tensor;
      if (!readString(tensor.name,
                      fmt::format("the name of tensor #{}", index)))
        return;
      std::string what = fmt::format("tensor '{}'", printable(tensor.name));
      if (!seen.insert(tensor.name).second) {
        malformed = what + " appears twice";
        return;
      }
      uint32_t rank;
      if (!need(4, "the rank of " + what) || !reader.u32(rank))
        return;
      if (rank > reader.remaining() / 8) {
        malformed = fmt::format("{} has rank {} but only {} bytes remain", what,
                                rank, reader.remaining());
        return;
      }
      tensor.dims.resize(rank);
      int64_t product = 1;
      for (int64_t &dim : tensor.dims) {
        uint64_t raw;
        if (!reader.u64(raw))
          return;
        if (raw > uint64_t(std::numeric_limits<int64_t>::max())) {
          malformed = what + " has a negative dimension";
          return;
        }
        dim = static_cast<int64_t>(raw);
        if (product >= 0 && dim != 0 &&
            product > std::numeric_limits<int64_t>::max() / dim)
          product = -1;
        else if (product >= 0)
          product *= dim;
      }
      uint64_t elements;
      if (!need(8, "the element count of " + what) || !reader.u64(elements))
        return;
      if (product < 0 || elements != uint64_t(product)) {
        malformed = fmt::format(
            "{} has shape {} but {} elements", what,
            formatShape(tensor.dims.data(), static_cast<int32_t>(rank)),
            elements);
        return;
      }
      if (elements > reader.remaining() / 4) {
        malformed = fmt::format("{} has {} elements but only {} bytes "
                                "remain",
                                what, elements, reader.remaining());
        return;
      }

      auto it = byName.find(tensor.name);
      if (it != byName.end()) {
        tensor.param = it->second;
        const nnc_param_desc &param = desc.params[it->second];
        tensor.shapeMatches =
            param.rank == static_cast<int32_t>(rank) &&
            std::equal(tensor.dims.begin(), tensor.dims.end(), param.shape);
      }
      if (tensor.shapeMatches) {
        float *dest = scratch.data() + desc.params[tensor.param].offset;
        if (!reader.floats(dest, elements))
          return;
      } else if (!reader.skip(4 * elements)) {
        return;
      }
      tensors.push_back(std::move(tensor));
    }
    if (version >= 2 && !readSections())
      return;
    if (reader.remaining())
      malformed =
          fmt::format("{} unexpected bytes follow the last {}",
                      reader.remaining(), version >= 2 ? "section" : "tensor");
  }

private:
  bool readSections() {
    uint32_t count;
    if (!need(4, "the section count") || !reader.u32(count))
      return false;
    for (uint32_t index = 0; index < count; ++index) {
      std::string kind;
      if (!readString(kind, fmt::format("the kind of section #{}", index)))
        return false;
      std::string what = fmt::format("section '{}'", printable(kind));
      uint64_t length;
      if (!need(8, "the length of " + what) || !reader.u64(length))
        return false;
      if (length > reader.remaining()) {
        malformed = fmt::format("{} has {} bytes but only {} remain", what,
                                length, reader.remaining());
        return false;
      }
      if (kind != kTrainSection) {
        malformed = fmt::format("unknown {}", what);
        return false;
      }
      if (train.present) {
        malformed = what + " appears twice";
        return false;
      }
      if (!readTrainSection(what, length))
        return false;
    }
    return true;
  }

  bool readTrainSection(const std::string &what, uint64_t length) {
    if (length < kTrainFixedSize) {
      malformed = fmt::format("{} has {} bytes, fewer than its {}-byte fixed "
                              "part",
                              what, length, kTrainFixedSize);
      return false;
    }
    uint64_t counters[5];
    uint64_t count;
    if (!reader.u32(train.optimizer))
      return false;
    for (uint64_t &counter : counters)
      if (!reader.u64(counter))
        return false;
    if (!reader.u64(count))
      return false;
    const char *names[5] = {"epoch", "step", nullptr, "batch", "examples"};
    for (int i = 0; i < 5; ++i)
      if (names[i] && counters[i] > uint64_t(kInt64Max)) {
        malformed = fmt::format("{} has a negative {}", what, names[i]);
        return false;
      }
    uint64_t dataBytes = length - kTrainFixedSize;
    if (count > dataBytes / 4 || 4 * count != dataBytes) {
      malformed = fmt::format("{} has {} bytes but {} optimizer state "
                              "elements",
                              what, length, count);
      return false;
    }
    train.present = true;
    train.state.epoch = static_cast<int64_t>(counters[0]);
    train.state.step = static_cast<int64_t>(counters[1]);
    train.state.seed = counters[2];
    train.state.batch = static_cast<int64_t>(counters[3]);
    train.state.examples = static_cast<int64_t>(counters[4]);
    train.count = count;
    if (!wantOptState)
      return reader.skip(4 * count);
    train.optState.resize(static_cast<size_t>(count));
    return reader.floats(train.optState.data(), count);
  }

  bool need(uint64_t size, std::string_view what) {
    if (size <= reader.remaining())
      return true;
    malformed = fmt::format("{} at offset {} needs {} bytes but only {} "
                            "remain",
                            what, reader.offset(), size, reader.remaining());
    return false;
  }

  bool readString(std::string &out, std::string_view what) {
    uint32_t length;
    if (!need(4, fmt::format("the length of {}", what)) || !reader.u32(length))
      return false;
    if (!need(length, what))
      return false;
    out.resize(length);
    return reader.read(out.data(), length);
  }

  FileReader &reader;
  const nnc_model_desc &desc;
  std::vector<float> &scratch;
  uint32_t version;
  bool wantOptState;
};

/// What a training checkpoint adds to the parameters.
struct TrainingSave {
  const nnc_train_desc *train;
  const float *optState;
  const TrainingState *state;
};

const char *optimizerName(uint32_t kind) {
  switch (kind) {
  case NNC_OPTIMIZER_SGD:
    return "sgd";
  case NNC_OPTIMIZER_ADAM:
    return "adam";
  default:
    return nullptr;
  }
}

std::string describeOptimizer(uint32_t kind) {
  const char *name = optimizerName(kind);
  return name ? fmt::format("'{}'", name) : fmt::format("of kind {}", kind);
}

/// Converts \p count floats of parameter-layout buffers (one or several
/// copies of the layout, such as Adam's two moments) between the layout
/// the object stores and row-major (see nnc::convertLayout); a remainder
/// shorter than one copy is copied as is.
void convertBuffers(const nnc_model_desc &desc, const float *from, float *to,
                    int64_t count, bool toRowMajor) {
  int64_t done = 0;
  if (desc.param_size > 0)
    for (; done + desc.param_size <= count; done += desc.param_size)
      convertLayout(desc, from + done, to + done, toRowMajor);
  std::copy(from + done, from + count, to + done);
}

Status writeCheckpoint(const std::string &path, const nnc_model_desc &desc,
                       const float *params, const TrainingSave *training) {
  auto fail = [&](std::string_view why) {
    return Status::error(
        fmt::format("cannot save checkpoint '{}': {}", printable(path), why));
  };
  if (path.empty())
    return fail("the path is empty");
  if (Status status = validateDescriptor(desc); !status)
    return fail(status.message());
  if (!params && desc.param_size > 0)
    return fail("the parameter buffer is null");
  if (training) {
    const TrainingState &state = *training->state;
    if (!training->train)
      return fail(fmt::format("model '{}' has no train block, so there is no "
                              "training state to save",
                              printable(desc.name)));
    if (training->train->opt_state_size < 0)
      return fail(fmt::format("model '{}' has a negative optimizer state "
                              "size {}",
                              printable(desc.name),
                              training->train->opt_state_size));
    if (!training->optState && training->train->opt_state_size > 0)
      return fail("the optimizer state buffer is null");
    if (state.epoch < 0 || state.step < 0 || state.batch < 0 ||
        state.examples < 0)
      return fail("the training state has a negative counter");
  }
  // Checkpoints hold every tensor row-major (and the optimizer state in
  // the same layout), whatever the object stores.
  std::vector<float> rowMajorParams, rowMajorState;
  TrainingSave rowMajorTraining;
  if (hasColumnBlocks(desc)) {
    rowMajorParams.resize(static_cast<size_t>(desc.param_size));
    convertBuffers(desc, params, rowMajorParams.data(), desc.param_size,
                   /*toRowMajor=*/true);
    params = rowMajorParams.data();
    if (training) {
      rowMajorState.resize(
          static_cast<size_t>(training->train->opt_state_size));
      convertBuffers(desc, training->optState, rowMajorState.data(),
                     training->train->opt_state_size, /*toRowMajor=*/true);
      rowMajorTraining = *training;
      rowMajorTraining.optState = rowMajorState.data();
      training = &rowMajorTraining;
    }
  }

  constexpr uint64_t kMaxName = std::numeric_limits<uint32_t>::max();
  uint64_t total = kHeaderSize + 4 + std::strlen(desc.name) + 8 + kTrailerSize;
  if (std::strlen(desc.name) > kMaxName)
    return fail("the model name is too long");
  for (int64_t i = 0; i < desc.num_params; ++i) {
    if (std::strlen(desc.params[i].name) > kMaxName)
      return fail(fmt::format("the name of parameter #{} is too long", i));
    total += tensorRecordSize(desc.params[i]);
  }
  uint64_t trainBytes = 0;
  total += 4; // the section count
  if (training) {
    trainBytes =
        kTrainFixedSize + 4 * uint64_t(training->train->opt_state_size);
    total += 4 + kTrainSection.size() + 8 + trainBytes;
  }

  removeStaleTemps(path);
  std::string tempPath;
  int err = 0;
  int fd = createTempFile(path, tempPath, err);
  if (fd < 0)
    return fail(fmt::format("cannot create a temporary file '{}': {}",
                            printable(tempPath), errorText(err)));
  auto abandon = [&](std::string_view step, int stepErr) {
    if (fd >= 0)
      ::close(fd);
    ::unlink(tempPath.c_str());
    return fail(fmt::format("{} '{}': {}", step, printable(tempPath),
                            errorText(stepErr)));
  };

  FileWriter writer(fd);
  writer.bytes(kMagic, kMagicSize);
  writer.u32(kCheckpointFormatVersion);
  writer.u64(total);
  writer.string(desc.name);
  writer.u64(static_cast<uint64_t>(desc.num_params));
  for (int64_t i = 0; i < desc.num_params; ++i) {
    const nnc_param_desc &param = desc.params[i];
    writer.string(param.name);
    writer.u32(static_cast<uint32_t>(param.rank));
    for (int32_t d = 0; d < param.rank; ++d)
      writer.u64(static_cast<uint64_t>(param.shape[d]));
    writer.u64(static_cast<uint64_t>(param.size));
    writer.floats(params + param.offset, param.size);
  }
  writer.u32(training ? 1 : 0);
  if (training) {
    const TrainingState &state = *training->state;
    writer.string(kTrainSection);
    writer.u64(trainBytes);
    writer.u32(static_cast<uint32_t>(training->train->optimizer));
    writer.u64(static_cast<uint64_t>(state.epoch));
    writer.u64(static_cast<uint64_t>(state.step));
    writer.u64(state.seed);
    writer.u64(static_cast<uint64_t>(state.batch));
    writer.u64(static_cast<uint64_t>(state.examples));
    writer.u64(static_cast<uint64_t>(training->train->opt_state_size));
    writer.floats(training->optState, training->train->opt_state_size);
  }
  writer.finish();
  if (writer.error())
    return abandon("cannot write", writer.error());
  if (writer.bytesWritten() != total) {
    // The size computation above and the writer disagree: a bug here, and a
    // file the reader would reject, so do not install it.
    ::close(fd);
    ::unlink(tempPath.c_str());
    return fail(fmt::format("internal error: wrote {} bytes, expected {}",
                            writer.bytesWritten(), total));
  }
  if (::fsync(fd) != 0)
    return abandon("cannot flush", errno);
  // Renamed while still open, so the lock that tells cleanups this file is
  // in use lasts until it has its final name. The data is on disk after the
  // fsync, so an error from the close that follows loses nothing.
  if (::rename(tempPath.c_str(), path.c_str()) != 0) {
    int renameErr = errno;
    ::unlink(tempPath.c_str());
    ::close(fd);
    return fail(fmt::format("cannot rename '{}' to it: {}", printable(tempPath),
                            errorText(renameErr)));
  }
  ::close(fd);
  syncDirectoryOf(path);
  return Status::success();
}

/// Loads parameters and, when \p state is not null, the training state and
/// \p optState. Writes nothing unless every check passes.
Status readCheckpoint(const std::string &path, const nnc_model_desc &desc,
                      float *params, float *optState, TrainingState *state) {
  std::string shown = printable(path);
  auto refuse = [&](std::string_view problem) {
    return Status::error(fmt::format("checkpoint '{}' {}", shown, problem));
  };
  if (Status status = validateDescriptor(desc); !status)
    return Status::error(fmt::format("cannot load checkpoint '{}': {}", shown,
                                     status.message()));
  if (!params && desc.param_size > 0)
    return Status::error(fmt::format(
        "cannot load checkpoint '{}': the parameter buffer is null", shown));
  if (state && !desc.train)
    return Status::error(fmt::format(
        "cannot load checkpoint '{}': model '{}' has no train block, so "
        "there is no training state to load",
        shown, printable(desc.name)));
  if (state && desc.train->opt_state_size < 0)
    return Status::error(fmt::format(
        "cannot load checkpoint '{}': model '{}' has a negative optimizer "
        "state size {}",
        shown, printable(desc.name), desc.train->opt_state_size));
  if (state && !optState && desc.train->opt_state_size > 0)
    return Status::error(fmt::format(
        "cannot load checkpoint '{}': the optimizer state buffer is null",
        shown));

  // O_NONBLOCK so that a FIFO or device at `path` is refused below instead
  // of blocking the open; it has no effect on reads from a regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return Status::error(fmt::format("cannot open checkpoint '{}': {}", shown,
                                     errorText(errno)));
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    int statErr = errno;
    ::close(fd);
    return Status::error(fmt::format("cannot read checkpoint '{}': {}", shown,
                                     errorText(statErr)));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return refuse("is not a regular file");
  }
  std::FILE *file = ::fdopen(fd, "rb");
  if (!file) {
    int openErr = errno;
    ::close(fd);
    return Status::error(fmt::format("cannot open checkpoint '{}': {}", shown,
                                     errorText(openErr)));
  }
  FileCloser closer{file};
  auto readError = [&](int err) {
    return Status::error(fmt::format(
        "cannot read checkpoint '{}': {}", shown,
        err ? errorText(err)
            : std::string("unexpected end of file (did it change while "
                          "being read?)")));
  };
  auto size = static_cast<uint64_t>(info.st_size);

  unsigned char header[kHeaderSize];
  size_t headerBytes = static_cast<size_t>(std::min(size, kHeaderSize));
  if (std::fread(header, 1, headerBytes, file) != headerBytes)
    return readError(std::ferror(file) ? errno : 0);

  if (size == 0)
    return refuse("is truncated: the file is empty");
  if (size < kMagicSize && std::memcmp(header, kMagic, size) == 0)
    return refuse(fmt::format("is truncated: it has {} bytes, fewer than the "
                              "{}-byte magic",
                              size, kMagicSize));
  if (size < kMagicSize || std::memcmp(header, kMagic, kMagicSize) != 0)
    return Status::error(fmt::format(
        "'{}' is not an nnc checkpoint: it does not start with \"NNCPARAM\"",
        shown));
  if (size < kMagicSize + 4)
    return refuse(fmt::format("is truncated: it has {} bytes, which ends "
                              "inside the {}-byte header",
                              size, kHeaderSize));
  uint32_t version = getU32(header + kMagicSize);
  if (version < 1 || version > kCheckpointFormatVersion)
    return refuse(fmt::format("has unsupported format version {}; this "
                              "runtime reads versions {}",
                              version, kReadableVersions));
  if (size < kHeaderSize)
    return refuse(fmt::format("is truncated: it has {} bytes, which ends "
                              "inside the {}-byte header",
                              size, kHeaderSize));
  uint64_t recorded = getU64(header + kMagicSize + 4);
  if (recorded > size)
    return refuse(fmt::format("is truncated: it has {} bytes but its header "
                              "records {}",
                              size, recorded));
  if (recorded < size)
    return refuse(fmt::format("has {} bytes but its header records {}: "
                              "trailing data or a corrupt header",
                              size, recorded));
  if (size < kHeaderSize + kTrailerSize)
    return refuse(fmt::format("is truncated: its {} bytes leave no room for "
                              "the checksum",
                              size));

  std::vector<float> scratch(static_cast<size_t>(desc.param_size));
  FileReader reader(file, kHeaderSize, size - kTrailerSize,
                    crcUpdate(crcUpdate(0, nullptr, 0), header, kHeaderSize));
  BodyParser parser(reader, desc, scratch, version,
                    /*keepOptState=*/state != nullptr);
  parser.run();
  // Checksum the rest even after a structural error, so that corruption is
  // reported as such rather than as whatever it happened to break.
  if (!reader.failed())
    reader.skip(reader.remaining());
  if (reader.failed())
    return readError(reader.failedErrno());
  unsigned char trailer[kTrailerSize];
  if (std::fread(trailer, 1, kTrailerSize, file) != kTrailerSize)
    return readError(std::ferror(file) ? errno : 0);
  uint32_t stored = getU32(trailer);
  if (stored != reader.checksum())
    return refuse(fmt::format("is corrupt: checksum mismatch (stored CRC-32 "
                              "{:08x}, computed {:08x})",
                              stored, reader.checksum()));
  if (!parser.malformed.empty())
    return refuse("is malformed: " + parser.malformed);

  if (parser.modelName != desc.name)
    return refuse(fmt::format("holds the parameters of model '{}', not of "
                              "model '{}'",
                              printable(parser.modelName),
                              printable(desc.name)));

  const FileTensor *extra = nullptr;
  std::unordered_set<std::string_view> inFile;
  for (const FileTensor &tensor : parser.tensors) {
    inFile.insert(tensor.name);
    if (tensor.param < 0 && !extra)
      extra = &tensor;
  }
  const char *missing = nullptr;
  for (int64_t i = 0; i < desc.num_params && !missing; ++i)
    if (!inFile.count(desc.params[i].name))
      missing = desc.params[i].name;
  auto fileCount = static_cast<int64_t>(parser.tensors.size());
  if (fileCount != desc.num_params)
    return refuse(fmt::format(
        "has {} tensors but model '{}' has {}: {}", fileCount,
        printable(desc.name), desc.num_params,
        missing ? fmt::format("the file lacks tensor '{}'", printable(missing))
                : fmt::format("the model has no tensor '{}'",
                              printable(extra->name))));
  if (extra)
    return refuse(fmt::format("has tensor '{}', which model '{}' does not "
                              "have (the file lacks '{}')",
                              printable(extra->name), printable(desc.name),
                              printable(missing)));
  for (const FileTensor &tensor : parser.tensors) {
    if (tensor.shapeMatches)
      continue;
    const nnc_param_desc &param = desc.params[tensor.param];
    return Status::error(fmt::format(
        "checkpoint '{}': tensor '{}' has shape {} in the file but the model "
        "expects {}",
        shown, printable(tensor.name),
        formatShape(tensor.dims.data(),
                    static_cast<int32_t>(tensor.dims.size())),
        formatShape(param.shape, param.rank)));
  }

  if (state) {
    const FileTraining &train = parser.train;
    if (!train.present)
      return refuse("holds parameters only, no training state to resume "
                    "from");
    if (train.optimizer != static_cast<uint32_t>(desc.train->optimizer))
      return refuse(fmt::format(
          "holds the state of optimizer {} but model '{}' trains with {}",
          describeOptimizer(train.optimizer), printable(desc.name),
          describeOptimizer(static_cast<uint32_t>(desc.train->optimizer))));
    if (train.count != static_cast<uint64_t>(desc.train->opt_state_size))
      return refuse(fmt::format("holds {} optimizer state elements but model "
                                "'{}' has {}",
                                train.count, printable(desc.name),
                                desc.train->opt_state_size));
  }

  // The file is row-major; the object's layout may have column blocks.
  bool blocked = hasColumnBlocks(desc);
  if (blocked) {
    std::vector<float> stored(scratch.size());
    convertBuffers(desc, scratch.data(), stored.data(), desc.param_size,
                   /*toRowMajor=*/false);
    scratch.swap(stored);
  }
  for (int64_t i = 0; i < desc.num_params; ++i) {
    const nnc_param_desc &param = desc.params[i];
    std::copy_n(scratch.data() + param.offset, param.size,
                params + param.offset);
  }
  if (state) {
    std::vector<float> &moments = parser.train.optState;
    if (blocked)
      convertBuffers(desc, moments.data(), optState,
                     static_cast<int64_t>(moments.size()),
                     /*toRowMajor=*/false);
    else
      std::copy(moments.begin(), moments.end(), optState);
    *state = parser.train.state;
  }
  return Status::success();
}

} // namespace

Status nnc::saveParams(const std::string &path, const nnc_model_desc &desc,
                       const float *params) {
  return writeCheckpoint(path, desc, params, nullptr);
}

Status nnc::loadParams(const std::string &path, const nnc_model_desc &desc,
                       float *params) {
  return readCheckpoint(path, desc, params, nullptr, nullptr);
}

Status nnc::saveTrainingCheckpoint(const std::string &path,
                                   const nnc_model_desc &desc,
                                   const float *params, const float *optState,
                                   const TrainingState &state) {
  TrainingSave training{desc.train, optState, &state};
  return writeCheckpoint(path, desc, params, &training);
}

Status nnc::loadTrainingCheckpoint(const std::string &path,
                                   const nnc_model_desc &desc, float *params,
                                   float *optState, TrainingState &state) {
  return readCheckpoint(path, desc, params, optState, &state);
}
