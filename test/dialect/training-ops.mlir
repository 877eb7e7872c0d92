// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// RUN: nnc-opt %s --mlir-print-op-generic | nnc-opt | FileCheck %s

// The training half of the nn dialect survives a print / parse round trip in
// the custom and the generic form: the gradient building blocks, losses and
// metrics, optimizer updates, and the attributes autodiff, the train-step
// builder and the workspace pass leave on functions and their arguments.

//===----------------------------------------------------------------------===//
// nn.matmul
//===----------------------------------------------------------------------===//

// The two products the backward pass of nn.dense needs: dx = dy W^T keeps
// the dynamic batch, dW = x^T dy contracts it away.
// CHECK-LABEL: func.func @matmul_dense_backward
// CHECK-SAME:    (%[[X:.*]]: tensor<?x784xf32>, %[[W:.*]]: tensor<784x64xf32>, %[[DY:.*]]: tensor<?x64xf32>)
// CHECK:         %[[DX:.*]] = nn.matmul %[[DY]], %[[W]] {transpose_rhs} : (tensor<?x64xf32>, tensor<784x64xf32>) -> tensor<?x784xf32>
// CHECK:         %[[DW:.*]] = nn.matmul %[[X]], %[[DY]] {transpose_lhs} : (tensor<?x784xf32>, tensor<?x64xf32>) -> tensor<784x64xf32>
// CHECK:         return %[[DX]], %[[DW]]
func.func @matmul_dense_backward(%x: tensor<?x784xf32>, %w: tensor<784x64xf32>, %dy: tensor<?x64xf32>)
    -> (tensor<?x784xf32>, tensor<784x64xf32>) {
  %dx = nn.matmul %dy, %w {transpose_rhs} : (tensor<?x64xf32>, tensor<784x64xf32>) -> tensor<?x784xf32>
  %dw = nn.matmul %x, %dy {transpose_lhs} : (tensor<?x784xf32>, tensor<?x64xf32>) -> tensor<784x64xf32>
  return %dx, %dw : tensor<?x784xf32>, tensor<784x64xf32>
}

// Without transposes, and with both.
// CHECK-LABEL: func.func @matmul_static_f64
// CHECK:         nn.matmul %{{.*}}, %{{.*}} : (tensor<2x3xf64>, tensor<3x5xf64>) -> tensor<2x5xf64>
// CHECK:         nn.matmul %{{.*}}, %{{.*}} {transpose_lhs, transpose_rhs} : (tensor<3x2xf64>, tensor<5x3xf64>) -> tensor<2x5xf64>
func.func @matmul_static_f64(%a: tensor<2x3xf64>, %b: tensor<3x5xf64>,
                             %at: tensor<3x2xf64>, %bt: tensor<5x3xf64>)
    -> (tensor<2x5xf64>, tensor<2x5xf64>) {
  %0 = nn.matmul %a, %b : (tensor<2x3xf64>, tensor<3x5xf64>) -> tensor<2x5xf64>
  %1 = nn.matmul %at, %bt {transpose_lhs, transpose_rhs} : (tensor<3x2xf64>, tensor<5x3xf64>) -> tensor<2x5xf64>
  return %0, %1 : tensor<2x5xf64>, tensor<2x5xf64>
}

