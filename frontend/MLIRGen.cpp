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
      collectDenseCalls(stmt.value.get());

    Type f32 = element;
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    for (const nnc::ModelInput &input : model.inputs) {
      argTypes.push_back(batched(input.type.dims));
      argAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
          nnc::nn::kInputAttr, builder.getStringAttr(input.name))));
    }
    for (const nnc::CallExpr *dense : denseCalls) {
      int64_t in = dense->operands[0]->shape[0];
      addParam(argTypes, argAttrs,
               RankedTensorType::get({in, dense->units}, f32),
               dense->paramPrefix + ".weight", int(dense->weightInit));
      addParam(argTypes, argAttrs, RankedTensorType::get({dense->units}, f32),
               dense->paramPrefix + ".bias", int(nnc::InitKind::Zeros));
    }
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
    for (const nnc::CallExpr *dense : denseCalls) {
      params[dense] = {entry->getArgument(nextParam),
                       entry->getArgument(nextParam + 1)};
      nextParam += 2;
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
                const std::string &name, int init) {
    types.push_back(type);
    attrs.push_back(builder.getDictionaryAttr(
        {builder.getNamedAttr(nnc::nn::kParamAttr, builder.getStringAttr(name)),
         builder.getNamedAttr(
             nnc::nn::kInitAttr,
             builder.getStringAttr(nnc::nn::kInitKinds[init]))}));
  }

  /// Dense calls in the order emitExpr reaches them (operands first).
  void collectDenseCalls(const nnc::Expr *expr) {
    auto *call = llvm::dyn_cast<nnc::CallExpr>(expr);
    if (!call)
      return;
    for (const nnc::Expr *operand : call->operands)
      collectDenseCalls(operand);
    if (call->builtin == nnc::Builtin::Dense)
      denseCalls.push_back(call);
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
      auto [weight, bias] = params.lookup(call);
      return nnc::nn::DenseOp::create(builder, l, type, operands[0], weight,
                                      bias);
    }
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
  std::vector<const nnc::CallExpr *> denseCalls;
  llvm::DenseMap<const nnc::CallExpr *, std::pair<Value, Value>> params;
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
