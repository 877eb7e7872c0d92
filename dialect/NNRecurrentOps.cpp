//===- NNRecurrentOps.cpp - Type inference of the recurrent ops -*- C++ -*-===//
//
// Result-type inference and verification of nn.rnn, nn.gru, nn.lstm, their
// training form nn.recurrent_train and its gradient nn.recurrent_grad. One
// function, `checkLayer`, reads the layer's sizes (steps T, features F,
// hidden H) off the input and weights and checks every operand against
// them, so the five ops word each mistake the same way.
//
//===----------------------------------------------------------------------===//

#include "dialect/NNOpDiagnostics.h"
#include "dialect/NNOps.h"
#include "dialect/NNRecurrent.h"

#include <limits>

using namespace mlir;
using namespace nnc::nn;

namespace {

/// The sizes of one recurrent layer.
struct Layer {
  RankedTensorType input; // [N, T, F]
  int64_t steps, features, hidden;

  Type element() const { return input.getElementType(); }
  int64_t batch() const { return input.getDimSize(0); }

  RankedTensorType result(bool sequence) const {
    if (sequence)
      return RankedTensorType::get({batch(), steps, hidden}, element());
    return RankedTensorType::get({batch(), hidden}, element());
  }
  RankedTensorType states(RecurrentCell cell) const {
    return RankedTensorType::get(
        {batch(), steps + 1, getNumStates(cell), hidden}, element());
  }
  /// The type of each of the activations nn.recurrent_train keeps.
  RankedTensorType activation() const { return result(/*sequence=*/true); }
};

template <typename OpTy>
LogicalResult expectType(std::optional<Location> loc, Value value,
                         StringRef what, Type expected) {
  if (value.getType() != expected)
    return opError<OpTy>(loc, "expected ", what, " of type ", expected,
                         ", got ", value.getType());
  return success();
}

template <typename OpTy>
FailureOr<RecurrentCell> parseCell(std::optional<Location> loc,
                                   StringRef name) {
  if (std::optional<RecurrentCell> cell = parseRecurrentCell(name))
    return *cell;
  return opError<OpTy>(loc, "unknown cell '", name,
                       "'; expected rnn_tanh, rnn_relu, gru or lstm");
}

/// Checks the input and weights of a layer of `cell` and returns its sizes.
template <typename OpTy>
FailureOr<Layer> checkLayer(std::optional<Location> loc, RecurrentCell cell,
                            Value input, Value weightIH, Value weightHH) {
  auto in = cast<RankedTensorType>(input.getType());
  if (in.getRank() != 3 || in.isDynamicDim(1) || in.isDynamicDim(2) ||
      in.getDimSize(1) < 1 || in.getDimSize(2) < 1)
    return opError<OpTy>(loc,
                         "expected an input of shape [batch, steps, features] "
                         "with static steps and features, got ",
                         in);
  Layer layer{in, in.getDimSize(1), in.getDimSize(2), 0};
  auto hh = cast<RankedTensorType>(weightHH.getType());
  if (hh.getRank() != 2 || hh.isDynamicDim(0) || hh.getDimSize(0) < 1)
    return opError<OpTy>(loc, "expected weight_hh of shape [hidden, ",
                         getNumGates(cell), " * hidden], got ", hh);
  layer.hidden = hh.getDimSize(0);
  if (layer.hidden > std::numeric_limits<int32_t>::max())
    return opError<OpTy>(loc, "hidden size ", layer.hidden,
                         " is too large (limit ",
                         std::numeric_limits<int32_t>::max(), ")");
  int64_t gates = getNumGates(cell) * layer.hidden;
  if (failed(expectType<OpTy>(
          loc, weightHH, "weight_hh",
          RankedTensorType::get({layer.hidden, gates}, layer.element()))) ||
      failed(expectType<OpTy>(
          loc, weightIH, "weight_ih",
          RankedTensorType::get({layer.features, gates}, layer.element()))))
    return failure();
  return layer;
}

/// Checks the biases and the initial states of a layer.
template <typename OpTy>
LogicalResult checkLayerOperands(std::optional<Location> loc,
                                 RecurrentCell cell, const Layer &layer,
                                 Value biasIH, Value biasHH, Value hidden,
                                 Value cellState) {
  auto bias = RankedTensorType::get({getNumGates(cell) * layer.hidden},
                                    layer.element());
  if (failed(expectType<OpTy>(loc, biasIH, "bias_ih", bias)) ||
      failed(expectType<OpTy>(loc, biasHH, "bias_hh", bias)))
    return failure();
  RankedTensorType state = layer.result(/*sequence=*/false);
  if (hidden && failed(expectType<OpTy>(loc, hidden, "initial_hidden", state)))
    return failure();
  if (cellState && cell != RecurrentCell::Lstm)
    return opError<OpTy>(loc, "only an lstm takes an initial cell state");
  if (cellState &&
      failed(expectType<OpTy>(loc, cellState, "initial_cell", state)))
    return failure();
  return success();
}

template <typename OpTy, typename Adaptor>
FailureOr<Layer> inferLayer(std::optional<Location> loc, RecurrentCell cell,
                            Adaptor adaptor, Value initialCell,
                            SmallVectorImpl<Type> &results) {
  FailureOr<Layer> layer =
      checkLayer<OpTy>(loc, cell, adaptor.getInput(), adaptor.getWeightIh(),
                       adaptor.getWeightHh());
  if (failed(layer) ||
      failed(checkLayerOperands<OpTy>(loc, cell, *layer, adaptor.getBiasIh(),
                                      adaptor.getBiasHh(),
                                      adaptor.getInitialHidden(), initialCell)))
    return failure();
  results.push_back(layer->result(adaptor.getSequence()));
  return layer;
}

LogicalResult checkActivations(std::optional<Location> loc, RecurrentCell cell,
                               const Layer &layer, ValueRange activations) {
  if (int64_t(activations.size()) != getNumActivations(cell))
    return opError<RecurrentGradOp>(
        loc, "expected ", getNumActivations(cell), " activations for cell '",
        getRecurrentCellName(cell), "', got ", activations.size());
  for (Value activation : activations)
    if (failed(expectType<RecurrentGradOp>(loc, activation, "activations",
                                           layer.activation())))
      return failure();
  return success();
}

} // namespace

