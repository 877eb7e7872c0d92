//===- Sema.cpp - Semantic checks and shape inference -----------*- C++ -*-===//
//
// Walks each model in order, keeping the shape of every named value seen so
// far (reassignment replaces it), and checks each call against a table of
// builtin signatures. A value whose definition had an error is recorded as
// "poisoned": later uses of it are silently skipped, so one mistake yields
// one message rather than a cascade.
//
// Parameter prefixes are handed out in evaluation order (operands before the
// call), so in `h = dense(dense(x, 8), 4)` the inner layer, which runs first,
// is `h` and the outer one `h_2`.
//
// Train blocks are checked after every model: their settings are resolved
// like keyword arguments (each value is an expression that must be a name
// from a fixed set or a number in range), then the model they name is
// checked for what training needs.
//
//===----------------------------------------------------------------------===//

#include "frontend/Sema.h"
#include "frontend/Lexer.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <optional>

using namespace nnc;

namespace {

/// What a builtin expects in one argument slot.
enum class ParamKind {
  /// A tensor; positional only.
  Tensor,
  /// A positive integer literal (`dense` units).
  Units,
  /// A list of positive integer literals (`reshape` target shape).
  Shape,
  /// An initialiser name; keyword only.
  Init,
};

struct ParamInfo {
  llvm::StringLiteral name;
  ParamKind kind;
  bool required;
};

struct BuiltinInfo {
  llvm::StringLiteral name;
  Builtin builtin;
  llvm::ArrayRef<ParamInfo> params;
  /// Leading params that may be given positionally.
  unsigned numPositional;
};

const ParamInfo kUnaryParams[] = {{"x", ParamKind::Tensor, true}};
const ParamInfo kBinaryParams[] = {{"x", ParamKind::Tensor, true},
                                   {"y", ParamKind::Tensor, true}};
const ParamInfo kDenseParams[] = {{"x", ParamKind::Tensor, true},
                                  {"units", ParamKind::Units, true},
                                  {"init", ParamKind::Init, false}};
const ParamInfo kReshapeParams[] = {{"x", ParamKind::Tensor, true},
                                    {"shape", ParamKind::Shape, true}};

const BuiltinInfo kBuiltins[] = {
    {"dense", Builtin::Dense, kDenseParams, 2},
    {"relu", Builtin::Relu, kUnaryParams, 1},
    {"tanh", Builtin::Tanh, kUnaryParams, 1},
    {"sigmoid", Builtin::Sigmoid, kUnaryParams, 1},
    {"softmax", Builtin::Softmax, kUnaryParams, 1},
    {"add", Builtin::Add, kBinaryParams, 2},
    {"mul", Builtin::Mul, kBinaryParams, 2},
    {"flatten", Builtin::Flatten, kUnaryParams, 1},
    {"reshape", Builtin::Reshape, kReshapeParams, 2},
};

const BuiltinInfo *lookupBuiltin(llvm::StringRef name) {
  for (const BuiltinInfo &info : kBuiltins)
    if (info.name == name)
      return &info;
  return nullptr;
}

/// Tensors, dimensions and layer widths are limited to what fits in int32,
/// the index type of the generated code and of the runtime ABI.
constexpr int64_t kMaxSize = INT32_MAX;

/// More epochs than this is certainly a typo, and the count has to fit the
/// loops of the generated training driver.
constexpr int64_t kMaxEpochs = 1000000;

/// The interval an optimizer argument must lie in.
enum class ArgRange {
  /// (0, inf): learning rates, epsilon.
  Positive,
  /// [0, inf): weight decay.
  NonNegative,
  /// [0, 1): momentum, Adam's betas.
  Fraction,
};

struct OptimizerArg {
  llvm::StringLiteral name;
  ArgRange range;
  double TrainBlock::*field;
};

struct OptimizerInfo {
  llvm::StringLiteral name;
  OptimizerKind kind;
  llvm::ArrayRef<OptimizerArg> args;
  /// The learning rate when the block does not give one.
  double defaultLR;
};

const OptimizerArg kSGDArgs[] = {
    {"lr", ArgRange::Positive, &TrainBlock::lr},
    {"momentum", ArgRange::Fraction, &TrainBlock::momentum},
    {"weight_decay", ArgRange::NonNegative, &TrainBlock::weightDecay}};
const OptimizerArg kAdamArgs[] = {
    {"lr", ArgRange::Positive, &TrainBlock::lr},
    {"beta1", ArgRange::Fraction, &TrainBlock::beta1},
    {"beta2", ArgRange::Fraction, &TrainBlock::beta2},
    {"eps", ArgRange::Positive, &TrainBlock::eps}};

const OptimizerInfo kOptimizers[] = {
    {"sgd", OptimizerKind::SGD, kSGDArgs, 0.01},
    {"adam", OptimizerKind::Adam, kAdamArgs, 0.001},
};

bool isInRange(ArgRange range, double value) {
  switch (range) {
  case ArgRange::Positive:
    return std::isfinite(value) && value > 0;
  case ArgRange::NonNegative:
    return std::isfinite(value) && value >= 0;
  case ArgRange::Fraction:
    return value >= 0 && value < 1;
  }
  llvm_unreachable("unknown argument range");
}

llvm::StringRef describeRange(ArgRange range) {
  switch (range) {
  case ArgRange::Positive:
    return "a positive finite number";
  case ArgRange::NonNegative:
    return "a non-negative finite number";
  case ArgRange::Fraction:
    return "a number in [0, 1)";
  }
  llvm_unreachable("unknown argument range");
}

/// What a train block needs to know about the model it trains.
struct ModelFacts {
  const Model *model;
  /// It contains a layer with parameters (a `dense`).
  bool hasParams;
  /// Checking it reported an error, so its body may be incomplete.
  bool hadErrors;
};

/// The element count, or nullopt if it does not fit in int64.
std::optional<int64_t> getNumElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t dim : shape)
    if (llvm::MulOverflow(n, dim, n))
      return std::nullopt;
  return n;
}

