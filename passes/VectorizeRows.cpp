//===- VectorizeRows.cpp - Row vectors for linalg loops ---------*- C++ -*-===//
//
// convert-linalg-to-loops nests loops in the order of an op's iterators, and
// LLVM vectorizes only innermost loops. For convolutions, pooling and
// matmuls the innermost loop is a short reduction (kw, or k), which does not
// vectorize without reassociating sums; and since every buffer of a training
// step is a view into one workspace, LLVM cannot tell loads from stores
// apart either. This pass picks, for each linalg op, a parallel loop that
// walks the last dimension of every output (as that dimension itself) and
// of every input that uses it: ow of a convolution or pooling, n of a
// matmul, the last dimension of an elementwise op. That loop becomes the
// innermost parallel loop, the reductions inside it, and:
//  - when the inputs read rows contiguously (or not at all) and the body is
//    elementwise arithmetic, the op is lowered here to loops over rows of
//    vectors (16 f32 / 8 f64 lanes, the last one masked): each output row
//    chunk is loaded once, carried through the reduction loops in registers
//    and stored once; inputs that do not depend on the row are broadcast;
//    the outermost loop is marked `nnc.parallel` when it is a parallel
//    dimension of every output (see nnc-parallelize-tiles, which decides
//    from the op's size whether it is worth threads), and a long row with
//    no loop around it is cut into chunks of 4096 elements, the loop over
//    them marked;
//  - otherwise, when that order differs from the op's, the op is
//    generalized, interchanged and lowered to scf.for loops whose innermost
//    loop carries an `llvm.loop` annotation (vectorize, do not unroll first,
//    parallel accesses; see nnc-tag-parallel-accesses) for LLVM's vectorizer.
// Elementwise ops on contiguous buffers first have their trailing static
// dimensions folded into one (linalg's collapseOpIterationDims), so their
// rows are long. The body may read the loops' indices (a one-hot target):
// along the row, each lane's. Ops that reduce the last dimension of their
// inputs (the maximum and the sum of exponentials of each row of logits)
// read those rows as vectors and fold them with a vector.reduction per
// output (see below). Max pooling over windows that tile the image, its
// arg-max and its gradient's write run on vectors of windows. A transpose
// that leaves the last dimension in place (the packing of a product's
// right-hand side into strips) is a copy of rows and is lowered as one; one
// that swaps the last two dimensions (a weight read as w^T) goes by square
// tiles of a vector's lanes, transposed in registers; a broadcast (a
// recurrent layer's bias over every step) is the elementwise op of its
// input that it is.
// Everything else is left to convert-linalg-to-loops.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include <array>
#include <limits>

namespace nnc {
#define GEN_PASS_DEF_VECTORIZEROWSPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using nnc::kParallelAttr;
using nnc::kWindowArgMaxAttr;
using nnc::kWindowScatterAttr;

namespace {

/// Rows shorter than this are not worth vectorizing.
constexpr int64_t kMinRowLength = 8;
/// Bytes per row vector: one AVX-512 register.
constexpr int64_t kVectorBytes = 64;

/// Whether loop `dim` indexes only the last dimension of every output (as
/// that dimension itself) and of every input that uses it.
bool walksLastDimension(linalg::LinalgOp op, unsigned dim) {
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (map.getNumResults() == 0) {
      if (op.isDpsInit(&operand))
        return false;
      continue; // a scalar input
    }
    ArrayRef<AffineExpr> results = map.getResults();
    for (AffineExpr expr : results.drop_back())
      if (expr.isFunctionOfDim(dim))
        return false;
    if (op.isDpsInit(&operand)) {
      auto last = dyn_cast<AffineDimExpr>(results.back());
      if (!last || last.getPosition() != dim)
        return false;
    }
  }
  return true;
}

/// The loop to run innermost among the parallel ones, if any.
std::optional<unsigned> chooseRowLoop(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned d = iterators.size(); d-- > 0;) {
    if (iterators[d] != utils::IteratorType::parallel ||
        (!ShapedType::isDynamic(ranges[d]) && ranges[d] < kMinRowLength))
      continue;
    if (walksLastDimension(op, d))
      return d;
  }
  return std::nullopt;
}

/// The outer parallel loops in their order, then the reductions in theirs,
/// then the row loop.
SmallVector<unsigned> rowOrder(linalg::LinalgOp op, unsigned row) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < iterators.size(); ++d)
    if (d != row && iterators[d] == utils::IteratorType::parallel)
      order.push_back(d);
  for (unsigned d = 0; d < iterators.size(); ++d)
    if (iterators[d] != utils::IteratorType::parallel)
      order.push_back(d);
  order.push_back(row);
  return order;
}

/// How `expr` changes when loop `dim` advances by one, if by a constant.
std::optional<int64_t> stepOf(AffineExpr expr, unsigned dim, unsigned numDims) {
  AffineExpr d = getAffineDimExpr(dim, expr.getContext());
  AffineExpr step =
      simplifyAffineExpr(expr.replace(d, d + 1) - expr, numDims, 0);
  if (auto constant = dyn_cast<AffineConstantExpr>(step))
    return constant.getValue();
  return std::nullopt;
}

bool hasUnitInnerStride(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  if (type.getRank() == 0)
    return true;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// Whether the body of `op` is elementwise arithmetic that can run on
/// vectors of its scalars.
bool isVectorizableBody(linalg::LinalgOp op) {
  for (Operation &inner : op.getBlock()->without_terminator()) {
    if (isa<arith::ConstantOp, linalg::IndexOp>(inner))
      continue;
    // Masked-off lanes compute on zeros: no integer division may trap.
    if (isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
            arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp>(inner))
      return false;
    if (!isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()) ||
        !inner.hasTrait<OpTrait::Elementwise>() || inner.getNumRegions() ||
        !isMemoryEffectFree(&inner) ||
        !llvm::all_of(inner.getResultTypes(),
                      [](Type t) { return t.isIntOrIndexOrFloat(); }))
      return false;
  }
  return true;
}

/// The value of `index` (a linalg.index in the body of an op run on
/// vectors along loop `row`) in each lane, given the loops' induction
/// variables `ivs` (that of `row` being the first lane's).
Value indexVector(OpBuilder &b, Location loc, linalg::IndexOp index,
                  ArrayRef<Value> ivs, unsigned row, int64_t lanes) {
  auto type = VectorType::get({lanes}, b.getIndexType());
  Value first = vector::BroadcastOp::create(b, loc, type, ivs[index.getDim()]);
  if (index.getDim() != row)
    return first;
  return arith::AddIOp::create(b, loc, first,
                               vector::StepOp::create(b, loc, type));
}

