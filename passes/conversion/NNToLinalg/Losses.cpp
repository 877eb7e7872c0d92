//===- Losses.cpp - nn losses and metrics to linalg -------------*- C++ -*-===//
//
// Softmax cross-entropy is computed in the log-sum-exp form (subtracting the
// row maximum before exponentiating) so large logits do not overflow; its
// gradient reuses the same row maximum and sum. Means divide by the run-time
// batch size. `count_correct` takes a first-maximum arg-max like torch.argmax.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace nnc;

namespace {

using utils::IteratorType;

using lowering::createFloatConstant;

/// 1 / (number of rows of `tensor` * `perRow`), as a scalar of `type`.
Value inverseCount(OpBuilder &b, Location loc, Value tensor, int64_t perRow,
                   Type type) {
  Value rows = tensor::DimOp::create(b, loc, tensor, 0);
  Value count = arith::MulIOp::create(
      b, loc, rows, arith::ConstantIndexOp::create(b, loc, perRow));
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  Value asFloat = arith::SIToFPOp::create(b, loc, type, asInt);
  return arith::DivFOp::create(b, loc, createFloatConstant(b, loc, type, 1),
                               asFloat);
}

/// Per-row statistics of logits [batch, classes]: the maximum and the sum of
/// exp(logit - maximum).
struct RowStats {
  Value max, sumExp;
};

RowStats computeRowStats(OpBuilder &b, Location loc, Value logits) {
  auto type = cast<RankedTensorType>(logits.getType());
  Type element = type.getElementType();
  auto rowType = RankedTensorType::get({type.getDimSize(0)}, element);
  SmallVector<Value> rowSizes;
  if (rowType.isDynamicDim(0))
    rowSizes.push_back(tensor::DimOp::create(b, loc, logits, 0));
  MLIRContext *ctx = b.getContext();
  AffineMap full = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap row = full.dropResult(1);
  SmallVector<IteratorType> iterators{IteratorType::parallel,
                                      IteratorType::reduction};

  Value empty = tensor::EmptyOp::create(b, loc, rowType, rowSizes);
  Value lowest = createFloatConstant(b, loc, element,
                                     -std::numeric_limits<double>::infinity());
  Value maxInit = linalg::FillOp::create(b, loc, lowest, empty).getResult(0);
  Value max =
      linalg::GenericOp::create(
          b, loc, TypeRange{rowType}, ValueRange{logits}, ValueRange{maxInit},
          SmallVector<AffineMap>{full, row}, iterators,
          [](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(
                nb, l,
                ValueRange{arith::MaximumFOp::create(nb, l, args[1], args[0])});
          })
          .getResult(0);
  Value sumInit = lowering::createZeros(b, loc, rowType, rowSizes);
  Value sumExp =
      linalg::GenericOp::create(
          b, loc, TypeRange{rowType}, ValueRange{logits, max},
          ValueRange{sumInit}, SmallVector<AffineMap>{full, row, row},
          iterators,
          [](OpBuilder &nb, Location l, ValueRange args) {
            Value e = math::ExpOp::create(
                nb, l, arith::SubFOp::create(nb, l, args[0], args[1]));
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2], e)});
          })
          .getResult(0);
  return {max, sumExp};
}

/// `label == column` inside a generic over (row, column).
Value isLabel(OpBuilder &b, Location loc, Value label) {
  Value column = linalg::IndexOp::create(b, loc, 1);
  Value labelIndex =
      arith::IndexCastOp::create(b, loc, b.getIndexType(), label);
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, column,
                               labelIndex);
}

