// RUN: nnc-opt %s --nnc-lower-to-linalg --split-input-file | FileCheck %s

// The nn -> linalg pipeline: conversion, canonicalization, elementwise
// fusion and CSE. Chains of elementwise ops end up in one linalg.generic;
// named ops (matmul) and reductions stay as they are.

// dense |> relu |> tanh: the matmul and ONE generic that does both
// activations, reading the matmul and writing a fresh tensor.
// CHECK-LABEL: func.func @dense_relu_tanh
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK-NOT:     nn.
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[N:.*]] = tensor.dim %[[X]]
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3xf32>
// CHECK:         %[[ACC:.*]] = linalg.broadcast ins(%[[B]] : tensor<3xf32>) outs(%[[E]] : tensor<?x3xf32>)
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : {{.*}}) outs(%[[ACC]] : tensor<?x3xf32>)
// CHECK:         %[[G:.*]] = linalg.generic
// CHECK-SAME:        ins(%[[MM]] : tensor<?x3xf32>) outs(%[[E]] : tensor<?x3xf32>)
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[R:.*]] = arith.maximumf %[[IN]], %[[ZERO]] : f32
// CHECK:           %[[T:.*]] = math.tanh %[[R]] : f32
// CHECK:           linalg.yield %[[T]] : f32
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[G]] : tensor<?x3xf32>
func.func @dense_relu_tanh(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.relu %0 : tensor<?x3xf32> -> tensor<?x3xf32>
  %2 = nn.tanh %1 : tensor<?x3xf32> -> tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}

// -----

// Binary ops fuse too: (a + b) * b is one generic over a and b.
// CHECK-LABEL: func.func @add_mul
// CHECK-SAME:    (%[[A:.*]]: tensor<?x16xf32>, %[[B:.*]]: tensor<?x16xf32>)
// CHECK:         %[[G:.*]] = linalg.generic
// CHECK-SAME:        ins(%[[A]], %[[B]] : tensor<?x16xf32>, tensor<?x16xf32>)
// CHECK:         ^bb0(%[[L:.*]]: f32, %[[R:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[S:.*]] = arith.addf %[[L]], %[[R]] : f32
// CHECK:           %[[P:.*]] = arith.mulf %[[S]], %[[R]] : f32
// CHECK:           linalg.yield %[[P]] : f32
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[G]]
func.func @add_mul(%a: tensor<?x16xf32>, %b: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = nn.add %a, %b : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %1 = nn.mul %0, %b : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// -----

// The nn folders run during the conversion: relu(relu(x)) is one maximumf.
// CHECK-LABEL: func.func @relu_relu
// CHECK:         linalg.generic
// CHECK:           arith.maximumf
// CHECK-NOT:       arith.maximumf
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @relu_relu(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = nn.relu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.relu %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// Negative: the relu result is also returned, so it is computed once in its
// own generic and the tanh reads it.
// CHECK-LABEL: func.func @relu_two_users
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<?x8xf32>)
// CHECK:           arith.maximumf
// CHECK-NOT:       math.tanh
// CHECK:         %[[T:.*]] = linalg.generic {{.*}} ins(%[[R]] : tensor<?x8xf32>)
// CHECK-NOT:       arith.maximumf
// CHECK:           math.tanh
// CHECK:         return %[[R]], %[[T]]
func.func @relu_two_users(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = nn.relu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.tanh %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Negative: the reductions of softmax stay apart: the matmul, then max,
// exp, sum and divide; CSE shares the batch size and the destination.
// CHECK-LABEL: func.func @dense_softmax
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[X]]
// CHECK-NOT:     tensor.dim
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK:         %[[ROW:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[MM]] :
// CHECK:           arith.maxnumf
// CHECK:         %[[EXP:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[MM]], %[[MAX]] :
// CHECK:           math.exp
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[EXP]] :
// CHECK:           arith.addf
// CHECK:         %[[DIV:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[EXP]], %[[SUM]] :
// CHECK:           arith.divf
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[DIV]]
func.func @dense_softmax(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.softmax %0 : tensor<?x3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// The model attributes are kept for the C interface.
// CHECK-LABEL: func.func @model
// CHECK-SAME:    {nn.input = "x"}
// CHECK-SAME:    {nn.init = "he_uniform", nn.param = "w"}
// CHECK-SAME:    {nn.init = "zeros", nn.param = "b"}
// CHECK-SAME:    attributes {nn.model}
func.func @model(%x: tensor<?x2xf32> {nn.input = "x"},
                 %w: tensor<2x2xf32> {nn.param = "w", nn.init = "he_uniform"},
                 %b: tensor<2xf32> {nn.param = "b", nn.init = "zeros"})
    -> tensor<?x2xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %1 = nn.sigmoid %0 : tensor<?x2xf32> -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}
