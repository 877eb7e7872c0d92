// RUN: nnc-opt %s --nnc-convert-nn-to-linalg --split-input-file | FileCheck %s

// Concatenation is tensor.concat along the same axis; its gradient, nn.slice,
// is a tensor.extract_slice that keeps the dynamic batch whole.

// CHECK-LABEL: func.func @concat_channels
// CHECK-SAME:    (%[[A:.*]]: tensor<?x8x4x4xf32>, %[[B:.*]]: tensor<?x16x4x4xf32>, %[[C:.*]]: tensor<?x1x4x4xf32>)
// CHECK:         %[[R:.*]] = tensor.concat dim(1) %[[A]], %[[B]], %[[C]] : (tensor<?x8x4x4xf32>, tensor<?x16x4x4xf32>, tensor<?x1x4x4xf32>) -> tensor<?x25x4x4xf32>
// CHECK:         return %[[R]]
func.func @concat_channels(%a: tensor<?x8x4x4xf32>, %b: tensor<?x16x4x4xf32>, %c: tensor<?x1x4x4xf32>) -> tensor<?x25x4x4xf32> {
  %r = nn.concat %a, %b, %c {axis = 1 : i64} : (tensor<?x8x4x4xf32>, tensor<?x16x4x4xf32>, tensor<?x1x4x4xf32>) -> tensor<?x25x4x4xf32>
  return %r : tensor<?x25x4x4xf32>
}

// -----

// CHECK-LABEL: func.func @concat_width_f64
// CHECK:         tensor.concat dim(3) %{{.*}}, %{{.*}} : (tensor<?x2x3x4xf64>, tensor<?x2x3x1xf64>) -> tensor<?x2x3x5xf64>
func.func @concat_width_f64(%a: tensor<?x2x3x4xf64>, %b: tensor<?x2x3x1xf64>) -> tensor<?x2x3x5xf64> {
  %r = nn.concat %a, %b {axis = 3 : i64} : (tensor<?x2x3x4xf64>, tensor<?x2x3x1xf64>) -> tensor<?x2x3x5xf64>
  return %r : tensor<?x2x3x5xf64>
}

// -----

// A single input is returned as is.
// CHECK-LABEL: func.func @concat_one
// CHECK-SAME:    (%[[A:.*]]: tensor<?x8xf32>)
// CHECK-NOT:     tensor.concat
// CHECK:         return %[[A]]
func.func @concat_one(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = nn.concat %a {axis = 1 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK-SAME:    (%[[X:.*]]: tensor<?x25x4x4xf32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x25x4x4xf32>
// CHECK:         %[[S:.*]] = tensor.extract_slice %[[X]][0, 8, 0, 0] [%[[N]], 16, 4, 4] [1, 1, 1, 1] : tensor<?x25x4x4xf32> to tensor<?x16x4x4xf32>
// CHECK:         return %[[S]]
func.func @slice(%x: tensor<?x25x4x4xf32>) -> tensor<?x16x4x4xf32> {
  %s = nn.slice %x {axis = 1 : i64, offset = 8 : i64, size = 16 : i64} : tensor<?x25x4x4xf32> -> tensor<?x16x4x4xf32>
  return %s : tensor<?x16x4x4xf32>
}
