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

#include "passes/NaturalLoop.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace nnc {
#define GEN_PASS_DEF_TAGPARALLELACCESSESPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using nnc::naturalLoop;

namespace {

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
