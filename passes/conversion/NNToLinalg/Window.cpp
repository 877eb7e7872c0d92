//===- Window.cpp - Helpers of the sliding-window lowerings -----*- C++ -*-===//
//
// Padding of NCHW images and the dilate-and-pad step shared by the
// transposed windows (the input gradients of convolution and average
// pooling). The gradient of a window op scatters each output element back
// over the input positions its window read; it is computed as a gather
// instead: dy is spread into a zero tensor (a stride s puts s - 1 zeros
// between its elements) padded so that a stride-1 correlation with the
// flipped window yields the input gradient. The usual construction pads by
// d (K - 1) on each side, computes the gradient of the whole padded input
// and slices [top, top + H) out of it; here the slice is folded into where dy
// lands, so the correlation produces exactly [H, W]: elements of dy that only
// reach padding are never copied, and rows past the last window (when
// (H + pads - extent) is not a multiple of the stride) come out as zeros.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value nnc::lowering::padImage(OpBuilder &b, Location loc, Value image,
                              ArrayRef<int64_t> padding, double value) {
  if (llvm::all_of(padding, [](int64_t p) { return p == 0; }))
    return image;
  auto type = cast<RankedTensorType>(image.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += padding[0] + padding[2];
  shape[3] += padding[1] + padding[3];
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> low{b.getIndexAttr(0), b.getIndexAttr(0),
                                b.getIndexAttr(padding[0]),
                                b.getIndexAttr(padding[1])};
  SmallVector<OpFoldResult> high{b.getIndexAttr(0), b.getIndexAttr(0),
                                 b.getIndexAttr(padding[2]),
                                 b.getIndexAttr(padding[3])};
  Value pad = createFloatConstant(b, loc, type.getElementType(), value);
  return tensor::PadOp::create(b, loc, paddedType, image, low, high, pad);
}

namespace {

/// Where the elements of dy go along one spatial dimension: dy indices
/// [first, first + count) land at `start`, `start + s`, ... of a dimension
/// of `size`.
struct Placement {
  int64_t first = 0, count = 0, start = 0, size = 0;
};

/// Output position o of a window with stride s, dilation d and leading
/// padding t reads input h = o s + k d - t. The gradient of input h is
/// sum_k dy[(h + t - k d) / s] w[k], and a stride-1 correlation of Z with the
/// flipped window gives sum_k Z[h + (K - 1 - k) d] w[k]: so Z[q] = dy[o] at
/// q = o s + (K - 1) d - t, for the q inside [0, H + (K - 1) d).
Placement place(int64_t outSize, int64_t inSize, int64_t kernel, int64_t stride,
                int64_t dilation, int64_t top) {
  Placement p;
  int64_t offset = dilation * (kernel - 1) - top;
  p.size = inSize + dilation * (kernel - 1);
  p.first = offset >= 0 ? 0 : llvm::divideCeil(-offset, stride);
  // size - 1 - offset = inSize - 1 + top >= 0.
  int64_t last = std::min(outSize - 1, (p.size - 1 - offset) / stride);
  p.count = std::max<int64_t>(0, last - p.first + 1);
  p.start = offset + p.first * stride;
  return p;
}

} // namespace

Value nnc::lowering::spreadForTransposedWindow(
    OpBuilder &b, Location loc, Value dy, ArrayRef<int64_t> inputSize,
    ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
    ArrayRef<int64_t> dilations, ArrayRef<int64_t> padding) {
  auto type = cast<RankedTensorType>(dy.getType());
  Placement rows = place(type.getDimSize(2), inputSize[0], kernel[0],
                         strides[0], dilations[0], padding[0]);
  Placement cols = place(type.getDimSize(3), inputSize[1], kernel[1],
                         strides[1], dilations[1], padding[1]);
  if (rows.count == 0 || cols.count == 0)
    return Value();

  // The part of dy that reaches the input.
  OpFoldResult batch = tensor::getMixedSize(b, loc, dy, 0);
  OpFoldResult channels = b.getIndexAttr(type.getDimSize(1));
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  if (rows.count != type.getDimSize(2) || cols.count != type.getDimSize(3)) {
    auto sliceType = RankedTensorType::get(
        {type.getDimSize(0), type.getDimSize(1), rows.count, cols.count},
        type.getElementType());
    dy = tensor::ExtractSliceOp::create(
        b, loc, sliceType, dy,
        {zero, zero, b.getIndexAttr(rows.first), b.getIndexAttr(cols.first)},
        {batch, channels, b.getIndexAttr(rows.count),
         b.getIndexAttr(cols.count)},
        {one, one, one, one});
  }

  auto spreadType = RankedTensorType::get(
      {type.getDimSize(0), type.getDimSize(1), rows.size, cols.size},
      type.getElementType());
  if (strides[0] == 1 && strides[1] == 1) {
    // Contiguous: a plain zero padding.
    int64_t bottom = rows.size - rows.start - rows.count;
    int64_t right = cols.size - cols.start - cols.count;
    return padImage(b, loc, dy, {rows.start, cols.start, bottom, right}, 0);
  }
  SmallVector<Value> dynamicSizes;
  if (type.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, dy, 0));
  Value zeros = createZeros(b, loc, spreadType, dynamicSizes);
  return tensor::InsertSliceOp::create(
      b, loc, dy, zeros,
      {zero, zero, b.getIndexAttr(rows.start), b.getIndexAttr(cols.start)},
      {batch, channels, b.getIndexAttr(rows.count), b.getIndexAttr(cols.count)},
      {one, one, b.getIndexAttr(strides[0]), b.getIndexAttr(strides[1])});
}
