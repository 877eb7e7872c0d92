//===- SplitUnits.cpp - A wide dense layer as two branches ------*- C++ -*-===//
//
// With threads, a model's step splits each product between them by rows of
// the batch, so that both threads read every weight and each rewrites half
// of it in the optimizer update: on a host whose two cores do not share a
// cache, every step then moves the weight between them (docs/
// performance.md). A dense layer over the model's input, followed by an
// activation and a small dense layer, computes the same thing as two
// branches, each with half of the units:
//
//   y = act(x W1 + b1) W2 + b2
//     = (act(x W1[:, :n/2] + b1[:n/2]) W2[:n/2, :] + b2)
//       + act(x W1[:, n/2:] + b1[n/2:]) W2[n/2:, :]
//
// and nnc-outline-branches then gives each branch, with its half of W1,
// of b1 and of W2, their gradients and optimizer moments, to a thread of
// its own; only the two halves' logits and their gradient cross.
//
// This pass, run on the nn dialect before anything is derived from the
// model, rewrites such layers so: each of the three parameters becomes two
// arguments, its halves, which follow each other in the parameter buffer.
// The halves of b1 and of W2 (its rows) are the halves of the tensor as
// stored; those of W1 are its column blocks, so W1 is stored as two
// blocks [in, n/2], one after the other, rather than row-major (the
// descriptor's `column_blocks`; the runtime converts when it initialises,
// saves and loads). Each half carries `nn.part` (the whole parameter's
// name and shape, the half's index, and the dimension split), from which
// the descriptor describes the whole parameter again. The second branch's
// product has a zero bias (a constant).
//
// The layer qualifies when W1 is `min-weight-bytes` or more, its input is
// an argument of the model, possibly flattened or reshaped (nothing
// computed from another weight, so that the branches are independent), n is a multiple of 32 (each half a
// multiple of 16 floats, the parameter alignment), its pre-activation is
// read only by the activation and that only by the second layer, whose
// output width is at most n / 4 (the sum of the two halves' logits is the
// cost of the split), and the three parameters are read by nothing else.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/NNDialect.h"
#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace nnc {
#define GEN_PASS_DEF_SPLITUNITSPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc::nn;

