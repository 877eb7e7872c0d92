//===- BuildTrainStep.cpp - Training entry points of a model ----*- C++ -*-===//
//
// Composes a model, its `@M.backward` (from nnc-autodiff), the loss of its
// `train` block and the optimizer update into the two functions behind the
// C interface's three training entry points: train_step (which, with its
// `update` flag false, is also the gradient entry point: one copy of the
// network in the object instead of two) and eval. Loss and gradients come
// from the training forward `@M.train_forward` when the model has one (see
// nnc-build-train-forward): it takes a key for its dropout masks and returns
// new model state, which train_step stores in place of the optimizer update
// for those parameters; eval always runs the model itself. Everything is
// expressed as calls and nn ops; the pipeline inlines the calls and CSE merges
// the forward pass the backward function recomputes with the one the loss uses.
// The optimizer writes into the parameter and state tensors it was given,
// which bufferization turns into in-place updates of the caller's buffers.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/NNDialect.h"
#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"

namespace nnc {
#define GEN_PASS_DEF_BUILDTRAINSTEPPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {

/// The `nn.train` dictionary, read with defaults and checked.
struct TrainConfig {
  std::string loss, optimizer;
  double lr = 0.01, momentum = 0, weightDecay = 0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;

  static FailureOr<TrainConfig> read(func::FuncOp model, DictionaryAttr dict) {
    TrainConfig c;
    auto str = [&](StringRef key, std::string &out) {
      if (auto a = dict.getAs<StringAttr>(key))
        out = a.getValue().str();
    };
    auto num = [&](StringRef key, double &out) {
      if (auto a = dict.getAs<FloatAttr>(key))
        out = a.getValueAsDouble();
    };
    str("loss", c.loss);
    str("optimizer", c.optimizer);
    if (c.optimizer == "adam")
      c.lr = 0.001;
    num("lr", c.lr);
    num("momentum", c.momentum);
    num("weight_decay", c.weightDecay);
    num("beta1", c.beta1);
    num("beta2", c.beta2);
    num("eps", c.eps);
    if (c.loss != "softmax_cross_entropy" && c.loss != "mse")
      return model.emitError("unsupported: loss '") << c.loss << "'";
    if (c.optimizer != "sgd" && c.optimizer != "adam")
      return model.emitError("unsupported: optimizer '") << c.optimizer << "'";
    return c;
  }
  bool crossEntropy() const { return loss == "softmax_cross_entropy"; }
  /// Optimizer state tensors per parameter.
  unsigned statesPerParam() const {
    return optimizer == "adam" ? 2 : momentum > 0 ? 1 : 0;
  }
};

class TrainStepBuilder {
public:
  TrainStepBuilder(func::FuncOp model, func::FuncOp trainForward,
                   func::FuncOp backward, const TrainConfig &config,
                   SymbolTable &symbols)
      : model(model), trainForward(trainForward), backward(backward),
        config(config), symbols(symbols), b(model.getContext()) {
    for (unsigned i = 0; i < model.getNumArguments(); ++i)
      if (!model.getArgAttr(i, nn::kParamAttr))
        inputIndex = i;
    for (unsigned i = 0; i < model.getNumArguments(); ++i)
      if (model.getArgAttr(i, nn::kParamAttr))
        paramIndices.push_back(i);
    outputType = cast<RankedTensorType>(model.getFunctionType().getResult(0));
    element = outputType.getElementType();
    labelsType =
        config.crossEntropy()
            ? RankedTensorType::get({outputType.getDimSize(0)}, b.getI32Type())
            : outputType;
    lossType = RankedTensorType::get({}, element);
  }

  void build() {
    b.setInsertionPointAfter(backward);
    buildTrainStep();
    buildEval();
  }

private:
  Type argType(unsigned i) { return model.getFunctionType().getInput(i); }

