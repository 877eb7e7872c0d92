// RUN: nnc-opt %s --nnc-split-units --split-input-file | FileCheck %s

// A dense layer over the model's input (784 -> 128, 401,408 bytes of
// weight), its relu and a layer of 10 units become two branches of 64
// units: W1's column blocks, b1's halves and W2's row halves are arguments
// of their own where the whole was, marked nn.part; the second branch's
// product has a zero bias, and the two partial logits are added.
// CHECK-LABEL: func.func @Mlp(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x784xf32> {nn.input = "image"},
// CHECK-SAME:    %[[W0:[^:]*]]: tensor<784x64xf32> {nn.init = "xavier_uniform", nn.param = "h.weight#0", nn.part = {count = 2 : i64, dim = 1 : i64, index = 0 : i64, of = "h.weight", shape = array<i64: 784, 128>}},
// CHECK-SAME:    %[[W1:[^:]*]]: tensor<784x64xf32> {nn.init = "xavier_uniform", nn.param = "h.weight#1", nn.part = {count = 2 : i64, dim = 1 : i64, index = 1 : i64, of = "h.weight", shape = array<i64: 784, 128>}},
// CHECK-SAME:    %[[B0:[^:]*]]: tensor<64xf32> {nn.init = "zeros", nn.param = "h.bias#0", nn.part = {count = 2 : i64, dim = 0 : i64, index = 0 : i64, of = "h.bias", shape = array<i64: 128>}},
// CHECK-SAME:    %[[B1:[^:]*]]: tensor<64xf32> {nn.init = "zeros", nn.param = "h.bias#1", nn.part = {count = 2 : i64, dim = 0 : i64, index = 1 : i64, of = "h.bias", shape = array<i64: 128>}},
// CHECK-SAME:    %[[V0:[^:]*]]: tensor<64x10xf32> {nn.init = "xavier_uniform", nn.param = "output.weight#0", nn.part = {count = 2 : i64, dim = 0 : i64, index = 0 : i64, of = "output.weight", shape = array<i64: 128, 10>}},
// CHECK-SAME:    %[[V1:[^:]*]]: tensor<64x10xf32> {nn.init = "xavier_uniform", nn.param = "output.weight#1", nn.part = {count = 2 : i64, dim = 0 : i64, index = 1 : i64, of = "output.weight", shape = array<i64: 128, 10>}},
// CHECK-SAME:    %[[C:[^:]*]]: tensor<10xf32> {nn.init = "zeros", nn.param = "output.bias"})
// CHECK:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<10xf32>
// CHECK:         %[[H0:.*]] = nn.dense %[[X]], %[[W0]], %[[B0]]
// CHECK:         %[[R0:.*]] = nn.relu %[[H0]]
// CHECK:         %[[Y0:.*]] = nn.dense %[[R0]], %[[V0]], %[[C]]
// CHECK:         %[[H1:.*]] = nn.dense %[[X]], %[[W1]], %[[B1]]
// CHECK:         %[[R1:.*]] = nn.relu %[[H1]]
// CHECK:         %[[Y1:.*]] = nn.dense %[[R1]], %[[V1]], %[[ZERO]]
// CHECK:         %[[Y:.*]] = nn.add %[[Y0]], %[[Y1]]
// CHECK:         return %[[Y]]
func.func @Mlp(%x: tensor<?x784xf32> {nn.input = "image"},
               %w: tensor<784x128xf32> {nn.param = "h.weight", nn.init = "xavier_uniform"},
               %b: tensor<128xf32> {nn.param = "h.bias", nn.init = "zeros"},
               %v: tensor<128x10xf32> {nn.param = "output.weight", nn.init = "xavier_uniform"},
               %c: tensor<10xf32> {nn.param = "output.bias", nn.init = "zeros"}) -> tensor<?x10xf32> attributes {nn.model} {
  %h = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %r = nn.relu %h : tensor<?x128xf32> -> tensor<?x128xf32>
  %y = nn.dense %r, %v, %c : (tensor<?x128xf32>, tensor<128x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// -----

// Without an activation, over a flattened image, and with tanh, the same;
// the activation keeps its kind.
// CHECK-LABEL: func.func @Linear(
// CHECK:         nn.dense
// CHECK-NEXT:    nn.dense
// CHECK-NEXT:    nn.dense
// CHECK-NEXT:    nn.dense
// CHECK-NEXT:    nn.add
func.func @Linear(%x: tensor<?x784xf32> {nn.input = "image"},
                  %w: tensor<784x128xf32> {nn.param = "h.weight"},
                  %b: tensor<128xf32> {nn.param = "h.bias"},
                  %v: tensor<128x10xf32> {nn.param = "output.weight"},
                  %c: tensor<10xf32> {nn.param = "output.bias"}) -> tensor<?x10xf32> attributes {nn.model} {
  %h = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %y = nn.dense %h, %v, %c : (tensor<?x128xf32>, tensor<128x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// CHECK-LABEL: func.func @Image(
// CHECK:         %[[F:.*]] = nn.flatten
// CHECK:         nn.dense %[[F]], %arg1, %arg3
// CHECK:         nn.dense %[[F]], %arg2, %arg4
func.func @Image(%x: tensor<?x1x28x28xf32> {nn.input = "image"},
                 %w: tensor<784x128xf32> {nn.param = "h.weight"},
                 %b: tensor<128xf32> {nn.param = "h.bias"},
                 %v: tensor<128x10xf32> {nn.param = "output.weight"},
                 %c: tensor<10xf32> {nn.param = "output.bias"}) -> tensor<?x10xf32> attributes {nn.model} {
  %f = nn.flatten %x : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
  %h = nn.dense %f, %w, %b : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %r = nn.relu %h : tensor<?x128xf32> -> tensor<?x128xf32>
  %y = nn.dense %r, %v, %c : (tensor<?x128xf32>, tensor<128x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// CHECK-LABEL: func.func @Tanh(
// CHECK-COUNT-2: nn.tanh
// CHECK-NOT:     nn.tanh
func.func @Tanh(%x: tensor<?x784xf32> {nn.input = "image"},
                %w: tensor<784x128xf32> {nn.param = "h.weight"},
                %b: tensor<128xf32> {nn.param = "h.bias"},
                %v: tensor<128x10xf32> {nn.param = "output.weight"},
                %c: tensor<10xf32> {nn.param = "output.bias"}) -> tensor<?x10xf32> attributes {nn.model} {
  %h = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %r = nn.tanh %h : tensor<?x128xf32> -> tensor<?x128xf32>
  %y = nn.dense %r, %v, %c : (tensor<?x128xf32>, tensor<128x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// -----

// Left alone: a weight under min-weight-bytes (784 x 32, 100,352 bytes),
// 48 units (halves of 24, not a multiple of 16), a second layer wider than
// a quarter of the units (128 -> 64), a first layer over something
// computed (the second layer of a deeper model), and a pre-activation read
// twice.
// CHECK-LABEL: func.func @Small(
// CHECK-NOT:     nn.part
// CHECK-COUNT-2: nn.dense
// CHECK-NOT:     nn.dense
func.func @Small(%x: tensor<?x784xf32> {nn.input = "image"},
                 %w: tensor<784x32xf32> {nn.param = "h.weight"},
                 %b: tensor<32xf32> {nn.param = "h.bias"},
                 %v: tensor<32x8xf32> {nn.param = "output.weight"},
                 %c: tensor<8xf32> {nn.param = "output.bias"}) -> tensor<?x8xf32> attributes {nn.model} {
  %h = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %r = nn.relu %h : tensor<?x32xf32> -> tensor<?x32xf32>
  %y = nn.dense %r, %v, %c : (tensor<?x32xf32>, tensor<32x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @OddUnits(
// CHECK-NOT:     nn.part
func.func @OddUnits(%x: tensor<?x784xf32> {nn.input = "image"},
                    %w: tensor<784x48xf32> {nn.param = "h.weight"},
                    %b: tensor<48xf32> {nn.param = "h.bias"},
                    %v: tensor<48x10xf32> {nn.param = "output.weight"},
                    %c: tensor<10xf32> {nn.param = "output.bias"}) -> tensor<?x10xf32> attributes {nn.model} {
  %h = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x48xf32>, tensor<48xf32>) -> tensor<?x48xf32>
  %r = nn.relu %h : tensor<?x48xf32> -> tensor<?x48xf32>
  %y = nn.dense %r, %v, %c : (tensor<?x48xf32>, tensor<48x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// CHECK-LABEL: func.func @WideOutput(
// CHECK-NOT:     nn.part
func.func @WideOutput(%x: tensor<?x784xf32> {nn.input = "image"},
                      %w: tensor<784x128xf32> {nn.param = "h.weight"},
                      %b: tensor<128xf32> {nn.param = "h.bias"},
                      %v: tensor<128x64xf32> {nn.param = "output.weight"},
                      %c: tensor<64xf32> {nn.param = "output.bias"}) -> tensor<?x64xf32> attributes {nn.model} {
  %h = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %r = nn.relu %h : tensor<?x128xf32> -> tensor<?x128xf32>
  %y = nn.dense %r, %v, %c : (tensor<?x128xf32>, tensor<128x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @Deep(
// CHECK-SAME:    nn.param = "h1.weight"}
// CHECK-SAME:    nn.param = "h2.weight"}
// CHECK-NOT:     nn.part
func.func @Deep(%x: tensor<?x784xf32> {nn.input = "image"},
                %w1: tensor<784x32xf32> {nn.param = "h1.weight"},
                %b1: tensor<32xf32> {nn.param = "h1.bias"},
                %w: tensor<32x1024xf32> {nn.param = "h2.weight"},
                %b: tensor<1024xf32> {nn.param = "h2.bias"},
                %v: tensor<1024x10xf32> {nn.param = "output.weight"},
                %c: tensor<10xf32> {nn.param = "output.bias"}) -> tensor<?x10xf32> attributes {nn.model} {
  %h1 = nn.dense %x, %w1, %b1 : (tensor<?x784xf32>, tensor<784x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %h = nn.dense %h1, %w, %b : (tensor<?x32xf32>, tensor<32x1024xf32>, tensor<1024xf32>) -> tensor<?x1024xf32>
  %r = nn.relu %h : tensor<?x1024xf32> -> tensor<?x1024xf32>
  %y = nn.dense %r, %v, %c : (tensor<?x1024xf32>, tensor<1024x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// CHECK-LABEL: func.func @ReadTwice(
// CHECK-NOT:     nn.part
func.func @ReadTwice(%x: tensor<?x784xf32> {nn.input = "image"},
                     %w: tensor<784x128xf32> {nn.param = "h.weight"},
                     %b: tensor<128xf32> {nn.param = "h.bias"},
                     %v: tensor<128x10xf32> {nn.param = "output.weight"},
                     %c: tensor<10xf32> {nn.param = "output.bias"}) -> tensor<?x128xf32> attributes {nn.model} {
  %h = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %r = nn.relu %h : tensor<?x128xf32> -> tensor<?x128xf32>
  %y = nn.dense %r, %v, %c : (tensor<?x128xf32>, tensor<128x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  %s = nn.add %h, %r : (tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x128xf32>
  return %s : tensor<?x128xf32>
}
