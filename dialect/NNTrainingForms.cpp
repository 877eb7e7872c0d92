//===- NNTrainingForms.cpp - What ops compute while training ----*- C++ -*-===//
//
// The TrainingModeOpInterface implementations: the inference form of an op
// is what a model function says; nnc-build-train-forward asks each op here
// for the form it takes in `@M.train_forward`. Batch normalization switches
// to the batch's statistics and reports its new running averages; dropout
// draws its mask from the step's key; a recurrent layer keeps its per-step
// states and activations for backpropagation through time.
//
//===----------------------------------------------------------------------===//

#include "dialect/NNOps.h"
#include "dialect/NNRecurrent.h"

using namespace mlir;
using namespace nnc::nn;

Value BatchNormOp::buildTrainingForm(
    OpBuilder &b, Value, int64_t,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  auto train = BatchNormTrainOp::create(
      b, getLoc(), getInput(), getWeight(), getBias(), getRunningMean(),
      getRunningVar(), getEpsilonAttr(), getMomentumAttr());
  stateUpdates.push_back({getRunningMean(), train.getNewRunningMean()});
  stateUpdates.push_back({getRunningVar(), train.getNewRunningVar()});
  return train.getResult();
}

Value DropoutOp::buildTrainingForm(OpBuilder &b, Value key, int64_t stream,
                                   SmallVectorImpl<std::pair<Value, Value>> &) {
  if (getRate().isZero())
    return getInput();
  return DropoutTrainOp::create(b, getLoc(), getInput(), key, getRateAttr(),
                                b.getI64IntegerAttr(stream));
}

/// A recurrent layer trains as nn.recurrent_train, which also returns the
/// per-step states and activations backpropagation through time reads.
template <typename OpTy>
static Value buildRecurrentTrainingForm(OpBuilder &b, OpTy op,
                                        RecurrentCell cell, Value initialCell) {
  auto train = RecurrentTrainOp::create(
      b, op.getLoc(), op.getInput(), op.getWeightIh(), op.getWeightHh(),
      op.getBiasIh(), op.getBiasHh(), op.getInitialHidden(), initialCell,
      getRecurrentCellName(cell), op.getReverse(), op.getSequence());
  return train.getResult();
}

Value RnnOp::buildTrainingForm(OpBuilder &b, Value, int64_t,
                               SmallVectorImpl<std::pair<Value, Value>> &) {
  return buildRecurrentTrainingForm(b, *this,
                                    getActivation() == "relu"
                                        ? RecurrentCell::RnnRelu
                                        : RecurrentCell::RnnTanh,
                                    Value());
}

Value GruOp::buildTrainingForm(OpBuilder &b, Value, int64_t,
                               SmallVectorImpl<std::pair<Value, Value>> &) {
  return buildRecurrentTrainingForm(b, *this, RecurrentCell::Gru, Value());
}

Value LstmOp::buildTrainingForm(OpBuilder &b, Value, int64_t,
                                SmallVectorImpl<std::pair<Value, Value>> &) {
  return buildRecurrentTrainingForm(b, *this, RecurrentCell::Lstm,
                                    getInitialCell());
}