  /// A function named `@M.<suffix>` whose arguments and results carry roles.
  func::FuncOp createFunction(StringRef suffix,
                              ArrayRef<std::pair<Type, NamedAttrList>> args,
                              ArrayRef<std::pair<Type, StringRef>> results) {
    SmallVector<Type> argTypes, resultTypes;
    for (auto &[type, attrs] : args)
      argTypes.push_back(type);
    for (auto &[type, role] : results)
      resultTypes.push_back(type);
    auto func = func::FuncOp::create(b, model.getLoc(),
                                     (model.getSymName() + "." + suffix).str(),
                                     b.getFunctionType(argTypes, resultTypes));
    for (auto [i, arg] : llvm::enumerate(args))
      func.setArgAttrs(i, arg.second.getDictionary(b.getContext()));
    for (auto [i, result] : llvm::enumerate(results))
      func.setResultAttr(i, nn::kRoleAttr, b.getStringAttr(result.second));
    func->setAttr(nn::kEntryAttr, b.getStringAttr(suffix));
    symbols.insert(func);
    b.setInsertionPointToStart(func.addEntryBlock());
    return func;
  }

  NamedAttrList role(StringRef name, unsigned modelArg = ~0u) {
    NamedAttrList attrs;
    attrs.append(nn::kRoleAttr, b.getStringAttr(name));
    if (modelArg != ~0u)
      if (auto param = model.getArgAttr(modelArg, nn::kParamAttr))
        attrs.append(nn::kParamAttr, param);
    return attrs;
  }

  /// Arguments (x, labels, [step, seed, update], params...), the prefix
  /// every entry point shares.
  SmallVector<std::pair<Type, NamedAttrList>> dataAndParams(bool training) {
    SmallVector<std::pair<Type, NamedAttrList>> args{
        {argType(inputIndex), role("input")}, {labelsType, role("labels")}};
    if (training) {
      args.push_back({b.getI64Type(), role("step")});
      args.push_back({b.getI64Type(), role("seed")});
      args.push_back({b.getI1Type(), role("update")});
    }
    for (unsigned i : paramIndices)
      args.push_back({argType(i), role("param", i)});
    return args;
  }

  /// Calls the model on `x` and `params` (in model argument order).
  SmallVector<Value> modelOperands(Value x, ValueRange params) {
    SmallVector<Value> operands(model.getNumArguments());
    operands[inputIndex] = x;
    for (auto [i, p] : llvm::zip(paramIndices, params))
      operands[i] = p;
    return operands;
  }

  Value buildLoss(Location loc, Value output, Value labels) {
    if (config.crossEntropy())
      return nn::SoftmaxCrossEntropyOp::create(b, loc, output, labels);
    return nn::MseOp::create(b, loc, output, labels);
  }

  bool isBuffer(unsigned param) {
    return bool(model.getArgAttr(paramIndices[param], nn::kBufferAttr));
  }

  /// What one training-mode pass over a batch gives.
  struct LossAndGradients {
    Value loss;
    SmallVector<Value> grads;
    /// The new value of each model-state parameter (by position in
    /// `paramIndices`) that the training forward updates.
    DenseMap<unsigned, Value> newState;
  };

  /// Forward in training mode, loss, and backward, at the insertion point.
  LossAndGradients buildLossAndGradients(Location loc, Value x, Value labels,
                                         Value key, ValueRange params) {
    LossAndGradients r;
    SmallVector<Value> operands = modelOperands(x, params);
    Value output;
    if (trainForward) {
      operands.push_back(key);
      auto call = func::CallOp::create(b, loc, trainForward, operands);
      output = call.getResult(0);
      for (unsigned i = 1; i < call.getNumResults(); ++i) {
        auto arg =
            trainForward.getResultAttrOfType<IntegerAttr>(i, nn::kUpdatesAttr);
        unsigned pos = llvm::find(paramIndices, unsigned(arg.getInt())) -
                       paramIndices.begin();
        r.newState[pos] = call.getResult(i);
      }
    } else {
      output = func::CallOp::create(b, loc, model, operands).getResult(0);
    }
    r.loss = buildLoss(loc, output, labels);
    Value one = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(lossType, b.getFloatAttr(element, 1.0)));
    SmallVector<Value> lossGradients;
    (void)cast<nn::DifferentiableOpInterface>(r.loss.getDefiningOp())
        .buildGradients(b, one, lossGradients);
    operands.push_back(lossGradients.front());
    llvm::append_range(
        r.grads, func::CallOp::create(b, loc, backward, operands).getResults());
    return r;
  }

