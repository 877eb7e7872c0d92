// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// `nn.model` is only valid on operations implementing FunctionOpInterface,
// not on any operation that happens to have one region.

// expected-error @+1 {{'nn.model' is only valid on a function}}
module attributes {nn.model} {
}

// -----

func.func @model_on_region_op() -> i32 {
  // expected-error @+1 {{'nn.model' is only valid on a function}}
  %0 = scf.execute_region -> i32 {
    %c = arith.constant 1 : i32
    scf.yield %c : i32
  } {nn.model}
  return %0 : i32
}
