//===- Conv.cpp - nn convolution ops to linalg ------------------*- C++ -*-===//
//
// nn.conv2d becomes a zero `tensor.pad` (when padded) and the named
// `linalg.conv_2d_nchw_fchw`, or `linalg.conv_2d_ngchw_gfchw` on views that
// split the channels into groups; the bias is broadcast into the accumulator
// as for dense layers. The input gradient is a transposed convolution: dy is
// spread and padded (Window.cpp) and correlated with the filter flipped in
// space and transposed in channels, which is again a named convolution. The
// filter gradient correlates the padded input with dy in a reduction
// `linalg.generic` that keeps the output width as a parallel dimension of
// partial sums, one set per part of the batch (a loop the threads share),
// then sums those; the bias gradient sums dy over all but its channel.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc;

namespace {

using utils::IteratorType;

/// `value` with dimension `dim` split into [groups, size / groups].
Value splitGroups(OpBuilder &b, Location loc, Value value, int64_t dim,
                  int64_t groups) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> outputShape;
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
    int64_t next = shape.size();
    if (d == dim) {
      shape.append({groups, type.getDimSize(d) / groups});
      outputShape.append({b.getIndexAttr(groups),
                          b.getIndexAttr(type.getDimSize(d) / groups)});
      reassociation.push_back({next, next + 1});
      continue;
    }
    shape.push_back(type.getDimSize(d));
    outputShape.push_back(tensor::getMixedSize(b, loc, value, d));
    reassociation.push_back({next});
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value,
      reassociation, outputShape);
}

/// The inverse of splitGroups.
Value mergeGroups(OpBuilder &b, Location loc, Value value, int64_t dim) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
    if (d == dim + 1)
      continue;
    if (d == dim)
      reassociation.push_back({d, d + 1});
    else
      reassociation.push_back({d});
  }
  return tensor::CollapseShapeOp::create(b, loc, value, reassociation);
}

/// Correlates `input` [N, C, H, W] (already padded) with `filter`
/// [F, C / groups, KH, KW], accumulating into `init` [N, F, OH, OW].
Value convolve(OpBuilder &b, Location loc, Value input, Value filter,
               Value init, ArrayRef<int64_t> strides,
               ArrayRef<int64_t> dilations, int64_t groups) {
  auto stridesAttr = b.getI64TensorAttr(strides);
  auto dilationsAttr = b.getI64TensorAttr(dilations);
  if (groups == 1)
    return linalg::Conv2DNchwFchwOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{input, filter},
               ValueRange{init}, stridesAttr, dilationsAttr)
        .getResult(0);
  Value groupedInit = splitGroups(b, loc, init, 1, groups);
  Value conv = linalg::Conv2DNgchwGfchwOp::create(
                   b, loc, TypeRange{groupedInit.getType()},
                   ValueRange{splitGroups(b, loc, input, 1, groups),
                              splitGroups(b, loc, filter, 0, groups)},
                   ValueRange{groupedInit}, stridesAttr, dilationsAttr)
                   .getResult(0);
  return mergeGroups(b, loc, conv, 1);
}

struct Conv2DLowering : OpConversionPattern<nn::Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::Conv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value input = adaptor.getInput();
    Value init = lowering::createEmptyLike(rewriter, loc, type, input);
    if (Value bias = adaptor.getBias())
      init = linalg::BroadcastOp::create(rewriter, loc, bias, init,
                                         ArrayRef<int64_t>{0, 2, 3})
                 .getResult()[0];
    else
      init =
          linalg::FillOp::create(rewriter, loc,
                                 lowering::createFloatConstant(
                                     rewriter, loc, type.getElementType(), 0),
                                 init)
              .getResult(0);
    Value padded = lowering::padImage(rewriter, loc, input, op.getPadding(), 0);
    rewriter.replaceOp(op, convolve(rewriter, loc, padded, adaptor.getFilter(),
                                    init, op.getStrides(), op.getDilations(),
                                    op.getGroups()));
    return success();
  }
};

