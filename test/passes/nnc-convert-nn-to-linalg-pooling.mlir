// RUN: nnc-opt %s --nnc-convert-nn-to-linalg --split-input-file | FileCheck %s

// Pooling and its gradients: named linalg pooling ops on a padded input
// (-inf for max, zeros for average), the average divided by the whole
// window; max-pooling gradients through a first-maximum arg-max and a
// gather (or, for windows that tile the image, an elementwise write of a
// [N, C, OH, KH, OW, KW] view); average-pooling gradients as the transposed
// window. Max pooling over windows that tile the rows and are at most 4
// wide (the usual 2x2) runs on vectors of windows instead: loops over
// (n * C + c, output row), one read of KW x 16 (f32) or KW x 8 (f64)
// columns per window row, split into the windows' members by shuffles.

//===----------------------------------------------------------------------===//
// nn.maxpool2d, nn.avgpool2d
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @maxpool_padded
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x9x8xf32>)
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:           tensor.yield %[[NEGINF]] : f32
// CHECK:         } : tensor<?x3x9x8xf32> to tensor<?x3x11x10xf32>
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x5x4xf32>)
// CHECK:         %[[WIN:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK:         %[[R:.*]] = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:        ins(%[[P]], %[[WIN]] : tensor<?x3x11x10xf32>, tensor<3x3xf32>) outs(%[[INIT]] : tensor<?x3x5x4xf32>)
// CHECK:         return %[[R]]
func.func @maxpool_padded(%x: tensor<?x3x9x8xf32>) -> tensor<?x3x5x4xf32> {
  %y = nn.maxpool2d %x {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x3x9x8xf32> -> tensor<?x3x5x4xf32>
  return %y : tensor<?x3x5x4xf32>
}

// -----

// The -inf of the accumulator: 0xFF800000 as f32, 0xFFF0000000000000 as f64.
// Unpadded windows that do not tile the rows (stride 1) keep the named op.
// CHECK-LABEL: func.func @maxpool_unpadded_f64
// CHECK-NOT:     tensor.pad
// CHECK:         arith.constant 0xFFF0000000000000 : f64
// CHECK:         linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:        ins(%{{.*}}, %{{.*}} : tensor<?x3x8x8xf64>, tensor<2x2xf64>)
func.func @maxpool_unpadded_f64(%x: tensor<?x3x8x8xf64>) -> tensor<?x3x7x7xf64> {
  %y = nn.maxpool2d %x {kernel_size = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x3x8x8xf64> -> tensor<?x3x7x7xf64>
  return %y : tensor<?x3x7x7xf64>
}

// -----

// Windows that tile the rows: for every (n * C + c, output row) and window
// row kh, one read of 2 x 16 columns (past the end: -inf), its even and odd
// columns as the windows' two members, their maximum written to the output
// row (lanes past its 4 windows: not written). Column 8 and row 6 lie in no
// window. The loop over images is not worth threads (36 results per
// example).
// CHECK-LABEL: func.func @maxpool_tiling_rows
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x7x9xf32>)
// CHECK:         %[[INIT:.*]] = tensor.empty(%{{.*}}) : tensor<?x3x3x4xf32>
// CHECK:         %[[C3:.*]] = arith.constant 3 : index
// CHECK:         %[[IMAGES:.*]] = arith.muli %{{.*}}, %[[C3]] : index
// CHECK:         %[[R:.*]] = scf.for %[[I:.*]] = %{{.*}} to %[[IMAGES]] step %{{.*}} iter_args(%[[A:.*]] = %[[INIT]])
// CHECK:           %[[N:.*]] = arith.divui %[[I]], %{{.*}}
// CHECK:           %[[C:.*]] = arith.remui %[[I]], %{{.*}}
// CHECK:           scf.for %[[OH:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[B:.*]] = %[[A]])
// CHECK:             %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:             %[[H0:.*]] = arith.muli %[[OH]], %{{.*}} : index
// CHECK:             %[[ROW0:.*]] = vector.transfer_read %[[X]][%[[N]], %[[C]], %{{.*}}, %{{.*}}], %[[NEGINF]] : tensor<?x3x7x9xf32>, vector<32xf32>
// CHECK:             %[[E0:.*]] = vector.shuffle %[[ROW0]], %[[ROW0]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK:             %[[O0:.*]] = vector.shuffle %[[ROW0]], %[[ROW0]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
// CHECK:             %[[M0:.*]] = arith.maximumf %{{.*}}, %[[E0]] : vector<16xf32>
// CHECK:             %[[M1:.*]] = arith.maximumf %[[M0]], %[[O0]] : vector<16xf32>
// CHECK:             vector.transfer_read %[[X]]
// CHECK:             arith.maximumf
// CHECK:             %[[M3:.*]] = arith.maximumf
// CHECK:             %[[W:.*]] = vector.transfer_write %[[M3]], %[[B]][%[[N]], %[[C]], %[[OH]], %{{.*}}] : vector<16xf32>, tensor<?x3x3x4xf32>
// CHECK:             scf.yield %[[W]]
// CHECK-NOT:     nnc.parallel
// CHECK:         return %[[R]]
func.func @maxpool_tiling_rows(%x: tensor<?x3x7x9xf32>) -> tensor<?x3x3x4xf32> {
  %y = nn.maxpool2d %x {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x3x7x9xf32> -> tensor<?x3x3x4xf32>
  return %y : tensor<?x3x3x4xf32>
}

// -----

// f64: 8 windows per vector, a read of 3 x 8 columns for 3-wide windows.
// 8 x 14 x 10 results per example: the loop over images runs on threads.
// CHECK-LABEL: func.func @maxpool_tiling_rows_f64
// CHECK:         scf.for
// CHECK:           vector.transfer_read {{.*}} : tensor<?x8x28x30xf64>, vector<24xf64>
// CHECK:           vector.shuffle {{.*}} [0, 3, 6, 9, 12, 15, 18, 21]
// CHECK:           vector.shuffle {{.*}} [1, 4, 7, 10, 13, 16, 19, 22]
// CHECK:           vector.shuffle {{.*}} [2, 5, 8, 11, 14, 17, 20, 23]
// CHECK:           arith.maximumf {{.*}} : vector<8xf64>
// CHECK:           vector.transfer_write {{.*}} : vector<8xf64>, tensor<?x8x14x10xf64>
// CHECK:         } {nnc.parallel}
func.func @maxpool_tiling_rows_f64(%x: tensor<?x8x28x30xf64>) -> tensor<?x8x14x10xf64> {
  %y = nn.maxpool2d %x {kernel_size = array<i64: 2, 3>, strides = array<i64: 2, 3>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x28x30xf64> -> tensor<?x8x14x10xf64>
  return %y : tensor<?x8x14x10xf64>
}

// -----

// Sum over zero-padded windows, then 1 / (KH KW) including the padding.
// CHECK-LABEL: func.func @avgpool
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x9x8xf64>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK:         %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 0] high[0, 0, 1, 1]
// CHECK:           tensor.yield %[[ZERO]] : f64
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%{{.*}} : tensor<?x3x5x3xf64>)
// CHECK:         %[[S:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<[2, 3]> : tensor<2xi64>}
// CHECK-SAME:        ins(%[[P]], %{{.*}} : tensor<?x3x11x9xf64>, tensor<3x3xf64>) outs(%[[INIT]] : tensor<?x3x5x3xf64>)
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK-SAME:        ins(%[[S]] : tensor<?x3x5x3xf64>)
// CHECK:           %[[NINTH:.*]] = arith.constant 0.1111{{[0-9]*}} : f64
// CHECK:           arith.mulf %{{.*}}, %[[NINTH]] : f64
// CHECK:         return %[[R]]
func.func @avgpool(%x: tensor<?x3x9x8xf64>) -> tensor<?x3x5x3xf64> {
  %y = nn.avgpool2d %x {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 3>, padding = array<i64: 1, 0, 1, 1>} : tensor<?x3x9x8xf64> -> tensor<?x3x5x3xf64>
  return %y : tensor<?x3x5x3xf64>
}

//===----------------------------------------------------------------------===//
// nn.maxpool2d_grad
//===----------------------------------------------------------------------===//

// -----

// First the arg-max kh * KW + kw of every window (strictly greater wins, so
// ties keep the first in row-major order), then each input element gathers
// dy of the windows (oh, ow) = ((h + top - kh) / s, (w + left - kw) / s) that
// exist and chose it, with the window indices clamped before they are read.
// CHECK-DAG: #[[XWIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @maxpool_grad
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x9x8xf32>, %[[DY:.*]]: tensor<?x3x5x4xf32>)
// CHECK:         %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         %[[MAX0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x5x4xf32>)
// CHECK:         %[[ARG0:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<?x3x5x4xi32>)
// CHECK:         %[[AM:.*]]:2 = linalg.generic {indexing_maps = [#[[XWIN]], #[[WIN]], #[[OUT]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:        ins(%[[P]], %{{.*}} : tensor<?x3x11x10xf32>, tensor<3x3xf32>) outs(%[[MAX0]], %[[ARG0]] : tensor<?x3x5x4xf32>, tensor<?x3x5x4xi32>)
// CHECK:           %[[GT:.*]] = arith.cmpf ogt
// CHECK:           arith.select %[[GT]]
// CHECK:           arith.select %[[GT]]
// CHECK:         %[[DX0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x9x8xf32>)
// CHECK:         %[[DX:.*]] = linalg.generic {indexing_maps = [#[[WIN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:        outs(%[[DX0]] : tensor<?x3x9x8xf32>)
// CHECK:           arith.divsi
// CHECK:           arith.remsi
// CHECK:           tensor.extract %[[AM]]#1
// CHECK:           tensor.extract %[[DY]]
// CHECK:           arith.addf
// CHECK:         return %[[DX]]
func.func @maxpool_grad(%x: tensor<?x3x9x8xf32>, %dy: tensor<?x3x5x4xf32>) -> tensor<?x3x9x8xf32> {
  %dx = nn.maxpool2d_grad %x, %dy {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<?x3x9x8xf32>, tensor<?x3x5x4xf32>) -> tensor<?x3x9x8xf32>
  return %dx : tensor<?x3x9x8xf32>
}

