// RUN: nnc-opt %s --nnc-autodiff --nnc-build-train-step --split-input-file -verify-diagnostics | FileCheck %s
// RUN: not nnc-opt %s --nnc-build-train-step --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=NO-AUTODIFF

// For every model with an `nn.train` dictionary, nnc-build-train-step adds
// @M.train_step and @M.eval, built from calls to the model and to
// @M.backward (from nnc-autodiff), the loss and the optimizer update, which
// runs in an scf.if on the `update` argument: without it, train_step is the
// gradient entry point (there is no @M.gradient). Arguments and results
// carry `nn.role`, parameter and state arguments also the parameter's
// `nn.param`, and each function `nn.entry`.
//
// The second run leaves out nnc-autodiff, so every trainable model lacks its
// backward function.

// softmax cross-entropy with plain SGD (momentum 0): no optimizer state.
// CHECK-NOT: @MLP.gradient
// CHECK-LABEL: func.func @MLP.train_step(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32> {nn.role = "input"},
// CHECK-SAME:    %[[Y:[^:]*]]: tensor<?xi32> {nn.role = "labels"},
// CHECK-SAME:    %[[STEP:[^:]*]]: i64 {nn.role = "step"},
// CHECK-SAME:    %[[SEED:[^:]*]]: i64 {nn.role = "seed"},
// CHECK-SAME:    %[[UPDATE:[^:]*]]: i1 {nn.role = "update"},
// CHECK-SAME:    %[[W:[^:]*]]: tensor<4x3xf32> {nn.param = "h.weight", nn.role = "param"},
// CHECK-SAME:    %[[B:[^:]*]]: tensor<3xf32> {nn.param = "h.bias", nn.role = "param"})
// CHECK-SAME:    -> (tensor<f32> {nn.role = "loss"}, tensor<4x3xf32> {nn.role = "grad"}, tensor<3xf32> {nn.role = "grad"},
// CHECK-SAME:        tensor<4x3xf32> {nn.role = "param"}, tensor<3xf32> {nn.role = "param"})
// CHECK-SAME:    attributes {nn.entry = "train_step"}
// CHECK:         %[[KEY:.*]] = arith.xori %[[SEED]], %{{.*}} : i64
// CHECK:         %[[OUT:.*]] = call @MLP(%[[X]], %[[W]], %[[B]])
// CHECK:         %[[LOSS:.*]] = nn.softmax_cross_entropy %[[OUT]], %[[Y]] : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
// CHECK:         %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[DOUT:.*]] = nn.softmax_cross_entropy_grad %[[OUT]], %[[Y]], %[[ONE]]
// CHECK:         %[[G:.*]]:2 = call @MLP.backward(%[[X]], %[[W]], %[[B]], %[[DOUT]])
// CHECK:         %[[NEW:.*]]:2 = scf.if %[[UPDATE]] -> (tensor<4x3xf32>, tensor<3xf32>) {
// CHECK:           %[[NW:.*]] = nn.sgd_update %[[W]], %[[G]]#0 {lr = 1.000000e-01 : f64, momentum = 0.000000e+00 : f64, weight_decay = 0.000000e+00 : f64} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK:           %[[NB:.*]] = nn.sgd_update %[[B]], %[[G]]#1 {lr = 1.000000e-01 : f64, momentum = 0.000000e+00 : f64, weight_decay = 0.000000e+00 : f64} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK:           scf.yield %[[NW]], %[[NB]]
// CHECK:         } else {
// CHECK:           scf.yield %[[W]], %[[B]]
// CHECK:         }
// CHECK:         return %[[LOSS]], %[[G]]#0, %[[G]]#1, %[[NEW]]#0, %[[NEW]]#1

