// RUN: nnc-opt %s --nnc-convert-nn-to-linalg --split-input-file | FileCheck %s

// The training ops of the nn dialect (gradient building blocks, losses,
// metrics and optimizer updates) become destination-passing linalg on
// tensors. Transposes live in the indexing maps, reductions accumulate into
// zero-filled destinations, and the optimizer updates write into the
// parameter and state tensors themselves so that bufferization makes them
// in place.

//===----------------------------------------------------------------------===//
// nn.matmul
//===----------------------------------------------------------------------===//

// dx = dy W^T: the batch of the result comes from the lhs, W is read through
// a transposed map.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHST:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_transpose_rhs
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x3xf32>, %[[W:.*]]: tensor<4x3xf32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[DY]], %[[C0]] : tensor<?x3xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x4xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[LHS]], #[[RHST]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[DY]], %[[W]] : tensor<?x3xf32>, tensor<4x3xf32>) outs(%[[ACC]] : tensor<?x4xf32>)
// CHECK:         ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[O:.*]]: f32):
// CHECK:           %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK:           %[[S:.*]] = arith.addf %[[O]], %[[P]] : f32
// CHECK:           linalg.yield %[[S]] : f32
// CHECK:         return %[[G]] : tensor<?x4xf32>
// CHECK-NOT:     nn.
func.func @matmul_transpose_rhs(%dy: tensor<?x3xf32>, %w: tensor<4x3xf32>) -> tensor<?x4xf32> {
  %0 = nn.matmul %dy, %w {transpose_rhs} : (tensor<?x3xf32>, tensor<4x3xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// dW = x^T dy contracts the batch: a static result needs no tensor.dim.
// CHECK-DAG: #[[LHST:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_transpose_lhs
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>, %[[DY:.*]]: tensor<?x3xf32>)
// CHECK-NOT:     tensor.dim
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<4x3xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[LHST]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[X]], %[[DY]] : tensor<?x4xf32>, tensor<?x3xf32>) outs(%[[ACC]] : tensor<4x3xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         return %[[G]] : tensor<4x3xf32>
func.func @matmul_transpose_lhs(%x: tensor<?x4xf32>, %dy: tensor<?x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.matmul %x, %dy {transpose_lhs} : (tensor<?x4xf32>, tensor<?x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// No transposes, f64, both dimensions of the result dynamic: the rows come
// from the lhs, the columns from the rhs.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_plain_f64
// CHECK-SAME:    (%[[A:.*]]: tensor<?x3xf64>, %[[B:.*]]: tensor<3x?xf64>)
// CHECK:         %[[M:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x3xf64>
// CHECK:         %[[N:.*]] = tensor.dim %[[B]], %{{.*}} : tensor<3x?xf64>
// CHECK:         %[[E:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf64>
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f64) outs(%[[E]] : tensor<?x?xf64>)
// CHECK:         linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[A]], %[[B]] : tensor<?x3xf64>, tensor<3x?xf64>) outs(%[[ACC]] : tensor<?x?xf64>)
// CHECK:           arith.mulf %{{.*}}, %{{.*}} : f64
func.func @matmul_plain_f64(%a: tensor<?x3xf64>, %b: tensor<3x?xf64>) -> tensor<?x?xf64> {
  %0 = nn.matmul %a, %b : (tensor<?x3xf64>, tensor<3x?xf64>) -> tensor<?x?xf64>
  return %0 : tensor<?x?xf64>
}

// -----

//===----------------------------------------------------------------------===//
// nn.batch_sum
//===----------------------------------------------------------------------===//

// The batch (d0) is the reduction dimension and is dropped from the output.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[DROP:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @batch_sum_rank3
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x2x3xf32>)
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<2x3xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[DROP]]], iterator_types = ["reduction", "parallel", "parallel"]}
// CHECK-SAME:        ins(%[[DY]] : tensor<?x2x3xf32>) outs(%[[ACC]] : tensor<2x3xf32>)
// CHECK:         ^bb0(%[[V:.*]]: f32, %[[O:.*]]: f32):
// CHECK:           %[[S:.*]] = arith.addf %[[O]], %[[V]] : f32
// CHECK:           linalg.yield %[[S]] : f32
// CHECK:         return %[[G]] : tensor<2x3xf32>
func.func @batch_sum_rank3(%dy: tensor<?x2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.batch_sum %dy : tensor<?x2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[DROP:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @batch_sum_f64
// CHECK:         linalg.generic {indexing_maps = [#[[IN]], #[[DROP]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME:        ins(%{{.*}} : tensor<8x64xf64>) outs(%{{.*}} : tensor<64xf64>)
// CHECK:           arith.addf %{{.*}}, %{{.*}} : f64
func.func @batch_sum_f64(%dy: tensor<8x64xf64>) -> tensor<64xf64> {
  %0 = nn.batch_sum %dy : tensor<8x64xf64> -> tensor<64xf64>
  return %0 : tensor<64xf64>
}

// -----

//===----------------------------------------------------------------------===//
// Activation gradients
//===----------------------------------------------------------------------===//

// relu_grad: dy where the relu's input is positive, else 0.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @relu_grad
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3xf32>, %[[DY:.*]]: tensor<?x3xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3xf32>
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[X]], %[[DY]] : tensor<?x3xf32>, tensor<?x3xf32>) outs(%[[E]] : tensor<?x3xf32>)
// CHECK:         ^bb0(%[[XV:.*]]: f32, %[[DYV:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[POS:.*]] = arith.cmpf ogt, %[[XV]], %[[ZERO]] : f32
// CHECK:           %[[SEL:.*]] = arith.select %[[POS]], %[[DYV]], %[[ZERO]] : f32
// CHECK:           linalg.yield %[[SEL]] : f32
// CHECK:         return %[[G]]
func.func @relu_grad(%x: tensor<?x3xf32>, %dy: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = nn.relu_grad %x, %dy : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// tanh_grad: dy (1 - y^2), from the tanh's result y.
// CHECK-LABEL: func.func @tanh_grad_f64
// CHECK-SAME:    (%[[Y:.*]]: tensor<?x3xf64>, %[[DY:.*]]: tensor<?x3xf64>)
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[Y]], %[[DY]] : tensor<?x3xf64>, tensor<?x3xf64>)
// CHECK:         ^bb0(%[[YV:.*]]: f64, %[[DYV:.*]]: f64, %{{.*}}: f64):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK:           %[[SQ:.*]] = arith.mulf %[[YV]], %[[YV]] : f64
// CHECK:           %[[D:.*]] = arith.subf %[[ONE]], %[[SQ]] : f64
// CHECK:           %[[R:.*]] = arith.mulf %[[DYV]], %[[D]] : f64
// CHECK:           linalg.yield %[[R]] : f64
func.func @tanh_grad_f64(%y: tensor<?x3xf64>, %dy: tensor<?x3xf64>) -> tensor<?x3xf64> {
  %0 = nn.tanh_grad %y, %dy : (tensor<?x3xf64>, tensor<?x3xf64>) -> tensor<?x3xf64>
  return %0 : tensor<?x3xf64>
}

