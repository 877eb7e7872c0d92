// RUN: nnc-opt %s --nnc-convert-nn-to-linalg --split-input-file | FileCheck %s

// Pooling and its gradients: named linalg pooling ops on a padded input
// (-inf for max, zeros for average), the average divided by the whole
// window; max-pooling gradients through a first-maximum arg-max and a
// gather (or, for windows that tile the image, an elementwise write of a
// [N, C, OH, KH, OW, KW] view, which, like that arg-max, carries the kernel
// for nnc-vectorize-rows); average-pooling gradients as the transposed
// window.

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
// CHECK-LABEL: func.func @maxpool_unpadded_f64
// CHECK-NOT:     tensor.pad
// CHECK:         arith.constant 0xFFF0000000000000 : f64
// CHECK:         linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:        ins(%{{.*}}, %{{.*}} : tensor<?x3x8x8xf64>, tensor<2x2xf64>)
func.func @maxpool_unpadded_f64(%x: tensor<?x3x8x8xf64>) -> tensor<?x3x4x4xf64> {
  %y = nn.maxpool2d %x {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x3x8x8xf64> -> tensor<?x3x4x4xf64>
  return %y : tensor<?x3x4x4xf64>
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

// Stride 1: every window start is a multiple of it, no remainder test; the
// windows overlap, so the arg-max carries no kernel.
// CHECK-LABEL: func.func @maxpool_grad_stride1
// CHECK-NOT:     tensor.pad
// CHECK:         linalg.generic
// CHECK-NOT:     nnc.window_argmax
// CHECK:         linalg.generic
// CHECK-NOT:       arith.remsi
// CHECK:         return
func.func @maxpool_grad_stride1(%x: tensor<?x2x4x4xf64>, %dy: tensor<?x2x3x3xf64>) -> tensor<?x2x4x4xf64> {
  %dx = nn.maxpool2d_grad %x, %dy {kernel_size = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x2x4x4xf64>, tensor<?x2x3x3xf64>) -> tensor<?x2x4x4xf64>
  return %dx : tensor<?x2x4x4xf64>
}

// -----

// Windows that tile the image (stride = kernel, no padding): no gather. The
// part of dx that the windows cover, viewed as [N, C, OH, KH, OW, KW], is
// written elementwise: dy where (kh, kw) is the window's arg-max, else 0.
// Here the last image row lies in no window and keeps its zero.
// CHECK-DAG: #[[POOLED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[VIEW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-LABEL: func.func @maxpool_grad_tiling
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x9x8xf32>, %[[DY:.*]]: tensor<?x3x4x4xf32>)
// CHECK:         %[[AM:.*]]:2 = linalg.generic
// CHECK-SAME:        attrs = {nnc.window_argmax = array<i64: 2, 2>}
// CHECK:         %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x9x8xf32>)
// CHECK:         %[[COVERED:.*]] = tensor.extract_slice %[[ZERO]][0, 0, 0, 0] [%{{.*}}, 3, 8, 8] [1, 1, 1, 1]
// CHECK:         %[[VIEWED:.*]] = tensor.expand_shape %[[COVERED]] {{\[\[}}0], [1], [2, 3], [4, 5]] {{.*}} into tensor<?x3x4x2x4x2xf32>
// CHECK:         %[[DX:.*]] = linalg.generic {indexing_maps = [#[[POOLED]], #[[POOLED]], #[[VIEW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:        ins(%[[AM]]#1, %[[DY]] : tensor<?x3x4x4xi32>, tensor<?x3x4x4xf32>) outs(%[[VIEWED]] : tensor<?x3x4x2x4x2xf32>)
// CHECK-SAME:        attrs = {nnc.window_scatter = array<i64: 2, 2>}
// CHECK:           arith.cmpi eq
// CHECK:           arith.select
// CHECK-NOT:       tensor.extract
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %[[DX]]
// CHECK:         %[[FULL:.*]] = tensor.insert_slice %[[FLAT]] into %[[ZERO]]
// CHECK:         return %[[FULL]]
func.func @maxpool_grad_tiling(%x: tensor<?x3x9x8xf32>, %dy: tensor<?x3x4x4xf32>) -> tensor<?x3x9x8xf32> {
  %dx = nn.maxpool2d_grad %x, %dy {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x3x9x8xf32>, tensor<?x3x4x4xf32>) -> tensor<?x3x9x8xf32>
  return %dx : tensor<?x3x9x8xf32>
}

// -----

// Covered exactly: nothing to zero first, no slices.
// CHECK-LABEL: func.func @maxpool_grad_tiling_exact
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x3x8x8xf32>
// CHECK-NOT:     linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x8x8xf32>)
// CHECK:         %[[VIEWED:.*]] = tensor.expand_shape %[[EMPTY]]
// CHECK:         %[[DX:.*]] = linalg.generic {{.*}} outs(%[[VIEWED]] : tensor<?x3x4x2x4x2xf32>)
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %[[DX]]
// CHECK-NOT:     tensor.insert_slice
// CHECK:         return %[[FLAT]]
func.func @maxpool_grad_tiling_exact(%x: tensor<?x3x8x8xf32>, %dy: tensor<?x3x4x4xf32>) -> tensor<?x3x8x8xf32> {
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
