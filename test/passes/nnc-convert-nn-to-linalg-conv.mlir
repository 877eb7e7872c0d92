// RUN: nnc-opt %s --nnc-convert-nn-to-linalg --split-input-file | FileCheck %s

// Convolution and its gradients: named linalg convolutions on a zero-padded
// input, groups as expanded views, the transposed convolution of the input
// gradient as dy spread into zeros and correlated with the flipped filter,
// the filter gradient as one reduction generic.

//===----------------------------------------------------------------------===//
// nn.conv2d
//===----------------------------------------------------------------------===//

// Padding becomes a zero tensor.pad, the bias is broadcast into the
// accumulator, strides and dilations carry over.
// CHECK-LABEL: func.func @conv_bias_padded
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x9x7xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3x9x7xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4x5x4xf32>
// CHECK:         %[[ACC:.*]] = linalg.broadcast ins(%[[B]] : tensor<4xf32>) outs(%[[E]] : tensor<?x4x5x4xf32>) dimensions = [0, 2, 3]
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 2] high[0, 0, 1, 2]
// CHECK:           tensor.yield %[[ZERO]] : f32
// CHECK:         } : tensor<?x3x9x7xf32> to tensor<?x3x11x11xf32>
// CHECK:         %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:        ins(%[[P]], %[[W]] : tensor<?x3x11x11xf32>, tensor<4x3x3x3xf32>) outs(%[[ACC]] : tensor<?x4x5x4xf32>)
// CHECK:         return %[[C]]
func.func @conv_bias_padded(%x: tensor<?x3x9x7xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x5x4xf32> {
  %y = nn.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 2, 1, 2>, dilations = array<i64: 1, 2>, groups = 1 : i64} : (tensor<?x3x9x7xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x5x4xf32>
  return %y : tensor<?x4x5x4xf32>
}

// -----

// No padding: no tensor.pad; no bias: a zero-filled accumulator. Groups
// split the channels of input, filter and result into views.
// CHECK-LABEL: func.func @conv_groups_f64
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4x9x7xf64>, %[[W:.*]]: tensor<6x2x3x3xf64>)
// CHECK-NOT:     tensor.pad
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%{{.*}} : tensor<?x6x7x5xf64>)
// CHECK:         %[[ACCG:.*]] = tensor.expand_shape %[[ACC]] {{\[}}[0], [1, 2], [3], [4]] output_shape [%{{.*}}, 2, 3, 7, 5] : tensor<?x6x7x5xf64> into tensor<?x2x3x7x5xf64>
// CHECK:         %[[XG:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2], [3], [4]] output_shape [%{{.*}}, 2, 2, 9, 7] : tensor<?x4x9x7xf64> into tensor<?x2x2x9x7xf64>
// CHECK:         %[[WG:.*]] = tensor.expand_shape %[[W]] {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : tensor<6x2x3x3xf64> into tensor<2x3x2x3x3xf64>
// CHECK:         %[[C:.*]] = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:        ins(%[[XG]], %[[WG]] : tensor<?x2x2x9x7xf64>, tensor<2x3x2x3x3xf64>) outs(%[[ACCG]] : tensor<?x2x3x7x5xf64>)
// CHECK:         %[[R:.*]] = tensor.collapse_shape %[[C]] {{\[}}[0], [1, 2], [3], [4]] : tensor<?x2x3x7x5xf64> into tensor<?x6x7x5xf64>
// CHECK:         return %[[R]]
func.func @conv_groups_f64(%x: tensor<?x4x9x7xf64>, %w: tensor<6x2x3x3xf64>) -> tensor<?x6x7x5xf64> {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : (tensor<?x4x9x7xf64>, tensor<6x2x3x3xf64>) -> tensor<?x6x7x5xf64>
  return %y : tensor<?x6x7x5xf64>
}

//===----------------------------------------------------------------------===//
// nn.conv2d_input_grad
//===----------------------------------------------------------------------===//

// -----

