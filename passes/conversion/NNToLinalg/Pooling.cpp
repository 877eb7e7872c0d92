//===- Pooling.cpp - nn pooling ops to linalg -------------------*- C++ -*-===//
//
// Max and average pooling become `tensor.pad` (-inf or zeros, when padded)
// and the named `linalg.pooling_nchw_max` / `linalg.pooling_nchw_sum`; the
// average divides by the whole window, padding included, as PyTorch's
// count_include_pad does. The average-pooling gradient is the transposed
// window of Window.cpp summed by `linalg.pooling_nchw_sum`. The max-pooling
// gradient first records each window's arg-max (the first maximum in
// row-major window order, as PyTorch picks it), then gathers: every input
// element adds the dy of each window whose arg-max it is, so overlapping
// windows accumulate and the cost is that of the forward pooling. Windows
// that tile the image (stride = kernel, no padding, the usual 2x2 pooling)
// take a cheaper path: each input element lies in exactly one window, so
// the image viewed as [N, C, OH, KH, OW, KW] is written elementwise from
// the window's arg-max and dy, with no search over candidate windows. The
// arg-max and that write carry `nnc.window_argmax` / `nnc.window_scatter`
// (the kernel) so that nnc-vectorize-rows can run them, like max pooling
// over such windows, on vectors of windows.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace nnc;

namespace {

using lowering::createFloatConstant;
using utils::IteratorType;

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

/// The shape-only window operand of the named pooling ops, and of generics
/// whose window loops appear in no other operand as plain dimensions.
Value createWindow(OpBuilder &b, Location loc, ArrayRef<int64_t> kernel,
                   Type element) {
  return tensor::EmptyOp::create(b, loc, kernel, element);
}

/// A tensor of `type` (batch from `like`) filled with `value`.
Value createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                   Value like, Value value) {
  Value empty = lowering::createEmptyLike(b, loc, type, like);
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

/// The position kh * KW + kw within the window, as i32, of the iteration of
/// a generic's body whose window loops are `kh` and `kw`.
Value windowPosition(OpBuilder &b, Location loc, unsigned kh, unsigned kw,
                     int64_t kernelWidth) {
  Value position = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(
          b, loc, linalg::IndexOp::create(b, loc, kh),
          arith::ConstantIndexOp::create(b, loc, kernelWidth)),
      linalg::IndexOp::create(b, loc, kw));
  return arith::IndexCastOp::create(b, loc, b.getI32Type(), position);
}

/// `value * factor` elementwise.
Value scale(OpBuilder &b, Location loc, Value value, double factor) {
  auto type = cast<RankedTensorType>(value.getType());
  return lowering::createElementwise(
      b, loc, type, value, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value c = createFloatConstant(nb, l, type.getElementType(), factor);
        return arith::MulFOp::create(nb, l, args[0], c);
      });
}

struct MaxPool2DLowering : OpConversionPattern<nn::MaxPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::MaxPool2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    Value x = adaptor.getInput();
    Value padded =
        lowering::padImage(rewriter, loc, x, op.getPadding(), kMinusInfinity);
    Value init = createFilled(
        rewriter, loc, type, x,
        createFloatConstant(rewriter, loc, element, kMinusInfinity));
    Value window = createWindow(rewriter, loc, op.getKernelSize(), element);
    auto pool = linalg::PoolingNchwMaxOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{padded, window},
        ValueRange{init}, rewriter.getI64TensorAttr(op.getStrides()),
        rewriter.getI64TensorAttr({1, 1}));
    rewriter.replaceOp(op, pool.getResult(0));
    return success();
  }
};

struct AvgPool2DLowering : OpConversionPattern<nn::AvgPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::AvgPool2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    Value x = adaptor.getInput();
    Value padded = lowering::padImage(rewriter, loc, x, op.getPadding(), 0);
    Value init = createFilled(rewriter, loc, type, x,
                              createFloatConstant(rewriter, loc, element, 0));
    ArrayRef<int64_t> kernel = op.getKernelSize();
    Value window = createWindow(rewriter, loc, kernel, element);
    Value sum =
        linalg::PoolingNchwSumOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{padded, window},
            ValueRange{init}, rewriter.getI64TensorAttr(op.getStrides()),
            rewriter.getI64TensorAttr({1, 1}))
            .getResult(0);
    rewriter.replaceOp(
        op, scale(rewriter, loc, sum, 1.0 / double(kernel[0] * kernel[1])));
    return success();
  }
};