/// The filter [F, C/G, KH, KW] as the filter of the transposed convolution,
/// [C, F/G, KH, KW]: flipped in space, input and output channels swapped
/// within each group.
Value flipFilter(OpBuilder &b, Location loc, Value filter, int64_t groups) {
  auto type = cast<RankedTensorType>(filter.getType());
  ArrayRef<int64_t> f = type.getShape();
  MLIRContext *ctx = b.getContext();
  // Loops [g,] c, f, kh, kw over the result [[G,] C/G, F/G, KH, KW].
  bool grouped = groups > 1;
  unsigned numLoops = grouped ? 5 : 4;
  SmallVector<AffineExpr> loops;
  for (unsigned i = 0; i < numLoops; ++i)
    loops.push_back(getAffineDimExpr(i, ctx));
  ArrayRef<AffineExpr> rest = ArrayRef(loops).take_back(4);
  SmallVector<AffineExpr> read;
  if (grouped)
    read.push_back(loops.front());
  read.append({rest[1], rest[0], f[2] - 1 - rest[2], f[3] - 1 - rest[3]});
  SmallVector<int64_t> shape{f[1], f[0] / groups, f[2], f[3]};
  if (grouped) {
    shape.insert(shape.begin(), groups);
    filter = splitGroups(b, loc, filter, 0, groups);
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  Value flipped =
      linalg::GenericOp::create(
          b, loc, TypeRange{resultType}, ValueRange{filter}, ValueRange{init},
          SmallVector<AffineMap>{
              AffineMap::get(numLoops, 0, read, ctx),
              AffineMap::getMultiDimIdentityMap(numLoops, ctx)},
          SmallVector<IteratorType>(numLoops, IteratorType::parallel),
          [](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(nb, l, args[0]);
          })
          .getResult(0);
  return grouped ? mergeGroups(b, loc, flipped, 0) : flipped;
}

struct Conv2DInputGradLowering : OpConversionPattern<nn::Conv2DInputGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::Conv2DInputGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value dy = adaptor.getResultGradient();
    auto filterType = cast<RankedTensorType>(adaptor.getFilter().getType());
    ArrayRef<int64_t> kernel = filterType.getShape().drop_front(2);
    SmallVector<Value> batch;
    if (type.isDynamicDim(0))
      batch.push_back(tensor::DimOp::create(rewriter, loc, dy, 0));
    Value init = lowering::createZeros(rewriter, loc, type, batch);
    Value spread = lowering::spreadForTransposedWindow(
        rewriter, loc, dy, op.getInputSize(), kernel, op.getStrides(),
        op.getDilations(), op.getPadding());
    if (!spread) {
      rewriter.replaceOp(op, init);
      return success();
    }
    int64_t groups = op.getGroups();
    Value filter = flipFilter(rewriter, loc, adaptor.getFilter(), groups);
    rewriter.replaceOp(op, convolve(rewriter, loc, spread, filter, init, {1, 1},
                                    op.getDilations(), groups));
    return success();
  }
};