bool isTooLarge(const Shape &shape) {
  std::optional<int64_t> n = getNumElements(shape);
  return !n || *n > kMaxSize;
}

/// How an argument is described after "got" in messages.
std::string describeExpr(const Expr &e) {
  if (auto *num = llvm::dyn_cast<NumberExpr>(&e))
    return num->spelling;
  if (auto *name = llvm::dyn_cast<NameExpr>(&e))
    return "'" + name->name + "'";
  if (auto *call = llvm::dyn_cast<CallExpr>(&e))
    return "a call to '" + call->callee + "'";
  return "a list";
}

class Sema {
public:
  explicit Sema(DiagnosticReporter &diags) : diags(diags) {}

  void checkModule(ModuleAST &module);

private:
  void checkModel(Model &model);
  void checkTrainBlock(TrainBlock &block);
  bool checkTrainSettings(TrainBlock &block, const Expr *&lossValue);
  bool checkLoss(TrainBlock &block, const Expr &value);
  void checkOptimizer(TrainBlock &block, const Expr &value);
  void checkModelForTraining(const TrainBlock &block, const ModelFacts &facts,
                             bool lossOk, const Expr *lossValue);
  bool checkType(const TypeSpec &type, const llvm::Twine &what);
  std::optional<Shape> checkTensor(Expr &e);
  std::optional<Shape> checkCall(CallExpr &call);
  std::optional<Shape> inferResult(CallExpr &call,
                                   llvm::ArrayRef<Shape> operands,
                                   const Expr *shapeArg, const Expr *unitsArg);
  std::optional<int64_t> checkPositiveInt(const Expr &e,
                                          const llvm::Twine &what,
                                          llvm::StringRef noun,
                                          int64_t limit = kMaxSize);
  std::string takeParamPrefix(llvm::StringRef base);

  DiagnosticReporter &diags;
  /// Shapes of the named values visible at the current statement; nullopt
  /// marks a value whose definition had an error.
  llvm::StringMap<std::optional<Shape>> values;
  llvm::StringSet<> usedPrefixes;
  /// Prefix a `dense` in the current statement is named after.
  std::string stmtPrefix;
  /// Whether the current model has a `dense` so far.
  bool sawDense = false;
  /// The first definition of each model name.
  llvm::StringMap<ModelFacts> models;
  /// The `train` of the first train block of each model.
  llvm::StringMap<SourceLoc> trainedModels;
};

} // namespace

