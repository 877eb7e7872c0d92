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
// the window's arg-max and dy, with no search over candidate windows. When
// such windows are at most 4 wide, max pooling, its arg-max and that write
// are built here directly as loops over vectors of windows (see "Max
// pooling over windows that tile the image's rows" below): the pooled rows
// read the image at a stride, which linalg's vectorizer cannot turn into
// contiguous vector reads, and as scalar loops they were a third of a small
// CNN's training step.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

//===----------------------------------------------------------------------===//
// Max pooling over windows that tile the image's rows, on vectors
//===----------------------------------------------------------------------===//
//
// With stride = kernel and no padding, window j of an image row covers the
// columns [j * KW, (j + 1) * KW): a vector of L windows reads L * KW
// contiguous columns, and its KW members (column j * KW + kw of every
// window) are shuffles of that one read. Pooling, arg-max and the gradient
// then work on L windows at once. linalg's vectorizer cannot do this: the
// pooled rows read the image at stride KW, which it turns into gathers or
// scalar loops. Reads and writes past the end of a row are out of bounds of
// the transfer (padding in, nothing out), so rows need not be multiples of
// L; every loop nest runs over (n * C + c, output row) and its outer loop
// is marked for threads when the op is large.

constexpr llvm::StringLiteral kParallelAttr = "nnc.parallel";

/// Windows at most this wide take the vector path (a read of 4 x 16 f32).
constexpr int64_t kMaxVectorWindowWidth = 4;

/// Whether max pooling with these windows takes the vector path.
bool tilesRows(ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
               ArrayRef<int64_t> padding, Type element) {
  return kernel == strides &&
         llvm::all_of(padding, [](int64_t p) { return p == 0; }) &&
         kernel[1] <= kMaxVectorWindowWidth &&
         isa<Float32Type, Float64Type>(element);
}

/// Windows per vector: one 512-bit register of f32 or f64 values.
int64_t windowLanes(Type element) { return element.isF64() ? 8 : 16; }

/// Builds loops over (n * C + c, oh) of an [N, C, OH, ...] result carried
/// as `init`; `body` returns the result with row (n, c, oh) written.
Value forEachPooledRow(
    OpBuilder &b, Location loc, Value init, int64_t channels, int64_t rows,
    function_ref<Value(OpBuilder &, Location, Value, Value, Value, Value)>
        body) {
  auto type = cast<RankedTensorType>(init.getType());
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value batch = tensor::DimOp::create(b, loc, init, 0);
  Value images = arith::MulIOp::create(b, loc, batch, index(channels));
  Value zero = index(0), one = index(1), c = index(channels);
  auto outer = scf::ForOp::create(
      b, loc, zero, images, one, ValueRange{init},
      [&](OpBuilder &ob, Location l, Value image, ValueRange acc) {
        Value n = arith::DivUIOp::create(ob, l, image, c);
        Value ch = arith::RemUIOp::create(ob, l, image, c);
        auto inner = scf::ForOp::create(
            ob, l, zero, arith::ConstantIndexOp::create(ob, l, rows), one, acc,
            [&](OpBuilder &ib, Location il, Value row, ValueRange rowAcc) {
              scf::YieldOp::create(ib, il,
                                   body(ib, il, n, ch, row, rowAcc.front()));
            });
        scf::YieldOp::create(ob, l, inner.getResults());
      });
  // As nnc-vectorize-rows decides for its ops: 1024 results per example.
  int64_t perExample = 1;
  for (int64_t d : type.getShape().drop_front())
    perExample *= d;
  if (perExample >= 1024)
    outer->setAttr(kParallelAttr, b.getUnitAttr());
  return outer.getResult(0);
}

