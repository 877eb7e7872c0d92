// RUN: nnc-opt %s --nnc-convert-nn-to-linalg --split-input-file | FileCheck %s

// Every nn op becomes destination-passing linalg / tensor ops on tensors;
// destinations take the dynamic batch from an operand with tensor.dim.

// CHECK-LABEL: func.func @dense
// CHECK-SAME:    (%[[X:.*]]: tensor<?x784xf32>, %[[W:.*]]: tensor<784x10xf32>, %[[B:.*]]: tensor<10xf32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x784xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x10xf32>
// CHECK:         %[[ACC:.*]] = linalg.broadcast ins(%[[B]] : tensor<10xf32>) outs(%[[E]] : tensor<?x10xf32>) dimensions = [0]
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<?x784xf32>, tensor<784x10xf32>) outs(%[[ACC]] : tensor<?x10xf32>) -> tensor<?x10xf32>
// CHECK:         return %[[MM]] : tensor<?x10xf32>
// CHECK-NOT:     nn.
func.func @dense(%x: tensor<?x784xf32>, %w: tensor<784x10xf32>, %b: tensor<10xf32>) -> tensor<?x10xf32> {
  %0 = nn.dense %x, %w, %b : (tensor<?x784xf32>, tensor<784x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// A static batch needs no tensor.dim.
// CHECK-LABEL: func.func @dense_static_f64
// CHECK-SAME:    (%[[X:.*]]: tensor<8x4xf64>, %[[W:.*]]: tensor<4x3xf64>, %[[B:.*]]: tensor<3xf64>)
// CHECK-NOT:     tensor.dim
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<8x3xf64>
// CHECK:         %[[ACC:.*]] = linalg.broadcast ins(%[[B]] : tensor<3xf64>) outs(%[[E]] : tensor<8x3xf64>) dimensions = [0]
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<8x4xf64>, tensor<4x3xf64>) outs(%[[ACC]] : tensor<8x3xf64>) -> tensor<8x3xf64>
// CHECK:         return %[[MM]]
func.func @dense_static_f64(%x: tensor<8x4xf64>, %w: tensor<4x3xf64>, %b: tensor<3xf64>) -> tensor<8x3xf64> {
  %0 = nn.dense %x, %w, %b : (tensor<8x4xf64>, tensor<4x3xf64>, tensor<3xf64>) -> tensor<8x3xf64>
  return %0 : tensor<8x3xf64>
}

// -----

// CHECK: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @relu
// CHECK-SAME:    (%[[X:.*]]: tensor<?x64xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x64xf32>
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[X]] : tensor<?x64xf32>) outs(%[[E]] : tensor<?x64xf32>)
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[MAX:.*]] = arith.maximumf %[[IN]], %[[ZERO]] : f32
// CHECK:           linalg.yield %[[MAX]] : f32
// CHECK:         return %[[G]]
func.func @relu(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = nn.relu %x : tensor<?x64xf32> -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// CHECK: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @tanh_rank3_f64
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x4xf64>)
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x3x4xf64>
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME:        ins(%[[X]] : tensor<?x3x4xf64>) outs(%[[E]] : tensor<?x3x4xf64>)
// CHECK:         ^bb0(%[[IN:.*]]: f64, %{{.*}}: f64):
// CHECK:           %[[T:.*]] = math.tanh %[[IN]] : f64
// CHECK:           linalg.yield %[[T]] : f64
// CHECK:         return %[[G]]
func.func @tanh_rank3_f64(%x: tensor<?x3x4xf64>) -> tensor<?x3x4xf64> {
  %0 = nn.tanh %x : tensor<?x3x4xf64> -> tensor<?x3x4xf64>
  return %0 : tensor<?x3x4xf64>
}

// -----

// sigmoid(x) = 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @sigmoid
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>)
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x8xf32>
// CHECK:         %[[G:.*]] = linalg.generic
// CHECK-SAME:        ins(%[[X]] : tensor<?x8xf32>) outs(%[[E]] : tensor<?x8xf32>)
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK:           %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK:           %[[DEN:.*]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK:           %[[DIV:.*]] = arith.divf %[[ONE]], %[[DEN]] : f32
// CHECK:           linalg.yield %[[DIV]] : f32
// CHECK:         return %[[G]]
func.func @sigmoid(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = nn.sigmoid %x : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// A chain stays one generic per op here; fusion is the pipeline's job.
// CHECK-LABEL: func.func @activation_chain
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]] :
// CHECK:           arith.maximumf
// CHECK:         %[[T:.*]] = linalg.generic {{.*}} ins(%[[R]] :
// CHECK:           math.tanh
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[T]] :
// CHECK:           math.exp
// CHECK:         return %[[S]]
func.func @activation_chain(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = nn.relu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.tanh %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  %2 = nn.sigmoid %1 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}

