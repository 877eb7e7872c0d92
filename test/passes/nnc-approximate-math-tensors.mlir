// RUN: nnc-opt %s --nnc-approximate-math | FileCheck %s

// nnc-approximate-math leaves math on whole tensors alone: the upstream
// approximations build scalar/vector arithmetic only and would produce
// invalid IR for tensor operands.

// CHECK-LABEL: func.func @tanh_on_tensor
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT:    %[[T:.*]] = math.tanh %[[X]] : tensor<4xf32>
// CHECK-NEXT:    return %[[T]]
func.func @tanh_on_tensor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.tanh %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
