// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// RUN: nnc-opt %s --mlir-print-op-generic | nnc-opt | FileCheck %s

// The recurrent ops survive a print / parse round trip in the custom and the
// generic form: nn.rnn, nn.gru and nn.lstm with and without their optional
// initial states and unit attributes, the training form nn.recurrent_train
// for every cell, and its gradient nn.recurrent_grad. Weights are laid out
// [in, gates * hidden], so with F = 3 features and H = 4 hidden units an
// Elman layer has weight_ih 3x4, a GRU 3x12 and an LSTM 3x16.

//===----------------------------------------------------------------------===//
// nn.rnn
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rnn
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<?x5x3xf32>, %[[WI:[^:]*]]: tensor<3x4xf32>, %[[WH:[^:]*]]: tensor<4x4xf32>, %[[BI:[^:]*]]: tensor<4xf32>, %[[BH:[^:]*]]: tensor<4xf32>, %[[H0:[^:]*]]: tensor<?x4xf32>)
// CHECK:         %[[LAST:.*]] = nn.rnn %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] {activation = "tanh"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK:         %[[SEQ:.*]] = nn.rnn %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] initial_hidden %[[H0]] {activation = "relu", reverse, sequence} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x5x4xf32>
// CHECK:         return %[[LAST]], %[[SEQ]]
func.func @rnn(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>, %wh: tensor<4x4xf32>,
               %bi: tensor<4xf32>, %bh: tensor<4xf32>, %h0: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x5x4xf32>) {
  %0 = nn.rnn %x, %wi, %wh, %bi, %bh {activation = "tanh"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = nn.rnn %x, %wi, %wh, %bi, %bh initial_hidden %h0 {activation = "relu", reverse, sequence} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x5x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x5x4xf32>
}

//===----------------------------------------------------------------------===//
// nn.gru
//===----------------------------------------------------------------------===//

// A static batch is kept as it is.
// CHECK-LABEL: func.func @gru
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<2x5x3xf32>, %[[WI:[^:]*]]: tensor<3x12xf32>, %[[WH:[^:]*]]: tensor<4x12xf32>, %[[BI:[^:]*]]: tensor<12xf32>, %[[BH:[^:]*]]: tensor<12xf32>, %[[H0:[^:]*]]: tensor<2x4xf32>)
// CHECK:         %[[SEQ:.*]] = nn.gru %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] {sequence} : (tensor<2x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<2x5x4xf32>
// CHECK:         %[[LAST:.*]] = nn.gru %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] initial_hidden %[[H0]] {reverse} : (tensor<2x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK:         return %[[SEQ]], %[[LAST]]
func.func @gru(%x: tensor<2x5x3xf32>, %wi: tensor<3x12xf32>, %wh: tensor<4x12xf32>,
               %bi: tensor<12xf32>, %bh: tensor<12xf32>, %h0: tensor<2x4xf32>)
    -> (tensor<2x5x4xf32>, tensor<2x4xf32>) {
  %0 = nn.gru %x, %wi, %wh, %bi, %bh {sequence} : (tensor<2x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<2x5x4xf32>
  %1 = nn.gru %x, %wi, %wh, %bi, %bh initial_hidden %h0 {reverse} : (tensor<2x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0, %1 : tensor<2x5x4xf32>, tensor<2x4xf32>
}

//===----------------------------------------------------------------------===//
// nn.lstm
//===----------------------------------------------------------------------===//

// No initial state, only the hidden one, and both.
// CHECK-LABEL: func.func @lstm
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<?x5x3xf32>, %[[WI:[^:]*]]: tensor<3x16xf32>, %[[WH:[^:]*]]: tensor<4x16xf32>, %[[BI:[^:]*]]: tensor<16xf32>, %[[BH:[^:]*]]: tensor<16xf32>, %[[H0:[^:]*]]: tensor<?x4xf32>, %[[C0:[^:]*]]: tensor<?x4xf32>)
// CHECK:         %[[A:.*]] = nn.lstm %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x4xf32>
// CHECK:         %[[B:.*]] = nn.lstm %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] initial_hidden %[[H0]] {sequence} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x4xf32>) -> tensor<?x5x4xf32>
// CHECK:         %[[C:.*]] = nn.lstm %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] initial_hidden %[[H0]] initial_cell %[[C0]] {reverse} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK:         return %[[A]], %[[B]], %[[C]]
func.func @lstm(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>, %wh: tensor<4x16xf32>,
                %bi: tensor<16xf32>, %bh: tensor<16xf32>, %h0: tensor<?x4xf32>,
                %c0: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x5x4xf32>, tensor<?x4xf32>) {
  %0 = nn.lstm %x, %wi, %wh, %bi, %bh : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x4xf32>
  %1 = nn.lstm %x, %wi, %wh, %bi, %bh initial_hidden %h0 {sequence} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x4xf32>) -> tensor<?x5x4xf32>
  %2 = nn.lstm %x, %wi, %wh, %bi, %bh initial_hidden %h0 initial_cell %c0 {reverse} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1, %2 : tensor<?x4xf32>, tensor<?x5x4xf32>, tensor<?x4xf32>
}

