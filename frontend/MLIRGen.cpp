//===- MLIRGen.cpp - AST to the nn dialect ----------------------*- C++ -*-===//
//
// A straight walk over the checked AST. Sema already resolved every call to
// a builtin and computed every shape, so this file makes no decisions: it
// gathers each model's parameters (so the function signature is known before
// the body is built), then emits one nn op per call, each at the
// FileLineColLoc of its source, with result types from Sema's shapes. The
// module is verified at the end, so a disagreement between Sema and the op
// verifiers is reported, not miscompiled.
//
//===----------------------------------------------------------------------===//

#include "frontend/MLIRGen.h"

#include "dialect/NNDialect.h"
#include "dialect/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;

namespace {

class ModelGen {
public:
  ModelGen(OpBuilder &builder, StringRef filename, Type element)
      : builder(builder), filename(filename), element(element) {}

  func::FuncOp emit(const nnc::Model &model) {
    for (const nnc::Stmt &stmt : model.body)
      collectParamCalls(stmt.value.get());

    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    for (const nnc::ModelInput &input : model.inputs) {
      argTypes.push_back(batched(input.type.dims));
      argAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
          nnc::nn::kInputAttr, builder.getStringAttr(input.name))));
    }
    for (const nnc::CallExpr *call : paramCalls)
      addParams(argTypes, argAttrs, *call);
    auto funcType =
        builder.getFunctionType(argTypes, batched(model.result.dims));
    auto func =
        func::FuncOp::create(builder, loc(model.loc), model.name, funcType);
    func.setAllArgAttrs(argAttrs);
    func->setAttr(nnc::nn::kModelAttr, builder.getUnitAttr());

    Block *entry = func.addEntryBlock();
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(entry);
    for (auto [i, input] : llvm::enumerate(model.inputs))
      values[input.name] = entry->getArgument(i);
    unsigned nextParam = model.inputs.size();
    for (const nnc::CallExpr *call : paramCalls) {
      unsigned count = numParams(*call);
      auto &values = params[call];
      for (unsigned i = 0; i < count; ++i)
        values.push_back(entry->getArgument(nextParam + i));
      nextParam += count;
    }

    for (const nnc::Stmt &stmt : model.body) {
      Value value = emitExpr(stmt.value.get());
      if (stmt.kind == nnc::Stmt::Kind::Return)
        func::ReturnOp::create(builder, loc(stmt.loc), value);
      else
        values[stmt.name] = value;
    }
    return func;
  }

