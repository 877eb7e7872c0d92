//===- TileContractions.cpp - Register-tiled matrix products ----*- C++ -*-===//
//
// Every matrix product of a model (dense layers forwards and backwards, the
// recurrent products, optimizer-free contractions in general: any linalg op
// with one m, one n and one reduction dimension k and a multiply-add body)
// becomes, on tensors, a nest of loops around a register tile:
//  - an operand read across n with a stride (`dy x W^T`) is first packed
//    into k x n order by a `linalg.transpose`, so that every tile reads rows;
//  - the op is tiled for the caches (TilingInterface, scf::tileUsingSCF):
//    n and k by divisors of their extent that keep a k x n panel of the
//    right-hand side within half of L2 and a k x nr strip within half of L1;
//    where the right-hand side's rows are a page or more apart and many row
//    tiles share it, or where it is a transpose made for the product, it
//    is packed into strips of nr columns whose rows follow each other
//    (packRhsStrips), which the tiles then read;
//  - then into mr x nr x 1 register tiles (mr rows of 2 vector registers, nr
//    = 2 vector widths), the loops over m and n peeled so that the main tiles
//    are static and vectorize without masks; what the peeling leaves over in
//    m (at most mr - 1 rows, dynamic for a dynamic batch) is tiled by single
//    rows, which are vectors as well: no scalar remainder. Products without
//    cache tiles are first tiled 4 nr wide; whole row tiles split that into
//    nr, single rows keep it (8 accumulators rather than 2 whose FMAs wait
//    on each other: the products of a batch of 1). Their loop over those
//    column blocks goes outside the rows when the right-hand side exceeds
//    half of L2 (a wide layer with its bias and activation fused), so that
//    each block is read once for all rows; from pack-min-rows rows of the
//    batch (known at run time), the weight is packed in strips first and
//    the register tiles' loops over k read it there, in a second version
//    of those loops;
//  - every static tile is vectorized to `vector.contract`, the accumulator is
//    hoisted out of the k loop into registers (loop-invariant subset
//    hoisting), and the contraction is lowered to outer products, i.e. mr
//    broadcasts and mr x 2 FMAs per step of k.
// Windowed products get register tiles of the same kind: a convolution
// (`linalg.conv_2d_nchw_fchw` with a unit stride along the width) is tiled
// by one image, 8 filters and one output row, and every loop over (c, kh,
// kw) steps by one, so that once the unit loops of a step are dropped
// (linalg's dropUnitDims) the step is a matrix product of a filter column
// and a contiguous input row: 8 broadcasts and FMAs per row vector. The
// partial sums of a filter gradient (Conv.cpp) are tiled by 8 filters and
// a whole row, accumulated over the batch and the rows. Rows that are not a
// whole number of registers (28 = 16 + 12) are vectorized in whole
// registers, the transfers running past the row's end (masked loads and
// stores) and the extra lanes never stored, so no row needs 16 + 8 + 4-lane
// pieces. The bias and elementwise consumers are fused as for products:
// the chain of elementwise ops that each read the previous result alone,
// and also an activation of a result that something else reads later (the
// relu of a pre-activation a skip connection reads too), the tiles then
// writing both.
// Vector width and cache sizes come from the pass options, which the
// pipeline derives from the target CPU; lanes and bytes are those of the
// product's elements (f32, or f64 with --f64: 8 doubles to a 512-bit
// register, register tiles 16 columns wide).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace nnc {
#define GEN_PASS_DEF_TILECONTRACTIONSPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using nnc::kParallelAttr;

namespace {

/// Marks the register tiles this pass creates until they are vectorized.
constexpr llvm::StringLiteral kRegisterTile = "nnc.register_tile";

/// The loop dimensions of a plain matrix product.
struct MatmulDims {
  unsigned m, n, k;
};

/// The m, n and k loops of `op` if it is a product of two matrices whose
/// result is indexed (m, n); the operands may be read transposed.
std::optional<MatmulDims> matchMatmul(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 3 || !op.hasPureTensorSemantics() ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || !dims->batch.empty())
    return std::nullopt;
  MatmulDims result{dims->m[0], dims->n[0], dims->k[0]};
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() != 2 || !out.getResult(0).isFunctionOfDim(result.m) ||
      !out.getResult(1).isFunctionOfDim(result.n) ||
      !isa<AffineDimExpr>(out.getResult(0)) ||
      !isa<AffineDimExpr>(out.getResult(1)))
    return std::nullopt;
  return result;
}

/// The groups of loops to fold into one so that `op` becomes a product of
/// matrices: its m loops, its n loops and its k loops, where any spans
/// several loops that are consecutive and contiguous in every operand (no
/// batch). An m or n group must have static extents: a result indexed by
/// the dynamic batch times something else would be a buffer the workspace
/// plan cannot size per example. A k group may include the batch (the
/// weight gradients of a recurrent layer sum over examples and steps).
std::optional<SmallVector<ReassociationIndices>>
collapsibleProductDims(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() <= 3 || !op.hasPureTensorSemantics() ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty() ||
      !dims->batch.empty())
    return std::nullopt;
  SmallVector<ReassociationIndices> groups;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  auto dynamic = [&](unsigned loop) {
    return ShapedType::isDynamic(extents[loop]);
  };
  for (auto [loops, reduced] : {std::pair(ArrayRef(dims->m), false),
                                std::pair(ArrayRef(dims->n), false),
                                std::pair(ArrayRef(dims->k), true)}) {
    if (loops.size() < 2 || (!reduced && llvm::any_of(loops, dynamic)))
      continue;
    ReassociationIndices group(loops.begin(), loops.end());
    for (auto [i, loop] : llvm::enumerate(group))
      if (loop != group.front() + int64_t(i))
        return std::nullopt;
    groups.push_back(group);
  }
  if (groups.empty() ||
      !linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), groups))
    return std::nullopt;
  return groups;
}

/// Whether the body of `op` is out + in0 * in1 (in either order).
bool isMultiplyAdd(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getNumOperands() == 1
                 ? yield.getOperand(0).getDefiningOp<arith::AddFOp>()
                 : nullptr;
  if (!add || body->getOperations().size() != 3)
    return false;
  Value acc = body->getArgument(2);
  Value other = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  auto mul = other.getDefiningOp<arith::MulFOp>();
  if (!mul || (add.getLhs() != acc && add.getRhs() != acc))
    return false;
  Value a = body->getArgument(0), b = body->getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

/// A step of a product tile (k = 1) in generic form, out + lhs * rhs with
/// lhs read as (m, k) or (k, m) and rhs as (k, n), in either order, as
/// `linalg.matmul` (lhs [1, m] reshaped to [m, 1], the same elements): the
/// vectorizer turns named contractions into `vector.contract`, i.e. FMAs,
/// where a generic one would become separate multiplies and adds.
linalg::MatmulOp asMatmulStep(RewriterBase &rewriter, linalg::GenericOp op) {
  if (op.getNumLoops() != 3 || op.getNumDpsInputs() != 2 || !isMultiplyAdd(op))
    return nullptr;
  // The result is (m, n); k is the other loop, of one step.
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() != 2 || !isa<AffineDimExpr>(out.getResult(0)) ||
      !isa<AffineDimExpr>(out.getResult(1)))
    return nullptr;
  MLIRContext *ctx = op.getContext();
  AffineExpr m = out.getResult(0), n = out.getResult(1);
  unsigned kPos = 3 - cast<AffineDimExpr>(m).getPosition() -
                  cast<AffineDimExpr>(n).getPosition();
  if (m == n || kPos > 2 || op.getStaticLoopRanges()[kPos] != 1)
    return nullptr;
  AffineExpr k = getAffineDimExpr(kPos, ctx);
  // Either input may be the right-hand side, read (k, n) (a convolution's
  // step has its input row first).
  OpOperand *lhs = op.getDpsInputOperand(0), *rhs = op.getDpsInputOperand(1);
  AffineMap rhsMap = AffineMap::get(3, 0, {k, n}, ctx);
  if (op.getMatchingIndexingMap(rhs) != rhsMap)
    std::swap(lhs, rhs);
  if (op.getMatchingIndexingMap(rhs) != rhsMap)
    return nullptr;
  AffineMap lhsMap = op.getMatchingIndexingMap(lhs);
  Value lhsValue = lhs->get();
  Location loc = op.getLoc();
  if (lhsMap == AffineMap::get(3, 0, {k, m}, ctx)) {
    auto type = cast<RankedTensorType>(lhsValue.getType());
    int64_t rows = type.getDimSize(1);
    Value flat = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get({rows}, type.getElementType()),
        lhsValue, ArrayRef<ReassociationIndices>{{0, 1}});
    lhsValue = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({rows, 1}, type.getElementType()),
        flat, ArrayRef<ReassociationIndices>{{0, 1}});
  } else if (lhsMap != AffineMap::get(3, 0, {m, k}, ctx)) {
    return nullptr;
  }
  return linalg::MatmulOp::create(rewriter, loc, op->getResultTypes(),
                                  ValueRange{lhsValue, rhs->get()},
                                  ValueRange{op.getDpsInitOperand(0)->get()});
}

/// Whether operand `operand` of `op` is a matrix whose last dimension is
/// loop `dim`.
bool lastDimensionIs(linalg::LinalgOp op, OpOperand &operand, unsigned dim) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  return map.getNumResults() == 2 &&
         map.getResult(1) == getAffineDimExpr(dim, op.getContext());
}

