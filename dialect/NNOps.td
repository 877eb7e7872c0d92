//===- NNOps.td - Operations of the nn dialect -------------*- tablegen -*-===//
//
// Dense layers, activations, elementwise arithmetic and shape operations.
// Every op infers its result type through MLIR's InferTypeOpInterface, so
// builders need no result type and the verifier reports a wrong one; the
// checks live in `inferReturnTypes` (NNOps.cpp) so that builders, the parser
// and the verifier share one set of messages.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NNOPS_TD
#define NNC_DIALECT_NNOPS_TD

include "dialect/NNBase.td"
include "dialect/NNInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Dense
//===----------------------------------------------------------------------===//

defvar Differentiable = DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>;

def NN_DenseOp : NN_Op<"dense", [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "fully connected layer: input x weight + bias";
  let description = [{
    Computes `result[n, j] = sum_k input[n, k] * weight[k, j] + bias[j]`.
    The input has rank 2 (batch, features); the weight is laid out
    `[in_features, out_features]` and the bias is `[out_features]`.

    ```mlir
    %y = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight, NN_Tensor:$bias);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias attr-dict `:`
    `(` type($input) `,` type($weight) `,` type($bias) `)` `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Unary elementwise activations
//===----------------------------------------------------------------------===//

class NN_UnaryOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])> {
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_ReluOp : NN_UnaryOp<"relu", [Differentiable]> {
  let summary = "rectified linear unit, max(x, 0)";
  let description = [{
    Elementwise `max(x, 0)`. Idempotent: `relu(relu(x))` folds to `relu(x)`.

    ```mlir
    %y = nn.relu %x : tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_TanhOp : NN_UnaryOp<"tanh", [Differentiable]> {
  let summary = "hyperbolic tangent";
  let description = [{
    Elementwise `tanh(x)`.

    ```mlir
    %y = nn.tanh %x : tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
}

def NN_SigmoidOp : NN_UnaryOp<"sigmoid", [Differentiable]> {
  let summary = "logistic function, 1 / (1 + exp(-x))";
  let description = [{
    Elementwise logistic sigmoid.

    ```mlir
    %y = nn.sigmoid %x : tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
}

def NN_SoftmaxOp : NN_UnaryOp<"softmax", [Differentiable]> {
  let summary = "softmax over the last dimension";
  let description = [{
    `result[..., i] = exp(x[..., i] - m) / sum_j exp(x[..., j] - m)` with
    `m = max_j x[..., j]`, which keeps the exponentials from overflowing. The
    input must have at least one dimension besides the batch.

    ```mlir
    %p = nn.softmax %logits : tensor<?x10xf32> -> tensor<?x10xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Binary elementwise arithmetic
//===----------------------------------------------------------------------===//

class NN_BinaryOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])> {
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` `(` type($lhs) `,` type($rhs) `)` `->` type($result)
  }];
}

def NN_AddOp : NN_BinaryOp<"add", [Commutative, Differentiable]> {
  let summary = "elementwise sum of two tensors of the same shape";
  let description = [{
    Operands may be batched activations or unbatched (parameter-shaped)
    tensors such as gradients; all dimensions but the first are static.
    ```mlir
    %s = nn.add %a, %b : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    ```
  }];
}

def NN_MulOp : NN_BinaryOp<"mul", [Commutative, Differentiable]> {
  let summary = "elementwise product of two tensors of the same shape";
  let description = [{
    ```mlir
    %p = nn.mul %a, %b : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Shape operations
//===----------------------------------------------------------------------===//

def NN_FlattenOp : NN_Op<"flatten", [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "collapse every dimension but the batch into one";
  let description = [{
    `tensor<BxD1x...xDnxf32>` becomes `tensor<Bx(D1*...*Dn)xf32>`, row-major.
    Flattening a rank-2 tensor is the identity and folds away, as does a
    flatten of a flatten or of a reshape.

    ```mlir
    %f = nn.flatten %img : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def NN_ReshapeOp : NN_Op<"reshape", [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "reinterpret the per-example dimensions in a new shape";
  let description = [{
    Keeps the batch dimension and gives each example the static `shape`
    (row-major, same number of elements). A reshape to the input's own type
    folds away, and a reshape of a reshape or a flatten reads the original
    input directly.

    ```mlir
    %r = nn.reshape %x {shape = array<i64: 4, 196>} : tensor<?x784xf32> -> tensor<?x4x196xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Gradient building blocks
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_Op<"matmul", [Pure, InferTypeOpAdaptor]> {
  let summary = "2-D matrix product with optional transposes";
  let description = [{
    `result = op(lhs) x op(rhs)` where `op` transposes when the matching flag
    is set. Either operand may carry the dynamic batch dimension; the
    backward pass of `nn.dense` uses it for `dy x W^T` and `x^T x dy`.

    ```mlir
    %dw = nn.matmul %x, %dy {transpose_lhs} : (tensor<?x784xf32>, tensor<?x64xf32>) -> tensor<784x64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` `(` type($lhs) `,` type($rhs) `)` `->` type($result)
  }];
}

def NN_BatchSumOp : NN_Op<"batch_sum", [Pure, InferTypeOpAdaptor]> {
  let summary = "sum over the batch dimension";
  let description = [{
    Drops the leading (batch) dimension by summing over it: the gradient of a
    parameter that every example of the batch used.

    ```mlir
    %db = nn.batch_sum %dy : tensor<?x64xf32> -> tensor<64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

class NN_ActivationGradOp<string mnemonic, string what>
    : NN_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = "gradient of " # what;
  let arguments = (ins NN_Tensor:$forward, NN_Tensor:$result_gradient);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $forward `,` $result_gradient attr-dict `:` `(` type($forward) `,`
    type($result_gradient) `)` `->` type($result)
  }];
}

def NN_ReluGradOp : NN_ActivationGradOp<"relu_grad", "relu"> {
  let description = [{
    `result = dy * (x > 0)`, where `forward` is the relu's *input* `x`.
  }];
}

def NN_TanhGradOp : NN_ActivationGradOp<"tanh_grad", "tanh"> {
  let description = [{
    `result = dy * (1 - y * y)`, where `forward` is the tanh's *result* `y`.
  }];
}

def NN_SigmoidGradOp : NN_ActivationGradOp<"sigmoid_grad", "sigmoid"> {
  let description = [{
    `result = dy * y * (1 - y)`, where `forward` is the sigmoid's *result* `y`.
  }];
}

def NN_SoftmaxGradOp : NN_ActivationGradOp<"softmax_grad", "softmax"> {
  let description = [{
    `result = y * (dy - sum_j(dy_j * y_j))` over the last dimension, where
    `forward` is the softmax's *result* `y`.
  }];
}

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

def NN_SoftmaxCrossEntropyOp : NN_Op<"softmax_cross_entropy",
    [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "mean softmax cross-entropy of logits against class labels";
  let description = [{
    `result = mean_n(logsumexp(logits[n, :]) - logits[n, labels[n]])`, a
    0-d tensor. Labels are integer class indices in `[0, classes)`; the
    compiled code does not check them.

    ```mlir
    %l = nn.softmax_cross_entropy %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_Tensor:$logits, RankedTensorOf<[I32]>:$labels);
  let results = (outs 0DTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` `(` type($logits) `,` type($labels) `)` `->` type($result)
  }];
}

def NN_SoftmaxCrossEntropyGradOp : NN_Op<"softmax_cross_entropy_grad",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "gradient of the mean softmax cross-entropy w.r.t. the logits";
  let description = [{
    `result[n, c] = (softmax(logits)[n, c] - (c == labels[n])) * dloss / batch`.
  }];
  let arguments = (ins NN_Tensor:$logits, RankedTensorOf<[I32]>:$labels,
                       0DTensorOf<[AnyFloat]>:$loss_gradient);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels `,` $loss_gradient attr-dict `:` `(` type($logits) `,`
    type($labels) `,` type($loss_gradient) `)` `->` type($result)
  }];
}

def NN_MseOp : NN_Op<"mse", [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "mean squared error over every element";
  let description = [{
    `result = mean((prediction - target)^2)` over all elements of the batch,
    like PyTorch's `MSELoss()`; a 0-d tensor.
  }];
  let arguments = (ins NN_Tensor:$prediction, NN_Tensor:$target);
  let results = (outs 0DTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $prediction `,` $target attr-dict `:` `(` type($prediction) `,` type($target) `)` `->` type($result)
  }];
}

def NN_MseGradOp : NN_Op<"mse_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "gradient of the mean squared error w.r.t. the prediction";
  let description = [{
    `result = 2 * (prediction - target) * dloss / number_of_elements`.
  }];
  let arguments = (ins NN_Tensor:$prediction, NN_Tensor:$target,
                       0DTensorOf<[AnyFloat]>:$loss_gradient);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $prediction `,` $target `,` $loss_gradient attr-dict `:` `(` type($prediction) `,`
    type($target) `,` type($loss_gradient) `)` `->` type($result)
  }];
}

def NN_CountCorrectOp : NN_Op<"count_correct", [Pure, InferTypeOpAdaptor]> {
  let summary = "number of examples whose arg-max class is the label";
  let description = [{
    The arg-max takes the first maximum, like `torch.argmax`. Result: a 0-d
    i64 tensor.

    ```mlir
    %c = nn.count_correct %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<i64>
    ```
  }];
  let arguments = (ins NN_Tensor:$logits, RankedTensorOf<[I32]>:$labels);
  let results = (outs 0DTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` `(` type($logits) `,` type($labels) `)` `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

def NN_SgdUpdateOp : NN_Op<"sgd_update", [Pure]> {
  let summary = "one SGD step on a parameter (PyTorch semantics)";
  let description = [{
    With `g' = grad + weight_decay * param`: without a velocity,
    `param' = param - lr * g'`; with one (momentum > 0),
    `velocity' = momentum * velocity + g'` and `param' = param - lr * velocity'`.
    Results: the new parameter, then the new velocity if there is one.
  }];
  let arguments = (ins NN_Tensor:$param, NN_Tensor:$grad,
                       Optional<NN_Tensor>:$velocity,
                       F64Attr:$lr, F64Attr:$momentum, F64Attr:$weight_decay);
  let results = (outs Variadic<NN_Tensor>:$results);
  let assemblyFormat = [{
    $param `,` $grad (`,` $velocity^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_AdamUpdateOp : NN_Op<"adam_update", [Pure]> {
  let summary = "one Adam step on a parameter (PyTorch semantics)";
  let description = [{
    `m' = beta1 m + (1 - beta1) g`, `v' = beta2 v + (1 - beta2) g^2`,
    `param' = param - lr * (m' / (1 - beta1^step)) / (sqrt(v' / (1 - beta2^step)) + eps)`
    with `step` counting from 1. Results: param', m', v'.
  }];
  let arguments = (ins NN_Tensor:$param, NN_Tensor:$grad, NN_Tensor:$m,
                       NN_Tensor:$v, I64:$step, F64Attr:$lr, F64Attr:$beta1,
                       F64Attr:$beta2, F64Attr:$eps);
  let results = (outs NN_Tensor:$new_param, NN_Tensor:$new_m, NN_Tensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `,` $step attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // NNC_DIALECT_NNOPS_TD