// -----

// Stride 1: every window start is a multiple of it, no remainder test.
// CHECK-LABEL: func.func @maxpool_grad_stride1
// CHECK-NOT:     tensor.pad
// CHECK:         linalg.generic
// CHECK:         linalg.generic
// CHECK-NOT:       arith.remsi
// CHECK:         return
func.func @maxpool_grad_stride1(%x: tensor<?x2x4x4xf64>, %dy: tensor<?x2x3x3xf64>) -> tensor<?x2x4x4xf64> {
  %dx = nn.maxpool2d_grad %x, %dy {kernel_size = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x2x4x4xf64>, tensor<?x2x3x3xf64>) -> tensor<?x2x4x4xf64>
  return %dx : tensor<?x2x4x4xf64>
}

// -----

// Windows that tile the image (stride = kernel, no padding) but are wider
// than 4: no gather. The part of dx that the windows cover, viewed as
// [N, C, OH, KH, OW, KW], is written elementwise: dy where (kh, kw) is the
// window's arg-max, else 0. Here the last image row lies in no window and
// keeps its zero.
// CHECK-DAG: #[[POOLED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[VIEW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-LABEL: func.func @maxpool_grad_tiling
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x9x10xf32>, %[[DY:.*]]: tensor<?x3x4x2xf32>)
// CHECK:         %[[AM:.*]]:2 = linalg.generic
// CHECK:         %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x9x10xf32>)
// CHECK:         %[[COVERED:.*]] = tensor.extract_slice %[[ZERO]][0, 0, 0, 0] [%{{.*}}, 3, 8, 10] [1, 1, 1, 1]
// CHECK:         %[[VIEWED:.*]] = tensor.expand_shape %[[COVERED]] {{\[\[}}0], [1], [2, 3], [4, 5]] {{.*}} into tensor<?x3x4x2x2x5xf32>
// CHECK:         %[[DX:.*]] = linalg.generic {indexing_maps = [#[[POOLED]], #[[POOLED]], #[[VIEW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:        ins(%[[AM]]#1, %[[DY]] : tensor<?x3x4x2xi32>, tensor<?x3x4x2xf32>) outs(%[[VIEWED]] : tensor<?x3x4x2x2x5xf32>)
// CHECK:           arith.cmpi eq
// CHECK:           arith.select
// CHECK-NOT:       tensor.extract
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %[[DX]]
// CHECK:         %[[FULL:.*]] = tensor.insert_slice %[[FLAT]] into %[[ZERO]]
// CHECK:         return %[[FULL]]
func.func @maxpool_grad_tiling(%x: tensor<?x3x9x10xf32>, %dy: tensor<?x3x4x2xf32>) -> tensor<?x3x9x10xf32> {
  %dx = nn.maxpool2d_grad %x, %dy {kernel_size = array<i64: 2, 5>, strides = array<i64: 2, 5>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x3x9x10xf32>, tensor<?x3x4x2xf32>) -> tensor<?x3x9x10xf32>
  return %dx : tensor<?x3x9x10xf32>
}

