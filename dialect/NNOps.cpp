//===- NNOps.cpp - Operations of the nn dialect -----------------*- C++ -*-===//
//
// Result-type inference (the checks every op makes on its operands, with the
// messages users see) and folders. Inference runs from builders and from the
// verifier, so each failure is reported through `emitOptionalError` with the
// same "'nn.op' op ..." prefix that `emitOpError` would give.
//
//===----------------------------------------------------------------------===//

#include "dialect/NNOps.h"
#include "dialect/NNOpDiagnostics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;
using namespace nnc::nn;

namespace {

/// Requires the batch dimension plus at least one per-example dimension, all
/// of the per-example ones static.
template <typename OpTy>
LogicalResult checkBatchedInput(std::optional<Location> loc,
                                RankedTensorType type, StringRef what) {
  if (type.getRank() < 2)
    return opError<OpTy>(loc, "expected ", what,
                         " of rank at least 2 (batch and features), got ",
                         type.getRank());
  for (int64_t dim : type.getShape().drop_front())
    if (ShapedType::isDynamic(dim))
      return opError<OpTy>(loc, "expected static per-example dimensions in ",
                           what, ", got ", type);
  return success();
}

template <typename OpTy>
LogicalResult inferUnary(std::optional<Location> loc, Value input,
                         SmallVectorImpl<Type> &results) {
  auto type = cast<RankedTensorType>(input.getType());
  if (failed(checkBatchedInput<OpTy>(loc, type, "input")))
    return failure();
  results.push_back(type);
  return success();
}

template <typename OpTy>
LogicalResult inferBinary(std::optional<Location> loc, Value lhs, Value rhs,
                          SmallVectorImpl<Type> &results) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  if (failed(checkBatchedInput<OpTy>(loc, lhsType, "lhs")))
    return failure();
  if (lhsType != rhs.getType())
    return opError<OpTy>(loc, "expected operands of the same type, got ",
                         lhsType, " and ", rhs.getType());
  results.push_back(lhsType);
  return success();
}

/// The number of elements of `dims`, or nothing if it overflows int64_t.
std::optional<int64_t> elementCount(ArrayRef<int64_t> dims) {
  int64_t count = 1;
  for (int64_t dim : dims) {
    std::optional<int64_t> next = llvm::checkedMul(count, dim);
    if (!next)
      return std::nullopt;
    count = *next;
  }
  return count;
}

/// The input of a flatten or reshape that `value` is the result of, if any.
/// Both are row-major reinterpretations, so they compose freely.
Value getReshapeSource(Value value) {
  if (auto flatten = value.getDefiningOp<FlattenOp>())
    return flatten.getInput();
  if (auto reshape = value.getDefiningOp<ReshapeOp>())
    return reshape.getInput();
  return {};
}

/// Folds a flatten or reshape that changes nothing to its input, and makes
/// one applied to another flatten or reshape read the original input.
template <typename OpTy> OpFoldResult foldReshapeLike(OpTy op) {
  if (op.getInput().getType() == op.getType())
    return op.getInput();
  if (Value source = getReshapeSource(op.getInput())) {
    op.getInputMutable().assign(source);
    return op.getResult();
  }
  return {};
}

} // namespace

//===----------------------------------------------------------------------===//
// DenseOp
//===----------------------------------------------------------------------===//

LogicalResult DenseOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto weight = cast<RankedTensorType>(adaptor.getWeight().getType());
  auto bias = cast<RankedTensorType>(adaptor.getBias().getType());
  if (input.getRank() != 2)
    return opError<DenseOp>(loc, "expected input of rank 2, got ",
                            input.getRank());
  if (weight.getRank() != 2)
    return opError<DenseOp>(loc, "expected weight of rank 2, got ",
                            weight.getRank());
  if (bias.getRank() != 1)
    return opError<DenseOp>(loc, "expected bias of rank 1, got ",
                            bias.getRank());
  if (!weight.hasStaticShape() || !bias.hasStaticShape() ||
      ShapedType::isDynamic(input.getDimSize(1)))
    return opError<DenseOp>(loc, "expected static feature dimensions");
  if (input.getElementType() != weight.getElementType() ||
      input.getElementType() != bias.getElementType())
    return opError<DenseOp>(
        loc, "expected one element type, got ", input.getElementType(), ", ",
        weight.getElementType(), " and ", bias.getElementType());
  if (input.getDimSize(1) != weight.getDimSize(0))
    return opError<DenseOp>(loc, "input has ", input.getDimSize(1),
                            " features but the weight expects ",
                            weight.getDimSize(0));
  if (bias.getDimSize(0) != weight.getDimSize(1))
    return opError<DenseOp>(loc, "bias has ", bias.getDimSize(0),
                            " elements but the weight has ",
                            weight.getDimSize(1), " outputs");
  results.push_back(RankedTensorType::get(
      {input.getDimSize(0), weight.getDimSize(1)}, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Activations and elementwise arithmetic
//===----------------------------------------------------------------------===//

#define NNC_UNARY_INFER(OP)                                                    \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &results) {                                        \
    return inferUnary<OP>(loc, adaptor.getInput(), results);                   \
  }
NNC_UNARY_INFER(ReluOp)
NNC_UNARY_INFER(TanhOp)
NNC_UNARY_INFER(SigmoidOp)
NNC_UNARY_INFER(SoftmaxOp)
#undef NNC_UNARY_INFER

/// add and mul also combine unbatched (parameter-shaped) tensors, e.g. when
/// autodiff sums the gradients of a parameter used twice.
template <typename OpTy>
LogicalResult inferArithmetic(std::optional<Location> loc, Value lhs, Value rhs,
                              SmallVectorImpl<Type> &results) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  if (lhsType.getRank() < 1)
    return opError<OpTy>(loc, "expected lhs of rank at least 1, got 0");
  for (int64_t dim : lhsType.getShape().drop_front())
    if (ShapedType::isDynamic(dim))
      return opError<OpTy>(loc,
                           "expected static per-example dimensions in "
                           "lhs, got ",
                           lhsType);
  if (lhsType != rhs.getType())
    return opError<OpTy>(loc, "expected operands of the same type, got ",
                         lhsType, " and ", rhs.getType());
  results.push_back(lhsType);
  return success();
}

