//===- NNGradients.cpp - Derivative rules of the nn ops ---------*- C++ -*-===//
//
// The DifferentiableOpInterface implementation of every differentiable op:
// given the gradient `dy` of the objective with respect to the op's result,
// build the gradient with respect to each operand, in nn ops. The rules read
// whichever forward value is cheapest to differentiate from: relu its input,
// tanh / sigmoid / softmax their result. The autodiff pass decides nothing
// op-specific; a new op becomes trainable by adding its rule here.
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
  grads.push_back(ReluGradOp::create(b, getLoc(), getInput(), dy));
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
