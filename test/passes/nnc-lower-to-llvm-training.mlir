// RUN: nnc-opt %s --nnc-lower-to-llvm --split-input-file | FileCheck %s
// RUN: nnc-opt %s --nnc-lower-to-llvm --split-input-file | FileCheck %s --check-prefix=ENTRY
// RUN: nnc-opt %s --nnc-lower-to-llvm --split-input-file | FileCheck %s --check-prefix=ONLY-LLVM

// The whole pipeline on trainable models: autodiff and the train-step
// builder add train_step / eval (train_step is also the gradient entry
// point: its update is behind a branch on an i1 argument), the inliner and symbol-dce fold
// the backward function into them and drop it, and everything is lowered to
// the LLVM dialect. The entry points update parameters and optimizer state
// in place (no result for them), take every intermediate buffer from the
// workspace argument (no malloc) and carry the workspace size; f32 math is
// approximated, so they call nothing at all.

// Only llvm ops are left, and no backward function. An op of another dialect
// follows indentation or `= `; attribute names such as `nn.train` follow `{`
// or `, ` and do not count.
// ONLY-LLVM-NOT: {{(^|[^,]) (func|linalg|memref|tensor|bufferization|arith|math|scf|cf|affine|index|vector|nn)\.[a-z_]+}}
// ONLY-LLVM-NOT: unrealized_conversion_cast
// ONLY-LLVM-NOT: backward

// ENTRY-NOT:   .gradient
// ENTRY-LABEL: llvm.func @MLP(
// ENTRY-LABEL: llvm.func @MLP.train_step(
// ENTRY-NOT:     llvm.call
// ENTRY:         llvm.return{{$}}
// ENTRY-LABEL: llvm.func @MLP.eval(
// ENTRY-NOT:     llvm.call
// ENTRY:         llvm.return{{$}}

// The model itself stays, with its attributes.
// CHECK-LABEL: llvm.func @MLP(
// CHECK-SAME:    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", lr = 1.000000e-01 : f64, momentum = 9.000000e-01 : f64, optimizer = "sgd"}}