//===----------------------------------------------------------------------===//
// nn.recurrent_train
//===----------------------------------------------------------------------===//

// An Elman layer keeps its states [N, T + 1, 1, H] and no activations.
// CHECK-LABEL: func.func @recurrent_train_rnn
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<?x5x3xf32>, %[[WI:[^:]*]]: tensor<3x4xf32>, %[[WH:[^:]*]]: tensor<4x4xf32>, %[[BI:[^:]*]]: tensor<4xf32>, %[[BH:[^:]*]]: tensor<4xf32>)
// CHECK:         %[[R:[^,]+]], %[[S:[^ ]+]] = nn.recurrent_train %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] {cell = "rnn_relu", reverse} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x6x1x4xf32>)
// CHECK:         return %[[R]], %[[S]]
func.func @recurrent_train_rnn(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>,
                               %wh: tensor<4x4xf32>, %bi: tensor<4xf32>,
                               %bh: tensor<4xf32>)
    -> (tensor<?x4xf32>, tensor<?x6x1x4xf32>) {
  %0:2 = nn.recurrent_train %x, %wi, %wh, %bi, %bh {cell = "rnn_relu", reverse} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x6x1x4xf32>)
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<?x6x1x4xf32>
}

// A GRU keeps r, z, n and h W_hn + b_hn, each [N, T, H].
// CHECK-LABEL: func.func @recurrent_train_gru
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<?x5x3xf32>, %[[WI:[^:]*]]: tensor<3x12xf32>, %[[WH:[^:]*]]: tensor<4x12xf32>, %[[BI:[^:]*]]: tensor<12xf32>, %[[BH:[^:]*]]: tensor<12xf32>, %[[H0:[^:]*]]: tensor<?x4xf32>)
// CHECK:         %[[R:[^,]+]], %{{[^,]+}}, %[[A:[^:]+]]:4 = nn.recurrent_train %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] initial_hidden %[[H0]] {cell = "gru", sequence} : (tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<?x4xf32>) -> (tensor<?x5x4xf32>, tensor<?x6x1x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>)
// CHECK:         return %[[R]], %[[A]]#3
func.func @recurrent_train_gru(%x: tensor<?x5x3xf32>, %wi: tensor<3x12xf32>,
                               %wh: tensor<4x12xf32>, %bi: tensor<12xf32>,
                               %bh: tensor<12xf32>, %h0: tensor<?x4xf32>)
    -> (tensor<?x5x4xf32>, tensor<?x5x4xf32>) {
  %0:6 = nn.recurrent_train %x, %wi, %wh, %bi, %bh initial_hidden %h0 {cell = "gru", sequence} : (tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<?x4xf32>) -> (tensor<?x5x4xf32>, tensor<?x6x1x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>)
  return %0#0, %0#5 : tensor<?x5x4xf32>, tensor<?x5x4xf32>
}

