// RUN: nnc-opt %s --nnc-build-train-forward --split-input-file -verify-diagnostics

// Running statistics must be model state the train step can replace.
func.func @NotState(%x: tensor<?x2xf32> {nn.input = "x"}, %g: tensor<2xf32> {nn.param = "g"},
                    %b: tensor<2xf32> {nn.param = "b"}, %m: tensor<2xf32> {nn.param = "m"},
                    %v: tensor<2xf32> {nn.param = "v", nn.buffer})
    -> tensor<?x2xf32> attributes {nn.model, nn.train = {loss = "mse", optimizer = "sgd"}} {
  // expected-error @+1 {{unsupported: the model state this op updates is not a model argument marked 'nn.buffer'}}
  %0 = nn.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @Twice(%x: tensor<?x2xf32> {nn.input = "x"}, %g: tensor<2xf32> {nn.param = "g"},
                 %b: tensor<2xf32> {nn.param = "b"}, %m: tensor<2xf32> {nn.param = "m", nn.buffer},
                 %v: tensor<2xf32> {nn.param = "v", nn.buffer})
    -> tensor<?x2xf32> attributes {nn.model, nn.train = {loss = "mse", optimizer = "sgd"}} {
  %0 = nn.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  // expected-error @+1 {{unsupported: model state argument 3 is updated twice}}
  %1 = nn.batchnorm %0, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}