private:
  Location loc(nnc::SourceLoc l) {
    return FileLineColLoc::get(builder.getContext(), filename, l.line, l.col);
  }

  RankedTensorType batched(const nnc::Shape &shape) {
    SmallVector<int64_t> dims{ShapedType::kDynamic};
    dims.append(shape.begin(), shape.end());
    return RankedTensorType::get(dims, element);
  }

  void addParam(SmallVectorImpl<Type> &types,
                SmallVectorImpl<DictionaryAttr> &attrs, Type type,
                const std::string &name, nnc::InitKind init,
                bool buffer = false) {
    types.push_back(type);
    SmallVector<NamedAttribute> named{
        builder.getNamedAttr(nnc::nn::kParamAttr, builder.getStringAttr(name)),
        builder.getNamedAttr(
            nnc::nn::kInitAttr,
            builder.getStringAttr(nnc::nn::kInitKinds[int(init)]))};
    if (buffer)
      named.push_back(
          builder.getNamedAttr(nnc::nn::kBufferAttr, builder.getUnitAttr()));
    attrs.push_back(builder.getDictionaryAttr(named));
  }

  static unsigned numParams(const nnc::CallExpr &call) {
    switch (call.builtin) {
    case nnc::Builtin::Dense:
      return 2;
    case nnc::Builtin::Conv2D:
      return call.bias ? 2 : 1;
    case nnc::Builtin::BatchNorm:
      return 4;
    case nnc::Builtin::Rnn:
    case nnc::Builtin::Gru:
    case nnc::Builtin::Lstm:
      return 4 * call.recurrent.layers * (call.recurrent.bidirectional ? 2 : 1);
    default:
      return 0;
    }
  }

  static int64_t numGates(nnc::Builtin builtin) {
    return builtin == nnc::Builtin::Lstm  ? 4
           : builtin == nnc::Builtin::Gru ? 3
                                          : 1;
  }

  /// The parameters of one layer, in the order its op takes them.
  void addParams(SmallVectorImpl<Type> &types,
                 SmallVectorImpl<DictionaryAttr> &attrs,
                 const nnc::CallExpr &call) {
    using nnc::InitKind;
    const nnc::Shape &in = call.operands[0]->shape;
    const std::string &p = call.paramPrefix;
    auto vector = [&](int64_t n) {
      return RankedTensorType::get({n}, element);
    };
    switch (call.builtin) {
    case nnc::Builtin::Dense:
      addParam(types, attrs,
               RankedTensorType::get({in[0], call.units}, element),
               p + ".weight", call.weightInit);
      addParam(types, attrs, vector(call.units), p + ".bias", InitKind::Zeros);
      return;
    case nnc::Builtin::Conv2D:
      addParam(
          types, attrs,
          RankedTensorType::get({call.units, in[0] / call.groups,
                                 call.window.kernel[0], call.window.kernel[1]},
                                element),
          p + ".weight", call.weightInit);
      if (call.bias)
        addParam(types, attrs, vector(call.units), p + ".bias",
                 InitKind::Zeros);
      return;
    case nnc::Builtin::BatchNorm:
      addParam(types, attrs, vector(in[0]), p + ".weight", InitKind::Ones);
      addParam(types, attrs, vector(in[0]), p + ".bias", InitKind::Zeros);
      addParam(types, attrs, vector(in[0]), p + ".running_mean",
               InitKind::Zeros, /*buffer=*/true);
      addParam(types, attrs, vector(in[0]), p + ".running_var", InitKind::Ones,
               /*buffer=*/true);
      return;
    case nnc::Builtin::Rnn:
    case nnc::Builtin::Gru:
    case nnc::Builtin::Lstm: {
      // PyTorch's names; weights in nn.dense's [in, out] layout.
      const nnc::RecurrentSpec &spec = call.recurrent;
      int64_t hidden = call.units, gates = numGates(call.builtin) * hidden;
      int64_t directions = spec.bidirectional ? 2 : 1;
      for (int64_t layer = 0; layer < spec.layers; ++layer) {
        int64_t features = layer == 0 ? in[1] : hidden * directions;
        for (int64_t d = 0; d < directions; ++d) {
          std::string suffix =
              "_l" + std::to_string(layer) + (d ? "_reverse" : "");
          auto matrix = [&](int64_t rows) {
            return RankedTensorType::get({rows, gates}, element);
          };
          addParam(types, attrs, matrix(features), p + ".weight_ih" + suffix,
                   call.weightInit);
          addParam(types, attrs, matrix(hidden), p + ".weight_hh" + suffix,
                   call.weightInit);
          addParam(types, attrs, vector(gates), p + ".bias_ih" + suffix,
                   InitKind::Zeros);
          addParam(types, attrs, vector(gates), p + ".bias_hh" + suffix,
                   InitKind::Zeros);
        }
      }
      return;
    }
    default:
      return;
    }
  }

  /// A stack of recurrent layers: each direction is one op, a bidirectional
  /// layer concatenates its two along the features, and every layer but the
  /// last hands the next its whole sequence.
  Value emitRecurrent(const nnc::CallExpr &call, Location l,
                      ArrayRef<Value> operands) {
    const nnc::RecurrentSpec &spec = call.recurrent;
    const SmallVector<Value, 4> &p = params.find(&call)->second;
    int64_t hidden = call.units, steps = call.operands[0]->shape[0];
    int64_t directions = spec.bidirectional ? 2 : 1;
    Value initialHidden = spec.initialHidden ? operands[1] : Value();
    Value initialCell = spec.initialCell ? operands.back() : Value();
    Value sequence = operands[0];
    for (int64_t layer = 0; layer < spec.layers; ++layer) {
      bool all = spec.sequence || layer + 1 < spec.layers;
      Type type = all ? batched({steps, hidden}) : batched({hidden});
      SmallVector<Value, 2> outputs;
      for (int64_t d = 0; d < directions; ++d) {
        size_t first = 4 * (layer * directions + d);
        Value wi = p[first], wh = p[first + 1], bi = p[first + 2],
              bh = p[first + 3];
        bool reverse = d == 1;
        switch (call.builtin) {
        case nnc::Builtin::Rnn:
          outputs.push_back(nnc::nn::RnnOp::create(
              builder, l, type, sequence, wi, wh, bi, bh, initialHidden,
              spec.relu ? "relu" : "tanh", reverse, all));
          break;
        case nnc::Builtin::Gru:
          outputs.push_back(
              nnc::nn::GruOp::create(builder, l, type, sequence, wi, wh, bi, bh,
                                     initialHidden, reverse, all));
          break;
        default:
          outputs.push_back(nnc::nn::LstmOp::create(
              builder, l, type, sequence, wi, wh, bi, bh, initialHidden,
              initialCell, reverse, all));
          break;
        }
      }
      sequence =
          outputs.size() == 1
              ? outputs.front()
              : nnc::nn::ConcatOp::create(
                    builder, l, outputs, builder.getI64IntegerAttr(all ? 2 : 1))
                    .getResult();
    }
    return sequence;
  }

  /// Calls of layers with parameters in the order emitExpr reaches them
  /// (operands first).
  void collectParamCalls(const nnc::Expr *expr) {
    auto *call = llvm::dyn_cast<nnc::CallExpr>(expr);
    if (!call)
      return;
    for (const nnc::Expr *operand : call->operands)
      collectParamCalls(operand);
    if (numParams(*call))
      paramCalls.push_back(call);
  }

  Value emitExpr(const nnc::Expr *expr) {
    if (auto *name = llvm::dyn_cast<nnc::NameExpr>(expr))
      return values.lookup(name->name);
    auto *call = llvm::cast<nnc::CallExpr>(expr);
    SmallVector<Value> operands;
    for (const nnc::Expr *operand : call->operands)
      operands.push_back(emitExpr(operand));
    Location l = loc(call->getLoc());
    Type type = batched(call->shape);
    switch (call->builtin) {
    case nnc::Builtin::Dense: {
      const SmallVector<Value, 4> &p = params.find(call)->second;
      return nnc::nn::DenseOp::create(builder, l, type, operands[0], p[0],
                                      p[1]);
    }
    case nnc::Builtin::Conv2D: {
      const SmallVector<Value, 4> &p = params.find(call)->second;
      const nnc::WindowSpec &w = call->window;
      return nnc::nn::Conv2DOp::create(builder, l, type, operands[0], p[0],
                                       call->bias ? p[1] : Value(),
                                       builder.getDenseI64ArrayAttr(w.stride),
                                       builder.getDenseI64ArrayAttr(w.padding),
                                       builder.getDenseI64ArrayAttr(w.dilation),
                                       builder.getI64IntegerAttr(call->groups));
    }
    case nnc::Builtin::MaxPool2D:
    case nnc::Builtin::AvgPool2D: {
      const nnc::WindowSpec &w = call->window;
      auto kernel = builder.getDenseI64ArrayAttr(w.kernel);
      auto strides = builder.getDenseI64ArrayAttr(w.stride);
      auto padding = builder.getDenseI64ArrayAttr(w.padding);
      if (call->builtin == nnc::Builtin::MaxPool2D)
        return nnc::nn::MaxPool2DOp::create(builder, l, type, operands[0],
                                            kernel, strides, padding);
      return nnc::nn::AvgPool2DOp::create(builder, l, type, operands[0], kernel,
                                          strides, padding);
    }
    case nnc::Builtin::GlobalAvgPool:
      return nnc::nn::GlobalAvgPoolOp::create(builder, l, type, operands[0]);
    case nnc::Builtin::BatchNorm: {
      const SmallVector<Value, 4> &p = params.find(call)->second;
      return nnc::nn::BatchNormOp::create(
          builder, l, type, operands[0], p[0], p[1], p[2], p[3],
          builder.getF64FloatAttr(call->epsilon),
          builder.getF64FloatAttr(call->momentum));
    }
    case nnc::Builtin::Dropout:
      return nnc::nn::DropoutOp::create(builder, l, type, operands[0],
                                        builder.getF64FloatAttr(call->rate));
    case nnc::Builtin::Concat:
      return nnc::nn::ConcatOp::create(
          builder, l, type, operands,
          builder.getI64IntegerAttr(call->axis + 1));
    case nnc::Builtin::Rnn:
    case nnc::Builtin::Gru:
    case nnc::Builtin::Lstm:
      return emitRecurrent(*call, l, operands);
    case nnc::Builtin::Relu:
      return nnc::nn::ReluOp::create(builder, l, type, operands[0]);
    case nnc::Builtin::Tanh:
      return nnc::nn::TanhOp::create(builder, l, type, operands[0]);
    case nnc::Builtin::Sigmoid:
      return nnc::nn::SigmoidOp::create(builder, l, type, operands[0]);
    case nnc::Builtin::Softmax:
      return nnc::nn::SoftmaxOp::create(builder, l, type, operands[0]);
    case nnc::Builtin::Add:
      return nnc::nn::AddOp::create(builder, l, type, operands[0], operands[1]);
    case nnc::Builtin::Mul:
      return nnc::nn::MulOp::create(builder, l, type, operands[0], operands[1]);
    case nnc::Builtin::Flatten:
      return nnc::nn::FlattenOp::create(builder, l, type, operands[0]);
    case nnc::Builtin::Reshape:
      return nnc::nn::ReshapeOp::create(builder, l, type, operands[0],
                                        call->targetShape);
    case nnc::Builtin::Unknown:
      break;
    }
    llvm_unreachable("Sema resolves every call");
  }

  OpBuilder &builder;
  StringRef filename;
  Type element;
  std::vector<const nnc::CallExpr *> paramCalls;
  llvm::DenseMap<const nnc::CallExpr *, SmallVector<Value, 4>> params;
  llvm::StringMap<Value> values;
};

} // namespace