// -----

// softmax: max-reduce, exp(x - max), sum-reduce, divide, all over the last
// dimension.
// CHECK: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.*]]: tensor<?x10xf32>)
// CHECK:         %[[OUT:.*]] = tensor.empty(%{{.*}}) : tensor<?x10xf32>
// CHECK:         %[[RED:.*]] = tensor.empty(%{{.*}}) : tensor<?xf32>
// CHECK:         %[[MAXINIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[RED]] : tensor<?xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[X]] : tensor<?x10xf32>) outs(%[[MAXINIT]] : tensor<?xf32>)
// CHECK:           arith.maxnumf
// CHECK:         %[[EXP:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[X]], %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>) outs(%[[OUT]] : tensor<?x10xf32>)
// CHECK:           %[[D:.*]] = arith.subf
// CHECK:           math.exp %[[D]]
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[SUMINIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[RED]] : tensor<?xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[EXP]] : tensor<?x10xf32>) outs(%[[SUMINIT]] : tensor<?xf32>)
// CHECK:           arith.addf
// CHECK:         %[[DIV:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[EXP]], %[[SUM]] : tensor<?x10xf32>, tensor<?xf32>) outs(%[[OUT]] : tensor<?x10xf32>)
// CHECK:           arith.divf
// CHECK:         return %[[DIV]]
// CHECK-NOT:     linalg.softmax
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = nn.softmax %x : tensor<?x10xf32> -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// At rank 3 softmax reduces only the last dimension.
// CHECK: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @softmax_rank3_f64
// CHECK-SAME:    (%[[X:.*]]: tensor<4x3x5xf64>)
// CHECK:         tensor.empty() : tensor<4x3x5xf64>
// CHECK:         tensor.empty() : tensor<4x3xf64>
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[X]] : tensor<4x3x5xf64>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME:        ins(%[[X]], %[[MAX]] : tensor<4x3x5xf64>, tensor<4x3xf64>)
// CHECK:           math.exp %{{.*}} : f64
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK:           arith.divf %{{.*}}, %{{.*}} : f64
func.func @softmax_rank3_f64(%x: tensor<4x3x5xf64>) -> tensor<4x3x5xf64> {
  %0 = nn.softmax %x : tensor<4x3x5xf64> -> tensor<4x3x5xf64>
  return %0 : tensor<4x3x5xf64>
}

// -----

// CHECK: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @add_mul
// CHECK-SAME:    (%[[A:.*]]: tensor<?x16xf32>, %[[B:.*]]: tensor<?x16xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x16xf32>
// CHECK:         %[[E0:.*]] = tensor.empty(%[[N]]) : tensor<?x16xf32>
// CHECK:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[A]], %[[B]] : tensor<?x16xf32>, tensor<?x16xf32>) outs(%[[E0]] : tensor<?x16xf32>)
// CHECK:         ^bb0(%[[L:.*]]: f32, %[[R:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[SUM:.*]] = arith.addf %[[L]], %[[R]] : f32
// CHECK:           linalg.yield %[[SUM]] : f32
// CHECK:         %[[E1:.*]] = tensor.empty(%{{.*}}) : tensor<?x16xf32>
// CHECK:         %[[P:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[S]], %[[B]] : tensor<?x16xf32>, tensor<?x16xf32>) outs(%[[E1]] : tensor<?x16xf32>)
// CHECK:         ^bb0(%[[L:.*]]: f32, %[[R:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[PROD:.*]] = arith.mulf %[[L]], %[[R]] : f32
// CHECK:           linalg.yield %[[PROD]] : f32
// CHECK:         return %[[P]]
func.func @add_mul(%a: tensor<?x16xf32>, %b: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = nn.add %a, %b : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %1 = nn.mul %0, %b : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// -----

// CHECK-LABEL: func.func @flatten
// CHECK-SAME:    (%[[X:.*]]: tensor<?x1x28x28xf32>)
// CHECK:         %[[C:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2, 3]] : tensor<?x1x28x28xf32> into tensor<?x784xf32>
// CHECK:         return %[[C]]
func.func @flatten(%x: tensor<?x1x28x28xf32>) -> tensor<?x784xf32> {
  %0 = nn.flatten %x : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
  return %0 : tensor<?x784xf32>
}

// -----

// Flattening a rank-2 tensor lowers to nothing.
// CHECK-LABEL: func.func @flatten_identity
// CHECK-SAME:    (%[[X:.*]]: tensor<?x784xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @flatten_identity(%x: tensor<?x784xf32>) -> tensor<?x784xf32> {
  %0 = nn.flatten %x : tensor<?x784xf32> -> tensor<?x784xf32>
  return %0 : tensor<?x784xf32>
}

