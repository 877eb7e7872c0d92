//===- Passes.h - nnc passes ------------------------------------*- C++ -*-===//
//
// Declares the generated pass constructors and the registration of every nnc
// pass and pipeline with the global registry (used by nnc-opt).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PASSES_H
#define NNC_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace nnc {

/// Marks on linalg ops that one pass leaves for a later one. The kernel
/// [KH, KW] of a max-pooling arg-max (`windowArgMax`) or gradient write
/// (`scatterToTilingWindows`) over windows that tile the image, which
/// nnc-vectorize-rows runs on vectors of windows.
inline constexpr llvm::StringLiteral kWindowArgMaxAttr = "nnc.window_argmax";
inline constexpr llvm::StringLiteral kWindowScatterAttr = "nnc.window_scatter";

/// Marks an `scf.for` whose iterations are independent (they write disjoint
/// parts of every buffer they write), set by nnc-tile-contractions,
/// nnc-vectorize-rows and nnc-convert-nn-to-linalg (the parts of the batch
/// of a filter gradient), read by nnc-parallelize-tiles: a unit attribute, or
/// an i64 giving the points one iteration computes when the trip count is
/// known at run time only (see kMinParallelElements).
inline constexpr llvm::StringLiteral kParallelAttr = "nnc.parallel";

/// Marks an op that only code run on threads wants (a prefetch for writing
/// that nnc-vectorize-rows emits with `threads`): nnc-parallelize-tiles
/// keeps it in the parallel copy of a loop and erases it elsewhere.
inline constexpr llvm::StringLiteral kThreadsOnlyAttr = "nnc.threads_only";

/// Function attributes of a branch that nnc-outline-branches moved into a
/// function of its own: the number of its section (unique in the module)
/// and its place in the section. nnc-fork-branches runs a section's
/// branches on threads and inlines them.
inline constexpr llvm::StringLiteral kBranchSectionAttr = "nnc.section";
inline constexpr llvm::StringLiteral kBranchAttr = "nnc.branch";
/// Marks the loop over a section's branches that nnc-fork-branches makes
/// (iteration i runs branch i, in case i of an scf.index_switch), which
/// nnc-use-workspace plans for: a thread runs each branch.
inline constexpr llvm::StringLiteral kBranchesAttr = "nnc.branches";

/// `i32 nnc_threads()`: how many threads parallel loops run on.
/// nnc-parallelize-tiles declares it and calls it once in each function
/// with parallel loops, which branch on it; nnc-thread-count defines it.
inline constexpr llvm::StringLiteral kThreadsFunction = "nnc_threads";

/// The count of the `nnc_threads()` call that nnc-parallelize-tiles put at
/// the entry of a function, found in its entry `block` (a `func.call` before
/// the lowering to LLVM, an `llvm.call` after it), or null.
template <typename CallOpT> mlir::Value entryThreadsCall(mlir::Block &block) {
  for (mlir::Operation &op : block) {
    auto call = llvm::dyn_cast<CallOpT>(op);
    if (call && call.getCallee() == kThreadsFunction &&
        call->getNumResults() == 1)
      return call->getResult(0);
  }
  return nullptr;
}

/// The LLVM function attribute of a function nnc-outline-segments cut out
/// of a larger one, or of the two helpers nnc-balance-threads defines:
/// optimised on its own like an entry point, then made internal (see
/// ParallelOptimize.cpp and Codegen.cpp), so that calling it ties no
/// functions together.
inline constexpr llvm::StringLiteral kSegmentAttr = "nnc-segment";

/// Loops with fewer points in all (iterations times the points of one) run
/// on one thread: a fork and join would cost more than they save.
inline constexpr int64_t kMinParallelElements = 4096;

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace nnc

#endif // NNC_PASSES_PASSES_H