void Sema::checkModule(ModuleAST &module) {
  for (Model &model : module.models) {
    if (diags.shouldStop())
      return;
    auto [it, inserted] =
        models.try_emplace(model.name, ModelFacts{&model, false, false});
    if (!inserted) {
      mlir::InFlightDiagnostic diag = diags.error(model.loc);
      diag << "redefinition of model '" << model.name << "'";
      diag.attachNote(diags.getLoc(it->second.model->loc))
          << "previous definition is here";
    }
    unsigned errorsBefore = diags.getNumErrors();
    sawDense = false;
    checkModel(model);
    if (inserted) {
      it->second.hasParams = sawDense;
      it->second.hadErrors = diags.getNumErrors() != errorsBefore;
    }
  }
  for (TrainBlock &block : module.trainBlocks) {
    if (diags.shouldStop())
      return;
    checkTrainBlock(block);
  }
}

void Sema::checkModel(Model &model) {
  values.clear();
  usedPrefixes.clear();

  llvm::StringMap<SourceLoc> inputLocs;
  for (ModelInput &input : model.inputs) {
    bool ok = checkType(input.type, "input '" + input.name + "'");
    auto [it, inserted] = inputLocs.try_emplace(input.name, input.loc);
    if (!inserted) {
      mlir::InFlightDiagnostic diag = diags.error(input.loc);
      diag << "redefinition of input '" << input.name << "'";
      diag.attachNote(diags.getLoc(it->second))
          << "previous definition is here";
      continue;
    }
    values[input.name] =
        ok ? std::optional<Shape>(input.type.dims) : std::nullopt;
  }
  bool resultOk = checkType(model.result, "result");

  bool seenReturn = false;
  bool reportedAfterReturn = false;
  for (Stmt &stmt : model.body) {
    if (diags.shouldStop())
      return;
    if (seenReturn && !reportedAfterReturn) {
      diags.error(stmt.loc) << "statement after 'return'";
      reportedAfterReturn = true;
    }
    bool isReturn = stmt.kind == Stmt::Kind::Return;
    stmtPrefix = isReturn ? "output" : stmt.name;
    std::optional<Shape> shape = checkTensor(*stmt.value);
    if (!isReturn) {
      values[stmt.name] = std::move(shape);
      continue;
    }
    if (seenReturn)
      continue;
    seenReturn = true;
    if (shape && resultOk && *shape != model.result.dims)
      diags.error(stmt.value->getLoc())
          << "model '" << model.name << "' is declared to return "
          << formatTensorType(model.result.dims) << " but returns "
          << formatTensorType(*shape);
  }
  if (!seenReturn)
    diags.error(model.loc) << "missing 'return' in model '" << model.name
                           << "'";
}

bool Sema::checkType(const TypeSpec &type, const llvm::Twine &what) {
  if (type.elementType != "f32") {
    diags.error(type.loc) << "unsupported element type '" << type.elementType
                          << "'; only f32 is supported";
    return false;
  }
  if (isTooLarge(type.dims)) {
    diags.error(type.loc) << what << " of type " << formatTensorType(type.dims)
                          << " is too large (more than " << kMaxSize
                          << " elements)";
    return false;
  }
  return true;
}

std::optional<Shape> Sema::checkTensor(Expr &e) {
  if (diags.shouldStop())
    return std::nullopt;
  switch (e.getKind()) {
  case Expr::Kind::Number:
    diags.error(e.getLoc())
        << "expected a tensor, got number " << describeExpr(e);
    return std::nullopt;
  case Expr::Kind::List:
    diags.error(e.getLoc()) << "expected a tensor, got a list";
    return std::nullopt;
  case Expr::Kind::Name: {
    auto &name = llvm::cast<NameExpr>(e);
    auto it = values.find(name.name);
    if (it == values.end()) {
      diags.error(e.getLoc()) << "unknown name '" << name.name << "'";
      return std::nullopt;
    }
    if (it->second)
      e.shape = *it->second;
    return it->second;
  }
  case Expr::Kind::Call: {
    std::optional<Shape> shape = checkCall(llvm::cast<CallExpr>(e));
    if (shape)
      e.shape = *shape;
    return shape;
  }
  }
  llvm_unreachable("unknown expression kind");
}

