//===- Common.cpp - Helpers shared by the nn -> linalg patterns -*- C++ -*-===//
//
// Builders for the shapes most lowerings take: a destination tensor that
// carries the dynamic batch size over from an operand, and an all-parallel
// `linalg.generic` (elementwise, or reading its inputs through broadcasting
// maps), the scalar sigmoid and matrix product several lowerings share, and
// sums over the batch split into parts for threads.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value nnc::lowering::createEmptyLike(OpBuilder &b, Location loc,
                                     RankedTensorType type, Value like) {
  SmallVector<Value> dynamicSizes;
  for (auto [i, dim] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(dim))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, like, i));
  return tensor::EmptyOp::create(b, loc, type, dynamicSizes);
}

Value nnc::lowering::createFloatConstant(OpBuilder &b, Location loc, Type type,
                                         double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value nnc::lowering::createZeros(OpBuilder &b, Location loc,
                                 RankedTensorType type,
                                 ValueRange dynamicSizes) {
  Value empty = tensor::EmptyOp::create(b, loc, type, dynamicSizes);
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

Value nnc::lowering::createParallelGeneric(
    OpBuilder &b, Location loc, RankedTensorType type, Value like,
    ValueRange inputs, ArrayRef<AffineMap> maps,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  Value init = createEmptyLike(b, loc, type, like);
  SmallVector<AffineMap> allMaps(maps);
  allMaps.push_back(b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, inputs, ValueRange{init}, allMaps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value nnc::lowering::createElementwise(
    OpBuilder &b, Location loc, RankedTensorType type, ValueRange inputs,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<AffineMap> maps(inputs.size(),
                              b.getMultiDimIdentityMap(type.getRank()));
  return createParallelGeneric(b, loc, type, inputs.front(), inputs, maps,
                               body);
}

Value nnc::lowering::createSigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = createFloatConstant(b, loc, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}

Value nnc::lowering::createContraction(
    OpBuilder &b, Location loc, Value lhs, Value rhs, Value init,
    ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators) {
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs},
             ValueRange{init}, maps, iterators,
             [](OpBuilder &b, Location l, ValueRange args) {
               Value product = arith::MulFOp::create(b, l, args[0], args[1]);
               linalg::YieldOp::create(
                   b, l,
                   ValueRange{arith::AddFOp::create(b, l, args[2], product)});
             })
      .getResult(0);
}

void nnc::lowering::yieldSum(OpBuilder &b, Location loc, ValueRange args) {
  linalg::YieldOp::create(
      b, loc, ValueRange{arith::AddFOp::create(b, loc, args[1], args[0])});
}

Value nnc::lowering::createSum(OpBuilder &b, Location loc, Value input,
                               ArrayRef<int64_t> kept, RankedTensorType type) {
  return createSumInto(b, loc, input, kept, createZeros(b, loc, type, {}));
}

Value nnc::lowering::createBatchSum(OpBuilder &b, Location loc, Value input,
                                    ArrayRef<int64_t> kept,
                                    RankedTensorType type) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!inputType.isDynamicDim(0) ||
      inputType.getRank() < int64_t(kept.size()) + 2 ||
      llvm::is_contained(kept, 0) || !type.hasStaticShape())
    return createSum(b, loc, input, kept, type);
  Value batch = tensor::DimOp::create(b, loc, input, 0);
  return sumOverBatchParts(
      b, loc, batch, type,
      [&](OpBuilder &nb, Location l, Value start, Value count, Value init) {
        return createSumInto(nb, l, sliceDim(nb, l, input, 0, start, count),
                             kept, init);
      });
}

Value nnc::lowering::createSumInto(OpBuilder &b, Location loc, Value input,
                                   ArrayRef<int64_t> kept, Value init) {
  int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  SmallVector<AffineExpr> results;
  for (int64_t d : kept) {
    iterators[d] = utils::IteratorType::parallel;
    results.push_back(getAffineDimExpr(d, ctx));
  }
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx),
                              AffineMap::get(rank, 0, results, ctx)};
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()},
                                   ValueRange{input}, ValueRange{init}, maps,
                                   iterators, yieldSum)
      .getResult(0);
}

Value nnc::lowering::createMatmul(OpBuilder &b, Location loc, Value lhs,
                                  Value rhs, Value init, bool transposeLhs,
                                  bool transposeRhs) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto map = [&](AffineExpr x, AffineExpr y) {
    return AffineMap::get(3, 0, {x, y}, ctx);
  };
  SmallVector<AffineMap> maps{transposeLhs ? map(k, m) : map(m, k),
                              transposeRhs ? map(n, k) : map(k, n), map(m, n)};
  return createContraction(b, loc, lhs, rhs, init, maps,
                           {utils::IteratorType::parallel,
                            utils::IteratorType::parallel,
                            utils::IteratorType::reduction});
}

Value nnc::lowering::sliceDim(OpBuilder &b, Location loc, Value value,
                              int64_t dim, Value start, Value count) {
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  offsets[dim] = start;
  sizes[dim] = count;
  return tensor::ExtractSliceOp::create(b, loc, value, offsets, sizes, strides);
}