// A dynamic contracting dimension on both sides is accepted.
// CHECK-LABEL: func.func @matmul_dynamic_contraction
// CHECK:         nn.matmul %{{.*}}, %{{.*}} {transpose_lhs} : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<3x4xf32>
func.func @matmul_dynamic_contraction(%a: tensor<?x3xf32>, %b: tensor<?x4xf32>) -> tensor<3x4xf32> {
  %0 = nn.matmul %a, %b {transpose_lhs} : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

//===----------------------------------------------------------------------===//
// nn.batch_sum
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @batch_sum
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x64xf32>, %[[DZ:.*]]: tensor<8x3x4x5xf64>)
// CHECK:         %[[DB:.*]] = nn.batch_sum %[[DY]] : tensor<?x64xf32> -> tensor<64xf32>
// CHECK:         %[[DC:.*]] = nn.batch_sum %[[DZ]] : tensor<8x3x4x5xf64> -> tensor<3x4x5xf64>
// CHECK:         return %[[DB]], %[[DC]]
func.func @batch_sum(%dy: tensor<?x64xf32>, %dz: tensor<8x3x4x5xf64>) -> (tensor<64xf32>, tensor<3x4x5xf64>) {
  %0 = nn.batch_sum %dy : tensor<?x64xf32> -> tensor<64xf32>
  %1 = nn.batch_sum %dz : tensor<8x3x4x5xf64> -> tensor<3x4x5xf64>
  return %0, %1 : tensor<64xf32>, tensor<3x4x5xf64>
}