/// The position kh * KW + kw of each window's first maximum, as i32.
Value windowArgMax(OpBuilder &b, Location loc, Value padded,
                   RankedTensorType pooledType, ArrayRef<int64_t> kernel,
                   ArrayRef<int64_t> strides) {
  MLIRContext *ctx = b.getContext();
  Type element = pooledType.getElementType();
  auto indexType = RankedTensorType::get(pooledType.getShape(), b.getI32Type());
  Value maxInit =
      createFilled(b, loc, pooledType, padded,
                   createFloatConstant(b, loc, element, kMinusInfinity));
  Value indexInit =
      createFilled(b, loc, indexType, padded,
                   arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0));
  // Loops (n, c, oh, ow, kh, kw); kh, kw run in row-major window order.
  AffineExpr n, c, oh, ow, kh, kw;
  bindDims(ctx, n, c, oh, ow, kh, kw);
  SmallVector<AffineMap> maps{
      AffineMap::get(6, 0, {n, c, oh * strides[0] + kh, ow * strides[1] + kw},
                     ctx),
      AffineMap::get(6, 0, {kh, kw}, ctx),
      AffineMap::get(6, 0, {n, c, oh, ow}, ctx),
      AffineMap::get(6, 0, {n, c, oh, ow}, ctx)};
  SmallVector<IteratorType> iterators(4, IteratorType::parallel);
  iterators.append(2, IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{pooledType, indexType},
      ValueRange{padded, createWindow(b, loc, kernel, element)},
      ValueRange{maxInit, indexInit}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value x = args[0], best = args[2], bestIndex = args[3];
        // Strictly greater: an equal later element keeps the first.
        Value greater =
            arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, x, best);
        Value index = windowPosition(nb, l, 4, 5, kernel[1]);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{
                arith::SelectOp::create(nb, l, greater, x, best),
                arith::SelectOp::create(nb, l, greater, index, bestIndex)});
      });
  if (kernel == strides)
    generic->setAttr(kWindowArgMaxAttr, b.getDenseI64ArrayAttr(kernel));
  return generic.getResult(1);
}

/// The max-pooling gradient of windows that tile the image: dx viewed as
/// [N, C, OH, KH, OW, KW] is dy where (kh, kw) is the window's arg-max and 0
/// elsewhere. Rows and columns past the last window get 0.
Value scatterToTilingWindows(OpBuilder &b, Location loc, RankedTensorType type,
                             Value x, Value dy, Value argMax,
                             ArrayRef<int64_t> kernel) {
  MLIRContext *ctx = b.getContext();
  Type element = type.getElementType();
  auto pooledType = cast<RankedTensorType>(dy.getType());
  int64_t oh = pooledType.getDimSize(2), ow = pooledType.getDimSize(3);
  Value zero = createFloatConstant(b, loc, element, 0);
  bool exact = oh * kernel[0] == type.getDimSize(2) &&
               ow * kernel[1] == type.getDimSize(3);
  Value image = exact ? lowering::createEmptyLike(b, loc, type, x)
                      : createFilled(b, loc, type, x, zero);
  // The part of the image that the windows cover.
  SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, image, 0),
                                  b.getIndexAttr(type.getDimSize(1)),
                                  b.getIndexAttr(oh * kernel[0]),
                                  b.getIndexAttr(ow * kernel[1])};
  SmallVector<OpFoldResult> unit(4, b.getIndexAttr(1));
  Value covered = exact ? image
                        : tensor::ExtractSliceOp::create(b, loc, image, offsets,
                                                         sizes, unit)
                              .getResult();
  SmallVector<int64_t> windowsShape{
      type.getDimSize(0), type.getDimSize(1), oh, kernel[0], ow, kernel[1]};
  SmallVector<OpFoldResult> windowsSizes{
      sizes[0],           sizes[1],
      b.getIndexAttr(oh), b.getIndexAttr(kernel[0]),
      b.getIndexAttr(ow), b.getIndexAttr(kernel[1])};
  SmallVector<ReassociationIndices> split{{0}, {1}, {2, 3}, {4, 5}};
  Value windows = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(windowsShape, element), covered, split,
      windowsSizes);
  // Loops (n, c, oh, kh, ow, kw), the order of the view.
  AffineExpr n, c, i, kh, j, kw;
  bindDims(ctx, n, c, i, kh, j, kw);
  AffineMap pooled = AffineMap::get(6, 0, {n, c, i, j}, ctx);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{windows.getType()}, ValueRange{argMax, dy},
      ValueRange{windows},
      SmallVector<AffineMap>{pooled, pooled,
                             AffineMap::getMultiDimIdentityMap(6, ctx)},
      SmallVector<IteratorType>(6, IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value hit =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, args[0],
                                  windowPosition(nb, l, 3, 5, kernel[1]));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(
                nb, l, hit, args[1], createFloatConstant(nb, l, element, 0))});
      });
  generic->setAttr(kWindowScatterAttr, b.getDenseI64ArrayAttr(kernel));
  Value result = tensor::CollapseShapeOp::create(b, loc, covered.getType(),
                                                 generic.getResult(0), split);
  if (exact)
    return result;
  return tensor::InsertSliceOp::create(b, loc, result, image, offsets, sizes,
                                       unit);
}

