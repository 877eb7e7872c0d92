// RUN: nnc-opt %s --nnc-autodiff --split-input-file -verify-diagnostics | FileCheck %s
// RUN: not nnc-opt %s --nnc-autodiff=input-gradients=true --split-input-file 2> %t.err | FileCheck %s --check-prefix=INPUT
// RUN: FileCheck %s --check-prefix=ERR --input-file=%t.err
// RUN: nnc-opt %s --nnc-autodiff=test-break-rule=nn.tanh --split-input-file -verify-diagnostics | FileCheck %s --check-prefix=BREAK

// For every nn.model @M, nnc-autodiff adds a private @M.backward that takes
// the model's arguments plus the gradient of its result, recomputes the
// forward ops and applies each op's derivative rule in reverse order. It
// returns the gradients of the parameters, then (with input-gradients) those
// of the inputs. The model itself is left as it is.
//
// The second run differentiates the same functions with input-gradients;
// the chunks that fail in the first run fail there too (hence `not`), and
// the one that fails only there is checked on its stderr (ERR). The last
// run breaks the rule of nn.tanh on purpose (test-break-rule doubles every
// gradient it returns), as gradient checks do to show they catch a wrong rule.

// y = x W + b:  dx = dy W^T,  dW = x^T dy,  db = sum over the batch of dy.
// CHECK-LABEL: func.func @dense(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32> {nn.input = "x"}
// CHECK:         %[[Y:.*]] = nn.dense
// CHECK:         return %[[Y]]
// CHECK-LABEL: func.func private @dense.backward(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32> {nn.input = "x"},
// CHECK-SAME:    %[[W:[^:]*]]: tensor<4x3xf32> {nn.init = "xavier_uniform", nn.param = "w"},
// CHECK-SAME:    %[[B:[^:]*]]: tensor<3xf32> {nn.init = "zeros", nn.param = "b"},
// CHECK-SAME:    %[[DY:[^:]*]]: tensor<?x3xf32>)
// CHECK-SAME:    -> (tensor<4x3xf32>, tensor<3xf32>)
// CHECK-SAME:    attributes {nn.backward_of = @dense}
// CHECK:         %[[Y:.*]] = nn.dense %[[X]], %[[W]], %[[B]] : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// CHECK:         %[[DX:.*]] = nn.matmul %[[DY]], %[[W]] {transpose_rhs} : (tensor<?x3xf32>, tensor<4x3xf32>) -> tensor<?x4xf32>
// CHECK:         %[[DW:.*]] = nn.matmul %[[X]], %[[DY]] {transpose_lhs} : (tensor<?x4xf32>, tensor<?x3xf32>) -> tensor<4x3xf32>
// CHECK:         %[[DB:.*]] = nn.batch_sum %[[DY]] : tensor<?x3xf32> -> tensor<3xf32>
// CHECK:         return %[[DW]], %[[DB]] : tensor<4x3xf32>, tensor<3xf32>
// CHECK-NEXT:  }

// With input-gradients, dx follows the parameter gradients.
// INPUT-LABEL: func.func private @dense.backward(
// INPUT-SAME:    -> (tensor<4x3xf32>, tensor<3xf32>, tensor<?x4xf32>)
// INPUT:         %[[DX:.*]] = nn.matmul %{{.*}}, %{{.*}} {transpose_rhs}
// INPUT:         %[[DW:.*]] = nn.matmul %{{.*}}, %{{.*}} {transpose_lhs}
// INPUT:         %[[DB:.*]] = nn.batch_sum
// INPUT:         return %[[DW]], %[[DB]], %[[DX]] : tensor<4x3xf32>, tensor<3xf32>, tensor<?x4xf32>
func.func @dense(%x: tensor<?x4xf32> {nn.input = "x"},
                 %w: tensor<4x3xf32> {nn.param = "w", nn.init = "xavier_uniform"},
                 %b: tensor<3xf32> {nn.param = "b", nn.init = "zeros"}) -> tensor<?x3xf32>
    attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// relu differentiates from its result (positive where its input is), so
