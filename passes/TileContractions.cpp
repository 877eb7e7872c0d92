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
//  - then into mr x nr x 1 register tiles (mr rows of 2 vector registers, nr
//    = 2 vector widths), the loops over m and n peeled so that the main tiles
//    are static and vectorize without masks; what the peeling leaves over in
//    m (at most mr - 1 rows, dynamic for a dynamic batch) is tiled by single
//    rows, which are vectors as well: no scalar remainder;
//  - every static tile is vectorized to `vector.contract`, the accumulator is
//    hoisted out of the k loop into registers (loop-invariant subset
//    hoisting), and the contraction is lowered to outer products, i.e. mr
//    broadcasts and mr x 2 FMAs per step of k.
// Vector width and cache sizes come from the pass options, which the
// pipeline derives from the target CPU.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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

/// Whether operand `operand` of `op` is a matrix whose last dimension is
/// loop `dim`.
bool lastDimensionIs(linalg::LinalgOp op, OpOperand &operand, unsigned dim) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  return map.getNumResults() == 2 &&
         map.getResult(1) == getAffineDimExpr(dim, op.getContext());
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

/// The elementwise ops that consume `product`'s result, one after the other
/// (each the only user of the previous result), and that a tile of the
/// product can feed directly: two parallel loops, identity maps for the
/// outputs and for the value they consume, broadcasts or identities for
/// anything else they read (bias, residual, the forward activation of a
/// backward step). An op with several results ends the chain.
///
/// A result with a second user is not fused, even when that user is the
/// function's return: fusing the optimizer update into the tiles of a
/// weight gradient (which the train step also returns) was measured slower
/// (the MLP's train step at batch 1: 65 us fused, 39 us not).
SmallVector<linalg::GenericOp> elementwiseConsumers(linalg::LinalgOp product) {
  SmallVector<linalg::GenericOp> chain;
  Value value = product->getResult(0);
  while (value.hasOneUse()) {
    auto consumer = dyn_cast<linalg::GenericOp>(*value.getUsers().begin());
    if (!consumer || consumer.getNumLoops() != 2 ||
        consumer.getNumParallelLoops() != 2)
      break;
    bool fits = true;
    for (OpOperand &init : consumer.getDpsInitsMutable())
      fits &= consumer.getMatchingIndexingMap(&init).isIdentity();
    for (OpOperand *input : consumer.getDpsInputOperands()) {
      AffineMap map = consumer.getMatchingIndexingMap(input);
      fits &= map.isProjectedPermutation() &&
              (input->get() != value || map.isIdentity());
    }
    if (!fits)
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

/// Marks the ops of a fused tile (other than the product) until they are
/// vectorized, and the op whose tile the others feed.
constexpr llvm::StringLiteral kVectorTile = "nnc.vector_tile";
constexpr llvm::StringLiteral kFusedRoot = "nnc.fused_root";
/// Marks a loop over row tiles, whose iterations are independent.
constexpr llvm::StringLiteral kParallel = "nnc.parallel";

struct TileContractionsPass
    : nnc::impl::TileContractionsPassBase<TileContractionsPass> {
  using TileContractionsPassBase::TileContractionsPassBase;

  int64_t lanes() const { return std::max<int64_t>(vectorBits / 32, 1); }

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
              function_ref<bool(Operation *)> fuse) {
    scf::SCFTilingOptions tiling;
    tiling.setTileSizes(getAsIndexOpFoldResult(root->getContext(), sizes));
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tiling);
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp, OpResult producer, bool)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (!fuse(producer.getOwner()))
            return std::nullopt;
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        });
    rewriter.setInsertionPoint(root);
    FailureOr<scf::SCFTileAndFuseResult> result =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(root), options);
    if (failed(result))
      return failure();
    for (auto [value, replacement] : result->replacements)
      rewriter.replaceAllUsesWith(value, replacement);
    for (Operation *op : result->tiledAndFusedOps) {
      bool product = matchMatmul(cast<linalg::LinalgOp>(op)).has_value();
      op->setAttr(product ? kRegisterTile : kVectorTile,
                  rewriter.getUnitAttr());
    }
    result->tiledAndFusedOps.front()->setAttr(kFusedRoot,
                                              rewriter.getUnitAttr());
    return result->loops;
  }

  /// Peels every loop of `loops` so that the main tiles are static.
  void peel(RewriterBase &rewriter, ArrayRef<LoopLikeOpInterface> loops) {
    for (LoopLikeOpInterface loop : loops) {
      scf::ForOp partial;
      (void)scf::peelForLoopAndSimplifyBounds(
          rewriter, cast<scf::ForOp>(loop.getOperation()), partial);
    }
  }

  /// A product small enough to run without cache tiles, with its
  /// accumulator's initialisation and its elementwise consumers computed on
  /// each of its register tiles: the result tile goes from registers
  /// through the consumers to memory once.
  LogicalResult tileFused(RewriterBase &rewriter, linalg::LinalgOp product,
                          MatmulDims dims,
                          ArrayRef<linalg::GenericOp> consumers, int64_t mr,
                          int64_t nr) {
    llvm::SmallPtrSet<Operation *, 8> group;
    group.insert(product);
    Operation *init = product.getDpsInitOperand(0)->get().getDefiningOp();
    if (isAccumulatorInit(init) && init->hasOneUse())
      group.insert(init);
    Operation *root = product;
    for (linalg::GenericOp consumer : consumers) {
      group.insert(consumer);
      root = consumer;
    }
    // The root's loops are (m, n) in the product's order of m and n.
    SmallVector<int64_t> sizes = root == product.getOperation()
                                     ? loopSizes(dims, mr, nr, 0)
                                     : SmallVector<int64_t>{mr, nr};
    auto loops = tileAndFuse(rewriter, root, sizes,
                             [&](Operation *op) { return group.contains(op); });
    if (failed(loops))
      return failure();
    peel(rewriter, *loops);
    // Row tiles are independent: each writes its own rows (nnc-parallelize-
    // tiles may run them on several threads).
    (*loops).front()->setAttr(kParallel, rewriter.getUnitAttr());
    return success();
  }

  /// Cache tiles, then register tiles of a large product.
  LogicalResult tileLarge(RewriterBase &rewriter, linalg::LinalgOp op,
                          MatmulDims dims, int64_t mr, int64_t nr) {
    auto shapes = op.getStaticLoopRanges();
    // A kc x nr strip of the right-hand side within half of L1 (every row
    // tile rereads it), a kc x nc panel within half of L2.
    int64_t kcLimit = std::max<int64_t>(l1Bytes / 2 / (4 * nr), 1);
    int64_t kc = chooseTile(shapes[dims.k], 1, kcLimit);
    int64_t kExtent = kc ? kc : shapes[dims.k];
    int64_t ncLimit = ShapedType::isDynamic(kExtent)
                          ? 0
                          : std::max<int64_t>(l2Bytes / 2 / (4 * kExtent), nr);
    int64_t nc = ncLimit ? chooseTile(shapes[dims.n], nr, ncLimit) : 0;
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
    peel(rewriter, inner->loops);
    inner->loops.front()->setAttr(kParallel, rewriter.getUnitAttr());
    return success();
  }

  LogicalResult tileProduct(RewriterBase &rewriter, linalg::LinalgOp op,
                            MatmulDims dims) {
    auto shapes = op.getStaticLoopRanges();
    int64_t nr = 2 * lanes(), mr = 8;
    if (!ShapedType::isDynamic(shapes[dims.n]) && shapes[dims.n] < nr)
      nr = shapes[dims.n];
    SmallVector<linalg::GenericOp> consumers = elementwiseConsumers(op);
    // Without cache tiles, a tile row streams the whole k x n right-hand
    // side, which should then stay in L2.
    bool small = !ShapedType::isDynamic(shapes[dims.k]) &&
                 !ShapedType::isDynamic(shapes[dims.n]) &&
                 4 * shapes[dims.k] * shapes[dims.n] <= l2Bytes / 2;
    if (small || !consumers.empty() || ShapedType::isDynamic(shapes[dims.k]))
      return tileFused(rewriter, op, dims, consumers, mr, nr);
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
    // Fold the peeled bounds into static tile shapes.
    if (failed(canonicalize()))
      return signalPassFailure();

    // The rows a peeled m loop leaves over (a dynamic number) become tiles
    // of single rows, with the same ops fused.
    bool failedRows = false;
    forEachTagged(func, kFusedRoot, [&](Operation *root) {
      auto op = cast<linalg::LinalgOp>(root);
      root->removeAttr(kFusedRoot);
      // (A dynamic k, the batch of a weight gradient, is left to the loop
      // over k below.)
      SmallVector<int64_t> sizes;
      bool dynamicRows = false;
      for (auto [extent, iterator] :
           llvm::zip(op.getStaticLoopRanges(), op.getIteratorTypesArray())) {
        bool split = ShapedType::isDynamic(extent) &&
                     iterator == utils::IteratorType::parallel;
        sizes.push_back(split ? 1 : 0);
        dynamicRows |= split;
      }
      if (!dynamicRows)
        return;
      auto loops = tileAndFuse(rewriter, root, sizes, [](Operation *op) {
        return op->hasAttr(kRegisterTile) || op->hasAttr(kVectorTile);
      });
      failedRows |= failed(loops);
    });
    if (failedRows || failed(canonicalize()))
      return signalPassFailure();

    // Each product tile becomes a loop over k of rank-1 updates.
    bool failedSteps = false;
    forEachTagged(func, kRegisterTile, [&](Operation *op) {
      auto product = cast<linalg::LinalgOp>(op);
      op->removeAttr(kRegisterTile);
      op->removeAttr(kFusedRoot);
      auto dims = matchMatmul(product);
      if (!dims)
        return;
      auto extents = product.getStaticLoopRanges();
      if (ShapedType::isDynamic(extents[dims->m]) ||
          ShapedType::isDynamic(extents[dims->n]))
        return;
      auto steps = tile(rewriter, product, loopSizes(*dims, 0, 0, 1));
      failedSteps |= failed(steps);
      if (succeeded(steps))
        steps->tiledOps.back()->setAttr(kVectorTile, rewriter.getUnitAttr());
    });
    if (failedSteps || failed(canonicalize()))
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

      FailureOr<linalg::VectorizationResult> result =
          linalg::vectorize(rewriter, op, {}, {}, false, false, false,
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
    canonicalization = FrozenRewritePatternSet(std::move(patterns));

    RewritePatternSet lower(ctx);
    vector::populateVectorContractLoweringPatterns(
        lower, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(lower);
    vector::TransferReadOp::getCanonicalizationPatterns(lower, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(lower, ctx);
    lowering = FrozenRewritePatternSet(std::move(lower));
    return success();
  }

  FrozenRewritePatternSet canonicalization, lowering;
};

} // namespace