/// Recreates the body of `op` on vectors of `lanes` lanes, its block
/// arguments already mapped in `mapping`: linalg.index becomes each lane's
/// index along loop `row` (indexVector), constants and scalars from outside
/// the body are broadcast, and every other op takes vector types.
/// `beforeOp` may remap an op's operands first (`lookup` gives an
/// operand's vector). Returns the vectors the body yields.
SmallVector<Value> vectorizeBody(
    OpBuilder &b, Location loc, linalg::LinalgOp op, IRMapping &mapping,
    ArrayRef<Value> ivs, unsigned row, int64_t lanes,
    function_ref<void(Operation &, function_ref<Value(Value)>)> beforeOp =
        nullptr) {
  auto vectorOf = [&](Type element) {
    return VectorType::get({lanes}, element);
  };
  auto lookup = [&](Value v) -> Value {
    if (Value mapped = mapping.lookupOrNull(v))
      return mapped;
    Value vec = vector::BroadcastOp::create(b, loc, vectorOf(v.getType()), v);
    mapping.map(v, vec);
    return vec;
  };
  Block *block = op.getBlock();
  for (Operation &inner : block->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(),
                  indexVector(b, loc, index, ivs, row, lanes));
      continue;
    }
    if (isa<arith::ConstantOp>(inner)) {
      Operation *clone = b.clone(inner);
      mapping.map(inner.getResult(0),
                  vector::BroadcastOp::create(
                      b, loc, vectorOf(clone->getResult(0).getType()),
                      clone->getResult(0)));
      continue;
    }
    if (beforeOp)
      beforeOp(inner, lookup);
    OperationState state(loc, inner.getName());
    for (Value operand : inner.getOperands())
      state.addOperands(lookup(operand));
    for (Type t : inner.getResultTypes())
      state.addTypes(vectorOf(t));
    state.addAttributes(inner.getAttrs());
    Operation *vectorized = b.create(state);
    mapping.map(inner.getResults(), vectorized->getResults());
  }
  SmallVector<Value> yields;
  for (Value v : block->getTerminator()->getOperands())
    yields.push_back(lookup(v));
  return yields;
}

/// Whether `op` can run as rows of vectors along loop `row`.
bool canVectorizeRows(linalg::LinalgOp op, unsigned row) {
  if (ShapedType::isDynamic(op.getStaticLoopRanges()[row]))
    return false;
  unsigned numLoops = op.getNumLoops();
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getElementType().isIntOrFloat() ||
        !hasUnitInnerStride(operand.get()))
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (op.isDpsInit(&operand)) {
      for (unsigned d = 0; d < numLoops; ++d)
        if (op.getIteratorTypesArray()[d] != utils::IteratorType::parallel &&
            map.isFunctionOfDim(d))
          return false;
      continue;
    }
    if (map.getNumResults() == 0 || !map.isFunctionOfDim(row))
      continue;
    std::optional<int64_t> step =
        stepOf(map.getResults().back(), row, numLoops);
    if (!step || *step != 1)
      return false;
  }
  return isVectorizableBody(op);
}

/// An elementwise op on contiguous buffers (every map the identity, every
/// operand an identity-layout memref) with its trailing static dimensions
/// folded into one: rows of a [N, 16, 14, 14] image, or of a [784, 10]
/// weight, would each end in a partial vector; one row of 3136 (or 7840)
/// values does not. `op` itself when there is nothing to fold.
linalg::LinalgOp flattenElementwise(RewriterBase &rewriter,
                                    linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || op.getNumLoops() < 2 ||
      op.getNumParallelLoops() != op.getNumLoops() ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return op;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !type.getLayout().isIdentity())
      return op;
  }
  int64_t first = ranges.size();
  while (first > 0 && !ShapedType::isDynamic(ranges[first - 1]))
    --first;
  if (ranges.size() - first < 2)
    return op;
  SmallVector<ReassociationIndices> fold{
      llvm::to_vector(llvm::seq<int64_t>(first, ranges.size()))};
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(op, fold, rewriter);
  if (failed(collapsed))
    return op;
  rewriter.replaceOp(op, collapsed->results);
  return collapsed->collapsedOp;
}

/// The chunk of a long row that one iteration of a loop run on threads
/// covers (a multiple of every vector width). Small enough that the threads'
/// shares differ by at most one small chunk: Adam over the MLP's 100352
/// weights is 98 chunks, 49 a thread (with chunks of 4096, 25 chunks split
/// 13:12 and that region took 74.5 us instead of 71.3 on 2 threads).
constexpr int64_t kRowChunk = 1024;

/// How far ahead of its stores an optimizer update on threads prefetches
/// its outputs for writing, in elements (16 vectors of f32). Prefetches past
/// the end of a buffer are harmless on the targets nnc supports (they
/// never fault). On 2 threads the MLP's Adam region went from 47 to 35 us;
/// on one thread the same code cost the batch-1 step 2 us, hence only in
/// the parallel copy.
constexpr int64_t kPrefetchDistance = 256;

/// The `nnc.parallel` mark for loop `dim` of `op`, or null when its
/// iterations may not run on different threads or are not worth it. They
/// may when `dim` is parallel, indexes every output plainly (its
/// iterations write disjoint parts) and spans more than one iteration. A
/// static loop is worth it when the op has nnc::kMinParallelElements points
/// or runs over the batch in another loop (a unit mark: the sum of a
/// convolution's bias gradient over examples and pixels, one channel per
/// iteration, grows with the batch); a dynamic one (over the batch) is
/// marked with the points of one iteration, and nnc-parallelize-tiles
/// compares their product with the trip count at run time.
Attribute threadsMark(linalg::LinalgOp op, unsigned dim, Builder &b) {
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  if (op.getIteratorTypesArray()[dim] != utils::IteratorType::parallel ||
      extents[dim] == 1)
    return {};
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!llvm::is_contained(op.getMatchingIndexingMap(&init).getResults(),
                            getAffineDimExpr(dim, op.getContext())))
      return {};
  int64_t elements = 1;
  for (int64_t extent : extents)
    if (!ShapedType::isDynamic(extent))
      elements *= extent;
  if (ShapedType::isDynamic(extents[dim]))
    return b.getI64IntegerAttr(elements);
  if (elements < nnc::kMinParallelElements &&
      !llvm::any_of(extents, ShapedType::isDynamic))
    return {};
  return b.getUnitAttr();
}

/// Appends the offsets, sizes and strides of loops `dims` of `ranges` (an
/// op's loop ranges) to `lo`, `hi` and `st` as index values.
void appendBounds(OpBuilder &b, Location loc, ArrayRef<Range> ranges,
                  ArrayRef<unsigned> dims, SmallVector<Value> &lo,
                  SmallVector<Value> &hi, SmallVector<Value> &st) {
  for (unsigned d : dims) {
    lo.push_back(getValueOrCreateConstantIndexOp(b, loc, ranges[d].offset));
    hi.push_back(getValueOrCreateConstantIndexOp(b, loc, ranges[d].size));
    st.push_back(getValueOrCreateConstantIndexOp(b, loc, ranges[d].stride));
  }
}