struct MaxPool2DGradLowering : OpConversionPattern<nn::MaxPool2DGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::MaxPool2DGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    Value x = adaptor.getInput(), dy = adaptor.getResultGradient();
    auto pooledType = cast<RankedTensorType>(dy.getType());
    ArrayRef<int64_t> kernel = op.getKernelSize(), strides = op.getStrides(),
                      padding = op.getPadding();
    Value padded =
        lowering::padImage(rewriter, loc, x, padding, kMinusInfinity);
    Value argMax =
        windowArgMax(rewriter, loc, padded, pooledType, kernel, strides);
    if (kernel == strides &&
        llvm::all_of(padding, [](int64_t p) { return p == 0; })) {
      rewriter.replaceOp(op, scatterToTilingWindows(rewriter, loc, type, x, dy,
                                                    argMax, kernel));
      return success();
    }

    // dx[n, c, h, w] = sum over (kh, kw) of dy[n, c, oh, ow] where window
    // (oh, ow) = ((h + top - kh) / s, (w + left - kw) / s) exists and its
    // arg-max is (kh, kw). Window indices are clamped before they are read.
    MLIRContext *ctx = rewriter.getContext();
    AffineMap image =
        AffineMap::getMultiDimIdentityMap(6, ctx).getSubMap({0, 1, 2, 3});
    AffineMap window =
        AffineMap::getMultiDimIdentityMap(6, ctx).getSubMap({4, 5});
    SmallVector<IteratorType> iterators(4, IteratorType::parallel);
    iterators.append(2, IteratorType::reduction);
    Value init = createFilled(rewriter, loc, type, x,
                              createFloatConstant(rewriter, loc, element, 0));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{createWindow(rewriter, loc, kernel, element)},
        ValueRange{init}, SmallVector<AffineMap>{window, image}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto index = [&](int64_t v) {
            return arith::ConstantIndexOp::create(b, l, v);
          };
          Value zeroIndex = index(0);
          Value valid;
          SmallVector<Value> windowIndex;
          for (unsigned d = 0; d < 2; ++d) {
            // start = in + pad - k must be a non-negative multiple of the
            // stride below s * (windows along d).
            Value start = arith::SubIOp::create(
                b, l,
                arith::AddIOp::create(b, l,
                                      linalg::IndexOp::create(b, l, 2 + d),
                                      index(padding[d])),
                linalg::IndexOp::create(b, l, 4 + d));
            Value stride = index(strides[d]);
            Value o = arith::DivSIOp::create(b, l, start, stride);
            Value ok = arith::AndIOp::create(
                b, l,
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, start,
                                      zeroIndex),
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, o,
                                      index(pooledType.getDimSize(2 + d))));
            if (strides[d] != 1)
              ok = arith::AndIOp::create(
                  b, l, ok,
                  arith::CmpIOp::create(
                      b, l, arith::CmpIPredicate::eq,
                      arith::RemSIOp::create(b, l, start, stride), zeroIndex));
            valid = valid ? arith::AndIOp::create(b, l, valid, ok) : ok;
            windowIndex.push_back(o);
          }
          for (Value &o : windowIndex)
            o = arith::SelectOp::create(b, l, valid, o, zeroIndex);
          SmallVector<Value> at{linalg::IndexOp::create(b, l, 0),
                                linalg::IndexOp::create(b, l, 1),
                                windowIndex[0], windowIndex[1]};
          Value best = tensor::ExtractOp::create(b, l, argMax, at);
          Value hit = arith::AndIOp::create(
              b, l, valid,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, best,
                                    windowPosition(b, l, 4, 5, kernel[1])));
          Value grad = tensor::ExtractOp::create(b, l, dy, at);
          Value term = arith::SelectOp::create(
              b, l, hit, grad, createFloatConstant(b, l, element, 0));
          linalg::YieldOp::create(
              b, l, ValueRange{arith::AddFOp::create(b, l, args[1], term)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct AvgPool2DGradLowering : OpConversionPattern<nn::AvgPool2DGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::AvgPool2DGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    Value dy = adaptor.getResultGradient();
    ArrayRef<int64_t> kernel = op.getKernelSize();
    Value init = createFilled(rewriter, loc, type, dy,
                              createFloatConstant(rewriter, loc, element, 0));
    Value scaled =
        scale(rewriter, loc, dy, 1.0 / double(kernel[0] * kernel[1]));
    Value spread = lowering::spreadForTransposedWindow(
        rewriter, loc, scaled, op.getInputSize(), kernel, op.getStrides(),
        {1, 1}, op.getPadding());
    if (!spread) {
      rewriter.replaceOp(op, init);
      return success();
    }
    // The window is all ones, so its flip is itself.
    Value window = createWindow(rewriter, loc, kernel, element);
    auto pool = linalg::PoolingNchwSumOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{spread, window},
        ValueRange{init}, rewriter.getI64TensorAttr({1, 1}),
        rewriter.getI64TensorAttr({1, 1}));
    rewriter.replaceOp(op, pool.getResult(0));
    return success();
  }
};

