// RUN: nnc-opt %s --nnc-build-train-forward --split-input-file -verify-diagnostics | FileCheck %s
// RUN: nnc-opt %s --nnc-build-train-forward --nnc-autodiff --nnc-build-train-step --split-input-file | FileCheck %s --check-prefix=STEP

// A trained model with batch norm and dropout gets @M.train_forward: a
// private copy with an i64 key argument in which batch norm uses the batch
// statistics and returns its new running statistics (extra results naming
// the argument they replace) and dropout draws its mask from the key, one
// stream per op. The model itself keeps its inference form.

// CHECK-LABEL: func.func @Net(
// CHECK:         nn.batchnorm %{{.*}}
// CHECK:         nn.dropout %{{.*}}
// CHECK-LABEL: func.func private @Net.train_forward(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x2x3x3xf32> {nn.input = "x"},
// CHECK-SAME:    %[[G:[^:]*]]: tensor<2xf32> {nn.init = "ones", nn.param = "bn.weight"},
// CHECK-SAME:    %[[B:[^:]*]]: tensor<2xf32> {nn.init = "zeros", nn.param = "bn.bias"},
// CHECK-SAME:    %[[M:[^:]*]]: tensor<2xf32> {nn.buffer, nn.init = "zeros", nn.param = "bn.running_mean"},
// CHECK-SAME:    %[[V:[^:]*]]: tensor<2xf32> {nn.buffer, nn.init = "ones", nn.param = "bn.running_var"},
// CHECK-SAME:    %[[KEY:[^:]*]]: i64 {nn.key})
// CHECK-SAME:    -> (tensor<?x2x3x3xf32>, tensor<2xf32> {nn.updates = 3 : i64}, tensor<2xf32> {nn.updates = 4 : i64})
// CHECK-SAME:    attributes {nn.train_forward_of = @Net}
// CHECK:         %[[Y:.*]], %[[NM:.*]], %[[NV:.*]] = nn.batchnorm_train %[[X]], %[[G]], %[[B]], %[[M]], %[[V]] {epsilon = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64}
// CHECK:         %[[D0:.*]] = nn.dropout_train %[[Y]], %[[KEY]] {rate = 5.000000e-01 : f64, stream = 1 : i64}
// CHECK:         %[[D1:.*]] = nn.dropout_train %[[D0]], %[[KEY]] {rate = 2.500000e-01 : f64, stream = 2 : i64}
// CHECK:         return %[[D1]], %[[NM]], %[[NV]]