  void buildTrainStep() {
    unsigned n = paramIndices.size(), states = config.statesPerParam();
    SmallVector<std::pair<Type, NamedAttrList>> args =
        dataAndParams(/*training=*/true);
    for (unsigned s = 0; s < states; ++s)
      for (unsigned i : paramIndices)
        args.push_back({argType(i), role("state", i)});
    SmallVector<std::pair<Type, StringRef>> results{{lossType, "loss"}};
    for (unsigned i : paramIndices)
      results.push_back({argType(i), "grad"});
    for (unsigned i : paramIndices)
      results.push_back({argType(i), "param"});
    for (unsigned s = 0; s < states; ++s)
      for (unsigned i : paramIndices)
        results.push_back({argType(i), "state"});
    func::FuncOp func = createFunction("train_step", args, results);

    Location loc = model.getLoc();
    ValueRange a = func.getArguments();
    Value x = a[0], labels = a[1], step = a[2], seed = a[3], update = a[4];
    ValueRange params = a.slice(5, n), state = a.drop_front(5 + n);
    // Every step draws new dropout masks: key = seed ^ (step * golden).
    Value golden = arith::ConstantOp::create(
        b, loc, b.getI64IntegerAttr(int64_t(0x9E3779B97F4A7C15ull)));
    Value key = arith::XOrIOp::create(
        b, loc, seed, arith::MulIOp::create(b, loc, step, golden));
    LossAndGradients r = buildLossAndGradients(loc, x, labels, key, params);

    // Parameters and state change only when `update` is set; otherwise the
    // function is the gradient entry point and yields them unchanged.
    SmallVector<Value> unchanged(params);
    llvm::append_range(unchanged, state);
    auto ifOp = scf::IfOp::create(b, loc, ValueRange(unchanged).getTypes(),
                                  update, /*withElseRegion=*/true);
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, unchanged);
    b.setInsertionPointToStart(ifOp.thenBlock());
    SmallVector<Value> updated = buildUpdates(loc, step, params, state, r);
    scf::YieldOp::create(b, loc, updated);
    b.setInsertionPointAfter(ifOp);