//===----------------------------------------------------------------------===//
// Activation gradients
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @activation_grads
// CHECK-SAME:    (%[[Y:.*]]: tensor<?x64xf32>, %[[DY:.*]]: tensor<?x64xf32>)
// CHECK:         %[[R:.*]] = nn.relu_grad %[[Y]], %[[DY]] : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK:         %[[T:.*]] = nn.tanh_grad %[[Y]], %[[R]] : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK:         %[[S:.*]] = nn.sigmoid_grad %[[Y]], %[[T]] : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK:         %[[P:.*]] = nn.softmax_grad %[[Y]], %[[S]] : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK:         return %[[P]]
func.func @activation_grads(%y: tensor<?x64xf32>, %dy: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = nn.relu_grad %y, %dy : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %1 = nn.tanh_grad %y, %0 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %2 = nn.sigmoid_grad %y, %1 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %3 = nn.softmax_grad %y, %2 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %3 : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @activation_grads_rank3_static_f64
// CHECK:         nn.relu_grad %{{.*}}, %{{.*}} : (tensor<4x3x5xf64>, tensor<4x3x5xf64>) -> tensor<4x3x5xf64>
// CHECK:         nn.tanh_grad %{{.*}}, %{{.*}} : (tensor<4x3x5xf64>, tensor<4x3x5xf64>) -> tensor<4x3x5xf64>
// CHECK:         nn.sigmoid_grad %{{.*}}, %{{.*}} : (tensor<4x3x5xf64>, tensor<4x3x5xf64>) -> tensor<4x3x5xf64>
// CHECK:         nn.softmax_grad %{{.*}}, %{{.*}} : (tensor<4x3x5xf64>, tensor<4x3x5xf64>) -> tensor<4x3x5xf64>
func.func @activation_grads_rank3_static_f64(%y: tensor<4x3x5xf64>, %dy: tensor<4x3x5xf64>) -> tensor<4x3x5xf64> {
  %0 = nn.relu_grad %y, %dy : (tensor<4x3x5xf64>, tensor<4x3x5xf64>) -> tensor<4x3x5xf64>
  %1 = nn.tanh_grad %y, %0 : (tensor<4x3x5xf64>, tensor<4x3x5xf64>) -> tensor<4x3x5xf64>
  %2 = nn.sigmoid_grad %y, %1 : (tensor<4x3x5xf64>, tensor<4x3x5xf64>) -> tensor<4x3x5xf64>
  %3 = nn.softmax_grad %y, %2 : (tensor<4x3x5xf64>, tensor<4x3x5xf64>) -> tensor<4x3x5xf64>
  return %3 : tensor<4x3x5xf64>
}

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @softmax_cross_entropy
// CHECK-SAME:    (%[[L:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>, %[[D:.*]]: tensor<f32>)
// CHECK:         %[[LOSS:.*]] = nn.softmax_cross_entropy %[[L]], %[[Y]] : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
// CHECK:         %[[G:.*]] = nn.softmax_cross_entropy_grad %[[L]], %[[Y]], %[[D]] : (tensor<?x10xf32>, tensor<?xi32>, tensor<f32>) -> tensor<?x10xf32>
// CHECK:         %[[C:.*]] = nn.count_correct %[[L]], %[[Y]] : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<i64>
// CHECK:         return %[[LOSS]], %[[G]], %[[C]]
func.func @softmax_cross_entropy(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>, %dloss: tensor<f32>)
    -> (tensor<f32>, tensor<?x10xf32>, tensor<i64>) {
  %0 = nn.softmax_cross_entropy %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  %1 = nn.softmax_cross_entropy_grad %logits, %labels, %dloss : (tensor<?x10xf32>, tensor<?xi32>, tensor<f32>) -> tensor<?x10xf32>
  %2 = nn.count_correct %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<i64>
  return %0, %1, %2 : tensor<f32>, tensor<?x10xf32>, tensor<i64>
}

// A static batch on both sides, and f64 logits (labels stay i32, the count
// stays i64).
// CHECK-LABEL: func.func @softmax_cross_entropy_static_f64
// CHECK:         nn.softmax_cross_entropy %{{.*}}, %{{.*}} : (tensor<32x3xf64>, tensor<32xi32>) -> tensor<f64>
// CHECK:         nn.softmax_cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : (tensor<32x3xf64>, tensor<32xi32>, tensor<f64>) -> tensor<32x3xf64>
// CHECK:         nn.count_correct %{{.*}}, %{{.*}} : (tensor<32x3xf64>, tensor<32xi32>) -> tensor<i64>
func.func @softmax_cross_entropy_static_f64(%logits: tensor<32x3xf64>, %labels: tensor<32xi32>, %dloss: tensor<f64>)
    -> (tensor<f64>, tensor<32x3xf64>, tensor<i64>) {
  %0 = nn.softmax_cross_entropy %logits, %labels : (tensor<32x3xf64>, tensor<32xi32>) -> tensor<f64>
  %1 = nn.softmax_cross_entropy_grad %logits, %labels, %dloss : (tensor<32x3xf64>, tensor<32xi32>, tensor<f64>) -> tensor<32x3xf64>
  %2 = nn.count_correct %logits, %labels : (tensor<32x3xf64>, tensor<32xi32>) -> tensor<i64>
  return %0, %1, %2 : tensor<f64>, tensor<32x3xf64>, tensor<i64>
}

// CHECK-LABEL: func.func @mse
// CHECK-SAME:    (%[[P:.*]]: tensor<?x3xf32>, %[[T:.*]]: tensor<?x3xf32>, %[[D:.*]]: tensor<f32>)
// CHECK:         %[[LOSS:.*]] = nn.mse %[[P]], %[[T]] : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
// CHECK:         %[[G:.*]] = nn.mse_grad %[[P]], %[[T]], %[[D]] : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
// CHECK:         return %[[LOSS]], %[[G]]
func.func @mse(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>, %dloss: tensor<f32>) -> (tensor<f32>, tensor<?x3xf32>) {
  %0 = nn.mse %p, %t : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  %1 = nn.mse_grad %p, %t, %dloss : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
  return %0, %1 : tensor<f32>, tensor<?x3xf32>
}

// CHECK-LABEL: func.func @mse_rank3_static_f64
// CHECK:         nn.mse %{{.*}}, %{{.*}} : (tensor<4x2x3xf64>, tensor<4x2x3xf64>) -> tensor<f64>
// CHECK:         nn.mse_grad %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x2x3xf64>, tensor<4x2x3xf64>, tensor<f64>) -> tensor<4x2x3xf64>
func.func @mse_rank3_static_f64(%p: tensor<4x2x3xf64>, %t: tensor<4x2x3xf64>, %dloss: tensor<f64>)
    -> (tensor<f64>, tensor<4x2x3xf64>) {
  %0 = nn.mse %p, %t : (tensor<4x2x3xf64>, tensor<4x2x3xf64>) -> tensor<f64>
  %1 = nn.mse_grad %p, %t, %dloss : (tensor<4x2x3xf64>, tensor<4x2x3xf64>, tensor<f64>) -> tensor<4x2x3xf64>
  return %0, %1 : tensor<f64>, tensor<4x2x3xf64>
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

// Plain SGD (momentum 0): no velocity, one result.
// CHECK-LABEL: func.func @sgd_without_velocity
// CHECK-SAME:    (%[[P:.*]]: tensor<4x8xf32>, %[[G:.*]]: tensor<4x8xf32>)
// CHECK:         %[[NEW:.*]] = nn.sgd_update %[[P]], %[[G]] {lr = 1.000000e-01 : f64, momentum = 0.000000e+00 : f64, weight_decay = 0.000000e+00 : f64} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK:         return %[[NEW]]
func.func @sgd_without_velocity(%p: tensor<4x8xf32>, %g: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = nn.sgd_update %p, %g {lr = 0.1 : f64, momentum = 0.0 : f64, weight_decay = 0.0 : f64}
      : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// Momentum > 0: a velocity operand and a second result, the new velocity.
// CHECK-LABEL: func.func @sgd_with_velocity
// CHECK-SAME:    (%[[P:.*]]: tensor<8xf64>, %[[G:.*]]: tensor<8xf64>, %[[V:.*]]: tensor<8xf64>)
// CHECK:         %[[NEW:.*]]:2 = nn.sgd_update %[[P]], %[[G]], %[[V]] {lr = 1.000000e-02 : f64, momentum = 9.000000e-01 : f64, weight_decay = 5.000000e-04 : f64} : (tensor<8xf64>, tensor<8xf64>, tensor<8xf64>) -> (tensor<8xf64>, tensor<8xf64>)
// CHECK:         return %[[NEW]]#0, %[[NEW]]#1
func.func @sgd_with_velocity(%p: tensor<8xf64>, %g: tensor<8xf64>, %v: tensor<8xf64>) -> (tensor<8xf64>, tensor<8xf64>) {
  %0:2 = nn.sgd_update %p, %g, %v {lr = 0.01 : f64, momentum = 0.9 : f64, weight_decay = 5.0e-4 : f64}
      : (tensor<8xf64>, tensor<8xf64>, tensor<8xf64>) -> (tensor<8xf64>, tensor<8xf64>)
  return %0#0, %0#1 : tensor<8xf64>, tensor<8xf64>
}

// CHECK-LABEL: func.func @adam
// CHECK-SAME:    (%[[P:.*]]: tensor<4x8xf32>, %[[G:.*]]: tensor<4x8xf32>, %[[M:.*]]: tensor<4x8xf32>, %[[V:.*]]: tensor<4x8xf32>, %[[S:.*]]: i64)
// CHECK:         %[[NP:.*]], %[[NM:.*]], %[[NV:.*]] = nn.adam_update %[[P]], %[[G]], %[[M]], %[[V]], %[[S]] {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 1.000000e-08 : f64, lr = 1.000000e-03 : f64} : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, i64) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK:         return %[[NP]], %[[NM]], %[[NV]]
func.func @adam(%p: tensor<4x8xf32>, %g: tensor<4x8xf32>, %m: tensor<4x8xf32>, %v: tensor<4x8xf32>, %step: i64)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %0:3 = nn.adam_update %p, %g, %m, %v, %step {lr = 0.001 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64}
      : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, i64) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>)
  return %0#0, %0#1, %0#2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @adam_f64_dynamic_batch
// CHECK:         nn.adam_update {{.*}} : (tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>, i64) -> (tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>)
func.func @adam_f64_dynamic_batch(%p: tensor<?x3xf64>, %g: tensor<?x3xf64>, %m: tensor<?x3xf64>, %v: tensor<?x3xf64>, %step: i64)
    -> (tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>) {
  %0:3 = nn.adam_update %p, %g, %m, %v, %step {lr = 0.001 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64}
      : (tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>, i64) -> (tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>)
  return %0#0, %0#1, %0#2 : tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>
}

//===----------------------------------------------------------------------===//
// Training attributes on functions, arguments and results
//===----------------------------------------------------------------------===//

// A trainable model: `nn.train` is a dictionary next to `nn.model`.
// CHECK-LABEL: func.func @MLP
// CHECK-SAME:    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", lr = 1.000000e-01 : f64, momentum = 9.000000e-01 : f64, optimizer = "sgd"}}
func.func @MLP(%x: tensor<?x4xf32> {nn.input = "x"},
               %w: tensor<4x8xf32> {nn.param = "h.weight", nn.init = "xavier_uniform"},
               %b: tensor<8xf32> {nn.param = "h.bias", nn.init = "zeros"}) -> tensor<?x8xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "sgd", lr = 0.1 : f64, momentum = 0.9 : f64}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = nn.tanh %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// An empty train dictionary is valid IR (the train-step builder rejects it).
