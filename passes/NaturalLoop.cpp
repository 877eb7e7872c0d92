//===- NaturalLoop.cpp - Loops of unstructured control flow -----*- C++ -*-===//
//
// A backward walk over predecessors from the latch, stopping at the header.
//
//===----------------------------------------------------------------------===//

#include "passes/NaturalLoop.h"

using namespace mlir;

llvm::SetVector<Block *> nnc::naturalLoop(Block *header, Block *latch) {
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
