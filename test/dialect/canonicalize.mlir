// RUN: nnc-opt %s --canonicalize --split-input-file | FileCheck %s

// The folders of the nn dialect: relu is idempotent, flatten of a rank-2
// tensor and reshape to the input's own type are identities, and chains of
// flatten / reshape read the original input.

// CHECK-LABEL: func.func @relu_of_relu
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>)
// CHECK:         %[[R:.*]] = nn.relu %[[X]]
// CHECK-NOT:     nn.relu
// CHECK:         return %[[R]], %[[R]]
func.func @relu_of_relu(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = nn.relu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.relu %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @relu_chain_f64
// CHECK-SAME:    (%[[X:.*]]: tensor<4x3x2xf64>)
// CHECK:         %[[R:.*]] = nn.relu %[[X]]
// CHECK-NOT:     nn.relu
// CHECK:         return %[[R]]
func.func @relu_chain_f64(%x: tensor<4x3x2xf64>) -> tensor<4x3x2xf64> {
  %0 = nn.relu %x : tensor<4x3x2xf64> -> tensor<4x3x2xf64>
  %1 = nn.relu %0 : tensor<4x3x2xf64> -> tensor<4x3x2xf64>
  %2 = nn.relu %1 : tensor<4x3x2xf64> -> tensor<4x3x2xf64>
  return %2 : tensor<4x3x2xf64>
}

// -----

// Negative: relu(tanh(x)) is not relu(x) nor tanh(x).
// CHECK-LABEL: func.func @relu_of_tanh
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>)
// CHECK:         %[[T:.*]] = nn.tanh %[[X]]
// CHECK:         %[[R:.*]] = nn.relu %[[T]]
// CHECK:         return %[[R]]
func.func @relu_of_tanh(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = nn.tanh %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.relu %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// Negative: tanh and sigmoid are not idempotent.
// CHECK-LABEL: func.func @tanh_of_tanh
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>)
// CHECK:         %[[T0:.*]] = nn.tanh %[[X]]
// CHECK:         %[[T1:.*]] = nn.tanh %[[T0]]
// CHECK:         %[[S0:.*]] = nn.sigmoid %[[T1]]
// CHECK:         %[[S1:.*]] = nn.sigmoid %[[S0]]
// CHECK:         return %[[S1]]
func.func @tanh_of_tanh(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = nn.tanh %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.tanh %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  %2 = nn.sigmoid %1 : tensor<?x8xf32> -> tensor<?x8xf32>
  %3 = nn.sigmoid %2 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %3 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @flatten_rank2_identity
// CHECK-SAME:    (%[[X:.*]]: tensor<?x784xf32>)
// CHECK-NOT:     nn.flatten
// CHECK:         return %[[X]]
func.func @flatten_rank2_identity(%x: tensor<?x784xf32>) -> tensor<?x784xf32> {
  %0 = nn.flatten %x : tensor<?x784xf32> -> tensor<?x784xf32>
  return %0 : tensor<?x784xf32>
}

// -----

// Negative: a real flatten stays.
// CHECK-LABEL: func.func @flatten_rank4_kept
// CHECK-SAME:    (%[[X:.*]]: tensor<?x1x28x28xf32>)
// CHECK:         %[[F:.*]] = nn.flatten %[[X]] : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
// CHECK:         return %[[F]]
func.func @flatten_rank4_kept(%x: tensor<?x1x28x28xf32>) -> tensor<?x784xf32> {
  %0 = nn.flatten %x : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
  return %0 : tensor<?x784xf32>
}

// -----

// A flatten of a flatten is the outer one of the original input, which here
// is itself the identity.
// CHECK-LABEL: func.func @flatten_of_flatten
// CHECK-SAME:    (%[[X:.*]]: tensor<?x2x3x4xf32>)
// CHECK:         %[[F:.*]] = nn.flatten %[[X]] : tensor<?x2x3x4xf32> -> tensor<?x24xf32>
// CHECK-NOT:     nn.flatten
// CHECK:         return %[[F]]
func.func @flatten_of_flatten(%x: tensor<?x2x3x4xf32>) -> tensor<?x24xf32> {
  %0 = nn.flatten %x : tensor<?x2x3x4xf32> -> tensor<?x24xf32>
  %1 = nn.flatten %0 : tensor<?x24xf32> -> tensor<?x24xf32>
  return %1 : tensor<?x24xf32>
}

// -----

// A flatten of a reshape reads the reshape's input; the reshape dies.
// CHECK-LABEL: func.func @flatten_of_reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<?x2x12xf32>)
// CHECK-NOT:     nn.reshape
// CHECK:         %[[F:.*]] = nn.flatten %[[X]] : tensor<?x2x12xf32> -> tensor<?x24xf32>
// CHECK-NOT:     nn.reshape
// CHECK:         return %[[F]]
func.func @flatten_of_reshape(%x: tensor<?x2x12xf32>) -> tensor<?x24xf32> {
  %0 = nn.reshape %x {shape = array<i64: 4, 6>} : tensor<?x2x12xf32> -> tensor<?x4x6xf32>
  %1 = nn.flatten %0 : tensor<?x4x6xf32> -> tensor<?x24xf32>
  return %1 : tensor<?x24xf32>
}

// -----

// The reshape's input is already flat: flatten(reshape(x)) is x.
// CHECK-LABEL: func.func @flatten_of_reshape_of_flat
// CHECK-SAME:    (%[[X:.*]]: tensor<8x24xf64>)
// CHECK-NOT:     nn.
// CHECK:         return %[[X]]
func.func @flatten_of_reshape_of_flat(%x: tensor<8x24xf64>) -> tensor<8x24xf64> {
  %0 = nn.reshape %x {shape = array<i64: 2, 3, 4>} : tensor<8x24xf64> -> tensor<8x2x3x4xf64>
  %1 = nn.flatten %0 : tensor<8x2x3x4xf64> -> tensor<8x24xf64>
  return %1 : tensor<8x24xf64>
}

// -----

// Negative: the reshape has another user, so it stays; the flatten still
// reads the original input.
// CHECK-LABEL: func.func @flatten_of_reshape_multi_use
// CHECK-SAME:    (%[[X:.*]]: tensor<?x2x12xf32>)
// CHECK:         %[[R:.*]] = nn.reshape %[[X]] {shape = array<i64: 4, 6>}
// CHECK:         %[[F:.*]] = nn.flatten %[[X]] : tensor<?x2x12xf32> -> tensor<?x24xf32>
// CHECK:         return %[[R]], %[[F]]
func.func @flatten_of_reshape_multi_use(%x: tensor<?x2x12xf32>) -> (tensor<?x4x6xf32>, tensor<?x24xf32>) {
  %0 = nn.reshape %x {shape = array<i64: 4, 6>} : tensor<?x2x12xf32> -> tensor<?x4x6xf32>
  %1 = nn.flatten %0 : tensor<?x4x6xf32> -> tensor<?x24xf32>
  return %0, %1 : tensor<?x4x6xf32>, tensor<?x24xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_same_type
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4x6xf32>)
// CHECK-NOT:     nn.reshape
// CHECK:         return %[[X]]
func.func @reshape_same_type(%x: tensor<?x4x6xf32>) -> tensor<?x4x6xf32> {
  %0 = nn.reshape %x {shape = array<i64: 4, 6>} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
  return %0 : tensor<?x4x6xf32>
}

// -----

// Negative: same element count, different shape.
// CHECK-LABEL: func.func @reshape_transposed_shape_kept
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4x6xf32>)
// CHECK:         %[[R:.*]] = nn.reshape %[[X]] {shape = array<i64: 6, 4>} : tensor<?x4x6xf32> -> tensor<?x6x4xf32>
// CHECK:         return %[[R]]
func.func @reshape_transposed_shape_kept(%x: tensor<?x4x6xf32>) -> tensor<?x6x4xf32> {
  %0 = nn.reshape %x {shape = array<i64: 6, 4>} : tensor<?x4x6xf32> -> tensor<?x6x4xf32>
  return %0 : tensor<?x6x4xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_of_reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<?x24xf32>)