struct SoftmaxCrossEntropyLowering
    : OpConversionPattern<nn::SoftmaxCrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::SoftmaxCrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = adaptor.getLogits(), labels = adaptor.getLabels();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = resultType.getElementType();
    RowStats stats = computeRowStats(rewriter, loc, logits);
    Value invBatch = inverseCount(rewriter, loc, logits, 1, element);

    MLIRContext *ctx = rewriter.getContext();
    AffineMap row = AffineMap::getMultiDimIdentityMap(1, ctx);
    AffineMap scalar = AffineMap::get(1, 0, {}, ctx);
    Value init = lowering::createZeros(rewriter, loc, resultType, {});
    Value classes = tensor::DimOp::create(rewriter, loc, logits, 1);
    // sum over rows of (m + log s - logit[label]) / B: one logarithm per
    // row, the label's logit read directly. A label outside [0, classes)
    // adds nothing (as the one-hot form it replaces; the runtime refuses
    // such labels before they get here).
    Value loss =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{resultType},
            ValueRange{labels, stats.max, stats.sumExp}, ValueRange{init},
            SmallVector<AffineMap>{row, row, row, scalar},
            {IteratorType::reduction},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value label =
                  arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
              Value zeroIndex = arith::ConstantIndexOp::create(b, l, 0);
              Value inRange = arith::AndIOp::create(
                  b, l,
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, label,
                                        zeroIndex),
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, label,
                                        classes));
              Value column =
                  arith::SelectOp::create(b, l, inRange, label, zeroIndex);
              Value logit = tensor::ExtractOp::create(
                  b, l, logits,
                  ValueRange{linalg::IndexOp::create(b, l, 0), column});
              Value logSum = math::LogOp::create(b, l, args[2]);
              Value nll = arith::SubFOp::create(
                  b, l, arith::AddFOp::create(b, l, args[1], logSum), logit);
              Value term = arith::SelectOp::create(
                  b, l, inRange, arith::MulFOp::create(b, l, nll, invBatch),
                  createFloatConstant(b, l, element, 0));
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::AddFOp::create(b, l, args[3], term)});
            })
            .getResult(0);
    rewriter.replaceOp(op, loss);
    return success();
  }
};

struct SoftmaxCrossEntropyGradLowering
    : OpConversionPattern<nn::SoftmaxCrossEntropyGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::SoftmaxCrossEntropyGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = adaptor.getLogits();
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    RowStats stats = computeRowStats(rewriter, loc, logits);
    Value invBatch = inverseCount(rewriter, loc, logits, 1, element);

    MLIRContext *ctx = rewriter.getContext();
    AffineMap full = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
    AffineMap scalar = AffineMap::get(2, 0, {}, ctx);
    Value init = lowering::createEmptyLike(rewriter, loc, type, logits);
    Value grad =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type},
            ValueRange{logits, adaptor.getLabels(), stats.max, stats.sumExp,
                       adaptor.getLossGradient()},
            ValueRange{init},
            SmallVector<AffineMap>{full, row, row, row, scalar, full},
            {IteratorType::parallel, IteratorType::parallel},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value p = arith::DivFOp::create(
                  b, l,
                  math::ExpOp::create(
                      b, l, arith::SubFOp::create(b, l, args[0], args[2])),
                  args[3]);
              Value target = arith::SelectOp::create(
                  b, l, isLabel(b, l, args[1]),
                  createFloatConstant(b, l, element, 1),
                  createFloatConstant(b, l, element, 0));
              Value scale = arith::MulFOp::create(b, l, args[4], invBatch);
              Value g = arith::MulFOp::create(
                  b, l, arith::SubFOp::create(b, l, p, target), scale);
              linalg::YieldOp::create(b, l, ValueRange{g});
            })
            .getResult(0);
    rewriter.replaceOp(op, grad);
    return success();
  }
};

int64_t perExampleSize(RankedTensorType type) {
  int64_t size = 1;
  for (int64_t dim : type.getShape().drop_front())
    size *= dim;
  return size;
}

struct MseLowering : OpConversionPattern<nn::MseOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::MseOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(adaptor.getPrediction().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Value invCount =
        inverseCount(rewriter, loc, adaptor.getPrediction(),
                     perExampleSize(inputType), resultType.getElementType());
    int64_t rank = inputType.getRank();
    MLIRContext *ctx = rewriter.getContext();
    AffineMap full = AffineMap::getMultiDimIdentityMap(rank, ctx);
    Value init = lowering::createZeros(rewriter, loc, resultType, {});
    Value loss =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{resultType},
            ValueRange{adaptor.getPrediction(), adaptor.getTarget()},
            ValueRange{init},
            SmallVector<AffineMap>{full, full,
                                   AffineMap::get(rank, 0, {}, ctx)},
            SmallVector<IteratorType>(rank, IteratorType::reduction),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value d = arith::SubFOp::create(b, l, args[0], args[1]);
              Value sq = arith::MulFOp::create(
                  b, l, arith::MulFOp::create(b, l, d, d), invCount);
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::AddFOp::create(b, l, args[2], sq)});
            })
            .getResult(0);
    rewriter.replaceOp(op, loss);
    return success();
  }
};