std::optional<Shape> Sema::checkCall(CallExpr &call) {
  const BuiltinInfo *info = lookupBuiltin(call.callee);
  if (!info) {
    diags.error(call.getLoc()) << "unknown function '" << call.callee << "'";
    return std::nullopt;
  }
  call.builtin = info->builtin;
  llvm::StringRef fn = info->name;

  // Bind arguments to parameter slots, Python-style.
  llvm::SmallVector<const CallArg *, 4> bound(info->params.size(), nullptr);
  bool ok = true;
  unsigned numPositional = 0;
  for (const CallArg &arg : call.args)
    if (arg.keyword.empty())
      ++numPositional;
  unsigned index = 0;
  for (const CallArg &arg : call.args) {
    if (!arg.keyword.empty())
      continue;
    if (index == info->numPositional) {
      diags.error(arg.loc) << "'" << fn << "' expects " << info->numPositional
                           << " positional argument"
                           << (info->numPositional == 1 ? "" : "s") << ", got "
                           << numPositional;
      ok = false;
      break;
    }
    bound[index++] = &arg;
  }
  bool keywordFillsPositional = false;
  llvm::StringSet<> keywords;
  for (const CallArg &arg : call.args) {
    if (arg.keyword.empty())
      continue;
    const ParamInfo *param =
        llvm::find_if(info->params, [&](const ParamInfo &p) {
          return p.name == arg.keyword;
        });
    if (param == info->params.end()) {
      diags.error(arg.loc) << "'" << fn << "' has no argument '" << arg.keyword
                           << "'";
      ok = false;
      continue;
    }
    if (param->kind == ParamKind::Tensor) {
      diags.error(arg.loc) << "'" << fn << "' argument '" << arg.keyword
                           << "' cannot be passed by keyword";
      ok = false;
      continue;
    }
    if (!keywords.insert(arg.keyword).second) {
      diags.error(arg.loc) << "duplicate keyword argument '" << arg.keyword
                           << "'";
      ok = false;
      continue;
    }
    unsigned slot = param - info->params.begin();
    if (bound[slot]) {
      diags.error(arg.loc) << "'" << fn
                           << "' got multiple values for argument '"
                           << arg.keyword << "'";
      ok = false;
      continue;
    }
    keywordFillsPositional |= slot < info->numPositional;
    bound[slot] = &arg;
  }
  if (ok) {
    for (auto [param, arg] : llvm::zip_equal(info->params, bound)) {
      if (arg || !param.required)
        continue;
      if (!keywordFillsPositional)
        diags.error(call.getLoc())
            << "'" << fn << "' expects " << info->numPositional
            << " positional argument" << (info->numPositional == 1 ? "" : "s")
            << ", got " << numPositional;
      else
        diags.error(call.getLoc())
            << "'" << fn << "' is missing argument '" << param.name << "'";
      ok = false;
      break;
    }
  }

  // Check every bound argument even after a binding error, so that mistakes
  // inside them are reported too.
  llvm::SmallVector<Shape, 2> operands;
  const Expr *unitsArg = nullptr, *shapeArg = nullptr;
  for (auto [param, arg] : llvm::zip_equal(info->params, bound)) {
    if (!arg)
      continue;
    Expr &value = *arg->value;
    std::string what = ("'" + fn + "' argument '" + param.name + "'").str();
    switch (param.kind) {
    case ParamKind::Tensor: {
      call.operands.push_back(&value);
      std::optional<Shape> shape = checkTensor(value);
      if (shape)
        operands.push_back(std::move(*shape));
      else
        ok = false;
      break;
    }
    case ParamKind::Units: {
      unitsArg = &value;
      std::optional<int64_t> units = checkPositiveInt(value, what, "units");
      ok &= units.has_value();
      call.units = units.value_or(0);
      break;
    }
    case ParamKind::Shape: {
      shapeArg = &value;
      auto *list = llvm::dyn_cast<ListExpr>(&value);
      if (!list) {
        diags.error(value.getLoc())
            << what << " must be a list of dimensions, got "
            << describeExpr(value);
        ok = false;
        break;
      }
      if (list->elements.empty()) {
        diags.error(value.getLoc()) << what << " must not be empty";
        ok = false;
        break;
      }
      for (ExprPtr &element : list->elements) {
        std::optional<int64_t> dim =
            checkPositiveInt(*element, "dimension", "dimension");
        ok &= dim.has_value();
        call.targetShape.push_back(dim.value_or(1));
      }
      break;
    }
    case ParamKind::Init: {
      auto *name = llvm::dyn_cast<NameExpr>(&value);
      std::optional<InitKind> kind;
      if (name)
        kind = llvm::StringSwitch<std::optional<InitKind>>(name->name)
                   .Case("xavier", InitKind::XavierUniform)
                   .Case("he", InitKind::HeUniform)
                   .Case("zeros", InitKind::Zeros)
                   .Default(std::nullopt);
      if (!kind) {
        diags.error(value.getLoc())
            << what << " must be one of xavier, he, zeros, got "
            << describeExpr(value);
        ok = false;
        break;
      }
      call.weightInit = *kind;
      break;
    }
    }
  }
  if (call.builtin == Builtin::Dense) {
    call.paramPrefix = takeParamPrefix(stmtPrefix);
    sawDense = true;
  }
  if (!ok)
    return std::nullopt;
  return inferResult(call, operands, shapeArg, unitsArg);
}

