//===- NNGradients.cpp - Derivative rules of the nn ops ---------*- C++ -*-===//
//
// The DifferentiableOpInterface implementation of every differentiable op:
// given the gradient `dy` of the objective with respect to the op's result,
// build the gradient with respect to each operand, in nn ops. The rules read
// whichever forward value is cheapest to differentiate from: relu, tanh,
// sigmoid and softmax their result (relu's result is positive exactly where
// its input is, and reading it leaves the input to no one but the relu, so
// the relu fuses into its producer and the input needs no buffer). The autodiff
// pass decides nothing op-specific; a new op becomes trainable by adding its
// rule here.
//
//===----------------------------------------------------------------------===//

#include "dialect/NNOps.h"

using namespace mlir;
using namespace nnc::nn;

/// y = x W + b:  dx = dy W^T,  dW = x^T dy,  db = sum over the batch of dy.
LogicalResult DenseOp::buildGradients(OpBuilder &b, Value dy,
                                      SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  grads.push_back(MatmulOp::create(b, loc, dy, getWeight(),
                                   /*transpose_lhs=*/false,
                                   /*transpose_rhs=*/true));
  grads.push_back(MatmulOp::create(b, loc, getInput(), dy,
                                   /*transpose_lhs=*/true,
                                   /*transpose_rhs=*/false));
  grads.push_back(BatchSumOp::create(b, loc, dy));
  return success();
}

LogicalResult ReluOp::buildGradients(OpBuilder &b, Value dy,
                                     SmallVectorImpl<Value> &grads) {
  grads.push_back(ReluGradOp::create(b, getLoc(), getResult(), dy));
  return success();
}

LogicalResult TanhOp::buildGradients(OpBuilder &b, Value dy,
                                     SmallVectorImpl<Value> &grads) {
  grads.push_back(TanhGradOp::create(b, getLoc(), getResult(), dy));
  return success();
}

LogicalResult SigmoidOp::buildGradients(OpBuilder &b, Value dy,
                                        SmallVectorImpl<Value> &grads) {
  grads.push_back(SigmoidGradOp::create(b, getLoc(), getResult(), dy));
  return success();
}

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b, Value dy,
                                        SmallVectorImpl<Value> &grads) {
  grads.push_back(SoftmaxGradOp::create(b, getLoc(), getResult(), dy));
  return success();
}

LogicalResult AddOp::buildGradients(OpBuilder &, Value dy,
                                    SmallVectorImpl<Value> &grads) {
  grads.append({dy, dy});
  return success();
}

LogicalResult MulOp::buildGradients(OpBuilder &b, Value dy,
                                    SmallVectorImpl<Value> &grads) {
  grads.push_back(MulOp::create(b, getLoc(), dy, getRhs()));
  grads.push_back(MulOp::create(b, getLoc(), dy, getLhs()));
  return success();
}

/// The gradient of a row-major reinterpretation is the inverse one.
static Value reshapeLike(OpBuilder &b, Location loc, Value dy, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  return ReshapeOp::create(b, loc, dy, type.getShape().drop_front());
}

LogicalResult FlattenOp::buildGradients(OpBuilder &b, Value dy,
                                        SmallVectorImpl<Value> &grads) {
  grads.push_back(reshapeLike(b, getLoc(), dy, getInput()));
  return success();
}

LogicalResult ReshapeOp::buildGradients(OpBuilder &b, Value dy,
                                        SmallVectorImpl<Value> &grads) {
  grads.push_back(reshapeLike(b, getLoc(), dy, getInput()));
  return success();
}

LogicalResult
SoftmaxCrossEntropyOp::buildGradients(OpBuilder &b, Value dloss,
                                      SmallVectorImpl<Value> &grads) {
  grads.push_back(SoftmaxCrossEntropyGradOp::create(b, getLoc(), getLogits(),
                                                    getLabels(), dloss));
  grads.push_back(Value()); // integer labels
  return success();
}

LogicalResult MseOp::buildGradients(OpBuilder &b, Value dloss,
                                    SmallVectorImpl<Value> &grads) {
  grads.push_back(
      MseGradOp::create(b, getLoc(), getPrediction(), getTarget(), dloss));
  grads.push_back(Value()); // targets are data, not trained
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution, pooling, normalization, dropout, concatenation
//===----------------------------------------------------------------------===//

/// The [H, W] of an NCHW value, which strided windows do not determine from
/// the output.
static DenseI64ArrayAttr spatialSize(OpBuilder &b, Value image) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(image.getType()).getShape();
  return b.getDenseI64ArrayAttr({shape[2], shape[3]});
}