#define NNC_BINARY_INFER(OP)                                                   \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &results) {                                        \
    return inferArithmetic<OP>(loc, adaptor.getLhs(), adaptor.getRhs(),        \
                               results);                                       \
  }
NNC_BINARY_INFER(AddOp)
NNC_BINARY_INFER(MulOp)
#undef NNC_BINARY_INFER

OpFoldResult ReluOp::fold(FoldAdaptor) {
  if (getInput().getDefiningOp<ReluOp>())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// FlattenOp
//===----------------------------------------------------------------------===//

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  auto type = cast<RankedTensorType>(adaptor.getInput().getType());
  if (failed(checkBatchedInput<FlattenOp>(loc, type, "input")))
    return failure();
  std::optional<int64_t> size = elementCount(type.getShape().drop_front());
  if (!size || ShapedType::isDynamic(*size))
    return opError<FlattenOp>(loc, "element count per example of ", type,
                              " overflows a 64-bit integer");
  results.push_back(RankedTensorType::get({type.getDimSize(0), *size},
                                          type.getElementType()));
  return success();
}

OpFoldResult FlattenOp::fold(FoldAdaptor) { return foldReshapeLike(*this); }

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  auto type = cast<RankedTensorType>(adaptor.getInput().getType());
  if (failed(checkBatchedInput<ReshapeOp>(loc, type, "input")))
    return failure();
  ArrayRef<int64_t> shape = adaptor.getShape();
  if (shape.empty())
    return opError<ReshapeOp>(loc, "expected a non-empty shape");
  for (int64_t dim : shape)
    if (dim <= 0)
      return opError<ReshapeOp>(loc, "expected positive dimensions, got ", dim);
  std::optional<int64_t> from = elementCount(type.getShape().drop_front());
  std::optional<int64_t> to = elementCount(shape);
  if (!from || !to || ShapedType::isDynamic(*from) ||
      ShapedType::isDynamic(*to))
    return opError<ReshapeOp>(loc,
                              "element count per example overflows a 64-bit "
                              "integer");
  if (*from != *to)
    return opError<ReshapeOp>(loc, "cannot reshape ", *from,
                              " elements per example into ", *to);
  SmallVector<int64_t> resultShape{type.getDimSize(0)};
  llvm::append_range(resultShape, shape);
  results.push_back(RankedTensorType::get(resultShape, type.getElementType()));
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) { return foldReshapeLike(*this); }

//===----------------------------------------------------------------------===//
// Gradient building blocks
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (lhs.getRank() != 2 || rhs.getRank() != 2)
    return opError<MatmulOp>(loc, "expected operands of rank 2, got ",
                             lhs.getRank(), " and ", rhs.getRank());
  if (lhs.getElementType() != rhs.getElementType())
    return opError<MatmulOp>(loc, "expected one element type, got ",
                             lhs.getElementType(), " and ",
                             rhs.getElementType());
  bool tl = adaptor.getTransposeLhs(), tr = adaptor.getTransposeRhs();
  int64_t m = lhs.getDimSize(tl ? 1 : 0), k = lhs.getDimSize(tl ? 0 : 1);
  int64_t k2 = rhs.getDimSize(tr ? 1 : 0), n = rhs.getDimSize(tr ? 0 : 1);
  if (k != k2)
    return opError<MatmulOp>(
        loc, "contracting dimensions differ: ",
        ShapedType::isDynamic(k) ? "?" : std::to_string(k), " and ",
        ShapedType::isDynamic(k2) ? "?" : std::to_string(k2));
  results.push_back(RankedTensorType::get({m, n}, lhs.getElementType()));
  return success();
}

LogicalResult BatchSumOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &results) {
  auto type = cast<RankedTensorType>(adaptor.getInput().getType());
  if (failed(checkBatchedInput<BatchSumOp>(loc, type, "input")))
    return failure();
  results.push_back(RankedTensorType::get(type.getShape().drop_front(),
                                          type.getElementType()));
  return success();
}

