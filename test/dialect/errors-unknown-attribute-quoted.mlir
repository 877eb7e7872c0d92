// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// Unknown nn attributes are named without a second pair of quotes.

func.func @unknown_attr_on_op() {
  // expected-error @+1 {{unknown attribute 'nn.input' of the nn dialect}}
  %0 = arith.constant {nn.input = "x"} 1 : i32
  return
}

// -----

// expected-error @+1 {{unknown attribute 'nn.models' of the nn dialect}}
func.func @unknown_attr_on_func() attributes {nn.models} {
  return
}