// CHECK-LABEL: func.func @empty_train
// CHECK-SAME:    attributes {nn.model, nn.train = {}}
func.func @empty_train() attributes {nn.model, nn.train = {}} {
  return
}

// CHECK-LABEL: func.func private @MLP.backward
// CHECK-SAME:    attributes {nn.backward_of = @MLP}
func.func private @MLP.backward(%x: tensor<?x4xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>,
                                %dy: tensor<?x8xf32>) -> (tensor<4x8xf32>, tensor<8xf32>)
    attributes {nn.backward_of = @MLP}

// Every role, on arguments and on results, and the three entry kinds.
// CHECK-LABEL: func.func private @MLP.train_step
// CHECK-SAME:    tensor<?x4xf32> {nn.role = "input"}
// CHECK-SAME:    tensor<?xi32> {nn.role = "labels"}
// CHECK-SAME:    i64 {nn.role = "step"}
// CHECK-SAME:    tensor<4x8xf32> {nn.param = "h.weight", nn.role = "param"}
// CHECK-SAME:    tensor<4x8xf32> {nn.param = "h.weight", nn.role = "state"}
// CHECK-SAME:    memref<?xi8> {nn.role = "workspace"}
// CHECK-SAME:    -> (tensor<f32> {nn.role = "loss"}, tensor<4x8xf32> {nn.role = "grad"}, tensor<4x8xf32> {nn.role = "param"}, tensor<4x8xf32> {nn.role = "state"}, tensor<i64> {nn.role = "correct"})
// CHECK-SAME:    attributes {nn.entry = "train_step", nn.workspace_fixed = 128 : i64, nn.workspace_per_example = 64 : i64}
func.func private @MLP.train_step(%x: tensor<?x4xf32> {nn.role = "input"},
                                  %y: tensor<?xi32> {nn.role = "labels"},
                                  %step: i64 {nn.role = "step"},
                                  %w: tensor<4x8xf32> {nn.role = "param", nn.param = "h.weight"},
                                  %vw: tensor<4x8xf32> {nn.role = "state", nn.param = "h.weight"},
                                  %ws: memref<?xi8> {nn.role = "workspace"})
    -> (tensor<f32> {nn.role = "loss"}, tensor<4x8xf32> {nn.role = "grad"},
        tensor<4x8xf32> {nn.role = "param"}, tensor<4x8xf32> {nn.role = "state"},
        tensor<i64> {nn.role = "correct"})
    attributes {nn.entry = "train_step", nn.workspace_fixed = 128 : i64, nn.workspace_per_example = 64 : i64}

// CHECK-LABEL: func.func private @MLP.gradient
// CHECK-SAME:    attributes {nn.entry = "gradient"}
func.func private @MLP.gradient() attributes {nn.entry = "gradient"}

// The workspace sizes may be integers of any width.
// CHECK-LABEL: func.func private @MLP.eval
// CHECK-SAME:    attributes {nn.entry = "eval", nn.workspace_fixed = 0 : index, nn.workspace_per_example = 0 : i32}
func.func private @MLP.eval() attributes {nn.entry = "eval", nn.workspace_fixed = 0 : index, nn.workspace_per_example = 0 : i32}