struct MseGradLowering : OpConversionPattern<nn::MseGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::MseGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value invCount = inverseCount(rewriter, loc, adaptor.getPrediction(),
                                  perExampleSize(type), type.getElementType());
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    AffineMap full = AffineMap::getMultiDimIdentityMap(rank, ctx);
    Value init =
        lowering::createEmptyLike(rewriter, loc, type, adaptor.getPrediction());
    Value grad =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type},
            ValueRange{adaptor.getPrediction(), adaptor.getTarget(),
                       adaptor.getLossGradient()},
            ValueRange{init},
            SmallVector<AffineMap>{full, full, AffineMap::get(rank, 0, {}, ctx),
                                   full},
            SmallVector<IteratorType>(rank, IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value d = arith::SubFOp::create(b, l, args[0], args[1]);
              Value scale = arith::MulFOp::create(
                  b, l, args[2],
                  arith::MulFOp::create(
                      b, l, invCount,
                      createFloatConstant(b, l, d.getType(), 2)));
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::MulFOp::create(b, l, d, scale)});
            })
            .getResult(0);
    rewriter.replaceOp(op, grad);
    return success();
  }
};

struct CountCorrectLowering : OpConversionPattern<nn::CountCorrectOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::CountCorrectOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = adaptor.getLogits();
    auto logitsType = cast<RankedTensorType>(logits.getType());
    Type element = logitsType.getElementType();
    Type i64 = rewriter.getI64Type();
    MLIRContext *ctx = rewriter.getContext();
    AffineMap full = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);

    SmallVector<Value> rowSizes;
    if (logitsType.isDynamicDim(0))
      rowSizes.push_back(tensor::DimOp::create(rewriter, loc, logits, 0));
    auto maxType = RankedTensorType::get({logitsType.getDimSize(0)}, element);
    auto indexType = RankedTensorType::get({logitsType.getDimSize(0)}, i64);
    Value lowest = createFloatConstant(
        rewriter, loc, element, -std::numeric_limits<double>::infinity());
    Value maxInit =
        linalg::FillOp::create(
            rewriter, loc, lowest,
            Value(tensor::EmptyOp::create(rewriter, loc, maxType, rowSizes)))
            .getResult(0);
    Value indexInit = lowering::createZeros(rewriter, loc, indexType, rowSizes);
    // Strictly greater keeps the first maximum.
    auto argmax = linalg::GenericOp::create(
        rewriter, loc, TypeRange{maxType, indexType}, ValueRange{logits},
        ValueRange{maxInit, indexInit}, SmallVector<AffineMap>{full, row, row},
        {IteratorType::parallel, IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value greater = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                                args[0], args[1]);
          Value column = arith::IndexCastOp::create(
              b, l, i64, linalg::IndexOp::create(b, l, 1));
          linalg::YieldOp::create(
              b, l,
              ValueRange{
                  arith::SelectOp::create(b, l, greater, args[0], args[1]),
                  arith::SelectOp::create(b, l, greater, column, args[2])});
        });

    auto resultType = cast<RankedTensorType>(op.getType());
    Value init = lowering::createZeros(rewriter, loc, resultType, {});
    AffineMap one = AffineMap::getMultiDimIdentityMap(1, ctx);
    Value count =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{resultType},
            ValueRange{argmax.getResult(1), adaptor.getLabels()},
            ValueRange{init},
            SmallVector<AffineMap>{one, one, AffineMap::get(1, 0, {}, ctx)},
            {IteratorType::reduction},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value label = arith::ExtSIOp::create(b, l, i64, args[1]);
              Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                                args[0], label);
              Value add = arith::ExtUIOp::create(b, l, i64, hit);
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::AddIOp::create(b, l, args[2], add)});
            })
            .getResult(0);
    rewriter.replaceOp(op, count);
    return success();
  }
};

} // namespace

void nnc::populateNNLossToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxCrossEntropyLowering, SoftmaxCrossEntropyGradLowering,
               MseLowering, MseGradLowering, CountCorrectLowering>(
      patterns.getContext());
}