// CHECK:         %[[R:.*]] = nn.reshape %[[X]] {shape = array<i64: 2, 3, 4>} : tensor<?x24xf32> -> tensor<?x2x3x4xf32>
// CHECK-NOT:     nn.reshape
// CHECK:         return %[[R]]
func.func @reshape_of_reshape(%x: tensor<?x24xf32>) -> tensor<?x2x3x4xf32> {
  %0 = nn.reshape %x {shape = array<i64: 6, 4>} : tensor<?x24xf32> -> tensor<?x6x4xf32>
  %1 = nn.reshape %0 {shape = array<i64: 2, 3, 4>} : tensor<?x6x4xf32> -> tensor<?x2x3x4xf32>
  return %1 : tensor<?x2x3x4xf32>
}

// -----

// A round trip through a reshape folds to the original value.
// CHECK-LABEL: func.func @reshape_round_trip
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4x6xf32>)
// CHECK-NOT:     nn.reshape
// CHECK:         return %[[X]]
func.func @reshape_round_trip(%x: tensor<?x4x6xf32>) -> tensor<?x4x6xf32> {
  %0 = nn.reshape %x {shape = array<i64: 24>} : tensor<?x4x6xf32> -> tensor<?x24xf32>
  %1 = nn.reshape %0 {shape = array<i64: 4, 6>} : tensor<?x24xf32> -> tensor<?x4x6xf32>
  return %1 : tensor<?x4x6xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_of_flatten
// CHECK-SAME:    (%[[X:.*]]: tensor<?x1x28x28xf32>)
// CHECK-NOT:     nn.flatten
// CHECK:         %[[R:.*]] = nn.reshape %[[X]] {shape = array<i64: 4, 196>} : tensor<?x1x28x28xf32> -> tensor<?x4x196xf32>
// CHECK-NOT:     nn.flatten
// CHECK:         return %[[R]]
func.func @reshape_of_flatten(%x: tensor<?x1x28x28xf32>) -> tensor<?x4x196xf32> {
  %0 = nn.flatten %x : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
  %1 = nn.reshape %0 {shape = array<i64: 4, 196>} : tensor<?x784xf32> -> tensor<?x4x196xf32>
  return %1 : tensor<?x4x196xf32>
}

// -----

// Unflattening what was flattened gives the image back.
// CHECK-LABEL: func.func @reshape_of_flatten_round_trip
// CHECK-SAME:    (%[[X:.*]]: tensor<?x1x28x28xf32>)
// CHECK-NOT:     nn.
// CHECK:         return %[[X]]
func.func @reshape_of_flatten_round_trip(%x: tensor<?x1x28x28xf32>) -> tensor<?x1x28x28xf32> {
  %0 = nn.flatten %x : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
  %1 = nn.reshape %0 {shape = array<i64: 1, 28, 28>} : tensor<?x784xf32> -> tensor<?x1x28x28xf32>
  return %1 : tensor<?x1x28x28xf32>
}

// -----

// Negative: a reshape of a non-shape op is kept, and so is the relu.
// CHECK-LABEL: func.func @reshape_of_relu
// CHECK-SAME:    (%[[X:.*]]: tensor<?x24xf32>)
// CHECK:         %[[R:.*]] = nn.relu %[[X]]
// CHECK:         %[[S:.*]] = nn.reshape %[[R]] {shape = array<i64: 4, 6>}
// CHECK:         return %[[S]]
func.func @reshape_of_relu(%x: tensor<?x24xf32>) -> tensor<?x4x6xf32> {
  %0 = nn.relu %x : tensor<?x24xf32> -> tensor<?x24xf32>
  %1 = nn.reshape %0 {shape = array<i64: 4, 6>} : tensor<?x24xf32> -> tensor<?x4x6xf32>
  return %1 : tensor<?x4x6xf32>
}

// -----

// Canonicalization removes dead nn ops (they are Pure).
// CHECK-LABEL: func.func @dead_ops
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-NOT:     nn.
// CHECK:         return %[[X]]
func.func @dead_ops(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = nn.tanh %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.add %0, %x : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %x : tensor<?x8xf32>
}
