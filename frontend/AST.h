//===- AST.h - Abstract syntax tree of the nnc language ---------*- C++ -*-===//
//
// The AST the parser builds from a `.nn` file. Every node keeps its source
// position so that semantic checks and MLIRGen can point diagnostics at the
// exact argument. Pipes (`a |> f(b)`) are desugared by the parser into plain
// calls (`f(a, b)`) with `CallExpr::piped` set, so later stages see one form.
//
// Sema fills the fields marked "set by Sema": the per-example shape of every
// expression, the builtin a call resolves to, its tensor operands and its
// attributes. MLIRGen only reads a checked AST.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_AST_H
#define NNC_FRONTEND_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc {

/// A 1-based line and column in the file being compiled.
struct SourceLoc {
  unsigned line = 0;
  unsigned col = 0;
};

/// Per-example shape: the batch dimension is implicit and never listed.
using Shape = std::vector<int64_t>;

/// `f32[784]`, `f32[1, 28, 28]`.
struct TypeSpec {
  SourceLoc loc;
  std::string elementType; // "f32"
  Shape dims;
};

/// Layers and functions the language provides.
enum class Builtin {
  Unknown,
  Dense,
  Relu,
  Tanh,
  Sigmoid,
  Softmax,
  Add,
  Mul,
  Flatten,
  Reshape,
  Conv2D,
  MaxPool2D,
  AvgPool2D,
  GlobalAvgPool,
  BatchNorm,
  Dropout,
  Concat,
  Rnn,
  Gru,
  Lstm,
};

inline bool isRecurrent(Builtin builtin) {
  return builtin == Builtin::Rnn || builtin == Builtin::Gru ||
         builtin == Builtin::Lstm;
}

/// Initialiser of a parameter tensor; mirrors `nnc_init_kind` in
/// runtime/nnc_model.h.
enum class InitKind { Zeros = 0, Ones = 1, XavierUniform = 2, HeUniform = 3 };

class Expr {
public:
  enum class Kind { Number, Name, List, Call };

  Expr(Kind kind, SourceLoc loc) : kind(kind), loc(loc) {}
  virtual ~Expr() = default;

  Kind getKind() const { return kind; }
  SourceLoc getLoc() const { return loc; }

  /// Set by Sema for tensor-valued expressions (names and calls).
  Shape shape;

private:
  Kind kind;
  SourceLoc loc;
};

using ExprPtr = std::unique_ptr<Expr>;

/// An integer or floating-point literal, as written.
class NumberExpr : public Expr {
public:
  NumberExpr(SourceLoc loc, std::string spelling, double value, bool isInteger)
      : Expr(Kind::Number, loc), spelling(std::move(spelling)), value(value),
        isInteger(isInteger) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }

  std::string spelling;
  double value;
  bool isInteger;
};

/// A reference to a model input or a named value.
class NameExpr : public Expr {
public:
  NameExpr(SourceLoc loc, std::string name)
      : Expr(Kind::Name, loc), name(std::move(name)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }

  std::string name;
};

/// `[4, 49]`: used for shapes in `reshape`.
class ListExpr : public Expr {
public:
  ListExpr(SourceLoc loc, std::vector<ExprPtr> elements)
      : Expr(Kind::List, loc), elements(std::move(elements)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }

  std::vector<ExprPtr> elements;
};

/// One argument of a call: positional (`keyword` empty) or `keyword=value`.
struct CallArg {
  SourceLoc loc; // of the keyword if any, else of the value
  std::string keyword;
  ExprPtr value;
};

/// The geometry of a `conv2d` or pooling window, resolved by Sema: every
/// pair is [height, width]; padding is [top, left, bottom, right].
struct WindowSpec {
  int64_t kernel[2] = {1, 1};
  int64_t stride[2] = {1, 1};
  int64_t dilation[2] = {1, 1};
  int64_t padding[4] = {0, 0, 0, 0};
};

/// The options of an `rnn`, `gru` or `lstm` call, resolved by Sema.
struct RecurrentSpec {
  int64_t layers = 1;
  bool bidirectional = false;
  /// `output=sequence`: every step's state; otherwise the last one.
  bool sequence = false;
  /// `rnn(..., activation=relu)`.
  bool relu = false;
  /// Whether `h0=` / `c0=` was given; they follow the input in `operands`.
  bool initialHidden = false;
  bool initialCell = false;
};

