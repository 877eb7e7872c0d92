//===- LowerRecurrent.cpp - Recurrent layers to loops over time -*- C++ -*-===//
//
// Applies the recurrent patterns of conversion/NNToLinalg/Recurrent.cpp
// after nnc-convert-nn-to-linalg and elementwise fusion have run: the loop
// bodies update their states in place through the `outs` of their step
// generics, and fusion's rewrite of unread `outs` into `tensor.empty` must
// not see them.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace nnc {
#define GEN_PASS_DEF_LOWERRECURRENTPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct LowerRecurrentPass
    : nnc::impl::LowerRecurrentPassBase<LowerRecurrentPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<nnc::nn::NNDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    RewritePatternSet patterns(ctx);
    nnc::populateNNRecurrentToLoopsPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
