//===- ParallelizeTiles.cpp - Tile loops to scf.parallel --------*- C++ -*-===//
//
// nnc-tile-contractions marks the loop over row tiles of every matrix
// product (and of the elementwise ops fused into it) `nnc.parallel`: its
// iterations write disjoint tiles of the result and read only what no
// iteration writes. After bufferization those loops carry no values, and
// this pass turns each into an `scf.parallel`, which convert-scf-to-openmp
// then makes an OpenMP worksharing loop (see nnc-thread-count for how many
// threads run it). Unmarked loops are left alone.
//
// A marked loop of a few static iterations that holds one static loop
// alone is coalesced with it first (see kFewIterations).
//
// The parallel loop runs only when `nnc_threads()` (declared here, defined
// by nnc-thread-count) asks for more than one thread and, for a loop whose
// mark gives the points of one iteration (a loop over the batch, marked by
// nnc-vectorize-rows), when the trip count times those is at least
// nnc::kMinParallelElements; otherwise the original
// `scf.for` runs, in the function itself. One thread is the default, and a
// region OpenMP runs serialized still costs its fork bookkeeping and, worse,
// sits in an outlined function that LLVM optimizes apart from its caller
// (the CNN's train step at batch 1: 44 us through serialized regions, 35 us
// without them). The price is a second copy of each parallel loop's body in
// objects compiled with --parallel.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_PARALLELIZETILESPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using nnc::kParallelAttr;

namespace {

/// `i32 nnc_threads()`, declared in `module` unless it is there already.
func::FuncOp threadsFunction(ModuleOp module) {
  if (auto f = module.lookupSymbol<func::FuncOp>(nnc::kThreadsFunction))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto f = func::FuncOp::create(b, module.getLoc(), nnc::kThreadsFunction,
                                b.getFunctionType({}, {b.getI32Type()}));
  f.setPrivate();
  return f;
}

/// An `scf.parallel` with `loop`'s bounds and a copy of its body.
void buildParallelCopy(RewriterBase &rewriter, scf::ForOp loop) {
  auto parallel = scf::ParallelOp::create(
      rewriter, loop.getLoc(), ValueRange{loop.getLowerBound()},
      ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
  Block *body = parallel.getBody();
  IRMapping mapping;
  mapping.map(loop.getInductionVar(), parallel.getInductionVars()[0]);
  rewriter.setInsertionPoint(body->getTerminator());
  for (Operation &op : loop.getBody()->without_terminator())
    rewriter.clone(op, mapping);
}

/// Whether `loop`, each iteration of which computes `points` points, has
/// at least nnc::kMinParallelElements in all (its trip count is known at
/// run time only, when it runs over the batch).
Value largeEnough(RewriterBase &rewriter, scf::ForOp loop, IntegerAttr points) {
  Location loc = loop.getLoc();
  Value span = arith::SubIOp::create(rewriter, loc, loop.getUpperBound(),
                                     loop.getLowerBound());
  Value trips = arith::CeilDivSIOp::create(rewriter, loc, span, loop.getStep());
  Value total = arith::MulIOp::create(
      rewriter, loc, trips,
      arith::ConstantIndexOp::create(rewriter, loc, points.getInt()));
  return arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::sge, total,
      arith::ConstantIndexOp::create(rewriter, loc, nnc::kMinParallelElements));
}

/// Loops with fewer iterations than this that run on threads take the
/// loop nested in them along, coalesced into one (upstream coalesceLoops):
/// the 3 rows of a 3 x 3 filter gradient's kernel split 2:1 between two
/// threads, its 9 rows and columns 5:4.
constexpr int64_t kFewIterations = 8;

/// Coalesces `loop` with the loop it holds, alone and static, when `loop`
/// has a few static iterations (kFewIterations).
void coalesceShortLoop(RewriterBase &rewriter, scf::ForOp loop) {
  std::optional<APInt> trips = loop.getStaticTripCount();
  if (!trips || trips->getSExtValue() >= kFewIterations)
    return;
  Block *body = loop.getBody();
  if (!llvm::hasSingleElement(body->without_terminator()))
    return;
  auto inner = dyn_cast<scf::ForOp>(body->front());
  if (!inner || inner.getNumResults() != 0 || !inner.getStaticTripCount())
    return;
  SmallVector<scf::ForOp> nest{loop, inner};
  (void)coalesceLoops(rewriter, nest);
}

/// Whether `op` is a marked loop that carries no values, which this pass
/// makes parallel unless a loop around it is.
bool isMarkedLoop(Operation *op) {
  auto loop = dyn_cast<scf::ForOp>(op);
  return loop && loop->hasAttr(kParallelAttr) && loop.getNumResults() == 0;
}

/// `nnc_threads() > 1`, computed once at the entry of `func`.
Value manyThreads(RewriterBase &rewriter, func::FuncOp func,
                  func::FuncOp threads) {
  Location loc = func.getLoc();
  rewriter.setInsertionPointToStart(&func.front());
  Value count =
      func::CallOp::create(rewriter, loc, threads, ValueRange{}).getResult(0);
  return arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::sgt, count,
      arith::ConstantIntOp::create(rewriter, loc, 1, 32));
}

