//===- TagParallelAccesses.cpp - Parallel loops for LLVM --------*- C++ -*-===//
//
// Gives LLVM the independence of iterations that linalg knew: every buffer
// of a training step is a view into one workspace, so LLVM's dependence
// analysis sees loads and stores at unknown distances from the same base
// pointer and refuses to vectorize. nnc-vectorize-rows marks the
// innermost loop of a parallel linalg dimension with an `llvm.loop`
// annotation listing an access group as `parallel_accesses`; once in the
// LLVM dialect, this pass puts every load and store of that loop (the
// natural loop of the annotated back edge) into the group, which LLVM
// translates to `!llvm.access.group` / `llvm.loop.parallel_accesses`.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/SetVector.h"

namespace nnc {
#define GEN_PASS_DEF_TAGPARALLELACCESSESPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// The blocks of the natural loop with back edge latch -> header.
llvm::SetVector<Block *> naturalLoop(Block *header, Block *latch) {
  llvm::SetVector<Block *> blocks;
  blocks.insert(header);
  SmallVector<Block *> worklist{latch};
  while (!worklist.empty()) {
    Block *block = worklist.pop_back_val();
    if (!blocks.insert(block))
      continue;
    for (Block *pred : block->getPredecessors())
      worklist.push_back(pred);
  }
  return blocks;
}

struct TagParallelAccessesPass
    : nnc::impl::TagParallelAccessesPassBase<TagParallelAccessesPass> {
  void runOnOperation() override {
    getOperation()->walk([&](LLVM::BrOp branch) {
      LLVM::LoopAnnotationAttr annotation = branch.getLoopAnnotationAttr();
      if (!annotation || annotation.getParallelAccesses().empty())
        return;
      ArrayRef<LLVM::AccessGroupAttr> groups = annotation.getParallelAccesses();
      for (Block *block : naturalLoop(branch.getDest(), branch->getBlock()))
        for (auto op : block->getOps<LLVM::AccessGroupOpInterface>()) {
          if (!isa<LLVM::LoadOp, LLVM::StoreOp>(op.getOperation()))
            continue;
          SmallVector<Attribute> all;
          if (ArrayAttr existing = op.getAccessGroupsOrNull())
            all.append(existing.begin(), existing.end());
          all.append(groups.begin(), groups.end());
          op.setAccessGroups(ArrayAttr::get(&getContext(), all));
        }
    });
  }
};

} // namespace