#define NNC_ACTIVATION_GRAD_INFER(OP)                                          \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &results) {                                        \
    return inferBinary<OP>(loc, adaptor.getForward(),                          \
                           adaptor.getResultGradient(), results);              \
  }
NNC_ACTIVATION_GRAD_INFER(ReluGradOp)
NNC_ACTIVATION_GRAD_INFER(TanhGradOp)
NNC_ACTIVATION_GRAD_INFER(SigmoidGradOp)
NNC_ACTIVATION_GRAD_INFER(SoftmaxGradOp)
#undef NNC_ACTIVATION_GRAD_INFER

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

namespace {

/// Checks logits `[batch, classes]` against labels `[batch]`.
template <typename OpTy>
LogicalResult checkClassification(std::optional<Location> loc, Value logits,
                                  Value labels) {
  auto logitsType = cast<RankedTensorType>(logits.getType());
  auto labelsType = cast<RankedTensorType>(labels.getType());
  if (logitsType.getRank() != 2 ||
      ShapedType::isDynamic(logitsType.getDimSize(1)))
    return opError<OpTy>(loc, "expected logits of shape [batch, classes], got ",
                         logitsType);
  if (labelsType.getRank() != 1)
    return opError<OpTy>(loc, "expected labels of rank 1, got ", labelsType);
  int64_t b1 = logitsType.getDimSize(0), b2 = labelsType.getDimSize(0);
  if (b1 != b2)
    return opError<OpTy>(loc, "expected as many labels as logits rows, got ",
                         labelsType, " for ", logitsType);
  return success();
}

template <typename OpTy>
LogicalResult checkLossGradient(std::optional<Location> loc, Value forward,
                                Value lossGradient) {
  Type element = cast<RankedTensorType>(forward.getType()).getElementType();
  if (cast<RankedTensorType>(lossGradient.getType()).getElementType() !=
      element)
    return opError<OpTy>(loc, "expected a loss gradient of element type ",
                         element, ", got ", lossGradient.getType());
  return success();
}

} // namespace

LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  if (failed(checkClassification<SoftmaxCrossEntropyOp>(
          loc, adaptor.getLogits(), adaptor.getLabels())))
    return failure();
  results.push_back(RankedTensorType::get(
      {},
      cast<RankedTensorType>(adaptor.getLogits().getType()).getElementType()));
  return success();
}

LogicalResult SoftmaxCrossEntropyGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  if (failed(checkClassification<SoftmaxCrossEntropyGradOp>(
          loc, adaptor.getLogits(), adaptor.getLabels())) ||
      failed(checkLossGradient<SoftmaxCrossEntropyGradOp>(
          loc, adaptor.getLogits(), adaptor.getLossGradient())))
    return failure();
  results.push_back(adaptor.getLogits().getType());
  return success();
}

LogicalResult MseOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &results) {
  SmallVector<Type> same;
  if (failed(inferBinary<MseOp>(loc, adaptor.getPrediction(),
                                adaptor.getTarget(), same)))
    return failure();
  results.push_back(RankedTensorType::get(
      {}, cast<RankedTensorType>(same.front()).getElementType()));
  return success();
}

LogicalResult MseGradOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  if (failed(inferBinary<MseGradOp>(loc, adaptor.getPrediction(),
                                    adaptor.getTarget(), results)) ||
      failed(checkLossGradient<MseGradOp>(loc, adaptor.getPrediction(),
                                          adaptor.getLossGradient())))
    return failure();
  return success();
}

LogicalResult CountCorrectOp::inferReturnTypes(MLIRContext *context,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &results) {
  if (failed(checkClassification<CountCorrectOp>(loc, adaptor.getLogits(),
                                                 adaptor.getLabels())))
    return failure();
  results.push_back(RankedTensorType::get({}, IntegerType::get(context, 64)));
  return success();
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

LogicalResult SgdUpdateOp::verify() {
  Type type = getParam().getType();
  if (getGrad().getType() != type ||
      (getVelocity() && getVelocity().getType() != type))
    return emitOpError("expected the parameter, gradient and velocity to have "
                       "one type");
  bool hasVelocity = bool(getVelocity());
  if (hasVelocity != (getMomentum().convertToDouble() > 0))
    return emitOpError("expected a velocity exactly when momentum > 0");
  if (getResults().size() != 1 + unsigned(hasVelocity) ||
      llvm::any_of(getResultTypes(), [&](Type t) { return t != type; }))
    return emitOpError("expected ")
           << 1 + unsigned(hasVelocity) << " results of type " << type;
  return success();
}

LogicalResult AdamUpdateOp::verify() {
  Type type = getParam().getType();
  if (getGrad().getType() != type || getM().getType() != type ||
      getV().getType() != type)
    return emitOpError("expected the parameter, gradient and moments to have "
                       "one type");
  if (llvm::any_of(getResultTypes(), [&](Type t) { return t != type; }))
    return emitOpError("expected results of type ") << type;
  return success();
}

#define GET_OP_CLASSES
#include "dialect/NNOps.cpp.inc"
