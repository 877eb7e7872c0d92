//===- NNOps.td - Operations of the nn dialect -------------*- tablegen -*-===//
//
// Dense layers, activations, elementwise arithmetic, shape operations,
// convolution, pooling, normalization, dropout, concatenation and recurrent
// layers, plus the ops their gradients, the losses and the optimizers are
// built from.
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
    `result = dy * (y > 0)`, where `forward` is the relu's *result* `y`
    (positive exactly where its input is).
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
// Convolution and pooling (NCHW)
//===----------------------------------------------------------------------===//

defvar TrainingMode = DeclareOpInterfaceMethods<NN_TrainingModeOpInterface>;

// Window geometry: `strides`, `dilations` and `kernel_size` are [h, w];
// `padding` is [top, left, bottom, right] (ONNX order), in zeros for
// convolution and average pooling and in -inf for max pooling.

def NN_Conv2DOp : NN_Op<"conv2d", [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "2-D convolution (cross-correlation) in NCHW layout";
  let description = [{
    `input` is `[N, C, H, W]`, `filter` `[F, C / groups, KH, KW]` and the
    optional `bias` `[F]`; the result is `[N, F, OH, OW]` with
    `OH = (H + top + bottom - dilation_h * (KH - 1) - 1) / stride_h + 1`
    (likewise for W). With `groups = G`, input channels and filters are split
    into G groups and group g's filters see only group g's channels.
    `padding` is `[top, left, bottom, right]` in zeros.

    ```mlir
    %y = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64}
        : (tensor<?x1x28x28xf32>, tensor<16x1x3x3xf32>, tensor<16xf32>) -> tensor<?x16x28x28xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$filter,
                       Optional<NN_Tensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def NN_Conv2DInputGradOp : NN_Op<"conv2d_input_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "gradient of nn.conv2d with respect to its input";
  let description = [{
    The transposed convolution: `result[n, c, h, w]` sums
    `result_gradient[n, f, oh, ow] * filter[f, c', kh, kw]` over every output
    position whose window read `(h, w)` of the padded input. `input_size` is
    the `[H, W]` of the forward input, which strides > 1 leave ambiguous.
  }];
  let arguments = (ins NN_Tensor:$result_gradient, NN_Tensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups,
                       DenseI64ArrayAttr:$input_size);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $result_gradient `,` $filter attr-dict `:` functional-type(operands, results)
  }];
}

def NN_Conv2DFilterGradOp : NN_Op<"conv2d_filter_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "gradient of nn.conv2d with respect to its filter";
  let description = [{
    `result[f, c, kh, kw] = sum_{n, oh, ow} result_gradient[n, f, oh, ow] *
    padded_input[n, g * C/G + c, oh * s_h + kh * d_h, ow * s_w + kw * d_w]`
    with `g` the group of filter `f`; `kernel_size` is `[KH, KW]`.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$result_gradient,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups,
                       DenseI64ArrayAttr:$kernel_size);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $result_gradient attr-dict `:` functional-type(operands, results)
  }];
}

