// XFAIL: *
// RUN: nnc-opt %s --nnc-use-workspace -verify-diagnostics

// BUG: nnc-use-workspace calls getElementTypeBitWidth() on every allocated
// memref; `index` has no bit width there and nnc-opt dies with a
// segmentation fault in mlir::Type::getIntOrFloatBitWidth(). A buffer whose
// element size the pass cannot tell should be rejected like the other
// unsupported allocations.

func.func @index_buffer(%x: memref<?x4xf32> {nn.role = "input"}) -> memref<4xindex> attributes {nn.entry = "eval"} {
  // expected-error @+1 {{unsupported: workspace allocation of type 'memref<4xindex>'}}
  %a = memref.alloc() : memref<4xindex>
  return %a : memref<4xindex>
}