// the dense result is read by the relu alone.
// CHECK-LABEL: func.func private @relu.backward(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32> {nn.input = "x"}, %[[W:[^:]*]]: tensor<4x3xf32> {nn.param = "w"}, %[[B:[^:]*]]: tensor<3xf32> {nn.param = "b"}, %[[DY:[^:]*]]: tensor<?x3xf32>)
// CHECK:         %[[D:.*]] = nn.dense %[[X]], %[[W]], %[[B]]
// CHECK:         %[[R:.*]] = nn.relu %[[D]]
// CHECK:         %[[G:.*]] = nn.relu_grad %[[R]], %[[DY]] : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK:         nn.matmul %[[G]], %[[W]] {transpose_rhs}
// CHECK:         %[[DW:.*]] = nn.matmul %[[X]], %[[G]] {transpose_lhs}
// CHECK:         %[[DB:.*]] = nn.batch_sum %[[G]]
// CHECK:         return %[[DW]], %[[DB]]
func.func @relu(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.relu %0 : tensor<?x3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// tanh differentiates from its result; f64 stays f64.
// CHECK-LABEL: func.func private @tanh_f64.backward(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf64> {nn.input = "x"}, %[[W:[^:]*]]: tensor<4x3xf64> {nn.param = "w"}, %[[B:[^:]*]]: tensor<3xf64> {nn.param = "b"}, %[[DY:[^:]*]]: tensor<?x3xf64>)
// CHECK-SAME:    -> (tensor<4x3xf64>, tensor<3xf64>)
// CHECK:         %[[D:.*]] = nn.dense %[[X]], %[[W]], %[[B]]
// CHECK:         %[[T:.*]] = nn.tanh %[[D]]
// CHECK:         %[[G:.*]] = nn.tanh_grad %[[T]], %[[DY]] : (tensor<?x3xf64>, tensor<?x3xf64>) -> tensor<?x3xf64>
// CHECK:         nn.matmul %[[G]], %[[W]] {transpose_rhs}
// CHECK:         %[[DW:.*]] = nn.matmul %[[X]], %[[G]] {transpose_lhs} : (tensor<?x4xf64>, tensor<?x3xf64>) -> tensor<4x3xf64>
// CHECK:         %[[DB:.*]] = nn.batch_sum %[[G]] : tensor<?x3xf64> -> tensor<3xf64>
// CHECK:         return %[[DW]], %[[DB]]

// BREAK-LABEL: func.func private @tanh_f64.backward(
// BREAK-SAME:    %[[DY:[^:]*]]: tensor<?x3xf64>)
// BREAK:         %[[G:.*]] = nn.tanh_grad %{{.*}}, %[[DY]]
// BREAK:         %[[G2:.*]] = nn.add %[[G]], %[[G]] : (tensor<?x3xf64>, tensor<?x3xf64>) -> tensor<?x3xf64>
// BREAK:         nn.matmul %[[G2]], %{{.*}} {transpose_rhs}
// BREAK:         %[[DW:.*]] = nn.matmul %{{.*}}, %[[G2]] {transpose_lhs}
// BREAK:         %[[DB:.*]] = nn.batch_sum %[[G2]]
// BREAK:         return %[[DW]], %[[DB]]
func.func @tanh_f64(%x: tensor<?x4xf64> {nn.input = "x"}, %w: tensor<4x3xf64> {nn.param = "w"},
                    %b: tensor<3xf64> {nn.param = "b"}) -> tensor<?x3xf64> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf64>, tensor<4x3xf64>, tensor<3xf64>) -> tensor<?x3xf64>
  %1 = nn.tanh %0 : tensor<?x3xf64> -> tensor<?x3xf64>
  return %1 : tensor<?x3xf64>
}

// -----

// CHECK-LABEL: func.func private @sigmoid.backward(
// CHECK-SAME:    %[[DY:[^:]*]]: tensor<?x3xf32>)
// CHECK:         %[[D:.*]] = nn.dense
// CHECK:         %[[S:.*]] = nn.sigmoid %[[D]]
// CHECK:         %[[G:.*]] = nn.sigmoid_grad %[[S]], %[[DY]] : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK:         %[[DW:.*]] = nn.matmul %{{.*}}, %[[G]] {transpose_lhs}
// CHECK:         %[[DB:.*]] = nn.batch_sum %[[G]]
// CHECK:         return %[[DW]], %[[DB]]

