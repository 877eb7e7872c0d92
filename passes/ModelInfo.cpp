//===- ModelInfo.cpp - What a compiled model exports ------------*- C++ -*-===//
//
// Walks the `nn.model` functions of a module and lays their parameters out
// in one flat buffer. Checks the restrictions of the C interface: f32
// tensors, a dynamic batch dimension on inputs and the output only, static
// parameters, and a single result.
//
//===----------------------------------------------------------------------===//

#include "passes/ModelInfo.h"

#include "dialect/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

int64_t nnc::TensorInfo::size() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

static FailureOr<nnc::TensorInfo> batchedTensor(func::FuncOp func, Type type,
                                                StringRef name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !isa<Float32Type, Float64Type>(tensor.getElementType()) ||
      tensor.getRank() < 2 || !ShapedType::isDynamic(tensor.getDimSize(0)) ||
      llvm::any_of(tensor.getShape().drop_front(), ShapedType::isDynamic))
    return func.emitError() << "model '" << func.getSymName() << "': '" << name
                            << "' must be a float tensor with a dynamic batch "
                               "and static per-example dimensions, got "
                            << type;
  nnc::TensorInfo info;
  info.name = name.str();
  info.shape.assign(tensor.getShape().drop_front().begin(),
                    tensor.getShape().end());
  return info;
}

static FailureOr<nnc::ModelInfo> collectModel(func::FuncOp func) {
  nnc::ModelInfo model;
  model.name = func.getSymName().str();
  model.funcName = model.name;
  FunctionType type = func.getFunctionType();
  if (type.getNumResults() != 1)
    return func.emitError()
           << "model '" << model.name << "' must return exactly one tensor";

  int64_t offset = 0;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    Type argType = type.getInput(i);
    if (auto param =
            func.getArgAttrOfType<StringAttr>(i, nnc::nn::kParamAttr)) {
      auto tensor = dyn_cast<RankedTensorType>(argType);
      if (!tensor || !tensor.hasStaticShape() ||
          (!tensor.getElementType().isF32() &&
           !tensor.getElementType().isF64()))
        return func.emitError()
               << "parameter '" << param.getValue()
               << "' must be a static float tensor, got " << argType;
      nnc::ParamInfo info;
      info.name = param.getValue().str();
      info.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
      info.size = tensor.getNumElements();
      if (auto init = func.getArgAttrOfType<StringAttr>(i, nnc::nn::kInitAttr))
        info.init = llvm::find(nnc::nn::kInitKinds, init.getValue()) -
                    std::begin(nnc::nn::kInitKinds);
      if (info.shape.size() == 4) {
        // Convolution filters [out, in / groups, kh, kw], as PyTorch counts.
        int64_t window = info.shape[2] * info.shape[3];
        info.fanIn = info.shape[1] * window;
        info.fanOut = info.shape[0] * window;
      } else {
        // Dense weights are [in, out]; vectors count as their own fan.
        info.fanIn = info.shape.front();
        info.fanOut = info.shape.back();
      }
      info.trainable = !func.getArgAttr(i, nnc::nn::kBufferAttr);
      std::optional<nnc::PartInfo> part;
      if (auto dict =
              func.getArgAttrOfType<DictionaryAttr>(i, nnc::nn::kPartAttr)) {
        part.emplace();
        part->of = dict.getAs<StringAttr>("of").getValue().str();
        ArrayRef<int64_t> whole = dict.getAs<DenseI64ArrayAttr>("shape");
        part->shape.assign(whole.begin(), whole.end());
        part->dim = dict.getAs<IntegerAttr>("dim").getInt();
        part->index = dict.getAs<IntegerAttr>("index").getInt();
        part->count = dict.getAs<IntegerAttr>("count").getInt();
        // The initialiser's bounds are those of the whole layer.
        info.fanIn = part->shape.front();
        info.fanOut = part->shape.back();
      }
      info.offset = offset;
      offset = llvm::alignTo(offset + info.size, nnc::kParamAlignment);
      model.args.push_back({true, unsigned(model.params.size())});
      model.params.push_back(std::move(info));
      model.parts.push_back(std::move(part));
      continue;
    }
    auto name = func.getArgAttrOfType<StringAttr>(i, nnc::nn::kInputAttr);
    std::string argName =
        name ? name.getValue().str() : "arg" + std::to_string(i);
    FailureOr<nnc::TensorInfo> input = batchedTensor(func, argType, argName);
    if (failed(input))
      return failure();
    model.args.push_back({false, unsigned(model.inputs.size())});
    model.inputs.push_back(std::move(*input));
  }
  model.paramSize = offset;

  FailureOr<nnc::TensorInfo> output =
      batchedTensor(func, type.getResult(0), "output");
  if (failed(output))
    return failure();
  model.output = std::move(*output);
  model.isF64 =
      cast<RankedTensorType>(type.getResult(0)).getElementType().isF64();

  if (auto dict = func->getAttrOfType<DictionaryAttr>(nnc::nn::kTrainAttr)) {
    nnc::TrainInfo train;
    auto num = [&](StringRef key) {
      auto a = dict.getAs<FloatAttr>(key);
      return a ? a.getValueAsDouble() : 0.0;
    };
    auto integer = [&](StringRef key) -> int64_t {
      auto a = dict.getAs<IntegerAttr>(key);
      return a ? a.getInt() : 0;
    };
    auto str = [&](StringRef key) {
      auto a = dict.getAs<StringAttr>(key);
      return a ? a.getValue() : StringRef();
    };
    train.loss = str("loss") == "mse" ? 1 : 0;
    train.optimizer = str("optimizer") == "adam" ? 1 : 0;
    train.lr = num("lr");
    train.momentum = num("momentum");
    train.weightDecay = num("weight_decay");
    train.beta1 = num("beta1");
    train.beta2 = num("beta2");
    train.eps = num("eps");
    train.batch = integer("batch");
    train.epochs = integer("epochs");
    train.augmentFlip = bool(dict.get("augment_flip"));
    train.augmentShift = integer("augment_shift");
    train.statesPerParam = train.optimizer == 1 ? 2
                           : train.momentum > 0 ? 1
                                                : 0;
    model.train = train;
  }
  return model;
}

