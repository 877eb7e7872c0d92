// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// RUN: nnc-opt %s --mlir-print-op-generic | nnc-opt | FileCheck %s

// Every op of the nn dialect, and the attributes it owns on functions and
// their arguments, survive a print / parse round trip in the custom and the
// generic form.

// CHECK-LABEL: func.func @dense_dynamic_batch
// CHECK-SAME:    (%[[X:.*]]: tensor<?x784xf32>, %[[W:.*]]: tensor<784x10xf32>, %[[B:.*]]: tensor<10xf32>)
// CHECK:         %[[D:.*]] = nn.dense %[[X]], %[[W]], %[[B]] : (tensor<?x784xf32>, tensor<784x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
// CHECK:         return %[[D]] : tensor<?x10xf32>
func.func @dense_dynamic_batch(%x: tensor<?x784xf32>, %w: tensor<784x10xf32>,
                               %b: tensor<10xf32>) -> tensor<?x10xf32> {
  %0 = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// CHECK-LABEL: func.func @dense_static_batch_f64
// CHECK-SAME:    (%[[X:.*]]: tensor<32x4xf64>, %[[W:.*]]: tensor<4x3xf64>, %[[B:.*]]: tensor<3xf64>)
// CHECK:         nn.dense %[[X]], %[[W]], %[[B]] : (tensor<32x4xf64>, tensor<4x3xf64>, tensor<3xf64>) -> tensor<32x3xf64>
func.func @dense_static_batch_f64(%x: tensor<32x4xf64>, %w: tensor<4x3xf64>,
                                  %b: tensor<3xf64>) -> tensor<32x3xf64> {
  %0 = nn.dense %x, %w, %b : (tensor<32x4xf64>, tensor<4x3xf64>, tensor<3xf64>) -> tensor<32x3xf64>
  return %0 : tensor<32x3xf64>
}

// CHECK-LABEL: func.func @activations
// CHECK-SAME:    (%[[X:.*]]: tensor<?x64xf32>)
// CHECK:         %[[R:.*]] = nn.relu %[[X]] : tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK:         %[[T:.*]] = nn.tanh %[[R]] : tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK:         %[[S:.*]] = nn.sigmoid %[[T]] : tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK:         %[[P:.*]] = nn.softmax %[[S]] : tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK:         return %[[P]]
func.func @activations(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = nn.relu %x : tensor<?x64xf32> -> tensor<?x64xf32>
  %1 = nn.tanh %0 : tensor<?x64xf32> -> tensor<?x64xf32>
  %2 = nn.sigmoid %1 : tensor<?x64xf32> -> tensor<?x64xf32>
  %3 = nn.softmax %2 : tensor<?x64xf32> -> tensor<?x64xf32>
  return %3 : tensor<?x64xf32>
}

// Activations accept any rank of at least 2; softmax works on the last dim.
// CHECK-LABEL: func.func @activations_rank4_static_f64
// CHECK:         nn.relu %{{.*}} : tensor<8x3x4x5xf64> -> tensor<8x3x4x5xf64>
// CHECK:         nn.tanh %{{.*}} : tensor<8x3x4x5xf64> -> tensor<8x3x4x5xf64>
// CHECK:         nn.sigmoid %{{.*}} : tensor<8x3x4x5xf64> -> tensor<8x3x4x5xf64>
// CHECK:         nn.softmax %{{.*}} : tensor<8x3x4x5xf64> -> tensor<8x3x4x5xf64>
func.func @activations_rank4_static_f64(%x: tensor<8x3x4x5xf64>) -> tensor<8x3x4x5xf64> {
  %0 = nn.relu %x : tensor<8x3x4x5xf64> -> tensor<8x3x4x5xf64>
  %1 = nn.tanh %0 : tensor<8x3x4x5xf64> -> tensor<8x3x4x5xf64>
  %2 = nn.sigmoid %1 : tensor<8x3x4x5xf64> -> tensor<8x3x4x5xf64>
  %3 = nn.softmax %2 : tensor<8x3x4x5xf64> -> tensor<8x3x4x5xf64>
  return %3 : tensor<8x3x4x5xf64>
}

// Any float type is accepted, not only f32 / f64.
// CHECK-LABEL: func.func @relu_f16
// CHECK:         nn.relu %{{.*}} : tensor<?x8xf16> -> tensor<?x8xf16>
func.func @relu_f16(%x: tensor<?x8xf16>) -> tensor<?x8xf16> {
  %0 = nn.relu %x : tensor<?x8xf16> -> tensor<?x8xf16>
  return %0 : tensor<?x8xf16>
}

// CHECK-LABEL: func.func @add_mul
// CHECK-SAME:    (%[[A:.*]]: tensor<?x16xf32>, %[[B:.*]]: tensor<?x16xf32>)
// CHECK:         %[[S:.*]] = nn.add %[[A]], %[[B]] : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
// CHECK:         %[[P:.*]] = nn.mul %[[S]], %[[B]] : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
// CHECK:         return %[[P]]
func.func @add_mul(%a: tensor<?x16xf32>, %b: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = nn.add %a, %b : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %1 = nn.mul %0, %b : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @add_mul_static_f64
// CHECK:         nn.add %{{.*}}, %{{.*}} : (tensor<2x3x4xf64>, tensor<2x3x4xf64>) -> tensor<2x3x4xf64>
// CHECK:         nn.mul %{{.*}}, %{{.*}} : (tensor<2x3x4xf64>, tensor<2x3x4xf64>) -> tensor<2x3x4xf64>
func.func @add_mul_static_f64(%a: tensor<2x3x4xf64>, %b: tensor<2x3x4xf64>) -> tensor<2x3x4xf64> {
  %0 = nn.add %a, %b : (tensor<2x3x4xf64>, tensor<2x3x4xf64>) -> tensor<2x3x4xf64>
  %1 = nn.mul %0, %b : (tensor<2x3x4xf64>, tensor<2x3x4xf64>) -> tensor<2x3x4xf64>
  return %1 : tensor<2x3x4xf64>
}

// CHECK-LABEL: func.func @flatten
// CHECK-SAME:    (%[[X:.*]]: tensor<?x1x28x28xf32>)
// CHECK:         %[[F:.*]] = nn.flatten %[[X]] : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
// CHECK:         return %[[F]]
func.func @flatten(%x: tensor<?x1x28x28xf32>) -> tensor<?x784xf32> {
  %0 = nn.flatten %x : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
  return %0 : tensor<?x784xf32>
}

// Flattening a rank-2 tensor is valid (and the identity).
// CHECK-LABEL: func.func @flatten_rank2_static_f64
// CHECK:         nn.flatten %{{.*}} : tensor<5x7xf64> -> tensor<5x7xf64>
func.func @flatten_rank2_static_f64(%x: tensor<5x7xf64>) -> tensor<5x7xf64> {
  %0 = nn.flatten %x : tensor<5x7xf64> -> tensor<5x7xf64>
  return %0 : tensor<5x7xf64>
}

// CHECK-LABEL: func.func @reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<?x784xf32>)
// CHECK:         %[[R:.*]] = nn.reshape %[[X]] {shape = array<i64: 4, 196>} : tensor<?x784xf32> -> tensor<?x4x196xf32>
// CHECK:         %[[S:.*]] = nn.reshape %[[R]] {shape = array<i64: 1, 28, 28>} : tensor<?x4x196xf32> -> tensor<?x1x28x28xf32>
// CHECK:         return %[[S]]
func.func @reshape(%x: tensor<?x784xf32>) -> tensor<?x1x28x28xf32> {
  %0 = nn.reshape %x {shape = array<i64: 4, 196>} : tensor<?x784xf32> -> tensor<?x4x196xf32>
  %1 = nn.reshape %0 {shape = array<i64: 1, 28, 28>} : tensor<?x4x196xf32> -> tensor<?x1x28x28xf32>
  return %1 : tensor<?x1x28x28xf32>
}

// CHECK-LABEL: func.func @reshape_static_f64
// CHECK:         nn.reshape %{{.*}} {shape = array<i64: 12>} : tensor<3x2x6xf64> -> tensor<3x12xf64>
func.func @reshape_static_f64(%x: tensor<3x2x6xf64>) -> tensor<3x12xf64> {
  %0 = nn.reshape %x {shape = array<i64: 12>} : tensor<3x2x6xf64> -> tensor<3x12xf64>
  return %0 : tensor<3x12xf64>
}

// The model attributes: a unit `nn.model` on the function, `nn.input` on
// inputs, `nn.param` plus `nn.init` (each of the four kinds) on parameters.
// CHECK-LABEL: func.func @MLP
// CHECK-SAME:    %{{.*}}: tensor<?x784xf32> {nn.input = "x"}
// CHECK-SAME:    %{{.*}}: tensor<784x64xf32> {nn.init = "xavier_uniform", nn.param = "hidden.weight"}
// CHECK-SAME:    %{{.*}}: tensor<64xf32> {nn.init = "zeros", nn.param = "hidden.bias"}
// CHECK-SAME:    %{{.*}}: tensor<64x10xf32> {nn.init = "he_uniform", nn.param = "out.weight"}
// CHECK-SAME:    %{{.*}}: tensor<10xf32> {nn.init = "ones", nn.param = "out.bias"}
// CHECK-SAME:    -> tensor<?x10xf32> attributes {nn.model}
func.func @MLP(%x: tensor<?x784xf32> {nn.input = "x"},
               %w0: tensor<784x64xf32> {nn.param = "hidden.weight", nn.init = "xavier_uniform"},
               %b0: tensor<64xf32> {nn.param = "hidden.bias", nn.init = "zeros"},
               %w1: tensor<64x10xf32> {nn.param = "out.weight", nn.init = "he_uniform"},
               %b1: tensor<10xf32> {nn.param = "out.bias", nn.init = "ones"})
    -> tensor<?x10xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w0, %b0 : (tensor<?x784xf32>, tensor<784x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %1 = nn.relu %0 : tensor<?x64xf32> -> tensor<?x64xf32>
  %2 = nn.dense %1, %w1, %b1 : (tensor<?x64xf32>, tensor<64x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  %3 = nn.softmax %2 : tensor<?x10xf32> -> tensor<?x10xf32>
  return %3 : tensor<?x10xf32>
}

// A parameter without an initialiser, and an argument without nn attributes.
// CHECK-LABEL: func.func @param_without_init
// CHECK-SAME:    %{{.*}}: tensor<4xf32> {nn.param = "scale"}
// CHECK-SAME:    %{{[^:]*}}: tensor<?x4xf32>)
func.func @param_without_init(%s: tensor<4xf32> {nn.param = "scale"},
                              %x: tensor<?x4xf32>) {
  return
}
