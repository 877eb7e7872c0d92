// RUN: nnc-opt %s --nnc-convert-nn-to-linalg --split-input-file | FileCheck %s

// Batch normalization (inference on running statistics, training on batch
// statistics with the running statistics updated in place, its gradient)
// and dropout (the identity at inference, a splitmix64 mask in training).

//===----------------------------------------------------------------------===//
// nn.batchnorm
//===----------------------------------------------------------------------===//

// scale = weight / sqrt(running_var + eps) per channel, then
// (x - running_mean) scale + bias per element.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @batchnorm
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4x3x3xf32>, %[[W:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<4xf32>)
// CHECK:         %[[INV:.*]] = linalg.generic {{.*}} ins(%[[V]] : tensor<4xf32>)
// CHECK:           arith.constant 9.99999974E-6 : f32
// CHECK:           math.sqrt
// CHECK:           arith.divf
// CHECK:         %[[SCALE:.*]] = linalg.generic {{.*}} ins(%[[W]], %[[INV]] : tensor<4xf32>, tensor<4xf32>)
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:        ins(%[[X]], %[[M]], %[[SCALE]], %[[B]] : tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:           arith.subf
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         return %[[Y]]
func.func @batchnorm(%x: tensor<?x4x3x3xf32>, %w: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<?x4x3x3xf32> {
  %y = nn.batchnorm %x, %w, %b, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x3x3xf32>
  return %y : tensor<?x4x3x3xf32>
}

//===----------------------------------------------------------------------===//
// nn.batchnorm_train
//===----------------------------------------------------------------------===//

// -----

// M = batch * 9 elements per channel; the mean, then the variance around it
// (two reductions over all dimensions but 1); the new running statistics
// are written into the running_mean / running_var operands themselves, with
// the variance scaled by M / (M - 1) (1 when M = 1).
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[V1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @batchnorm_train
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4x3x3xf32>, %[[W:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[RM:.*]]: tensor<4xf32>, %[[RV:.*]]: tensor<4xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]]
// CHECK:         %[[COUNT:.*]] = arith.muli %[[N]], %{{.*}} : index
// CHECK:         %[[COUNTF:.*]] = arith.sitofp
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
// CHECK-SAME:        ins(%[[X]] : tensor<?x4x3x3xf32>)
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>)
// CHECK:         %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
// CHECK-SAME:        ins(%[[X]], %[[MEAN]] : tensor<?x4x3x3xf32>, tensor<4xf32>)
// CHECK:         %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<4xf32>)
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[ID]]]
// CHECK-SAME:        ins(%[[X]], %[[MEAN]], %{{.*}}, %[[B]] :
// CHECK:         %[[ONE:.*]] = arith.cmpi eq, %[[COUNT]], %{{.*}} : index
// CHECK:         %[[UNBIAS:.*]] = arith.divf %[[COUNTF]], %{{.*}} : f32
// CHECK:         %[[CORR:.*]] = arith.select %[[ONE]], %{{.*}}, %[[UNBIAS]] : f32
// CHECK:         %[[NEW:.*]]:2 = linalg.generic {indexing_maps = [#[[V1]], #[[V1]], #[[V1]], #[[V1]]], iterator_types = ["parallel"]}
// CHECK-SAME:        ins(%[[MEAN]], %[[VAR]] : tensor<4xf32>, tensor<4xf32>) outs(%[[RM]], %[[RV]] : tensor<4xf32>, tensor<4xf32>)
// CHECK:         ^bb0(%[[BM:.*]]: f32, %[[BV:.*]]: f32, %[[OLDM:.*]]: f32, %[[OLDV:.*]]: f32):
// CHECK-DAG:       %[[KEEP:.*]] = arith.constant 0.899999976 : f32
// CHECK-DAG:       %[[TAKE:.*]] = arith.constant 1.000000e-01 : f32
// CHECK:           arith.mulf %[[KEEP]], %[[OLDM]]
// CHECK:           arith.mulf %[[TAKE]], %[[BM]]
// CHECK:           arith.mulf %[[BV]], %[[CORR]]
// CHECK:           arith.mulf %[[KEEP]], %[[OLDV]]
// CHECK:         return %[[Y]], %[[NEW]]#0, %[[NEW]]#1
func.func @batchnorm_train(%x: tensor<?x4x3x3xf32>, %w: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> (tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) {
  %y, %nm, %nv = nn.batchnorm_train %x, %w, %b, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %y, %nm, %nv : tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// nn.batchnorm_train_grad
//===----------------------------------------------------------------------===//

// -----

// On [N, C] (a dense layer's output): the statistics again, one reduction
// with two results (sum dy, sum dy xhat), then the input gradient.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @batchnorm_train_grad
// CHECK-SAME:    (%[[X:.*]]: tensor<?x6xf64>, %[[W:.*]]: tensor<6xf64>, %[[DY:.*]]: tensor<?x6xf64>)
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[X]] : tensor<?x6xf64>)
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<6xf64>)
// CHECK:           math.sqrt
// CHECK:         %[[SUMS:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[CH]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME:        ins(%[[X]], %[[DY]], %[[MEAN]], %[[INV:[0-9]+]] : tensor<?x6xf64>, tensor<?x6xf64>, tensor<6xf64>, tensor<6xf64>)
// CHECK:         %[[DX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[X]], %[[DY]], %[[MEAN]], %[[INV]], %[[W]], %[[SUMS]]#0, %[[SUMS]]#1 :
// CHECK:         return %[[DX]], %[[SUMS]]#1, %[[SUMS]]#0
func.func @batchnorm_train_grad(%x: tensor<?x6xf64>, %w: tensor<6xf64>, %dy: tensor<?x6xf64>) -> (tensor<?x6xf64>, tensor<6xf64>, tensor<6xf64>) {
  %dx, %dw, %db = nn.batchnorm_train_grad %x, %w, %dy {epsilon = 1.0e-03 : f64} : (tensor<?x6xf64>, tensor<6xf64>, tensor<?x6xf64>) -> (tensor<?x6xf64>, tensor<6xf64>, tensor<6xf64>)
  return %dx, %dw, %db : tensor<?x6xf64>, tensor<6xf64>, tensor<6xf64>
}