std::optional<Shape> Sema::inferResult(CallExpr &call,
                                       llvm::ArrayRef<Shape> operands,
                                       const Expr *shapeArg,
                                       const Expr *unitsArg) {
  switch (call.builtin) {
  case Builtin::Dense: {
    const Shape &in = operands[0];
    if (in.size() != 1) {
      diags.error(call.operands[0]->getLoc())
          << "'dense' expects a rank-1 input per example, got "
          << formatTensorType(in) << "; use flatten first";
      return std::nullopt;
    }
    Shape weight = {in[0], call.units};
    if (isTooLarge(weight)) {
      diags.error(unitsArg->getLoc())
          << "parameter '" << call.paramPrefix << ".weight' of type "
          << formatTensorType(weight) << " is too large (more than " << kMaxSize
          << " elements)";
      return std::nullopt;
    }
    return Shape{call.units};
  }
  case Builtin::Relu:
  case Builtin::Tanh:
  case Builtin::Sigmoid:
  case Builtin::Softmax:
    return operands[0];
  case Builtin::Add:
  case Builtin::Mul:
    if (operands[0] != operands[1]) {
      diags.error(call.getLoc())
          << "shape mismatch in '" << getBuiltinName(call.builtin)
          << "': " << formatTensorType(operands[0]) << " and "
          << formatTensorType(operands[1]);
      return std::nullopt;
    }
    return operands[0];
  case Builtin::Flatten:
    // Operands always have fewer than 2^31 elements.
    return Shape{*getNumElements(operands[0])};
  case Builtin::Reshape: {
    int64_t from = *getNumElements(operands[0]);
    std::optional<int64_t> to = getNumElements(call.targetShape);
    if (!to || *to != from) {
      auto diag = diags.error(shapeArg->getLoc());
      diag << "cannot reshape " << formatTensorType(operands[0]) << " (" << from
           << " elements) to " << formatTensorType(call.targetShape) << " (";
      if (to)
        diag << *to << " elements)";
      else
        diag << "more than " << INT64_MAX << " elements)";
      return std::nullopt;
    }
    return call.targetShape;
  }
  case Builtin::Unknown:
    break;
  }
  llvm_unreachable("call to an unresolved builtin");
}

std::optional<int64_t> Sema::checkPositiveInt(const Expr &e,
                                              const llvm::Twine &what,
                                              llvm::StringRef noun,
                                              int64_t limit) {
  auto *num = llvm::dyn_cast<NumberExpr>(&e);
  int64_t value = 0;
  // The parser has already rejected integer literals beyond int64.
  if (!num || !num->isInteger ||
      llvm::StringRef(num->spelling).getAsInteger(10, value) || value <= 0) {
    diags.error(e.getLoc())
        << what << " must be a positive integer, got " << describeExpr(e);
    return std::nullopt;
  }
  if (value > limit) {
    diags.error(e.getLoc())
        << noun << " " << value << " is too large (limit " << limit << ")";
    return std::nullopt;
  }
  return value;
}

//===----------------------------------------------------------------------===//
// Train blocks
//===----------------------------------------------------------------------===//

