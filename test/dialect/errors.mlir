// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of the nn dialect. Type inference (NNOps.cpp) is
// also what the verifier runs, and MLIR's InferTypeOpInterface verifier adds
// "failed to infer returned types" after every inference error, so those
// cases expect both.

//===----------------------------------------------------------------------===//
// ODS constraints
//===----------------------------------------------------------------------===//

func.func @relu_integer(%x: tensor<?x4xi32>) -> tensor<?x4xi32> {
  // expected-error @+1 {{'nn.relu' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<?x4xi32>'}}
  %0 = nn.relu %x : tensor<?x4xi32> -> tensor<?x4xi32>
  return %0 : tensor<?x4xi32>
}

// -----

func.func @add_integer(%a: tensor<?x4xi8>) -> tensor<?x4xi8> {
  // expected-error @+1 {{'nn.add' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<?x4xi8>'}}
  %0 = nn.add %a, %a : (tensor<?x4xi8>, tensor<?x4xi8>) -> tensor<?x4xi8>
  return %0 : tensor<?x4xi8>
}

// -----

func.func @dense_integer_bias(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>, %b: tensor<2xi32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{'nn.dense' op operand #2 must be ranked tensor of floating-point values, but got 'tensor<2xi32>'}}
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<2xi32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @relu_integer_result(%x: tensor<?x4xf32>) -> tensor<?x4xi32> {
  // expected-error @+1 {{'nn.relu' op result #0 must be ranked tensor of floating-point values, but got 'tensor<?x4xi32>'}}
  %0 = "nn.relu"(%x) : (tensor<?x4xf32>) -> tensor<?x4xi32>
  return %0 : tensor<?x4xi32>
}

// -----

// The custom form only takes ranked tensors; the generic form reaches the
// ODS constraint.
func.func @tanh_unranked_custom(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{custom op 'nn.tanh' invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %0 = nn.tanh %x : tensor<*xf32> -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @tanh_unranked_generic(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'nn.tanh' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<*xf32>'}}
  %0 = "nn.tanh"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @flatten_vector(%x: vector<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'nn.flatten' op operand #0 must be ranked tensor of floating-point values, but got 'vector<4x4xf32>'}}
  %0 = "nn.flatten"(%x) : (vector<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @reshape_without_shape(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'nn.reshape' op requires attribute 'shape'}}
  %0 = "nn.reshape"(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @reshape_shape_not_array(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'nn.reshape' op attribute 'shape' failed to satisfy constraint: i64 dense array attribute}}
  %0 = "nn.reshape"(%x) {shape = [4]} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Result type disagreeing with the inferred one
//===----------------------------------------------------------------------===//

func.func @relu_wrong_result(%x: tensor<?x4xf32>) -> tensor<?x5xf32> {
  // expected-error @+2 {{'nn.relu' op inferred type(s) 'tensor<?x4xf32>' are incompatible with return type(s) of operation 'tensor<?x5xf32>'}}
  // expected-error @+1 {{'nn.relu' op failed to infer returned types}}
  %0 = nn.relu %x : tensor<?x4xf32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @dense_wrong_result(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>, %b: tensor<2xf32>) -> tensor<8x2xf32> {
  // expected-error @+2 {{'nn.dense' op inferred type(s) 'tensor<?x2xf32>' are incompatible with return type(s) of operation 'tensor<8x2xf32>'}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @flatten_wrong_result(%x: tensor<?x2x3xf32>) -> tensor<?x5xf32> {
  // expected-error @+2 {{'nn.flatten' op inferred type(s) 'tensor<?x6xf32>' are incompatible with return type(s) of operation 'tensor<?x5xf32>'}}
  // expected-error @+1 {{'nn.flatten' op failed to infer returned types}}
  %0 = nn.flatten %x : tensor<?x2x3xf32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

// The shape attribute, not the result type, decides the result.
func.func @reshape_wrong_result(%x: tensor<?x6xf32>) -> tensor<?x3x2xf32> {
  // expected-error @+2 {{'nn.reshape' op inferred type(s) 'tensor<?x2x3xf32>' are incompatible with return type(s) of operation 'tensor<?x3x2xf32>'}}
  // expected-error @+1 {{'nn.reshape' op failed to infer returned types}}
  %0 = nn.reshape %x {shape = array<i64: 2, 3>} : tensor<?x6xf32> -> tensor<?x3x2xf32>
  return %0 : tensor<?x3x2xf32>
}

// -----

func.func @mul_wrong_element_type(%a: tensor<?x4xf32>) -> tensor<?x4xf64> {
  // expected-error @+2 {{'nn.mul' op inferred type(s) 'tensor<?x4xf32>' are incompatible with return type(s) of operation 'tensor<?x4xf64>'}}
  // expected-error @+1 {{'nn.mul' op failed to infer returned types}}
  %0 = nn.mul %a, %a : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf64>
  return %0 : tensor<?x4xf64>
}

// -----

//===----------------------------------------------------------------------===//
// nn.dense
//===----------------------------------------------------------------------===//

func.func @dense_input_rank1(%x: tensor<4xf32>, %w: tensor<4x2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{'nn.dense' op expected input of rank 2, got 1}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @dense_input_rank3(%x: tensor<?x2x2xf32>, %w: tensor<4x2xf32>, %b: tensor<2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.dense' op expected input of rank 2, got 3}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x2x2xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @dense_weight_rank1(%x: tensor<?x4xf32>, %w: tensor<4xf32>, %b: tensor<2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.dense' op expected weight of rank 2, got 1}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @dense_bias_rank2(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>, %b: tensor<1x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.dense' op expected bias of rank 1, got 2}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @dense_dynamic_input_features(%x: tensor<?x?xf32>, %w: tensor<4x2xf32>, %b: tensor<2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.dense' op expected static feature dimensions}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x?xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @dense_dynamic_weight(%x: tensor<?x4xf32>, %w: tensor<4x?xf32>, %b: tensor<2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.dense' op expected static feature dimensions}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x?xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @dense_dynamic_bias(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>, %b: tensor<?xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.dense' op expected static feature dimensions}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<?xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @dense_mixed_element_types(%x: tensor<?x4xf32>, %w: tensor<4x2xf64>, %b: tensor<2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.dense' op expected one element type, got 'f32', 'f64' and 'f32'}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x2xf64>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @dense_feature_mismatch(%x: tensor<?x3xf32>, %w: tensor<4x2xf32>, %b: tensor<2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.dense' op input has 3 features but the weight expects 4}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x3xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @dense_bias_mismatch(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>, %b: tensor<3xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.dense' op bias has 3 elements but the weight has 2 outputs}}
  // expected-error @+1 {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<3xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Unary ops: relu, tanh, sigmoid, softmax, flatten, reshape
//===----------------------------------------------------------------------===//

func.func @relu_rank1(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{'nn.relu' op expected input of rank at least 2 (batch and features), got 1}}
  // expected-error @+1 {{'nn.relu' op failed to infer returned types}}
  %0 = nn.relu %x : tensor<?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @tanh_rank0(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.tanh' op expected input of rank at least 2 (batch and features), got 0}}
  // expected-error @+1 {{'nn.tanh' op failed to infer returned types}}
  %0 = nn.tanh %x : tensor<f32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @sigmoid_rank1(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+2 {{'nn.sigmoid' op expected input of rank at least 2 (batch and features), got 1}}
  // expected-error @+1 {{'nn.sigmoid' op failed to infer returned types}}
  %0 = nn.sigmoid %x : tensor<8xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @softmax_rank1(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{'nn.softmax' op expected input of rank at least 2 (batch and features), got 1}}
  // expected-error @+1 {{'nn.softmax' op failed to infer returned types}}
  %0 = nn.softmax %x : tensor<?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @flatten_rank1(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{'nn.flatten' op expected input of rank at least 2 (batch and features), got 1}}
  // expected-error @+1 {{'nn.flatten' op failed to infer returned types}}
  %0 = nn.flatten %x : tensor<?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @reshape_rank1(%x: tensor<?xf32>) -> tensor<?x1xf32> {
  // expected-error @+2 {{'nn.reshape' op expected input of rank at least 2 (batch and features), got 1}}
  // expected-error @+1 {{'nn.reshape' op failed to infer returned types}}
  %0 = nn.reshape %x {shape = array<i64: 1>} : tensor<?xf32> -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

func.func @relu_dynamic_features(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'nn.relu' op expected static per-example dimensions in input, got 'tensor<?x?xf32>'}}
  // expected-error @+1 {{'nn.relu' op failed to infer returned types}}
  %0 = nn.relu %x : tensor<?x?xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @softmax_dynamic_features(%x: tensor<?x4x?xf32>) -> tensor<?x4x?xf32> {
  // expected-error @+2 {{'nn.softmax' op expected static per-example dimensions in input, got 'tensor<?x4x?xf32>'}}
  // expected-error @+1 {{'nn.softmax' op failed to infer returned types}}
  %0 = nn.softmax %x : tensor<?x4x?xf32> -> tensor<?x4x?xf32>
  return %0 : tensor<?x4x?xf32>
}

// -----

func.func @flatten_dynamic_features(%x: tensor<?x?x4xf32>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'nn.flatten' op expected static per-example dimensions in input, got 'tensor<?x?x4xf32>'}}
  // expected-error @+1 {{'nn.flatten' op failed to infer returned types}}
  %0 = nn.flatten %x : tensor<?x?x4xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @reshape_dynamic_features(%x: tensor<?x?xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.reshape' op expected static per-example dimensions in input, got 'tensor<?x?xf32>'}}
  // expected-error @+1 {{'nn.reshape' op failed to infer returned types}}
  %0 = nn.reshape %x {shape = array<i64: 4>} : tensor<?x?xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.reshape
//===----------------------------------------------------------------------===//

func.func @reshape_empty_shape(%x: tensor<?x1xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{'nn.reshape' op expected a non-empty shape}}
  // expected-error @+1 {{'nn.reshape' op failed to infer returned types}}
  %0 = nn.reshape %x {shape = array<i64>} : tensor<?x1xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @reshape_zero_dim(%x: tensor<?x4xf32>) -> tensor<?x4x0xf32> {
  // expected-error @+2 {{'nn.reshape' op expected positive dimensions, got 0}}
  // expected-error @+1 {{'nn.reshape' op failed to infer returned types}}
  %0 = nn.reshape %x {shape = array<i64: 4, 0>} : tensor<?x4xf32> -> tensor<?x4x0xf32>
  return %0 : tensor<?x4x0xf32>
}

// -----

// -1 is not "infer this dimension" as in other frameworks.
func.func @reshape_negative_dim(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.reshape' op expected positive dimensions, got -1}}
  // expected-error @+1 {{'nn.reshape' op failed to infer returned types}}
  %0 = nn.reshape %x {shape = array<i64: -1>} : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @reshape_element_count(%x: tensor<?x2x3xf32>) -> tensor<?x2x2xf32> {
  // expected-error @+2 {{'nn.reshape' op cannot reshape 6 elements per example into 4}}
  // expected-error @+1 {{'nn.reshape' op failed to infer returned types}}
  %0 = nn.reshape %x {shape = array<i64: 2, 2>} : tensor<?x2x3xf32> -> tensor<?x2x2xf32>
  return %0 : tensor<?x2x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Binary ops: add, mul
//===----------------------------------------------------------------------===//

func.func @add_rank0(%a: tensor<f32>) -> tensor<f32> {
  // expected-error @+2 {{'nn.add' op expected lhs of rank at least 1, got 0}}
  // expected-error @+1 {{'nn.add' op failed to infer returned types}}
  %0 = nn.add %a, %a : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @mul_dynamic_features(%a: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'nn.mul' op expected static per-example dimensions in lhs, got 'tensor<?x?xf32>'}}
  // expected-error @+1 {{'nn.mul' op failed to infer returned types}}
  %0 = nn.mul %a, %a : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @add_shape_mismatch(%a: tensor<?x4xf32>, %b: tensor<?x5xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.add' op expected operands of the same type, got 'tensor<?x4xf32>' and 'tensor<?x5xf32>'}}
  // expected-error @+1 {{'nn.add' op failed to infer returned types}}
  %0 = nn.add %a, %b : (tensor<?x4xf32>, tensor<?x5xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// No broadcasting: a rank-1 rhs is an error, not a bias.
func.func @add_no_broadcast(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.add' op expected operands of the same type, got 'tensor<?x4xf32>' and 'tensor<4xf32>'}}
  // expected-error @+1 {{'nn.add' op failed to infer returned types}}
  %0 = nn.add %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A static and a dynamic batch do not mix.
func.func @mul_batch_mismatch(%a: tensor<?x4xf32>, %b: tensor<8x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.mul' op expected operands of the same type, got 'tensor<?x4xf32>' and 'tensor<8x4xf32>'}}
  // expected-error @+1 {{'nn.mul' op failed to infer returned types}}
  %0 = nn.mul %a, %b : (tensor<?x4xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @mul_element_type_mismatch(%a: tensor<?x4xf32>, %b: tensor<?x4xf64>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.mul' op expected operands of the same type, got 'tensor<?x4xf32>' and 'tensor<?x4xf64>'}}
  // expected-error @+1 {{'nn.mul' op failed to infer returned types}}
  %0 = nn.mul %a, %b : (tensor<?x4xf32>, tensor<?x4xf64>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.model on operations
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'nn.model' must be a unit attribute}}
func.func @model_not_unit() attributes {nn.model = true} {
  return
}

// -----

func.func @model_on_constant() {
  // expected-error @+1 {{'nn.model' is only valid on a function}}
  %0 = arith.constant {nn.model} 1 : i32
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.input / nn.param / nn.init on function arguments
//===----------------------------------------------------------------------===//

// expected-error @+1 {{unknown argument attribute 'nn.weight' of the nn dialect}}
func.func @unknown_arg_attr(%w: tensor<4x4xf32> {nn.weight = "w"}) {
  return
}

// -----

// expected-error @+1 {{'nn.input' of argument 0 must be a string}}
func.func @input_not_string(%x: tensor<?x4xf32> {nn.input}) {
  return
}

// -----

// expected-error @+1 {{'nn.param' of argument 1 must be a string}}
func.func @param_not_string(%x: tensor<?x4xf32> {nn.input = "x"},
                            %w: tensor<4x4xf32> {nn.param = 3 : i32}) {
  return
}

// -----

// expected-error @+1 {{'nn.init' of argument 0 must be a string}}
func.func @init_not_string(%w: tensor<4x4xf32> {nn.param = "w", nn.init = 0 : i32}) {
  return
}

// -----

// expected-error @+1 {{'nn.init' of argument 0 must be one of zeros, ones, xavier_uniform, he_uniform, got 'normal'}}
func.func @init_unknown_kind(%w: tensor<4x4xf32> {nn.param = "w", nn.init = "normal"}) {
  return
}

// -----

// The kinds are case-sensitive.
// expected-error @+1 {{'nn.init' of argument 0 must be one of zeros, ones, xavier_uniform, he_uniform, got 'Zeros'}}
func.func @init_wrong_case(%b: tensor<4xf32> {nn.param = "b", nn.init = "Zeros"}) {
  return
}