// -----

// reshape: collapse to (batch, elements), then expand to the target shape
// with the batch carried over.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<?x2x3x4xf32>)
// CHECK:         %[[C:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2, 3]] : tensor<?x2x3x4xf32> into tensor<?x24xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[C]], %{{.*}} : tensor<?x24xf32>
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[C]] {{\[}}[0], [1, 2]] output_shape [%[[N]], 6, 4] : tensor<?x24xf32> into tensor<?x6x4xf32>
// CHECK:         return %[[E]]
func.func @reshape(%x: tensor<?x2x3x4xf32>) -> tensor<?x6x4xf32> {
  %0 = nn.reshape %x {shape = array<i64: 6, 4>} : tensor<?x2x3x4xf32> -> tensor<?x6x4xf32>
  return %0 : tensor<?x6x4xf32>
}

// -----

// To rank 2: the collapse alone.
// CHECK-LABEL: func.func @reshape_collapse_only
// CHECK-SAME:    (%[[X:.*]]: tensor<?x2x3xf32>)
// CHECK:         %[[C:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2]] : tensor<?x2x3xf32> into tensor<?x6xf32>
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return %[[C]]
func.func @reshape_collapse_only(%x: tensor<?x2x3xf32>) -> tensor<?x6xf32> {
  %0 = nn.reshape %x {shape = array<i64: 6>} : tensor<?x2x3xf32> -> tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}

// -----

// From rank 2: the expand alone.
// CHECK-LABEL: func.func @reshape_expand_only
// CHECK-SAME:    (%[[X:.*]]: tensor<?x6xf32>)
// CHECK-NOT:     tensor.collapse_shape
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x6xf32>
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [%[[N]], 2, 3] : tensor<?x6xf32> into tensor<?x2x3xf32>
// CHECK:         return %[[E]]
func.func @reshape_expand_only(%x: tensor<?x6xf32>) -> tensor<?x2x3xf32> {
  %0 = nn.reshape %x {shape = array<i64: 2, 3>} : tensor<?x6xf32> -> tensor<?x2x3xf32>
  return %0 : tensor<?x2x3xf32>
}

// -----

// A static batch is carried as a constant.
// CHECK-LABEL: func.func @reshape_static_f64
// CHECK-SAME:    (%[[X:.*]]: tensor<5x6xf64>)
// CHECK-NOT:     tensor.dim
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [5, 3, 2] : tensor<5x6xf64> into tensor<5x3x2xf64>
// CHECK:         return %[[E]]
func.func @reshape_static_f64(%x: tensor<5x6xf64>) -> tensor<5x3x2xf64> {
  %0 = nn.reshape %x {shape = array<i64: 3, 2>} : tensor<5x6xf64> -> tensor<5x3x2xf64>
  return %0 : tensor<5x3x2xf64>
}

// -----

// The model attributes survive the conversion.
// CHECK-LABEL: func.func @model
// CHECK-SAME:    {nn.input = "x"}
// CHECK-SAME:    {nn.init = "zeros", nn.param = "b"}
// CHECK-SAME:    attributes {nn.model}
// CHECK:         linalg.matmul
// CHECK-NOT:     nn.
func.func @model(%x: tensor<?x2xf32> {nn.input = "x"},
                 %w: tensor<2x2xf32> {nn.param = "w", nn.init = "ones"},
                 %b: tensor<2xf32> {nn.param = "b", nn.init = "zeros"})
    -> tensor<?x2xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// Negative: a function without nn ops is left as it is.
// CHECK-LABEL: func.func @no_nn_ops
// CHECK-SAME:    (%[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<?x4xf32>)
// CHECK-NEXT:    %[[S:.*]] = arith.addf %[[A]], %[[B]] : tensor<?x4xf32>
// CHECK-NEXT:    %[[T:.*]] = math.tanh %[[S]] : tensor<?x4xf32>
// CHECK-NEXT:    return %[[T]]
// CHECK-NOT:     linalg.
func.func @no_nn_ops(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = arith.addf %a, %b : tensor<?x4xf32>
  %1 = math.tanh %0 : tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}