void Sema::checkTrainBlock(TrainBlock &block) {
  auto factsIt = models.find(block.model);
  const ModelFacts *facts =
      factsIt == models.end() ? nullptr : &factsIt->second;
  // A second block for the same model gets its settings checked, but not the
  // model again: that would only repeat the first block's messages.
  bool checkModel = facts != nullptr;
  if (!facts) {
    diags.error(block.modelLoc) << "unknown model '" << block.model << "'";
  } else {
    auto [it, inserted] = trainedModels.try_emplace(block.model, block.loc);
    if (!inserted) {
      mlir::InFlightDiagnostic diag = diags.error(block.loc);
      diag << "model '" << block.model << "' already has a 'train' block";
      diag.attachNote(diags.getLoc(it->second))
          << "previous 'train' block is here";
      checkModel = false;
    }
  }
  const Expr *lossValue = nullptr;
  bool lossOk = checkTrainSettings(block, lossValue);
  if (checkModel && !diags.shouldStop())
    checkModelForTraining(block, *facts, lossOk, lossValue);
}

/// Resolves the settings into the fields of `block`. Returns whether the
/// loss is known (the default or a valid `loss =`); `lossValue` is set to the
/// value of `loss =` if the block has one.
bool Sema::checkTrainSettings(TrainBlock &block, const Expr *&lossValue) {
  bool lossOk = true;
  llvm::StringMap<SourceLoc> seen;
  for (const TrainSetting &setting : block.settings) {
    if (diags.shouldStop())
      break;
    llvm::StringRef name = setting.name;
    if (name != "loss" && name != "optimizer" && name != "batch" &&
        name != "epochs") {
      diags.error(setting.loc)
          << "unknown setting '" << name
          << "'; expected one of loss, optimizer, batch, epochs";
      continue;
    }
    auto [it, inserted] = seen.try_emplace(name, setting.loc);
    if (!inserted) {
      mlir::InFlightDiagnostic diag = diags.error(setting.loc);
      diag << "duplicate setting '" << name << "'";
      diag.attachNote(diags.getLoc(it->second)) << "previously set here";
      continue;
    }
    const Expr &value = *setting.value;
    if (name == "loss") {
      lossValue = &value;
      lossOk = checkLoss(block, value);
    } else if (name == "optimizer") {
      checkOptimizer(block, value);
    } else if (name == "batch") {
      if (std::optional<int64_t> batch =
              checkPositiveInt(value, "'batch'", "batch"))
        block.batch = *batch;
    } else {
      if (std::optional<int64_t> epochs =
              checkPositiveInt(value, "'epochs'", "epochs", kMaxEpochs))
        block.epochs = *epochs;
    }
  }
  return lossOk;
}

bool Sema::checkLoss(TrainBlock &block, const Expr &value) {
  std::optional<LossKind> loss;
  if (auto *name = llvm::dyn_cast<NameExpr>(&value))
    loss = llvm::StringSwitch<std::optional<LossKind>>(name->name)
               .Case("softmax_cross_entropy", LossKind::SoftmaxCrossEntropy)
               .Case("mse", LossKind::MSE)
               .Default(std::nullopt);
  if (!loss) {
    diags.error(value.getLoc())
        << "'loss' must be one of softmax_cross_entropy, mse, got "
        << describeExpr(value);
    return false;
  }
  block.loss = *loss;
  return true;
}

void Sema::checkOptimizer(TrainBlock &block, const Expr &value) {
  auto *call = llvm::dyn_cast<CallExpr>(&value);
  llvm::StringRef name;
  if (auto *nameExpr = llvm::dyn_cast<NameExpr>(&value))
    name = nameExpr->name;
  else if (call)
    name = call->callee;
  const OptimizerInfo *info = llvm::find_if(
      kOptimizers, [&](const OptimizerInfo &o) { return o.name == name; });
  if (name.empty() || info == std::end(kOptimizers)) {
    // As for unknown functions, the arguments are not checked.
    diags.error(value.getLoc())
        << "'optimizer' must be one of sgd, adam, got " << describeExpr(value);
    return;
  }
  block.optimizer = info->kind;
  block.lr = info->defaultLR;
  if (!call)
    return;

  llvm::StringSet<> given;
  for (const CallArg &arg : call->args) {
    if (diags.shouldStop())
      return;
    if (arg.keyword.empty()) {
      diags.error(arg.loc) << "'" << info->name
                           << "' arguments must be passed by keyword";
      continue;
    }
    const OptimizerArg *param =
        llvm::find_if(info->args, [&](const OptimizerArg &a) {
          return a.name == arg.keyword;
        });
    if (param == info->args.end()) {
      diags.error(arg.loc) << "'" << info->name << "' has no argument '"
                           << arg.keyword << "'";
      continue;
    }
    if (!given.insert(arg.keyword).second) {
      diags.error(arg.loc) << "duplicate keyword argument '" << arg.keyword
                           << "'";
      continue;
    }
    auto *num = llvm::dyn_cast<NumberExpr>(arg.value.get());
    if (!num || !isInRange(param->range, num->value)) {
      diags.error(arg.value->getLoc())
          << "'" << info->name << "' argument '" << param->name << "' must be "
          << describeRange(param->range) << ", got "
          << describeExpr(*arg.value);
      continue;
    }
    block.*(param->field) = num->value;
  }
}

