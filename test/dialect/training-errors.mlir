// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of the training ops and attributes of the nn
// dialect. Type inference (NNOps.cpp) is also what the verifier runs, and
// MLIR's InferTypeOpInterface verifier adds "failed to infer returned types"
// after every inference error, so those cases expect both.

//===----------------------------------------------------------------------===//
// nn.matmul
//===----------------------------------------------------------------------===//

func.func @matmul_lhs_rank1(%a: tensor<4xf32>, %b: tensor<4x2xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{'nn.matmul' op expected operands of rank 2, got 1 and 2}}
  // expected-error @+1 {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<4xf32>, tensor<4x2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @matmul_rhs_rank3(%a: tensor<?x4xf32>, %b: tensor<4x2x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.matmul' op expected operands of rank 2, got 2 and 3}}
  // expected-error @+1 {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<?x4xf32>, tensor<4x2x2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @matmul_element_types(%a: tensor<?x4xf32>, %b: tensor<4x2xf64>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.matmul' op expected one element type, got 'f32' and 'f64'}}
  // expected-error @+1 {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<?x4xf32>, tensor<4x2xf64>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @matmul_contraction_mismatch(%a: tensor<?x4xf32>, %b: tensor<3x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.matmul' op contracting dimensions differ: 4 and 3}}
  // expected-error @+1 {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<?x4xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// The transposes decide which dimensions are contracted: x^T dy contracts the
