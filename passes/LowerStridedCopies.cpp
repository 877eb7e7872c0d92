//===- LowerStridedCopies.cpp - memref.copy to linalg.copy ------*- C++ -*-===//
//
// Rewrites the copies that would lower to a call of the runtime's generic
// `memrefCopy` (any operand not contiguous, e.g. the subviews that padding,
// strided insertion and concatenation copy into) as `linalg.copy`, so they
// become loops like every other linalg op and the object needs no MLIR
// runtime library. The test for "contiguous" is the one the memref-to-LLVM
// lowering applies before it emits a `memcpy` intrinsic.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"

namespace nnc {
#define GEN_PASS_DEF_LOWERSTRIDEDCOPIESPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

bool isContiguous(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && (type.getLayout().isIdentity() ||
                  (type.hasStaticShape() && type.getNumElements() > 0 &&
                   memref::isStaticShapeAndContiguousRowMajor(type)));
}

struct LowerStridedCopiesPass
    : nnc::impl::LowerStridedCopiesPassBase<LowerStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      if (!isContiguous(copy.getSource()) || !isContiguous(copy.getTarget()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