// Stride 2, padding 1: dy lands every second row and column of a zero
// tensor of [H + K - 1, W + K - 1] at offset K - 1 - top = 1; the filter is
// flipped in space and transposed ([F, C] -> [C, F]) by a generic, and a
// stride-1 convolution produces the 9x7 gradient directly.
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, -d2 + 2, -d3 + 2)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @input_grad_strided
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x4x5x4xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x9x7xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[DY]]
// CHECK:         %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x4x11x9xf32>)
// CHECK:         %[[S:.*]] = tensor.insert_slice %[[DY]] into %[[Z]][0, 0, 1, 1] [%[[N]], 4, 5, 4] [1, 1, 2, 2] : tensor<?x4x5x4xf32> into tensor<?x4x11x9xf32>
// CHECK:         %[[FE:.*]] = tensor.empty() : tensor<3x4x3x3xf32>
// CHECK:         %[[F:.*]] = linalg.generic {indexing_maps = [#[[FLIP]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:        ins(%[[W]] : tensor<4x3x3x3xf32>) outs(%[[FE]] : tensor<3x4x3x3xf32>)
// CHECK:         %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:        ins(%[[S]], %[[F]] : tensor<?x4x11x9xf32>, tensor<3x4x3x3xf32>) outs(%[[ACC]] : tensor<?x3x9x7xf32>)
// CHECK:         return %[[C]]
func.func @input_grad_strided(%dy: tensor<?x4x5x4xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<?x3x9x7xf32> {
  %dx = nn.conv2d_input_grad %dy, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, input_size = array<i64: 9, 7>} : (tensor<?x4x5x4xf32>, tensor<4x3x3x3xf32>) -> tensor<?x3x9x7xf32>
  return %dx : tensor<?x3x9x7xf32>
}

// -----

// Stride 1, dilation 2, no padding: a plain zero padding of d (K - 1) = 4
// on each side, and the transposed convolution keeps the dilation.
// CHECK-LABEL: func.func @input_grad_dilated
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x2x4x4xf64>, %[[W:.*]]: tensor<2x3x3x3xf64>)
// CHECK-NOT:     tensor.insert_slice
// CHECK:         %[[P:.*]] = tensor.pad %[[DY]] low[0, 0, 4, 4] high[0, 0, 4, 4]
// CHECK:         } : tensor<?x2x4x4xf64> to tensor<?x2x12x12xf64>
// CHECK:         %[[F:.*]] = linalg.generic
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:        ins(%[[P]], %[[F]] : tensor<?x2x12x12xf64>, tensor<3x2x3x3xf64>)
func.func @input_grad_dilated(%dy: tensor<?x2x4x4xf64>, %w: tensor<2x3x3x3xf64>) -> tensor<?x3x8x8xf64> {
  %dx = nn.conv2d_input_grad %dy, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, groups = 1 : i64, input_size = array<i64: 8, 8>} : (tensor<?x2x4x4xf64>, tensor<2x3x3x3xf64>) -> tensor<?x3x8x8xf64>
  return %dx : tensor<?x3x8x8xf64>
}

// -----

// Padding larger than the window reach: the outer rows and columns of dy
// only saw padding and are sliced off before they are spread.
// CHECK-LABEL: func.func @input_grad_cropped
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x2x6x6xf32>, %[[W:.*]]: tensor<2x2x1x1xf32>)
// CHECK:         %[[D:.*]] = tensor.extract_slice %[[DY]][0, 0, 1, 1] [%{{.*}}, 2, 2, 2] [1, 1, 1, 1] : tensor<?x2x6x6xf32> to tensor<?x2x2x2xf32>
// CHECK:         %[[Z:.*]] = linalg.fill
// CHECK:         tensor.insert_slice %[[D]] into %[[Z]][0, 0, 0, 0] [%{{.*}}, 2, 2, 2] [1, 1, 3, 3] : tensor<?x2x2x2xf32> into tensor<?x2x4x4xf32>
func.func @input_grad_cropped(%dy: tensor<?x2x6x6xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<?x2x4x4xf32> {
  %dx = nn.conv2d_input_grad %dy, %w {strides = array<i64: 3, 3>, padding = array<i64: 3, 3, 10, 10>, dilations = array<i64: 1, 1>, groups = 1 : i64, input_size = array<i64: 4, 4>} : (tensor<?x2x6x6xf32>, tensor<2x2x1x1xf32>) -> tensor<?x2x4x4xf32>
  return %dx : tensor<?x2x4x4xf32>
}

// -----

// No output position reads the input (stride past it): the gradient is zero.
// CHECK-LABEL: func.func @input_grad_unread
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x1x1x1xf32>)
// CHECK-NOT:     linalg.conv
// CHECK:         return %[[ACC]]
func.func @input_grad_unread(%dy: tensor<?x1x1x1xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<?x1x1x1xf32> {
  %dx = nn.conv2d_input_grad %dy, %w {strides = array<i64: 10, 10>, padding = array<i64: 3, 3, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, input_size = array<i64: 1, 1>} : (tensor<?x1x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<?x1x1x1xf32>
  return %dx : tensor<?x1x1x1xf32>
}

// -----

// Groups: the flip transposes channels within each group ([G, F/G, C/G] ->
// [G, C/G, F/G]) and the transposed convolution is grouped too.
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, -d3 + 2, -d4 + 2)>
// CHECK-LABEL: func.func @input_grad_groups
// CHECK:         %[[WG:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : tensor<6x2x3x3xf64> into tensor<2x3x2x3x3xf64>
// CHECK:         %[[F:.*]] = linalg.generic {indexing_maps = [#[[FLIP]], {{.*}}]
// CHECK-SAME:        ins(%[[WG]] : tensor<2x3x2x3x3xf64>) outs(%{{.*}} : tensor<2x2x3x3x3xf64>)
// CHECK:         tensor.collapse_shape %[[F]] {{\[}}[0, 1], [2], [3], [4]] : tensor<2x2x3x3x3xf64> into tensor<4x3x3x3xf64>
// CHECK:         linalg.conv_2d_ngchw_gfchw
// CHECK-SAME:        tensor<?x2x3x11x9xf64>, tensor<2x2x3x3x3xf64>) outs(%{{.*}} : tensor<?x2x2x9x7xf64>)
func.func @input_grad_groups(%dy: tensor<?x6x7x5xf64>, %w: tensor<6x2x3x3xf64>) -> tensor<?x4x9x7xf64> {
  %dx = nn.conv2d_input_grad %dy, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64, input_size = array<i64: 9, 7>} : (tensor<?x6x7x5xf64>, tensor<6x2x3x3xf64>) -> tensor<?x4x9x7xf64>
  return %dx : tensor<?x4x9x7xf64>
}