// -----

// Covered exactly: nothing to zero first, no slices.
// CHECK-LABEL: func.func @maxpool_grad_tiling_exact
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x3x8x10xf32>
// CHECK-NOT:     linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x8x10xf32>)
// CHECK:         %[[VIEWED:.*]] = tensor.expand_shape %[[EMPTY]]
// CHECK:         %[[DX:.*]] = linalg.generic {{.*}} outs(%[[VIEWED]] : tensor<?x3x4x2x2x5xf32>)
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %[[DX]]
// CHECK-NOT:     tensor.insert_slice
// CHECK:         return %[[FLAT]]
func.func @maxpool_grad_tiling_exact(%x: tensor<?x3x8x10xf32>, %dy: tensor<?x3x4x2xf32>) -> tensor<?x3x8x10xf32> {
  %dx = nn.maxpool2d_grad %x, %dy {kernel_size = array<i64: 2, 5>, strides = array<i64: 2, 5>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x3x8x10xf32>, tensor<?x3x4x2xf32>) -> tensor<?x3x8x10xf32>
  return %dx : tensor<?x3x8x10xf32>
}

// -----

// 2x2 windows, on vectors. The arg-max: for every window row kh and member
// kw, in that order, a strictly greater value takes position kh * 2 + kw.
// The gradient: per window row, dy where the arg-max is (kh, 0) or (kh, 1),
// interleaved back into columns; dx starts from zeros, as row 8 lies in no
// window.
// CHECK-LABEL: func.func @maxpool_grad_tiling_rows
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x9x8xf32>, %[[DY:.*]]: tensor<?x3x4x4xf32>)
// CHECK:         %[[AM:.*]] = scf.for
// CHECK:           scf.for
// CHECK:             %[[ROW:.*]] = vector.transfer_read %[[X]]{{.*}} : tensor<?x3x9x8xf32>, vector<32xf32>
// CHECK:             %[[E:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [0, 2,
// CHECK:             %[[O:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [1, 3,
// CHECK:             %[[G0:.*]] = arith.cmpf ogt, %[[E]], %{{.*}} : vector<16xf32>
// CHECK:             %[[B0:.*]] = arith.select %[[G0]], %[[E]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:             %[[G1:.*]] = arith.cmpf ogt, %[[O]], %[[B0]] : vector<16xf32>
// CHECK:             arith.select %[[G1]], %[[O]], %[[B0]]
// CHECK:             arith.select %[[G1]], %{{.*}}, %{{.*}} : vector<16xi1>, vector<16xi32>
// CHECK:             vector.transfer_write %{{.*}} : vector<16xi32>, tensor<?x3x4x4xi32>
// CHECK:         %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x9x8xf32>)
// CHECK:         %[[DX:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]])
// CHECK:           scf.for
// CHECK:             %[[A:.*]] = vector.transfer_read %[[AM]]{{.*}} : tensor<?x3x4x4xi32>, vector<16xi32>
// CHECK:             %[[G:.*]] = vector.transfer_read %[[DY]]{{.*}} : tensor<?x3x4x4xf32>, vector<16xf32>
// CHECK:             %[[H0:.*]] = arith.cmpi eq, %[[A]], %{{.*}} : vector<16xi32>
// CHECK:             %[[P0:.*]] = arith.select %[[H0]], %[[G]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:             %[[H1:.*]] = arith.cmpi eq, %[[A]], %{{.*}} : vector<16xi32>
// CHECK:             %[[P1:.*]] = arith.select %[[H1]], %[[G]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:             %[[BOTH:.*]] = vector.shuffle %[[P0]], %[[P1]]
// CHECK:             %[[COLS:.*]] = vector.shuffle %[[BOTH]], %[[BOTH]] [0, 16, 1, 17,
// CHECK:             vector.transfer_write %[[COLS]], {{.*}} : vector<32xf32>, tensor<?x3x9x8xf32>
// CHECK:         return %[[DX]]
func.func @maxpool_grad_tiling_rows(%x: tensor<?x3x9x8xf32>, %dy: tensor<?x3x4x4xf32>) -> tensor<?x3x9x8xf32> {
  %dx = nn.maxpool2d_grad %x, %dy {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x3x9x8xf32>, tensor<?x3x4x4xf32>) -> tensor<?x3x9x8xf32>
  return %dx : tensor<?x3x9x8xf32>
}