def NN_ChannelSumOp : NN_Op<"channel_sum", [Pure, InferTypeOpAdaptor]> {
  let summary = "sum over every dimension but the channel (dimension 1)";
  let description = [{
    `[N, C, ...] -> [C]`: the gradient of a per-channel bias.

    ```mlir
    %db = nn.channel_sum %dy : tensor<?x16x28x28xf32> -> tensor<16xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

class NN_Pool2DOp<string mnemonic, string what>
    : NN_Op<mnemonic, [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = what # " pooling over 2-D windows in NCHW layout";
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_MaxPool2DOp : NN_Pool2DOp<"maxpool2d", "max"> {
  let description = [{
    `[N, C, H, W] -> [N, C, OH, OW]`, the maximum of each `kernel_size`
    window; padding counts as -inf, and each padding is at most half the
    window, so every window holds an element of the input.

    ```mlir
    %p = nn.maxpool2d %x {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
        : tensor<?x16x28x28xf32> -> tensor<?x16x14x14xf32>
    ```
  }];
}

def NN_AvgPool2DOp : NN_Pool2DOp<"avgpool2d", "average"> {
  let description = [{
    `[N, C, H, W] -> [N, C, OH, OW]`, the mean of each window; padding counts
    as zeros and in the divisor, which is always `KH * KW` (PyTorch's
    `count_include_pad=True`).
  }];
}

def NN_MaxPool2DGradOp : NN_Op<"maxpool2d_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "gradient of nn.maxpool2d with respect to its input";
  let description = [{
    Routes each window's gradient to the position of its maximum, the first
    one in row-major window order when several are equal (as PyTorch does).
    Overlapping windows add up.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$result_gradient,
                       DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $result_gradient attr-dict `:` functional-type(operands, results)
  }];
}

def NN_AvgPool2DGradOp : NN_Op<"avgpool2d_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "gradient of nn.avgpool2d with respect to its input";
  let description = [{
    Spreads each window's gradient, divided by `KH * KW`, over the window;
    `input_size` is the `[H, W]` of the forward input.
  }];
  let arguments = (ins NN_Tensor:$result_gradient,
                       DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$input_size);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $result_gradient attr-dict `:` functional-type(operands, results)
  }];
}

def NN_GlobalAvgPoolOp : NN_Op<"global_avgpool", [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "mean over the spatial dimensions";
  let description = [{
    `[N, C, H, W] -> [N, C]`.

    ```mlir
    %g = nn.global_avgpool %x : tensor<?x64x7x7xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_GlobalAvgPoolGradOp : NN_Op<"global_avgpool_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "gradient of nn.global_avgpool with respect to its input";
  let description = [{
    `result[n, c, h, w] = result_gradient[n, c] / (H * W)` with `[H, W]` the
    `input_size`.
  }];
  let arguments = (ins NN_Tensor:$result_gradient,
                       DenseI64ArrayAttr:$input_size);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $result_gradient attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Normalization and regularization
//===----------------------------------------------------------------------===//

def NN_BatchNormOp : NN_Op<"batchnorm", [Pure, InferTypeOpAdaptor, TrainingMode]> {
  let summary = "batch normalization with running statistics (inference)";
  let description = [{
    Per channel `c` (dimension 1 of `[N, C]` or `[N, C, H, W]`):
    `result = (x - running_mean[c]) / sqrt(running_var[c] + epsilon) *
    weight[c] + bias[c]`. The running statistics are model state
    (`nn.buffer` arguments). Its training form is `nn.batchnorm_train`.

    ```mlir
    %y = nn.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
        : (tensor<?x16x14x14xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16x14x14xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight, NN_Tensor:$bias,
                       NN_Tensor:$running_mean, NN_Tensor:$running_var,
                       F64Attr:$epsilon, F64Attr:$momentum);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var attr-dict
    `:` functional-type(operands, results)
  }];
}

def NN_BatchNormTrainOp : NN_Op<"batchnorm_train",
    [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "batch normalization on the statistics of the batch";
  let description = [{
    Normalizes with the mean and biased variance of the batch, per channel
    over every dimension but 1, and returns the running statistics updated as
    PyTorch does: `new_mean = (1 - momentum) * running_mean + momentum *
    mean` and likewise for the variance, with the unbiased batch variance.
    Only `result` is differentiated.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight, NN_Tensor:$bias,
                       NN_Tensor:$running_mean, NN_Tensor:$running_var,
                       F64Attr:$epsilon, F64Attr:$momentum);
  let results = (outs NN_Tensor:$result, NN_Tensor:$new_running_mean,
                      NN_Tensor:$new_running_var);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var attr-dict
    `:` functional-type(operands, results)
  }];
}

def NN_BatchNormTrainGradOp : NN_Op<"batchnorm_train_grad",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "gradients of nn.batchnorm_train";
  let description = [{
    With `xhat` the normalized input and `M` the elements per channel:
    `bias_gradient = sum dy`, `weight_gradient = sum dy * xhat` and
    `input_gradient = weight / sqrt(var + eps) / M *
    (M * dy - bias_gradient - xhat * weight_gradient)`; the batch statistics
    are recomputed from `input`.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                       NN_Tensor:$result_gradient, F64Attr:$epsilon);
  let results = (outs NN_Tensor:$input_gradient, NN_Tensor:$weight_gradient,
                      NN_Tensor:$bias_gradient);
  let assemblyFormat = [{
    $input `,` $weight `,` $result_gradient attr-dict `:` functional-type(operands, results)
  }];
}

def NN_DropoutOp : NN_Op<"dropout", [Pure, InferTypeOpAdaptor, TrainingMode]> {
  let summary = "dropout (the identity outside training)";
  let description = [{
    At inference the identity, so it folds away once the training form
    (`nn.dropout_train`) has been built.

    ```mlir
    %y = nn.dropout %x {rate = 5.0e-01 : f64} : tensor<?x128xf32> -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F64Attr:$rate);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def NN_DropoutTrainOp : NN_Op<"dropout_train", [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "dropout with a mask drawn from a key";
  let description = [{
    `result = input * keep / (1 - rate)` where `keep` is 1 with probability
    `1 - rate`. The draw of element `i` (row-major, batch included) is a
    hash of `(key, stream, i)` (splitmix64), so the mask is a pure function
    of its arguments and the gradient applies the same mask to `dy`.
  }];
  let arguments = (ins NN_Tensor:$input, I64:$key, F64Attr:$rate,
                       I64Attr:$stream);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $key attr-dict `:` `(` type($input) `,` type($key) `)` `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Concatenation
//===----------------------------------------------------------------------===//

def NN_ConcatOp : NN_Op<"concat", [Pure, InferTypeOpAdaptor, Differentiable]> {
  let summary = "concatenation along a per-example dimension";
  let description = [{
    Joins the inputs along `axis` (1 is the first per-example dimension:
    channels in NCHW); every other dimension must agree.

    ```mlir
    %c = nn.concat %a, %b {axis = 1 : i64} : (tensor<?x8x14x14xf32>, tensor<?x16x14x14xf32>) -> tensor<?x24x14x14xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, results)
  }];
}

def NN_SliceOp : NN_Op<"slice", [Pure, InferTypeOpAdaptor]> {
  let summary = "a contiguous range of one per-example dimension";
  let description = [{
    Keeps indices `[offset, offset + size)` of dimension `axis` (at least
    1): the gradient of nn.concat for one of its inputs.
  }];
  let arguments = (ins NN_Tensor:$input, I64Attr:$axis, I64Attr:$offset,
                       I64Attr:$size);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

// The weights follow nn.dense's [in, out] layout: PyTorch's weight_ih_l0 and
// weight_hh_l0 transposed. Gates are stacked along the last dimension in
// PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n), each `hidden` wide.
class NN_RecurrentLayerOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor, TrainingMode])> {
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight_ih `,` $weight_hh `,` $bias_ih `,` $bias_hh
    (`initial_hidden` $initial_hidden^)? attr-dict `:` functional-type(operands, results)
  }];
}

