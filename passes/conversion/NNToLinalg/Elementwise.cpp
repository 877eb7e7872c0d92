//===- Elementwise.cpp - nn binary arithmetic to linalg ---------*- C++ -*-===//
//
// nn.add and nn.mul become elementwise `linalg.generic`s; operands have equal
// types (the verifier guarantees it), so all indexing maps are identities.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc;

namespace {

template <typename ArithOp>
Value binary(OpBuilder &b, Location loc, ValueRange args) {
  return ArithOp::create(b, loc, args[0], args[1]);
}

} // namespace

void nnc::populateNNElementwiseToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<lowering::ElementwiseLowering<nn::AddOp, binary<arith::AddFOp>>,
               lowering::ElementwiseLowering<nn::MulOp, binary<arith::MulFOp>>>(
      patterns.getContext());
}