/// The `nn.train` dictionary of a train block.
static DictionaryAttr trainAttr(OpBuilder &b, const nnc::TrainBlock &train) {
  auto f64 = [&](double v) { return b.getF64FloatAttr(v); };
  bool adam = train.optimizer == nnc::OptimizerKind::Adam;
  SmallVector<NamedAttribute> attrs{
      b.getNamedAttr("loss", b.getStringAttr(train.loss == nnc::LossKind::MSE
                                                 ? "mse"
                                                 : "softmax_cross_entropy")),
      b.getNamedAttr("optimizer", b.getStringAttr(adam ? "adam" : "sgd")),
      b.getNamedAttr("lr", f64(train.lr)),
      b.getNamedAttr("batch", b.getI64IntegerAttr(train.batch)),
      b.getNamedAttr("epochs", b.getI64IntegerAttr(train.epochs))};
  if (train.augmentFlip)
    attrs.push_back(b.getNamedAttr("augment_flip", b.getUnitAttr()));
  if (train.augmentShift)
    attrs.push_back(b.getNamedAttr("augment_shift",
                                   b.getI64IntegerAttr(train.augmentShift)));
  if (adam) {
    attrs.push_back(b.getNamedAttr("beta1", f64(train.beta1)));
    attrs.push_back(b.getNamedAttr("beta2", f64(train.beta2)));
    attrs.push_back(b.getNamedAttr("eps", f64(train.eps)));
  } else {
    attrs.push_back(b.getNamedAttr("momentum", f64(train.momentum)));
    attrs.push_back(b.getNamedAttr("weight_decay", f64(train.weightDecay)));
  }
  return b.getDictionaryAttr(attrs);
}

OwningOpRef<ModuleOp> nnc::mlirGen(MLIRContext &context,
                                   const ModuleAST &module, Type elementType) {
  context.loadDialect<nn::NNDialect, func::FuncDialect>();
  OpBuilder builder(&context);
  OwningOpRef<ModuleOp> result =
      ModuleOp::create(FileLineColLoc::get(&context, module.filename, 1, 1));
  builder.setInsertionPointToEnd(result->getBody());
  if (!elementType)
    elementType = builder.getF32Type();
  llvm::StringMap<func::FuncOp> funcs;
  for (const Model &model : module.models)
    funcs[model.name] =
        ModelGen(builder, module.filename, elementType).emit(model);
  for (const TrainBlock &train : module.trainBlocks)
    if (func::FuncOp func = funcs.lookup(train.model))
      func->setAttr(nn::kTrainAttr, trainAttr(builder, train));
  if (failed(verify(*result)))
    return nullptr;
  return result;
}
