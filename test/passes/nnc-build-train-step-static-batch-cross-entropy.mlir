// RUN: nnc-opt %s --nnc-autodiff --nnc-build-train-step | FileCheck %s

// Regression test for a fixed bug: nnc-build-train-step types the labels of a cross-entropy model as
// tensor<?xi32> whatever the model's batch, so for a static-batch model
// nn.softmax_cross_entropy::create fails type inference ("expected as many
// labels as logits rows, got 'tensor<?xi32>' for 'tensor<8x3xf32>'") and
// nnc-opt aborts with "LLVM ERROR: Failed to infer result type(s)". The same
// model with loss = "mse" trains fine (its labels take the output's type).
// The labels should take the output's batch dimension.

// CHECK-LABEL: func.func @static_batch.train_step(
// CHECK-SAME:    %{{[^:]*}}: tensor<8x4xf32> {nn.role = "input"},
// CHECK-SAME:    %{{[^:]*}}: tensor<8xi32> {nn.role = "labels"},
// CHECK:         nn.softmax_cross_entropy %{{.*}}, %{{.*}} : (tensor<8x3xf32>, tensor<8xi32>) -> tensor<f32>
// CHECK-LABEL: func.func @static_batch.eval(
// CHECK:         nn.count_correct %{{.*}}, %{{.*}} : (tensor<8x3xf32>, tensor<8xi32>) -> tensor<i64>
func.func @static_batch(%x: tensor<8x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                        %b: tensor<3xf32> {nn.param = "b"}) -> tensor<8x3xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "sgd"}} {
  %0 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