void Sema::checkModelForTraining(const TrainBlock &block,
                                 const ModelFacts &facts, bool lossOk,
                                 const Expr *lossValue) {
  const Model &model = *facts.model;
  if (model.inputs.size() != 1)
    diags.error(block.modelLoc)
        << "'train' needs a model with one input; '" << model.name << "' has "
        << model.inputs.size();
  bool crossEntropy = lossOk && block.loss == LossKind::SoftmaxCrossEntropy;
  if (crossEntropy && model.result.dims.size() != 1)
    diags.error(lossValue ? lossValue->getLoc() : block.modelLoc)
        << "softmax_cross_entropy needs a rank-1 output (class scores), '"
        << model.name << "' returns " << formatTensorType(model.result.dims);
  // A model with errors may have lost its layers to them: say nothing more.
  if (facts.hadErrors)
    return;
  if (!facts.hasParams)
    diags.error(block.modelLoc)
        << "model '" << model.name << "' has no parameters to train";
  if (!crossEntropy)
    return;
  auto ret = llvm::find_if(model.body, [](const Stmt &stmt) {
    return stmt.kind == Stmt::Kind::Return;
  });
  if (ret == model.body.end())
    return;
  auto *call = llvm::dyn_cast<CallExpr>(ret->value.get());
  if (call && call->builtin == Builtin::Softmax)
    diags.warning(call->getLoc())
        << "'" << model.name
        << "' ends in softmax, but softmax_cross_entropy applies its own; "
           "return the logits instead";
}

std::string Sema::takeParamPrefix(llvm::StringRef base) {
  if (usedPrefixes.insert(base).second)
    return base.str();
  for (unsigned n = 2;; ++n) {
    std::string candidate = (base + "_" + llvm::Twine(n)).str();
    if (usedPrefixes.insert(candidate).second)
      return candidate;
  }
}

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

llvm::LogicalResult nnc::checkModule(ModuleAST &module,
                                     mlir::MLIRContext &ctx) {
  DiagnosticReporter diags(ctx, module.filename);
  Sema(diags).checkModule(module);
  return llvm::failure(diags.hadError());
}

std::string nnc::formatTensorType(const Shape &shape) {
  std::string s = "f32[";
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, ", ");
  os << "]";
  return s;
}

llvm::StringRef nnc::getBuiltinName(Builtin builtin) {
  for (const BuiltinInfo &info : kBuiltins)
    if (info.builtin == builtin)
      return info.name;
  return "<unknown>";
}

llvm::StringRef nnc::getLossKindName(LossKind kind) {
  switch (kind) {
  case LossKind::SoftmaxCrossEntropy:
    return "softmax_cross_entropy";
  case LossKind::MSE:
    return "mse";
  }
  return "<unknown>";
}

llvm::StringRef nnc::getOptimizerKindName(OptimizerKind kind) {
  for (const OptimizerInfo &info : kOptimizers)
    if (info.kind == kind)
      return info.name;
  return "<unknown>";
}

llvm::StringRef nnc::getInitKindName(InitKind kind) {
  switch (kind) {
  case InitKind::Zeros:
    return "zeros";
  case InitKind::Ones:
    return "ones";
  case InitKind::XavierUniform:
    return "xavier";
  case InitKind::HeUniform:
    return "he";
  }
  return "<unknown>";
}