/// How a windowed product (a convolution, or the partial sums of a filter
/// gradient) is cut into register tiles: the tile size of each parallel
/// loop (0: untiled; every reduction loop then steps by one) and the
/// reduction loop kept as the k of a matrix product once the unit loops of
/// a tile are dropped. Without one, the tile is an elementwise multiply-add.
struct WindowTiling {
  SmallVector<int64_t> sizes;
  std::optional<unsigned> keep;
};

/// The loop c of `linalg.conv_2d_nchw_fchw` (n, f, oh, ow, c, kh, kw).
constexpr unsigned kConvInputChannelLoop = 4;

/// Whether `expr` (linear in the loops) steps by one with loop `dim`.
bool hasUnitStride(AffineExpr expr, unsigned dim, unsigned numLoops) {
  MLIRContext *ctx = expr.getContext();
  SmallVector<AffineExpr> at(numLoops, getAffineConstantExpr(0, ctx));
  auto evaluate = [&](int64_t value) {
    at[dim] = getAffineConstantExpr(value, ctx);
    auto result = dyn_cast<AffineConstantExpr>(
        simplifyAffineExpr(expr.replaceDims(at), numLoops, 0));
    return result ? std::optional<int64_t>(result.getValue()) : std::nullopt;
  };
  std::optional<int64_t> zero = evaluate(0), one = evaluate(1);
  return zero && one && *one - *zero == 1;
}

/// Whether every loop but the batch (loop 0) has a static extent.
bool staticButBatch(ArrayRef<int64_t> extents) {
  return llvm::none_of(extents.drop_front(),
                       [](int64_t e) { return ShapedType::isDynamic(e); });
}

/// Register tiles of `linalg.conv_2d_nchw_fchw`, loops (n, f, oh, ow, c, kh,
/// kw): one image, up to 8 filters and one output row, whole (or two vector
/// widths of it). Each step over (c, kh, kw) is then a rank-1 update: 8
/// filter values broadcast, times one contiguous input row, which needs a
/// unit stride along the width.
std::optional<WindowTiling> matchConvolution(linalg::LinalgOp op,
                                             int64_t lanes) {
  if (!isa<linalg::Conv2DNchwFchwOp>(op.getOperation()) ||
      !op.hasPureTensorSemantics())
    return std::nullopt;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  AffineMap input = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  if (!staticButBatch(extents) ||
      !hasUnitStride(input.getResults().back(), 3, op.getNumLoops()))
    return std::nullopt;
  return WindowTiling{{1, std::min<int64_t>(extents[1], 8), 1,
                       std::min<int64_t>(extents[3], 2 * lanes), 0, 0, 0},
                      kConvInputChannelLoop};
}

/// Register tiles of the partial sums of a filter gradient (Conv.cpp),
/// loops ([g,] f, c, kh, kw, ow; n, oh) over P[[g,] f, c, kh, kw, ow] +=
/// x[n, [g,] c, oh s + kh d, ow s + kw d] * dy[n, [g,] f, oh, ow]: up to 8
/// filters by a whole row of ow, accumulated in registers over the batch
/// and the rows. Each step reads 8 rows of dy and one of x (unit stride
/// along the width again).
std::optional<WindowTiling> matchFilterGradient(linalg::LinalgOp op,
                                                int64_t lanes) {
  unsigned numLoops = op.getNumLoops();
  if (!isa<linalg::GenericOp>(op.getOperation()) ||
      !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || (numLoops != 7 && numLoops != 8) ||
      op.getNumReductionLoops() != 2 || !isMultiplyAdd(op))
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  if (iterators[numLoops - 1] != utils::IteratorType::reduction ||
      iterators[numLoops - 2] != utils::IteratorType::reduction)
    return std::nullopt;
  unsigned first = numLoops - 7, ow = numLoops - 3;
  MLIRContext *ctx = op.getContext();
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  AffineMap x = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap dy = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  if (out != AffineMap::getMultiDimIdentityMap(numLoops, ctx)
                 .getMajorSubMap(numLoops - 2) ||
      dy.getResults().back() != getAffineDimExpr(ow, ctx) ||
      !hasUnitStride(x.getResults().back(), ow, numLoops) ||
      ShapedType::isDynamic(extents[ow]) || extents[ow] > 2 * lanes ||
      ShapedType::isDynamic(extents[first]))
    return std::nullopt;
  SmallVector<int64_t> sizes(numLoops, 1);
  sizes[first] = std::min<int64_t>(extents[first], 8);
  sizes[ow] = extents[ow];
  sizes[numLoops - 1] = sizes[numLoops - 2] = 0;
  return WindowTiling{sizes, std::nullopt};
}

/// Rewrites a product that reads its right-hand side as rhs[n, k] into one
/// that reads a packed transpose rhs^T[k, n].
void packTransposedRhs(RewriterBase &rewriter, linalg::LinalgOp op,
                       MatmulDims dims) {
  OpOperand &rhs = *op.getDpsInputOperand(1);
  if (lastDimensionIs(op, rhs, dims.n))
    return;
  Location loc = op.getLoc();
  // Right after the operand's definition: out of the loops (over time, say)
  // in which it is invariant.
  rewriter.setInsertionPointAfterValue(rhs.get());
  auto type = cast<RankedTensorType>(rhs.get().getType());
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(rewriter, loc, rhs.get());
  std::swap(sizes[0], sizes[1]);
  Value empty =
      tensor::EmptyOp::create(rewriter, loc, sizes, type.getElementType());
  Value packed = linalg::TransposeOp::create(rewriter, loc, rhs.get(), empty,
                                             ArrayRef<int64_t>{1, 0})
                     .getResult()[0];
  rewriter.setInsertionPoint(op);
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[1] = AffineMap::get(
      3, 0, {getAffineDimExpr(dims.k, ctx), getAffineDimExpr(dims.n, ctx)},
      ctx);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, op->getResultTypes(),
      ValueRange{op.getDpsInputOperand(0)->get(), packed},
      ValueRange{op.getDpsInitOperand(0)->get()}, maps,
      op.getIteratorTypesArray());
  rewriter.inlineRegionBefore(op->getRegion(0), generic.getRegion(),
                              generic.getRegion().begin());
  rewriter.replaceOp(op, generic->getResults());
}

/// Whether `op` reads its right-hand side rhs[k, n] plainly (not
/// transposed).
bool isPlainRhs(linalg::LinalgOp op, MatmulDims dims) {
  MLIRContext *ctx = op.getContext();
  return op.getMatchingIndexingMap(op.getDpsInputOperand(1)) ==
         AffineMap::get(
             3, 0,
             {getAffineDimExpr(dims.k, ctx), getAffineDimExpr(dims.n, ctx)},
             ctx);
}

/// When a plain right-hand side is packed (the pass options
/// `pack-row-bytes` and `pack-min-row-tiles`): its rows are `rowBytes` or
/// more apart (by default a page, at which the hardware prefetchers stop)
/// and at least `minRowTiles` row tiles share it, so that packing (a pass
/// over the whole operand) pays; a product of a batch of rows, whose size is
/// known only at run time and may be 1, is not packed here (a wide layer's
/// is, from pack-min-rows rows: versionPackedLoops).
struct PackingThresholds {
  int64_t rowBytes;
  int64_t minRowTiles;
};

/// The right-hand side rhs[k, n] of a cache-tiled product in strips of nr
/// columns, each strip's rows one after the other: packed[n / nr, k, n % nr]
/// (a reshape and a `linalg.transpose`), built right after the operand's
/// definition. A register tile then reads kc x nr contiguous floats instead
/// of kc rows a row of rhs apart. Where that row is a page or more, every
/// row of a strip is on a page of its own, at which the caches' prefetchers
/// stop, and the packing pays for itself many times (1024^3: from 0.73 to
/// 0.95 of oneDNN's speed); with narrower rows it gains nothing (512^3:
/// 1.000 of oneDNN's speed packed, 1.003 not). So a plain rhs is packed
/// only where `thresholds` say so: rows a page or more apart, shared by at
/// least 32 row tiles of mr rows, by default. A rhs that packTransposedRhs
/// made, rhs = w^T for w[n, k], is packed whenever n is a whole number of
/// strips: straight from w, in place of that transpose, which costs as
/// much. Null where nothing is packed.
Value packRhsStrips(RewriterBase &rewriter, linalg::LinalgOp op,
                    MatmulDims dims, int64_t mr, int64_t nr,
                    PackingThresholds thresholds) {
  OpOperand &rhs = *op.getDpsInputOperand(1);
  auto type = cast<RankedTensorType>(rhs.get().getType());
  if (!isPlainRhs(op, dims) || !type.hasStaticShape() ||
      type.getDimSize(1) % nr != 0)
    return nullptr;
  int64_t k = type.getDimSize(0), strips = type.getDimSize(1) / nr;
  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  auto packed = [&](Value source, ArrayRef<int64_t> expandedShape,
                    ArrayRef<ReassociationIndices> groups,
                    ArrayRef<int64_t> permutation) {
    Value expanded = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get(expandedShape, type.getElementType()), source,
        groups);
    Value empty = tensor::EmptyOp::create(rewriter, loc, {strips, k, nr},
                                          type.getElementType());
    return linalg::TransposeOp::create(rewriter, loc, expanded, empty,
                                       permutation)
        .getResult()[0];
  };
  // w^T, transposed for this product alone: w[n, k] -> [n / nr, n % nr, k]
  // -> [n / nr, k, n % nr].
  auto transpose = rhs.get().getDefiningOp<linalg::TransposeOp>();
  if (transpose && rhs.get().hasOneUse() &&
      transpose.getPermutation() == ArrayRef<int64_t>{1, 0}) {
    Value w = transpose.getInput();
    rewriter.setInsertionPoint(transpose);
    return packed(w, {strips, nr, k}, {{0, 1}, {2}}, {0, 2, 1});
  }
  int64_t rows = op.getStaticLoopRanges()[dims.m];
  if (ShapedType::isDynamic(rows) || rows < thresholds.minRowTiles * mr ||
      type.getDimSize(1) * type.getElementTypeBitWidth() / 8 <
          thresholds.rowBytes)
    return nullptr;
  rewriter.setInsertionPointAfterValue(rhs.get());
  return packed(rhs.get(), {k, strips, nr}, {{0}, {1, 2}}, {1, 0, 2});
}

