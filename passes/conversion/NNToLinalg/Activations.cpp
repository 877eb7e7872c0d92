//===- Activations.cpp - nn activations to linalg ---------------*- C++ -*-===//
//
// relu, tanh and sigmoid become elementwise `linalg.generic`s; softmax goes
// through `linalg.softmax` and its upstream decomposition (max-subtract,
// exp, sum, divide), so the numerically safe formulation is MLIR's, not ours.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc;

namespace {

Value zeroLike(OpBuilder &b, Location loc, Value x) {
  return lowering::createFloatConstant(b, loc, x.getType(), 0.0);
}

Value relu(OpBuilder &b, Location loc, ValueRange args) {
  Value x = args[0];
  return arith::MaximumFOp::create(b, loc, x, zeroLike(b, loc, x));
}

Value tanh(OpBuilder &b, Location loc, ValueRange args) {
  return math::TanhOp::create(b, loc, args[0]);
}

Value sigmoid(OpBuilder &b, Location loc, ValueRange args) {
  return lowering::createSigmoid(b, loc, args[0]);
}

struct SoftmaxLowering : OpConversionPattern<nn::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value init =
        lowering::createEmptyLike(rewriter, loc, type, adaptor.getInput());
    auto softmax = linalg::SoftmaxOp::create(rewriter, loc, TypeRange{type},
                                             adaptor.getInput(), init,
                                             uint64_t(type.getRank() - 1));
    FailureOr<SmallVector<Value>> decomposed =
        cast<linalg::AggregatedOpInterface>(softmax.getOperation())
            .decomposeOperation(rewriter);
    if (failed(decomposed))
      return rewriter.notifyMatchFailure(
          op, "unsupported: softmax decomposition failed");
    rewriter.replaceOp(op, *decomposed);
    rewriter.eraseOp(softmax);
    return success();
  }
};

} // namespace

void nnc::populateNNActivationToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<lowering::ElementwiseLowering<nn::ReluOp, relu>,
               lowering::ElementwiseLowering<nn::TanhOp, tanh>,
               lowering::ElementwiseLowering<nn::SigmoidOp, sigmoid>,
               SoftmaxLowering>(patterns.getContext());
}