/// The results of an indexing `map` of an op at the loops' induction
/// variables `ivs`, one affine.apply each.
SmallVector<Value> applyToLoops(OpBuilder &b, Location loc, AffineMap map,
                                ArrayRef<Value> ivs) {
  SmallVector<Value> result;
  for (unsigned r = 0; r < map.getNumResults(); ++r)
    result.push_back(
        affine::AffineApplyOp::create(b, loc, map.getSubMap({r}), ivs));
  return result;
}

/// The lanes of the vectors `op` runs on: one width for the whole op, that
/// of its widest element type in one vector register.
int64_t lanesFor(linalg::LinalgOp op) {
  unsigned bits = 8;
  for (Value operand : op->getOperands())
    bits = std::max(
        bits, getElementTypeOrSelf(operand.getType()).getIntOrFloatBitWidth());
  return std::max<int64_t>(1, kVectorBytes * 8 / bits);
}

/// Lowers `op` to loops over rows of vectors along loop `row`.
void vectorizeRows(RewriterBase &rewriter, linalg::LinalgOp op, unsigned row,
                   bool threads) {
  Location loc = op.getLoc();
  unsigned numLoops = op.getNumLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<Range> ranges = op.createLoopRanges(rewriter, loc);
  int64_t rowLength = op.getStaticLoopRanges()[row];

  int64_t lanes = lanesFor(op);
  auto vectorOf = [&](Type element) {
    return VectorType::get({lanes}, element);
  };

  SmallVector<Value> lbs, ubs, steps;
  SmallVector<unsigned> outer, reductions;
  for (unsigned d = 0; d < numLoops; ++d) {
    if (d == row)
      continue;
    (iterators[d] == utils::IteratorType::parallel ? outer : reductions)
        .push_back(d);
  }
  appendBounds(rewriter, loc, ranges, outer, lbs, ubs, steps);
  // A long row with no loop around it (an optimizer update over a whole
  // weight matrix, folded into one row) is cut into chunks, the loop over
  // them marked for threads.
  Value rowBegin = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value rowEnd = arith::ConstantIndexOp::create(rewriter, loc, rowLength);
  scf::ForOp chunks;
  if (outer.empty() && rowLength >= 2 * kRowChunk) {
    Value chunk = arith::ConstantIndexOp::create(rewriter, loc, kRowChunk);
    chunks = scf::ForOp::create(rewriter, loc, rowBegin, rowEnd, chunk);
    chunks->setAttr(kParallelAttr, rewriter.getI64IntegerAttr(kRowChunk));
    rewriter.setInsertionPoint(chunks.getBody()->getTerminator());
    rowBegin = chunks.getInductionVar();
    rowEnd = arith::MinSIOp::create(
        rewriter, loc, arith::AddIOp::create(rewriter, loc, rowBegin, chunk),
        rowEnd);
  }
  lbs.push_back(rowBegin);
  ubs.push_back(rowEnd);
  steps.push_back(arith::ConstantIndexOp::create(rewriter, loc, lanes));

  scf::LoopNest rows = scf::buildLoopNest(
      rewriter, loc, lbs, ubs, steps,
      [&](OpBuilder &b, Location l, ValueRange outerIvs) {
        SmallVector<Value> ivs(numLoops);
        for (auto [d, iv] : llvm::zip(outer, outerIvs.drop_back()))
          ivs[d] = iv;
        ivs[row] = outerIvs.back();
        // Lanes past the row's end are masked off.
        Value mask;
        if (rowLength % lanes != 0) {
          Value left = arith::SubIOp::create(
              b, l, arith::ConstantIndexOp::create(b, l, rowLength),
              outerIvs.back());
          mask = vector::CreateMaskOp::create(
              b, l, VectorType::get({lanes}, b.getI1Type()), ValueRange{left});
        }
        auto load = [&](OpBuilder &nb, Location nl, Value memref,
                        AffineMap map) -> Value {
          Type element = getElementTypeOrSelf(memref.getType());
          SmallVector<Value> at = applyToLoops(nb, nl, map, ivs);
          if (!mask)
            return vector::LoadOp::create(nb, nl, vectorOf(element), memref,
                                          at);
          Value zero = arith::ConstantOp::create(
              nb, nl, cast<TypedAttr>(nb.getZeroAttr(vectorOf(element))));
          return vector::MaskedLoadOp::create(nb, nl, vectorOf(element), memref,
                                              at, mask, zero);
        };

        // Outputs do not depend on the reductions: any index will do.
        Value zeroIndex = arith::ConstantIndexOp::create(b, l, 0);
        for (unsigned d : reductions)
          ivs[d] = zeroIndex;
        // Outputs the body reads start from their current value; the others
        // (elementwise results) need no load.
        SmallVector<Value> accumulators;
        for (OpOperand &init : op.getDpsInitsMutable()) {
          Type element = getElementTypeOrSelf(init.get().getType());
          if (op.getMatchingBlockArgument(&init).use_empty())
            accumulators.push_back(arith::ConstantOp::create(
                b, l, cast<TypedAttr>(b.getZeroAttr(vectorOf(element)))));
          else
            accumulators.push_back(
                load(b, l, init.get(), op.getMatchingIndexingMap(&init)));
        }

        auto body = [&](OpBuilder &nb, Location nl, ValueRange innerIvs,
                        ValueRange accs) -> SmallVector<Value> {
          for (auto [d, iv] : llvm::zip(reductions, innerIvs))
            ivs[d] = iv;
          IRMapping mapping;
          Block *block = op.getBlock();
          for (OpOperand *input : op.getDpsInputOperands()) {
            AffineMap map = op.getMatchingIndexingMap(input);
            Value arg = block->getArgument(input->getOperandNumber());
            Value loaded;
            if (map.getNumResults() != 0 && map.isFunctionOfDim(row)) {
              loaded = load(nb, nl, input->get(), map);
            } else {
              Value scalar =
                  isa<MemRefType>(input->get().getType())
                      ? memref::LoadOp::create(nb, nl, input->get(),
                                               applyToLoops(nb, nl, map, ivs))
                            .getResult()
                      : input->get();
              loaded = vector::BroadcastOp::create(
                  nb, nl, vectorOf(scalar.getType()), scalar);
            }
            mapping.map(arg, loaded);
          }
          for (auto [i, acc] : llvm::enumerate(accs))
            mapping.map(block->getArgument(op.getNumDpsInputs() + i), acc);
          return vectorizeBody(nb, nl, op, mapping, ivs, row, lanes);
        };

        SmallVector<Value> results;
        if (reductions.empty()) {
          results = body(b, l, {}, accumulators);
        } else {
          SmallVector<Value> rlbs, rubs, rsteps;
          appendBounds(rewriter, loc, ranges, reductions, rlbs, rubs, rsteps);
          scf::LoopNest nest = scf::buildLoopNest(
              b, l, rlbs, rubs, rsteps, accumulators,
              [&](OpBuilder &nb, Location nl, ValueRange innerIvs,
                  ValueRange accs) { return body(nb, nl, innerIvs, accs); });
          results = nest.results;
          for (unsigned d : reductions)
            ivs[d] = zeroIndex;
        }
        for (auto [init, result] :
             llvm::zip(op.getDpsInitsMutable(), results)) {
          SmallVector<Value> at =
              applyToLoops(b, l, op.getMatchingIndexingMap(&init), ivs);
          // An optimizer update on threads: ask for the lines ahead.
          if (threads && chunks && at.size() == 1) {
            Value ahead = arith::AddIOp::create(
                b, l, at[0],
                arith::ConstantIndexOp::create(b, l, kPrefetchDistance));
            auto prefetch = memref::PrefetchOp::create(
                b, l, init.get(), ValueRange{ahead}, /*isWrite=*/true,
                /*localityHint=*/3, /*isDataCache=*/true);
            prefetch->setAttr(nnc::kThreadsOnlyAttr, b.getUnitAttr());
          }
          if (mask)
            vector::MaskedStoreOp::create(b, l, init.get(), at, mask, result);
          else
            vector::StoreOp::create(b, l, result, init.get(), at);
        }
      });
  if (Attribute mark = outer.empty() ? Attribute()
                                     : threadsMark(op, outer.front(), rewriter))
    rows.loops.front()->setAttr(kParallelAttr, mark);
  if (chunks)
    rewriter.setInsertionPointAfter(chunks);
  rewriter.eraseOp(op);
}