namespace {

/// A loop over the kBatchParts parts of a batch of `batch` examples,
/// carrying `carried`, marked nnc.parallel; `body(nb, l, p, start, count,
/// args)` builds part p's iteration over the examples [start, start +
/// count) and yields.
scf::ForOp createBatchPartsLoop(
    OpBuilder &b, Location loc, Value batch, ValueRange carried,
    function_ref<void(OpBuilder &, Location, Value, Value, Value, ValueRange)>
        body) {
  auto constant = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value part = arith::CeilDivSIOp::create(b, loc, batch,
                                          constant(nnc::lowering::kBatchParts));
  auto loop = scf::ForOp::create(
      b, loc, constant(0), constant(nnc::lowering::kBatchParts), constant(1),
      carried, [&](OpBuilder &nb, Location l, Value p, ValueRange args) {
        Value start = arith::MinSIOp::create(
            nb, l, arith::MulIOp::create(nb, l, p, part), batch);
        Value count = arith::MinSIOp::create(
            nb, l, part, arith::SubIOp::create(nb, l, batch, start));
        body(nb, l, p, start, count, args);
      });
  loop->setAttr(nnc::kParallelAttr, b.getUnitAttr());
  return loop;
}

} // namespace

SmallVector<Value> nnc::lowering::forEachBatchPart(OpBuilder &b, Location loc,
                                                   Value batch,
                                                   ValueRange carried,
                                                   BatchRowsFn body) {
  scf::ForOp loop = createBatchPartsLoop(
      b, loc, batch, carried,
      [&](OpBuilder &nb, Location l, Value, Value start, Value count,
          ValueRange args) {
        SmallVector<tensor::ExtractSliceOp> slices;
        SmallVector<Value> rows;
        for (Value arg : args) {
          slices.push_back(sliceDim(nb, l, arg, 0, start, count)
                               .getDefiningOp<tensor::ExtractSliceOp>());
          rows.push_back(slices.back().getResult());
        }
        SmallVector<Value> results = body(nb, l, start, count, rows);
        // Each part's rows go back where they were read from.
        SmallVector<Value> yields;
        for (auto [result, slice] : llvm::zip_equal(results, slices))
          yields.push_back(tensor::InsertSliceOp::create(
              nb, l, result, slice.getSource(), slice.getMixedOffsets(),
              slice.getMixedSizes(), slice.getMixedStrides()));
        scf::YieldOp::create(nb, l, yields);
      });
  return SmallVector<Value>(loop.getResults());
}

Value nnc::lowering::createBatchPartials(OpBuilder &b, Location loc,
                                         Value batch, RankedTensorType type,
                                         BatchPartFn partial) {
  assert(type.hasStaticShape() && "a partial sum has a static shape");
  SmallVector<int64_t> partsShape{kBatchParts};
  llvm::append_range(partsShape, type.getShape());
  scf::ForOp loop = createBatchPartsLoop(
      b, loc, batch,
      ValueRange{
          tensor::EmptyOp::create(b, loc, partsShape, type.getElementType())},
      [&](OpBuilder &nb, Location l, Value p, Value start, Value count,
          ValueRange args) {
        auto slot =
            partSlot(nb, l, args[0], p).getDefiningOp<tensor::ExtractSliceOp>();
        Value zero = arith::ConstantOp::create(
            nb, l, nb.getZeroAttr(type.getElementType()));
        Value init =
            linalg::FillOp::create(nb, l, zero, slot.getResult()).getResult(0);
        Value sum = partial(nb, l, start, count, init);
        // Back into the slot it was read from.
        scf::YieldOp::create(
            nb, l,
            ValueRange{tensor::InsertSliceOp::create(
                nb, l, sum, args[0], slot.getMixedOffsets(),
                slot.getMixedSizes(), slot.getMixedStrides())});
      });
  return loop.getResult(0);
}

Value nnc::lowering::partSlot(OpBuilder &b, Location loc, Value parts,
                              OpFoldResult p) {
  auto type = cast<RankedTensorType>(parts.getType());
  SmallVector<OpFoldResult> at(type.getRank(), b.getIndexAttr(0)),
      sizes{b.getIndexAttr(1)}, strides(type.getRank(), b.getIndexAttr(1));
  at[0] = p;
  for (int64_t size : type.getShape().drop_front())
    sizes.push_back(b.getIndexAttr(size));
  auto slotType = RankedTensorType::get(type.getShape().drop_front(),
                                        type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, slotType, parts, at, sizes,
                                        strides);
}

Value nnc::lowering::sumOverBatchParts(OpBuilder &b, Location loc, Value batch,
                                       RankedTensorType type,
                                       BatchPartFn partial) {
  if (type.getNumElements() > kMaxBatchSplitElements)
    return partial(b, loc, arith::ConstantIndexOp::create(b, loc, 0), batch,
                   createZeros(b, loc, type, {}));
  Value parts = createBatchPartials(b, loc, batch, type, partial);
  // The parts added in order, elementwise (no zeros to fill).
  SmallVector<Value> slots;
  for (int64_t p = 0; p < kBatchParts; ++p)
    slots.push_back(partSlot(b, loc, parts, b.getIndexAttr(p)));
  return createElementwise(b, loc, type, slots,
                           [](OpBuilder &nb, Location l, ValueRange args) {
                             Value sum = args.front();
                             for (Value part : args.drop_front())
                               sum = arith::AddFOp::create(nb, l, sum, part);
                             return sum;
                           });
}