// train_step(x, labels, step, seed, update, w, b, vw, vb, loss*, gw*, gb*,
// workspace) writes loss and gradients to out-parameters and takes a
// workspace last; batch-sized buffers make its size per example. There is
// no out-parameter for the new parameters and velocities, which the update
// loops, run only when `update` is set, store back into the argument
// buffers.
// CHECK-LABEL: llvm.func @MLP.train_step(
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: i64 {nn.role = "step"}, %{{[^:]*}}: i64 {nn.role = "seed"}, %[[UPDATE:[^:]*]]: i1 {nn.role = "update"},
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[W:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[B:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[VW:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[VB:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[LOSS:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[GW:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[GB:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[WS:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK-SAME:    attributes {nn.entry = "train_step", nn.workspace_fixed = {{[0-9]+}} : i64, nn.workspace_per_example = {{[1-9][0-9]*}} : i64} {
// Intermediates live in the workspace...
// CHECK:         llvm.getelementptr %[[WS]][
// ...the loss and the gradients are written to their out-parameters...
// CHECK:         llvm.store %{{.*}}, %[[LOSS]] : f32, !llvm.ptr
// CHECK:         llvm.getelementptr {{.*}}%[[GW]][
// CHECK:         llvm.getelementptr {{.*}}%[[GB]][
// ...and, if `update` is set, the SGD loops (on row vectors, see
// nnc-vectorize-rows) read w / vw and the gradient and update w / vw, then
// b / vb, in place. The 4x8 w is one flat row of two whole vectors; the 8
// values of b are half of one, masked.
// CHECK:         llvm.cond_br %[[UPDATE]], ^[[UPDATING:.*]], ^
// CHECK:       ^[[UPDATING]]:
// CHECK:         llvm.getelementptr %[[W]][
// CHECK:         llvm.load {{.*}} : !llvm.ptr -> vector<16xf32>
// CHECK:         llvm.getelementptr %[[VW]][
// CHECK:         llvm.load {{.*}} : !llvm.ptr -> vector<16xf32>
// CHECK:         llvm.getelementptr %[[GW]][
// CHECK:         llvm.load {{.*}} : !llvm.ptr -> vector<16xf32>
// CHECK:         %[[PW:.*]] = llvm.getelementptr %[[W]][
// CHECK:         llvm.store %{{.*}}, %[[PW]] {{.*}} : vector<16xf32>, !llvm.ptr
// CHECK:         %[[PVW:.*]] = llvm.getelementptr %[[VW]][
// CHECK:         llvm.store %{{.*}}, %[[PVW]] {{.*}} : vector<16xf32>, !llvm.ptr
// CHECK:         llvm.getelementptr %[[B]][
// CHECK:         llvm.intr.masked.load
// CHECK:         llvm.getelementptr %[[VB]][
// CHECK:         llvm.intr.masked.load
// CHECK:         llvm.getelementptr %[[GB]][
// CHECK:         llvm.intr.masked.load
// CHECK:         %[[PB:.*]] = llvm.getelementptr %[[B]][
// CHECK:         llvm.intr.masked.store %{{.*}}, %[[PB]]
// CHECK:         %[[PVB:.*]] = llvm.getelementptr %[[VB]][
// CHECK:         llvm.intr.masked.store %{{.*}}, %[[PVB]]
// CHECK:         llvm.return{{$}}

// eval(x, labels, w, b) -> loss*, correct* (an i64), workspace.
// CHECK-LABEL: llvm.func @MLP.eval(
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[LOSS:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[CORRECT:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK-SAME:    attributes {nn.entry = "eval", nn.workspace_fixed = {{[0-9]+}} : i64, nn.workspace_per_example = {{[1-9][0-9]*}} : i64} {
// CHECK:         llvm.store %{{.*}}, %[[LOSS]] : f32, !llvm.ptr
// CHECK:         llvm.store %{{.*}}, %[[CORRECT]] : i64, !llvm.ptr
// CHECK:         llvm.return{{$}}
func.func @MLP(%x: tensor<?x4xf32> {nn.input = "x"},
               %w: tensor<4x8xf32> {nn.param = "h.weight", nn.init = "xavier_uniform"},
               %b: tensor<8xf32> {nn.param = "h.bias", nn.init = "zeros"}) -> tensor<?x8xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "sgd", lr = 0.1 : f64, momentum = 0.9 : f64}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = nn.tanh %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// Two layers, MSE and Adam. The forward function may allocate (its hidden
// layer); the entry points still do not, and Adam's bias corrections (exp of
// step * ln beta) are approximated rather than calls.
// ENTRY-LABEL: llvm.func @Reg(
// ENTRY-LABEL: llvm.func @Reg.train_step(
// ENTRY-NOT:     llvm.call
// ENTRY-NOT:     llvm.intr.exp
// ENTRY:         llvm.return{{$}}
// ENTRY-LABEL: llvm.func @Reg.eval(
// ENTRY-NOT:     llvm.call
// ENTRY:         llvm.return{{$}}

// CHECK-LABEL: llvm.func @Reg.train_step(
// CHECK-SAME:    i64 {nn.role = "step"},
// CHECK-SAME:    attributes {nn.entry = "train_step", nn.workspace_fixed = {{[0-9]+}} : i64, nn.workspace_per_example = {{[1-9][0-9]*}} : i64} {
// CHECK:         llvm.intr.sqrt
// CHECK:         llvm.return{{$}}
// CHECK-LABEL: llvm.func @Reg.eval(
// CHECK-SAME:    attributes {nn.entry = "eval", nn.workspace_fixed = {{[0-9]+}} : i64, nn.workspace_per_example = {{[1-9][0-9]*}} : i64} {
func.func @Reg(%x: tensor<?x4xf32> {nn.input = "x"},
               %w: tensor<4x8xf32> {nn.param = "h.weight", nn.init = "xavier_uniform"},
               %b: tensor<8xf32> {nn.param = "h.bias", nn.init = "zeros"},
               %w2: tensor<8x2xf32> {nn.param = "out.weight", nn.init = "xavier_uniform"},
               %b2: tensor<2xf32> {nn.param = "out.bias", nn.init = "zeros"}) -> tensor<?x2xf32>
    attributes {nn.model, nn.train = {loss = "mse", optimizer = "adam", lr = 0.001 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = nn.relu %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  %2 = nn.dense %1, %w2, %b2 : (tensor<?x8xf32>, tensor<8x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %3 = nn.sigmoid %2 : tensor<?x2xf32> -> tensor<?x2xf32>
  return %3 : tensor<?x2xf32>
}

// -----

// Two dense layers on the same input whose outputs are added have equal
// weight gradients and equal bias gradients, which CSE merges; each still
// gets an out-parameter of its own, filled by a copy (an intrinsic, not a
// call).
// ENTRY-LABEL: llvm.func @Twin(
// ENTRY-LABEL: llvm.func @Twin.train_step(
// ENTRY-NOT:     llvm.call
// ENTRY:         llvm.return{{$}}
// ENTRY-LABEL: llvm.func @Twin.eval(
// ENTRY-NOT:     llvm.call
// ENTRY:         llvm.return{{$}}

// CHECK-LABEL: llvm.func @Twin.train_step(
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: i64 {nn.role = "step"}, %{{[^:]*}}: i64 {nn.role = "seed"}, %{{[^:]*}}: i1 {nn.role = "update"},
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[GW1:[^:]*]]: !llvm.ptr, %[[GW1OFF:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[GB1:[^:]*]]: !llvm.ptr, %[[GB1OFF:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[GW2:[^:]*]]: !llvm.ptr, %[[GW2OFF:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[GB2:[^:]*]]: !llvm.ptr, %[[GB2OFF:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK-SAME:    attributes {nn.entry = "train_step", nn.workspace_fixed = {{[0-9]+}} : i64, nn.workspace_per_example = {{[1-9][0-9]*}} : i64} {
// CHECK:         %[[FROM1:.*]] = llvm.getelementptr %[[GW1]][%[[GW1OFF]]]
// CHECK:         %[[TO1:.*]] = llvm.getelementptr %[[GW2]][
// CHECK:         "llvm.intr.memcpy"(%[[TO1]], %[[FROM1]], %{{.*}})
// CHECK:         %[[FROM2:.*]] = llvm.getelementptr %[[GB1]][%[[GB1OFF]]]
// CHECK:         %[[TO2:.*]] = llvm.getelementptr %[[GB2]][
// CHECK:         "llvm.intr.memcpy"(%[[TO2]], %[[FROM2]], %{{.*}})
// CHECK:         llvm.return{{$}}
func.func @Twin(%x: tensor<?x4xf32> {nn.input = "x"},
                %w1: tensor<4x3xf32> {nn.param = "a.weight"}, %b1: tensor<3xf32> {nn.param = "a.bias"},
                %w2: tensor<4x3xf32> {nn.param = "b.weight"}, %b2: tensor<3xf32> {nn.param = "b.bias"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "adam", lr = 0.001 : f64}} {
  %0 = nn.dense %x, %w1, %b1 : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.dense %x, %w2, %b2 : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %2 = nn.add %0, %1 : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}