/// The KW members of `lanes` windows of image row (n, c, h) starting at
/// window `j`: member kw holds column (j + i) * KW + kw in lane i.
SmallVector<Value> windowMembers(OpBuilder &b, Location loc, Value image,
                                 Value n, Value c, Value h, Value j,
                                 int64_t lanes, int64_t width, Value pad) {
  Type element = cast<RankedTensorType>(image.getType()).getElementType();
  Value column = arith::MulIOp::create(
      b, loc, j, arith::ConstantIndexOp::create(b, loc, width));
  Value row = vector::TransferReadOp::create(
      b, loc, VectorType::get({lanes * width}, element), image,
      ValueRange{n, c, h, column}, pad, ArrayRef<bool>{false});
  SmallVector<Value> members;
  for (int64_t kw = 0; kw < width; ++kw) {
    SmallVector<int64_t> mask;
    for (int64_t i = 0; i < lanes; ++i)
      mask.push_back(i * width + kw);
    members.push_back(vector::ShuffleOp::create(b, loc, row, row, mask));
  }
  return members;
}

/// The row of `lanes` windows at window `j` of `members` (member kw of
/// window i in lane i of members[kw]), interleaved back into columns.
Value interleaveMembers(OpBuilder &b, Location loc, ArrayRef<Value> members,
                        int64_t lanes) {
  int64_t width = members.size();
  Value all = members.front();
  for (Value member : members.drop_front()) {
    int64_t size = cast<VectorType>(all.getType()).getNumElements();
    all = vector::ShuffleOp::create(
        b, loc, all, member,
        llvm::to_vector(llvm::seq<int64_t>(0, size + lanes)));
  }
  if (width == 1)
    return all;
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < lanes; ++i)
    for (int64_t kw = 0; kw < width; ++kw)
      mask.push_back(kw * lanes + i);
  return vector::ShuffleOp::create(b, loc, all, all, mask);
}

/// Max pooling of `x` [N, C, H, W] into `type` [N, C, OH, OW], or the
/// position kh * KW + kw of each window's first maximum (as i32) when
/// `argMax`, on vectors of windows.
Value poolRowsOnVectors(OpBuilder &b, Location loc, Value x,
                        RankedTensorType type, ArrayRef<int64_t> kernel,
                        bool argMax) {
  Type element = type.getElementType();
  int64_t lanes = windowLanes(element), width = kernel[1];
  int64_t windows = type.getDimSize(3);
  Type resultElement = argMax ? Type(b.getI32Type()) : element;
  auto resultType = RankedTensorType::get(type.getShape(), resultElement);
  Value init = lowering::createEmptyLike(b, loc, resultType, x);
  return forEachPooledRow(
      b, loc, init, type.getDimSize(1), type.getDimSize(2),
      [&](OpBuilder &rb, Location l, Value n, Value c, Value oh, Value acc) {
        auto floatVector = VectorType::get({lanes}, element);
        Value minusInf = createFloatConstant(rb, l, element, kMinusInfinity);
        Value best = vector::BroadcastOp::create(rb, l, floatVector, minusInf);
        Value bestIndex = vector::BroadcastOp::create(
            rb, l, VectorType::get({lanes}, rb.getI32Type()),
            arith::ConstantIntOp::create(rb, l, rb.getI32Type(), 0));
        for (int64_t j = 0; j < windows; j += lanes) {
          Value first = arith::ConstantIndexOp::create(rb, l, j);
          Value maxima = best, positions = bestIndex;
          for (int64_t kh = 0; kh < kernel[0]; ++kh) {
            Value h = arith::AddIOp::create(
                rb, l,
                arith::MulIOp::create(
                    rb, l, oh,
                    arith::ConstantIndexOp::create(rb, l, kernel[0])),
                arith::ConstantIndexOp::create(rb, l, kh));
            SmallVector<Value> members =
                windowMembers(rb, l, x, n, c, h, first, lanes, width, minusInf);
            for (auto [kw, v] : llvm::enumerate(members)) {
              if (!argMax) {
                maxima = arith::MaximumFOp::create(rb, l, maxima, v);
                continue;
              }
              // Strictly greater, in row-major window order: the first
              // maximum wins, as in windowArgMax.
              Value greater = arith::CmpFOp::create(
                  rb, l, arith::CmpFPredicate::OGT, v, maxima);
              maxima = arith::SelectOp::create(rb, l, greater, v, maxima);
              Value position = vector::BroadcastOp::create(
                  rb, l, positions.getType(),
                  arith::ConstantIntOp::create(rb, l, rb.getI32Type(),
                                               kh * width + int64_t(kw)));
              positions =
                  arith::SelectOp::create(rb, l, greater, position, positions);
            }
          }
          acc = vector::TransferWriteOp::create(
                    rb, l, argMax ? positions : maxima, acc,
                    ValueRange{n, c, oh, first}, ArrayRef<bool>{false})
                    .getResult();
        }
        return acc;
      });
}

