//===- NaturalLoop.h - Loops of unstructured control flow -------*- C++ -*-===//
//
// Once lowered to the LLVM dialect, loops are blocks and branches; the
// passes that annotate them (nnc-tag-parallel-accesses,
// nnc-limit-unrolling) find a loop's blocks from its back edge.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_NATURALLOOP_H
#define NNC_PASSES_NATURALLOOP_H

#include "mlir/IR/Block.h"
#include "llvm/ADT/SetVector.h"

namespace nnc {

/// The blocks of the natural loop of the back edge latch -> header: the
/// header and every block that reaches the latch without passing through
/// the header.
llvm::SetVector<mlir::Block *> naturalLoop(mlir::Block *header,
                                           mlir::Block *latch);

} // namespace nnc

#endif // NNC_PASSES_NATURALLOOP_H