//===----------------------------------------------------------------------===//
// nn.conv2d_filter_grad, nn.channel_sum
//===----------------------------------------------------------------------===//

// -----

// P[p, f, c, kh, kw, ow] += x[n, c, oh s + kh d, ow s + kw d] dy[n, f, oh, ow]
// over (n, oh), on the padded input, for the examples of part p of the
// batch (an scf.for of two iterations marked nnc.parallel, over
// [p ceil(N/2), min(N, (p + 1) ceil(N/2)))), then dW = the sum of P over p
// and ow: ow stays a parallel dimension walking the last dimension of x, dy
// and P.
// CHECK-DAG: #[[XMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d5, d1, d6 * 2 + d2, d4 * 2 + d3 * 3)>
// CHECK-DAG: #[[DYMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d5, d0, d6, d4)>
// CHECK-DAG: #[[PMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[PALL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d0, d1, d2, d3, d5)>
// CHECK-DAG: #[[WMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @filter_grad
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x9x7xf32>, %[[DY:.*]]: tensor<?x4x5x4xf32>)
// CHECK:         %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 2] high[0, 0, 1, 2]
// CHECK:         %[[N:.*]] = tensor.dim %[[P]], %{{.*}} : tensor<?x3x11x11xf32>
// CHECK:         %[[HALF:.*]] = arith.ceildivsi %[[N]], %{{.*}} : index
// CHECK:         %[[PARTS:.*]] = scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[PS:.*]] = %{{.*}}) -> (tensor<2x4x3x3x2x4xf32>)
// CHECK:           %[[FROM:.*]] = arith.muli %[[I]], %[[HALF]] : index
// CHECK:           %[[START:.*]] = arith.minsi %[[FROM]], %[[N]] : index
// CHECK:           %[[LEFT:.*]] = arith.subi %[[N]], %[[START]] : index
// CHECK:           %[[COUNT:.*]] = arith.minsi %[[HALF]], %[[LEFT]] : index
// CHECK:           %[[SLOT:.*]] = tensor.extract_slice %[[PS]][%[[I]], 0, 0, 0, 0, 0] [1, 4, 3, 3, 2, 4]
// CHECK:           %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[SLOT]] : tensor<4x3x3x2x4xf32>)
// CHECK:           %[[XS:.*]] = tensor.extract_slice %[[P]][%[[START]], 0, 0, 0] [%[[COUNT]], 3, 11, 11]
// CHECK:           %[[DYS:.*]] = tensor.extract_slice %[[DY]][%[[START]], 0, 0, 0] [%[[COUNT]], 4, 5, 4]
// CHECK:           %[[PART:.*]] = linalg.generic {indexing_maps = [#[[XMAP]], #[[DYMAP]], #[[PMAP]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:          ins(%[[XS]], %[[DYS]] : tensor<?x3x11x11xf32>, tensor<?x4x5x4xf32>) outs(%[[ACC]] : tensor<4x3x3x2x4xf32>)
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK:           %[[IN:.*]] = tensor.insert_slice %[[PART]] into %[[PS]][%[[I]], 0, 0, 0, 0, 0] [1, 4, 3, 3, 2, 4]
// CHECK:           scf.yield %[[IN]]
// CHECK:         } {nnc.parallel}
// CHECK:         %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4x3x3x2xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[PALL]], #[[WMAP]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:        ins(%[[PARTS]] : tensor<2x4x3x3x2x4xf32>) outs(%[[ZERO]] : tensor<4x3x3x2xf32>)
// CHECK:         return %[[G]]
func.func @filter_grad(%x: tensor<?x3x9x7xf32>, %dy: tensor<?x4x5x4xf32>) -> tensor<4x3x3x2xf32> {
  %dw = nn.conv2d_filter_grad %x, %dy {strides = array<i64: 2, 2>, padding = array<i64: 1, 2, 1, 2>, dilations = array<i64: 1, 3>, groups = 1 : i64, kernel_size = array<i64: 3, 2>} : (tensor<?x3x9x7xf32>, tensor<?x4x5x4xf32>) -> tensor<4x3x3x2xf32>
  return %dw : tensor<4x3x3x2xf32>
}