/// The max-pooling gradient of windows that tile the image's rows, on
/// vectors: row kh of window row oh gets dy where the window's arg-max is
/// (kh, kw), interleaved over kw. Pixels in no window (rows and columns
/// past the last one) are 0.
Value scatterRowsOnVectors(OpBuilder &b, Location loc, RankedTensorType type,
                           Value x, Value dy, Value argMax,
                           ArrayRef<int64_t> kernel) {
  Type element = type.getElementType();
  auto pooledType = cast<RankedTensorType>(dy.getType());
  int64_t lanes = windowLanes(element), width = kernel[1];
  int64_t windows = pooledType.getDimSize(3);
  bool exact = pooledType.getDimSize(2) * kernel[0] == type.getDimSize(2) &&
               windows * width == type.getDimSize(3);
  Value init = exact ? lowering::createEmptyLike(b, loc, type, x)
                     : createFilled(b, loc, type, x,
                                    createFloatConstant(b, loc, element, 0));
  // Rows of dx, not of dy: the loops run over (n * C + c, oh) and write
  // the KH rows of each.
  return forEachPooledRow(
      b, loc, init, type.getDimSize(1), pooledType.getDimSize(2),
      [&](OpBuilder &rb, Location l, Value n, Value c, Value oh, Value acc) {
        Value zero = createFloatConstant(rb, l, element, 0);
        auto floatVector = VectorType::get({lanes}, element);
        auto indexVector = VectorType::get({lanes}, rb.getI32Type());
        Value zeros = vector::BroadcastOp::create(rb, l, floatVector, zero);
        for (int64_t j = 0; j < windows; j += lanes) {
          Value first = arith::ConstantIndexOp::create(rb, l, j);
          Value at = vector::TransferReadOp::create(
              rb, l, indexVector, argMax, ValueRange{n, c, oh, first},
              arith::ConstantIntOp::create(rb, l, rb.getI32Type(), -1),
              ArrayRef<bool>{false});
          Value grad = vector::TransferReadOp::create(
              rb, l, floatVector, dy, ValueRange{n, c, oh, first}, zero,
              ArrayRef<bool>{false});
          Value column = arith::ConstantIndexOp::create(rb, l, j * width);
          for (int64_t kh = 0; kh < kernel[0]; ++kh) {
            SmallVector<Value> members;
            for (int64_t kw = 0; kw < width; ++kw) {
              Value position = vector::BroadcastOp::create(
                  rb, l, indexVector,
                  arith::ConstantIntOp::create(rb, l, rb.getI32Type(),
                                               kh * width + kw));
              Value hit = arith::CmpIOp::create(rb, l, arith::CmpIPredicate::eq,
                                                at, position);
              members.push_back(
                  arith::SelectOp::create(rb, l, hit, grad, zeros));
            }
            Value h = arith::AddIOp::create(
                rb, l,
                arith::MulIOp::create(
                    rb, l, oh,
                    arith::ConstantIndexOp::create(rb, l, kernel[0])),
                arith::ConstantIndexOp::create(rb, l, kh));
            acc = vector::TransferWriteOp::create(
                      rb, l, interleaveMembers(rb, l, members, lanes), acc,
                      ValueRange{n, c, h, column}, ArrayRef<bool>{false})
                      .getResult();
          }
        }
        return acc;
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
    if (tilesRows(op.getKernelSize(), op.getStrides(), op.getPadding(),
                  element)) {
      rewriter.replaceOp(op, poolRowsOnVectors(rewriter, loc, x, type,
                                               op.getKernelSize(),
                                               /*argMax=*/false));
      return success();
    }
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
    if (tilesRows(kernel, strides, padding, element)) {
      Value argMax = poolRowsOnVectors(rewriter, loc, x, pooledType, kernel,
                                       /*argMax=*/true);
      rewriter.replaceOp(
          op, scatterRowsOnVectors(rewriter, loc, type, x, dy, argMax, kernel));
      return success();
    }
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