/// `dense(x, 64)`, `relu(h)`, or the desugared form of `h |> relu`.
class CallExpr : public Expr {
public:
  CallExpr(SourceLoc loc, std::string callee, std::vector<CallArg> args,
           bool piped)
      : Expr(Kind::Call, loc), callee(std::move(callee)), args(std::move(args)),
        piped(piped) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }

  std::string callee;
  std::vector<CallArg> args;
  /// True when written `lhs |> callee(...)`; args[0] is then `lhs`.
  bool piped;

  // Set by Sema.
  Builtin builtin = Builtin::Unknown;
  /// The tensor operands in the order the op takes them (borrowed from args).
  std::vector<Expr *> operands;
  /// `dense`: number of output features; `conv2d`: number of filters;
  /// `rnn`, `gru`, `lstm`: the size of the hidden state.
  int64_t units = 0;
  /// `rnn`, `gru`, `lstm`.
  RecurrentSpec recurrent;
  /// `conv2d`, `maxpool2d`, `avgpool2d`.
  WindowSpec window;
  /// `conv2d`: channel groups, and whether it has a bias.
  int64_t groups = 1;
  bool bias = true;
  /// `dropout`: the probability of dropping an element.
  double rate = 0;
  /// `batchnorm`: epsilon and the momentum of the running statistics.
  double epsilon = 1e-5;
  double momentum = 0.1;
  /// `concat`: the per-example dimension joined (0: channels).
  int64_t axis = 0;
  /// `reshape`: the per-example target shape.
  Shape targetShape;
  /// `dense`, `conv2d`: initialiser of the weight (the bias is always
  /// zeros).
  InitKind weightInit = InitKind::XavierUniform;
  /// Layers with parameters (`dense`, `conv2d`, `batchnorm`, the recurrent
  /// layers): unique parameter prefix; parameters are `<prefix>.weight`,
  /// `<prefix>.bias` and, for batchnorm, `<prefix>.running_mean` and
  /// `<prefix>.running_var`; a recurrent layer has PyTorch's names,
  /// `<prefix>.weight_ih_l0`, `<prefix>.bias_hh_l1_reverse`, ...
  std::string paramPrefix;
};

/// `name = expr` or `return expr`.
struct Stmt {
  enum class Kind { Assign, Return };
  Kind kind;
  SourceLoc loc;
  std::string name; // empty for Return
  ExprPtr value;
};

struct ModelInput {
  SourceLoc loc;
  std::string name;
  TypeSpec type;
};

struct Model {
  SourceLoc loc; // of the model's name
  std::string name;
  std::vector<ModelInput> inputs;
  TypeSpec result;
  std::vector<Stmt> body;
};

/// Mirrors `nnc_loss_kind` in runtime/nnc_model.h.
enum class LossKind { SoftmaxCrossEntropy = 0, MSE = 1 };
/// Mirrors `nnc_optimizer_kind` in runtime/nnc_model.h.
enum class OptimizerKind { SGD = 0, Adam = 1 };

/// One `name = value` of a train block as written. The value is an ordinary
/// expression (`mse`, `64`, `adam(lr=0.001)`), so the parser stays purely
/// syntactic and Sema checks settings the way it checks call arguments.
struct TrainSetting {
  SourceLoc loc; // of the name
  std::string name;
  ExprPtr value;
};

/// `train Model { loss = ...  optimizer = ...(...)  batch = N  epochs = N }`:
/// how the compiled train step of `model` trains it. Sema resolves
/// `settings` into the fields below; fields not written in the block keep
/// these defaults (Sema sets `lr` to 0.001 for adam when the block does not
/// give one).
struct TrainBlock {
  SourceLoc loc;      // of `train`
  std::string model;  // the model it trains
  SourceLoc modelLoc; // of the model's name
  LossKind loss = LossKind::SoftmaxCrossEntropy;
  OptimizerKind optimizer = OptimizerKind::SGD;
  double lr = 0.01;
  double momentum = 0;                           // sgd
  double weightDecay = 0;                        // sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8; // adam
  int64_t batch = 64;
  int64_t epochs = 10;
  /// `augment = [flip, shift(2)]`: default data augmentation.
  bool augmentFlip = false;
  int64_t augmentShift = 0;
  /// The settings as written, in source order.
  std::vector<TrainSetting> settings;
};

struct ModuleAST {
  std::string filename;
  std::vector<Model> models;
  std::vector<TrainBlock> trainBlocks;
};

/// Prints the AST in an indented, stable text form (`nnc --emit=ast`).
void dumpAST(const ModuleAST &module, llvm::raw_ostream &os);

} // namespace nnc

#endif // NNC_FRONTEND_AST_H