// -----

// Covered exactly: dx starts empty.
// CHECK-LABEL: func.func @maxpool_grad_tiling_rows_exact
// CHECK-NOT:     linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x8x8xf32>)
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x3x8x8xf32>
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
func.func @maxpool_grad_tiling_rows_exact(%x: tensor<?x3x8x8xf32>, %dy: tensor<?x3x4x4xf32>) -> tensor<?x3x8x8xf32> {
  %dx = nn.maxpool2d_grad %x, %dy {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x3x8x8xf32>, tensor<?x3x4x4xf32>) -> tensor<?x3x8x8xf32>
  return %dx : tensor<?x3x8x8xf32>
}

//===----------------------------------------------------------------------===//
// nn.avgpool2d_grad
//===----------------------------------------------------------------------===//

// -----

// dy / (KH KW), spread every second row and column into zeros at offset
// K - 1 - top = 1, then summed over 3x3 windows at stride 1.
// CHECK-LABEL: func.func @avgpool_grad
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x3x5x4xf32>)
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x9x8xf32>)
// CHECK:         %[[SC:.*]] = linalg.generic
// CHECK-SAME:        ins(%[[DY]] : tensor<?x3x5x4xf32>)
// CHECK:           arith.constant 0.111111112 : f32
// CHECK:         %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x11x10xf32>)
// CHECK:         %[[S:.*]] = tensor.insert_slice %[[SC]] into %[[Z]][0, 0, 1, 1] [%{{.*}}, 3, 5, 4] [1, 1, 2, 2] : tensor<?x3x5x4xf32> into tensor<?x3x11x10xf32>
// CHECK:         %[[R:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:        ins(%[[S]], %{{.*}} : tensor<?x3x11x10xf32>, tensor<3x3xf32>) outs(%[[ACC]] : tensor<?x3x9x8xf32>)
// CHECK:         return %[[R]]
func.func @avgpool_grad(%dy: tensor<?x3x5x4xf32>) -> tensor<?x3x9x8xf32> {
  %dx = nn.avgpool2d_grad %dy {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, input_size = array<i64: 9, 8>} : (tensor<?x3x5x4xf32>) -> tensor<?x3x9x8xf32>
  return %dx : tensor<?x3x9x8xf32>
}

