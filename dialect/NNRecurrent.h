//===- NNRecurrent.h - Cells of the recurrent ops ---------------*- C++ -*-===//
//
// The cells nn.rnn, nn.gru and nn.lstm compute, as named by the `cell`
// attribute of their training form and gradient, and the sizes that follow
// from a cell: how many gates it stacks along the weights' last dimension,
// how many state vectors it carries from step to step, and how many
// activation vectors per step backpropagation through time keeps.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NNRECURRENT_H
#define NNC_DIALECT_NNRECURRENT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSwitch.h"

#include <cstdint>
#include <optional>

namespace nnc::nn {

enum class RecurrentCell { RnnTanh, RnnRelu, Gru, Lstm };

inline std::optional<RecurrentCell> parseRecurrentCell(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<RecurrentCell>>(name)
      .Case("rnn_tanh", RecurrentCell::RnnTanh)
      .Case("rnn_relu", RecurrentCell::RnnRelu)
      .Case("gru", RecurrentCell::Gru)
      .Case("lstm", RecurrentCell::Lstm)
      .Default(std::nullopt);
}

inline llvm::StringRef getRecurrentCellName(RecurrentCell cell) {
  switch (cell) {
  case RecurrentCell::RnnTanh:
    return "rnn_tanh";
  case RecurrentCell::RnnRelu:
    return "rnn_relu";
  case RecurrentCell::Gru:
    return "gru";
  case RecurrentCell::Lstm:
    return "lstm";
  }
  return "";
}

/// Gates stacked along the last dimension of the weights and biases.
inline int64_t getNumGates(RecurrentCell cell) {
  return cell == RecurrentCell::Lstm ? 4 : cell == RecurrentCell::Gru ? 3 : 1;
}

/// State vectors carried between steps: hidden, and cell for an LSTM.
inline int64_t getNumStates(RecurrentCell cell) {
  return cell == RecurrentCell::Lstm ? 2 : 1;
}

/// Activation vectors kept per step for the backward pass.
inline int64_t getNumActivations(RecurrentCell cell) {
  return cell == RecurrentCell::Lstm || cell == RecurrentCell::Gru ? 4 : 0;
}

} // namespace nnc::nn

#endif // NNC_DIALECT_NNRECURRENT_H