/// The slice of `packed` (packRhsStrips: rhs in strips of nr columns) that
/// holds `tile`, a chain of unit-stride slices of `rhs` k rows by nr
/// columns starting at a column that is a multiple of nr (the rows may be
/// dynamic: k is the batch in a weight gradient); null if `tile` is not
/// such a chain.
Value packedSlice(RewriterBase &rewriter, Location loc, Value tile, Value rhs,
                  Value packed, int64_t nr) {
  auto tileType = dyn_cast<RankedTensorType>(tile.getType());
  if (!tileType || tileType.getRank() != 2 || tileType.isDynamicDim(1) ||
      tileType.getDimSize(1) != nr)
    return nullptr;
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr d0, d1;
  bindDims(ctx, d0, d1);
  OpFoldResult rows = tensor::getMixedSize(rewriter, loc, tile, 0);
  OpFoldResult row = rewriter.getIndexAttr(0), column = row;
  Value value = tile;
  while (value != rhs) {
    auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || !slice.hasUnitStride() ||
        slice.getSourceType().getRank() != 2 ||
        slice.getResultType().getRank() != 2)
      return nullptr;
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
    row = affine::makeComposedFoldedAffineApply(rewriter, loc, d0 + d1,
                                                {row, offsets[0]});
    column = affine::makeComposedFoldedAffineApply(rewriter, loc, d0 + d1,
                                                   {column, offsets[1]});
    value = slice.getSource();
  }
  // Tiles of n are whole strips: nr divides every column offset.
  OpFoldResult strip = affine::makeComposedFoldedAffineApply(
      rewriter, loc, d0.floorDiv(nr), {column});
  auto packedType = cast<RankedTensorType>(packed.getType());
  return tensor::ExtractSliceOp::create(
      rewriter, loc, tileType, packed,
      SmallVector<OpFoldResult>{strip, row, rewriter.getIndexAttr(0)},
      SmallVector<OpFoldResult>{rewriter.getIndexAttr(1), rows,
                                rewriter.getIndexAttr(nr)},
      SmallVector<OpFoldResult>(packedType.getRank(),
                                rewriter.getIndexAttr(1)));
}

/// Makes register tile `op` read its k x nr slice of the right-hand side
/// `rhs` from `packed` (packedSlice), where it can.
void readPackedStrip(RewriterBase &rewriter, linalg::LinalgOp op, Value rhs,
                     Value packed, int64_t nr) {
  OpOperand &operand = *op.getDpsInputOperand(1);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  if (Value slice = packedSlice(rewriter, op.getLoc(), operand.get(), rhs,
                                packed, nr))
    rewriter.modifyOpInPlace(op, [&] { operand.set(slice); });
}

/// Tile sizes in the product's loop order (0: not tiled).
SmallVector<int64_t> loopSizes(MatmulDims dims, int64_t m, int64_t n,
                               int64_t k) {
  SmallVector<int64_t> sizes(3, 0);
  sizes[dims.m] = m;
  sizes[dims.n] = n;
  sizes[dims.k] = k;
  return sizes;
}

/// The largest divisor of `extent` that is a multiple of `multiple` and at
/// most `limit`; 0 (no tiling) when the whole extent fits or none exists.
int64_t chooseTile(int64_t extent, int64_t multiple, int64_t limit) {
  if (ShapedType::isDynamic(extent) || extent <= limit)
    return 0;
  for (int64_t t = limit - limit % multiple; t >= multiple; t -= multiple)
    if (extent % t == 0)
      return t;
  return 0;
}

/// Whether `consumer` can take a tile of `value` (a product's result, or
/// the previous consumer's, of rank `rank`) directly: two parallel loops,
/// identity maps for the outputs and for `value`, broadcasts or identities
/// for anything else it reads (bias, residual, the forward activation of a
/// backward step).
bool fitsTile(linalg::GenericOp consumer, Value value, int64_t rank) {
  if (consumer.getNumLoops() != rank || consumer.getNumParallelLoops() != rank)
    return false;
  for (OpOperand &init : consumer.getDpsInitsMutable())
    if (!consumer.getMatchingIndexingMap(&init).isIdentity())
      return false;
  for (OpOperand *input : consumer.getDpsInputOperands()) {
    AffineMap map = consumer.getMatchingIndexingMap(input);
    if (!map.isProjectedPermutation() ||
        (input->get() == value && !map.isIdentity()))
      return false;
  }
  return true;
}

/// The elementwise ops that consume `product`'s result, one after the other
/// (each the only user of the previous result), and that a tile of the
/// product can feed directly (fitsTile), with as many loops as the
/// product's result has dimensions. An op with several results ends the
/// chain.
///
/// When the product's result has other users, its first user may still
/// start the chain if it is an activation (an op of that result alone, with
/// one result): a pre-activation that a skip connection reads too (relu's
/// gradient reads the relu's result, not this). The tiles
/// then write the product's result as well (see tileAndFuse). Other
/// results with a second user are not fused, even when that user is the
/// function's return: fusing the optimizer update into the tiles of a
/// weight gradient (which the train step also returns) was measured slower
/// (the MLP's train step at batch 1: 65 us fused, 39 us not).
SmallVector<linalg::GenericOp> elementwiseConsumers(linalg::LinalgOp product) {
  SmallVector<linalg::GenericOp> chain;
  Value value = product->getResult(0);
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  if (!value.hasOneUse() && !value.use_empty()) {
    Operation *first = nullptr;
    for (Operation *user : value.getUsers())
      if (user->getBlock() == product->getBlock() &&
          (!first || user->isBeforeInBlock(first)))
        first = user;
    auto activation = dyn_cast_or_null<linalg::GenericOp>(first);
    if (!activation || activation.getNumDpsInputs() != 1 ||
        activation->getNumResults() != 1 ||
        !fitsTile(activation, value, rank) ||
        llvm::any_of(value.getUsers(), [&](Operation *user) {
          return user->getBlock() != product->getBlock();
        }))
      return chain;
    chain.push_back(activation);
    value = activation->getResult(0);
  }
  while (value.hasOneUse()) {
    auto consumer = dyn_cast<linalg::GenericOp>(*value.getUsers().begin());
    if (!consumer || !fitsTile(consumer, value, rank))
      break;
    chain.push_back(consumer);
    if (consumer->getNumResults() != 1)
      break;
    value = consumer->getResult(0);
  }
  return chain;
}

/// Whether `op` initialises the accumulator of a product: a fill or a
/// broadcast (the bias of a dense layer).
bool isAccumulatorInit(Operation *op) {
  return isa_and_nonnull<linalg::FillOp, linalg::BroadcastOp>(op);
}

/// A vector v of N values broadcast to M x N and transposed (the bias of a
/// convolution's tile, one value per filter row) as v viewed N x 1 and
/// broadcast along its rows: each row a splat of one value, where the
/// transpose would be lowered to shuffles.
struct BroadcastColumn : OpRewritePattern<vector::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    auto broadcast = transpose.getVector().getDefiningOp<vector::BroadcastOp>();
    auto source = broadcast ? dyn_cast<VectorType>(broadcast.getSourceType())
                            : VectorType();
    VectorType result = transpose.getResultVectorType();
    if (!source || source.getRank() != 1 || result.getRank() != 2 ||
        transpose.getPermutation() != ArrayRef<int64_t>{1, 0} ||
        result.getDimSize(0) != source.getDimSize(0))
      return failure();
    Value column = vector::ShapeCastOp::create(
        rewriter, transpose.getLoc(),
        VectorType::get({source.getDimSize(0), 1}, source.getElementType()),
        broadcast.getSource());
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(transpose, result, column);
    return success();
  }
};

/// a + b * c on vectors as one `vector.fma`: the multiply-adds of
/// elementwise tiles (a filter gradient's) then compile to FMAs like the
/// outer products do, without allowing LLVM to contract anything else.
struct FuseMultiplyAdd : OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp add,
                                PatternRewriter &rewriter) const override {
    if (!isa<VectorType>(add.getType()))
      return failure();
    for (auto [product, addend] : {std::pair(add.getLhs(), add.getRhs()),
                                   std::pair(add.getRhs(), add.getLhs())}) {
      auto mul = product.getDefiningOp<arith::MulFOp>();
      if (!mul || !mul->hasOneUse())
        continue;
      rewriter.replaceOpWithNewOp<vector::FMAOp>(add, mul.getLhs(),
                                                 mul.getRhs(), addend);
      return success();
    }
    return failure();
  }
};

