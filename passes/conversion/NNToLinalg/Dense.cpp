//===- Dense.cpp - nn.dense to linalg ---------------------------*- C++ -*-===//
//
// A dense layer becomes the bias broadcast over the batch, used as the
// accumulator of a `linalg.matmul`: the bias add costs no extra pass over the
// output, and the matmul stays a named op that tiling and vectorization
// recognise.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc;

namespace {

struct DenseOpLowering : OpConversionPattern<nn::DenseOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::DenseOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value init =
        lowering::createEmptyLike(rewriter, loc, type, adaptor.getInput());
    Value acc = linalg::BroadcastOp::create(rewriter, loc, adaptor.getBias(),
                                            init, ArrayRef<int64_t>{0})
                    .getResult()[0];
    auto matmul = linalg::MatmulOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{adaptor.getInput(), adaptor.getWeight()}, ValueRange{acc});
    rewriter.replaceOp(op, matmul.getResult(0));
    return success();
  }
};

} // namespace

void nnc::populateNNDenseToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<DenseOpLowering>(patterns.getContext());
}
