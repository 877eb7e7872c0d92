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

#include <array>
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
  /// A positive integer or a list of two ([height, width]).
  Pair,
  /// `same`, `valid`, a non-negative integer or a list of two.
  Padding,
  /// A positive integer literal (`groups`).
  Count,
  /// A number in [0, 1) (`dropout` rate).
  Rate,
  /// `true` or `false`.
  Bool,
  /// A positive finite number (`eps`).
  Epsilon,
  /// A number in [0, 1] (`momentum`).
  Momentum,
  /// A non-negative integer literal (`axis`).
  Axis,
  /// A tensor passed by keyword only (`h0`, `c0`).
  State,
  /// `last` or `sequence`.
  Output,
  /// `tanh` or `relu`.
  Activation,
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
const ParamInfo kConv2DParams[] = {{"x", ParamKind::Tensor, true},
                                   {"filters", ParamKind::Units, true},
                                   {"kernel", ParamKind::Pair, true},
                                   {"stride", ParamKind::Pair, false},
                                   {"padding", ParamKind::Padding, false},
                                   {"dilation", ParamKind::Pair, false},
                                   {"groups", ParamKind::Count, false},
                                   {"bias", ParamKind::Bool, false},
                                   {"init", ParamKind::Init, false}};
const ParamInfo kPoolParams[] = {{"x", ParamKind::Tensor, true},
                                 {"kernel", ParamKind::Pair, true},
                                 {"stride", ParamKind::Pair, false},
                                 {"padding", ParamKind::Padding, false}};
const ParamInfo kBatchNormParams[] = {{"x", ParamKind::Tensor, true},
                                      {"eps", ParamKind::Epsilon, false},
                                      {"momentum", ParamKind::Momentum, false}};
const ParamInfo kDropoutParams[] = {{"x", ParamKind::Tensor, true},
                                    {"rate", ParamKind::Rate, true}};
const ParamInfo kRnnParams[] = {{"x", ParamKind::Tensor, true},
                                {"hidden", ParamKind::Units, true},
                                {"layers", ParamKind::Count, false},
                                {"bidirectional", ParamKind::Bool, false},
                                {"output", ParamKind::Output, false},
                                {"activation", ParamKind::Activation, false},
                                {"h0", ParamKind::State, false},
                                {"init", ParamKind::Init, false}};
const ParamInfo kGruParams[] = {{"x", ParamKind::Tensor, true},
                                {"hidden", ParamKind::Units, true},
                                {"layers", ParamKind::Count, false},
                                {"bidirectional", ParamKind::Bool, false},
                                {"output", ParamKind::Output, false},
                                {"h0", ParamKind::State, false},
                                {"init", ParamKind::Init, false}};
const ParamInfo kLstmParams[] = {{"x", ParamKind::Tensor, true},
                                 {"hidden", ParamKind::Units, true},
                                 {"layers", ParamKind::Count, false},
                                 {"bidirectional", ParamKind::Bool, false},
                                 {"output", ParamKind::Output, false},
                                 {"h0", ParamKind::State, false},
                                 {"c0", ParamKind::State, false},
                                 {"init", ParamKind::Init, false}};
const ParamInfo kConcatParams[] = {{"x", ParamKind::Tensor, true},
                                   {"y", ParamKind::Tensor, true},
                                   {"axis", ParamKind::Axis, false}};

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
    {"conv2d", Builtin::Conv2D, kConv2DParams, 3},
    {"maxpool2d", Builtin::MaxPool2D, kPoolParams, 2},
    {"avgpool2d", Builtin::AvgPool2D, kPoolParams, 2},
    {"global_avgpool", Builtin::GlobalAvgPool, kUnaryParams, 1},
    {"batchnorm", Builtin::BatchNorm, kBatchNormParams, 1},
    {"dropout", Builtin::Dropout, kDropoutParams, 2},
    {"concat", Builtin::Concat, kConcatParams, 2},
    {"rnn", Builtin::Rnn, kRnnParams, 2},
    {"gru", Builtin::Gru, kGruParams, 2},
    {"lstm", Builtin::Lstm, kLstmParams, 2},
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

/// The largest random shift of `augment = shift(N)`, in pixels (the
/// runtime's limit).
constexpr int64_t kMaxShift = 64;
/// Stacked recurrent layers.
constexpr int64_t kMaxLayers = 64;

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