//===----------------------------------------------------------------------===//
// Max pooling over windows that tile the image's rows, on vectors
//===----------------------------------------------------------------------===//
//
// With stride = kernel, window j of an image row covers the columns
// [j * KW, (j + 1) * KW): a vector of L windows reads L * KW contiguous
// columns, and its KW members (column j * KW + kw of every window) are
// shuffles of that one read. Max pooling, its arg-max (nnc.window_argmax)
// and its gradient's write (nnc.window_scatter) then work on L windows at
// once; row by row they read the image at stride KW, which would otherwise
// be scalar or gather code. Reads and writes past the end of a row are out
// of bounds of the transfer (padding in, nothing out), so rows need not be
// multiples of L.

/// Windows at most this wide run on vectors (a read of 4 x 16 f32).
constexpr int64_t kMaxVectorWindowWidth = 4;

/// The kernel [KH, KW] of `op` if it is max pooling, its arg-max or its
/// gradient's write over windows that tile the image and are narrow enough,
/// on f32 / f64 images with unit inner strides.
std::optional<std::array<int64_t, 2>> tilingWindow(linalg::LinalgOp op) {
  std::array<int64_t, 2> kernel;
  if (auto pool = dyn_cast<linalg::PoolingNchwMaxOp>(op.getOperation())) {
    auto window = cast<MemRefType>(pool.getInputs()[1].getType());
    kernel = {window.getDimSize(0), window.getDimSize(1)};
    if (!llvm::all_of(pool.getDilations().getValues<int64_t>(),
                      [](int64_t d) { return d == 1; }) ||
        !llvm::equal(pool.getStrides().getValues<int64_t>(), kernel))
      return std::nullopt;
  } else if (auto attr =
                 op->getAttrOfType<DenseI64ArrayAttr>(kWindowArgMaxAttr)) {
    kernel = {attr[0], attr[1]};
  } else if (auto attr =
                 op->getAttrOfType<DenseI64ArrayAttr>(kWindowScatterAttr)) {
    kernel = {attr[0], attr[1]};
  } else {
    return std::nullopt;
  }
  if (kernel[1] > kMaxVectorWindowWidth)
    return std::nullopt;
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !hasUnitInnerStride(operand))
      return std::nullopt;
  }
  // The image's values: the first input, or dy after the scatter's arg-max.
  Type element = getElementTypeOrSelf(
      op.getDpsInputOperand(op->hasAttr(kWindowScatterAttr) ? 1 : 0)->get());
  if (!isa<Float32Type, Float64Type>(element))
    return std::nullopt;
  return kernel;
}

/// The KW members of `lanes` windows of image row (n, c, h) starting at
/// window `j`: member kw holds column (j + i) * KW + kw in lane i.
SmallVector<Value> windowMembers(OpBuilder &b, Location loc, Value image,
                                 ValueRange at, Value j, int64_t lanes,
                                 int64_t width, Value pad) {
  Type element = getElementTypeOrSelf(image);
  SmallVector<Value> indices(at);
  indices.push_back(arith::MulIOp::create(
      b, loc, j, arith::ConstantIndexOp::create(b, loc, width)));
  Value row = vector::TransferReadOp::create(
      b, loc, VectorType::get({lanes * width}, element), image, indices, pad,
      ArrayRef<bool>{false});
  SmallVector<Value> members;
  for (int64_t kw = 0; kw < width; ++kw) {
    SmallVector<int64_t> mask;
    for (int64_t i = 0; i < lanes; ++i)
      mask.push_back(i * width + kw);
    members.push_back(vector::ShuffleOp::create(b, loc, row, row, mask));
  }
  return members;
}

/// Member kw of `lanes` windows in lane i of members[kw], interleaved back
/// into columns: lane i * KW + kw.
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

/// The `linalg.fill` that last wrote `buffer` before `op`, if it is the
/// previous op of the block to use `buffer` at all (anything else, a view
/// or a loop that might write it, and there is no such fill).
linalg::FillOp precedingFill(Operation *op, Value buffer) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    bool uses = false;
    prev->walk([&](Operation *nested) {
      uses |= llvm::is_contained(nested->getOperands(), buffer);
    });
    if (!uses)
      continue;
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.getOutputs().front() == buffer)
      return fill;
    return nullptr;
  }
  return nullptr;
}

/// The constant every element of `buffer` holds when `op` runs, if a fill
/// just wrote it (the fill is then erased: the pooling ops below overwrite
/// every element); null otherwise.
TypedAttr takeFilledConstant(RewriterBase &rewriter, Operation *op,
                             Value buffer) {
  linalg::FillOp fill = precedingFill(op, buffer);
  if (!fill)
    return nullptr;
  auto constant = fill.getInputs().front().getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return nullptr;
  rewriter.eraseOp(fill);
  return constant.getValue();
}

/// A vector of `type` splatting `value`, as a constant of the body it is
/// built in (a value from outside an outlined parallel loop would reach it
/// as an opaque argument).
Value splatConstant(OpBuilder &b, Location loc, VectorType type,
                    TypedAttr value) {
  return arith::ConstantOp::create(b, loc, type,
                                   SplatElementsAttr::get(type, value));
}

/// Loops over (n, c, oh) of the pooled [N, C, OH, OW] `pooled`, the outer
/// one marked for threads when `op` is worth them.
void forEachPooledRow(
    RewriterBase &rewriter, linalg::LinalgOp op, Value pooled,
    function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  Location loc = op.getLoc();
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d = 0; d < 3; ++d) {
    lbs.push_back(arith::ConstantIndexOp::create(rewriter, loc, 0));
    ubs.push_back(getValueOrCreateConstantIndexOp(
        rewriter, loc, memref::getMixedSize(rewriter, loc, pooled, d)));
    steps.push_back(arith::ConstantIndexOp::create(rewriter, loc, 1));
  }
  scf::LoopNest nest = scf::buildLoopNest(rewriter, loc, lbs, ubs, steps, body);
  if (Attribute mark = threadsMark(op, 0, rewriter))
    nest.loops.front()->setAttr(kParallelAttr, mark);
}

