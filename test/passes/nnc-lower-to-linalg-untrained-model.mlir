// RUN: nnc-opt %s --nnc-lower-to-linalg | FileCheck %s

// Regression test for a fixed bug: nnc-lower-to-linalg now starts with nnc-autodiff, which builds a
// backward function for every nn.model, trainable or not, and fails the
// whole pipeline when it cannot: this inference-only model (no nn.train)
// with two results lowered before training support and now stops at
// "error: unsupported: model with 2 results". Only models that are trained
// (nn.train) need a backward function; the others should lower as before.

// CHECK-LABEL: func.func @two_results(
// CHECK:         linalg.generic
// CHECK:         linalg.generic
// CHECK:         return
// CHECK-NOT:     backward
func.func @two_results(%x: tensor<?x8xf32> {nn.input = "x"}) -> (tensor<?x8xf32>, tensor<?x8xf32>)
    attributes {nn.model} {
  %0 = nn.relu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.tanh %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}