/// The window arguments of a call as written, before Sema resolves them
/// against the input's size.
struct WindowArgs {
  const Expr *kernel = nullptr, *stride = nullptr, *padding = nullptr,
             *dilation = nullptr, *groups = nullptr, *axis = nullptr;
  /// `padding=same`.
  bool samePadding = false;
  /// `padding` as written: [height, width].
  int64_t pad[2] = {0, 0};
};

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

/// The value of an integer literal; nothing for anything else. (The parser
/// has already rejected integer literals beyond int64.)
std::optional<int64_t> getIntegerLiteral(const Expr &e) {
  auto *num = llvm::dyn_cast<NumberExpr>(&e);
  int64_t value = 0;
  if (!num || !num->isInteger ||
      llvm::StringRef(num->spelling).getAsInteger(10, value))
    return std::nullopt;
  return value;
}

/// An integer literal in [min, kMaxSize].
std::optional<int64_t> getIntegerInRange(const Expr &e, int64_t min) {
  std::optional<int64_t> value = getIntegerLiteral(e);
  if (!value || *value < min || *value > kMaxSize)
    return std::nullopt;
  return value;
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
  void checkAugment(TrainBlock &block, const Expr &value);
  void checkOptimizer(TrainBlock &block, const Expr &value);
  void checkModelForTraining(const TrainBlock &block, const ModelFacts &facts,
                             bool lossOk, const Expr *lossValue);
  bool checkType(const TypeSpec &type, const llvm::Twine &what);
  std::optional<Shape> checkTensor(Expr &e);
  std::optional<Shape> checkCall(CallExpr &call);
  std::optional<Shape> inferResult(CallExpr &call,
                                   llvm::ArrayRef<Shape> operands,
                                   const Expr *shapeArg, const Expr *unitsArg,
                                   const WindowArgs &window);
  std::optional<Shape> inferWindowed(CallExpr &call, const Shape &in,
                                     const WindowArgs &args);
  std::optional<Shape> inferRecurrent(CallExpr &call,
                                      llvm::ArrayRef<Shape> operands,
                                      const Expr *unitsArg);
  std::optional<std::array<int64_t, 2>> checkPair(const Expr &e,
                                                  const llvm::Twine &what);
  bool checkPadding(const Expr &e, const llvm::Twine &what, WindowArgs &out);
  std::optional<double> checkNumber(const Expr &e, const llvm::Twine &what,
                                    llvm::StringRef range,
                                    llvm::function_ref<bool(double)> ok);
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
  /// Whether the current model has a layer with parameters so far.
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
  WindowArgs window;
  if (call.builtin == Builtin::Conv2D)
    call.weightInit = InitKind::HeUniform;
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
      // The noun of "... is too large": `units`, `filters`, `hidden size`.
      std::optional<int64_t> units = checkPositiveInt(
          value, what, param.name == "hidden" ? "hidden size" : param.name);
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
    case ParamKind::Pair: {
      std::optional<std::array<int64_t, 2>> pair = checkPair(value, what);
      ok &= pair.has_value();
      std::array<int64_t, 2> v = pair.value_or(std::array<int64_t, 2>{1, 1});
      int64_t *dst = call.window.kernel;
      if (param.name == "kernel") {
        window.kernel = &value;
      } else if (param.name == "stride") {
        window.stride = &value;
        dst = call.window.stride;
      } else {
        window.dilation = &value;
        dst = call.window.dilation;
      }
      dst[0] = v[0];
      dst[1] = v[1];
      break;
    }
    case ParamKind::Padding:
      window.padding = &value;
      ok &= checkPadding(value, what, window);
      break;
    case ParamKind::Count: {
      bool layers = param.name == "layers";
      if (!layers)
        window.groups = &value;
      std::optional<int64_t> count =
          checkPositiveInt(value, what, layers ? "layers" : "groups",
                           layers ? kMaxLayers : kMaxSize);
      ok &= count.has_value();
      (layers ? call.recurrent.layers : call.groups) = count.value_or(1);
      break;
    }
    case ParamKind::Rate:
      if (auto rate = checkNumber(value, what, "a number in [0, 1)",
                                  [](double v) { return v >= 0 && v < 1; }))
        call.rate = *rate;
      else
        ok = false;
      break;
    case ParamKind::Bool: {
      auto *name = llvm::dyn_cast<NameExpr>(&value);
      if (!name || (name->name != "true" && name->name != "false")) {
        diags.error(value.getLoc())
            << what << " must be true or false, got " << describeExpr(value);
        ok = false;
        break;
      }
      (param.name == "bidirectional" ? call.recurrent.bidirectional
                                     : call.bias) = name->name == "true";
      break;
    }
    case ParamKind::State: {
      call.operands.push_back(&value);
      (param.name == "c0" ? call.recurrent.initialCell
                          : call.recurrent.initialHidden) = true;
      std::optional<Shape> shape = checkTensor(value);
      if (shape)
        operands.push_back(std::move(*shape));
      else
        ok = false;
      break;
    }
    case ParamKind::Output:
    case ParamKind::Activation: {
      bool output = param.kind == ParamKind::Output;
      llvm::StringRef first = output ? "last" : "tanh";
      llvm::StringRef second = output ? "sequence" : "relu";
      auto *name = llvm::dyn_cast<NameExpr>(&value);
      if (!name || (name->name != first && name->name != second)) {
        diags.error(value.getLoc())
            << what << " must be " << first << " or " << second << ", got "
            << describeExpr(value);
        ok = false;
        break;
      }
      (output ? call.recurrent.sequence : call.recurrent.relu) =
          name->name == second;
      break;
    }
    case ParamKind::Epsilon:
      if (auto eps =
              checkNumber(value, what, "a positive finite number",
                          [](double v) { return std::isfinite(v) && v > 0; }))
        call.epsilon = *eps;
      else
        ok = false;
      break;
    case ParamKind::Momentum:
      if (auto momentum =
              checkNumber(value, what, "a number in [0, 1]",
                          [](double v) { return v >= 0 && v <= 1; }))
        call.momentum = *momentum;
      else
        ok = false;
      break;
    case ParamKind::Axis: {
      window.axis = &value;
      std::optional<int64_t> axis = getIntegerLiteral(value);
      if (!axis || *axis < 0) {
        diags.error(value.getLoc())
            << what << " must be a non-negative integer, got "
            << describeExpr(value);
        ok = false;
        break;
      }
      call.axis = *axis;
      break;
    }
    }
  }
  // Pooling windows step by their own size unless told otherwise.
  if ((call.builtin == Builtin::MaxPool2D ||
       call.builtin == Builtin::AvgPool2D) &&
      !window.stride) {
    call.window.stride[0] = call.window.kernel[0];
    call.window.stride[1] = call.window.kernel[1];
  }
  if (call.builtin == Builtin::Dense || call.builtin == Builtin::Conv2D ||
      call.builtin == Builtin::BatchNorm || isRecurrent(call.builtin)) {
    call.paramPrefix = takeParamPrefix(stmtPrefix);
    sawDense = true;
  }
  if (!ok)
    return std::nullopt;
  return inferResult(call, operands, shapeArg, unitsArg, window);
}

