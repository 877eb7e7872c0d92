//===- Shape.cpp - nn shape ops to tensor reshapes --------------*- C++ -*-===//
//
// flatten collapses every per-example dimension into one; reshape collapses
// to (batch, elements) and expands to the target. Both keep the batch in its
// own reassociation group, which is what lets the dynamic batch through
// `tensor.collapse_shape` / `tensor.expand_shape`, and both bufferize to
// views, never copies.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc;

namespace {

/// Collapses `input` to rank 2 (batch, elements); a no-op at rank 2.
Value collapseToRank2(OpBuilder &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getRank() == 2)
    return input;
  ReassociationIndices features;
  int64_t size = 1;
  for (int64_t i = 1; i < type.getRank(); ++i) {
    features.push_back(i);
    size *= type.getDimSize(i);
  }
  auto resultType =
      RankedTensorType::get({type.getDimSize(0), size}, type.getElementType());
  return tensor::CollapseShapeOp::create(
      b, loc, resultType, input,
      SmallVector<ReassociationIndices>{{0}, features});
}

struct FlattenLowering : OpConversionPattern<nn::FlattenOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::FlattenOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, collapseToRank2(rewriter, op.getLoc(), adaptor.getInput()));
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<nn::ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value flat = collapseToRank2(rewriter, loc, adaptor.getInput());
    if (type.getRank() == 2) {
      rewriter.replaceOp(op, flat);
      return success();
    }
    ReassociationIndices features;
    for (int64_t i = 1; i < type.getRank(); ++i)
      features.push_back(i);
    SmallVector<OpFoldResult> outputShape{
        tensor::getMixedSize(rewriter, loc, flat, 0)};
    for (int64_t dim : type.getShape().drop_front())
      outputShape.push_back(rewriter.getIndexAttr(dim));
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, type, flat, SmallVector<ReassociationIndices>{{0}, features},
        outputShape);
    return success();
  }
};

} // namespace

void nnc::populateNNShapeToTensorPatterns(RewritePatternSet &patterns) {
  patterns.add<FlattenLowering, ReshapeLowering>(patterns.getContext());
}