/// Whether the results of `map` are broadcasts (0) and the innermost
/// dimensions in order, as in (d0, d1, d2) -> (0, d1, d2) or (d0) -> (0, d0).
bool isMinorWithBroadcasts(AffineMap map) {
  SmallVector<unsigned> dims;
  for (AffineExpr result : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(result)) {
      dims.push_back(dim.getPosition());
      continue;
    }
    auto constant = dyn_cast<AffineConstantExpr>(result);
    if (!constant || constant.getValue() != 0)
      return false;
  }
  unsigned first = map.getNumDims() - dims.size();
  for (auto [i, dim] : llvm::enumerate(dims))
    if (dim != first + i)
      return false;
  return true;
}

/// Drops the constant masks that vectorizing a tile with rows rounded up to
/// whole registers puts on its ops, where they say no more than the shapes:
///  - a transfer at constant indices of a static tensor whose mask is the
///    part of the vector inside the tensor becomes an unmasked transfer that
///    may run out of bounds (LLVM lowers it to a masked load or store);
///  - a contraction masked only along parallel dimensions computes the
///    extra lanes too, which are never stored.
/// Unmasked, the accumulator's transfers are subsets that loop-invariant
/// subset hoisting keeps in registers across the loop over k.
struct UnmaskWholeTile : OpRewritePattern<vector::MaskOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::MaskOp mask,
                                PatternRewriter &rewriter) const override {
    auto constant = mask.getMask().getDefiningOp<vector::ConstantMaskOp>();
    Operation *op = mask.getMaskableOp();
    if (!constant || !op || mask.getPassthru())
      return failure();
    ArrayRef<int64_t> maskSizes = constant.getMaskDimSizes();
    if (auto contract = dyn_cast<vector::ContractionOp>(op)) {
      auto iterators = contract.getIteratorTypesArray();
      SmallVector<int64_t> bounds;
      contract.getIterationBounds(bounds);
      for (auto [iterator, bound, size] :
           llvm::zip(iterators, bounds, maskSizes))
        if (iterator == vector::IteratorType::reduction && size != bound)
          return failure();
    } else if (auto transfer = dyn_cast<VectorTransferOpInterface>(op)) {
      auto shaped = dyn_cast<ShapedType>(transfer.getBase().getType());
      AffineMap map = transfer.getPermutationMap();
      if (!shaped || !shaped.hasStaticShape() || !isMinorWithBroadcasts(map))
        return failure();
      // The mask has one dimension per vector dimension that is not a
      // broadcast, in order.
      VectorType vector = transfer.getVectorType();
      SmallVector<bool> inBounds;
      unsigned next = 0;
      for (int64_t d = 0, e = vector.getRank(); d < e; ++d) {
        auto dim = dyn_cast<AffineDimExpr>(map.getResult(d));
        if (!dim) {
          inBounds.push_back(true);
          continue;
        }
        std::optional<int64_t> index =
            getConstantIntValue(transfer.getIndices()[dim.getPosition()]);
        if (!index || next >= maskSizes.size())
          return failure();
        int64_t inside =
            std::clamp<int64_t>(shaped.getDimSize(dim.getPosition()) - *index,
                                0, vector.getDimSize(d));
        if (maskSizes[next++] != inside)
          return failure();
        inBounds.push_back(inside == vector.getDimSize(d));
      }
      if (next != maskSizes.size())
        return failure();
      rewriter.setInsertionPoint(mask);
      Operation *unmasked = rewriter.clone(*op);
      unmasked->setAttr("in_bounds", rewriter.getBoolArrayAttr(inBounds));
      rewriter.replaceOp(mask, unmasked->getResults());
      return success();
    } else {
      return failure();
    }
    rewriter.setInsertionPoint(mask);
    Operation *unmasked = rewriter.clone(*op);
    rewriter.replaceOp(mask, unmasked->getResults());
    return success();
  }
};

/// A read of exactly what the previous write of a tile put there is that
/// vector, also where the transfers run past the tensor (UnmaskWholeTile):
/// the lanes outside hold padding on one side and values on the other, but
/// no write of a tile ever stores them. (Upstream folds only in-bounds
/// pairs.) This keeps the accumulator's initial value (a bias) in registers.
struct ForwardWholeTileWrite : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    auto write = read.getBase().getDefiningOp<vector::TransferWriteOp>();
    if (!write || isa<vector::MaskOp>(read->getParentOp()) ||
        isa<vector::MaskOp>(write->getParentOp()) || read.getMask() ||
        write.getMask() || write.getVectorType() != read.getVectorType() ||
        write.getPermutationMap() != read.getPermutationMap() ||
        write.getIndices() != read.getIndices() ||
        write.getInBoundsValues() != read.getInBoundsValues() ||
        llvm::all_of(read.getInBoundsValues(), [](bool b) { return b; }))
      return failure();
    rewriter.replaceOp(read, write.getVector());
    return success();
  }
};

/// Collects into `group` the ops computed on each tile of `product`: the
/// product, its accumulator's initialisation when nothing else uses it, and
/// `consumers`; returns the last of them, the op whose tiles drive the
/// fusion.
Operation *fusionGroup(linalg::LinalgOp product,
                       ArrayRef<linalg::GenericOp> consumers,
                       llvm::SmallPtrSetImpl<Operation *> &group) {
  group.insert(product);
  Operation *init = product.getDpsInitOperand(0)->get().getDefiningOp();
  if (isAccumulatorInit(init) && init->hasOneUse())
    group.insert(init);
  Operation *root = product;
  for (linalg::GenericOp consumer : consumers) {
    group.insert(consumer);
    root = consumer;
  }
  return root;
}

/// How many register tiles (of 2 vectors) wide the tiles of a product
/// without cache tiles are at first.
constexpr int64_t kWideRow = 4;

/// Marks the ops of a fused tile (other than the product) until they are
/// vectorized, and the op whose tile the others feed.
constexpr llvm::StringLiteral kVectorTile = "nnc.vector_tile";
constexpr llvm::StringLiteral kFusedRoot = "nnc.fused_root";
/// Marks the ops of a windowed product's tile (nnc.register_tile for the
/// product itself, nnc.vector_tile for the others), whose unit loops are
/// dropped before they are vectorized.
constexpr llvm::StringLiteral kWindow = "nnc.window_tile";
/// Marks a loop whose register tiles read their right-hand side packed in
/// strips: a unit attribute for a weight gradient's (packMarkedRhs), the
/// dimension of the left-hand side that gives the rows for a wide layer's,
/// packed from pack-min-rows rows (versionPackedLoops).
constexpr llvm::StringLiteral kPackRhs = "nnc.pack_rhs";
/// Marks the register tiles of a wide layer, then their loops over k, until
/// versionPackedLoops runs those in two versions.
constexpr llvm::StringLiteral kVersionTile = "nnc.version_tile";
constexpr llvm::StringLiteral kVersionLoop = "nnc.version_loop";
/// Marks a tile whose rows are vectorized in whole vector registers, the
/// last one masked (a row of 28 as two registers, not 16 + 8 + 4 lanes).
constexpr llvm::StringLiteral kMaskedRows = "nnc.masked_rows";

