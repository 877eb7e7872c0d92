//===- SplitSharedFills.cpp - One fill per destination ----------*- C++ -*-===//
//
// CSE merges identical `linalg.fill`s of identical `tensor.empty`s: the
// training forward's max pooling and the backward's arg-max both start from
// a tensor of -inf, and after CSE they share one. One-shot bufferization
// then has to copy it, since each op writes its destination in place: a
// fill and a copy of the whole pooled activation, every step, on one
// thread. This pass, run just before bufferization, gives every op that
// writes into a shared fill its own `tensor.empty` and fill: filling is as
// cheap as copying, each op writes its own buffer, and nnc-vectorize-rows
// can fold each fill into the pooling that follows it.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_SPLITSHAREDFILLSPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct SplitSharedFillsPass
    : nnc::impl::SplitSharedFillsPassBase<SplitSharedFillsPass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation()->walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() &&
          fill.getOutputs().front().getDefiningOp<tensor::EmptyOp>())
        fills.push_back(fill);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::FillOp fill : fills) {
      // The ops of the fill's block that write into its value (a copy in a
      // loop body would be filled on every iteration), in program order:
      // the first keeps the original.
      SmallVector<OpOperand *> destinations;
      for (OpOperand &use : fill->getResult(0).getUses()) {
        auto user = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
        if (user && user.isDpsInit(&use) &&
            user->getBlock() == fill->getBlock())
          destinations.push_back(&use);
      }
      if (destinations.size() < 2)
        continue;
      llvm::sort(destinations, [](OpOperand *a, OpOperand *b) {
        return a->getOwner()->isBeforeInBlock(b->getOwner());
      });
      for (OpOperand *use : llvm::drop_begin(destinations)) {
        rewriter.setInsertionPoint(use->getOwner());
        Operation *empty =
            rewriter.clone(*fill.getOutputs().front().getDefiningOp());
        Operation *copy = rewriter.clone(*fill);
        copy->setOperand(1, empty->getResult(0));
        rewriter.modifyOpInPlace(use->getOwner(),
                                 [&] { use->set(copy->getResult(0)); });
      }
    }
  }
};

} // namespace
