//===- NNToLinalg.cpp - The nn -> linalg conversion pass --------*- C++ -*-===//
//
// A thin pass over the pattern sets of this folder: every `nn` op is
// illegal, linalg / tensor / arith / math are the targets. A partial
// conversion leaves func and other dialects alone and reports any `nn` op no
// pattern handled. The recurrent ops stay for nnc-lower-recurrent
// (passes/LowerRecurrent.cpp).
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"
#include "passes/Passes.h"

#include "dialect/NNDialect.h"
#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace nnc {
#define GEN_PASS_DEF_CONVERTNNTOLINALGPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

void nnc::populateNNToLinalgPatterns(RewritePatternSet &patterns) {
  populateNNDenseToLinalgPatterns(patterns);
  populateNNActivationToLinalgPatterns(patterns);
  populateNNElementwiseToLinalgPatterns(patterns);
  populateNNShapeToTensorPatterns(patterns);
  populateNNGradientToLinalgPatterns(patterns);
  populateNNLossToLinalgPatterns(patterns);
  populateNNOptimizerToLinalgPatterns(patterns);
  populateNNConvToLinalgPatterns(patterns);
  populateNNPoolingToLinalgPatterns(patterns);
  populateNNNormalizationToLinalgPatterns(patterns);
  populateNNConcatToTensorPatterns(patterns);
}

namespace {

struct ConvertNNToLinalgPass
    : nnc::impl::ConvertNNToLinalgPassBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<nn::NNDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addLegalOp<nn::RnnOp, nn::GruOp, nn::LstmOp, nn::RecurrentTrainOp,
                      nn::RecurrentGradOp>();
    RewritePatternSet patterns(ctx);
    populateNNToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