struct TileContractionsPass
    : nnc::impl::TileContractionsPassBase<TileContractionsPass> {
  using TileContractionsPassBase::TileContractionsPassBase;

  /// Elements of `op`'s result (the first) that one vector register holds,
  /// and their bytes: f32 unless the model is compiled with --f64.
  static Type elementType(linalg::LinalgOp op) {
    return getElementTypeOrSelf(op.getDpsInitOperand(0)->get());
  }
  static int64_t elementBytes(linalg::LinalgOp op) {
    Type element = elementType(op);
    return element.isIntOrFloat()
               ? std::max<int64_t>(element.getIntOrFloatBitWidth() / 8, 1)
               : 4;
  }
  int64_t lanes(linalg::LinalgOp op) const {
    return std::max<int64_t>(vectorBits / 8 / elementBytes(op), 1);
  }

  /// Tiles `op` by `sizes` (in loop order, 0 = untiled) and returns the tiled
  /// op and its loops.
  FailureOr<scf::SCFTilingResult>
  tile(RewriterBase &rewriter, linalg::LinalgOp op, ArrayRef<int64_t> sizes) {
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), sizes));
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, result->replacements);
    return result;
  }

  /// Tiles `root` by `sizes` and computes, in each tile, the tiles of the
  /// producers `fuse` accepts. Tags the tiled product kRegisterTile, the
  /// other tiled ops kVectorTile and the tiled root kFusedRoot.
  FailureOr<SmallVector<LoopLikeOpInterface>>
  tileAndFuse(RewriterBase &rewriter, Operation *root, ArrayRef<int64_t> sizes,
              function_ref<bool(Operation *)> fuse,
              ArrayRef<int64_t> interchange = {}) {
    scf::SCFTilingOptions tiling;
    tiling.setTileSizes(getAsIndexOpFoldResult(root->getContext(), sizes));
    if (!interchange.empty())
      tiling.setInterchange(interchange);
    // Fused ops whose results are read outside the group too (a
    // pre-activation a skip connection reads) are written by the tiles as
    // well.
    llvm::SmallPtrSet<Operation *, 4> readElsewhere;
    for (Operation &op : *root->getBlock())
      if (&op != root && fuse(&op) &&
          llvm::any_of(op.getUsers(),
                       [&](Operation *user) { return !fuse(user); }))
        readElsewhere.insert(&op);
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tiling);
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp, OpResult producer, bool)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (!fuse(producer.getOwner()))
            return std::nullopt;
          return scf::SCFTileAndFuseOptions::ControlFnResult{
              readElsewhere.contains(producer.getOwner())};
        });
    rewriter.setInsertionPoint(root);
    FailureOr<scf::SCFTileAndFuseResult> result =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(root), options);
    if (failed(result))
      return failure();
    // Uses before the loops (the sizes the loops were built from) keep the
    // original value, which then folds away.
    Operation *outer = result->loops.front().getOperation();
    for (auto [value, replacement] : result->replacements)
      rewriter.replaceUsesWithIf(value, replacement, [&](OpOperand &use) {
        Operation *user =
            outer->getBlock()->findAncestorOpInBlock(*use.getOwner());
        return !user || outer->isBeforeInBlock(user);
      });
    for (Operation *op : result->tiledAndFusedOps) {
      auto linalgOp = cast<linalg::LinalgOp>(op);
      bool product = op->hasAttr(kWindow) ? linalgOp.getNumReductionLoops() > 0
                                          : matchMatmul(linalgOp).has_value();
      op->setAttr(product ? kRegisterTile : kVectorTile,
                  rewriter.getUnitAttr());
    }
    result->tiledAndFusedOps.front()->setAttr(kFusedRoot,
                                              rewriter.getUnitAttr());
    return result->loops;
  }

  /// Peels every loop of `loops` so that the main tiles are static. Inner
  /// loops go first, so that the remainder of an outer loop (the rows a
  /// dynamic batch leaves over) runs the inner loops already peeled.
  void peel(RewriterBase &rewriter, ArrayRef<LoopLikeOpInterface> loops) {
    for (LoopLikeOpInterface loop : llvm::reverse(loops)) {
      scf::ForOp partial;
      (void)scf::peelForLoopAndSimplifyBounds(
          rewriter, cast<scf::ForOp>(loop.getOperation()), partial);
    }
  }

  /// A product small enough to run without cache tiles, with its
  /// accumulator's initialisation and its elementwise consumers computed on
  /// each of its register tiles: the result tile goes from registers
  /// through the consumers to memory once. The loop over row tiles is
  /// outermost (the threads' loop), or, with `columnsOuter`, the loop over
  /// blocks of `nr` columns: each block's k x nr slice of the right-hand
  /// side is then read once for all row tiles. With `packRhs` (at the
  /// function's top level) the register tiles read the right-hand side
  /// packed in strips (kPackRhs); a wide layer's, from enough rows of the
  /// batch (versionPackedLoops).
  LogicalResult tileFused(RewriterBase &rewriter, linalg::LinalgOp product,
                          MatmulDims dims,
                          ArrayRef<linalg::GenericOp> consumers, int64_t mr,
                          int64_t nr, bool columnsOuter = false,
                          bool packRhs = false) {
    llvm::SmallPtrSet<Operation *, 8> group;
    Operation *root = fusionGroup(product, consumers, group);
    // The root's loops are (m, n) in the product's order of m and n.
    SmallVector<int64_t> sizes = root == product.getOperation()
                                     ? loopSizes(dims, mr, nr, 0)
                                     : SmallVector<int64_t>{mr, nr};
    // Column blocks outside: the loop over n first, for a consumer root
    // (an elementwise op over (m, n)) or for the product itself (a weight
    // gradient, whose k loop stays inside its tiles).
    SmallVector<int64_t> interchange;
    if (columnsOuter && root != product.getOperation()) {
      interchange = {1, 0};
    } else if (columnsOuter) {
      interchange = {dims.n, dims.m};
      for (unsigned loop = 0; loop < product.getNumLoops(); ++loop)
        if (loop != dims.m && loop != dims.n)
          interchange.push_back(loop);
    }
    std::optional<unsigned> lhsRows =
        product.getMatchingIndexingMap(product.getDpsInputOperand(0))
            .getResultPosition(getAffineDimExpr(dims.m, product.getContext()));
    int64_t columns = product.getStaticLoopRanges()[dims.n];
    auto loops = tileAndFuse(
        rewriter, root, sizes,
        [&](Operation *op) { return group.contains(op); }, interchange);
    if (failed(loops))
      return failure();
    peel(rewriter, *loops);
    // Row tiles (or column blocks) are independent: each writes its own
    // rows (columns); nnc-parallelize-tiles may run them on several threads.
    auto outer = cast<scf::ForOp>((*loops).front().getOperation());
    outer->setAttr(kParallelAttr, rewriter.getUnitAttr());
    // A packed right-hand side only at the function's top level, where the
    // pack's buffer is made outside every loop.
    if (!isa<func::FuncOp>(outer->getParentOp()))
      return success();
    if (packRhs)
      outer->setAttr(kPackRhs, rewriter.getUnitAttr());
    else if (columnsOuter && lhsRows && columns % nr == 0)
      outer->setAttr(kPackRhs, rewriter.getI64IntegerAttr(*lhsRows));
    return success();
  }

  /// `rhs` (a k x n matrix of the function's body: a weight, or an output
  /// gradient over the batch) packed in strips of nr columns,
  /// [n / nr, k, nr], for the loop `marked`: written right before it, into a
  /// buffer made before the op of the body that holds it (an allocation of
  /// the entry block once bufferized, as the workspace plan wants); only
  /// where `condition` holds, if there is one (the buffer is read only
  /// then).
  Value buildPack(RewriterBase &rewriter, func::FuncOp func,
                  Operation *marked, Value rhs, int64_t nr, Value condition) {
    auto type = cast<RankedTensorType>(rhs.getType());
    int64_t k = type.getDimSize(0), strips = type.getDimSize(1) / nr;
    Location loc = marked->getLoc();
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(
        func.getBody().front().findAncestorOpInBlock(*marked));
    SmallVector<Value> dynamic;
    if (ShapedType::isDynamic(k))
      dynamic.push_back(tensor::DimOp::create(rewriter, loc, rhs, 0));
    Value empty = tensor::EmptyOp::create(rewriter, loc, {strips, k, nr},
                                          type.getElementType(), dynamic);
    rewriter.setInsertionPoint(marked);
    auto pack = [&](OpBuilder &b, Location loc) {
      Value expanded = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({k, strips, nr}, type.getElementType()),
          rhs, SmallVector<ReassociationIndices>{{0}, {1, 2}});
      return linalg::TransposeOp::create(b, loc, expanded, empty,
                                         ArrayRef<int64_t>{1, 0, 2})
          .getResult()[0];
    };
    if (!condition)
      return pack(rewriter, loc);
    return scf::IfOp::create(
               rewriter, loc, condition,
               [&](OpBuilder &b, Location loc) {
                 scf::YieldOp::create(b, loc, pack(b, loc));
               },
               [&](OpBuilder &b, Location loc) {
                 scf::YieldOp::create(b, loc, empty);
               })
        .getResult(0);
  }

  /// The loop marked kPackRhs around `op`, if any.
  static Operation *packMark(Operation *op) {
    Operation *marked = op->getParentOp();
    while (marked && !marked->hasAttr(kPackRhs))
      marked = marked->getParentOp();
    return marked;
  }

  /// Makes every register tile nested in a loop marked kPackRhs (unit: a
  /// weight gradient's) read its right-hand side packed (buildPack), and
  /// tags those of loops marked with a dimension (a wide layer's, whose
  /// packing depends on the batch: versionPackedLoops) kVersionTile.
  void packMarkedRhs(RewriterBase &rewriter, func::FuncOp func) {
    DenseMap<std::pair<Operation *, Value>, Value> packs;
    forEachTagged(func, kRegisterTile, [&](Operation *op) {
      Operation *marked = packMark(op);
      if (!marked)
        return;
      auto product = cast<linalg::LinalgOp>(op);
      // Register tiles of 2 vectors; the single rows a dynamic batch leaves
      // over keep their wider tiles and the matrix itself.
      int64_t nr = 2 * lanes(product);
      Value tile = product.getDpsInputOperand(1)->get();
      auto tileType = dyn_cast<RankedTensorType>(tile.getType());
      if (!tileType || tileType.getRank() != 2 || tileType.isDynamicDim(1) ||
          tileType.getDimSize(1) != nr)
        return;
      if (isa<IntegerAttr>(marked->getAttr(kPackRhs))) {
        op->setAttr(kVersionTile, rewriter.getUnitAttr());
        return;
      }
      Value rhs = packedRoot(func, tile, nr);
      if (!rhs)
        return;
      Value &packed = packs[{marked, rhs}];
      if (!packed)
        packed = buildPack(rewriter, func, marked, rhs, nr, nullptr);
      readPackedStrip(rewriter, product, rhs, packed, nr);
    });
    func.walk([&](Operation *op) {
      if (isa_and_nonnull<UnitAttr>(op->getAttr(kPackRhs)))
        op->removeAttr(kPackRhs);
    });
  }

  /// The matrix a right-hand side tile slices, if it can be packed for
  /// tiles nr wide: a value of the function's body, n static and a multiple
  /// of nr, k static or the batch.
  static Value packedRoot(func::FuncOp func, Value tile, int64_t nr) {
    Value rhs = tile;
    while (auto slice = rhs.getDefiningOp<tensor::ExtractSliceOp>())
      rhs = slice.getSource();
    auto type = dyn_cast<RankedTensorType>(rhs.getType());
    if (!type || type.getRank() != 2 || type.isDynamicDim(1) ||
        type.getDimSize(1) % nr != 0 ||
        rhs.getParentRegion() != &func.getBody())
      return nullptr;
    return rhs;
  }

  /// Runs each k loop of a register tile tagged kVersionLoop (a wide
  /// layer's, see tileFused) in two versions chosen by the batch at run
  /// time: from pack-min-rows rows, reading the weight packed in strips
  /// (buildPack, which packs it only then); with fewer, the weight itself.
  /// Unpacked, a weight of 4 KiB rows puts every k row of a register tile's
  /// strip on a page of its own, where the prefetchers stop, and in the same
  /// L1 sets (784-1024-1024-10 MLP, forward pass at batch 64: 2.16 -> 1.85
  /// ms); packing it costs a pass over the whole weight, which a batch of 1
  /// would pay for one row (133 -> 651 us). The versions differ only in
  /// their loops over k, which carry the accumulators in registers: the
  /// rest of the nest, and what bufferization sees, stays one.
  void versionPackedLoops(RewriterBase &rewriter, func::FuncOp func) {
    DenseMap<Operation *, Value> conditions;
    DenseMap<std::pair<Operation *, Value>, Value> packs;
    forEachTagged(func, kVersionLoop, [&](Operation *op) {
      op->removeAttr(kVersionLoop);
      auto loop = cast<scf::ForOp>(op);
      Operation *marked = packMark(loop);
      if (!marked)
        return;
      // The slices the loop reads of values from outside: the rows of the
      // left-hand side tile and the right-hand side tile (1 x nr a step).
      Value lhsTile, rhsTile;
      int64_t nr = 0;
      for (auto slice : loop.getBody()->getOps<tensor::ExtractSliceOp>()) {
        Value source = slice.getSource();
        if (loop->isAncestor(source.getParentRegion()->getParentOp()))
          continue;
        RankedTensorType type = slice.getResultType();
        if (type.getRank() != 2)
          continue;
        if (type.getDimSize(0) == 1 && !type.isDynamicDim(1)) {
          rhsTile = source;
          nr = type.getDimSize(1);
        } else if (type.getDimSize(1) == 1) {
          lhsTile = source;
        }
      }
      if (!lhsTile || !rhsTile)
        return;
      Value rhs = packedRoot(func, rhsTile, nr);
      Value lhs = lhsTile;
      while (auto slice = lhs.getDefiningOp<tensor::ExtractSliceOp>())
        lhs = slice.getSource();
      if (!rhs || lhs.getParentRegion() != &func.getBody())
        return;
      Location loc = loop.getLoc();
      Value &many = conditions[marked];
      if (!many) {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPoint(
            func.getBody().front().findAncestorOpInBlock(*marked));
        Value rows = tensor::DimOp::create(
            rewriter, loc, lhs,
            cast<IntegerAttr>(marked->getAttr(kPackRhs)).getInt());
        many = arith::CmpIOp::create(
            rewriter, loc, arith::CmpIPredicate::sge, rows,
            arith::ConstantIndexOp::create(rewriter, loc, packMinRows));
      }
      Value &packed = packs[{marked, rhs}];
      if (!packed)
        packed = buildPack(rewriter, func, marked, rhs, nr, many);
      rewriter.setInsertionPoint(loop);
      Value strip = packedSlice(rewriter, loc, rhsTile, rhs, packed, nr);
      if (!strip)
        return;
      IRMapping mapping;
      mapping.map(rhsTile, strip);
      auto branch = scf::IfOp::create(
          rewriter, loc, many,
          [&](OpBuilder &b, Location loc) {
            scf::YieldOp::create(b, loc, b.clone(*loop, mapping)->getResults());
          },
          [&](OpBuilder &b, Location loc) {});
      rewriter.replaceAllUsesWith(loop.getResults(), branch.getResults());
      Block *unpacked = branch.elseBlock();
      rewriter.moveOpBefore(loop, unpacked, unpacked->end());
      rewriter.setInsertionPointToEnd(unpacked);
      scf::YieldOp::create(rewriter, loc, loop.getResults());
    });
    func.walk([&](Operation *op) { op->removeAttr(kPackRhs); });
  }

  /// A windowed product tiled as `tiling` says, with its accumulator's
  /// initialisation and its elementwise consumers fused into each tile as
  /// for small matrix products. The tiles of every op of the group are
  /// tagged kWindow (the tiles inherit the tag of the op).
  LogicalResult tileWindow(RewriterBase &rewriter, linalg::LinalgOp product,
                           const WindowTiling &tiling,
                           ArrayRef<linalg::GenericOp> consumers) {
    llvm::SmallPtrSet<Operation *, 8> group;
    Operation *root = fusionGroup(product, consumers, group);
    for (Operation *op : group)
      op->setAttr(kWindow, rewriter.getUnitAttr());
    // The product's result is indexed by its leading (parallel) loops, in
    // order, as are the consumers' loops.
    ArrayRef<int64_t> sizes = tiling.sizes;
    if (root != product.getOperation())
      sizes = sizes.take_front(cast<linalg::LinalgOp>(root).getNumLoops());
    auto loops = tileAndFuse(rewriter, root, sizes,
                             [&](Operation *op) { return group.contains(op); });
    if (failed(loops))
      return failure();
    // Loops of unit steps (over the batch, say) have nothing to peel.
    SmallVector<LoopLikeOpInterface> partial;
    for (LoopLikeOpInterface loop : *loops)
      if (getConstantIntValue(
              cast<scf::ForOp>(loop.getOperation()).getStep()) != 1)
        partial.push_back(loop);
    peel(rewriter, partial);
    // The outermost loop with more than one iteration runs on threads (a
    // filter gradient of 8 filters has one tile of filters, but 3 rows of
    // its window).
    for (LoopLikeOpInterface loop : *loops) {
      auto forOp = cast<scf::ForOp>(loop.getOperation());
      std::optional<int64_t> lb = getConstantIntValue(forOp.getLowerBound()),
                             ub = getConstantIntValue(forOp.getUpperBound()),
                             step = getConstantIntValue(forOp.getStep());
      if (lb && ub && step && *ub - *lb <= *step)
        continue;
      forOp->setAttr(kParallelAttr, rewriter.getUnitAttr());
      break;
    }
    return success();
  }

  /// Drops the unit loops of a windowed tile but `keep`, leaving a matrix
  /// product (when `keep` is a reduction loop) or an elementwise op that
  /// vectorizes without masks or gathers; tags the result kVectorTile.
  void dropWindowUnitLoops(RewriterBase &rewriter, linalg::LinalgOp op,
                           std::optional<unsigned> keep) {
    rewriter.setInsertionPoint(op);
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic) {
      FailureOr<linalg::GenericOp> generalized =
          linalg::generalizeNamedOp(rewriter, op);
      if (failed(generalized))
        return;
      generic = *generalized;
    }
    linalg::ControlDropUnitDims control;
    control.rankReductionStrategy =
        linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
    control.controlFn = [keep](Operation *op) {
      SmallVector<unsigned> dims;
      for (unsigned d = 0, e = cast<linalg::GenericOp>(op).getNumLoops(); d < e;
           ++d)
        if (d != keep)
          dims.push_back(d);
      return dims;
    };
    FailureOr<linalg::DropUnitDimsResult> dropped =
        linalg::dropUnitDims(rewriter, generic, control);
    Operation *result = generic;
    if (succeeded(dropped)) {
      rewriter.replaceOp(generic, dropped->replacements);
      result = dropped->resultOp;
    }
    // A convolution's step is now a product of the filter column (f x 1)
    // and the input row (1 x ow): asMatmulStep makes it a `linalg.matmul`
    // before it is vectorized.
    result->removeAttr(kWindow);
    result->setAttr(kVectorTile, rewriter.getUnitAttr());
    result->setAttr(kMaskedRows, rewriter.getUnitAttr());
  }

  /// Vector sizes for the loops of `op`, the loop along its result rows
  /// rounded up to whole vector registers; empty when nothing is rounded.
  SmallVector<int64_t> maskedVectorSizes(linalg::LinalgOp op) {
    AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (out.getNumResults() == 0)
      return {};
    auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
    SmallVector<int64_t> sizes = op.getStaticLoopRanges();
    if (!last)
      return {};
    int64_t &row = sizes[last.getPosition()];
    int64_t rounded = llvm::alignTo(row, lanes(op));
    if (rounded == row || row < lanes(op) / 2)
      return {};
    row = rounded;
    return sizes;
  }

  /// The k panel of a large product: a kc x nr strip of the right-hand
  /// side (elements of `bytes`) within half of L1 (every row tile rereads
  /// it); 0 when all of k fits.
  int64_t kPanel(int64_t k, int64_t nr, int64_t bytes) const {
    return chooseTile(k, 1, std::max<int64_t>(l1Bytes / 2 / (bytes * nr), 1));
  }

  /// Whether a k x n right-hand side of elements of `bytes` fits in half
  /// of L2 (a product of that size needs no cache tiles: a row of tiles
  /// streams all of it).
  bool fitsHalfL2(int64_t k, int64_t n, int64_t bytes) const {
    return !ShapedType::isDynamic(k) && !ShapedType::isDynamic(n) &&
           bytes * k * n <= l2Bytes / 2;
  }

  /// The rows of a large product's register tiles: with 32 vector
  /// registers (AVX-512), 14 rows of two vectors, 28 accumulators, against
  /// `rows` otherwise. A k step then loads two vectors of the right-hand
  /// side for 28 FMAs instead of 16 (512^3: nnc/oneDNN 0.99 -> 1.03,
  /// medians of 12, alternating). Not when the left-hand side's rows are a
  /// multiple of 4 KiB apart: x86's L1 is 4 KiB per way, so the 14 rows of
  /// a tile would all fall in one set, more than its ways (1024^3: 0.89
  /// with 8 rows, 0.74 with 14). Nor for a batch of rows known at run time
  /// only, which 8 rows divide more often (rows left over run in a slower
  /// remainder loop), nor for elements other than f32 and f64 (two
  /// registers of columns then, 32 or 16).
  int64_t largeTileRows(linalg::LinalgOp op, MatmulDims dims,
                        int64_t rows) const {
    // Bytes of one way of an x86 L1 (its size over its ways, a page).
    constexpr int64_t kL1WayBytes = 4096;
    constexpr int64_t kLargeTileRows = 14;
    Type element = elementType(op);
    if (vectorBits < 512 || !(element.isF32() || element.isF64()) ||
        ShapedType::isDynamic(op.getStaticLoopRanges()[dims.m]))
      return rows;
    OpOperand *lhsOperand = op.getDpsInputOperand(0);
    Value lhs = lhsOperand->get();
    while (auto slice = lhs.getDefiningOp<tensor::ExtractSliceOp>())
      lhs = slice.getSource();
    auto type = cast<ShapedType>(lhs.getType());
    AffineMap map = op.getMatchingIndexingMap(lhsOperand);
    if (type.getRank() != 2 || map.getNumResults() != 2)
      return rows;
    // Rows along m, a row of k apart in memory.
    if (map.getResult(1) == getAffineDimExpr(dims.k, op.getContext()) &&
        (ShapedType::isDynamic(type.getDimSize(1)) ||
         type.getDimSize(1) * type.getElementTypeBitWidth() / 8 % kL1WayBytes ==
             0))
      return rows;
    return kLargeTileRows;
  }

  /// Cache tiles, then register tiles of a large product.
  LogicalResult tileLarge(RewriterBase &rewriter, linalg::LinalgOp op,
                          MatmulDims dims, int64_t mr, int64_t nr) {
    auto shapes = op.getStaticLoopRanges();
    // k panels (kPanel), each kc x nc panel within half of L2.
    int64_t bytes = elementBytes(op);
    int64_t kc = kPanel(shapes[dims.k], nr, bytes);
    int64_t kExtent = kc ? kc : shapes[dims.k];
    int64_t ncLimit =
        ShapedType::isDynamic(kExtent)
            ? 0
            : std::max<int64_t>(l2Bytes / 2 / (bytes * kExtent), nr);
    int64_t nc = ncLimit ? chooseTile(shapes[dims.n], nr, ncLimit) : 0;
    Value rhs = op.getDpsInputOperand(1)->get();
    Value packed = packRhsStrips(rewriter, op, dims, mr, nr,
                                 {packRowBytes, packMinRowTiles});
    if (kc || nc) {
      auto outer = tile(rewriter, op, loopSizes(dims, 0, nc, kc));
      if (failed(outer))
        return failure();
      op = cast<linalg::LinalgOp>(outer->tiledOps.back());
    }
    auto inner = tile(rewriter, op, loopSizes(dims, mr, nr, 0));
    if (failed(inner))
      return failure();
    inner->tiledOps.back()->setAttr(kRegisterTile, rewriter.getUnitAttr());
    inner->tiledOps.back()->setAttr(kFusedRoot, rewriter.getUnitAttr());
    if (packed)
      readPackedStrip(rewriter, cast<linalg::LinalgOp>(inner->tiledOps.back()),
                      rhs, packed, nr);
    peel(rewriter, inner->loops);
    inner->loops.front()->setAttr(kParallelAttr, rewriter.getUnitAttr());
    return success();
  }

  /// Splits a product whose accumulator starts as a fill or a broadcast
  /// (isAccumulatorInit) and whose k is cut into panels of kc (tileLarge)
  /// into the product over the first panel, which starts from that value,
  /// and the product over the rest, which starts from the first's result;
  /// returns the second, or null when `op` is left alone. The first is a
  /// product small enough for tileFused, which computes the initial value
  /// in its register tiles: the result is not filled beforehand and then
  /// read back in the first panel (512^3: a 1 MiB memset and 1 MiB of
  /// loads).
  FailureOr<linalg::LinalgOp> splitFirstPanel(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              MatmulDims dims, int64_t nr) {
    auto shapes = op.getStaticLoopRanges();
    Value init = op.getDpsInitOperand(0)->get();
    if (!isAccumulatorInit(init.getDefiningOp()) || !init.hasOneUse() ||
        op.hasDynamicShape())
      return linalg::LinalgOp();
    int64_t kc = kPanel(shapes[dims.k], nr, elementBytes(op));
    if (!kc || !fitsHalfL2(kc, shapes[dims.n], elementBytes(op)))
      return linalg::LinalgOp();
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    // Each input sliced along the dimension that k indexes.
    AffineExpr kExpr = getAffineDimExpr(dims.k, op.getContext());
    auto inputs = [&](int64_t start, int64_t size) {
      SmallVector<Value> sliced;
      for (OpOperand *input : op.getDpsInputOperands()) {
        AffineMap map = op.getMatchingIndexingMap(input);
        auto type = cast<RankedTensorType>(input->get().getType());
        SmallVector<OpFoldResult> offsets(type.getRank(),
                                          rewriter.getIndexAttr(0));
        SmallVector<OpFoldResult> sizes =
            getAsIndexOpFoldResult(op.getContext(), type.getShape());
        SmallVector<OpFoldResult> strides(type.getRank(),
                                          rewriter.getIndexAttr(1));
        for (auto [i, expr] : llvm::enumerate(map.getResults()))
          if (expr == kExpr) {
            offsets[i] = rewriter.getIndexAttr(start);
            sizes[i] = rewriter.getIndexAttr(size);
          }
        sliced.push_back(tensor::ExtractSliceOp::create(
            rewriter, loc, input->get(), offsets, sizes, strides));
      }
      return sliced;
    };
    auto part = [&](int64_t start, int64_t size, Value acc) {
      SmallVector<Value> operands = inputs(start, size);
      operands.push_back(acc);
      return cast<linalg::LinalgOp>(
          mlir::clone(rewriter, op, TypeRange{init.getType()}, operands));
    };
    linalg::LinalgOp first = part(0, kc, init);
    linalg::LinalgOp rest = part(kc, shapes[dims.k] - kc, first->getResult(0));
    rewriter.replaceOp(op, rest->getResults());
    if (failed(tileProduct(rewriter, first, dims)))
      return failure();
    return rest;
  }

  LogicalResult tileProduct(RewriterBase &rewriter, linalg::LinalgOp op,
                            MatmulDims dims) {
    auto shapes = op.getStaticLoopRanges();
    int64_t nr = 2 * lanes(op), mr = 8;
    if (!ShapedType::isDynamic(shapes[dims.n]) && shapes[dims.n] < nr)
      nr = shapes[dims.n];
    SmallVector<linalg::GenericOp> consumers = elementwiseConsumers(op);
    // Without cache tiles, a tile row streams the whole k x n right-hand
    // side, which should then stay in L2.
    bool small = fitsHalfL2(shapes[dims.k], shapes[dims.n], elementBytes(op));
    if (small || !consumers.empty() || ShapedType::isDynamic(shapes[dims.k])) {
      // Tiles kWideRow register tiles wide, which the static rows split back
      // into register tiles and the rows a dynamic batch leaves over keep
      // (see runOnOperation).
      int64_t wide = nr;
      if (!ShapedType::isDynamic(shapes[dims.n]))
        wide = std::min(shapes[dims.n], kWideRow * nr);
      // A right-hand side beyond half of L2 (a wide layer's weight with its
      // bias and activation fused): column blocks outside the rows, so that
      // each k x `wide` block is read from memory once and stays in L2 for
      // every row tile, instead of every row tile streaming the whole
      // weight (a 784-1024-1024-10 MLP's step at batch 256: 26-29 -> 21-22
      // ms on one thread; docs/performance.md).
      bool columnsOuter = !small && !ShapedType::isDynamic(shapes[dims.n]) &&
                          !ShapedType::isDynamic(shapes[dims.k]) &&
                          shapes[dims.n] > wide;
      // A weight gradient (k the batch) whose right-hand side, the output
      // gradient, has rows a page or more apart (4 KiB: the strip of a
      // register tile then takes a page and the same L1 sets at every step
      // of k), shared by many row tiles: its register tiles read it packed
      // in strips, a pass over k x n that the m / mr row tiles share, and
      // its column blocks go outside the rows, so that a block of the
      // packed gradient stays in L2 for all of them (784-1024-1024-10 MLP,
      // the two wide layers' dW: its loss and gradients at batch 256, 16.7
      // -> 14.5 ms).
      bool packRhs = ShapedType::isDynamic(shapes[dims.k]) &&
                     !ShapedType::isDynamic(shapes[dims.m]) &&
                     shapes[dims.m] >= packMinRowTiles * mr &&
                     !ShapedType::isDynamic(shapes[dims.n]) &&
                     shapes[dims.n] % nr == 0 &&
                     shapes[dims.n] * elementBytes(op) >= packRowBytes &&
                     isPlainRhs(op, dims);
      return tileFused(rewriter, op, dims, consumers, mr, wide,
                       columnsOuter || packRhs, packRhs);
    }
    mr = largeTileRows(op, dims, mr);
    FailureOr<linalg::LinalgOp> rest = splitFirstPanel(rewriter, op, dims, nr);
    if (failed(rest))
      return failure();
    if (*rest)
      op = *rest;
    return tileLarge(rewriter, op, dims, mr, nr);
  }

  template <typename Fn>
  void forEachTagged(func::FuncOp func, StringRef tag, Fn fn) {
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (op->hasAttr(tag))
        ops.push_back(op);
    });
    for (Operation *op : ops)
      fn(op);
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    auto canonicalize = [&] {
      return applyPatternsGreedily(func, canonicalization);
    };

    // A product whose m or n spans several loops that every operand
    // indexes together (the input gradient of a dense layer after a
    // flatten, [N, 10] x [10, C x H x W] viewed as [N, C, H, W]) becomes a
    // product of matrices.
    SmallVector<linalg::GenericOp> multiDim;
    func.walk([&](linalg::GenericOp op) {
      if (collapsibleProductDims(op))
        multiDim.push_back(op);
    });
    for (linalg::GenericOp op : multiDim) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::CollapseResult> collapsed =
          linalg::collapseOpIterationDims(op, *collapsibleProductDims(op),
                                          rewriter);
      if (succeeded(collapsed))
        rewriter.replaceOp(op, collapsed->results);
    }
    // The accumulator's fill moves past the reshapes, next to the product.
    if (!multiDim.empty() && failed(canonicalize()))
      return signalPassFailure();

    SmallVector<std::pair<linalg::LinalgOp, MatmulDims>> products;
    auto collect = [&] {
      products.clear();
      func.walk([&](linalg::LinalgOp op) {
        if (auto dims = matchMatmul(op))
          products.push_back({op, *dims});
      });
    };
    collect();
    for (auto &[op, dims] : products)
      packTransposedRhs(rewriter, op, dims);
    collect();
    for (auto &[op, dims] : products)
      if (failed(tileProduct(rewriter, op, dims)))
        return signalPassFailure();
    // Convolutions and filter gradients.
    SmallVector<std::pair<linalg::LinalgOp, WindowTiling>> windows;
    func.walk([&](linalg::LinalgOp op) {
      if (auto tiling = matchConvolution(op, lanes(op)))
        windows.push_back({op, *tiling});
      else if (auto tiling = matchFilterGradient(op, lanes(op)))
        windows.push_back({op, *tiling});
    });
    for (auto &[op, tiling] : windows) {
      if (failed(tileWindow(rewriter, op, tiling, elementwiseConsumers(op))))
        return signalPassFailure();
    }
    // Fold the peeled bounds into static tile shapes.
    if (failed(canonicalize()))
      return signalPassFailure();

    // The rows a peeled m loop leaves over (a dynamic number) become tiles
    // of single rows, with the same ops fused, as wide as tileProduct made
    // them: one row has a single accumulator per vector of columns, and a
    // row of 2 vectors would wait on its FMAs' latency at every step of k
    // (the products of a batch of 1). Tiles of static rows go back to
    // register tiles of 2 vectors.
    bool failedRows = false;
    forEachTagged(func, kFusedRoot, [&](Operation *root) {
      auto op = cast<linalg::LinalgOp>(root);
      root->removeAttr(kFusedRoot);
      // (A dynamic k, the batch of a weight gradient, is left to the loop
      // over k below.)
      SmallVector<int64_t> sizes;
      bool dynamicRows = false;
      SmallVector<int64_t> extents = op.getStaticLoopRanges();
      for (auto [extent, iterator] :
           llvm::zip(extents, op.getIteratorTypesArray())) {
        bool split = ShapedType::isDynamic(extent) &&
                     iterator == utils::IteratorType::parallel;
        sizes.push_back(split ? 1 : 0);
        dynamicRows |= split;
      }
      if (!dynamicRows) {
        // The columns: the result's last dimension.
        AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
        auto columns = out.getNumResults() == 0
                           ? AffineDimExpr(nullptr)
                           : dyn_cast<AffineDimExpr>(out.getResults().back());
        if (root->hasAttr(kWindow) || !columns ||
            ShapedType::isDynamic(extents[columns.getPosition()]) ||
            extents[columns.getPosition()] <= 2 * lanes(op))
          return;
        sizes[columns.getPosition()] = 2 * lanes(op);
      }
      auto loops = tileAndFuse(rewriter, root, sizes, [](Operation *op) {
        return op->hasAttr(kRegisterTile) || op->hasAttr(kVectorTile);
      });
      failedRows |= failed(loops);
      if (succeeded(loops) && !dynamicRows)
        peel(rewriter, *loops);
    });
    if (failedRows || failed(canonicalize()))
      return signalPassFailure();

    // Weight gradients' register tiles read the output gradient packed;
    // wide layers' are tagged for versionPackedLoops.
    packMarkedRhs(rewriter, func);

    // Each product tile becomes a loop over k of rank-1 updates.
    bool failedSteps = false;
    forEachTagged(func, kRegisterTile, [&](Operation *op) {
      auto product = cast<linalg::LinalgOp>(op);
      op->removeAttr(kRegisterTile);
      op->removeAttr(kFusedRoot);
      if (op->hasAttr(kWindow)) {
        // Every reduction loop steps by one. A convolution keeps its input
        // channel loop as the k of a product.
        std::optional<unsigned> keep;
        if (isa<linalg::Conv2DNchwFchwOp>(op))
          keep = kConvInputChannelLoop;
        SmallVector<int64_t> sizes;
        for (utils::IteratorType iterator : product.getIteratorTypesArray())
          sizes.push_back(iterator == utils::IteratorType::reduction);
        auto steps = tile(rewriter, product, sizes);
        failedSteps |= failed(steps);
        if (succeeded(steps))
          dropWindowUnitLoops(
              rewriter, cast<linalg::LinalgOp>(steps->tiledOps.back()), keep);
        return;
      }
      auto dims = matchMatmul(product);
      if (!dims)
        return;
      auto extents = product.getStaticLoopRanges();
      if (ShapedType::isDynamic(extents[dims->m]) ||
          ShapedType::isDynamic(extents[dims->n]))
        return;
      bool version = op->hasAttr(kVersionTile);
      op->removeAttr(kVersionTile);
      auto steps = tile(rewriter, product, loopSizes(*dims, 0, 0, 1));
      failedSteps |= failed(steps);
      if (succeeded(steps)) {
        steps->tiledOps.back()->setAttr(kVectorTile, rewriter.getUnitAttr());
        if (version && !steps->loops.empty())
          steps->loops.front()->setAttr(kVersionLoop, rewriter.getUnitAttr());
      }
    });
    if (failedSteps || failed(canonicalize()))
      return signalPassFailure();

    // The other ops of windowed tiles lose their unit loops as well.
    forEachTagged(func, kWindow, [&](Operation *op) {
      dropWindowUnitLoops(rewriter, cast<linalg::LinalgOp>(op), std::nullopt);
    });
    if (failed(canonicalize()))
      return signalPassFailure();

    // Vectorize every static tile; dynamic ones are left to the row
    // vectorizer after bufferization.
    forEachTagged(func, kVectorTile, [&](Operation *op) {
      op->removeAttr(kVectorTile);
      op->removeAttr(kFusedRoot);
      auto linalgOp = cast<linalg::LinalgOp>(op);
      if (linalgOp.hasDynamicShape())
        return;
      rewriter.setInsertionPoint(op);
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        if (auto matmul = asMatmulStep(rewriter, generic)) {
          if (op->hasAttr(kMaskedRows))
            matmul->setAttr(kMaskedRows, rewriter.getUnitAttr());
          rewriter.replaceOp(op, matmul->getResults());
          op = matmul;
          linalgOp = matmul;
        }
      SmallVector<int64_t> vectorSizes;
      if (op->hasAttr(kMaskedRows)) {
        op->removeAttr(kMaskedRows);
        vectorSizes = maskedVectorSizes(linalgOp);
      }
      SmallVector<bool> scalable(vectorSizes.size(), false);
      FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
          rewriter, op, vectorSizes, scalable, false, false, false,
          /*createNamedContraction=*/true);
      if (succeeded(result))
        rewriter.replaceOp(op, result->replacements);
    });

    // Forward each tile from one op of the group to the next in registers,
    // and keep the accumulator in registers across the k loop (once the
    // vectorizer's constants are out of the loops).
    if (failed(canonicalize()))
      return signalPassFailure();
    func.walk([&](scf::ForOp loop) {
      (void)hoistLoopInvariantSubsets(rewriter, loop);
    });
    if (failed(canonicalize()))
      return signalPassFailure();

    if (failed(applyPatternsGreedily(func, lowering)))
      return signalPassFailure();

    // Wide layers' loops over k read the weight packed from enough rows.
    versionPackedLoops(rewriter, func);
  }

  /// The pattern sets are built once per pass instance, not once per
  /// function: the canonicalization patterns of every registered op are
  /// many.
  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet patterns(ctx);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, ctx);
    patterns.add<UnmaskWholeTile, ForwardWholeTileWrite>(ctx);
    canonicalization = FrozenRewritePatternSet(std::move(patterns));

    RewritePatternSet lower(ctx);
    vector::populateVectorContractLoweringPatterns(
        lower, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(lower);
    lower.add<FuseMultiplyAdd, BroadcastColumn>(ctx);
    vector::TransferReadOp::getCanonicalizationPatterns(lower, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(lower, ctx);
    lowering = FrozenRewritePatternSet(std::move(lower));
    return success();
  }

  FrozenRewritePatternSet canonicalization, lowering;
};

} // namespace