std::optional<std::array<int64_t, 2>> Sema::checkPair(const Expr &e,
                                                      const llvm::Twine &what) {
  auto positive = [](const Expr &x) { return getIntegerInRange(x, 1); };
  if (auto *list = llvm::dyn_cast<ListExpr>(&e)) {
    if (list->elements.size() == 2) {
      auto h = positive(*list->elements[0]), w = positive(*list->elements[1]);
      if (h && w)
        return std::array<int64_t, 2>{*h, *w};
    }
  } else if (auto v = positive(e)) {
    return std::array<int64_t, 2>{*v, *v};
  }
  diags.error(e.getLoc()) << what
                          << " must be a positive integer or a list of two "
                             "([height, width]), got "
                          << describeExpr(e);
  return std::nullopt;
}

bool Sema::checkPadding(const Expr &e, const llvm::Twine &what,
                        WindowArgs &out) {
  auto nonNegative = [](const Expr &x) { return getIntegerInRange(x, 0); };
  if (auto *name = llvm::dyn_cast<NameExpr>(&e)) {
    if (name->name == "same") {
      out.samePadding = true;
      return true;
    }
    if (name->name == "valid")
      return true;
  } else if (auto *list = llvm::dyn_cast<ListExpr>(&e)) {
    if (list->elements.size() == 2) {
      auto h = nonNegative(*list->elements[0]),
           w = nonNegative(*list->elements[1]);
      if (h && w) {
        out.pad[0] = *h;
        out.pad[1] = *w;
        return true;
      }
    }
  } else if (auto v = nonNegative(e)) {
    out.pad[0] = out.pad[1] = *v;
    return true;
  }
  diags.error(e.getLoc()) << what
                          << " must be same, valid, a non-negative integer or "
                             "a list of two ([height, width]), got "
                          << describeExpr(e);
  return false;
}