namespace {

/// The parts a layer is split into.
constexpr int64_t kParts = 2;

/// A dense layer, its activation (or none) and the small layer after it.
struct Layer {
  DenseOp first;
  Operation *activation = nullptr;
  DenseOp second;
};

/// Whether `v` is a parameter argument of `func` read by `user` alone.
bool isOwnParam(func::FuncOp func, Value v, Operation *user) {
  auto arg = dyn_cast<BlockArgument>(v);
  return arg && arg.getOwner() == &func.front() &&
         func.getArgAttr(arg.getArgNumber(), kParamAttr) &&
         llvm::all_of(arg.getUsers(), [&](Operation *u) { return u == user; });
}

struct SplitUnitsPass : nnc::impl::SplitUnitsPassBase<SplitUnitsPass> {
  using SplitUnitsPassBase::SplitUnitsPassBase;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr(kModelAttr) && !func.isExternal())
        for (Layer layer : candidates(func))
          split(func, layer);
  }

  SmallVector<Layer> candidates(func::FuncOp func) {
    SmallVector<Layer> result;
    func.walk([&](DenseOp first) {
      // The model's input, possibly flattened or reshaped (an image).
      Value source = first.getInput();
      while (Operation *def = source.getDefiningOp()) {
        if (!isa<FlattenOp, ReshapeOp>(def))
          break;
        source = def->getOperand(0);
      }
      auto input = dyn_cast<BlockArgument>(source);
      if (!input || func.getArgAttr(input.getArgNumber(), kParamAttr))
        return;
      auto weight = cast<RankedTensorType>(first.getWeight().getType());
      if (!weight.hasStaticShape() || weight.getRank() != 2)
        return;
      int64_t units = weight.getDimSize(1);
      int64_t bytes = weight.getNumElements() *
                      llvm::divideCeil(weight.getElementTypeBitWidth(), 8);
      if (bytes < minWeightBytes || units % (16 * kParts) != 0)
        return;
      if (!isOwnParam(func, first.getWeight(), first) ||
          !isOwnParam(func, first.getBias(), first) ||
          !first.getResult().hasOneUse())
        return;
      Layer layer{first, nullptr, nullptr};
      Operation *user = *first.getResult().getUsers().begin();
      if (isa<ReluOp, TanhOp, SigmoidOp>(user)) {
        layer.activation = user;
        if (!user->getResult(0).hasOneUse())
          return;
        user = *user->getResult(0).getUsers().begin();
      }
      auto second = dyn_cast<DenseOp>(user);
      Value hidden = layer.activation ? layer.activation->getResult(0)
                                      : Value(first.getResult());
      if (!second || second.getInput() != hidden ||
          !isOwnParam(func, second.getWeight(), second))
        return;
      auto outWeight = cast<RankedTensorType>(second.getWeight().getType());
      if (!outWeight.hasStaticShape() || outWeight.getDimSize(1) * 4 > units)
        return;
      layer.second = second;
      result.push_back(layer);
    });
    return result;
  }

  /// Replaces the argument `whole` by kParts arguments, its halves along
  /// `dim`, in its place; returns them.
  SmallVector<Value> splitArgument(func::FuncOp func, Value whole,
                                   int64_t dim) {
    auto arg = cast<BlockArgument>(whole);
    unsigned index = arg.getArgNumber();
    auto type = cast<RankedTensorType>(arg.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] /= kParts;
    auto partType = RankedTensorType::get(shape, type.getElementType());
    auto name = func.getArgAttrOfType<StringAttr>(index, kParamAttr);
    Builder b(func.getContext());
    SmallVector<Value> parts;
    for (int64_t p = 0; p < kParts; ++p) {
      NamedAttrList attrs(func.getArgAttrDict(index));
      attrs.set(kParamAttr, b.getStringAttr(name.getValue() + "#" + Twine(p)));
      attrs.set(kPartAttr,
                b.getDictionaryAttr(
                    {b.getNamedAttr("of", name),
                     b.getNamedAttr("shape",
                                    b.getDenseI64ArrayAttr(type.getShape())),
                     b.getNamedAttr("dim", b.getI64IntegerAttr(dim)),
                     b.getNamedAttr("index", b.getI64IntegerAttr(p)),
                     b.getNamedAttr("count", b.getI64IntegerAttr(kParts))}));
      unsigned at = index + 1 + p;
      (void)func.insertArgument(at, partType,
                                attrs.getDictionary(func.getContext()),
                                arg.getLoc());
      parts.push_back(func.getArgument(at));
    }
    return parts;
  }

  void split(func::FuncOp func, Layer layer) {
    Value w1 = layer.first.getWeight(), b1 = layer.first.getBias(),
          w2 = layer.second.getWeight();
    SmallVector<Value> w1Parts = splitArgument(func, w1, 1);
    SmallVector<Value> b1Parts = splitArgument(func, b1, 0);
    SmallVector<Value> w2Parts = splitArgument(func, w2, 0);

    OpBuilder b(layer.second);
    Location loc = layer.second.getLoc();
    auto outType = cast<RankedTensorType>(layer.second.getType());
    auto biasType = cast<RankedTensorType>(layer.second.getBias().getType());
    Value zeros = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(biasType, b.getZeroAttr(
                                                     biasType.getElementType())));
    Value sum;
    for (int64_t p = 0; p < kParts; ++p) {
      Value hidden = DenseOp::create(b, layer.first.getLoc(),
                                     layer.first.getInput(), w1Parts[p],
                                     b1Parts[p]);
      if (layer.activation) {
        OperationState state(layer.activation->getLoc(),
                             layer.activation->getName());
        state.addOperands(hidden);
        state.addTypes(hidden.getType());
        state.addAttributes(layer.activation->getAttrs());
        hidden = b.create(state)->getResult(0);
      }
      Value partial = DenseOp::create(
          b, loc, outType, hidden, w2Parts[p],
          p == 0 ? layer.second.getBias() : zeros);
      sum = sum ? AddOp::create(b, loc, sum, partial).getResult() : partial;
    }
    layer.second.getResult().replaceAllUsesWith(sum);
    layer.second.erase();
    if (layer.activation)
      layer.activation->erase();
    layer.first.erase();

    llvm::BitVector erase(func.getNumArguments());
    for (Value whole : {w1, b1, w2})
      erase.set(cast<BlockArgument>(whole).getArgNumber());
    (void)func.eraseArguments(erase);
  }
};

} // namespace
