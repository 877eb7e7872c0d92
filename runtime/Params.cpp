//===- Params.cpp - Parameter descriptors and initialisation ----*- C++ -*-===//
//
// Descriptor validation and seeded parameter initialisation. Validation runs
// in O(n log n) over the parameters and does all size arithmetic with overflow
// checks, because its job is to reject descriptors that are not what they
// claim to be. Initialisation draws every tensor from its own PCG32 stream and
// converts to float with IEEE-defined operations only (integer -> double is
// exact, one multiply, one narrowing), so the bytes are the same on every
// conforming platform.
//
//===----------------------------------------------------------------------===//

#include "runtime/Params.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>
#include <unordered_set>
#include <vector>

using namespace nnc;

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

/// The product of \p rank dims, or -1 if a dim is negative or it overflows.
int64_t shapeProduct(const int64_t *shape, int32_t rank) {
  int64_t product = 1;
  for (int32_t i = 0; i < rank; ++i) {
    int64_t dim = shape[i];
    if (dim < 0)
      return -1;
    if (dim != 0 && product > kInt64Max / dim)
      return -1;
    product *= dim;
  }
  return product;
}

Status checkShape(std::string_view what, int32_t rank, const int64_t *shape,
                  int64_t size) {
  if (rank < 0)
    return Status::error(fmt::format("{} has negative rank {}", what, rank));
  if (rank > 0 && !shape)
    return Status::error(
        fmt::format("{} has rank {} but no shape array", what, rank));
  for (int32_t i = 0; i < rank; ++i)
    if (shape[i] < 0)
      return Status::error(fmt::format("{} has shape {} with a negative "
                                       "dimension",
                                       what, formatShape(shape, rank)));
  int64_t product = shapeProduct(shape, rank);
  if (product < 0)
    return Status::error(fmt::format("{} has shape {} whose element count "
                                     "overflows int64",
                                     what, formatShape(shape, rank)));
  if (product != size)
    return Status::error(fmt::format("{} has shape {} ({} elements) but size "
                                     "{}",
                                     what, formatShape(shape, rank), product,
                                     size));
  return Status::success();
}

Status checkInit(std::string_view what, const nnc_param_desc &param) {
  switch (param.init) {
  case NNC_INIT_ZEROS:
  case NNC_INIT_ONES:
    return Status::success();
  case NNC_INIT_XAVIER_UNIFORM:
    if (param.fan_in < 0 || param.fan_out < 0 ||
        param.fan_in > kInt64Max - param.fan_out ||
        param.fan_in + param.fan_out == 0)
      return Status::error(fmt::format(
          "{} uses Xavier initialisation with fan_in {} and fan_out {}; both "
          "must be non-negative with a positive sum",
          what, param.fan_in, param.fan_out));
    return Status::success();
  case NNC_INIT_HE_UNIFORM:
    if (param.fan_in <= 0)
      return Status::error(fmt::format(
          "{} uses He initialisation with fan_in {}; it must be positive", what,
          param.fan_in));
    return Status::success();
  }
  return Status::error(
      fmt::format("{} has unknown initialiser kind {}", what, param.init));
}

Status checkTensorDesc(const nnc_tensor_desc &tensor, std::string_view model,
                       std::string_view role) {
  std::string what =
      fmt::format("model '{}' {} '{}'", model, role,
                  tensor.name ? std::string_view(tensor.name) : "<null>");
  if (!tensor.name)
    return Status::error(what + " has no name");
  return checkShape(what, tensor.rank, tensor.shape, tensor.size);
}

} // namespace