// Other rules are not affected.
// BREAK-LABEL: func.func private @sigmoid.backward(
// BREAK:         %[[G:.*]] = nn.sigmoid_grad
// BREAK-NOT:     nn.add
// BREAK:         nn.matmul %{{.*}}, %[[G]] {transpose_lhs}
func.func @sigmoid(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                   %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.sigmoid %0 : tensor<?x3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func private @softmax.backward(
// CHECK-SAME:    %[[DY:[^:]*]]: tensor<?x3xf32>)
// CHECK:         %[[D:.*]] = nn.dense
// CHECK:         %[[P:.*]] = nn.softmax %[[D]]
// CHECK:         %[[G:.*]] = nn.softmax_grad %[[P]], %[[DY]] : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK:         %[[DW:.*]] = nn.matmul %{{.*}}, %[[G]] {transpose_lhs}
// CHECK:         %[[DB:.*]] = nn.batch_sum %[[G]]
// CHECK:         return %[[DW]], %[[DB]]
func.func @softmax(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                   %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.softmax %0 : tensor<?x3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// add passes dy through to both operands: no new op at all.
// CHECK-LABEL: func.func private @add.backward(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<4x8xf32> {nn.input = "x"}, %[[P:[^:]*]]: tensor<4x8xf32> {nn.param = "p"}, %[[DY:[^:]*]]: tensor<4x8xf32>)
// CHECK-SAME:    -> tensor<4x8xf32>
// CHECK-NEXT:    nn.add %[[X]], %[[P]]
// CHECK-NEXT:    return %[[DY]] : tensor<4x8xf32>

// INPUT-LABEL: func.func private @add.backward(
// INPUT-SAME:    %[[DY:[^:]*]]: tensor<4x8xf32>)
// INPUT-SAME:    -> (tensor<4x8xf32>, tensor<4x8xf32>)
// INPUT-NEXT:    nn.add
// INPUT-NEXT:    return %[[DY]], %[[DY]] : tensor<4x8xf32>, tensor<4x8xf32>
func.func @add(%x: tensor<4x8xf32> {nn.input = "x"}, %p: tensor<4x8xf32> {nn.param = "p"}) -> tensor<4x8xf32>
    attributes {nn.model} {
  %0 = nn.add %x, %p : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// mul: d lhs = dy * rhs, d rhs = dy * lhs.
// CHECK-LABEL: func.func private @mul.backward(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<4x8xf32> {nn.input = "x"}, %[[S:[^:]*]]: tensor<4x8xf32> {nn.param = "s"}, %[[DY:[^:]*]]: tensor<4x8xf32>)
// CHECK:         nn.mul %[[X]], %[[S]]
// CHECK:         %[[DX:.*]] = nn.mul %[[DY]], %[[S]] : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK:         %[[DS:.*]] = nn.mul %[[DY]], %[[X]] : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK:         return %[[DS]] : tensor<4x8xf32>

// INPUT-LABEL: func.func private @mul.backward(
// INPUT-SAME:    %[[X:[^:]*]]: tensor<4x8xf32> {nn.input = "x"}, %[[S:[^:]*]]: tensor<4x8xf32> {nn.param = "s"}, %[[DY:[^:]*]]: tensor<4x8xf32>)
// INPUT:         %[[DX:.*]] = nn.mul %[[DY]], %[[S]]
// INPUT:         %[[DS:.*]] = nn.mul %[[DY]], %[[X]]
// INPUT:         return %[[DS]], %[[DX]]
func.func @mul(%x: tensor<4x8xf32> {nn.input = "x"}, %s: tensor<4x8xf32> {nn.param = "s"}) -> tensor<4x8xf32>
    attributes {nn.model} {
  %0 = nn.mul %x, %s : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A square of a parameter: both operand gradients go to the same value and
// are summed.
// CHECK-LABEL: func.func private @mul_square.backward(
// CHECK-SAME:    %[[S:[^:]*]]: tensor<4x8xf32> {nn.param = "s"}, %[[DY:[^:]*]]: tensor<4x8xf32>)
// CHECK:         %[[A:.*]] = nn.mul %[[DY]], %[[S]]
// CHECK:         %[[B:.*]] = nn.mul %[[DY]], %[[S]]
// CHECK:         %[[SUM:.*]] = nn.add %[[A]], %[[B]]
// CHECK:         return %[[SUM]]
func.func @mul_square(%x: tensor<4x8xf32> {nn.input = "x"}, %s: tensor<4x8xf32> {nn.param = "s"}) -> tensor<4x8xf32>
    attributes {nn.model} {
  %0 = nn.mul %s, %s : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = nn.add %x, %0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// flatten's gradient reshapes dy back to the input's per-example shape.
// CHECK-LABEL: func.func private @flatten.backward(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x2x3xf32> {nn.input = "x"}, %[[W:[^:]*]]: tensor<6x2xf32> {nn.param = "w"}, %[[B:[^:]*]]: tensor<2xf32> {nn.param = "b"}, %[[DY:[^:]*]]: tensor<?x2xf32>)
// CHECK:         %[[F:.*]] = nn.flatten %[[X]] : tensor<?x2x3xf32> -> tensor<?x6xf32>
// CHECK:         nn.dense %[[F]], %[[W]], %[[B]]
// CHECK:         %[[DF:.*]] = nn.matmul %[[DY]], %[[W]] {transpose_rhs} : (tensor<?x2xf32>, tensor<6x2xf32>) -> tensor<?x6xf32>
// CHECK:         %[[DW:.*]] = nn.matmul %[[F]], %[[DY]] {transpose_lhs}
// CHECK:         %[[DB:.*]] = nn.batch_sum %[[DY]]
// CHECK:         %[[DX:.*]] = nn.reshape %[[DF]] {shape = array<i64: 2, 3>} : tensor<?x6xf32> -> tensor<?x2x3xf32>
// CHECK:         return %[[DW]], %[[DB]] : tensor<6x2xf32>, tensor<2xf32>

// INPUT-LABEL: func.func private @flatten.backward(
// INPUT-SAME:    -> (tensor<6x2xf32>, tensor<2xf32>, tensor<?x2x3xf32>)
// INPUT:         %[[DX:.*]] = nn.reshape %{{.*}} {shape = array<i64: 2, 3>} : tensor<?x6xf32> -> tensor<?x2x3xf32>
// INPUT:         return %{{.*}}, %{{.*}}, %[[DX]]
func.func @flatten(%x: tensor<?x2x3xf32> {nn.input = "x"}, %w: tensor<6x2xf32> {nn.param = "w"},
                   %b: tensor<2xf32> {nn.param = "b"}) -> tensor<?x2xf32> attributes {nn.model} {
  %0 = nn.flatten %x : tensor<?x2x3xf32> -> tensor<?x6xf32>
  %1 = nn.dense %0, %w, %b : (tensor<?x6xf32>, tensor<6x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}

// -----

// reshape's gradient is the inverse reshape.
// CHECK-LABEL: func.func private @reshape.backward(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32> {nn.input = "x"}, %[[W:[^:]*]]: tensor<4x6xf32> {nn.param = "w"}, %[[B:[^:]*]]: tensor<6xf32> {nn.param = "b"}, %[[DY:[^:]*]]: tensor<?x2x3xf32>)
// CHECK:         %[[D:.*]] = nn.dense %[[X]], %[[W]], %[[B]]
// CHECK:         nn.reshape %[[D]] {shape = array<i64: 2, 3>} : tensor<?x6xf32> -> tensor<?x2x3xf32>
// CHECK:         %[[DD:.*]] = nn.reshape %[[DY]] {shape = array<i64: 6>} : tensor<?x2x3xf32> -> tensor<?x6xf32>
// CHECK:         nn.matmul %[[DD]], %[[W]] {transpose_rhs}
// CHECK:         %[[DW:.*]] = nn.matmul %[[X]], %[[DD]] {transpose_lhs}
// CHECK:         %[[DB:.*]] = nn.batch_sum %[[DD]]
// CHECK:         return %[[DW]], %[[DB]]
func.func @reshape(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x6xf32> {nn.param = "w"},
                   %b: tensor<6xf32> {nn.param = "b"}) -> tensor<?x2x3xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x6xf32>, tensor<6xf32>) -> tensor<?x6xf32>
  %1 = nn.reshape %0 {shape = array<i64: 2, 3>} : tensor<?x6xf32> -> tensor<?x2x3xf32>
  return %1 : tensor<?x2x3xf32>
}

// -----

// Fan-out: h2 feeds both the relu and the add, so its gradient is the sum
// dy + relu_grad(relu(h2), dy); the weight shared by the two dense layers sums the
// gradients of both uses.
// CHECK-LABEL: func.func private @fan_out.backward(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32> {nn.input = "x"}, %[[W:[^:]*]]: tensor<4x4xf32> {nn.param = "w"}, %[[B1:[^:]*]]: tensor<4xf32> {nn.param = "b1"}, %[[B2:[^:]*]]: tensor<4xf32> {nn.param = "b2"}, %[[DY:[^:]*]]: tensor<?x4xf32>)
// CHECK:         %[[H:.*]] = nn.dense %[[X]], %[[W]], %[[B1]]
// CHECK:         %[[H2:.*]] = nn.dense %[[H]], %[[W]], %[[B2]]
// CHECK:         %[[R:.*]] = nn.relu %[[H2]]
// CHECK:         nn.add %[[H2]], %[[R]]
// CHECK:         %[[RG:.*]] = nn.relu_grad %[[R]], %[[DY]]
// CHECK:         %[[DH2:.*]] = nn.add %[[DY]], %[[RG]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK:         %[[DH:.*]] = nn.matmul %[[DH2]], %[[W]] {transpose_rhs}
// CHECK:         %[[DW2:.*]] = nn.matmul %[[H]], %[[DH2]] {transpose_lhs}
// CHECK:         %[[DB2:.*]] = nn.batch_sum %[[DH2]]
// CHECK:         nn.matmul %[[DH]], %[[W]] {transpose_rhs}
// CHECK:         %[[DW1:.*]] = nn.matmul %[[X]], %[[DH]] {transpose_lhs}
// CHECK:         %[[DB1:.*]] = nn.batch_sum %[[DH]]
// CHECK:         %[[DW:.*]] = nn.add %[[DW2]], %[[DW1]] : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
// CHECK:         return %[[DW]], %[[DB1]], %[[DB2]]
func.func @fan_out(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x4xf32> {nn.param = "w"},
                   %b1: tensor<4xf32> {nn.param = "b1"}, %b2: tensor<4xf32> {nn.param = "b2"})
    -> tensor<?x4xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b1 : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = nn.dense %0, %w, %b2 : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %2 = nn.relu %1 : tensor<?x4xf32> -> tensor<?x4xf32>
  %3 = nn.add %1, %2 : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %3 : tensor<?x4xf32>
}

// -----

// A bias shared by two dense layers: its two gradients, unbatched rank-1
// tensors, are summed with nn.add as well.
// CHECK-LABEL: func.func private @shared_bias.backward(
// CHECK-SAME:    -> (tensor<4x4xf32>, tensor<4xf32>)
// CHECK:         %[[DB2:.*]] = nn.batch_sum
// CHECK:         %[[DB1:.*]] = nn.batch_sum
// CHECK:         %[[DW:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
// CHECK:         %[[DB:.*]] = nn.add %[[DB2]], %[[DB1]] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK:         return %[[DW]], %[[DB]]
func.func @shared_bias(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x4xf32> {nn.param = "w"},
                       %b: tensor<4xf32> {nn.param = "b"}) -> tensor<?x4xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = nn.dense %0, %w, %b : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}

// -----

// Two inputs, parameters between them: parameter gradients come first, in
// argument order, then (with input-gradients) the inputs', in argument order.
// The input used twice sums its two gradients.
// CHECK-LABEL: func.func private @two_inputs.backward(
// CHECK-SAME:    %{{[^:]*}}: tensor<4x8xf32> {nn.input = "a"}, %{{[^:]*}}: tensor<4x8xf32> {nn.param = "s"}, %{{[^:]*}}: tensor<4x8xf32> {nn.input = "b"}, %{{[^:]*}}: tensor<4x8xf32> {nn.param = "t"}, %{{[^:]*}}: tensor<4x8xf32>)
// CHECK-SAME:    -> (tensor<4x8xf32>, tensor<4x8xf32>)

// INPUT-LABEL: func.func private @two_inputs.backward(
// INPUT-SAME:    %[[A:[^:]*]]: tensor<4x8xf32> {nn.input = "a"}, %[[S:[^:]*]]: tensor<4x8xf32> {nn.param = "s"}, %[[B:[^:]*]]: tensor<4x8xf32> {nn.input = "b"}, %[[T:[^:]*]]: tensor<4x8xf32> {nn.param = "t"}, %[[DY:[^:]*]]: tensor<4x8xf32>)
// INPUT-SAME:    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>)
// INPUT:         %[[M:.*]] = nn.mul %[[A]], %[[S]]
// INPUT:         %[[N:.*]] = nn.mul %[[A]], %[[T]]
// INPUT:         nn.add %[[M]], %[[N]]
// INPUT:         %[[DA2:.*]] = nn.mul %[[DY]], %[[T]]
// INPUT:         %[[DT:.*]] = nn.mul %[[DY]], %[[A]]
// INPUT:         %[[DA1:.*]] = nn.mul %[[DY]], %[[S]]
// INPUT:         %[[DS:.*]] = nn.mul %[[DY]], %[[A]]
// INPUT:         %[[DA:.*]] = nn.add %[[DA2]], %[[DA1]]
// INPUT:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<4x8xf32>
// INPUT:         return %[[DS]], %[[DT]], %[[DA]], %[[ZERO]]
func.func @two_inputs(%a: tensor<4x8xf32> {nn.input = "a"}, %s: tensor<4x8xf32> {nn.param = "s"},
                      %b: tensor<4x8xf32> {nn.input = "b"}, %t: tensor<4x8xf32> {nn.param = "t"})
    -> tensor<4x8xf32> attributes {nn.model} {
  %0 = nn.mul %a, %s : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = nn.mul %a, %t : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %2 = nn.add %0, %1 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// A parameter that does not influence the output gets a zero gradient.
// CHECK-LABEL: func.func private @unused_param.backward(
// CHECK-SAME:    -> (tensor<4x3xf32>, tensor<5x5xf64>, tensor<3xf32>)
// CHECK:         %[[DW:.*]] = nn.matmul %{{.*}}, %{{.*}} {transpose_lhs}
// CHECK:         %[[DB:.*]] = nn.batch_sum
// CHECK:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<5x5xf64>
// CHECK:         return %[[DW]], %[[ZERO]], %[[DB]]
func.func @unused_param(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                        %u: tensor<5x5xf64> {nn.param = "u"}, %b: tensor<3xf32> {nn.param = "b"})
    -> tensor<?x3xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Without input-gradients, an input that does not influence the output is no
// problem: only parameter gradients are returned.
// CHECK-LABEL: func.func private @unused_input.backward(
// CHECK-SAME:    -> (tensor<4x2xf32>, tensor<2xf32>)
// CHECK:         return

// With them, a dynamic-batch input cannot get a zero constant.
// ERR: nnc-autodiff.mlir:[[@LINE+1]]:1: error: input 0 does not influence the output, so it has no gradient
func.func @unused_input(%x: tensor<?x4xf32> {nn.input = "x"}, %y: tensor<?x4xf32> {nn.input = "y"},
                        %w: tensor<4x2xf32> {nn.param = "w"}, %b: tensor<2xf32> {nn.param = "b"})
    -> tensor<?x2xf32> attributes {nn.model} {
  %0 = nn.dense %y, %w, %b : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// Functions without nn.model get no backward function.
// CHECK-LABEL: func.func @not_a_model(
// CHECK-NOT:     backward
func.func @not_a_model(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Every model of the module gets its own backward function.
// CHECK-LABEL: func.func @first(
// CHECK-LABEL: func.func private @first.backward(
// CHECK-SAME:    attributes {nn.backward_of = @first}
// CHECK:         nn.tanh_grad
// CHECK-LABEL: func.func @second(
// CHECK-LABEL: func.func private @second.backward(
// CHECK-SAME:    attributes {nn.backward_of = @second}
// CHECK:         nn.sigmoid_grad
func.func @first(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                 %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.tanh %0 : tensor<?x3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}
func.func @second(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                  %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.sigmoid %0 : tensor<?x3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

// nn.matmul is a gradient building block without a derivative rule of its own.
func.func @no_rule(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"})
    -> tensor<?x3xf32> attributes {nn.model, nn.train = {loss = "mse", optimizer = "sgd"}} {
  // expected-error @+1 {{unsupported: 'nn.matmul' has no derivative rule}}
  %0 = nn.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Models with a train block must be differentiable; others are skipped
// (see nnc-lower-to-linalg-untrained-model.mlir).
// expected-error @+1 {{unsupported: model with 2 results}}
func.func @two_results(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                       %b: tensor<3xf32> {nn.param = "b"}) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    attributes {nn.model, nn.train = {loss = "mse", optimizer = "sgd"}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.relu %0 : tensor<?x3xf32> -> tensor<?x3xf32>
  return %0, %1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// expected-error @+1 {{unsupported: model body with control flow}}
func.func @control_flow(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                        %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32> attributes {nn.model, nn.train = {loss = "mse", optimizer = "sgd"}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  cf.br ^bb1(%0 : tensor<?x3xf32>)
^bb1(%1: tensor<?x3xf32>):
  return %1 : tensor<?x3xf32>
}
