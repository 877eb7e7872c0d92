//===- ParallelOptimize.h - LLVM's pipeline on several threads --*- C++ -*-===//
//
// The entry points of a model (forward, eval, train_step) share no code,
// so LLVM can optimise them independently: the module is cut into
// partitions along its call graph, each partition is optimised on its own
// thread in its own LLVMContext, and the results are linked back into the
// original module.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PARALLELOPTIMIZE_H
#define NNC_PASSES_PARALLELOPTIMIZE_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

namespace nnc {

/// Runs `optimize` on `module` split into at most `threads` partitions, one
/// thread each, the first with `tm` and the others with copies of it. Functions
/// that call or reference each other, and the globals they share (but for small
/// private constants, which are copied), stay in one partition, so `optimize`
/// sees every function with all its callers, as it would on the whole module.
/// Falls back to one call on the whole module when there is nothing to
/// split.
llvm::Error optimizeInParallel(
    llvm::Module &module, llvm::TargetMachine &tm, unsigned threads,
    llvm::function_ref<void(llvm::Module &, llvm::TargetMachine &)> optimize);

} // namespace nnc

#endif // NNC_PASSES_PARALLELOPTIMIZE_H