// Cross-entropy models count the correct predictions.
// CHECK-LABEL: func.func @MLP.eval(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32> {nn.role = "input"},
// CHECK-SAME:    %[[Y:[^:]*]]: tensor<?xi32> {nn.role = "labels"},
// CHECK-SAME:    %[[W:[^:]*]]: tensor<4x3xf32> {nn.param = "h.weight", nn.role = "param"},
// CHECK-SAME:    %[[B:[^:]*]]: tensor<3xf32> {nn.param = "h.bias", nn.role = "param"})
// CHECK-SAME:    -> (tensor<f32> {nn.role = "loss"}, tensor<i64> {nn.role = "correct"})
// CHECK-SAME:    attributes {nn.entry = "eval"}
// CHECK:         %[[OUT:.*]] = call @MLP(%[[X]], %[[W]], %[[B]])
// CHECK:         %[[LOSS:.*]] = nn.softmax_cross_entropy %[[OUT]], %[[Y]]
// CHECK:         %[[C:.*]] = nn.count_correct %[[OUT]], %[[Y]] : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<i64>
// CHECK:         return %[[LOSS]], %[[C]] : tensor<f32>, tensor<i64>

// NO-AUTODIFF: nnc-build-train-step.mlir:[[@LINE+1]]:1: error: no '@MLP.backward': run nnc-autodiff first
func.func @MLP(%x: tensor<?x4xf32> {nn.input = "x"},
               %w: tensor<4x3xf32> {nn.param = "h.weight", nn.init = "xavier_uniform"},
               %b: tensor<3xf32> {nn.param = "h.bias", nn.init = "zeros"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "sgd", lr = 0.1 : f64, momentum = 0.0 : f64, weight_decay = 0.0 : f64}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// SGD with momentum > 0 and weight decay: one velocity per parameter, after
// the parameters, updated and returned after the new parameters.
// CHECK-LABEL: func.func @momentum.train_step(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32> {nn.role = "input"},
// CHECK-SAME:    %[[Y:[^:]*]]: tensor<?xi32> {nn.role = "labels"},
// CHECK-SAME:    %[[STEP:[^:]*]]: i64 {nn.role = "step"},
// CHECK-SAME:    %[[SEED:[^:]*]]: i64 {nn.role = "seed"},
// CHECK-SAME:    %[[UPDATE:[^:]*]]: i1 {nn.role = "update"},
// CHECK-SAME:    %[[W:[^:]*]]: tensor<4x3xf32> {nn.param = "w", nn.role = "param"},
// CHECK-SAME:    %[[B:[^:]*]]: tensor<3xf32> {nn.param = "b", nn.role = "param"},
// CHECK-SAME:    %[[VW:[^:]*]]: tensor<4x3xf32> {nn.param = "w", nn.role = "state"},
// CHECK-SAME:    %[[VB:[^:]*]]: tensor<3xf32> {nn.param = "b", nn.role = "state"})
// CHECK-SAME:    -> (tensor<f32> {nn.role = "loss"}, tensor<4x3xf32> {nn.role = "grad"}, tensor<3xf32> {nn.role = "grad"},
// CHECK-SAME:        tensor<4x3xf32> {nn.role = "param"}, tensor<3xf32> {nn.role = "param"},
// CHECK-SAME:        tensor<4x3xf32> {nn.role = "state"}, tensor<3xf32> {nn.role = "state"})
// CHECK:         %[[KEY:.*]] = arith.xori %[[SEED]], %{{.*}} : i64
// CHECK:         %[[OUT:.*]] = call @momentum(%[[X]], %[[W]], %[[B]])
// CHECK:         %[[LOSS:.*]] = nn.{{softmax_cross_entropy|mse}} %[[OUT]], %[[Y]]
// CHECK:         %[[G:.*]]:2 = call @momentum.backward(%[[X]], %[[W]], %[[B]], %{{.*}})
// CHECK:         %[[NEW:.*]]:4 = scf.if %[[UPDATE]]
// CHECK:           %[[UW:.*]]:2 = nn.sgd_update %[[W]], %[[G]]#0, %[[VW]] {lr = 5.000000e-02 : f64, momentum = 9.000000e-01 : f64, weight_decay = 1.000000e-03 : f64} : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK:           %[[UB:.*]]:2 = nn.sgd_update %[[B]], %[[G]]#1, %[[VB]] {lr = 5.000000e-02 : f64, momentum = 9.000000e-01 : f64, weight_decay = 1.000000e-03 : f64} : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
// CHECK:           scf.yield %[[UW]]#0, %[[UB]]#0, %[[UW]]#1, %[[UB]]#1
// CHECK:         } else {
// CHECK:           scf.yield %[[W]], %[[B]], %[[VW]], %[[VB]]
// CHECK:         }
// CHECK:         return %[[LOSS]], %[[G]]#0, %[[G]]#1, %[[NEW]]#0, %[[NEW]]#1, %[[NEW]]#2, %[[NEW]]#3
func.func @momentum(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                    %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "sgd", lr = 0.05 : f64, momentum = 0.9 : f64, weight_decay = 0.001 : f64}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Hyper-parameters missing from the dictionary take SGD's defaults (lr 0.01,
// no momentum, no weight decay); other keys (batch, epochs) are the
// runtime's.
// CHECK-LABEL: func.func @defaults.train_step(
// CHECK-SAME:    %{{[^:]*}}: tensor<3xf32> {nn.param = "b", nn.role = "param"})
// CHECK:         nn.sgd_update %{{.*}}, %{{.*}} {lr = 1.000000e-02 : f64, momentum = 0.000000e+00 : f64, weight_decay = 0.000000e+00 : f64} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
func.func @defaults(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                    %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "sgd", batch = 32 : i64, epochs = 3 : i64}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Adam: two moments per parameter, all first moments then all second ones,
// and the step counter feeds every update.
// CHECK-LABEL: func.func @adam.train_step(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32> {nn.role = "input"},
// CHECK-SAME:    %[[Y:[^:]*]]: tensor<?xi32> {nn.role = "labels"},
// CHECK-SAME:    %[[STEP:[^:]*]]: i64 {nn.role = "step"},
// CHECK-SAME:    %[[SEED:[^:]*]]: i64 {nn.role = "seed"},
// CHECK-SAME:    %[[UPDATE:[^:]*]]: i1 {nn.role = "update"},
// CHECK-SAME:    %[[W:[^:]*]]: tensor<4x3xf32> {nn.param = "w", nn.role = "param"},
// CHECK-SAME:    %[[B:[^:]*]]: tensor<3xf32> {nn.param = "b", nn.role = "param"},
// CHECK-SAME:    %[[MW:[^:]*]]: tensor<4x3xf32> {nn.param = "w", nn.role = "state"},
// CHECK-SAME:    %[[MB:[^:]*]]: tensor<3xf32> {nn.param = "b", nn.role = "state"},
// CHECK-SAME:    %[[VW:[^:]*]]: tensor<4x3xf32> {nn.param = "w", nn.role = "state"},
// CHECK-SAME:    %[[VB:[^:]*]]: tensor<3xf32> {nn.param = "b", nn.role = "state"})
// CHECK-SAME:    -> (tensor<f32> {nn.role = "loss"}, tensor<4x3xf32> {nn.role = "grad"}, tensor<3xf32> {nn.role = "grad"},
// CHECK-SAME:        tensor<4x3xf32> {nn.role = "param"}, tensor<3xf32> {nn.role = "param"},
// CHECK-SAME:        tensor<4x3xf32> {nn.role = "state"}, tensor<3xf32> {nn.role = "state"},
// CHECK-SAME:        tensor<4x3xf32> {nn.role = "state"}, tensor<3xf32> {nn.role = "state"})
// CHECK-SAME:    attributes {nn.entry = "train_step"}
// CHECK:         %[[KEY:.*]] = arith.xori %[[SEED]], %{{.*}} : i64
// CHECK:         %[[OUT:.*]] = call @adam(%[[X]], %[[W]], %[[B]])
// CHECK:         %[[LOSS:.*]] = nn.{{softmax_cross_entropy|mse}} %[[OUT]], %[[Y]]
// CHECK:         %[[G:.*]]:2 = call @adam.backward(%[[X]], %[[W]], %[[B]], %{{.*}})
// CHECK:         %[[NEW:.*]]:6 = scf.if %[[UPDATE]]
// CHECK:           %[[PW:.*]], %[[NMW:.*]], %[[NVW:.*]] = nn.adam_update %[[W]], %[[G]]#0, %[[MW]], %[[VW]], %[[STEP]] {beta1 = 8.000000e-01 : f64, beta2 = 7.500000e-01 : f64, eps = 1.000000e-05 : f64, lr = 2.000000e-03 : f64}
// CHECK:           %[[PB:.*]], %[[NMB:.*]], %[[NVB:.*]] = nn.adam_update %[[B]], %[[G]]#1, %[[MB]], %[[VB]], %[[STEP]] {beta1 = 8.000000e-01 : f64, beta2 = 7.500000e-01 : f64, eps = 1.000000e-05 : f64, lr = 2.000000e-03 : f64}
// CHECK:           scf.yield %[[PW]], %[[PB]], %[[NMW]], %[[NMB]], %[[NVW]], %[[NVB]]
// CHECK:         } else {
// CHECK:           scf.yield %[[W]], %[[B]], %[[MW]], %[[MB]], %[[VW]], %[[VB]]
// CHECK:         }
// CHECK:         return %[[LOSS]], %[[G]]#0, %[[G]]#1, %[[NEW]]#0, %[[NEW]]#1, %[[NEW]]#2, %[[NEW]]#3, %[[NEW]]#4, %[[NEW]]#5
func.func @adam(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "adam", lr = 0.002 : f64, beta1 = 0.8 : f64, beta2 = 0.75 : f64, eps = 1.0e-5 : f64}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Adam's betas and eps default to PyTorch's; momentum means nothing to Adam.
// CHECK-LABEL: func.func @adam_defaults.train_step(
// CHECK:         nn.adam_update {{.*}} {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 1.000000e-08 : f64, lr = 1.000000e-03 : f64}
// CHECK-NOT:     momentum
// CHECK:         return
func.func @adam_defaults(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                         %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "adam", lr = 0.001 : f64, momentum = 0.9 : f64}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// MSE on an f64 model whose input is not its first argument: labels have the
// output's type, the loss and its seed are f64, the model and its backward
// are called in model argument order, and eval counts nothing (a constant 0).
// CHECK-LABEL: func.func @mse.train_step(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf64> {nn.role = "input"},
// CHECK-SAME:    %[[Y:[^:]*]]: tensor<?x3xf64> {nn.role = "labels"},
// CHECK-SAME:    i64 {nn.role = "step"}, %{{[^:]*}}: i64 {nn.role = "seed"}, %{{[^:]*}}: i1 {nn.role = "update"},
// CHECK-SAME:    %[[W:[^:]*]]: tensor<4x3xf64> {nn.param = "w", nn.role = "param"},
// CHECK-SAME:    %[[B:[^:]*]]: tensor<3xf64> {nn.param = "b", nn.role = "param"})
// CHECK-SAME:    -> (tensor<f64> {nn.role = "loss"}, tensor<4x3xf64> {nn.role = "grad"}, tensor<3xf64> {nn.role = "grad"},
// CHECK:         %[[OUT:.*]] = call @mse(%[[W]], %[[X]], %[[B]]) : (tensor<4x3xf64>, tensor<?x4xf64>, tensor<3xf64>) -> tensor<?x3xf64>
// CHECK:         %[[LOSS:.*]] = nn.mse %[[OUT]], %[[Y]] : (tensor<?x3xf64>, tensor<?x3xf64>) -> tensor<f64>
// CHECK:         %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f64>
// CHECK:         %[[DOUT:.*]] = nn.mse_grad %[[OUT]], %[[Y]], %[[ONE]] : (tensor<?x3xf64>, tensor<?x3xf64>, tensor<f64>) -> tensor<?x3xf64>
// CHECK:         %[[G:.*]]:2 = call @mse.backward(%[[W]], %[[X]], %[[B]], %[[DOUT]])
// CHECK:         nn.sgd_update {{.*}} : (tensor<4x3xf64>, tensor<4x3xf64>) -> tensor<4x3xf64>
// CHECK:         nn.sgd_update {{.*}} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>

// CHECK-LABEL: func.func @mse.eval(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf64> {nn.role = "input"},
// CHECK-SAME:    %[[Y:[^:]*]]: tensor<?x3xf64> {nn.role = "labels"},
// CHECK-SAME:    %[[W:[^:]*]]: tensor<4x3xf64> {nn.param = "w", nn.role = "param"},
// CHECK-SAME:    %[[B:[^:]*]]: tensor<3xf64> {nn.param = "b", nn.role = "param"})
// CHECK-SAME:    -> (tensor<f64> {nn.role = "loss"}, tensor<i64> {nn.role = "correct"})
// CHECK:         %[[OUT:.*]] = call @mse(%[[W]], %[[X]], %[[B]])
// CHECK:         %[[LOSS:.*]] = nn.mse %[[OUT]], %[[Y]]
// CHECK-NOT:     nn.count_correct
// CHECK:         %[[ZERO:.*]] = arith.constant dense<0> : tensor<i64>
// CHECK:         return %[[LOSS]], %[[ZERO]] : tensor<f64>, tensor<i64>
func.func @mse(%w: tensor<4x3xf64> {nn.param = "w"}, %x: tensor<?x4xf64> {nn.input = "x"},
               %b: tensor<3xf64> {nn.param = "b"}) -> tensor<?x3xf64>
    attributes {nn.model, nn.train = {loss = "mse", optimizer = "sgd", lr = 0.01 : f64}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf64>, tensor<4x3xf64>, tensor<3xf64>) -> tensor<?x3xf64>
  return %0 : tensor<?x3xf64>
}