// -----

// The last row of a 9-row input is in no 2x2 window of stride 2: dy lands
// on rows 1, 3, 5, 7 of 10 and the gradient's last row sums only zeros.
// CHECK-LABEL: func.func @avgpool_grad_ragged
// CHECK:         tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [%{{.*}}, 3, 4, 4] [1, 1, 2, 2] : tensor<?x3x4x4xf32> into tensor<?x3x10x9xf32>
// CHECK:         linalg.pooling_nchw_sum
// CHECK-SAME:        outs(%{{.*}} : tensor<?x3x9x8xf32>)
func.func @avgpool_grad_ragged(%dy: tensor<?x3x4x4xf32>) -> tensor<?x3x9x8xf32> {
  %dx = nn.avgpool2d_grad %dy {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, input_size = array<i64: 9, 8>} : (tensor<?x3x4x4xf32>) -> tensor<?x3x9x8xf32>
  return %dx : tensor<?x3x9x8xf32>
}

//===----------------------------------------------------------------------===//
// nn.global_avgpool, nn.global_avgpool_grad
//===----------------------------------------------------------------------===//

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[NC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func.func @global_avgpool
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x9x8xf32>)
// CHECK:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[NC]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:        ins(%[[X]] : tensor<?x3x9x8xf32>) outs(%{{.*}} : tensor<?x3xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[S]] : tensor<?x3xf32>)
// CHECK:           arith.constant 0.013888889 : f32
func.func @global_avgpool(%x: tensor<?x3x9x8xf32>) -> tensor<?x3xf32> {
  %y = nn.global_avgpool %x : tensor<?x3x9x8xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[NC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func.func @global_avgpool_grad
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x3xf64>)
// CHECK:         %[[N:.*]] = tensor.dim %[[DY]]
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3x9x8xf64>
// CHECK:         linalg.generic {indexing_maps = [#[[NC]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:        ins(%[[DY]] : tensor<?x3xf64>) outs(%[[E]] : tensor<?x3x9x8xf64>)
// CHECK:           arith.constant 0.013888888888888888 : f64
func.func @global_avgpool_grad(%dy: tensor<?x3xf64>) -> tensor<?x3x9x8xf64> {
  %dx = nn.global_avgpool_grad %dy {input_size = array<i64: 9, 8>} : (tensor<?x3xf64>) -> tensor<?x3x9x8xf64>
  return %dx : tensor<?x3x9x8xf64>
}