// batch, so the batches must agree.
func.func @matmul_transpose_lhs_mismatch(%x: tensor<8x4xf32>, %dy: tensor<?x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+2 {{'nn.matmul' op contracting dimensions differ: 8 and ?}}
  // expected-error @+1 {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %x, %dy {transpose_lhs} : (tensor<8x4xf32>, tensor<?x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// dy W^T with W laid out [in, out]: dy has `out` columns, W^T has `out` rows.
func.func @matmul_transpose_rhs_mismatch(%dy: tensor<?x2xf32>, %w: tensor<2x4xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.matmul' op contracting dimensions differ: 2 and 4}}
  // expected-error @+1 {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %dy, %w {transpose_rhs} : (tensor<?x2xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// Without transpose_rhs, the result of dy x W would be [?, 4].
func.func @matmul_wrong_result(%dy: tensor<?x2xf32>, %w: tensor<2x4xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.matmul' op inferred type(s) 'tensor<?x4xf32>' are incompatible with return type(s) of operation 'tensor<?x2xf32>'}}
  // expected-error @+1 {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %dy, %w : (tensor<?x2xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @matmul_transpose_not_unit(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'nn.matmul' op attribute 'transpose_lhs' failed to satisfy constraint: unit attribute}}
  %0 = nn.matmul %a, %a {transpose_lhs = true} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.batch_sum
//===----------------------------------------------------------------------===//

func.func @batch_sum_rank1(%dy: tensor<?xf32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.batch_sum' op expected input of rank at least 2 (batch and features), got 1}}
  // expected-error @+1 {{'nn.batch_sum' op failed to infer returned types}}
  %0 = nn.batch_sum %dy : tensor<?xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @batch_sum_dynamic_features(%dy: tensor<?x?xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{'nn.batch_sum' op expected static per-example dimensions in input, got 'tensor<?x?xf32>'}}
  // expected-error @+1 {{'nn.batch_sum' op failed to infer returned types}}
  %0 = nn.batch_sum %dy : tensor<?x?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// The batch is summed away, not kept as a dimension of size 1.
func.func @batch_sum_keeps_batch(%dy: tensor<?x4xf32>) -> tensor<1x4xf32> {
  // expected-error @+2 {{'nn.batch_sum' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<1x4xf32>'}}
  // expected-error @+1 {{'nn.batch_sum' op failed to infer returned types}}
  %0 = nn.batch_sum %dy : tensor<?x4xf32> -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Activation gradients (the operands are named lhs / rhs in the messages)
//===----------------------------------------------------------------------===//

func.func @relu_grad_rank1(%x: tensor<?xf32>, %dy: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{'nn.relu_grad' op expected lhs of rank at least 2 (batch and features), got 1}}
  // expected-error @+1 {{'nn.relu_grad' op failed to infer returned types}}
  %0 = nn.relu_grad %x, %dy : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @tanh_grad_dynamic_features(%y: tensor<?x?xf32>, %dy: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'nn.tanh_grad' op expected static per-example dimensions in lhs, got 'tensor<?x?xf32>'}}
  // expected-error @+1 {{'nn.tanh_grad' op failed to infer returned types}}
  %0 = nn.tanh_grad %y, %dy : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @sigmoid_grad_shape_mismatch(%y: tensor<?x4xf32>, %dy: tensor<?x5xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.sigmoid_grad' op expected operands of the same type, got 'tensor<?x4xf32>' and 'tensor<?x5xf32>'}}
  // expected-error @+1 {{'nn.sigmoid_grad' op failed to infer returned types}}
  %0 = nn.sigmoid_grad %y, %dy : (tensor<?x4xf32>, tensor<?x5xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @softmax_grad_element_mismatch(%y: tensor<?x4xf32>, %dy: tensor<?x4xf64>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.softmax_grad' op expected operands of the same type, got 'tensor<?x4xf32>' and 'tensor<?x4xf64>'}}
  // expected-error @+1 {{'nn.softmax_grad' op failed to infer returned types}}
  %0 = nn.softmax_grad %y, %dy : (tensor<?x4xf32>, tensor<?x4xf64>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @relu_grad_integer(%x: tensor<?x4xi32>, %dy: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'nn.relu_grad' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<?x4xi32>'}}
  %0 = nn.relu_grad %x, %dy : (tensor<?x4xi32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.softmax_cross_entropy / nn.softmax_cross_entropy_grad / nn.count_correct
//===----------------------------------------------------------------------===//

func.func @cross_entropy_logits_rank3(%l: tensor<?x2x5xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.softmax_cross_entropy' op expected logits of shape [batch, classes], got 'tensor<?x2x5xf32>'}}
  // expected-error @+1 {{'nn.softmax_cross_entropy' op failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %l, %y : (tensor<?x2x5xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_dynamic_classes(%l: tensor<?x?xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.softmax_cross_entropy' op expected logits of shape [batch, classes], got 'tensor<?x?xf32>'}}
  // expected-error @+1 {{'nn.softmax_cross_entropy' op failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %l, %y : (tensor<?x?xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_labels_rank2(%l: tensor<?x10xf32>, %y: tensor<?x1xi32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.softmax_cross_entropy' op expected labels of rank 1, got 'tensor<?x1xi32>'}}
  // expected-error @+1 {{'nn.softmax_cross_entropy' op failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %l, %y : (tensor<?x10xf32>, tensor<?x1xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_batch_mismatch(%l: tensor<8x10xf32>, %y: tensor<4xi32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.softmax_cross_entropy' op expected as many labels as logits rows, got 'tensor<4xi32>' for 'tensor<8x10xf32>'}}
  // expected-error @+1 {{'nn.softmax_cross_entropy' op failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %l, %y : (tensor<8x10xf32>, tensor<4xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// A dynamic batch does not match a static one.
func.func @cross_entropy_static_dynamic_batch(%l: tensor<?x10xf32>, %y: tensor<8xi32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.softmax_cross_entropy' op expected as many labels as logits rows, got 'tensor<8xi32>' for 'tensor<?x10xf32>'}}
  // expected-error @+1 {{'nn.softmax_cross_entropy' op failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %l, %y : (tensor<?x10xf32>, tensor<8xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// The loss has the element type of the logits.
func.func @cross_entropy_wrong_result(%l: tensor<?x10xf32>, %y: tensor<?xi32>) -> tensor<f64> {
  // expected-error @+2 {{'nn.softmax_cross_entropy' op inferred type(s) 'tensor<f32>' are incompatible with return type(s) of operation 'tensor<f64>'}}
  // expected-error @+1 {{'nn.softmax_cross_entropy' op failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %l, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f64>
  return %0 : tensor<f64>
}

// -----

// Labels are i32 class indices, not i64 and not one-hot floats.
func.func @cross_entropy_i64_labels(%l: tensor<?x10xf32>, %y: tensor<?xi64>) -> tensor<f32> {
  // expected-error @+1 {{'nn.softmax_cross_entropy' op operand #1 must be ranked tensor of 32-bit signless integer values, but got 'tensor<?xi64>'}}
  %0 = nn.softmax_cross_entropy %l, %y : (tensor<?x10xf32>, tensor<?xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_float_labels(%l: tensor<?x10xf32>, %y: tensor<?x10xf32>) -> tensor<f32> {
  // expected-error @+1 {{'nn.softmax_cross_entropy' op operand #1 must be ranked tensor of 32-bit signless integer values, but got 'tensor<?x10xf32>'}}
  %0 = nn.softmax_cross_entropy %l, %y : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_grad_batch_mismatch(%l: tensor<8x10xf32>, %y: tensor<?xi32>, %d: tensor<f32>) -> tensor<8x10xf32> {
  // expected-error @+2 {{'nn.softmax_cross_entropy_grad' op expected as many labels as logits rows, got 'tensor<?xi32>' for 'tensor<8x10xf32>'}}
  // expected-error @+1 {{'nn.softmax_cross_entropy_grad' op failed to infer returned types}}
  %0 = nn.softmax_cross_entropy_grad %l, %y, %d : (tensor<8x10xf32>, tensor<?xi32>, tensor<f32>) -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

func.func @cross_entropy_grad_loss_gradient_type(%l: tensor<?x10xf32>, %y: tensor<?xi32>, %d: tensor<f64>) -> tensor<?x10xf32> {
  // expected-error @+2 {{'nn.softmax_cross_entropy_grad' op expected a loss gradient of element type 'f32', got 'tensor<f64>'}}
  // expected-error @+1 {{'nn.softmax_cross_entropy_grad' op failed to infer returned types}}
  %0 = nn.softmax_cross_entropy_grad %l, %y, %d : (tensor<?x10xf32>, tensor<?xi32>, tensor<f64>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @cross_entropy_grad_loss_gradient_rank1(%l: tensor<?x10xf32>, %y: tensor<?xi32>, %d: tensor<1xf32>) -> tensor<?x10xf32> {
  // expected-error @+1 {{'nn.softmax_cross_entropy_grad' op operand #2 must be 0D tensor of floating-point values, but got 'tensor<1xf32>'}}
  %0 = nn.softmax_cross_entropy_grad %l, %y, %d : (tensor<?x10xf32>, tensor<?xi32>, tensor<1xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @count_correct_logits_rank1(%l: tensor<?xf32>, %y: tensor<?xi32>) -> tensor<i64> {
  // expected-error @+2 {{'nn.count_correct' op expected logits of shape [batch, classes], got 'tensor<?xf32>'}}
  // expected-error @+1 {{'nn.count_correct' op failed to infer returned types}}
  %0 = nn.count_correct %l, %y : (tensor<?xf32>, tensor<?xi32>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

func.func @count_correct_labels_rank0(%l: tensor<?x10xf32>, %y: tensor<i32>) -> tensor<i64> {
  // expected-error @+2 {{'nn.count_correct' op expected labels of rank 1, got 'tensor<i32>'}}
  // expected-error @+1 {{'nn.count_correct' op failed to infer returned types}}
  %0 = nn.count_correct %l, %y : (tensor<?x10xf32>, tensor<i32>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

func.func @count_correct_i32_result(%l: tensor<?x10xf32>, %y: tensor<?xi32>) -> tensor<i32> {
  // expected-error @+1 {{'nn.count_correct' op result #0 must be 0D tensor of 64-bit signless integer values, but got 'tensor<i32>'}}
  %0 = nn.count_correct %l, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.mse / nn.mse_grad (the operands are named lhs / rhs in the messages)
//===----------------------------------------------------------------------===//

func.func @mse_rank1(%p: tensor<?xf32>, %t: tensor<?xf32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.mse' op expected lhs of rank at least 2 (batch and features), got 1}}
  // expected-error @+1 {{'nn.mse' op failed to infer returned types}}
  %0 = nn.mse %p, %t : (tensor<?xf32>, tensor<?xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @mse_shape_mismatch(%p: tensor<?x3xf32>, %t: tensor<?x1xf32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.mse' op expected operands of the same type, got 'tensor<?x3xf32>' and 'tensor<?x1xf32>'}}
  // expected-error @+1 {{'nn.mse' op failed to infer returned types}}
  %0 = nn.mse %p, %t : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @mse_wrong_result(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>) -> tensor<f64> {
  // expected-error @+2 {{'nn.mse' op inferred type(s) 'tensor<f32>' are incompatible with return type(s) of operation 'tensor<f64>'}}
  // expected-error @+1 {{'nn.mse' op failed to infer returned types}}
  %0 = nn.mse %p, %t : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f64>
  return %0 : tensor<f64>
}

// -----

func.func @mse_per_example_result(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'nn.mse' op result #0 must be 0D tensor of floating-point values, but got 'tensor<?xf32>'}}
  %0 = nn.mse %p, %t : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @mse_grad_dynamic_features(%p: tensor<?x?xf32>, %t: tensor<?x?xf32>, %d: tensor<f32>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'nn.mse_grad' op expected static per-example dimensions in lhs, got 'tensor<?x?xf32>'}}
  // expected-error @+1 {{'nn.mse_grad' op failed to infer returned types}}
  %0 = nn.mse_grad %p, %t, %d : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @mse_grad_shape_mismatch(%p: tensor<?x3xf32>, %t: tensor<8x3xf32>, %d: tensor<f32>) -> tensor<?x3xf32> {
  // expected-error @+2 {{'nn.mse_grad' op expected operands of the same type, got 'tensor<?x3xf32>' and 'tensor<8x3xf32>'}}
  // expected-error @+1 {{'nn.mse_grad' op failed to infer returned types}}
  %0 = nn.mse_grad %p, %t, %d : (tensor<?x3xf32>, tensor<8x3xf32>, tensor<f32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @mse_grad_loss_gradient_type(%p: tensor<?x3xf64>, %t: tensor<?x3xf64>, %d: tensor<f32>) -> tensor<?x3xf64> {
  // expected-error @+2 {{'nn.mse_grad' op expected a loss gradient of element type 'f64', got 'tensor<f32>'}}
  // expected-error @+1 {{'nn.mse_grad' op failed to infer returned types}}
  %0 = nn.mse_grad %p, %t, %d : (tensor<?x3xf64>, tensor<?x3xf64>, tensor<f32>) -> tensor<?x3xf64>
  return %0 : tensor<?x3xf64>
}

// -----

//===----------------------------------------------------------------------===//
// nn.sgd_update
//===----------------------------------------------------------------------===//

func.func @sgd_grad_type(%p: tensor<4x8xf32>, %g: tensor<8x4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'nn.sgd_update' op expected the parameter, gradient and velocity to have one type}}
  %0 = nn.sgd_update %p, %g {lr = 0.1 : f64, momentum = 0.0 : f64, weight_decay = 0.0 : f64}
      : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @sgd_velocity_type(%p: tensor<8xf32>, %g: tensor<8xf32>, %v: tensor<8xf64>) -> (tensor<8xf32>, tensor<8xf32>) {
  // expected-error @+1 {{'nn.sgd_update' op expected the parameter, gradient and velocity to have one type}}
  %0:2 = nn.sgd_update %p, %g, %v {lr = 0.1 : f64, momentum = 0.9 : f64, weight_decay = 0.0 : f64}
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf64>) -> (tensor<8xf32>, tensor<8xf32>)
  return %0#0, %0#1 : tensor<8xf32>, tensor<8xf32>
}

// -----

func.func @sgd_momentum_without_velocity(%p: tensor<8xf32>, %g: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'nn.sgd_update' op expected a velocity exactly when momentum > 0}}
  %0 = nn.sgd_update %p, %g {lr = 0.1 : f64, momentum = 0.9 : f64, weight_decay = 0.0 : f64}
      : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @sgd_velocity_without_momentum(%p: tensor<8xf32>, %g: tensor<8xf32>, %v: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  // expected-error @+1 {{'nn.sgd_update' op expected a velocity exactly when momentum > 0}}
  %0:2 = nn.sgd_update %p, %g, %v {lr = 0.1 : f64, momentum = 0.0 : f64, weight_decay = 0.0 : f64}
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return %0#0, %0#1 : tensor<8xf32>, tensor<8xf32>
}

// -----

func.func @sgd_missing_velocity_result(%p: tensor<8xf32>, %g: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'nn.sgd_update' op expected 2 results of type 'tensor<8xf32>'}}
  %0 = nn.sgd_update %p, %g, %v {lr = 0.1 : f64, momentum = 0.9 : f64, weight_decay = 0.0 : f64}
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @sgd_extra_result(%p: tensor<8xf32>, %g: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  // expected-error @+1 {{'nn.sgd_update' op expected 1 results of type 'tensor<8xf32>'}}
  %0:2 = nn.sgd_update %p, %g {lr = 0.1 : f64, momentum = 0.0 : f64, weight_decay = 0.0 : f64}
      : (tensor<8xf32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return %0#0, %0#1 : tensor<8xf32>, tensor<8xf32>
}

// -----

func.func @sgd_result_type(%p: tensor<8xf32>, %g: tensor<8xf32>) -> tensor<8xf64> {
  // expected-error @+1 {{'nn.sgd_update' op expected 1 results of type 'tensor<8xf32>'}}
  %0 = nn.sgd_update %p, %g {lr = 0.1 : f64, momentum = 0.0 : f64, weight_decay = 0.0 : f64}
      : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf64>
  return %0 : tensor<8xf64>
}

// -----

func.func @sgd_without_lr(%p: tensor<8xf32>, %g: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'nn.sgd_update' op requires attribute 'lr'}}
  %0 = nn.sgd_update %p, %g {momentum = 0.0 : f64, weight_decay = 0.0 : f64}
      : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @sgd_f32_lr(%p: tensor<8xf32>, %g: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'nn.sgd_update' op attribute 'lr' failed to satisfy constraint: 64-bit float attribute}}
  %0 = nn.sgd_update %p, %g {lr = 0.1 : f32, momentum = 0.0 : f64, weight_decay = 0.0 : f64}
      : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.adam_update
//===----------------------------------------------------------------------===//

func.func @adam_moment_type(%p: tensor<8xf32>, %g: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<4xf32>, %s: i64)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  // expected-error @+1 {{'nn.adam_update' op expected the parameter, gradient and moments to have one type}}
  %0:3 = nn.adam_update %p, %g, %m, %v, %s {lr = 0.001 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64}
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4xf32>, i64) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %0#0, %0#1, %0#2 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

func.func @adam_result_type(%p: tensor<8xf32>, %g: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %s: i64)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf64>) {
  // expected-error @+1 {{'nn.adam_update' op expected results of type 'tensor<8xf32>'}}
  %0:3 = nn.adam_update %p, %g, %m, %v, %s {lr = 0.001 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64}
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, i64) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf64>)
  return %0#0, %0#1, %0#2 : tensor<8xf32>, tensor<8xf32>, tensor<8xf64>
}

// -----

// The step is a 64-bit integer scalar, not a tensor or an index.
func.func @adam_index_step(%p: tensor<8xf32>, %s: index) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  // expected-error @+1 {{'nn.adam_update' op operand #4 must be 64-bit signless integer, but got 'index'}}
  %0:3 = nn.adam_update %p, %p, %p, %p, %s {lr = 0.001 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64}
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, index) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %0#0, %0#1, %0#2 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

func.func @adam_without_eps(%p: tensor<8xf32>, %s: i64) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  // expected-error @+1 {{'nn.adam_update' op requires attribute 'eps'}}
  %0:3 = nn.adam_update %p, %p, %p, %p, %s {lr = 0.001 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64}
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, i64) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %0#0, %0#1, %0#2 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.train / nn.backward_of / nn.entry / nn.workspace_* on operations
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'nn.train' must be a dictionary}}
func.func @train_not_dictionary() attributes {nn.model, nn.train = "sgd"} {
  return
}

// -----

// expected-error @+1 {{'nn.train' is only valid on a model}}
func.func @train_without_model() attributes {nn.train = {loss = "mse", optimizer = "sgd"}} {
  return
}

// -----

// expected-error @+1 {{'nn.backward_of' must be a symbol reference}}
func.func @backward_of_string() attributes {nn.backward_of = "MLP"} {
  return
}

// -----

// expected-error @+1 {{'nn.backward_of' must be a symbol reference}}
func.func @backward_of_nested_symbol() attributes {nn.backward_of = @outer::@MLP} {
  return
}

// -----

// expected-error @+1 {{'nn.entry' must be one of gradient, train_step, eval}}
func.func @entry_unknown() attributes {nn.entry = "forward"} {
  return
}

// -----

// expected-error @+1 {{'nn.entry' must be one of gradient, train_step, eval}}
func.func @entry_unit() attributes {nn.entry} {
  return
}

// -----

// expected-error @+1 {{'nn.workspace_fixed' must be an integer}}
func.func @workspace_fixed_float() attributes {nn.workspace_fixed = 64.0 : f64} {
  return
}

// -----

// expected-error @+1 {{'nn.workspace_per_example' must be an integer}}
func.func @workspace_per_example_string() attributes {nn.workspace_per_example = "64"} {
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.role on function arguments and results
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'nn.role' of argument 1 must be one of input, labels, step, seed, update, param, grad, state, loss, correct, workspace}}
func.func @role_unknown_argument(%x: tensor<?x4xf32> {nn.role = "input"}, %y: tensor<?xi32> {nn.role = "label"}) {
  return
}

// -----

// expected-error @+1 {{'nn.role' of argument 0 must be one of input, labels, step, seed, update, param, grad, state, loss, correct, workspace}}
func.func @role_not_string(%x: tensor<?x4xf32> {nn.role = 0 : i32}) {
  return
}

// -----

// expected-error @+1 {{'nn.role' of result 1 must be one of input, labels, step, seed, update, param, grad, state, loss, correct, workspace}}
func.func private @role_unknown_result() -> (tensor<f32> {nn.role = "loss"}, tensor<4xf32> {nn.role = "gradient"})

// -----

// Only nn.role is meaningful on results.
// expected-error @+1 {{unknown result attribute 'nn.param' of the nn dialect}}
func.func private @param_on_result() -> (tensor<4xf32> {nn.param = "w"})
