//===- Gradients.cpp - Backward-pass nn ops to linalg -----------*- C++ -*-===//
//
// The building blocks autodiff emits: transposed matmuls, sums over the
// batch and the activation derivatives. Transposes are folded into the
// indexing maps of a `linalg.generic` instead of materialising a transposed
// copy; reductions accumulate into a zero-filled destination.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc;

namespace {

struct MatmulLowering : OpConversionPattern<nn::MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    bool tl = op.getTransposeLhs(), tr = op.getTransposeRhs();
    SmallVector<Value> dynamicSizes;
    if (type.isDynamicDim(0))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, adaptor.getLhs(), tl ? 1 : 0));
    if (type.isDynamicDim(1))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, adaptor.getRhs(), tr ? 0 : 1));
    Value init = lowering::createZeros(rewriter, loc, type, dynamicSizes);
    rewriter.replaceOp(op,
                       lowering::createMatmul(rewriter, loc, adaptor.getLhs(),
                                              adaptor.getRhs(), init, tl, tr));
    return success();
  }
};

struct BatchSumLowering : OpConversionPattern<nn::BatchSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::BatchSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<int64_t> kept =
        llvm::to_vector(llvm::seq<int64_t>(1, type.getRank() + 1));
    rewriter.replaceOp(
        op, lowering::createSum(rewriter, loc, adaptor.getInput(), kept, type));
    return success();
  }
};

using lowering::createFloatConstant;

/// dy where the relu's result (and so its input) is positive, else 0.
Value reluGrad(OpBuilder &b, Location loc, ValueRange args) {
  Value y = args[0], dy = args[1];
  Value zero = createFloatConstant(b, loc, y.getType(), 0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, y, zero);
  return arith::SelectOp::create(b, loc, positive, dy, zero);
}

/// dy (1 - y^2).
Value tanhGrad(OpBuilder &b, Location loc, ValueRange args) {
  Value y = args[0], dy = args[1];
  Value one = createFloatConstant(b, loc, y.getType(), 1);
  Value ySquared = arith::MulFOp::create(b, loc, y, y);
  return arith::MulFOp::create(b, loc, dy,
                               arith::SubFOp::create(b, loc, one, ySquared));
}

/// dy y (1 - y).
Value sigmoidGrad(OpBuilder &b, Location loc, ValueRange args) {
  Value y = args[0], dy = args[1];
  Value one = createFloatConstant(b, loc, y.getType(), 1);
  Value slope =
      arith::MulFOp::create(b, loc, y, arith::SubFOp::create(b, loc, one, y));
  return arith::MulFOp::create(b, loc, dy, slope);
}

/// y (dy - sum_j dy_j y_j) over the last dimension.
struct SoftmaxGradLowering : OpConversionPattern<nn::SoftmaxGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::SoftmaxGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    Value y = adaptor.getForward(), dy = adaptor.getResultGradient();

    auto rowType = RankedTensorType::get(type.getShape().drop_back(),
                                         type.getElementType());
    SmallVector<Value> rowSizes;
    for (int64_t i = 0; i < rank - 1; ++i)
      if (rowType.isDynamicDim(i))
        rowSizes.push_back(tensor::DimOp::create(rewriter, loc, y, i));
    Value rowInit = lowering::createZeros(rewriter, loc, rowType, rowSizes);
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap row = identity.dropResult(rank - 1);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    Value dot =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{rowType}, ValueRange{y, dy},
            ValueRange{rowInit},
            SmallVector<AffineMap>{identity, identity, row}, iterators,
            [](OpBuilder &b, Location l, ValueRange args) {
              Value p = arith::MulFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::AddFOp::create(b, l, args[2], p)});
            })
            .getResult(0);

    Value init = lowering::createEmptyLike(rewriter, loc, type, y);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{y, dy, dot},
            ValueRange{init},
            SmallVector<AffineMap>{identity, identity, row, identity},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [](OpBuilder &b, Location l, ValueRange args) {
              Value diff = arith::SubFOp::create(b, l, args[1], args[2]);
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::MulFOp::create(b, l, args[0], diff)});
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void nnc::populateNNGradientToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulLowering, BatchSumLowering,
               lowering::ElementwiseLowering<nn::ReluGradOp, reluGrad>,
               lowering::ElementwiseLowering<nn::TanhGradOp, tanhGrad>,
               lowering::ElementwiseLowering<nn::SigmoidGradOp, sigmoidGrad>,
               SoftmaxGradLowering>(patterns.getContext());
}