// -----

// sigmoid_grad: dy y (1 - y).
// CHECK-LABEL: func.func @sigmoid_grad
// CHECK-SAME:    (%[[Y:.*]]: tensor<4x3xf32>, %[[DY:.*]]: tensor<4x3xf32>)
// CHECK-NOT:     tensor.dim
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[Y]], %[[DY]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%[[E]] : tensor<4x3xf32>)
// CHECK:         ^bb0(%[[YV:.*]]: f32, %[[DYV:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[C:.*]] = arith.subf %[[ONE]], %[[YV]] : f32
// CHECK:           %[[S:.*]] = arith.mulf %[[YV]], %[[C]] : f32
// CHECK:           %[[R:.*]] = arith.mulf %[[DYV]], %[[S]] : f32
// CHECK:           linalg.yield %[[R]] : f32
func.func @sigmoid_grad(%y: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.sigmoid_grad %y, %dy : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// softmax_grad: y (dy - sum_j dy_j y_j), the dot product reduced over the
// last dimension into a zero-filled row tensor.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax_grad
// CHECK-SAME:    (%[[Y:.*]]: tensor<?x10xf32>, %[[DY:.*]]: tensor<?x10xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[Y]], %{{.*}} : tensor<?x10xf32>
// CHECK:         %[[RE:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK:         %[[RZ:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[RE]] : tensor<?xf32>)
// CHECK:         %[[DOT:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[Y]], %[[DY]] : tensor<?x10xf32>, tensor<?x10xf32>) outs(%[[RZ]] : tensor<?xf32>)
// CHECK:         ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[O:.*]]: f32):
// CHECK:           %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK:           %[[S:.*]] = arith.addf %[[O]], %[[P]] : f32
// CHECK:           linalg.yield %[[S]] : f32
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x10xf32>
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[Y]], %[[DY]], %[[DOT]] : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?xf32>) outs(%[[E]] : tensor<?x10xf32>)
// CHECK:         ^bb0(%[[YV:.*]]: f32, %[[DYV:.*]]: f32, %[[DV:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[DIFF:.*]] = arith.subf %[[DYV]], %[[DV]] : f32
// CHECK:           %[[R:.*]] = arith.mulf %[[YV]], %[[DIFF]] : f32
// CHECK:           linalg.yield %[[R]] : f32
// CHECK:         return %[[G]]
func.func @softmax_grad(%y: tensor<?x10xf32>, %dy: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = nn.softmax_grad %y, %dy : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// At rank 3 softmax_grad still reduces only the last dimension.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @softmax_grad_rank3
// CHECK:         tensor.empty() : tensor<4x2xf64>
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
func.func @softmax_grad_rank3(%y: tensor<4x2x5xf64>, %dy: tensor<4x2x5xf64>) -> tensor<4x2x5xf64> {
  %0 = nn.softmax_grad %y, %dy : (tensor<4x2x5xf64>, tensor<4x2x5xf64>) -> tensor<4x2x5xf64>
  return %0 : tensor<4x2x5xf64>
}

// -----

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

// Cross-entropy in log-sum-exp form: row maximum (from -inf), sum of
// exp(logit - max), then one reduction over rows adding
// (max + log(sum) - logit[label]) / batch: one logarithm per row, the
// label's logit read directly (a label outside [0, classes) adds nothing).
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ROW1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[SCALAR1:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @softmax_cross_entropy
// CHECK-SAME:    (%[[L:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[L]], %{{.*}} : tensor<?x10xf32>
// CHECK:         %[[ME:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[MI:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%[[ME]] : tensor<?xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[L]] : tensor<?x10xf32>) outs(%[[MI]] : tensor<?xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[SE:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK:         %[[SI:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[SE]] : tensor<?xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[L]], %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>) outs(%[[SI]] : tensor<?xf32>)
// CHECK:         ^bb0(%[[LV:.*]]: f32, %[[MV:.*]]: f32, %[[O:.*]]: f32):
// CHECK:           %[[D:.*]] = arith.subf %[[LV]], %[[MV]] : f32
// CHECK:           %[[EXP:.*]] = math.exp %[[D]] : f32
// CHECK:           arith.addf %[[O]], %[[EXP]] : f32
// CHECK:         %[[B:.*]] = tensor.dim %[[L]], %{{.*}} : tensor<?x10xf32>
// CHECK:         %[[BI:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK:         %[[BF:.*]] = arith.sitofp %[[BI]] : i64 to f32
// CHECK:         %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:         %[[INV:.*]] = arith.divf %[[ONE]], %[[BF]] : f32
// CHECK:         %[[LE:.*]] = tensor.empty() : tensor<f32>
// CHECK:         %[[LI:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[LE]] : tensor<f32>)
// CHECK:         %[[C:.*]] = tensor.dim %[[L]], %{{.*}} : tensor<?x10xf32>
// CHECK:         %[[LOSS:.*]] = linalg.generic {indexing_maps = [#[[ROW1]], #[[ROW1]], #[[ROW1]], #[[SCALAR1]]], iterator_types = ["reduction"]}
// CHECK-SAME:        ins(%[[Y]], %[[MAX]], %[[SUM]] : tensor<?xi32>, tensor<?xf32>, tensor<?xf32>) outs(%[[LI]] : tensor<f32>)
// CHECK:         ^bb0(%[[YV:.*]]: i32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %[[O:.*]]: f32):
// CHECK:           %[[LABEL:.*]] = arith.index_cast %[[YV]] : i32 to index
// CHECK:           %[[Z0:.*]] = arith.constant 0 : index
// CHECK:           %[[GE:.*]] = arith.cmpi sge, %[[LABEL]], %[[Z0]] : index
// CHECK:           %[[LT:.*]] = arith.cmpi slt, %[[LABEL]], %[[C]] : index
// CHECK:           %[[IN:.*]] = arith.andi %[[GE]], %[[LT]] : i1
// CHECK:           %[[COL:.*]] = arith.select %[[IN]], %[[LABEL]], %[[Z0]] : index
// CHECK:           %[[ROWI:.*]] = linalg.index 0 : index
// CHECK:           %[[LV:.*]] = tensor.extract %[[L]][%[[ROWI]], %[[COL]]] : tensor<?x10xf32>
// CHECK:           %[[LOG:.*]] = math.log %[[SV]] : f32
// CHECK:           %[[LSE:.*]] = arith.addf %[[MV]], %[[LOG]] : f32
// CHECK:           %[[NLL:.*]] = arith.subf %[[LSE]], %[[LV]] : f32
// CHECK:           %[[TERM:.*]] = arith.mulf %[[NLL]], %[[INV]] : f32
// CHECK:           %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[SEL:.*]] = arith.select %[[IN]], %[[TERM]], %[[Z]] : f32
// CHECK:           %[[ACC:.*]] = arith.addf %[[O]], %[[SEL]] : f32
// CHECK:           linalg.yield %[[ACC]] : f32
// CHECK:         return %[[LOSS]] : tensor<f32>
func.func @softmax_cross_entropy(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>) -> tensor<f32> {
  %0 = nn.softmax_cross_entropy %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Its gradient: (softmax - onehot(label)) * dloss / batch, elementwise, from
// the same row statistics.
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @softmax_cross_entropy_grad
// CHECK-SAME:    (%[[L:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>, %[[DL:.*]]: tensor<f32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} ins(%[[L]] : tensor<?x10xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[L]], %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>)
// CHECK:           math.exp
// CHECK:         %[[INV:.*]] = arith.divf
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x10xf32>
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]], #[[ROW]], #[[ROW]], #[[SCALAR]], #[[FULL]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[L]], %[[Y]], %[[MAX]], %[[SUM]], %[[DL]] : tensor<?x10xf32>, tensor<?xi32>, tensor<?xf32>, tensor<?xf32>, tensor<f32>) outs(%[[E]] : tensor<?x10xf32>)
// CHECK:         ^bb0(%[[LV:.*]]: f32, %[[YV:.*]]: i32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %[[DV:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[D:.*]] = arith.subf %[[LV]], %[[MV]] : f32
// CHECK:           %[[EXP:.*]] = math.exp %[[D]] : f32
// CHECK:           %[[P:.*]] = arith.divf %[[EXP]], %[[SV]] : f32
// CHECK:           %[[COL:.*]] = linalg.index 1 : index
// CHECK:           %[[LABEL:.*]] = arith.index_cast %[[YV]] : i32 to index
// CHECK:           %[[HIT:.*]] = arith.cmpi eq, %[[COL]], %[[LABEL]] : index
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[T:.*]] = arith.select %[[HIT]], %[[ONE]], %[[ZERO]] : f32
// CHECK:           %[[SCALE:.*]] = arith.mulf %[[DV]], %[[INV]] : f32
// CHECK:           %[[DIFF:.*]] = arith.subf %[[P]], %[[T]] : f32
// CHECK:           %[[R:.*]] = arith.mulf %[[DIFF]], %[[SCALE]] : f32
// CHECK:           linalg.yield %[[R]] : f32
// CHECK:         return %[[G]]
func.func @softmax_cross_entropy_grad(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>, %dloss: tensor<f32>) -> tensor<?x10xf32> {
  %0 = nn.softmax_cross_entropy_grad %logits, %labels, %dloss : (tensor<?x10xf32>, tensor<?xi32>, tensor<f32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// A static batch and f64: the same ops, with the f64 constants.
// CHECK-LABEL: func.func @softmax_cross_entropy_static_f64
// CHECK:         arith.constant 0xFFF0000000000000 : f64
// CHECK:         math.exp %{{.*}} : f64
// CHECK:         math.log %{{.*}} : f64
// CHECK:         return %{{.*}} : tensor<f64>
func.func @softmax_cross_entropy_static_f64(%logits: tensor<16x3xf64>, %labels: tensor<16xi32>) -> tensor<f64> {
  %0 = nn.softmax_cross_entropy %logits, %labels : (tensor<16x3xf64>, tensor<16xi32>) -> tensor<f64>
  return %0 : tensor<f64>
}

// -----

// MSE: the sum over every element of (p - t)^2 / (batch * elements per
// example), all dimensions reduced into a 0-d tensor.
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1, d2) -> ()>
// CHECK-LABEL: func.func @mse
// CHECK-SAME:    (%[[P:.*]]: tensor<?x2x3xf64>, %[[T:.*]]: tensor<?x2x3xf64>)
// CHECK:         %[[N:.*]] = tensor.dim %[[P]], %{{.*}} : tensor<?x2x3xf64>
// CHECK:         %[[SIX:.*]] = arith.constant 6 : index
// CHECK:         %[[COUNT:.*]] = arith.muli %[[N]], %[[SIX]] : index
// CHECK:         %[[CI:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK:         %[[CF:.*]] = arith.sitofp %[[CI]] : i64 to f64
// CHECK:         %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK:         %[[INV:.*]] = arith.divf %[[ONE]], %[[CF]] : f64
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<f64>
// CHECK:         %[[Z:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%[[E]] : tensor<f64>)
// CHECK:         %[[LOSS:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[FULL]], #[[SCALAR]]], iterator_types = ["reduction", "reduction", "reduction"]}
// CHECK-SAME:        ins(%[[P]], %[[T]] : tensor<?x2x3xf64>, tensor<?x2x3xf64>) outs(%[[Z]] : tensor<f64>)
// CHECK:         ^bb0(%[[PV:.*]]: f64, %[[TV:.*]]: f64, %[[O:.*]]: f64):
// CHECK:           %[[D:.*]] = arith.subf %[[PV]], %[[TV]] : f64
// CHECK:           %[[SQ:.*]] = arith.mulf %[[D]], %[[D]] : f64
// CHECK:           %[[S:.*]] = arith.mulf %[[SQ]], %[[INV]] : f64
// CHECK:           %[[ACC:.*]] = arith.addf %[[O]], %[[S]] : f64
// CHECK:           linalg.yield %[[ACC]] : f64
// CHECK:         return %[[LOSS]] : tensor<f64>
func.func @mse(%p: tensor<?x2x3xf64>, %t: tensor<?x2x3xf64>) -> tensor<f64> {
  %0 = nn.mse %p, %t : (tensor<?x2x3xf64>, tensor<?x2x3xf64>) -> tensor<f64>
  return %0 : tensor<f64>
}

// -----

// Its gradient: 2 (p - t) dloss / count, elementwise.
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @mse_grad
// CHECK-SAME:    (%[[P:.*]]: tensor<?x3xf32>, %[[T:.*]]: tensor<?x3xf32>, %[[DL:.*]]: tensor<f32>)
// CHECK:         %[[THREE:.*]] = arith.constant 3 : index
// CHECK:         %[[INV:.*]] = arith.divf
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x3xf32>
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[FULL]], #[[SCALAR]], #[[FULL]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[P]], %[[T]], %[[DL]] : tensor<?x3xf32>, tensor<?x3xf32>, tensor<f32>) outs(%[[E]] : tensor<?x3xf32>)
// CHECK:         ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[DV:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[D:.*]] = arith.subf %[[PV]], %[[TV]] : f32
// CHECK:           %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:           %[[K:.*]] = arith.mulf %[[INV]], %[[TWO]] : f32
// CHECK:           %[[SCALE:.*]] = arith.mulf %[[DV]], %[[K]] : f32
// CHECK:           %[[R:.*]] = arith.mulf %[[D]], %[[SCALE]] : f32
// CHECK:           linalg.yield %[[R]] : f32
// CHECK:         return %[[G]]
func.func @mse_grad(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>, %dloss: tensor<f32>) -> tensor<?x3xf32> {
  %0 = nn.mse_grad %p, %t, %dloss : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// count_correct: a first-maximum arg-max per row (strictly greater keeps the
// earlier column) into (max, index) row tensors, then a count of the rows
// whose index equals the label.
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[SCALAR1:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @count_correct
// CHECK-SAME:    (%[[L:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[L]], %{{.*}} : tensor<?x10xf32>
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[ME:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK:         %[[MI:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%[[ME]] : tensor<?xf32>)
// CHECK:         %[[IE:.*]] = tensor.empty(%[[N]]) : tensor<?xi64>
// CHECK:         %[[II:.*]] = linalg.fill ins(%{{.*}} : i64) outs(%[[IE]] : tensor<?xi64>)
// CHECK:         %[[AM:.*]]:2 = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[L]] : tensor<?x10xf32>) outs(%[[MI]], %[[II]] : tensor<?xf32>, tensor<?xi64>)
// CHECK:         ^bb0(%[[V:.*]]: f32, %[[M:.*]]: f32, %[[I:.*]]: i64):
// CHECK:           %[[GT:.*]] = arith.cmpf ogt, %[[V]], %[[M]] : f32
// CHECK:           %[[COL:.*]] = linalg.index 1 : index
// CHECK:           %[[COLI:.*]] = arith.index_cast %[[COL]] : index to i64
// CHECK:           %[[NM:.*]] = arith.select %[[GT]], %[[V]], %[[M]] : f32
// CHECK:           %[[NI:.*]] = arith.select %[[GT]], %[[COLI]], %[[I]] : i64
// CHECK:           linalg.yield %[[NM]], %[[NI]] : f32, i64
// CHECK:         %[[CE:.*]] = tensor.empty() : tensor<i64>
// CHECK:         %[[CI:.*]] = linalg.fill ins(%{{.*}} : i64) outs(%[[CE]] : tensor<i64>)
// CHECK:         %[[C:.*]] = linalg.generic {indexing_maps = [#[[ID1]], #[[ID1]], #[[SCALAR1]]], iterator_types = ["reduction"]}
// CHECK-SAME:        ins(%[[AM]]#1, %[[Y]] : tensor<?xi64>, tensor<?xi32>) outs(%[[CI]] : tensor<i64>)
// CHECK:         ^bb0(%[[IV:.*]]: i64, %[[YV:.*]]: i32, %[[O:.*]]: i64):
// CHECK:           %[[YE:.*]] = arith.extsi %[[YV]] : i32 to i64
// CHECK:           %[[EQ:.*]] = arith.cmpi eq, %[[IV]], %[[YE]] : i64
// CHECK:           %[[ONE:.*]] = arith.extui %[[EQ]] : i1 to i64
// CHECK:           %[[ACC:.*]] = arith.addi %[[O]], %[[ONE]] : i64
// CHECK:           linalg.yield %[[ACC]] : i64
// CHECK:         return %[[C]] : tensor<i64>
func.func @count_correct(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>) -> tensor<i64> {
  %0 = nn.count_correct %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

// Plain SGD: one elementwise generic reading the gradient whose destination
// is the parameter itself, p - lr * g.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @sgd
// CHECK-SAME:    (%[[P:.*]]: tensor<4x8xf32>, %[[G:.*]]: tensor<4x8xf32>)
// CHECK-NOT:     tensor.empty
// CHECK:         %[[NEW:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[G]] : tensor<4x8xf32>) outs(%[[P]] : tensor<4x8xf32>)
// CHECK:         ^bb0(%[[GV:.*]]: f32, %[[PV:.*]]: f32):
// CHECK:           %[[LR:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:           %[[STEP:.*]] = arith.mulf %[[LR]], %[[GV]] : f32
// CHECK:           %[[R:.*]] = arith.subf %[[PV]], %[[STEP]] : f32
// CHECK:           linalg.yield %[[R]] : f32
// CHECK:         return %[[NEW]] : tensor<4x8xf32>
func.func @sgd(%p: tensor<4x8xf32>, %g: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = nn.sgd_update %p, %g {lr = 0.5 : f64, momentum = 0.0 : f64, weight_decay = 0.0 : f64}
      : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Momentum and weight decay (PyTorch): g' = g + wd p, v' = m v + g',
// p' = p - lr v'; parameter and velocity are both destinations.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @sgd_momentum_weight_decay
// CHECK-SAME:    (%[[P:.*]]: tensor<8xf64>, %[[G:.*]]: tensor<8xf64>, %[[V:.*]]: tensor<8xf64>)
// CHECK:         %[[NEW:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel"]}
// CHECK-SAME:        ins(%[[G]] : tensor<8xf64>) outs(%[[P]], %[[V]] : tensor<8xf64>, tensor<8xf64>)
// CHECK:         ^bb0(%[[GV:.*]]: f64, %[[PV:.*]]: f64, %[[VV:.*]]: f64):
// CHECK:           %[[WD:.*]] = arith.constant 2.500000e-01 : f64
// CHECK:           %[[DECAY:.*]] = arith.mulf %[[WD]], %[[PV]] : f64
// CHECK:           %[[G2:.*]] = arith.addf %[[GV]], %[[DECAY]] : f64
// CHECK:           %[[MOM:.*]] = arith.constant 7.500000e-01 : f64
// CHECK:           %[[MV:.*]] = arith.mulf %[[MOM]], %[[VV]] : f64
// CHECK:           %[[NV:.*]] = arith.addf %[[MV]], %[[G2]] : f64
// CHECK:           %[[LR:.*]] = arith.constant 5.000000e-01 : f64
// CHECK:           %[[STEP:.*]] = arith.mulf %[[LR]], %[[NV]] : f64
// CHECK:           %[[NP:.*]] = arith.subf %[[PV]], %[[STEP]] : f64
// CHECK:           linalg.yield %[[NP]], %[[NV]] : f64, f64
// CHECK:         return %[[NEW]]#0, %[[NEW]]#1
func.func @sgd_momentum_weight_decay(%p: tensor<8xf64>, %g: tensor<8xf64>, %v: tensor<8xf64>) -> (tensor<8xf64>, tensor<8xf64>) {
  %0:2 = nn.sgd_update %p, %g, %v {lr = 0.5 : f64, momentum = 0.75 : f64, weight_decay = 0.25 : f64}
      : (tensor<8xf64>, tensor<8xf64>, tensor<8xf64>) -> (tensor<8xf64>, tensor<8xf64>)
  return %0#0, %0#1 : tensor<8xf64>, tensor<8xf64>
}

// -----

// Adam: the bias corrections 1 - beta^step = 1 - exp(step ln beta) are
// scalars computed once from the run-time step (ln 0.5 and ln 0.75 here),
// the second as the reciprocal of its square root, which the update
// multiplies by; the update writes parameter, first and second moment in
// place. The division by the denominator (>= eps > 0) is `arcp ninf`: LLVM
// may compute it as a reciprocal estimate refined by a Newton step.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @adam
// CHECK-SAME:    (%[[P:.*]]: tensor<8xf32>, %[[G:.*]]: tensor<8xf32>, %[[M:.*]]: tensor<8xf32>, %[[V:.*]]: tensor<8xf32>, %[[STEP:.*]]: i64)
// CHECK:         %[[T:.*]] = arith.sitofp %[[STEP]] : i64 to f32
// CHECK:         %[[LR:.*]] = arith.constant 1.000000e-03 : f32
// CHECK:         %[[LN1:.*]] = arith.constant -0.693147182 : f32
// CHECK:         %[[X1:.*]] = arith.mulf %[[T]], %[[LN1]] : f32
// CHECK:         %[[POW1:.*]] = math.exp %[[X1]] : f32
// CHECK:         %[[C1:.*]] = arith.subf %{{.*}}, %[[POW1]] : f32
// CHECK:         %[[STEPSIZE:.*]] = arith.divf %[[LR]], %[[C1]] : f32
// CHECK:         %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:         %[[LN2:.*]] = arith.constant -0.287682086 : f32
// CHECK:         %[[X2:.*]] = arith.mulf %[[T]], %[[LN2]] : f32
// CHECK:         %[[POW2:.*]] = math.exp %[[X2]] : f32
// CHECK:         %[[C2:.*]] = arith.subf %{{.*}}, %[[POW2]] : f32
// CHECK:         %[[SQRTC2:.*]] = math.sqrt %[[C2]] : f32
// CHECK:         %[[INVSQRTC2:.*]] = arith.divf %[[ONE]], %[[SQRTC2]] : f32
// CHECK:         %[[NEW:.*]]:3 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel"]}
// CHECK-SAME:        ins(%[[G]] : tensor<8xf32>) outs(%[[P]], %[[M]], %[[V]] : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK:         ^bb0(%[[GV:.*]]: f32, %[[PV:.*]]: f32, %[[MV:.*]]: f32, %[[VV:.*]]: f32):
// CHECK:           %[[B1:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:           %[[M1:.*]] = arith.mulf %[[B1]], %[[MV]] : f32
// CHECK:           %[[OMB1:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:           %[[M2:.*]] = arith.mulf %[[OMB1]], %[[GV]] : f32
// CHECK:           %[[NM:.*]] = arith.addf %[[M1]], %[[M2]] : f32
// CHECK:           %[[B2:.*]] = arith.constant 7.500000e-01 : f32
// CHECK:           %[[V1:.*]] = arith.mulf %[[B2]], %[[VV]] : f32
// CHECK:           %[[OMB2:.*]] = arith.constant 2.500000e-01 : f32
// CHECK:           %[[GG:.*]] = arith.mulf %[[GV]], %[[GV]] : f32
// CHECK:           %[[V2:.*]] = arith.mulf %[[OMB2]], %[[GG]] : f32
// CHECK:           %[[NV:.*]] = arith.addf %[[V1]], %[[V2]] : f32
// CHECK:           %[[SQ:.*]] = math.sqrt %[[NV]] : f32
// CHECK:           %[[HAT:.*]] = arith.mulf %[[SQ]], %[[INVSQRTC2]] : f32
// CHECK:           %[[EPS:.*]] = arith.constant 9.99999993E-9 : f32
// CHECK:           %[[DEN:.*]] = arith.addf %[[HAT]], %[[EPS]] : f32
// CHECK:           %[[RATIO:.*]] = arith.divf %[[NM]], %[[DEN]] fastmath<ninf,arcp> : f32
// CHECK:           %[[UPD:.*]] = arith.mulf %[[STEPSIZE]], %[[RATIO]] : f32
// CHECK:           %[[NP:.*]] = arith.subf %[[PV]], %[[UPD]] : f32
// CHECK:           linalg.yield %[[NP]], %[[NM]], %[[NV]] : f32, f32, f32
// CHECK:         return %[[NEW]]#0, %[[NEW]]#1, %[[NEW]]#2
func.func @adam(%p: tensor<8xf32>, %g: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %step: i64)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %0:3 = nn.adam_update %p, %g, %m, %v, %step {lr = 0.001 : f64, beta1 = 0.5 : f64, beta2 = 0.75 : f64, eps = 1.0e-8 : f64}
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, i64) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %0#0, %0#1, %0#2 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// beta1 = 0 has no bias correction to compute: 1 - 0^step is the constant 1
// and only beta2's correction needs math.exp.
// CHECK-LABEL: func.func @adam_beta1_zero
// CHECK:         %[[LR:.*]] = arith.constant 1.000000e-03 : f64
// CHECK:         %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK:         arith.divf %[[LR]], %[[ONE]] : f64
// CHECK-COUNT-1: math.exp
// CHECK-NOT:     math.exp
// CHECK:         linalg.generic
func.func @adam_beta1_zero(%p: tensor<2x3xf64>, %g: tensor<2x3xf64>, %m: tensor<2x3xf64>, %v: tensor<2x3xf64>, %step: i64)
    -> (tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>) {
  %0:3 = nn.adam_update %p, %g, %m, %v, %step {lr = 0.001 : f64, beta1 = 0.0 : f64, beta2 = 0.75 : f64, eps = 1.0e-8 : f64}
      : (tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>, i64) -> (tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>)
  return %0#0, %0#1, %0#2 : tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>
}
