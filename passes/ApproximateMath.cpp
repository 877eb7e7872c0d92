//===- ApproximateMath.cpp - Polynomial approximations of math --*- C++ -*-===//
//
// Replaces transcendental `math` ops with MLIR's polynomial approximations.
// The generated object then calls no libm function, and the loops around
// tanh / exp / sigmoid vectorize like any other arithmetic.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct ApproximateMathPass
    : nnc::impl::ApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    // The upstream approximations build scalar or vector arithmetic only;
    // math on whole tensors is left for after bufferization.
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) &&
          llvm::none_of(op->getOperandTypes(), llvm::IsaPred<TensorType>))
        ops.push_back(op);
    });
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, MathPolynomialApproximationOptions{});
    if (failed(applyOpPatternsGreedily(ops, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