// The train step keys the forward with seed ^ (step * golden ratio) (the
// gradient entry point passes step 0: the key is the seed), stores the new
// running statistics in place of an optimizer update, in the branch that
// updates, and passes their optimizer state through; eval runs the
// inference form.
// STEP-NOT:     @Net.gradient
// STEP-LABEL: func.func @Net.train_step(
// STEP-SAME:    %[[STEP:[^:]*]]: i64 {nn.role = "step"}, %[[SEED:[^:]*]]: i64 {nn.role = "seed"}, %[[UPDATE:[^:]*]]: i1 {nn.role = "update"},
// STEP-SAME:    %[[G:[^:]*]]: tensor<2xf32> {nn.param = "bn.weight", nn.role = "param"}, %[[B:[^:]*]]: tensor<2xf32> {nn.param = "bn.bias", nn.role = "param"},
// STEP-SAME:    %[[M:[^:]*]]: tensor<2xf32> {nn.param = "bn.running_mean", nn.role = "param"}, %[[V:[^:]*]]: tensor<2xf32> {nn.param = "bn.running_var", nn.role = "param"},
// STEP-SAME:    %[[MG:[^:]*]]: tensor<2xf32> {nn.param = "bn.weight", nn.role = "state"}, %[[MB:[^:]*]]: tensor<2xf32> {nn.param = "bn.bias", nn.role = "state"},
// STEP-SAME:    %[[MM:[^:]*]]: tensor<2xf32> {nn.param = "bn.running_mean", nn.role = "state"}, %[[MV:[^:]*]]: tensor<2xf32> {nn.param = "bn.running_var", nn.role = "state"})
// STEP:         %[[GOLDEN:.*]] = arith.constant -7046029254386353131 : i64
// STEP:         %[[MIX:.*]] = arith.muli %[[STEP]], %[[GOLDEN]] : i64
// STEP:         %[[KEY:.*]] = arith.xori %[[SEED]], %[[MIX]] : i64
// STEP:         %[[F:.*]]:3 = call @Net.train_forward(%{{.*}}, %[[G]], %[[B]], %[[M]], %[[V]], %[[KEY]])
// STEP:         %[[LOSS:.*]] = nn.mse %[[F]]#0
// STEP:         %[[GR:.*]]:4 = call @Net.backward(
// STEP:         %[[NEW:.*]]:12 = scf.if %[[UPDATE]]
// STEP:           %[[NG:.*]], %{{.*}}, %{{.*}} = nn.adam_update %[[G]], %[[GR]]#0, %[[MG]]
// STEP:           %[[NB:.*]], %{{.*}}, %{{.*}} = nn.adam_update %[[B]], %[[GR]]#1, %[[MB]]
// STEP-NOT:       nn.adam_update
// STEP:           %[[NM:.*]] = linalg.copy ins(%[[F]]#1 : tensor<2xf32>) outs(%[[M]] : tensor<2xf32>)
// STEP:           %[[NV:.*]] = linalg.copy ins(%[[F]]#2 : tensor<2xf32>) outs(%[[V]] : tensor<2xf32>)
// STEP:           scf.yield %[[NG]], %[[NB]], %[[NM]], %[[NV]], {{.*}}, %[[MM]], %[[MV]] :
// STEP:         } else {
// STEP:           scf.yield %[[G]], %[[B]], %[[M]], %[[V]],
// STEP:         }
// STEP:         return %[[LOSS]], %[[GR]]#0, %[[GR]]#1, %[[GR]]#2, %[[GR]]#3, %[[NEW]]#0, %[[NEW]]#1, %[[NEW]]#2, %[[NEW]]#3, %[[NEW]]#4, %[[NEW]]#5, %[[NEW]]#6, %[[NEW]]#7
// STEP-LABEL: func.func @Net.eval(
// STEP:         call @Net(
func.func @Net(%x: tensor<?x2x3x3xf32> {nn.input = "x"},
               %g: tensor<2xf32> {nn.param = "bn.weight", nn.init = "ones"},
               %b: tensor<2xf32> {nn.param = "bn.bias", nn.init = "zeros"},
               %m: tensor<2xf32> {nn.param = "bn.running_mean", nn.init = "zeros", nn.buffer},
               %v: tensor<2xf32> {nn.param = "bn.running_var", nn.init = "ones", nn.buffer})
    -> tensor<?x2x3x3xf32> attributes {nn.model, nn.train = {loss = "mse", optimizer = "adam"}} {
  %0 = nn.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x3x3xf32>
  %1 = nn.dropout %0 {rate = 0.5 : f64} : tensor<?x2x3x3xf32> -> tensor<?x2x3x3xf32>
  %2 = nn.dropout %1 {rate = 0.25 : f64} : tensor<?x2x3x3xf32> -> tensor<?x2x3x3xf32>
  return %2 : tensor<?x2x3x3xf32>
}

// -----

// Models without such ops, and models that are not trained, get nothing.
// CHECK-NOT: train_forward
func.func @Plain(%x: tensor<?x4xf32> {nn.input = "x"}, %w: tensor<4x3xf32> {nn.param = "w"},
                 %b: tensor<3xf32> {nn.param = "b"}) -> tensor<?x3xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "sgd"}} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
func.func @Untrained(%x: tensor<?x4xf32> {nn.input = "x"}) -> tensor<?x4xf32> attributes {nn.model} {
  %0 = nn.dropout %x {rate = 0.5 : f64} : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