/// dx is the transposed convolution of dy, dW correlates x with dy, and the
/// bias collects dy over everything but its channel.
LogicalResult Conv2DOp::buildGradients(OpBuilder &b, Value dy,
                                       SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  ArrayRef<int64_t> filter =
      cast<RankedTensorType>(getFilter().getType()).getShape();
  grads.push_back(Conv2DInputGradOp::create(
      b, loc, dy, getFilter(), getStridesAttr(), getPaddingAttr(),
      getDilationsAttr(), getGroupsAttr(), spatialSize(b, getInput())));
  grads.push_back(Conv2DFilterGradOp::create(
      b, loc, getInput(), dy, getStridesAttr(), getPaddingAttr(),
      getDilationsAttr(), getGroupsAttr(),
      b.getDenseI64ArrayAttr({filter[2], filter[3]})));
  if (getBias())
    grads.push_back(ChannelSumOp::create(b, loc, dy));
  return success();
}

LogicalResult MaxPool2DOp::buildGradients(OpBuilder &b, Value dy,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(MaxPool2DGradOp::create(b, getLoc(), getInput(), dy,
                                          getKernelSizeAttr(), getStridesAttr(),
                                          getPaddingAttr()));
  return success();
}

LogicalResult AvgPool2DOp::buildGradients(OpBuilder &b, Value dy,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(AvgPool2DGradOp::create(b, getLoc(), dy, getKernelSizeAttr(),
                                          getStridesAttr(), getPaddingAttr(),
                                          spatialSize(b, getInput())));
  return success();
}

LogicalResult GlobalAvgPoolOp::buildGradients(OpBuilder &b, Value dy,
                                              SmallVectorImpl<Value> &grads) {
  grads.push_back(
      GlobalAvgPoolGradOp::create(b, getLoc(), dy, spatialSize(b, getInput())));
  return success();
}

/// Only the normalized result is differentiated; the running statistics
/// are model state, not trained.
LogicalResult BatchNormTrainOp::buildGradients(OpBuilder &b, Value dy,
                                               SmallVectorImpl<Value> &grads) {
  auto grad = BatchNormTrainGradOp::create(b, getLoc(), getInput(), getWeight(),
                                           dy, getEpsilonAttr());
  grads.append({grad.getInputGradient(), grad.getWeightGradient(),
                grad.getBiasGradient(), Value(), Value()});
  return success();
}

/// The mask is a function of (key, stream, index), so applying the same op
/// to dy applies the same mask and scale.
LogicalResult DropoutTrainOp::buildGradients(OpBuilder &b, Value dy,
                                             SmallVectorImpl<Value> &grads) {
  grads.push_back(DropoutTrainOp::create(b, getLoc(), dy, getKey(),
                                         getRateAttr(), getStreamAttr()));
  grads.push_back(Value()); // the key
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, Value dy,
                                       SmallVectorImpl<Value> &grads) {
  int64_t axis = getAxis(), offset = 0;
  for (Value input : getInputs()) {
    int64_t size = cast<RankedTensorType>(input.getType()).getDimSize(axis);
    grads.push_back(SliceOp::create(b, getLoc(), dy, axis, offset, size));
    offset += size;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

/// Backpropagation through time is one op, nn.recurrent_grad, which lowers to
/// a loop over the steps in reverse. The initial states' gradients are
/// slots of its [N, S, H] state gradient.
LogicalResult RecurrentTrainOp::buildGradients(OpBuilder &b, Value dy,
                                               SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  auto grad = RecurrentGradOp::create(
      b, loc, getInput(), getWeightIh(), getWeightHh(), getStates(), dy,
      getActivations(), getCell(), getReverse(), getSequence());
  grads.append({grad.getInputGradient(), grad.getWeightIhGradient(),
                grad.getWeightHhGradient(), grad.getBiasIhGradient(),
                grad.getBiasHhGradient()});
  auto stateGradient = [&](int64_t slot, Value like) {
    Value slice = SliceOp::create(b, loc, grad.getInitialStateGradient(),
                                  /*axis=*/1, slot, /*size=*/1);
    return reshapeLike(b, loc, slice, like);
  };
  if (Value hidden = getInitialHidden())
    grads.push_back(stateGradient(0, hidden));
  if (Value cell = getInitialCell())
    grads.push_back(stateGradient(1, cell));
  return success();
}