std::vector<nnc::ParamInfo> nnc::ModelInfo::describedParams() const {
  std::vector<ParamInfo> result;
  for (auto [param, part] : llvm::zip(params, parts)) {
    if (!part) {
      result.push_back(param);
      continue;
    }
    // The parts follow each other in the buffer (their sizes are multiples
    // of kParamAlignment), so the whole starts at the first.
    if (part->index == 0) {
      ParamInfo whole = param;
      whole.name = part->of;
      whole.shape = part->shape;
      whole.size = 0;
      if (part->dim == 1 && part->shape.size() == 2)
        whole.columnBlocks = part->count;
      result.push_back(std::move(whole));
    }
    result.back().size += param.size;
  }
  return result;
}

std::string nnc::getModelBodySymbol(StringRef model) {
  return ("__nnc_" + model + "_body").str();
}

void nnc::readWorkspaceSizes(ModuleOp lowered,
                             MutableArrayRef<ModelInfo> models) {
  // Raises `fixed` and `perExample` to the sizes the function `symbol`
  // records, if it exists and records them.
  auto raise = [&](const std::string &symbol, int64_t &fixed,
                   int64_t &perExample) {
    Operation *func = SymbolTable::lookupSymbolIn(lowered, symbol);
    if (!func)
      return;
    if (auto bytes =
            func->getAttrOfType<IntegerAttr>(nnc::nn::kWorkspaceFixedAttr))
      fixed = std::max(fixed, bytes.getInt());
    if (auto bytes = func->getAttrOfType<IntegerAttr>(
            nnc::nn::kWorkspacePerExampleAttr))
      perExample = std::max(perExample, bytes.getInt());
  };
  for (ModelInfo &model : models) {
    raise(getModelBodySymbol(model.name), model.forwardWorkspaceFixed,
          model.forwardWorkspacePerExample);
    if (!model.train)
      continue;
    for (StringRef entry : {"train_step", "eval"})
      raise((model.name + "." + entry).str(), model.train->workspaceFixed,
            model.train->workspacePerExample);
  }
}

FailureOr<std::vector<nnc::ModelInfo>> nnc::collectModels(ModuleOp module) {
  std::vector<ModelInfo> models;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr(nnc::nn::kModelAttr))
      continue;
    FailureOr<ModelInfo> model = collectModel(func);
    if (failed(model))
      return failure();
    models.push_back(std::move(*model));
  }
  return models;
}