std::optional<double> Sema::checkNumber(const Expr &e, const llvm::Twine &what,
                                        llvm::StringRef range,
                                        llvm::function_ref<bool(double)> ok) {
  auto *num = llvm::dyn_cast<NumberExpr>(&e);
  if (!num || !ok(num->value)) {
    diags.error(e.getLoc())
        << what << " must be " << range << ", got " << describeExpr(e);
    return std::nullopt;
  }
  return num->value;
}

/// Resolves the window of a conv2d or pooling call against its input
/// `[channels, height, width]` and returns the result's shape.
std::optional<Shape> Sema::inferWindowed(CallExpr &call, const Shape &in,
                                         const WindowArgs &args) {
  llvm::StringRef fn = getBuiltinName(call.builtin);
  if (in.size() != 3) {
    diags.error(call.operands[0]->getLoc())
        << "'" << fn
        << "' expects an image input [channels, height, width] per example, "
           "got "
        << formatTensorType(in) << "; use reshape first";
    return std::nullopt;
  }
  WindowSpec &w = call.window;
  bool conv = call.builtin == Builtin::Conv2D;
  const Expr *at = args.kernel ? args.kernel : call.operands[0];
  int64_t extent[2], padded[2];
  for (unsigned d = 0; d < 2; ++d) {
    extent[d] = w.dilation[d] * (w.kernel[d] - 1) + 1;
    if (args.samePadding) {
      // TensorFlow's "same": out = ceil(in / stride), the extra row or
      // column of an odd total going to the bottom / right.
      int64_t out = (in[d + 1] + w.stride[d] - 1) / w.stride[d];
      int64_t total =
          std::max<int64_t>((out - 1) * w.stride[d] + extent[d] - in[d + 1], 0);
      w.padding[d] = total / 2;
      w.padding[d + 2] = total - total / 2;
    } else {
      w.padding[d] = w.padding[d + 2] = args.pad[d];
    }
    padded[d] = in[d + 1] + w.padding[d] + w.padding[d + 2];
  }
  if (!conv) {
    for (unsigned d = 0; d < 2; ++d) {
      if (2 * w.padding[d] > w.kernel[d] ||
          2 * w.padding[d + 2] > w.kernel[d]) {
        diags.error(args.padding ? args.padding->getLoc() : at->getLoc())
            << "'" << fn << "' padding [" << w.padding[0] << ", "
            << w.padding[1] << ", " << w.padding[2] << ", " << w.padding[3]
            << "] is more than half the kernel " << w.kernel[0] << "x"
            << w.kernel[1];
        return std::nullopt;
      }
    }
  }
  if (extent[0] > padded[0] || extent[1] > padded[1]) {
    auto diag = diags.error(at->getLoc());
    diag << "'" << fn << "' kernel " << w.kernel[0] << "x" << w.kernel[1];
    if (extent[0] != w.kernel[0] || extent[1] != w.kernel[1])
      diag << " (dilated: " << extent[0] << "x" << extent[1] << ")";
    diag << " is larger than the ";
    if (padded[0] != in[1] || padded[1] != in[2])
      diag << "padded ";
    diag << "input " << padded[0] << "x" << padded[1];
    return std::nullopt;
  }
  int64_t channels = in[0], outChannels = channels;
  if (conv) {
    const Expr *groupsAt = args.groups ? args.groups : call.operands[0];
    if (channels % call.groups != 0) {
      diags.error(groupsAt->getLoc())
          << "'conv2d' input channels (" << channels
          << ") are not divisible by groups (" << call.groups << ")";
      return std::nullopt;
    }
    if (call.units % call.groups != 0) {
      diags.error(groupsAt->getLoc())
          << "'conv2d' filters (" << call.units
          << ") are not divisible by groups (" << call.groups << ")";
      return std::nullopt;
    }
    Shape weight = {call.units, channels / call.groups, w.kernel[0],
                    w.kernel[1]};
    if (isTooLarge(weight)) {
      diags.error(at->getLoc())
          << "parameter '" << call.paramPrefix << ".weight' of type "
          << formatTensorType(weight) << " is too large (more than " << kMaxSize
          << " elements)";
      return std::nullopt;
    }
    outChannels = call.units;
  }
  Shape out = {outChannels, (padded[0] - extent[0]) / w.stride[0] + 1,
               (padded[1] - extent[1]) / w.stride[1] + 1};
  if (isTooLarge(out)) {
    diags.error(call.getLoc())
        << "result of type " << formatTensorType(out)
        << " is too large (more than " << kMaxSize << " elements)";
    return std::nullopt;
  }
  return out;
}

