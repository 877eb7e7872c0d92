//===- AST.cpp - Textual dump of the nnc AST --------------------*- C++ -*-===//
//
// Implements dumpAST, the `nnc --emit=ast` output: one node per line,
// children indented by two spaces, each line ending in its `@line:col`. What
// Sema inferred (shapes, resolved attributes, parameter prefixes) is printed
// when present, so the same dump serves before and after checking. Train
// blocks are the exception: they print their resolved settings, defaults
// included, which only mean something after Sema. Models and train blocks
// appear in source order. The format is relied on by lit tests; change it
// only together with them.
//
//===----------------------------------------------------------------------===//

#include "frontend/AST.h"
#include "frontend/Sema.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Casting.h"

#include <charconv>

using namespace nnc;

namespace {

class ASTDumper {
public:
  explicit ASTDumper(llvm::raw_ostream &os) : os(os) {}

  void dump(const Model &model);
  void dump(const TrainBlock &block);

private:
  void dump(const Expr &e, unsigned indent);
  void dumpWindow(const WindowSpec &w, bool dilation);
  void dumpLoc(SourceLoc loc) { os << " @" << loc.line << ":" << loc.col; }
  llvm::raw_ostream &line(unsigned indent) { return os.indent(2 * indent); }
  void dumpShape(const Expr &e) {
    if (!e.shape.empty())
      os << " -> " << formatTensorType(e.shape);
  }

  llvm::raw_ostream &os;
};

} // namespace

static void dumpType(const TypeSpec &type, llvm::raw_ostream &os) {
  os << type.elementType << "[";
  llvm::interleave(type.dims, os, ", ");
  os << "]";
}

void ASTDumper::dump(const Model &model) {
  line(0) << "Model '" << model.name << "'";
  dumpLoc(model.loc);
  os << "\n";
  for (const ModelInput &input : model.inputs) {
    line(1) << "Input '" << input.name << "' ";
    dumpType(input.type, os);
    dumpLoc(input.loc);
    os << "\n";
  }
  line(1) << "Result ";
  dumpType(model.result, os);
  dumpLoc(model.result.loc);
  os << "\n";
  for (const Stmt &stmt : model.body) {
    if (stmt.kind == Stmt::Kind::Assign)
      line(1) << "Assign '" << stmt.name << "'";
    else
      line(1) << "Return";
    dumpLoc(stmt.loc);
    os << "\n";
    dump(*stmt.value, 2);
  }
}

/// The shortest spelling that reads back as `value`, with the exponent
/// trimmed: `0.01`, `1e-8`, `1e+20`.
static std::string formatDouble(double value) {
  char buf[64];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general);
  std::string s(buf, ec == std::errc() ? end : buf);
  size_t e = s.find('e');
  if (e != std::string::npos) {
    size_t digits = e + 2; // after the exponent's sign
    while (digits + 1 < s.size() && s[digits] == '0')
      s.erase(digits, 1);
  }
  return s;
}

void ASTDumper::dump(const TrainBlock &block) {
  line(0) << "Train '" << block.model << "'";
  dumpLoc(block.loc);
  os << "\n";
  line(1) << "loss " << getLossKindName(block.loss) << "\n";
  line(1) << "optimizer " << getOptimizerKindName(block.optimizer)
          << " lr=" << formatDouble(block.lr);
  if (block.optimizer == OptimizerKind::SGD)
    os << " momentum=" << formatDouble(block.momentum)
       << " weight_decay=" << formatDouble(block.weightDecay);
  else
    os << " beta1=" << formatDouble(block.beta1)
       << " beta2=" << formatDouble(block.beta2)
       << " eps=" << formatDouble(block.eps);
  os << "\n";
  line(1) << "batch " << block.batch << "\n";
  line(1) << "epochs " << block.epochs << "\n";
  if (block.augmentFlip || block.augmentShift)
    line(1) << "augment flip=" << (block.augmentFlip ? "true" : "false")
            << " shift=" << block.augmentShift << "\n";
}

void ASTDumper::dumpWindow(const WindowSpec &w, bool dilation) {
  os << " kernel=" << w.kernel[0] << "x" << w.kernel[1]
     << " stride=" << w.stride[0] << "x" << w.stride[1];
  if (dilation)
    os << " dilation=" << w.dilation[0] << "x" << w.dilation[1];
  os << " padding=[" << w.padding[0] << ", " << w.padding[1] << ", "
     << w.padding[2] << ", " << w.padding[3] << "]";
}

