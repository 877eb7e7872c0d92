//===- NNBase.td - The nn dialect definition ---------------*- tablegen -*-===//
//
// The `nn` dialect: layer-level operations on tensors whose leading dimension
// is the batch. It is what the frontend emits and what autodiff, fusion and
// the conversion to linalg consume. Everything else (shapes of the per-example
// dimensions, parameters) is static.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NNBASE_TD
#define NNC_DIALECT_NNBASE_TD

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let summary = "Neural-network layers on batched tensors";
  let description = [{
    Operations of the `nn` dialect take and produce ranked tensors of floats
    whose first dimension is the batch (usually dynamic, `?`) and whose other
    dimensions are static. Parameters (weights, biases) are plain function
    arguments marked with the `nn.param` argument attribute, so a model is an
    ordinary `func.func`:

    ```mlir
    func.func @MLP(%x: tensor<?x784xf32> {nn.input = "x"},
                   %w: tensor<784x10xf32> {nn.param = "out.weight", nn.init = "xavier_uniform"},
                   %b: tensor<10xf32> {nn.param = "out.bias", nn.init = "zeros"})
        -> tensor<?x10xf32> attributes {nn.model} {
      %0 = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
      return %0 : tensor<?x10xf32>
    }
    ```
  }];
  let cppNamespace = "::nnc::nn";
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

// A ranked tensor of floats with at least the batch dimension.
def NN_Tensor : RankedTensorOf<[AnyFloat]>;

#endif // NNC_DIALECT_NNBASE_TD