// An LSTM keeps hidden and cell state ([N, T + 1, 2, H]) and i, f, g, o;
// here with both initial states.
// CHECK-LABEL: func.func @recurrent_train_lstm
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<?x5x3xf32>, %[[WI:[^:]*]]: tensor<3x16xf32>, %[[WH:[^:]*]]: tensor<4x16xf32>, %[[BI:[^:]*]]: tensor<16xf32>, %[[BH:[^:]*]]: tensor<16xf32>, %[[H0:[^:]*]]: tensor<?x4xf32>, %[[C0:[^:]*]]: tensor<?x4xf32>)
// CHECK:         %[[R:[^,]+]], %[[S:[^,]+]], %{{[^:]+}}:4 = nn.recurrent_train %[[X]], %[[WI]], %[[WH]], %[[BI]], %[[BH]] initial_hidden %[[H0]] initial_cell %[[C0]] {cell = "lstm"} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x6x2x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>)
// CHECK:         return %[[R]], %[[S]]
func.func @recurrent_train_lstm(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>,
                                %wh: tensor<4x16xf32>, %bi: tensor<16xf32>,
                                %bh: tensor<16xf32>, %h0: tensor<?x4xf32>,
                                %c0: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x6x2x4xf32>) {
  %0:6 = nn.recurrent_train %x, %wi, %wh, %bi, %bh initial_hidden %h0 initial_cell %c0 {cell = "lstm"} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x6x2x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>)
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<?x6x2x4xf32>
}

//===----------------------------------------------------------------------===//
// nn.recurrent_grad
//===----------------------------------------------------------------------===//

// An Elman layer has no activations, so none are listed; the gradients are
// those of the input, weight_ih, weight_hh, bias_ih, bias_hh and the
// initial state [N, 1, H].
// CHECK-LABEL: func.func @recurrent_grad_rnn
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<?x5x3xf32>, %[[WI:[^:]*]]: tensor<3x4xf32>, %[[WH:[^:]*]]: tensor<4x4xf32>, %[[S:[^:]*]]: tensor<?x6x1x4xf32>, %[[DY:[^:]*]]: tensor<?x4xf32>)
// CHECK:         %[[DX:[^,]+]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[DS:[^ ]+]] = nn.recurrent_grad %[[X]], %[[WI]], %[[WH]], %[[S]], %[[DY]] {cell = "rnn_tanh"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<?x6x1x4xf32>, tensor<?x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?x1x4xf32>)
// CHECK:         return %[[DX]], %[[DS]]
func.func @recurrent_grad_rnn(%x: tensor<?x5x3xf32>, %wi: tensor<3x4xf32>,
                              %wh: tensor<4x4xf32>, %s: tensor<?x6x1x4xf32>,
                              %dy: tensor<?x4xf32>)
    -> (tensor<?x5x3xf32>, tensor<?x1x4xf32>) {
  %0:6 = nn.recurrent_grad %x, %wi, %wh, %s, %dy {cell = "rnn_tanh"} : (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<?x6x1x4xf32>, tensor<?x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?x1x4xf32>)
  return %0#0, %0#5 : tensor<?x5x3xf32>, tensor<?x1x4xf32>
}

// An LSTM over a reversed sequence: four activations, and the initial state
// gradient holds hidden and cell ([N, 2, H]).
// CHECK-LABEL: func.func @recurrent_grad_lstm
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<?x5x3xf32>, %[[WI:[^:]*]]: tensor<3x16xf32>, %[[WH:[^:]*]]: tensor<4x16xf32>, %[[S:[^:]*]]: tensor<?x6x2x4xf32>, %[[DY:[^:]*]]: tensor<?x5x4xf32>, %[[A:[^:]*]]: tensor<?x5x4xf32>)
// CHECK:         %{{[^,]+}}, %[[DWI:[^,]+]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[DS:[^ ]+]] = nn.recurrent_grad %[[X]], %[[WI]], %[[WH]], %[[S]], %[[DY]], %[[A]], %[[A]], %[[A]], %[[A]] {cell = "lstm", reverse, sequence} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<?x6x2x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x2x4xf32>)
// CHECK:         return %[[DWI]], %[[DS]]
func.func @recurrent_grad_lstm(%x: tensor<?x5x3xf32>, %wi: tensor<3x16xf32>,
                               %wh: tensor<4x16xf32>, %s: tensor<?x6x2x4xf32>,
                               %dy: tensor<?x5x4xf32>, %a: tensor<?x5x4xf32>)
    -> (tensor<3x16xf32>, tensor<?x2x4xf32>) {
  %0:6 = nn.recurrent_grad %x, %wi, %wh, %s, %dy, %a, %a, %a, %a {cell = "lstm", reverse, sequence} : (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<?x6x2x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>) -> (tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x2x4xf32>)
  return %0#1, %0#5 : tensor<3x16xf32>, tensor<?x2x4xf32>
}