// Recursion is bounded: the parser rejects expressions nested deeper than
// kMaxExprDepth.
void ASTDumper::dump(const Expr &e, unsigned indent) {
  if (auto *num = llvm::dyn_cast<NumberExpr>(&e)) {
    line(indent) << "Number " << num->spelling;
    dumpLoc(e.getLoc());
    os << "\n";
    return;
  }
  if (auto *name = llvm::dyn_cast<NameExpr>(&e)) {
    line(indent) << "Name '" << name->name << "'";
    dumpShape(e);
    dumpLoc(e.getLoc());
    os << "\n";
    return;
  }
  if (auto *list = llvm::dyn_cast<ListExpr>(&e)) {
    line(indent) << "List";
    dumpLoc(e.getLoc());
    os << "\n";
    for (const ExprPtr &element : list->elements)
      dump(*element, indent + 1);
    return;
  }

  auto &call = llvm::cast<CallExpr>(e);
  line(indent) << "Call " << call.callee;
  if (call.piped)
    os << " [piped]";
  switch (call.builtin) {
  case Builtin::Dense:
    os << " units=" << call.units
       << " init=" << getInitKindName(call.weightInit) << " params='"
       << call.paramPrefix << "'";
    break;
  case Builtin::Reshape:
    if (!call.targetShape.empty())
      os << " target=" << formatTensorType(call.targetShape);
    break;
  case Builtin::Conv2D:
    os << " filters=" << call.units;
    dumpWindow(call.window, /*dilation=*/true);
    os << " groups=" << call.groups
       << " bias=" << (call.bias ? "true" : "false")
       << " init=" << getInitKindName(call.weightInit) << " params='"
       << call.paramPrefix << "'";
    break;
  case Builtin::MaxPool2D:
  case Builtin::AvgPool2D:
    dumpWindow(call.window, /*dilation=*/false);
    break;
  case Builtin::BatchNorm:
    os << " eps=" << formatDouble(call.epsilon)
       << " momentum=" << formatDouble(call.momentum) << " params='"
       << call.paramPrefix << "'";
    break;
  case Builtin::Dropout:
    os << " rate=" << formatDouble(call.rate);
    break;
  case Builtin::Concat:
    os << " axis=" << call.axis;
    break;
  case Builtin::Rnn:
  case Builtin::Gru:
  case Builtin::Lstm: {
    const RecurrentSpec &spec = call.recurrent;
    os << " hidden=" << call.units << " layers=" << spec.layers
       << " bidirectional=" << (spec.bidirectional ? "true" : "false")
       << " output=" << (spec.sequence ? "sequence" : "last");
    if (call.builtin == Builtin::Rnn)
      os << " activation=" << (spec.relu ? "relu" : "tanh");
    os << " init=" << getInitKindName(call.weightInit) << " params='"
       << call.paramPrefix << "'";
    break;
  }
  default:
    break;
  }
  dumpShape(e);
  dumpLoc(e.getLoc());
  os << "\n";
  for (const CallArg &arg : call.args) {
    if (arg.keyword.empty()) {
      dump(*arg.value, indent + 1);
      continue;
    }
    line(indent + 1) << "Keyword '" << arg.keyword << "'";
    dumpLoc(arg.loc);
    os << "\n";
    dump(*arg.value, indent + 2);
  }
}

static bool isBefore(SourceLoc a, SourceLoc b) {
  return a.line < b.line || (a.line == b.line && a.col < b.col);
}

void nnc::dumpAST(const ModuleAST &module, llvm::raw_ostream &os) {
  ASTDumper dumper(os);
  // Both lists are in source order; merge them.
  auto model = module.models.begin(), modelEnd = module.models.end();
  auto block = module.trainBlocks.begin(), blockEnd = module.trainBlocks.end();
  while (model != modelEnd || block != blockEnd) {
    if (block == blockEnd ||
        (model != modelEnd && isBefore(model->loc, block->loc)))
      dumper.dump(*model++);
    else
      dumper.dump(*block++);
  }
}