// -----

// Groups are a leading parallel loop over views of x, dy and P.
// CHECK-DAG: #[[XMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d6, d0, d2, d3 + d7, d4 + d5)>
// CHECK-DAG: #[[DYMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d6, d0, d1, d7, d5)>
// CHECK-DAG: #[[PMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-LABEL: func.func @filter_grad_groups
// CHECK:         %[[PARTS:.*]] = scf.for
// CHECK:           %[[PART:.*]] = linalg.generic {indexing_maps = [#[[XMAP]], #[[DYMAP]], #[[PMAP]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:          ins(%{{.*}}, %{{.*}} : tensor<?x2x2x9x7xf64>, tensor<?x2x3x7x5xf64>) outs(%{{.*}} : tensor<2x3x2x3x3x5xf64>)
// CHECK:           tensor.insert_slice %[[PART]] into %{{.*}} : tensor<2x3x2x3x3x5xf64> into tensor<2x2x3x2x3x3x5xf64>
// CHECK:         } {nnc.parallel}
// CHECK:         %[[ACC:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : tensor<6x2x3x3xf64> into tensor<2x3x2x3x3xf64>
// CHECK:         %[[G:.*]] = linalg.generic
// CHECK-SAME:        ins(%[[PARTS]] : tensor<2x2x3x2x3x3x5xf64>) outs(%[[ACC]] : tensor<2x3x2x3x3xf64>)
// CHECK:         %[[R:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0, 1], [2], [3], [4]] : tensor<2x3x2x3x3xf64> into tensor<6x2x3x3xf64>
// CHECK:         return %[[R]]
func.func @filter_grad_groups(%x: tensor<?x4x9x7xf64>, %dy: tensor<?x6x7x5xf64>) -> tensor<6x2x3x3xf64> {
  %dw = nn.conv2d_filter_grad %x, %dy {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64, kernel_size = array<i64: 3, 3>} : (tensor<?x4x9x7xf64>, tensor<?x6x7x5xf64>) -> tensor<6x2x3x3xf64>
  return %dw : tensor<6x2x3x3xf64>
}

// -----

// Rows first: P[c, w] = sum over (n, h), with w parallel (it vectorizes
// along the rows), then the sum over w.
// CHECK-DAG: #[[IMG:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d0, d3, d1)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @channel_sum
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x6x7x5xf32>)
// CHECK:         %[[P0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<6x5xf32>)
// CHECK:         %[[P:.*]] = linalg.generic {indexing_maps = [#[[IMG]], #[[ROWS]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:        ins(%[[DY]] : tensor<?x6x7x5xf32>) outs(%[[P0]] : tensor<6x5xf32>)
// CHECK:           arith.addf
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<6xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ROW]], #[[CH]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[P]] : tensor<6x5xf32>) outs(%[[ACC]] : tensor<6xf32>)
func.func @channel_sum(%dy: tensor<?x6x7x5xf32>) -> tensor<6xf32> {
  %db = nn.channel_sum %dy : tensor<?x6x7x5xf32> -> tensor<6xf32>
  return %db : tensor<6xf32>
}