struct GlobalAvgPoolLowering : OpConversionPattern<nn::GlobalAvgPoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::GlobalAvgPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value x = adaptor.getInput();
    ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
    MLIRContext *ctx = rewriter.getContext();
    Value init = createFilled(
        rewriter, loc, type, x,
        createFloatConstant(rewriter, loc, type.getElementType(), 0));
    AffineMap identity = AffineMap::getMultiDimIdentityMap(4, ctx);
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{x}, ValueRange{init},
            SmallVector<AffineMap>{identity, identity.getSubMap({0, 1})},
            {IteratorType::parallel, IteratorType::parallel,
             IteratorType::reduction, IteratorType::reduction},
            lowering::yieldSum)
            .getResult(0);
    rewriter.replaceOp(
        op, scale(rewriter, loc, sum, 1.0 / double(shape[2] * shape[3])));
    return success();
  }
};

struct GlobalAvgPoolGradLowering
    : OpConversionPattern<nn::GlobalAvgPoolGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::GlobalAvgPoolGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value dy = adaptor.getResultGradient();
    ArrayRef<int64_t> size = op.getInputSize();
    double factor = 1.0 / double(size[0] * size[1]);
    AffineMap channel =
        AffineMap::getMultiDimIdentityMap(4, rewriter.getContext())
            .getSubMap({0, 1});
    Value result = lowering::createParallelGeneric(
        rewriter, loc, type, dy, dy, channel,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value c = createFloatConstant(b, l, type.getElementType(), factor);
          return arith::MulFOp::create(b, l, args[0], c);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void nnc::populateNNPoolingToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPool2DLowering, AvgPool2DLowering, MaxPool2DGradLowering,
               AvgPool2DGradLowering, GlobalAvgPoolLowering,
               GlobalAvgPoolGradLowering>(patterns.getContext());
}