/// Max pooling (`argMax` false: outputs[0] is the pooled image) or its
/// arg-max (outputs[0] the maxima, outputs[1] the positions kh * KW + kw of
/// each window's first maximum) of `image` over tiling windows, starting
/// from the outputs' values, on vectors of windows.
void lowerPoolRows(RewriterBase &rewriter, linalg::LinalgOp op,
                   std::array<int64_t, 2> kernel, bool argMax) {
  Value image = op.getDpsInputOperand(0)->get();
  Value maxima = op.getDpsInitOperand(0)->get();
  Value positions = argMax ? op.getDpsInitOperand(1)->get() : Value();
  Type element = getElementTypeOrSelf(image);
  int64_t lanes = kVectorBytes * 8 / element.getIntOrFloatBitWidth();
  int64_t width = kernel[1];
  int64_t windows = cast<MemRefType>(maxima.getType()).getDimSize(3);
  // Outputs filled with a constant just before (-inf and 0, as the nn
  // lowering does) start from that constant rather than a read of it:
  // LLVM's NaN- and signed-zero-exact maximum of two unknown values costs
  // several instructions more than one of a known -inf.
  auto valueType = VectorType::get({lanes}, element);
  auto positionType = VectorType::get({lanes}, rewriter.getI32Type());
  TypedAttr initialBest = takeFilledConstant(rewriter, op, maxima);
  TypedAttr initialWhere =
      argMax ? takeFilledConstant(rewriter, op, positions) : nullptr;
  forEachPooledRow(
      rewriter, op, maxima, [&](OpBuilder &b, Location l, ValueRange ivs) {
        Value n = ivs[0], c = ivs[1], oh = ivs[2];
        Value minusInf = arith::ConstantOp::create(
            b, l,
            b.getFloatAttr(element, -std::numeric_limits<double>::infinity()));
        for (int64_t j = 0; j < windows; j += lanes) {
          Value first = arith::ConstantIndexOp::create(b, l, j);
          SmallVector<Value> out{n, c, oh, first};
          Value best = initialBest ? splatConstant(b, l, valueType, initialBest)
                                   : vector::TransferReadOp::create(
                                         b, l, valueType, maxima, out, minusInf,
                                         ArrayRef<bool>{false})
                                         .getResult();
          Value where;
          if (argMax)
            where =
                initialWhere
                    ? splatConstant(b, l, positionType, initialWhere)
                    : vector::TransferReadOp::create(
                          b, l, positionType, positions, out,
                          arith::ConstantIntOp::create(b, l, b.getI32Type(), 0),
                          ArrayRef<bool>{false})
                          .getResult();
          for (int64_t kh = 0; kh < kernel[0]; ++kh) {
            Value h = arith::AddIOp::create(
                b, l,
                arith::MulIOp::create(
                    b, l, oh, arith::ConstantIndexOp::create(b, l, kernel[0])),
                arith::ConstantIndexOp::create(b, l, kh));
            SmallVector<Value> members =
                windowMembers(b, l, image, ValueRange{n, c, h}, first, lanes,
                              width, minusInf);
            for (auto [kw, v] : llvm::enumerate(members)) {
              if (!argMax) {
                best = arith::MaximumFOp::create(b, l, best, v);
                continue;
              }
              // Strictly greater, in row-major window order: the first
              // maximum wins, as in the generic's body.
              Value greater = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OGT, v, best);
              best = arith::SelectOp::create(b, l, greater, v, best);
              Value position = vector::BroadcastOp::create(
                  b, l, positionType,
                  arith::ConstantIntOp::create(b, l, b.getI32Type(),
                                               kh * width + int64_t(kw)));
              where = arith::SelectOp::create(b, l, greater, position, where);
            }
          }
          vector::TransferWriteOp::create(b, l, best, maxima, out,
                                          ArrayRef<bool>{false});
          if (argMax)
            vector::TransferWriteOp::create(b, l, where, positions, out,
                                            ArrayRef<bool>{false});
        }
      });
  rewriter.eraseOp(op);
}

/// The gradient's write (nnc.window_scatter): row kh of window row oh of
/// the [N, C, OH, KH, OW, KW] view of dx gets dy where the window's arg-max
/// is (kh, kw), interleaved over kw.
LogicalResult lowerScatterRows(RewriterBase &rewriter, linalg::LinalgOp op,
                               std::array<int64_t, 2> kernel) {
  Location loc = op.getLoc();
  Value argMax = op.getDpsInputOperand(0)->get();
  Value dy = op.getDpsInputOperand(1)->get();
  Value windows = op.getDpsInitOperand(0)->get();
  auto windowsType = cast<MemRefType>(windows.getType());
  if (windowsType.getRank() != 6 ||
      !memref::CollapseShapeOp::isGuaranteedCollapsible(
          windowsType, {{0}, {1}, {2}, {3}, {4, 5}}))
    return failure();
  // The image rows: [N, C, OH, KH, OW * KW].
  Value rows = memref::CollapseShapeOp::create(
      rewriter, loc, windows,
      SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3}, {4, 5}});
  Type element = getElementTypeOrSelf(dy);
  int64_t lanes = kVectorBytes * 8 / element.getIntOrFloatBitWidth();
  int64_t width = kernel[1];
  int64_t count = cast<MemRefType>(dy.getType()).getDimSize(3);
  forEachPooledRow(
      rewriter, op, dy, [&](OpBuilder &b, Location l, ValueRange ivs) {
        Value n = ivs[0], c = ivs[1], oh = ivs[2];
        Value zero =
            arith::ConstantOp::create(b, l, b.getFloatAttr(element, 0));
        auto valueType = VectorType::get({lanes}, element);
        auto positionType = VectorType::get({lanes}, b.getI32Type());
        Value zeros = vector::BroadcastOp::create(b, l, valueType, zero);
        for (int64_t j = 0; j < count; j += lanes) {
          Value first = arith::ConstantIndexOp::create(b, l, j);
          Value at = vector::TransferReadOp::create(
              b, l, positionType, argMax, ValueRange{n, c, oh, first},
              arith::ConstantIntOp::create(b, l, b.getI32Type(), -1),
              ArrayRef<bool>{false});
          Value grad = vector::TransferReadOp::create(
              b, l, valueType, dy, ValueRange{n, c, oh, first}, zero,
              ArrayRef<bool>{false});
          Value column = arith::ConstantIndexOp::create(b, l, j * width);
          for (int64_t kh = 0; kh < kernel[0]; ++kh) {
            SmallVector<Value> members;
            for (int64_t kw = 0; kw < width; ++kw) {
              Value position = vector::BroadcastOp::create(
                  b, l, positionType,
                  arith::ConstantIntOp::create(b, l, b.getI32Type(),
                                               kh * width + kw));
              Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                                at, position);
              members.push_back(
                  arith::SelectOp::create(b, l, hit, grad, zeros));
            }
            vector::TransferWriteOp::create(
                b, l, interleaveMembers(b, l, members, lanes), rows,
                ValueRange{n, c, oh, arith::ConstantIndexOp::create(b, l, kh),
                           column},
                ArrayRef<bool>{false});
          }
        }
      });
  rewriter.eraseOp(op);
  return success();
}