//===----------------------------------------------------------------------===//
// nn.dropout, nn.dropout_train
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @dropout
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @dropout(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = nn.dropout %x {rate = 5.0e-01 : f64} : tensor<?x8xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// The draw of element i = 8 n + c: z = key + (stream + 1) 0xD1B54A32D192ED03
// + i 0x9E3779B97F4A7C15 through splitmix64's finalizer (constants printed
// as signed i64: 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9,
// 0x94D049BB133111EB; 4 * 0xD1B54A32D192ED03 for stream 3); kept when its top
// 24 bits are at least ceil(rate 2^24), then divided by 1 - rate.
// CHECK-LABEL: func.func @dropout_train
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>, %[[KEY:.*]]: i64)
// CHECK:         %[[STREAM:.*]] = arith.constant 5104030606217163788 : i64
// CHECK:         %[[BASE:.*]] = arith.addi %[[KEY]], %[[STREAM]] : i64
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[X]] : tensor<?x8xf32>)
// CHECK:           %[[N:.*]] = linalg.index 0 : index
// CHECK:           %[[NI:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK:           arith.constant 8 : i64
// CHECK:           %[[C:.*]] = linalg.index 1 : index
// CHECK:           %[[I:.*]] = arith.addi
// CHECK:           %[[GOLDEN:.*]] = arith.constant -7046029254386353131 : i64
// CHECK:           %[[IG:.*]] = arith.muli %[[I]], %[[GOLDEN]] : i64
// CHECK:           %[[Z0:.*]] = arith.addi %[[BASE]], %[[IG]] : i64
// CHECK:           %[[S30:.*]] = arith.constant 30 : i64
// CHECK:           %[[SH30:.*]] = arith.shrui %[[Z0]], %[[S30]] : i64
// CHECK:           %[[X30:.*]] = arith.xori %[[Z0]], %[[SH30]] : i64
// CHECK:           %[[MIX1:.*]] = arith.constant -4658895280553007687 : i64
// CHECK:           %[[Z1:.*]] = arith.muli %[[X30]], %[[MIX1]] : i64
// CHECK:           %[[S27:.*]] = arith.constant 27 : i64
// CHECK:           %[[SH27:.*]] = arith.shrui %[[Z1]], %[[S27]] : i64
// CHECK:           %[[X27:.*]] = arith.xori %[[Z1]], %[[SH27]] : i64
// CHECK:           %[[MIX2:.*]] = arith.constant -7723592293110705685 : i64
// CHECK:           %[[Z2:.*]] = arith.muli %[[X27]], %[[MIX2]] : i64
// CHECK:           %[[S31:.*]] = arith.constant 31 : i64
// CHECK:           %[[SH31:.*]] = arith.shrui %[[Z2]], %[[S31]] : i64
// CHECK:           %[[Z3:.*]] = arith.xori %[[Z2]], %[[SH31]] : i64
// CHECK:           %[[S40:.*]] = arith.constant 40 : i64
// CHECK:           %[[BITS:.*]] = arith.shrui %[[Z3]], %[[S40]] : i64
// CHECK:           %[[THRESHOLD:.*]] = arith.constant 4194304 : i64
// CHECK:           %[[KEEP:.*]] = arith.cmpi sge, %[[BITS]], %[[THRESHOLD]] : i64
// CHECK:           %[[SCALE:.*]] = arith.constant 7.500000e-01 : f32
// CHECK:           %[[Y:.*]] = arith.divf %{{.*}}, %[[SCALE]] : f32
// CHECK:           arith.select %[[KEEP]], %[[Y]], %{{.*}} : f32
func.func @dropout_train(%x: tensor<?x8xf32>, %k: i64) -> tensor<?x8xf32> {
  %y = nn.dropout_train %x, %k {rate = 2.5e-01 : f64, stream = 3 : i64} : (tensor<?x8xf32>, i64) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Stream 0 and a rate that is not a multiple of 2^-24: the threshold is
// ceil(0.3 2^24) = 5033165, and f64 divides by 0.7.
// CHECK-LABEL: func.func @dropout_train_f64
// CHECK:         arith.constant -3335678366873096957 : i64
// CHECK:           arith.constant 5033165 : i64
// CHECK:           arith.constant 0.69999999999999996 : f64
func.func @dropout_train_f64(%x: tensor<?x2x3xf64>, %k: i64) -> tensor<?x2x3xf64> {
  %y = nn.dropout_train %x, %k {rate = 3.0e-01 : f64, stream = 0 : i64} : (tensor<?x2x3xf64>, i64) -> tensor<?x2x3xf64>
  return %y : tensor<?x2x3xf64>
}
