//===- Concat.cpp - nn.concat and nn.slice to tensor ------------*- C++ -*-===//
//
// Concatenation is `tensor.concat`, which one-shot bufferization turns into
// one allocation and a copy of each input into its subview; nn.slice, the
// gradient of concatenation for one input, is a `tensor.extract_slice`
// (a view once bufferized). Both keep the dynamic batch dimension whole.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc;

namespace {

struct ConcatLowering : OpConversionPattern<nn::ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ValueRange inputs = adaptor.getInputs();
    if (inputs.size() == 1) {
      rewriter.replaceOp(op, inputs.front());
      return success();
    }
    rewriter.replaceOpWithNewOp<tensor::ConcatOp>(op, op.getType(),
                                                  op.getAxis(), inputs);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<nn::SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis();
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
      offsets.push_back(rewriter.getIndexAttr(d == axis ? op.getOffset() : 0));
      sizes.push_back(
          type.isDynamicDim(d)
              ? tensor::getMixedSize(rewriter, loc, input, d)
              : OpFoldResult(rewriter.getIndexAttr(type.getDimSize(d))));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, type, input, offsets, sizes, strides);
    return success();
  }
};

} // namespace

void nnc::populateNNConcatToTensorPatterns(RewritePatternSet &patterns) {
  patterns.add<ConcatLowering, SliceLowering>(patterns.getContext());
}