struct ParallelizeTilesPass
    : nnc::impl::ParallelizeTilesPassBase<ParallelizeTilesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ForOp> loops;
    module.walk([&](scf::ForOp loop) {
      if (isMarkedLoop(loop))
        loops.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    if (loops.empty())
      return keepThreadsOnlyInParallel(rewriter);
    func::FuncOp threads = threadsFunction(module);
    DenseMap<Operation *, Value> many;
    for (scf::ForOp loop : loops) {
      // Only the outermost marked loop runs in parallel: nested parallel
      // regions would only add fork-join overhead.
      Attribute mark = loop->getAttr(kParallelAttr);
      bool nested = false;
      for (Operation *op = loop->getParentOp(); op && !nested;
           op = op->getParentOp())
        nested = isa<scf::ParallelOp>(op) || isMarkedLoop(op);
      loop->removeAttr(kParallelAttr);
      if (nested)
        continue;
      auto func = loop->getParentOfType<func::FuncOp>();
      Value &parallel = many[func];
      if (!parallel)
        parallel = manyThreads(rewriter, func, threads);
      if (!isa_and_nonnull<IntegerAttr>(mark))
        coalesceShortLoop(rewriter, loop);
      Location loc = loop.getLoc();
      rewriter.setInsertionPoint(loop);
      Value condition = parallel;
      if (auto points = dyn_cast_or_null<IntegerAttr>(mark))
        condition = arith::AndIOp::create(rewriter, loc, condition,
                                          largeEnough(rewriter, loop, points));
      auto branch = scf::IfOp::create(rewriter, loc, condition,
                                      /*withElseRegion=*/true);
      rewriter.setInsertionPointToStart(branch.thenBlock());
      buildParallelCopy(rewriter, loop);
      rewriter.moveOpBefore(loop, branch.elseBlock()->getTerminator());
    }
    keepThreadsOnlyInParallel(rewriter);
  }

  /// What only code on threads wants (kThreadsOnlyAttr) stays in the
  /// parallel copies of loops and goes everywhere else.
  void keepThreadsOnlyInParallel(RewriterBase &rewriter) {
    SmallVector<Operation *> tagged;
    getOperation().walk([&](Operation *op) {
      if (op->hasAttr(nnc::kThreadsOnlyAttr))
        tagged.push_back(op);
    });
    for (Operation *op : tagged) {
      if (op->getParentOfType<scf::ParallelOp>())
        op->removeAttr(nnc::kThreadsOnlyAttr);
      else
        rewriter.eraseOp(op);
    }
  }
};

} // namespace
