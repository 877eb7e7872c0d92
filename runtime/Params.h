//===- Params.h - Parameter descriptors and initialisation ------*- C++ -*-===//
//
// What the runtime does with a model's flat parameter buffer before training:
// check that the descriptor an object file exports is one this runtime
// understands, and fill every parameter tensor according to its initialiser.
//
// Initialisation is reproducible bit for bit across compilers, standard
// libraries and platforms: it uses its own documented generator (PCG32, seeded
// through splitmix64) rather than <random>'s distributions, whose algorithms
// the C++ standard leaves to the implementation. Each tensor draws from its own
// stream, derived from the seed and the tensor's name, so adding, removing or
// reordering parameters leaves the values of the others unchanged.
//
// All functions are reentrant; they touch no global state.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_PARAMS_H
#define NNC_RUNTIME_PARAMS_H

#include "runtime/Status.h"
#include "runtime/nnc_model.h"

#include <cstdint>
#include <string>

namespace nnc {

/// Checks that \p desc is well formed: its ABI version is NNC_ABI_VERSION,
/// every parameter has a unique non-empty name, a non-negative shape whose
/// product is its size, lies within [0, param_size) without overlapping
/// another, and has a known initialiser whose fans make its bound finite;
/// input and output descriptors have consistent sizes. Generated descriptors
/// are correct by construction; this catches an object file paired with a
/// runtime or header from another nnc version, and hand-written descriptors.
Status validateDescriptor(const nnc_model_desc &desc);

/// Fills each parameter tensor of \p params (a buffer of desc.param_size
/// floats) according to its `init` kind, in row-major order (a tensor
/// stored in column blocks gets the values of the same tensor stored
/// row-major, moved to their places). Elements not covered by any tensor are
/// left untouched. The same (desc, seed) gives the same bytes everywhere.
/// \p desc must pass validateDescriptor().
void initParams(const nnc_model_desc &desc, float *params, uint64_t seed);

/// Fills one tensor, \p data pointing at its first element (not at the start
/// of the whole buffer), in its stored layout. initParams() is this for every parameter, so a tool
/// can re-initialise one layer and get the values initParams() would give.
void initParam(const nnc_param_desc &param, float *data, uint64_t seed);

/// The column blocks a parameter is stored in: `column_blocks`, 1 for 0
/// (descriptors written before the field existed).
int64_t columnBlocks(const nnc_param_desc &param);

/// Whether any parameter of \p desc is stored in column blocks.
bool hasColumnBlocks(const nnc_model_desc &desc);

/// Copies one parameter-layout buffer (desc.param_size floats: parameters,
/// gradients, or one optimizer moment) from the layout the object stores
/// (column blocks where `column_blocks` says so) to the row-major layout of
/// every tensor's shape (\p toRowMajor), or back. Padding is copied as is.
/// What checkpoints hold is row-major, so that builds with and without
/// --parallel read each other's. \p from and \p to must not overlap.
void convertLayout(const nnc_model_desc &desc, const float *from, float *to,
                   bool toRowMajor);

/// The bound `a` of the U(-a, a) initialisers, computed in double precision:
/// sqrt(6 / (fan_in + fan_out)) for Xavier/Glorot, sqrt(6 / fan_in) for He;
/// 0 for the constant initialisers.
double initBound(const nnc_param_desc &param);

/// The shape as the runtime prints it in messages: "[784, 64]", "[]" for a
/// scalar.
std::string formatShape(const int64_t *shape, int32_t rank);

/// splitmix64 (Steele, Lea, Flood 2014) as one function: the output for the
/// input state \p x, i.e. x + 0x9e3779b97f4a7c15 passed through the
/// splitmix64 finaliser. Used to spread seeds and name hashes over 64 bits.
uint64_t splitmix64(uint64_t x);

/// 64-bit FNV-1a of the bytes of the NUL-terminated \p name.
uint64_t fnv1a64(const char *name);

/// PCG32, "pcg32_random_r" of the PCG reference implementation (O'Neill 2014,
/// https://www.pcg-random.org): a 64-bit LCG state with the XSH-RR output
/// permutation. Small, fast, statistically strong, and specified exactly, so
/// any language can reproduce nnc's initial weights.
class Pcg32 {
public:
  /// pcg32_srandom_r(initState, initSeq): \p initSeq selects one of 2^63
  /// streams.
  Pcg32(uint64_t initState, uint64_t initSeq);

  /// The stream for the tensor \p name under \p seed:
  ///   k = fnv1a64(name)
  ///   state = splitmix64(seed ^ splitmix64(k))
  ///   seq   = splitmix64(k ^ splitmix64(seed))
  ///   Pcg32(state, seq)
  static Pcg32 forTensor(uint64_t seed, const char *name);

  uint32_t next();

  /// A value in (-1, 1): (2 * (next() >> 8) + 1 - 2^24) / 2^24. The 2^24
  /// outcomes are symmetric around 0 (so the mean is exactly 0), never reach
  /// +-1, and are exact in double, so `a * x` involves only IEEE-specified
  /// roundings and never exceeds `a` in magnitude.
  double nextSymmetric();

private:
  uint64_t state;
  uint64_t inc;
};

} // namespace nnc

#endif // NNC_RUNTIME_PARAMS_H