LogicalResult RnnOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &results) {
  StringRef activation = adaptor.getActivation();
  if (activation != "tanh" && activation != "relu")
    return opError<RnnOp>(loc, "unknown activation '", activation,
                          "'; expected tanh or relu");
  return inferLayer<RnnOp>(loc,
                           activation == "tanh" ? RecurrentCell::RnnTanh
                                                : RecurrentCell::RnnRelu,
                           adaptor, Value(), results);
}

LogicalResult GruOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &results) {
  return inferLayer<GruOp>(loc, RecurrentCell::Gru, adaptor, Value(), results);
}

LogicalResult LstmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &results) {
  return inferLayer<LstmOp>(loc, RecurrentCell::Lstm, adaptor,
                            adaptor.getInitialCell(), results);
}

LogicalResult
RecurrentTrainOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                   Adaptor adaptor,
                                   SmallVectorImpl<Type> &results) {
  FailureOr<RecurrentCell> cell =
      parseCell<RecurrentTrainOp>(loc, adaptor.getCell());
  if (failed(cell))
    return failure();
  FailureOr<Layer> layer = inferLayer<RecurrentTrainOp>(
      loc, *cell, adaptor, adaptor.getInitialCell(), results);
  if (failed(layer))
    return failure();
  results.push_back(layer->states(*cell));
  results.append(getNumActivations(*cell), layer->activation());
  return success();
}

LogicalResult
RecurrentGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &results) {
  FailureOr<RecurrentCell> cell =
      parseCell<RecurrentGradOp>(loc, adaptor.getCell());
  if (failed(cell))
    return failure();
  FailureOr<Layer> layer =
      checkLayer<RecurrentGradOp>(loc, *cell, adaptor.getInput(),
                                  adaptor.getWeightIh(), adaptor.getWeightHh());
  if (failed(layer) ||
      failed(expectType<RecurrentGradOp>(loc, adaptor.getStates(), "states",
                                         layer->states(*cell))) ||
      failed(checkActivations(loc, *cell, *layer, adaptor.getActivations())) ||
      failed(expectType<RecurrentGradOp>(loc, adaptor.getResultGradient(),
                                         "result gradient",
                                         layer->result(adaptor.getSequence()))))
    return failure();
  auto bias = RankedTensorType::get({getNumGates(*cell) * layer->hidden},
                                    layer->element());
  results.append({layer->input, adaptor.getWeightIh().getType(),
                  adaptor.getWeightHh().getType(), bias, bias,
                  RankedTensorType::get(
                      {layer->batch(), getNumStates(*cell), layer->hidden},
                      layer->element())});
  return success();
}