/// For the innermost loop of an interchanged op: its iterations are
/// independent (a parallel linalg dimension), which
/// nnc-tag-parallel-accesses tells LLVM through the access group once loads
/// and stores exist; vectorize it even below LLVM's tiny trip count, and do
/// not unroll it before: fully unrolled, it would become straight-line code
/// the SLP vectorizer leaves alone.
LLVM::LoopAnnotationAttr innerLoopAnnotation(MLIRContext *ctx) {
  auto no = BoolAttr::get(ctx, false), yes = BoolAttr::get(ctx, true);
  auto vectorize =
      LLVM::LoopVectorizeAttr::get(ctx, /*disable=*/no, {}, {}, {}, {}, {}, {});
  auto unroll =
      LLVM::LoopUnrollAttr::get(ctx, /*disable=*/yes, {}, {}, {}, {}, {}, {});
  return LLVM::LoopAnnotationAttr::get(ctx, {}, vectorize, {}, unroll, {}, {},
                                       {}, {}, {}, {}, {}, {}, {}, {},
                                       LLVM::AccessGroupAttr::get(ctx));
}

/// Interchanges `op` to `order` and lowers it to annotated loops.
LogicalResult lowerInterchanged(RewriterBase &rewriter, linalg::LinalgOp op,
                                ArrayRef<unsigned> order) {
  // Decided before `op` is generalized or interchanged (and erased).
  Attribute threads = threadsMark(op, order.front(), rewriter);
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic) {
    FailureOr<linalg::GenericOp> generalized =
        linalg::generalizeNamedOp(rewriter, op);
    if (failed(generalized))
      return success(); // keep the named op as it is
    generic = *generalized;
  }
  FailureOr<linalg::GenericOp> interchanged =
      linalg::interchangeGenericOp(rewriter, generic, order);
  if (failed(interchanged))
    return generic.emitError("could not interchange the loops of this op");
  FailureOr<linalg::LinalgLoops> loops =
      linalg::linalgOpToLoops(rewriter, *interchanged);
  if (failed(loops))
    return interchanged->emitError("could not lower this op to loops");
  rewriter.eraseOp(*interchanged);
  for (Operation *loop : *loops)
    if (auto forOp = dyn_cast<scf::ForOp>(loop))
      if (forOp.getBody()->getOps<scf::ForOp>().empty())
        forOp->setAttr("loop_annotation",
                       innerLoopAnnotation(rewriter.getContext()));
  if (!loops->empty() && threads)
    loops->front()->setAttr(kParallelAttr, threads);
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions along rows
//===----------------------------------------------------------------------===//
//
// An op that reduces the last dimension of its inputs into outputs indexed
// by the loops around it (the maximum and the sum of exponentials of each
// row of logits, a sum over the pixels of a channel) has no parallel loop
// along its inputs' rows, so it would run as scalar code accumulating
// through memory. Here each row is read as vectors (the last one masked),
// the body computes on them and combines into a vector of partial results,
// which one `vector.reduction` folds into the output at the end of the
// row. The combination order changes: lanes first, then across them.

/// The combining op of output `init` of `op`: the op the body yields for it,
/// taking the output's current value as one operand, which nothing else
/// reads; null when there is none or LLVM has no vector reduction for it.
Operation *rowCombiner(linalg::LinalgOp op, OpOperand &init) {
  BlockArgument acc = op.getMatchingBlockArgument(&init);
  Operation *yield = op.getBlock()->getTerminator();
  Value yielded =
      yield->getOperand(init.getOperandNumber() - op.getNumDpsInputs());
  Operation *combiner = yielded.getDefiningOp();
  if (!combiner || combiner->getBlock() != op.getBlock() ||
      combiner->getNumOperands() != 2 || !acc.hasOneUse() ||
      *acc.getUsers().begin() != combiner || !isa<FloatType>(acc.getType()) ||
      !isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp, arith::MinimumFOp,
           arith::MaxNumFOp, arith::MinNumFOp>(combiner) ||
      !linalg::getCombinerOpKind(combiner) ||
      !arith::getNeutralElement(combiner))
    return nullptr;
  return combiner;
}

/// Whether `op` reduces along the last dimension of its inputs as
/// reduceAlongRows lowers it: its trailing loops are its reductions, the
/// last with a static extent of at least kMinRowLength; every input that
/// depends on that loop reads it contiguously as its last dimension; every
/// output is a float indexed by the parallel loops only and combined as
/// rowCombiner says; the body is elementwise arithmetic.
bool canReduceAlongRows(linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || op.getNumLoops() < 2)
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned last = op.getNumLoops() - 1;
  int64_t length = op.getStaticLoopRanges()[last];
  if (iterators[last] != utils::IteratorType::reduction ||
      ShapedType::isDynamic(length) || length < kMinRowLength)
    return false;
  bool inReductions = false;
  for (utils::IteratorType it : iterators) {
    if (it == utils::IteratorType::reduction)
      inReductions = true;
    else if (inReductions)
      return false;
  }
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !isa<FloatType>(type.getElementType()) ||
        !hasUnitInnerStride(operand.get()))
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (op.isDpsInit(&operand)) {
      for (unsigned d = 0; d <= last; ++d)
        if (iterators[d] == utils::IteratorType::reduction &&
            map.isFunctionOfDim(d))
          return false;
      if (!rowCombiner(op, operand))
        return false;
      continue;
    }
    if (map.getNumResults() == 0 || !map.isFunctionOfDim(last))
      continue;
    for (AffineExpr expr : map.getResults().drop_back())
      if (expr.isFunctionOfDim(last))
        return false;
    std::optional<int64_t> step =
        stepOf(map.getResults().back(), last, op.getNumLoops());
    if (!step || *step != 1)
      return false;
  }
  return isVectorizableBody(op);
}