def NN_RnnOp : NN_RecurrentLayerOp<"rnn"> {
  let summary = "Elman recurrent layer over a sequence, tanh or relu";
  let description = [{
    Over `input` [N, T, F], for t = 0 .. T-1 (T-1 .. 0 with `reverse`):
    `h_t = act(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)`, with `h_{-1}` the
    `initial_hidden` state [N, H] or zero. `weight_ih` is [F, H] and
    `weight_hh` [H, H]. The result is the last state [N, H] or, with
    `sequence`, every state in time order [N, T, H].

    ```mlir
    %h = nn.rnn %x, %wi, %wh, %bi, %bh {activation = "tanh"} : (tensor<?x28x28xf32>, tensor<28x32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight_ih,
                       NN_Tensor:$weight_hh, NN_Tensor:$bias_ih,
                       NN_Tensor:$bias_hh, Optional<NN_Tensor>:$initial_hidden,
                       StrAttr:$activation, UnitAttr:$reverse,
                       UnitAttr:$sequence);
}

def NN_GruOp : NN_RecurrentLayerOp<"gru"> {
  let summary = "gated recurrent unit layer over a sequence";
  let description = [{
    PyTorch's GRU: with the gates r, z, n stacked in that order,
    `r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)`, `z` likewise,
    `n = tanh(x W_in + b_in + r * (h W_hn + b_hn))` and
    `h' = (1 - z) * n + z * h`. `weight_ih` is [F, 3H], `weight_hh` [H, 3H],
    the biases [3H]. Otherwise as nn.rnn.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight_ih,
                       NN_Tensor:$weight_hh, NN_Tensor:$bias_ih,
                       NN_Tensor:$bias_hh, Optional<NN_Tensor>:$initial_hidden,
                       UnitAttr:$reverse, UnitAttr:$sequence);
}