std::optional<Shape> Sema::inferResult(CallExpr &call,
                                       llvm::ArrayRef<Shape> operands,
                                       const Expr *shapeArg,
                                       const Expr *unitsArg,
                                       const WindowArgs &window) {
  switch (call.builtin) {
  case Builtin::Conv2D:
  case Builtin::MaxPool2D:
  case Builtin::AvgPool2D:
    return inferWindowed(call, operands[0], window);
  case Builtin::GlobalAvgPool:
    if (operands[0].size() != 3) {
      diags.error(call.operands[0]->getLoc())
          << "'global_avgpool' expects an image input [channels, height, "
             "width] per example, got "
          << formatTensorType(operands[0]);
      return std::nullopt;
    }
    return Shape{operands[0][0]};
  case Builtin::BatchNorm:
  case Builtin::Dropout:
    return operands[0];
  case Builtin::Concat: {
    const Shape &a = operands[0], &b = operands[1];
    int64_t axis = call.axis;
    if (axis >= int64_t(a.size())) {
      diags.error(window.axis->getLoc())
          << "'concat' axis " << axis << " is out of range for "
          << formatTensorType(a);
      return std::nullopt;
    }
    bool same = a.size() == b.size();
    for (size_t d = 0; same && d < a.size(); ++d)
      same = int64_t(d) == axis || a[d] == b[d];
    if (!same) {
      diags.error(call.getLoc())
          << "'concat' cannot join " << formatTensorType(a) << " and "
          << formatTensorType(b) << " along axis " << axis;
      return std::nullopt;
    }
    Shape result = a;
    result[axis] += b[axis];
    if (isTooLarge(result)) {
      diags.error(call.getLoc())
          << "result of type " << formatTensorType(result)
          << " is too large (more than " << kMaxSize << " elements)";
      return std::nullopt;
    }
    return result;
  }
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
  case Builtin::Rnn:
  case Builtin::Gru:
  case Builtin::Lstm:
    return inferRecurrent(call, operands, unitsArg);
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

/// `rnn`, `gru`, `lstm` over a [steps, features] sequence: the last state
/// [hidden] (twice as wide when bidirectional) or every state [steps,
/// hidden].
std::optional<Shape> Sema::inferRecurrent(CallExpr &call,
                                          llvm::ArrayRef<Shape> operands,
                                          const Expr *unitsArg) {
  llvm::StringRef fn = getBuiltinName(call.builtin);
  const Shape &in = operands[0];
  if (in.size() != 2) {
    diags.error(call.operands[0]->getLoc())
        << "'" << fn << "' expects a sequence [steps, features] per example, "
        << "got " << formatTensorType(in) << "; use reshape first";
    return std::nullopt;
  }
  const RecurrentSpec &spec = call.recurrent;
  int64_t steps = in[0], features = in[1], hidden = call.units;
  int64_t directions = spec.bidirectional ? 2 : 1;
  int64_t gates = call.builtin == Builtin::Lstm  ? 4
                  : call.builtin == Builtin::Gru ? 3
                                                 : 1;
  // The largest parameter has the most rows of weight_ih_l0 [features,
  // gates * hidden], weight_ih_l1 [hidden * directions, ...] and weight_hh
  // [hidden, ...]; name it the way the parameters are named.
  std::string weight = "weight_ih_l0";
  int64_t rows = features;
  if (spec.layers > 1 && hidden * directions > rows) {
    weight = "weight_ih_l1";
    rows = hidden * directions;
  }
  if (hidden > rows) {
    weight = "weight_hh_l0";
    rows = hidden;
  }
  if (isTooLarge(Shape{rows, gates * hidden})) {
    diags.error(unitsArg->getLoc())
        << "parameter '" << call.paramPrefix << "." << weight << "' of type "
        << formatTensorType(Shape{rows, gates * hidden})
        << " is too large (more than " << kMaxSize << " elements)";
    return std::nullopt;
  }
  // Training keeps the states around every step ([steps + 1, hidden] per
  // state, two states for an LSTM); the output, at most [steps, hidden *
  // directions], is no larger than this bound.
  if (isTooLarge(Shape{steps + 1, 2 * hidden * directions})) {
    diags.error(unitsArg->getLoc())
        << "'" << fn << "' over " << steps << " steps with hidden size "
        << hidden << " keeps too many states per example (more than "
        << kMaxSize << " elements)";
    return std::nullopt;
  }
  // h0 and c0 follow the input in the operands, in that order. The states
  // of stacked layers could be given by stacking separate calls; a reverse
  // direction cannot be written as a call of its own.
  for (size_t i = 1; i < operands.size(); ++i) {
    llvm::StringRef name = i == 1 && spec.initialHidden ? "h0" : "c0";
    if (spec.layers != 1) {
      diags.error(call.operands[i]->getLoc())
          << "'" << fn << "' takes '" << name
          << "' only with layers=1; stack one-layer calls (output=sequence "
             "on all but the last) to give each layer its initial state";
      return std::nullopt;
    }
    if (spec.bidirectional) {
      diags.error(call.operands[i]->getLoc())
          << "'" << fn << "' takes '" << name
          << "' only for one direction, not with bidirectional=true";
      return std::nullopt;
    }
    if (operands[i] != Shape{hidden}) {
      diags.error(call.operands[i]->getLoc())
          << "'" << fn << "' initial state '" << name << "' must be "
          << formatTensorType(Shape{hidden}) << ", got "
          << formatTensorType(operands[i]);
      return std::nullopt;
    }
  }
  if (spec.sequence)
    return Shape{in[0], hidden * directions};
  return Shape{hidden * directions};
}

std::optional<int64_t> Sema::checkPositiveInt(const Expr &e,
                                              const llvm::Twine &what,
                                              llvm::StringRef noun,
                                              int64_t limit) {
  std::optional<int64_t> literal = getIntegerLiteral(e);
  if (!literal || *literal <= 0) {
    diags.error(e.getLoc())
        << what << " must be a positive integer, got " << describeExpr(e);
    return std::nullopt;
  }
  int64_t value = *literal;
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
        name != "epochs" && name != "augment") {
      diags.error(setting.loc)
          << "unknown setting '" << name
          << "'; expected one of loss, optimizer, batch, epochs, augment";
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
    } else if (name == "augment") {
      checkAugment(block, value);
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

/// `flip`, `shift(N)` or a list of them.
void Sema::checkAugment(TrainBlock &block, const Expr &value) {
  llvm::SmallVector<const Expr *, 2> items;
  if (auto *list = llvm::dyn_cast<ListExpr>(&value))
    for (const ExprPtr &element : list->elements)
      items.push_back(element.get());
  else
    items.push_back(&value);
  for (const Expr *item : items) {
    auto *name = llvm::dyn_cast<NameExpr>(item);
    auto *call = llvm::dyn_cast<CallExpr>(item);
    if (name && name->name == "flip") {
      block.augmentFlip = true;
      continue;
    }
    if (call && call->callee == "shift" && call->args.size() == 1 &&
        call->args[0].keyword.empty()) {
      if (std::optional<int64_t> shift = checkPositiveInt(
              *call->args[0].value, "'shift'", "shift", kMaxShift))
        block.augmentShift = *shift;
      continue;
    }
    diags.error(item->getLoc())
        << "'augment' must be flip, shift(N) or a list of them, got "
        << describeExpr(*item);
  }
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
  if (block.augmentFlip || block.augmentShift) {
    auto setting = llvm::find_if(block.settings, [](const TrainSetting &s) {
      return s.name == "augment";
    });
    for (const ModelInput &input : model.inputs)
      if (input.type.dims.size() != 3)
        diags.error(setting->value->getLoc())
            << "'augment' needs an image input [channels, height, width]; '"
            << model.name << "' takes " << formatTensorType(input.type.dims);
  }
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
