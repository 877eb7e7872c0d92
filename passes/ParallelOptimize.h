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

/// Runs `optimize` on each partition of `module` on its own, on up to
/// `threads` threads: the partition with the most instructions in place
/// with `tm`, the others in contexts of their own with copies of `tm`, and
/// links the results back into `module`. A partition is a set of functions
/// that call or reference each other, with the globals they share (but for
/// private constants that refer to nothing but such constants and
/// linkonce_odr definitions, which each partition copies) and without the
/// segments they call, which are
/// partitions of their own; `optimize` sees every function with all its
/// callers but a segment's, as it would on the whole module. The partitions
/// do not depend on `threads`, and neither does the result. Falls back to
/// one call on the whole module when there is nothing to split.
llvm::Error optimizeInParallel(
    llvm::Module &module, llvm::TargetMachine &tm, unsigned threads,
    llvm::function_ref<void(llvm::Module &, llvm::TargetMachine &)> optimize);

} // namespace nnc

#endif // NNC_PASSES_PARALLELOPTIMIZE_H
