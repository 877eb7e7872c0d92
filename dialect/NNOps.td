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
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Dense
//===----------------------------------------------------------------------===//

def NN_DenseOp : NN_Op<"dense", [Pure, InferTypeOpAdaptor]> {
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

def NN_ReluOp : NN_UnaryOp<"relu"> {
  let summary = "rectified linear unit, max(x, 0)";
  let description = [{
    Elementwise `max(x, 0)`. Idempotent: `relu(relu(x))` folds to `relu(x)`.

    ```mlir
    %y = nn.relu %x : tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_TanhOp : NN_UnaryOp<"tanh"> {
  let summary = "hyperbolic tangent";
  let description = [{
    Elementwise `tanh(x)`.

    ```mlir
    %y = nn.tanh %x : tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
}

def NN_SigmoidOp : NN_UnaryOp<"sigmoid"> {
  let summary = "logistic function, 1 / (1 + exp(-x))";
  let description = [{
    Elementwise logistic sigmoid.

    ```mlir
    %y = nn.sigmoid %x : tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
}

def NN_SoftmaxOp : NN_UnaryOp<"softmax"> {
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

def NN_AddOp : NN_BinaryOp<"add", [Commutative]> {
  let summary = "elementwise sum of two tensors of the same shape";
  let description = [{
    ```mlir
    %s = nn.add %a, %b : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    ```
  }];
}

def NN_MulOp : NN_BinaryOp<"mul", [Commutative]> {
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

def NN_FlattenOp : NN_Op<"flatten", [Pure, InferTypeOpAdaptor]> {
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

def NN_ReshapeOp : NN_Op<"reshape", [Pure, InferTypeOpAdaptor]> {
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

#endif // NNC_DIALECT_NNOPS_TD