Status nnc::validateDescriptor(const nnc_model_desc &desc) {
  const char *modelName = desc.name ? desc.name : "<null>";
  if (desc.abi_version != NNC_ABI_VERSION)
    return Status::error(fmt::format(
        "model '{}' was compiled for nnc ABI version {} but this runtime "
        "implements version {}; rebuild the model and the application with "
        "the same nnc",
        modelName, desc.abi_version, NNC_ABI_VERSION));
  if (!desc.name || !*desc.name)
    return Status::error("model descriptor has no name");
  if (desc.num_params < 0)
    return Status::error(fmt::format("model '{}' has a negative parameter "
                                     "count {}",
                                     modelName, desc.num_params));
  if (desc.num_params > 0 && !desc.params)
    return Status::error(
        fmt::format("model '{}' declares {} parameters but no parameter array",
                    modelName, desc.num_params));
  if (desc.param_size < 0)
    return Status::error(fmt::format("model '{}' has a negative parameter "
                                     "buffer size {}",
                                     modelName, desc.param_size));

  std::unordered_set<std::string_view> names;
  std::vector<int64_t> order;
  order.reserve(static_cast<size_t>(desc.num_params));
  for (int64_t i = 0; i < desc.num_params; ++i) {
    const nnc_param_desc &param = desc.params[i];
    if (!param.name || !*param.name)
      return Status::error(
          fmt::format("model '{}' parameter #{} has no name", modelName, i));
    std::string what =
        fmt::format("model '{}' parameter '{}'", modelName, param.name);
    if (!names.insert(param.name).second)
      return Status::error(what + " is declared twice");
    if (Status status = checkShape(what, param.rank, param.shape, param.size);
        !status)
      return status;
    if (param.offset < 0 || param.offset > desc.param_size - param.size)
      return Status::error(
          fmt::format("{} at offset {} with {} elements does not fit in the "
                      "parameter buffer of {} elements",
                      what, param.offset, param.size, desc.param_size));
    if (Status status = checkInit(what, param); !status)
      return status;
    if (param.column_blocks < 0 ||
        (param.column_blocks > 1 &&
         (param.rank != 2 || param.shape[1] % param.column_blocks != 0)))
      return Status::error(fmt::format(
          "{} of shape {} cannot be stored in {} column blocks", what,
          formatShape(param.shape, param.rank), param.column_blocks));
    order.push_back(i);
  }

  // Sorted by offset, two tensors overlap iff some tensor starts before its
  // predecessor ends; empty tensors occupy nothing and cannot overlap.
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return desc.params[a].offset < desc.params[b].offset;
  });
  const nnc_param_desc *prev = nullptr;
  for (int64_t index : order) {
    const nnc_param_desc &param = desc.params[index];
    if (param.size == 0)
      continue;
    if (prev && param.offset < prev->offset + prev->size)
      return Status::error(fmt::format(
          "model '{}' parameters '{}' [{}, {}) and '{}' [{}, {}) overlap",
          modelName, prev->name, prev->offset, prev->offset + prev->size,
          param.name, param.offset, param.offset + param.size));
    prev = &param;
  }

  if (desc.num_inputs < 0)
    return Status::error(fmt::format("model '{}' has a negative input count "
                                     "{}",
                                     modelName, desc.num_inputs));
  if (desc.num_inputs > 0 && !desc.inputs)
    return Status::error(
        fmt::format("model '{}' declares {} inputs but no input array",
                    modelName, desc.num_inputs));
  for (int64_t i = 0; i < desc.num_inputs; ++i)
    if (Status status = checkTensorDesc(desc.inputs[i], modelName, "input");
        !status)
      return status;
  // A null output is accepted: descriptors built only to save or initialise
  // parameters (tests, tools) have no use for it.
  if (desc.output)
    if (Status status = checkTensorDesc(*desc.output, modelName, "output");
        !status)
      return status;
  return Status::success();
}

std::string nnc::formatShape(const int64_t *shape, int32_t rank) {
  std::string result = "[";
  for (int32_t i = 0; i < rank; ++i) {
    if (i)
      result += ", ";
    result += std::to_string(shape[i]);
  }
  result += "]";
  return result;
}

