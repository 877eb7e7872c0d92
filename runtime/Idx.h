//===- Idx.h - Read IDX files, plain or gzip-compressed ---------*- C++ -*-===//
//
// A reader for the IDX format of the MNIST family of data sets: a big-endian
// magic number (two zero bytes, an element-type code and the rank), one
// big-endian u32 per dimension, then the elements in row-major order. Files
// may be stored plain or gzip-compressed; zlib tells them apart by content,
// not by name. Only unsigned bytes (type 0x08) are read, which is what every
// MNIST-style data set uses; other element types are refused by name.
//
// The reader checks the header (magic, type, rank, dimensions whose product
// fits and stays below a sane limit) and that the uncompressed content is
// exactly as long as the header says, and refuses anything else with a
// one-line message that names the file: a truncated file, trailing bytes, a
// corrupt or cut-off gzip stream. It reserves memory for the data only in
// proportion to the file's size (64 times it at most) and 16 MiB reads, so a
// forged header on a small file cannot make it allocate gigabytes.
//
// One limitation comes from zlib: bytes after the last complete gzip member
// that do not start another member are ignored, as gzip(1) ignores them with
// a warning. They cannot alter the data, which the gzip CRC protects.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_IDX_H
#define NNC_RUNTIME_IDX_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nnc {

/// The contents of an IDX file of unsigned bytes.
struct IdxArray {
  /// Outermost first, e.g. {60000, 28, 28} for MNIST training images.
  std::vector<int64_t> dims;
  /// The product of `dims` bytes, row-major.
  std::vector<uint8_t> data;
};

/// The largest rank readIdx() accepts. IDX stores the rank in one byte; real
/// data sets use 1 (labels) to 4 (colour images).
constexpr int kIdxMaxRank = 8;

/// The largest element count readIdx() accepts (16 GiB of bytes). A header
/// beyond it is corrupt rather than a data set this runtime can hold.
constexpr uint64_t kIdxMaxElements = uint64_t(1) << 34;

/// Reads the IDX file at \p path (plain or gzip) into \p out. On failure
/// \p out is left unchanged and the message names the file, e.g.
///   '/d/train-images-idx3-ubyte.gz' is truncated: expected 47040016 bytes
///   (16 of header and 47040000 of data), got 1000
Status readIdx(const std::string &path, IdxArray &out);

/// \p path in single quotes as the runtime's loaders print it in messages,
/// with control characters and backslashes written as \xNN so that a message
/// stays on one line whatever the path contains.
std::string quotePath(std::string_view path);

} // namespace nnc

#endif // NNC_RUNTIME_IDX_H
