//===- NNTrainingForms.cpp - What ops compute while training ----*- C++ -*-===//
//
// The TrainingModeOpInterface implementations: the inference form of an op
// is what a model function says; nnc-build-train-forward asks each op here
// for the form it takes in `@M.train_forward`. Batch normalization switches
// to the batch's statistics and reports its new running averages; dropout
// draws its mask from the step's key.
//
//===----------------------------------------------------------------------===//

#include "dialect/NNOps.h"

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
