//===- MatmulKernel.h - One matrix product, compiled and run ----*- C++ -*-===//
//
// A single `nn.matmul` of static shape through the pipelines `nnc` uses at
// -O2 for the host CPU, linked in memory by the JIT: what the GEMM
// benchmark times against oneDNN and OpenBLAS, and what the tiling tests
// check against a loop in double precision.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_NNC_MATMULKERNEL_H
#define NNC_TOOLS_NNC_MATMULKERNEL_H

#include "tools/nnc/Jit.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>

namespace nnc {

/// C (m x n) = op(A) op(B), all row-major: A is m x k, or k x m with
/// `transA`; B is k x n, or n x k with `transB`. Elements are f32, or f64
/// with `f64`.
struct MatmulShape {
  int64_t m, n, k;
  bool transA = false, transB = false;
  bool f64 = false;
};

class MatmulKernel {
public:
  /// Compiles `shape`; prints the optimised LLVM IR to `llvmIR` if given.
  static llvm::Expected<MatmulKernel>
  compile(const MatmulShape &shape, llvm::raw_ostream *llvmIR = nullptr);

  /// Writes every element of `c`; the elements are those of the shape (the
  /// other type is a fatal error).
  void run(const float *a, const float *b, float *c) const;
  void run(const double *a, const double *b, double *c) const;

private:
  void call(const void *a, const void *b, void *c) const;

  MatmulShape shape;
  std::unique_ptr<JitSession> jit;
  void *entry = nullptr;
};

} // namespace nnc

#endif // NNC_TOOLS_NNC_MATMULKERNEL_H