/// dW[f, c, kh, kw] = sum_{n, oh, ow} dy[n, f, oh, ow] *
/// x[n, g C/G + c, oh s + kh d, ow s + kw d] with g the group of f. Groups
/// are explicit dimensions of views, so every map stays affine. The sum over
/// ow is taken last, from partial sums P[p, f, c, kh, kw, ow] over (n, oh):
/// ow walks the last dimension of x, dy and P, so the loops of the big
/// reduction can run with ow innermost and vectorize (see
/// nnc-vectorize-rows), where a dW-shaped accumulator would leave a
/// scalar reduction innermost.
///
/// The batch is split into lowering::kBatchParts consecutive parts, p, one per
/// iteration of a loop marked nnc.parallel: with threads, each part runs on
/// the thread that runs the same examples in the loops over the batch
/// (static schedules give the first half to the first thread), so each
/// thread reads only the activations and gradients it wrote, and the parts
/// are even however few filters and window positions there are (the 3 x 3
/// window of the CNN's first layer split 5:4 between two threads). On one
/// thread the parts run one after the other, so that results do not depend
/// on the thread count or on --parallel; the price is a second P to fill
/// and sum.
struct Conv2DFilterGradLowering : OpConversionPattern<nn::Conv2DFilterGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::Conv2DFilterGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t groups = op.getGroups();
    ArrayRef<int64_t> s = op.getStrides(), d = op.getDilations();
    Value x = lowering::padImage(rewriter, loc, adaptor.getInput(),
                                 op.getPadding(), 0);
    Value dy = adaptor.getResultGradient();
    int64_t outWidth = cast<RankedTensorType>(dy.getType()).getDimSize(3);
    MLIRContext *ctx = rewriter.getContext();

    // Loops [g,] f, c, kh, kw, ow (parallel), n, oh (reduction).
    bool grouped = groups > 1;
    unsigned numLoops = grouped ? 8 : 7;
    SmallVector<AffineExpr> dims;
    for (unsigned i = 0; i < numLoops; ++i)
      dims.push_back(getAffineDimExpr(i, ctx));
    ArrayRef<AffineExpr> loops(dims);
    AffineExpr g = grouped ? loops.front() : AffineExpr();
    ArrayRef<AffineExpr> rest = loops.drop_front(grouped ? 1 : 0);
    AffineExpr f = rest[0], c = rest[1], kh = rest[2], kw = rest[3],
               ow = rest[4], n = rest[5], oh = rest[6];
    auto withGroup = [&](ArrayRef<AffineExpr> before,
                         ArrayRef<AffineExpr> after) {
      SmallVector<AffineExpr> exprs(before);
      if (grouped)
        exprs.push_back(g);
      exprs.append(after.begin(), after.end());
      return AffineMap::get(numLoops, 0, exprs, ctx);
    };
    AffineMap xMap =
        withGroup({n}, {c, oh * s[0] + kh * d[0], ow * s[1] + kw * d[1]});
    AffineMap dyMap = withGroup({n}, {f, oh, ow});
    AffineMap partialMap = withGroup({}, {f, c, kh, kw, ow});
    SmallVector<IteratorType> iterators(numLoops, IteratorType::parallel);
    iterators[numLoops - 2] = iterators[numLoops - 1] = IteratorType::reduction;

    SmallVector<int64_t> partialShape;
    if (grouped)
      partialShape.push_back(groups);
    partialShape.push_back(type.getDimSize(0) / groups);
    partialShape.append(
        {type.getDimSize(1), type.getDimSize(2), type.getDimSize(3), outWidth});
    auto partialType =
        RankedTensorType::get(partialShape, type.getElementType());
    if (grouped) {
      x = splitGroups(rewriter, loc, x, 1, groups);
      dy = splitGroups(rewriter, loc, dy, 1, groups);
    }
    auto multiplyAdd = [](OpBuilder &b, Location l, ValueRange args) {
      Value p = arith::MulFOp::create(b, l, args[0], args[1]);
      linalg::YieldOp::create(
          b, l, ValueRange{arith::AddFOp::create(b, l, args[2], p)});
    };
    // P[p] over the examples [p * part, p * part + count) of the batch.
    int64_t rank = partialType.getRank();
    Value batch = tensor::DimOp::create(rewriter, loc, x, 0);
    Value parts = lowering::createBatchPartials(
        rewriter, loc, batch, partialType,
        [&](OpBuilder &b, Location l, Value start, Value count, Value init) {
          return linalg::GenericOp::create(
                     b, l, TypeRange{partialType},
                     ValueRange{lowering::sliceDim(b, l, x, 0, start, count),
                                lowering::sliceDim(b, l, dy, 0, start, count)},
                     ValueRange{init},
                     SmallVector<AffineMap>{xMap, dyMap, partialMap}, iterators,
                     multiplyAdd)
              .getResult(0);
        });

    // dW = sum over the parts and the last dimension of P: loops
    // ([g,] f, c, kh, kw, p, ow), the reductions last.
    Value acc = lowering::createZeros(rewriter, loc, type, {});
    if (grouped)
      acc = splitGroups(rewriter, loc, acc, 0, groups);
    SmallVector<IteratorType> sumIterators(rank + 1, IteratorType::parallel);
    sumIterators[rank - 1] = sumIterators[rank] = IteratorType::reduction;
    SmallVector<AffineExpr> partsExprs{getAffineDimExpr(rank - 1, ctx)};
    for (int64_t d = 0; d < rank - 1; ++d)
      partsExprs.push_back(getAffineDimExpr(d, ctx));
    partsExprs.push_back(getAffineDimExpr(rank, ctx));
    AffineMap partsMap = AffineMap::get(rank + 1, 0, partsExprs, ctx);
    AffineMap accMap = AffineMap::getMultiDimIdentityMap(rank + 1, ctx)
                           .getMajorSubMap(rank - 1);
    Value result =
        linalg::GenericOp::create(rewriter, loc, TypeRange{acc.getType()},
                                  ValueRange{parts}, ValueRange{acc},
                                  SmallVector<AffineMap>{partsMap, accMap},
                                  sumIterators, lowering::yieldSum)
            .getResult(0);
    if (grouped)
      result = mergeGroups(rewriter, loc, result, 0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// [N, C, ...] -> [C]: reduction over every dimension but 1. An image [N,
/// C, H, W] is first summed over (n, h) into rows P[C, W], then over w: the
/// big reduction then keeps w as a parallel dimension of its output and
/// vectorizes along it (nnc-vectorize-rows), where a [C] accumulator would
/// leave a scalar sum innermost.
struct ChannelSumLowering : OpConversionPattern<nn::ChannelSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::ChannelSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    if (inputType.getRank() != 4 || inputType.isDynamicDim(3)) {
      rewriter.replaceOp(op,
                         lowering::createSum(rewriter, loc, input, {1}, type));
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    // Loops (c, w, n, h).
    AffineExpr c, w, n, h;
    bindDims(ctx, c, w, n, h);
    auto rowsType = RankedTensorType::get(
        {inputType.getDimSize(1), inputType.getDimSize(3)},
        inputType.getElementType());
    Value rows =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{rowsType}, ValueRange{input},
            ValueRange{lowering::createZeros(rewriter, loc, rowsType, {})},
            SmallVector<AffineMap>{AffineMap::get(4, 0, {n, c, h, w}, ctx),
                                   AffineMap::get(4, 0, {c, w}, ctx)},
            SmallVector<IteratorType>{
                IteratorType::parallel, IteratorType::parallel,
                IteratorType::reduction, IteratorType::reduction},
            lowering::yieldSum)
            .getResult(0);
    rewriter.replaceOp(op, lowering::createSum(rewriter, loc, rows, {0}, type));
    return success();
  }
};

} // namespace

void nnc::populateNNConvToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2DLowering, Conv2DInputGradLowering,
               Conv2DFilterGradLowering, ChannelSumLowering>(
      patterns.getContext());
}
