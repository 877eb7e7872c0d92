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
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_PARALLELIZETILESPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct ParallelizeTilesPass
    : nnc::impl::ParallelizeTilesPassBase<ParallelizeTilesPass> {
  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) {
      if (loop->hasAttr("nnc.parallel") && loop.getNumResults() == 0)
        loops.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops) {
      // Only the outermost marked loop runs in parallel: nested parallel
      // regions would only add fork-join overhead.
      if (loop->getParentOfType<scf::ParallelOp>())
        continue;
      rewriter.setInsertionPoint(loop);
      auto parallel = scf::ParallelOp::create(
          rewriter, loop.getLoc(), ValueRange{loop.getLowerBound()},
          ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
      Block *body = parallel.getBody();
      rewriter.eraseOp(body->getTerminator());
      rewriter.mergeBlocks(loop.getBody(), body,
                           ValueRange{parallel.getInductionVars()[0]});
      // The scf.yield of the loop becomes the parallel loop's terminator.
      Operation *yield = body->getTerminator();
      rewriter.setInsertionPoint(yield);
      scf::ReduceOp::create(rewriter, yield->getLoc());
      rewriter.eraseOp(yield);
      rewriter.eraseOp(loop);
    }
  }
};

} // namespace