def NN_LstmOp : NN_RecurrentLayerOp<"lstm", [AttrSizedOperandSegments]> {
  let summary = "long short-term memory layer over a sequence";
  let description = [{
    PyTorch's LSTM: with the gates i, f, g, o stacked in that order,
    `i = sigmoid(x W_ii + b_ii + h W_hi + b_hi)` (f and o likewise),
    `g = tanh(...)`, `c' = f * c + i * g` and `h' = o * tanh(c')`.
    `weight_ih` is [F, 4H], `weight_hh` [H, 4H], the biases [4H]; the
    initial cell state is `initial_cell` or zero. Otherwise as nn.rnn.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight_ih,
                       NN_Tensor:$weight_hh, NN_Tensor:$bias_ih,
                       NN_Tensor:$bias_hh, Optional<NN_Tensor>:$initial_hidden,
                       Optional<NN_Tensor>:$initial_cell, UnitAttr:$reverse,
                       UnitAttr:$sequence);
  let assemblyFormat = [{
    $input `,` $weight_ih `,` $weight_hh `,` $bias_ih `,` $bias_hh
    (`initial_hidden` $initial_hidden^)? (`initial_cell` $initial_cell^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def NN_RecurrentTrainOp : NN_Op<"recurrent_train",
    [Pure, InferTypeOpAdaptor, AttrSizedOperandSegments, Differentiable]> {
  let summary = "a recurrent layer that keeps what its gradient needs";
  let description = [{
    The training form of nn.rnn (`cell` "rnn_tanh" or "rnn_relu"), nn.gru
    ("gru") and nn.lstm ("lstm"). Besides the result it returns, for
    backpropagation through time:
    - `states` [N, T + 1, S, H]: the recurrent state around every step,
      slot 0 the initial one for a forward layer and slot T for a reversed
      one (the state after time t sits in slot t + 1, or t when reversed);
      S is 2 for an LSTM (hidden, cell) and 1 otherwise;
    - `activations`, each [N, T, H]: the gates after their nonlinearity at
      every time step, for an LSTM i, f, g, o, for a GRU r, z, n and
      h W_hn + b_hn, and none for an Elman layer.
    Only `result` is differentiated.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight_ih,
                       NN_Tensor:$weight_hh, NN_Tensor:$bias_ih,
                       NN_Tensor:$bias_hh, Optional<NN_Tensor>:$initial_hidden,
                       Optional<NN_Tensor>:$initial_cell, StrAttr:$cell,
                       UnitAttr:$reverse, UnitAttr:$sequence);
  let results = (outs NN_Tensor:$result, NN_Tensor:$states,
                      Variadic<NN_Tensor>:$activations);
  let assemblyFormat = [{
    $input `,` $weight_ih `,` $weight_hh `,` $bias_ih `,` $bias_hh
    (`initial_hidden` $initial_hidden^)? (`initial_cell` $initial_cell^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def NN_RecurrentGradOp : NN_Op<"recurrent_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "backpropagation through time of nn.recurrent_train";
  let description = [{
    Walks the steps of the forward layer in reverse, from the saved `states`
    and `activations` and the gradient of its result, and returns the
    gradients of the input, the weights, the biases and the initial state
    ([N, S, H], hidden then cell). The weight and input gradients are taken
    after the loop, as matrix products over all steps at once.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight_ih,
                       NN_Tensor:$weight_hh, NN_Tensor:$states,
                       NN_Tensor:$result_gradient,
                       Variadic<NN_Tensor>:$activations, StrAttr:$cell,
                       UnitAttr:$reverse, UnitAttr:$sequence);
  let results = (outs NN_Tensor:$input_gradient,
                      NN_Tensor:$weight_ih_gradient,
                      NN_Tensor:$weight_hh_gradient,
                      NN_Tensor:$bias_ih_gradient,
                      NN_Tensor:$bias_hh_gradient,
                      NN_Tensor:$initial_state_gradient);
  let assemblyFormat = [{
    $input `,` $weight_ih `,` $weight_hh `,` $states `,` $result_gradient
    (`,` $activations^)? attr-dict `:` functional-type(operands, results)
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
