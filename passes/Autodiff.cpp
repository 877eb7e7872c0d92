//===- Autodiff.cpp - Reverse-mode differentiation of nn models -*- C++ -*-===//
//
// Builds `@M.backward` for every model: the forward body is cloned, then
// walked in reverse, asking each op's DifferentiableOpInterface for the
// gradients of its operands given the gradient of its result. The pass knows
// no op: rules live next to the ops (dialect/NNGradients.cpp). Fan-out is
// handled by summing gradients with `nn.add`.
//
// A trained model whose training forward differs from its inference
// (nnc-build-train-forward made `@M.train_forward`) is differentiated
// through that function: only its first result, the output, is; the others
// are model-state updates. Its key argument has no gradient. An op with
// several results is differentiated through its first.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/NNDialect.h"
#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace nnc {
#define GEN_PASS_DEF_AUTODIFFPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {

/// Gradient of every value reached so far, summed over its uses.
class GradientMap {
public:
  explicit GradientMap(OpBuilder &b) : b(b) {}

  void accumulate(Location loc, Value value, Value gradient) {
    Value &slot = gradients[value];
    slot =
        slot ? nn::AddOp::create(b, loc, slot, gradient).getResult() : gradient;
  }
  Value lookup(Value value) const { return gradients.lookup(value); }

private:
  OpBuilder &b;
  DenseMap<Value, Value> gradients;
};

/// Whether every op of `model` can be differentiated: one block, one
/// result, a rule for each op (the return aside).
bool isDifferentiable(func::FuncOp model) {
  return model.getBody().hasOneBlock() && model.getNumResults() == 1 &&
         llvm::all_of(model.getBody().front().without_terminator(),
                      [](Operation &op) {
                        return isa<nn::DifferentiableOpInterface>(op) ||
                               op.hasTrait<OpTrait::ConstantLike>();
                      });
}

/// Builds `@<name>.backward` of `model`, the function to differentiate: the
/// model itself or its training forward.
LogicalResult buildBackward(func::FuncOp model, StringRef name,
                            bool inputGradients, StringRef breakRule,
                            SymbolTable &symbols) {
  if (!model.getBody().hasOneBlock())
    return model.emitError("unsupported: model body with control flow");
  FunctionType type = model.getFunctionType();
  bool trainForward = model->hasAttr(nn::kTrainForwardOfAttr);
  if (type.getNumResults() != 1 && !trainForward)
    return model.emitError("unsupported: model with ")
           << type.getNumResults() << " results";

  SmallVector<unsigned> params, inputs;
  for (unsigned i = 0; i < model.getNumArguments(); ++i) {
    if (model.getArgAttr(i, nn::kKeyAttr))
      continue;
    (model.getArgAttr(i, nn::kParamAttr) ? params : inputs).push_back(i);
  }

  SmallVector<Type> argTypes(type.getInputs());
  argTypes.push_back(type.getResult(0));
  SmallVector<Type> resultTypes;
  for (unsigned i : params)
    resultTypes.push_back(type.getInput(i));
  if (inputGradients)
    for (unsigned i : inputs)
      resultTypes.push_back(type.getInput(i));

  OpBuilder b(model);
  b.setInsertionPointAfter(model);
  auto backward =
      func::FuncOp::create(b, model.getLoc(), (name + ".backward").str(),
                           b.getFunctionType(argTypes, resultTypes));
  SmallVector<DictionaryAttr> argAttrs;
  model.getAllArgAttrs(argAttrs);
  argAttrs.push_back(b.getDictionaryAttr({}));
  backward.setAllArgAttrs(argAttrs);
  backward->setAttr(nn::kBackwardOfAttr, FlatSymbolRefAttr::get(model));
  // Only the training functions call it; once they inlined it, it goes.
  backward.setPrivate();
  symbols.insert(backward);

  Block *entry = backward.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (unsigned i = 0; i < model.getNumArguments(); ++i)
    mapping.map(model.getArgument(i), entry->getArgument(i));
  SmallVector<Operation *> forward;
  Value output;
  for (Operation &op : model.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      output = mapping.lookup(ret.getOperand(0));
      continue;
    }
    forward.push_back(b.clone(op, mapping));
  }

  GradientMap gradients(b);
  gradients.accumulate(model.getLoc(), output, entry->getArguments().back());
  for (Operation *op : llvm::reverse(forward)) {
    if (op->getNumResults() == 0)
      continue;
    Value resultGradient = gradients.lookup(op->getResult(0));
    // A constant (the zero bias of nnc-split-units) takes no gradient.
    if (!resultGradient || op->hasTrait<OpTrait::ConstantLike>())
      continue;
    auto differentiable = dyn_cast<nn::DifferentiableOpInterface>(op);
    if (!differentiable)
      return op->emitError("unsupported: '")
             << op->getName() << "' has no derivative rule";
    SmallVector<Value> operandGradients;
    if (failed(
            differentiable.buildGradients(b, resultGradient, operandGradients)))
      return failure();
    if (operandGradients.size() != op->getNumOperands())
      return op->emitError("derivative rule returned ")
             << operandGradients.size() << " gradients for "
             << op->getNumOperands() << " operands";
    for (auto [operand, gradient] :
         llvm::zip(op->getOperands(), operandGradients)) {
      if (!gradient)
        continue;
      if (op->getName().getStringRef() == breakRule)
        gradient = nn::AddOp::create(b, op->getLoc(), gradient, gradient);
      gradients.accumulate(op->getLoc(), operand, gradient);
    }
  }

  SmallVector<Value> results;
  auto collect = [&](unsigned i) -> LogicalResult {
    Value arg = entry->getArgument(i);
    if (Value g = gradients.lookup(arg)) {
      results.push_back(g);
      return success();
    }
    auto argType = cast<RankedTensorType>(arg.getType());
    if (!argType.hasStaticShape())
      return model.emitError("input ")
             << i << " does not influence the output, so it has no gradient";
    results.push_back(arith::ConstantOp::create(
        b, model.getLoc(),
        DenseElementsAttr::get(argType,
                               b.getZeroAttr(argType.getElementType()))));
    return success();
  };
  for (unsigned i : params)
    if (failed(collect(i)))
      return failure();
  if (inputGradients)
    for (unsigned i : inputs)
      if (failed(collect(i)))
        return failure();
  func::ReturnOp::create(b, model.getLoc(), results);
  return success();
}

struct AutodiffPass : nnc::impl::AutodiffPassBase<AutodiffPass> {
  using AutodiffPassBase::AutodiffPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> models;
    // Trained models must be differentiable; others get a backward function
    // when they can, for tools and tests, and are left alone otherwise.
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(nn::kModelAttr) &&
          (func->hasAttr(nn::kTrainAttr) || isDifferentiable(func)))
        models.push_back(func);
    for (func::FuncOp model : models) {
      // Trained models are differentiated in training mode.
      auto trainForward = symbols.lookup<func::FuncOp>(
          (model.getSymName() + ".train_forward").str());
      if (failed(buildBackward(trainForward ? trainForward : model,
                               model.getSymName(), inputGradients,
                               testBreakRule, symbols)))
        return signalPassFailure();
    }
  }
};

} // namespace