    SmallVector<Value> returned{r.loss};
    llvm::append_range(returned, r.grads);
    llvm::append_range(returned, ifOp.getResults());
    func::ReturnOp::create(b, loc, returned);
    b.setInsertionPointAfter(func);
  }

  /// The new parameters, then the new optimizer state, after one optimizer
  /// step (model-state parameters take the training forward's new value).
  SmallVector<Value> buildUpdates(Location loc, Value step, ValueRange params,
                                  ValueRange state, const LossAndGradients &r) {
    unsigned n = params.size(), states = config.statesPerParam();
    SmallVector<Value> newParams, newStates(states * n);
    for (unsigned i = 0; i < n; ++i) {
      Type t = params[i].getType();
      if (isBuffer(i)) {
        // Model state: the training forward's new value, no optimizer. It
        // is computed before the branch, so it is copied in here: the
        // branch that does not update still reads the old value.
        Value newState = r.newState.lookup(i);
        newParams.push_back(
            newState ? linalg::CopyOp::create(b, loc, newState, params[i])
                           .getResult(0)
                     : params[i]);
        for (unsigned s = 0; s < states; ++s)
          newStates[s * n + i] = state[s * n + i];
        continue;
      }
      if (config.optimizer == "adam") {
        auto update = nn::AdamUpdateOp::create(
            b, loc, TypeRange{t, t, t}, params[i], r.grads[i], state[i],
            state[n + i], step, b.getF64FloatAttr(config.lr),
            b.getF64FloatAttr(config.beta1), b.getF64FloatAttr(config.beta2),
            b.getF64FloatAttr(config.eps));
        newParams.push_back(update.getNewParam());
        newStates[i] = update.getNewM();
        newStates[n + i] = update.getNewV();
        continue;
      }
      Value velocity = states ? state[i] : Value();
      SmallVector<Type> types(states ? 2 : 1, t);
      auto update = nn::SgdUpdateOp::create(
          b, loc, types, params[i], r.grads[i], velocity,
          b.getF64FloatAttr(config.lr), b.getF64FloatAttr(config.momentum),
          b.getF64FloatAttr(config.weightDecay));
      newParams.push_back(update.getResult(0));
      if (states)
        newStates[i] = update.getResult(1);
    }
    llvm::append_range(newParams, newStates);
    return newParams;
  }

  void buildEval() {
    auto correctType = RankedTensorType::get({}, b.getI64Type());
    func::FuncOp func =
        createFunction("eval", dataAndParams(/*training=*/false),
                       {{lossType, "loss"}, {correctType, "correct"}});
    Location loc = model.getLoc();
    ValueRange args = func.getArguments();
    Value output =
        func::CallOp::create(b, loc, model,
                             modelOperands(args[0], args.drop_front(2)))
            .getResult(0);
    Value loss = buildLoss(loc, output, args[1]);
    Value correct =
        config.crossEntropy()
            ? Value(nn::CountCorrectOp::create(b, loc, output, args[1]))
            : Value(arith::ConstantOp::create(
                  b, loc,
                  DenseElementsAttr::get(correctType, b.getI64IntegerAttr(0))));
    func::ReturnOp::create(b, loc, ValueRange{loss, correct});
    b.setInsertionPointAfter(func);
  }

  func::FuncOp model, trainForward, backward;
  const TrainConfig &config;
  SymbolTable &symbols;
  OpBuilder b;
  unsigned inputIndex = 0;
  SmallVector<unsigned> paramIndices;
  RankedTensorType outputType, labelsType, lossType;
  Type element;
};

struct BuildTrainStepPass
    : nnc::impl::BuildTrainStepPassBase<BuildTrainStepPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> models;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(nn::kModelAttr) && func->hasAttr(nn::kTrainAttr))
        models.push_back(func);
    for (func::FuncOp model : models) {
      unsigned inputs = 0, params = 0;
      for (unsigned i = 0; i < model.getNumArguments(); ++i)
        ++(model.getArgAttr(i, nn::kParamAttr) ? params : inputs);
      if (inputs != 1 || params == 0 || model.getNumResults() != 1) {
        model.emitError("unsupported: training needs one input, at least one "
                        "parameter and one result");
        return signalPassFailure();
      }
      auto backward = symbols.lookup<func::FuncOp>(
          (model.getSymName() + ".backward").str());
      if (!backward) {
        model.emitError("no '@")
            << model.getSymName() << ".backward': run nnc-autodiff first";
        return signalPassFailure();
      }
      FailureOr<TrainConfig> config = TrainConfig::read(
          model, model->getAttrOfType<DictionaryAttr>(nn::kTrainAttr));
      if (failed(config))
        return signalPassFailure();
      auto output = cast<RankedTensorType>(model.getResultTypes().front());
      if (config->crossEntropy() &&
          (output.getRank() != 2 || output.isDynamicDim(1))) {
        model.emitError("unsupported: softmax_cross_entropy needs an output "
                        "of shape [batch, classes], got ")
            << output;
        return signalPassFailure();
      }
      auto trainForward = symbols.lookup<func::FuncOp>(
          (model.getSymName() + ".train_forward").str());
      TrainStepBuilder(model, trainForward, backward, *config, symbols).build();
    }
  }
};

} // namespace
