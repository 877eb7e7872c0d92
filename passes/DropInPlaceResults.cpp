//===- DropInPlaceResults.cpp - In-place results of entry points -*- C++
//-*-===//
//
// Erases the results of bufferized training entry points that are their own
// arguments: the parameters and optimizer state a train step updates in
// place; gives results returned twice buffers of their own. Checks that every
// result meant to be in place (role `param` or `state`) actually is, so a
// bufferization change can never silently turn the in-place contract of the C
// interface into a copy the caller never sees.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace nnc {
#define GEN_PASS_DEF_DROPINPLACERESULTSPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct DropInPlaceResultsPass
    : nnc::impl::DropInPlaceResultsPassBase<DropInPlaceResultsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func->hasAttr(nnc::nn::kEntryAttr) || !func.getBody().hasOneBlock())
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    llvm::BitVector inPlace(func.getNumResults());
    for (auto [i, operand] : llvm::enumerate(ret.getOperands())) {
      Value value = operand;
      while (auto cast = value.getDefiningOp<memref::CastOp>())
        value = cast.getSource();
      auto arg = dyn_cast<BlockArgument>(value);
      inPlace[i] = arg && arg.getOwner() == &func.getBody().front();
      auto role = func.getResultAttrOfType<StringAttr>(i, nnc::nn::kRoleAttr);
      bool mustBeInPlace =
          role && (role.getValue() == "param" || role.getValue() == "state");
      if (mustBeInPlace && !inPlace[i]) {
        func.emitError("result ")
            << i << " (" << role.getValue()
            << ") was not updated in place by bufferization";
        return signalPassFailure();
      }
    }
    ret->eraseOperands(inPlace);
    if (failed(func.eraseResults(inPlace)))
      return signalPassFailure();

    // Two parameters can have the same gradient (CSE merges them, e.g. the
    // biases of two dense layers whose outputs are added), but every
    // result needs its own out-parameter: copy repeated buffers.
    OpBuilder b(ret);
    llvm::SmallPtrSet<Value, 8> seen;
    for (OpOperand &operand : ret->getOpOperands()) {
      Value value = operand.get();
      if (seen.insert(value).second)
        continue;
      auto type = dyn_cast<MemRefType>(value.getType());
      if (!type)
        continue; // a scalar is returned by value
      if (!type.hasStaticShape()) {
        func.emitError(
            "unsupported: a dynamically shaped result returned twice");
        return signalPassFailure();
      }
      Value copy = memref::AllocOp::create(b, ret.getLoc(), type);
      memref::CopyOp::create(b, ret.getLoc(), value, copy);
      operand.set(copy);
    }
  }
};

} // namespace