/// Lowers `op` (canReduceAlongRows) to loops over its parallel dimensions,
/// the outermost marked for threads as for rows, and, in each, loops over
/// its other reductions and over the last one in vectors, carrying one
/// vector of partial results per output.
void reduceAlongRows(RewriterBase &rewriter, linalg::LinalgOp op) {
  Location loc = op.getLoc();
  unsigned numLoops = op.getNumLoops();
  unsigned last = numLoops - 1;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<Range> ranges = op.createLoopRanges(rewriter, loc);
  int64_t rowLength = op.getStaticLoopRanges()[last];
  int64_t lanes = lanesFor(op);
  auto vectorOf = [&](Type element) {
    return VectorType::get({lanes}, element);
  };
  SmallVector<unsigned> outer, reductions;
  for (unsigned d = 0; d < last; ++d)
    (iterators[d] == utils::IteratorType::parallel ? outer : reductions)
        .push_back(d);
  SmallVector<Value> lbs, ubs, steps;
  appendBounds(rewriter, loc, ranges, outer, lbs, ubs, steps);
  SmallVector<Operation *> combiners;
  for (OpOperand &init : op.getDpsInitsMutable())
    combiners.push_back(rowCombiner(op, init));
  Block *block = op.getBlock();

  scf::LoopNest rows = scf::buildLoopNest(
      rewriter, loc, lbs, ubs, steps,
      [&](OpBuilder &b, Location l, ValueRange outerIvs) {
        SmallVector<Value> ivs(numLoops);
        for (auto [d, iv] : llvm::zip(outer, outerIvs))
          ivs[d] = iv;
        Value zeroIndex = arith::ConstantIndexOp::create(b, l, 0);
        // Vectors of the combiners' neutral elements.
        SmallVector<Value> neutral;
        for (Operation *combiner : combiners)
          neutral.push_back(
              splatConstant(b, l, vectorOf(combiner->getResult(0).getType()),
                            *arith::getNeutralElement(combiner)));

        auto chunk = [&](OpBuilder &nb, Location nl, Value column,
                         ValueRange accs) -> SmallVector<Value> {
          ivs[last] = column;
          Value mask;
          if (rowLength % lanes != 0) {
            Value left = arith::SubIOp::create(
                nb, nl, arith::ConstantIndexOp::create(nb, nl, rowLength),
                column);
            mask = vector::CreateMaskOp::create(
                nb, nl, VectorType::get({lanes}, nb.getI1Type()),
                ValueRange{left});
          }
          IRMapping mapping;
          for (OpOperand *input : op.getDpsInputOperands()) {
            AffineMap map = op.getMatchingIndexingMap(input);
            Value arg = block->getArgument(input->getOperandNumber());
            Type element = getElementTypeOrSelf(input->get().getType());
            Value loaded;
            if (map.getNumResults() != 0 && map.isFunctionOfDim(last)) {
              SmallVector<Value> at = applyToLoops(nb, nl, map, ivs);
              if (mask)
                loaded = vector::MaskedLoadOp::create(
                    nb, nl, vectorOf(element), input->get(), at, mask,
                    arith::ConstantOp::create(
                        nb, nl,
                        cast<TypedAttr>(nb.getZeroAttr(vectorOf(element)))));
              else
                loaded = vector::LoadOp::create(nb, nl, vectorOf(element),
                                                input->get(), at);
            } else {
              Value scalar = memref::LoadOp::create(
                  nb, nl, input->get(), applyToLoops(nb, nl, map, ivs));
              loaded = vector::BroadcastOp::create(nb, nl, vectorOf(element),
                                                   scalar);
            }
            mapping.map(arg, loaded);
          }
          for (auto [i, acc] : llvm::enumerate(accs))
            mapping.map(block->getArgument(op.getNumDpsInputs() + i), acc);
          // Masked-off lanes contribute the neutral element.
          auto maskOff = [&](Operation &inner,
                             function_ref<Value(Value)> lookup) {
            auto combiner = llvm::find(combiners, &inner);
            if (!mask || combiner == combiners.end())
              return;
            unsigned i = combiner - combiners.begin();
            BlockArgument acc = block->getArgument(op.getNumDpsInputs() + i);
            unsigned other = inner.getOperand(0) == acc ? 1 : 0;
            Value operand = lookup(inner.getOperand(other));
            mapping.map(
                inner.getOperand(other),
                arith::SelectOp::create(nb, nl, mask, operand, neutral[i]));
          };
          return vectorizeBody(nb, nl, op, mapping, ivs, last, lanes, maskOff);
        };

        auto row = [&](OpBuilder &nb, Location nl, ValueRange innerIvs,
                       ValueRange accs) -> SmallVector<Value> {
          for (auto [d, iv] : llvm::zip(reductions, innerIvs))
            ivs[d] = iv;
          auto columns = scf::ForOp::create(
              nb, nl, arith::ConstantIndexOp::create(nb, nl, 0),
              arith::ConstantIndexOp::create(nb, nl, rowLength),
              arith::ConstantIndexOp::create(nb, nl, lanes), accs,
              [&](OpBuilder &cb, Location cl, Value column, ValueRange cAccs) {
                scf::YieldOp::create(cb, cl, chunk(cb, cl, column, cAccs));
              });
          return columns.getResults();
        };
        SmallVector<Value> partial;
        if (reductions.empty()) {
          partial = row(b, l, {}, neutral);
        } else {
          SmallVector<Value> rlbs, rubs, rsteps;
          appendBounds(rewriter, loc, ranges, reductions, rlbs, rubs, rsteps);
          partial = scf::buildLoopNest(b, l, rlbs, rubs, rsteps, neutral, row)
                        .results;
        }
        for (unsigned d : reductions)
          ivs[d] = zeroIndex;
        ivs[last] = zeroIndex;
        for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
          SmallVector<Value> at =
              applyToLoops(b, l, op.getMatchingIndexingMap(&init), ivs);
          Value current = memref::LoadOp::create(b, l, init.get(), at);
          Value result = vector::ReductionOp::create(
              b, l, *linalg::getCombinerOpKind(combiners[i]), partial[i],
              current, arith::FastMathFlags::reassoc);
          memref::StoreOp::create(b, l, result, init.get(), at);
        }
      });
  if (!outer.empty())
    if (Attribute mark = threadsMark(op, outer.front(), rewriter))
      rows.loops.front()->setAttr(kParallelAttr, mark);
  rewriter.eraseOp(op);
}

/// Lowers `op` to loops in its own order, as convert-linalg-to-loops would,
/// when its outermost loop is worth running on threads, and marks that
/// loop (pooling, arg-max and other ops whose rows are strided).
LogicalResult lowerWithThreads(RewriterBase &rewriter, linalg::LinalgOp op) {
  Attribute threads =
      op.getNumLoops() == 0 ? Attribute() : threadsMark(op, 0, rewriter);
  if (!threads)
    return success();
  FailureOr<linalg::LinalgLoops> loops = linalg::linalgOpToLoops(rewriter, op);
  if (failed(loops))
    return op.emitError("could not lower this op to loops");
  rewriter.eraseOp(op);
  if (!loops->empty())
    loops->front()->setAttr(kParallelAttr, threads);
  return success();
}

/// Whether `op` is a transpose that leaves the last dimension in place
/// (the packing of a matrix product's right-hand side into strips of
/// columns, packed[n / nr, k, n % nr]): row for row a copy, which
/// vectorizes as one, where convert-linalg-to-loops would move one float
/// at a time (a 512 x 512 operand: 262144 scalar loads and stores).
bool keepsRows(linalg::LinalgOp op) {
  auto transpose = dyn_cast<linalg::TransposeOp>(op.getOperation());
  return transpose && !transpose.getPermutation().empty() &&
         transpose.getPermutation().back() ==
             int64_t(transpose.getPermutation().size()) - 1;
}

