//===- BuildTrainForward.cpp - Training-mode forward functions --*- C++ -*-===//
//
// A model function states what the model computes at inference. Dropout
// and batch normalization compute something else while training; each such
// op implements TrainingModeOpInterface and builds its own training form.
// This pass clones a trained model into `@M.train_forward`, gives it an i64
// key argument (the dropout masks) and asks every such op for its training
// form, in order, numbering them so each draws its own random stream. The
// model-state updates the ops report (batch norm's new running statistics)
// become extra results, each naming the argument it replaces; the state
// must be a model argument marked `nn.buffer`.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/NNDialect.h"
#include "dialect/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace nnc {
#define GEN_PASS_DEF_BUILDTRAINFORWARDPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {

bool hasTrainingForm(func::FuncOp model) {
  return model
      .walk([](nn::TrainingModeOpInterface) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

LogicalResult buildTrainForward(func::FuncOp model, SymbolTable &symbols) {
  if (!model.getBody().hasOneBlock() || model.getNumResults() != 1)
    return model.emitError("unsupported: a trained model with control flow or "
                           "several results");
  OpBuilder b(model);
  b.setInsertionPointAfter(model);
  auto forward = cast<func::FuncOp>(b.clone(*model));
  forward.setSymName((model.getSymName() + ".train_forward").str());
  forward->removeAttr(nn::kModelAttr);
  forward->removeAttr(nn::kTrainAttr);
  forward->setAttr(nn::kTrainForwardOfAttr, FlatSymbolRefAttr::get(model));
  // Only the training entry points call it; once they inlined it, it goes.
  forward.setPrivate();
  symbols.insert(forward);

  Block &body = forward.getBody().front();
  unsigned keyIndex = forward.getNumArguments();
  if (failed(forward.insertArgument(
          keyIndex, b.getI64Type(),
          b.getDictionaryAttr(b.getNamedAttr(nn::kKeyAttr, b.getUnitAttr())),
          model.getLoc())))
    return failure();
  Value key = body.getArgument(keyIndex);

  SmallVector<nn::TrainingModeOpInterface> ops;
  forward.walk([&](nn::TrainingModeOpInterface op) { ops.push_back(op); });
  SmallVector<std::pair<Value, Value>> updates;
  for (auto [stream, op] : llvm::enumerate(ops)) {
    b.setInsertionPoint(op);
    Value replacement = op.buildTrainingForm(b, key, int64_t(stream), updates);
    op->getResult(0).replaceAllUsesWith(replacement);
    op->erase();
  }

  auto ret = cast<func::ReturnOp>(body.getTerminator());
  SmallVector<Value> results(ret.getOperands());
  llvm::SmallDenseSet<unsigned> updated;
  SmallVector<unsigned> argIndices;
  for (auto [state, newValue] : updates) {
    auto arg = dyn_cast<BlockArgument>(state);
    if (!arg || arg.getOwner() != &body ||
        !forward.getArgAttr(arg.getArgNumber(), nn::kBufferAttr))
      return newValue.getDefiningOp()->emitError(
          "unsupported: the model state this op updates is not a model "
          "argument marked 'nn.buffer'");
    if (!updated.insert(arg.getArgNumber()).second)
      return newValue.getDefiningOp()->emitError(
                 "unsupported: model state argument ")
             << arg.getArgNumber() << " is updated twice";
    results.push_back(newValue);
    argIndices.push_back(arg.getArgNumber());
  }
  ret->setOperands(results);
  forward.setFunctionType(b.getFunctionType(forward.getArgumentTypes(),
                                            ValueRange(results).getTypes()));
  for (auto [i, arg] : llvm::enumerate(argIndices))
    forward.setResultAttr(i + 1, nn::kUpdatesAttr,
                          b.getI64IntegerAttr(int64_t(arg)));
  return success();
}

struct BuildTrainForwardPass
    : nnc::impl::BuildTrainForwardPassBase<BuildTrainForwardPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> models;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(nn::kModelAttr) && func->hasAttr(nn::kTrainAttr) &&
          hasTrainingForm(func))
        models.push_back(func);
    for (func::FuncOp model : models)
      if (failed(buildTrainForward(model, symbols)))
        return signalPassFailure();
  }
};

} // namespace