uint64_t nnc::splitmix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t nnc::fnv1a64(const char *name) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const unsigned char *p = reinterpret_cast<const unsigned char *>(name);
       *p; ++p) {
    hash ^= *p;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

Pcg32::Pcg32(uint64_t initState, uint64_t initSeq)
    : state(0), inc((initSeq << 1) | 1) {
  next();
  state += initState;
  next();
}

Pcg32 Pcg32::forTensor(uint64_t seed, const char *name) {
  uint64_t key = fnv1a64(name);
  return Pcg32(splitmix64(seed ^ splitmix64(key)),
               splitmix64(key ^ splitmix64(seed)));
}

uint32_t Pcg32::next() {
  uint64_t old = state;
  state = old * 6364136223846793005ULL + inc;
  auto xorShifted = static_cast<uint32_t>(((old >> 18) ^ old) >> 27);
  auto rot = static_cast<uint32_t>(old >> 59);
  return (xorShifted >> rot) | (xorShifted << ((32 - rot) & 31));
}

double Pcg32::nextSymmetric() {
  constexpr double kTwoTo24 = 16777216.0;
  auto bits = static_cast<int64_t>(next() >> 8);
  return static_cast<double>(2 * bits + 1 - (int64_t(1) << 24)) / kTwoTo24;
}

double nnc::initBound(const nnc_param_desc &param) {
  switch (param.init) {
  case NNC_INIT_XAVIER_UNIFORM:
    return std::sqrt(6.0 / static_cast<double>(param.fan_in + param.fan_out));
  case NNC_INIT_HE_UNIFORM:
    return std::sqrt(6.0 / static_cast<double>(param.fan_in));
  default:
    return 0.0;
  }
}

int64_t nnc::columnBlocks(const nnc_param_desc &param) {
  return param.column_blocks > 1 ? param.column_blocks : 1;
}

bool nnc::hasColumnBlocks(const nnc_model_desc &desc) {
  for (int64_t i = 0; i < desc.num_params; ++i)
    if (columnBlocks(desc.params[i]) > 1)
      return true;
  return false;
}

namespace {
/// Copies the tensor \p param between its column blocks (\p blocked) and
/// row-major (\p rowMajor), in the direction \p toRowMajor.
void convertTensor(const nnc_param_desc &param, const float *from, float *to,
                   bool toRowMajor) {
  int64_t blocks = nnc::columnBlocks(param);
  if (blocks == 1) {
    std::copy_n(from, param.size, to);
    return;
  }
  int64_t rows = param.shape[0], cols = param.shape[1], width = cols / blocks;
  for (int64_t block = 0; block < blocks; ++block)
    for (int64_t r = 0; r < rows; ++r) {
      int64_t stored = (block * rows + r) * width, plain = r * cols +
                                                           block * width;
      if (toRowMajor)
        std::copy_n(from + stored, width, to + plain);
      else
        std::copy_n(from + plain, width, to + stored);
    }
}
} // namespace

void nnc::convertLayout(const nnc_model_desc &desc, const float *from,
                        float *to, bool toRowMajor) {
  std::copy_n(from, desc.param_size, to);
  for (int64_t i = 0; i < desc.num_params; ++i) {
    const nnc_param_desc &param = desc.params[i];
    convertTensor(param, from + param.offset, to + param.offset, toRowMajor);
  }
}

void nnc::initParam(const nnc_param_desc &param, float *data, uint64_t seed) {
  assert(param.size >= 0 && "initParam on an invalid descriptor");
  if (columnBlocks(param) > 1) {
    // The values of the row-major tensor, moved to their blocks.
    nnc_param_desc rowMajor = param;
    rowMajor.column_blocks = 1;
    std::vector<float> values(static_cast<size_t>(param.size));
    initParam(rowMajor, values.data(), seed);
    convertTensor(param, values.data(), data, /*toRowMajor=*/false);
    return;
  }
  switch (param.init) {
  case NNC_INIT_ZEROS:
    std::fill(data, data + param.size, 0.0f);
    return;
  case NNC_INIT_ONES:
    std::fill(data, data + param.size, 1.0f);
    return;
  case NNC_INIT_XAVIER_UNIFORM:
  case NNC_INIT_HE_UNIFORM: {
    double bound = initBound(param);
    Pcg32 rng = Pcg32::forTensor(seed, param.name);
    for (int64_t i = 0; i < param.size; ++i)
      data[i] = static_cast<float>(bound * rng.nextSymmetric());
    return;
  }
  }
  assert(false && "unknown initialiser; validateDescriptor() rejects it");
  std::fill(data, data + param.size, 0.0f);
}

void nnc::initParams(const nnc_model_desc &desc, float *params, uint64_t seed) {
  for (int64_t i = 0; i < desc.num_params; ++i)
    initParam(desc.params[i], params + desc.params[i].offset, seed);
}
