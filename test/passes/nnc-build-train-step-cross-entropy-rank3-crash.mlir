// RUN: nnc-opt %s --nnc-autodiff --nnc-build-train-step -verify-diagnostics

// Regression test for a fixed bug: a trainable model whose output is not [batch, classes] with
// loss = "softmax_cross_entropy" crashes nnc-build-train-step: it calls
// nn::SoftmaxCrossEntropyOp::create unchecked, type inference fails, the
// message below is emitted, and then nnc-opt aborts with "LLVM ERROR: Failed
// to infer result type(s)" (exit 134) instead of failing the pass. The
// frontend rejects such models, but hand-written IR must not crash the
// compiler either (STYLE.md, "Diagnostics").

// expected-error @+1 {{unsupported: softmax_cross_entropy needs an output of shape [batch, classes], got 'tensor<?x2x5xf32>'}}
func.func @rank3(%x: tensor<?x2x5xf32> {nn.input = "x"}, %s: tensor<?x2x5xf32> {nn.param = "s"}) -> tensor<?x2x5xf32>
    attributes {nn.model, nn.train = {loss = "softmax_cross_entropy", optimizer = "sgd"}} {
  %0 = nn.mul %x, %s : (tensor<?x2x5xf32>, tensor<?x2x5xf32>) -> tensor<?x2x5xf32>
  return %0 : tensor<?x2x5xf32>
}
