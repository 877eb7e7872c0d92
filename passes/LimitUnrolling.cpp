//===- LimitUnrolling.cpp - LLVM unrolls innermost loops only ---*- C++ -*-===//
//
// LLVM's unroller fully unrolls nests of loops with short constant trip
// counts: the inner loop first, then the outer one around its copies, so a
// loop over a 7x7 image becomes 49 copies of its body. nnc's code has
// hundreds of such nests (per-channel reductions, pooling, copies, loops
// around register tiles), and unrolling them was about a third of the
// compile time of a small residual network, spent in LLVM's loop passes
// and instruction selection, for no run time we could measure. This pass
// marks with `llvm.loop.unroll.disable` the back edge of every loop that
// contains another loop; innermost loops stay LLVM's to unroll.
//
//===----------------------------------------------------------------------===//

#include "passes/NaturalLoop.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Dominance.h"

namespace nnc {
#define GEN_PASS_DEF_LIMITUNROLLINGPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using nnc::naturalLoop;

namespace {

/// `annotation` (possibly null) with unrolling disabled.
LLVM::LoopAnnotationAttr withoutUnrolling(MLIRContext *ctx,
                                          LLVM::LoopAnnotationAttr annotation) {
  auto unroll = LLVM::LoopUnrollAttr::get(
      ctx, /*disable=*/BoolAttr::get(ctx, true), /*count=*/{},
      /*runtimeDisable=*/{}, /*full=*/{}, /*followupUnrolled=*/{},
      /*followupRemainder=*/{}, /*followupAll=*/{});
  if (!annotation)
    return LLVM::LoopAnnotationAttr::get(ctx, {}, {}, {}, unroll, {}, {}, {},
                                         {}, {}, {}, {}, {}, {}, {}, {});
  return LLVM::LoopAnnotationAttr::get(
      ctx, annotation.getDisableNonforced(), annotation.getVectorize(),
      annotation.getInterleave(), unroll, annotation.getUnrollAndJam(),
      annotation.getLicm(), annotation.getDistribute(),
      annotation.getPipeline(), annotation.getPeeled(),
      annotation.getUnswitch(), annotation.getMustProgress(),
      annotation.getIsVectorized(), annotation.getStartLoc(),
      annotation.getEndLoc(), annotation.getParallelAccesses());
}

template <typename BranchOp> void disableUnrolling(BranchOp branch) {
  branch.setLoopAnnotationAttr(
      withoutUnrolling(branch.getContext(), branch.getLoopAnnotationAttr()));
}

struct LimitUnrollingPass
    : nnc::impl::LimitUnrollingPassBase<LimitUnrollingPass> {
  void runOnOperation() override {
    LLVM::LLVMFuncOp func = getOperation();
    if (func.isExternal())
      return;
    DominanceInfo &dominance = getAnalysis<DominanceInfo>();
    // Back edges: branches to a block that dominates them.
    SmallVector<std::pair<Operation *, Block *>> backEdges;
    DenseSet<Block *> headers;
    func.walk([&](Operation *op) {
      if (!isa<LLVM::BrOp, LLVM::CondBrOp>(op))
        return;
      for (Block *successor : op->getSuccessors())
        if (dominance.dominates(successor, op->getBlock())) {
          backEdges.push_back({op, successor});
          headers.insert(successor);
          return;
        }
    });
    for (auto [branch, header] : backEdges) {
      // An outer loop: its natural loop holds another loop's header.
      llvm::SetVector<Block *> blocks = naturalLoop(header, branch->getBlock());
      bool outer = llvm::any_of(blocks, [&, header = header](Block *block) {
        return block != header && headers.contains(block);
      });
      if (!outer)
        continue;
      if (auto br = dyn_cast<LLVM::BrOp>(branch))
        disableUnrolling(br);
      else
        disableUnrolling(cast<LLVM::CondBrOp>(branch));
    }
  }
};

} // namespace