// -----

// MSE accepts a rank-3 output; the labels take its shape.
// CHECK-LABEL: func.func @mse_rank3.train_step(
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2x3xf32> {nn.role = "labels"}
// CHECK:         nn.mse %{{.*}}, %{{.*}} : (tensor<?x2x3xf32>, tensor<?x2x3xf32>) -> tensor<f32>
func.func @mse_rank3(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x6xf32> {nn.param = "w"},
                     %b: tensor<6xf32> {nn.param = "b"}) -> tensor<?x2x3xf32>
    attributes {nn.model, nn.train = {loss = "mse", optimizer = "sgd"}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x6xf32>, tensor<6xf32>) -> tensor<?x6xf32>
  %1 = nn.reshape %0 {shape = array<i64: 2, 3>} : tensor<?x6xf32> -> tensor<?x2x3xf32>
  return %1 : tensor<?x2x3xf32>
}

// -----

// A model without nn.train gets a backward function but no entry points.
// CHECK-LABEL: func.func @inference_only(
// CHECK:       func.func private @inference_only.backward(
// CHECK-NOT:   nn.entry
// CHECK-NOT:   @inference_only.
func.func @inference_only(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                          %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

// expected-error @+1 {{unsupported: loss 'hinge'}}
func.func @hinge(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                 %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "hinge", optimizer = "sgd"}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// The pass has no default loss (the frontend always writes one).
// expected-error @+1 {{unsupported: loss ''}}
func.func @no_loss(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                   %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {optimizer = "sgd"}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// expected-error @+1 {{unsupported: optimizer 'rmsprop'}}
func.func @rmsprop(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                   %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "mse", optimizer = "rmsprop"}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Labels are supplied per example, so a model takes exactly one input.
// expected-error @+1 {{unsupported: training needs one input, at least one parameter and one result}}
func.func @two_inputs(%x: tensor<?x4xf32> {nn.input = "x"}, %z: tensor<?x4xf32> {nn.input = "z"},
                      %w: tensor<4x3xf32> {nn.param = "w"}, %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "mse", optimizer = "sgd"}} {
  %0 = nn.add %x, %z : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %1 = nn.dense %0, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// expected-error @+1 {{unsupported: training needs one input, at least one parameter and one result}}
func.func @no_params(%x: tensor<?x4xf32> {nn.input = "x"}) -> tensor<?x4xf32>
    attributes {nn.model, nn.train = {loss = "mse", optimizer = "sgd"}} {
  %0 = nn.relu %x : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
