// RUN: nnc-opt %s --split-input-file --verify-diagnostics

// The verifier messages of the recurrent ops (type inference in
// dialect/NNRecurrentOps.cpp): nn.rnn, nn.gru, nn.lstm, the training form
// nn.recurrent_train and its gradient nn.recurrent_grad. One function reads
// the sizes of a layer off its input and weights (steps T, features F, hidden
// H read off weight_hh) and checks every other operand against them. As in
// the other error tests, MLIR's InferTypeOpInterface verifier adds "failed to
// infer returned types" after every inference error.

//===----------------------------------------------------------------------===//
// nn.rnn
//===----------------------------------------------------------------------===//

// A sequence is [batch, steps, features]; a flat [batch, features] is not one.
func.func @rnn_input_rank(%x: tensor<?x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.rnn' op expected an input of shape [batch, steps, features] with static steps and features, got 'tensor<?x3xf32>'}}
  // expected-error @+1 {{'nn.rnn' op failed to infer returned types}}
  %0 = nn.rnn %x, %wi, %wh, %b, %b {activation = "tanh"} : (tensor<?x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// An Elman layer applies tanh or relu.
func.func @rnn_unknown_activation(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.rnn' op unknown activation 'sigmoid'; expected tanh or relu}}
  // expected-error @+1 {{'nn.rnn' op failed to infer returned types}}
  %0 = nn.rnn %x, %wi, %wh, %b, %b {activation = "sigmoid"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// weight_ih has one row per input feature.
func.func @rnn_weight_ih_features(%x: tensor<?x5x3xf32>, %wi: tensor<5x4xf32>, %wh: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.rnn' op expected weight_ih of type 'tensor<3x4xf32>', got 'tensor<5x4xf32>'}}
  // expected-error @+1 {{'nn.rnn' op failed to infer returned types}}
  %0 = nn.rnn %x, %wi, %wh, %b, %b {activation = "tanh"} : (tensor<?x5x3xf32>, tensor<5x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// The weights have the input's element type.
func.func @rnn_weight_ih_element(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf64>, %wh: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.rnn' op expected weight_ih of type 'tensor<3x4xf32>', got 'tensor<3x4xf64>'}}
  // expected-error @+1 {{'nn.rnn' op failed to infer returned types}}
  %0 = nn.rnn %x, %wi, %wh, %b, %b {activation = "tanh"} : (tensor<?x5x3xf32>, tensor<3x4xf64>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// An Elman layer's weight_hh is [hidden, hidden]: its rows give the hidden size.
func.func @rnn_weight_hh_not_square(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.rnn' op expected weight_hh of type 'tensor<4x4xf32>', got 'tensor<4x8xf32>'}}
  // expected-error @+1 {{'nn.rnn' op failed to infer returned types}}
  %0 = nn.rnn %x, %wi, %wh, %b, %b {activation = "relu"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Each bias is [gates * hidden].
func.func @rnn_bias_ih(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %bi: tensor<8xf32>, %bh: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.rnn' op expected bias_ih of type 'tensor<4xf32>', got 'tensor<8xf32>'}}
  // expected-error @+1 {{'nn.rnn' op failed to infer returned types}}
  %0 = nn.rnn %x, %wi, %wh, %bi, %bh {activation = "tanh"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @rnn_bias_hh(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %bi: tensor<4xf32>, %bh: tensor<1x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.rnn' op expected bias_hh of type 'tensor<4xf32>', got 'tensor<1x4xf32>'}}
  // expected-error @+1 {{'nn.rnn' op failed to infer returned types}}
  %0 = nn.rnn %x, %wi, %wh, %bi, %bh {activation = "tanh"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<1x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// The initial state is batched like the result: [batch, hidden].
func.func @rnn_initial_hidden(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %b: tensor<4xf32>, %h0: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.rnn' op expected initial_hidden of type 'tensor<?x4xf32>', got 'tensor<4xf32>'}}
  // expected-error @+1 {{'nn.rnn' op failed to infer returned types}}
  %0 = nn.rnn %x, %wi, %wh, %b, %b initial_hidden %h0 {activation = "tanh"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// With `sequence` the result holds every step, [batch, steps, hidden].
func.func @rnn_result_type(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.rnn' op inferred type(s) 'tensor<?x5x4xf32>' are incompatible with return type(s) of operation 'tensor<?x4xf32>'}}
  // expected-error @+1 {{'nn.rnn' op failed to infer returned types}}
  %0 = nn.rnn %x, %wi, %wh, %b, %b {activation = "tanh", sequence} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.gru
//===----------------------------------------------------------------------===//

// The loop over time needs a static number of steps.
func.func @gru_dynamic_steps(%x: tensor<?x?x3xf32>, %wi: tensor<3x12xf32>, %wh: tensor<4x12xf32>, %b: tensor<12xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.gru' op expected an input of shape [batch, steps, features] with static steps and features, got 'tensor<?x?x3xf32>'}}
  // expected-error @+1 {{'nn.gru' op failed to infer returned types}}
  %0 = nn.gru %x, %wi, %wh, %b, %b : (tensor<?x?x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// ... and the features must be static to check weight_ih.
func.func @gru_dynamic_features(%x: tensor<?x5x?xf32>, %wi: tensor<3x12xf32>, %wh: tensor<4x12xf32>, %b: tensor<12xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.gru' op expected an input of shape [batch, steps, features] with static steps and features, got 'tensor<?x5x?xf32>'}}
  // expected-error @+1 {{'nn.gru' op failed to infer returned types}}
  %0 = nn.gru %x, %wi, %wh, %b, %b : (tensor<?x5x?xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A GRU has three gates: weight_hh is [hidden, 3 * hidden], not an Elman layer's
// [hidden, hidden].
func.func @gru_weight_hh_gates(%x: tensor<?x5x3xf32>, %wi: tensor<3x12xf32>, %wh: tensor<4x4xf32>, %b: tensor<12xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.gru' op expected weight_hh of type 'tensor<4x12xf32>', got 'tensor<4x4xf32>'}}
  // expected-error @+1 {{'nn.gru' op failed to infer returned types}}
  %0 = nn.gru %x, %wi, %wh, %b, %b : (tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x4xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// An LSTM's four gates in weight_ih of a GRU.
func.func @gru_weight_ih_gates(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>, %wh: tensor<4x12xf32>, %b: tensor<12xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.gru' op expected weight_ih of type 'tensor<3x12xf32>', got 'tensor<3x16xf32>'}}
  // expected-error @+1 {{'nn.gru' op failed to infer returned types}}
  %0 = nn.gru %x, %wi, %wh, %b, %b : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @gru_bias_gates(%x: tensor<?x5x3xf32>, %wi: tensor<3x12xf32>, %wh: tensor<4x12xf32>, %b: tensor<16xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.gru' op expected bias_ih of type 'tensor<12xf32>', got 'tensor<16xf32>'}}
  // expected-error @+1 {{'nn.gru' op failed to infer returned types}}
  %0 = nn.gru %x, %wi, %wh, %b, %b : (tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// The hidden size is read off weight_hh, so its rows must be static.
func.func @gru_dynamic_hidden(%x: tensor<?x5x3xf32>, %wi: tensor<3x12xf32>, %wh: tensor<?x12xf32>, %b: tensor<12xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.gru' op expected weight_hh of shape [hidden, 3 * hidden], got 'tensor<?x12xf32>'}}
  // expected-error @+1 {{'nn.gru' op failed to infer returned types}}
  %0 = nn.gru %x, %wi, %wh, %b, %b : (tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<?x12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.lstm
//===----------------------------------------------------------------------===//

// Gates are stacked along the columns of a matrix, not flattened.
func.func @lstm_weight_hh_rank(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>, %wh: tensor<64xf32>, %b: tensor<16xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.lstm' op expected weight_hh of shape [hidden, 4 * hidden], got 'tensor<64xf32>'}}
  // expected-error @+1 {{'nn.lstm' op failed to infer returned types}}
  %0 = nn.lstm %x, %wi, %wh, %b, %b : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<64xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A static batch must agree between the input and the initial state.
func.func @lstm_initial_hidden_batch(%x: tensor<2x5x3xf32>, %wi: tensor<3x16xf32>, %wh: tensor<4x16xf32>, %b: tensor<16xf32>, %h0: tensor<3x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{'nn.lstm' op expected initial_hidden of type 'tensor<2x4xf32>', got 'tensor<3x4xf32>'}}
  // expected-error @+1 {{'nn.lstm' op failed to infer returned types}}
  %0 = nn.lstm %x, %wi, %wh, %b, %b initial_hidden %h0 : (tensor<2x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// The initial cell state is [batch, hidden] too.
func.func @lstm_initial_cell(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>, %wh: tensor<4x16xf32>, %b: tensor<16xf32>, %h0: tensor<?x4xf32>, %c0: tensor<?x8xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.lstm' op expected initial_cell of type 'tensor<?x4xf32>', got 'tensor<?x8xf32>'}}
  // expected-error @+1 {{'nn.lstm' op failed to infer returned types}}
  %0 = nn.lstm %x, %wi, %wh, %b, %b initial_hidden %h0 initial_cell %c0 : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x4xf32>, tensor<?x8xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.recurrent_train
//===----------------------------------------------------------------------===//

// The cell names are those of the layers: rnn_tanh, rnn_relu, gru, lstm.
func.func @train_unknown_cell(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.recurrent_train' op unknown cell 'elman'; expected rnn_tanh, rnn_relu, gru or lstm}}
  // expected-error @+1 {{'nn.recurrent_train' op failed to infer returned types}}
  %0:2 = nn.recurrent_train %x, %wi, %wh, %b, %b {cell = "elman"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x6x1x4xf32>)
  return %0#0 : tensor<?x4xf32>
}

// -----

// Only an LSTM has a cell state.
func.func @train_cell_state_gru(%x: tensor<?x5x3xf32>, %wi: tensor<3x12xf32>, %wh: tensor<4x12xf32>, %b: tensor<12xf32>, %h0: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.recurrent_train' op only an lstm takes an initial cell state}}
  // expected-error @+1 {{'nn.recurrent_train' op failed to infer returned types}}
  %0:6 = nn.recurrent_train %x, %wi, %wh, %b, %b initial_hidden %h0 initial_cell %h0 {cell = "gru"} : (tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x6x1x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>)
  return %0#0 : tensor<?x4xf32>
}

// -----

func.func @train_initial_hidden(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>, %wh: tensor<4x16xf32>, %b: tensor<16xf32>, %h0: tensor<?x5x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.recurrent_train' op expected initial_hidden of type 'tensor<?x4xf32>', got 'tensor<?x5x4xf32>'}}
  // expected-error @+1 {{'nn.recurrent_train' op failed to infer returned types}}
  %0:6 = nn.recurrent_train %x, %wi, %wh, %b, %b initial_hidden %h0 {cell = "lstm"} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x5x4xf32>) -> (tensor<?x4xf32>, tensor<?x6x2x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>)
  return %0#0 : tensor<?x4xf32>
}

// -----

// An LSTM keeps four activations besides the result and the states.
func.func @train_result_count(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>, %wh: tensor<4x16xf32>, %b: tensor<16xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.recurrent_train' op inferred type(s) 'tensor<?x4xf32>', 'tensor<?x6x2x4xf32>', 'tensor<?x5x4xf32>', 'tensor<?x5x4xf32>', 'tensor<?x5x4xf32>', 'tensor<?x5x4xf32>' are incompatible with return type(s) of operation 'tensor<?x4xf32>', 'tensor<?x6x2x4xf32>'}}
  // expected-error @+1 {{'nn.recurrent_train' op failed to infer returned types}}
  %0:2 = nn.recurrent_train %x, %wi, %wh, %b, %b {cell = "lstm"} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<?x4xf32>, tensor<?x6x2x4xf32>)
  return %0#0 : tensor<?x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.recurrent_grad
//===----------------------------------------------------------------------===//

// An Elman cell names its activation.
func.func @grad_unknown_cell(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %s: tensor<?x6x1x4xf32>, %dy: tensor<?x4xf32>) -> tensor<?x5x3xf32> {
  // expected-error @+2 {{'nn.recurrent_grad' op unknown cell 'rnn'; expected rnn_tanh, rnn_relu, gru or lstm}}
  // expected-error @+1 {{'nn.recurrent_grad' op failed to infer returned types}}
  %0:6 = nn.recurrent_grad %x, %wi, %wh, %s, %dy {cell = "rnn"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<?x6x1x4xf32>, tensor<?x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?x1x4xf32>)
  return %0#0 : tensor<?x5x3xf32>
}

// -----

// An LSTM's gradient needs its four gate activations (i, f, g, o).
func.func @grad_activation_count_lstm(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>, %wh: tensor<4x16xf32>, %s: tensor<?x6x2x4xf32>, %dy: tensor<?x4xf32>, %a: tensor<?x5x4xf32>) -> tensor<?x5x3xf32> {
  // expected-error @+2 {{'nn.recurrent_grad' op expected 4 activations for cell 'lstm', got 3}}
  // expected-error @+1 {{'nn.recurrent_grad' op failed to infer returned types}}
  %0:6 = nn.recurrent_grad %x, %wi, %wh, %s, %dy, %a, %a, %a {cell = "lstm"} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<?x6x2x4xf32>, tensor<?x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x2x4xf32>)
  return %0#0 : tensor<?x5x3xf32>
}

// -----

// An Elman cell keeps no activations.
func.func @grad_activation_count_rnn(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %s: tensor<?x6x1x4xf32>, %dy: tensor<?x4xf32>, %a: tensor<?x5x4xf32>) -> tensor<?x5x3xf32> {
  // expected-error @+2 {{'nn.recurrent_grad' op expected 0 activations for cell 'rnn_relu', got 1}}
  // expected-error @+1 {{'nn.recurrent_grad' op failed to infer returned types}}
  %0:6 = nn.recurrent_grad %x, %wi, %wh, %s, %dy, %a {cell = "rnn_relu"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<?x6x1x4xf32>, tensor<?x4xf32>, tensor<?x5x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?x1x4xf32>)
  return %0#0 : tensor<?x5x3xf32>
}

// -----

// Every activation is [batch, steps, hidden].
func.func @grad_activation_type(%x: tensor<?x5x3xf32>, %wi: tensor<3x12xf32>, %wh: tensor<4x12xf32>, %s: tensor<?x6x1x4xf32>, %dy: tensor<?x4xf32>, %a: tensor<?x5x4xf32>, %bad: tensor<?x4xf32>) -> tensor<?x5x3xf32> {
  // expected-error @+2 {{'nn.recurrent_grad' op expected activations of type 'tensor<?x5x4xf32>', got 'tensor<?x4xf32>'}}
  // expected-error @+1 {{'nn.recurrent_grad' op failed to infer returned types}}
  %0:6 = nn.recurrent_grad %x, %wi, %wh, %s, %dy, %a, %a, %a, %bad {cell = "gru"} : (tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<?x6x1x4xf32>, tensor<?x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<?x1x4xf32>)
  return %0#0 : tensor<?x5x3xf32>
}

// -----

// An LSTM keeps two states (hidden and cell) per step: [batch, steps + 1, 2, hidden].
func.func @grad_states(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>, %wh: tensor<4x16xf32>, %s: tensor<?x6x1x4xf32>, %dy: tensor<?x4xf32>, %a: tensor<?x5x4xf32>) -> tensor<?x5x3xf32> {
  // expected-error @+2 {{'nn.recurrent_grad' op expected states of type 'tensor<?x6x2x4xf32>', got 'tensor<?x6x1x4xf32>'}}
  // expected-error @+1 {{'nn.recurrent_grad' op failed to infer returned types}}
  %0:6 = nn.recurrent_grad %x, %wi, %wh, %s, %dy, %a, %a, %a, %a {cell = "lstm"} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<?x6x1x4xf32>, tensor<?x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x2x4xf32>)
  return %0#0 : tensor<?x5x3xf32>
}

// -----

// With `sequence` the result gradient covers every step.
func.func @grad_result_gradient(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %s: tensor<?x6x1x4xf32>, %dy: tensor<?x4xf32>) -> tensor<?x5x3xf32> {
  // expected-error @+2 {{'nn.recurrent_grad' op expected result gradient of type 'tensor<?x5x4xf32>', got 'tensor<?x4xf32>'}}
  // expected-error @+1 {{'nn.recurrent_grad' op failed to infer returned types}}
  %0:6 = nn.recurrent_grad %x, %wi, %wh, %s, %dy {cell = "rnn_tanh", sequence} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<?x6x1x4xf32>, tensor<?x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?x1x4xf32>)
  return %0#0 : tensor<?x5x3xf32>
}

// -----

// The gradient checks its input like the forward op.
func.func @grad_input_rank(%x: tensor<?x15xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>, %s: tensor<?x6x1x4xf32>, %dy: tensor<?x4xf32>) -> tensor<?x15xf32> {
  // expected-error @+2 {{'nn.recurrent_grad' op expected an input of shape [batch, steps, features] with static steps and features, got 'tensor<?x15xf32>'}}
  // expected-error @+1 {{'nn.recurrent_grad' op failed to infer returned types}}
  %0:6 = nn.recurrent_grad %x, %wi, %wh, %s, %dy {cell = "rnn_tanh"} : (tensor<?x15xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<?x6x1x4xf32>, tensor<?x4xf32>) -> (tensor<?x15xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?x1x4xf32>)
  return %0#0 : tensor<?x15xf32>
}