/// Whether `op` is a transpose of floats that swaps its last two
/// dimensions and keeps the others in place: a weight w[n, k] that a
/// product reads as w^T, packed into k x n (or into strips of nr columns,
/// [n / nr, n % nr, k] -> [n / nr, k, n % nr]; see nnc-tile-contractions).
bool swapsLastTwo(linalg::LinalgOp op) {
  auto transpose = dyn_cast<linalg::TransposeOp>(op.getOperation());
  if (!transpose ||
      !isa<FloatType>(getElementTypeOrSelf(transpose.getInput().getType())))
    return false;
  ArrayRef<int64_t> permutation = transpose.getPermutation();
  int64_t rank = permutation.size();
  if (rank < 2)
    return false;
  for (int64_t d = 0; d + 2 < rank; ++d)
    if (permutation[d] != d)
      return false;
  return permutation[rank - 2] == rank - 1 && permutation[rank - 1] == rank - 2;
}

/// Lowers a transpose of the last two dimensions (swapsLastTwo) to loops
/// over square tiles of L x L elements, L a vector's lanes: each tile is
/// read as L row vectors, transposed in registers (`vector.transpose`,
/// which the lowering to LLVM turns into the unpack and lane shuffles of a
/// 16 x 16 f32 transpose) and written as L row vectors. Tiles at the end
/// of a dimension that L does not divide are masked. Left to
/// convert-linalg-to-loops, LLVM vectorized the copy with a gather per 8
/// elements: a 512 x 512 weight took about 280 us, most of a batch-1
/// training step of a 784-512-512-10 MLP. The outermost loop runs on
/// threads when the op is large enough (threadsMark).
void lowerTransposeTiles(RewriterBase &rewriter, linalg::TransposeOp op,
                         bool threads) {
  Location loc = op.getLoc();
  Value input = op.getInput(), init = op.getInit();
  auto type = cast<MemRefType>(input.getType());
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  int64_t lanes = lanesFor(op);
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d = 0; d < rank; ++d) {
    lbs.push_back(arith::ConstantIndexOp::create(rewriter, loc, 0));
    ubs.push_back(getValueOrCreateConstantIndexOp(
        rewriter, loc, memref::getMixedSize(rewriter, loc, input, d)));
    steps.push_back(arith::ConstantIndexOp::create(
        rewriter, loc, d + 2 < rank ? 1 : lanes));
  }
  // A dimension that whole tiles cover needs no masks.
  auto whole = [&](int64_t d) {
    return !type.isDynamicDim(d) && type.getDimSize(d) % lanes == 0;
  };
  SmallVector<bool> readInBounds{whole(rank - 2), whole(rank - 1)};
  SmallVector<bool> writeInBounds{whole(rank - 1), whole(rank - 2)};
  auto tileType = VectorType::get({lanes, lanes}, element);
  // What a masked read gives past the ends (never written back).
  Value padding =
      arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(element));
  scf::LoopNest nest = scf::buildLoopNest(
      rewriter, loc, lbs, ubs, steps,
      [&](OpBuilder &b, Location l, ValueRange ivs) {
        Value tile = vector::TransferReadOp::create(
            b, l, tileType, input, ivs, padding, ArrayRef<bool>(readInBounds));
        Value transposed = vector::TransposeOp::create(
            b, l, tile, ArrayRef<int64_t>{1, 0});
        SmallVector<Value> at(ivs);
        std::swap(at[rank - 2], at[rank - 1]);
        vector::TransferWriteOp::create(b, l, transposed, init, at,
                                        ArrayRef<bool>(writeInBounds));
      });
  // The op's loops are the output's dimensions: the outermost loop here
  // runs over the input's first, the output's first too unless the op is
  // 2-D.
  if (threads && !nest.loops.empty())
    if (Attribute mark = threadsMark(op, rank > 2 ? 0 : 1, rewriter);
        isa_and_nonnull<UnitAttr>(mark))
      nest.loops.front()->setAttr(kParallelAttr, mark);
  rewriter.eraseOp(op);
}

struct VectorizeRowsPass : nnc::impl::VectorizeRowsPassBase<VectorizeRowsPass> {
  using VectorizeRowsPassBase::VectorizeRowsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() &&
          (isa<linalg::GenericOp, linalg::CopyOp, linalg::MapOp,
               linalg::BroadcastOp>(op) ||
           keepsRows(op) || swapsLastTwo(op) ||
           linalg::isaContractionOpInterface(op) ||
           linalg::isaConvolutionOpInterface(op)))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      rewriter.setInsertionPoint(op);
      if (swapsLastTwo(op)) {
        lowerTransposeTiles(rewriter, cast<linalg::TransposeOp>(op), threads);
        continue;
      }
      // A transpose of the outer dimensions is a copy of rows; a broadcast
      // is an elementwise op of its input.
      if (isa<linalg::TransposeOp, linalg::BroadcastOp>(op)) {
        FailureOr<linalg::GenericOp> generic =
            linalg::generalizeNamedOp(rewriter, op);
        if (failed(generic))
          continue;
        op = *generic;
        rewriter.setInsertionPoint(op);
      }
      if (std::optional<std::array<int64_t, 2>> kernel = tilingWindow(op)) {
        if (op->hasAttr(kWindowScatterAttr)) {
          if (succeeded(lowerScatterRows(rewriter, op, *kernel)))
            continue;
        } else {
          lowerPoolRows(rewriter, op, *kernel,
                        /*argMax=*/op->hasAttr(kWindowArgMaxAttr));
          continue;
        }
      }
      op = flattenElementwise(rewriter, op);
      rewriter.setInsertionPoint(op);
      std::optional<unsigned> row = chooseRowLoop(op);
      if (!row && canReduceAlongRows(op)) {
        reduceAlongRows(rewriter, op);
        continue;
      }
      if (!row) {
        if (failed(lowerWithThreads(rewriter, op)))
          return signalPassFailure();
        continue;
      }
      if (canVectorizeRows(op, *row)) {
        vectorizeRows(rewriter, op, *row, threads);
        continue;
      }
      SmallVector<unsigned> order = rowOrder(op, *row);
      if (llvm::equal(order, llvm::seq<unsigned>(0, order.size()))) {
        // Already in that order: convert-linalg-to-loops, or here when
        // its outer loop runs on threads.
        if (failed(lowerWithThreads(rewriter, op)))
          return signalPassFailure();
        continue;
      }
      // Loads in the body (gathers) would not vectorize well.
      if (!llvm::all_of(op.getBlock()->getOperations(),
                        [](Operation &o) { return isMemoryEffectFree(&o); }))
        continue;
      if (failed(lowerInterchanged(rewriter, op, order)))
        return signalPassFailure();
    }
  }
};

} // namespace
