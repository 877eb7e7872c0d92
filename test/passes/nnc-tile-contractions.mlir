// RUN: nnc-opt %s --nnc-tile-contractions="vector-bits=512 l1-bytes=49152 l2-bytes=1048576" --canonicalize --cse --split-input-file | FileCheck %s
// RUN: nnc-opt %s --nnc-tile-contractions="vector-bits=512 l1-bytes=49152 l2-bytes=1048576 pack-row-bytes=2048" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=ROWS2K
// RUN: nnc-opt %s --nnc-tile-contractions="vector-bits=512 l1-bytes=49152 l2-bytes=1048576 pack-min-row-tiles=64" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=TILES64

// nnc-tile-contractions: register tiles of 8 rows x 32 columns (two 16-lane
// vectors), each computed by a loop over k of FMAs on vectors, with what can
// be fused into the tile fused, and what must not be left alone.

// Fused: the bias broadcast (the accumulator's initial value) and the
// elementwise chain after the product (relu, then tanh) are computed on each
// tile in registers; the tile is written once. The batch (m) loop is peeled:
// whole tiles of 8 rows, n = 128 as four tiles of 32 columns; then the rows
// left over one at a time, each as one tile of all 128 columns (8
// independent accumulators rather than 2 waiting on their FMAs), both
// vector code.
// CHECK-LABEL: func.func @dense_relu_tanh(
// CHECK-SAME:    %[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<64x128xf32>, %[[B:.*]]: tensor<128xf32>
// CHECK-NOT:     linalg.
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c8
// CHECK:           scf.for %[[J:.*]] = %c0 to %c128 step %c32
// CHECK:             %[[BS:.*]] = tensor.extract_slice %[[B]][%[[J]]] [32] [1]
// CHECK:             %[[BIAS:.*]] = vector.transfer_read %[[BS]][%c0]{{.*}} : tensor<32xf32>, vector<32xf32>
// CHECK:             %[[ACC:.*]] = vector.broadcast %[[BIAS]] : vector<32xf32> to vector<8x32xf32>
// CHECK:             %[[SUM:.*]] = scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK-COUNT-8:       vector.fma {{.*}} : vector<32xf32>
// CHECK:             %[[RELU:.*]] = arith.maximumf %[[SUM]], %{{.*}} : vector<8x32xf32>
// CHECK:             %[[TANH:.*]] = math.tanh %[[RELU]] : vector<8x32xf32>
// CHECK:             vector.transfer_write %[[TANH]]
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8
// CHECK:           scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK:             scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args(%{{.*}}) -> (vector<1x128xf32>)
// CHECK:               vector.fma {{.*}} : vector<128xf32>
// CHECK:             arith.maximumf {{.*}} : vector<1x128xf32>
// CHECK-NOT:     linalg.
// CHECK:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @dense_relu_tanh(%x: tensor<?x64xf32>, %w: tensor<64x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%n) : tensor<?x128xf32>
  %acc = linalg.broadcast ins(%b : tensor<128xf32>) outs(%e : tensor<?x128xf32>) dimensions = [0]
  %mm = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x128xf32>) outs(%acc : tensor<?x128xf32>) -> tensor<?x128xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<?x128xf32>) outs(%e : tensor<?x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  } -> tensor<?x128xf32>
  %tanh = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%relu : tensor<?x128xf32>) outs(%e : tensor<?x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<?x128xf32>
  return %tanh : tensor<?x128xf32>
}

// -----

// Fused: a residual add and the backward of relu read other tensors (through
// identity maps), which the tile reads as well.
// CHECK-LABEL: func.func @residual(
// CHECK-SAME:    %[[X:.*]]: tensor<16x32xf32>, %[[W:.*]]: tensor<32x32xf32>, %[[R:.*]]: tensor<16x32xf32>
// CHECK:         scf.for %[[I:.*]] = %c0 to %c16 step %c8
// CHECK:           scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK:           %[[RS:.*]] = tensor.extract_slice %[[R]][%[[I]], 0] [8, 32] [1, 1]
// CHECK:           %[[RES:.*]] = vector.transfer_read %[[RS]][%c0, %c0]{{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK:           arith.addf %{{.*}}, %[[RES]] : vector<8x32xf32>
// CHECK-NOT:     linalg.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @residual(%x: tensor<16x32xf32>, %w: tensor<32x32xf32>, %r: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x32xf32>) outs(%z : tensor<16x32xf32>) -> tensor<16x32xf32>
  %add = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%mm, %r : tensor<16x32xf32>, tensor<16x32xf32>) outs(%e : tensor<16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x32xf32>
  return %add : tensor<16x32xf32>
}

// -----

// Two users: the first, an activation of the product alone (relu of a
// pre-activation that a skip connection reads too), is fused; the tiles
// write the product's value as well, which the second user reads after
// the loop.
// CHECK-LABEL: func.func @two_users(
// CHECK:         %[[LOOP:.*]]:2 = scf.for %{{.*}} iter_args(%[[A:.*]] = %{{.*}}, %[[P:.*]] = %{{.*}}) -> (tensor<16x32xf32>, tensor<16x32xf32>)
// CHECK:           %[[SUM:.*]] = scf.for
// CHECK:             vector.fma
// CHECK:           %[[PW:.*]] = vector.transfer_write %[[SUM]]
// CHECK:           %[[RELU:.*]] = arith.maximumf %[[SUM]], %{{.*}} : vector<8x32xf32>
// CHECK:           %[[AW:.*]] = vector.transfer_write %[[RELU]]
// CHECK:           %[[AI:.*]] = tensor.insert_slice %[[AW]] into %[[A]]
// CHECK:           %[[PI:.*]] = tensor.insert_slice %[[PW]] into %[[P]]
// CHECK:           scf.yield %[[AI]], %[[PI]]
// CHECK:         %[[NEG:.*]] = linalg.generic {{.*}} ins(%[[LOOP]]#1 : tensor<16x32xf32>)
// CHECK:           arith.negf
// CHECK:         return %[[LOOP]]#0, %[[NEG]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @two_users(%x: tensor<16x32xf32>, %w: tensor<32x32xf32>) -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x32xf32>) outs(%z : tensor<16x32xf32>) -> tensor<16x32xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<16x32xf32>) outs(%e : tensor<16x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  } -> tensor<16x32xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<16x32xf32>) outs(%e : tensor<16x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<16x32xf32>
  return %relu, %neg : tensor<16x32xf32>, tensor<16x32xf32>
}

// -----

// Not fused: a weight gradient that the train step returns and that the
// optimizer update (here SGD with momentum: two results, the new weights and
// velocity, in place) consumes. The product is tiled alone; the update
// stays a separate op, which the row vectorizer handles after bufferization.
// (Fusing it was measured slower; see elementwiseConsumers.)
// CHECK-LABEL: func.func @optimizer(
// CHECK:         %[[G:.*]] = scf.for
// CHECK:           scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK:         %[[UPD:.*]]:2 = linalg.generic {{.*}} ins(%[[G]] : tensor<16x32xf32>)
// CHECK:         return %[[G]], %[[UPD]]#0, %[[UPD]]#1
#lhsT = affine_map<(m, n, k) -> (k, m)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @optimizer(%x: tensor<?x16xf32>, %dy: tensor<?x32xf32>, %w: tensor<16x32xf32>, %v: tensor<16x32xf32>) -> (tensor<16x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>) {
  %cst = arith.constant 0.0 : f32
  %lr = arith.constant 0.1 : f32
  %mu = arith.constant 0.9 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %g = linalg.generic {indexing_maps = [#lhsT, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %dy : tensor<?x16xf32>, tensor<?x32xf32>) outs(%z : tensor<16x32xf32>) {
  ^bb0(%l: f32, %r: f32, %o: f32):
    %p = arith.mulf %l, %r : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x32xf32>
  %upd:2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%g : tensor<16x32xf32>) outs(%w, %v : tensor<16x32xf32>, tensor<16x32xf32>) {
  ^bb0(%gi: f32, %wi: f32, %vi: f32):
    %mv = arith.mulf %mu, %vi : f32
    %nv = arith.addf %mv, %gi : f32
    %step = arith.mulf %lr, %nv : f32
    %nw = arith.subf %wi, %step : f32
    linalg.yield %nw, %nv : f32, f32
  } -> (tensor<16x32xf32>, tensor<16x32xf32>)
  return %g, %upd#0, %upd#1 : tensor<16x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>
}

// -----

// Not fused: a reduction over the product's rows (softmax's row maximum)
// needs whole rows, not 8 x 32 tiles.
// CHECK-LABEL: func.func @row_reduction(
// CHECK:         %[[MM:.*]] = scf.for
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[MM]] : tensor<16x64xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_reduction(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>) -> tensor<16xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x64xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<16x64xf32>) -> tensor<16x64xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x64xf32>) outs(%z : tensor<16x64xf32>) -> tensor<16x64xf32>
  %re = tensor.empty() : tensor<16xf32>
  %rz = linalg.fill ins(%cst : f32) outs(%re : tensor<16xf32>) -> tensor<16xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%mm : tensor<16x64xf32>) outs(%rz : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<16xf32>
  return %max : tensor<16xf32>
}

// -----

// Not fused: a consumer that reads the product transposed would need a tile
// the product does not compute.
// CHECK-LABEL: func.func @transposed_consumer(
// CHECK:         %[[MM:.*]] = scf.for
// CHECK:         linalg.generic {{.*}} ins(%[[MM]] : tensor<32x32xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
func.func @transposed_consumer(%x: tensor<32x32xf32>, %w: tensor<32x32xf32>) -> tensor<32x32xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x32xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<32x32xf32>) -> tensor<32x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<32x32xf32>, tensor<32x32xf32>) outs(%z : tensor<32x32xf32>) -> tensor<32x32xf32>
  %t = linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<32x32xf32>) outs(%e : tensor<32x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  } -> tensor<32x32xf32>
  return %t : tensor<32x32xf32>
}

// -----

// Packed: dy x W^T (the input gradient of a dense layer) reads W across its
// rows; W is transposed once (out of the loop over time, here) so that every
// tile reads rows of the packed copy.
// CHECK-LABEL: func.func @transposed_rhs(
// CHECK-SAME:    %[[DY:.*]]: tensor<8x10xf32>, %[[W:.*]]: tensor<64x10xf32>
// CHECK:         %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<64x10xf32>) outs(%{{.*}} : tensor<10x64xf32>) permutation = [1, 0]
// CHECK:         scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK:           scf.for %[[J:.*]] = %c0 to %c64 step %c32
// CHECK:             %[[STRIP:.*]] = tensor.extract_slice %[[WT]][0, %[[J]]] [10, 32]
// CHECK:             scf.for %[[K:.*]] = %c0 to %c10 step %c1
// CHECK:               tensor.extract_slice %[[STRIP]][%[[K]], 0] [1, 32]
// CHECK-COUNT-8:       vector.fma {{.*}} : vector<32xf32>
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (n, k)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @transposed_rhs(%dy: tensor<8x10xf32>, %w: tensor<64x10xf32>, %acc: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %t = %c0 to %c4 step %c1 iter_args(%a = %acc) -> (tensor<8x64xf32>) {
    %mm = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%dy, %w : tensor<8x10xf32>, tensor<64x10xf32>) outs(%a : tensor<8x64xf32>) {
    ^bb0(%l: f32, %rr: f32, %o: f32):
      %p = arith.mulf %l, %rr : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    } -> tensor<8x64xf32>
    scf.yield %mm : tensor<8x64xf32>
  }
  return %r : tensor<8x64xf32>
}

// -----

// Cache tiles: a product whose right-hand side (512 x 512 floats, 1 MiB)
// does not fit in half of L2 is tiled over k in panels that keep a k x 32
// strip within half of L1 (at most 192 rows: the largest divisor of 512 up
// to 192 is 128). The first panel is a product of its own, small enough
// for register tiles without cache tiles, that starts from the fill's
// zeros in registers: no fill of the result beforehand, no loads of it in
// that panel. The other 384 rows of k follow in panels of 192, starting
// from what the first wrote; a 192 x 512 panel fits in half of L2, so n is
// not tiled. Their register tiles have 14 rows (28 accumulators of the 32
// registers; the left-hand side's rows, 2 KiB apart, fall in two sets of
// L1), and the 8 rows left over one tile of 8. Rows of 2 KiB: the
// right-hand side is read in place, not packed.
// CHECK-LABEL: func.func @large(
// CHECK:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     linalg.fill
// CHECK:         tensor.extract_slice %{{.*}}[0, 0] [512, 128] [1, 1]
// CHECK:         tensor.extract_slice %{{.*}}[0, 0] [128, 512] [1, 1]
// CHECK:         %[[FIRST:.*]] = scf.for %{{.*}} = %c0 to %c512 step %c8
// CHECK:           scf.for %{{.*}} = %c0 to %c128 step %c1 iter_args(%{{.*}} = %[[ZERO]]) -> (vector<8x32xf32>)
// CHECK:         tensor.extract_slice %{{.*}}[0, 128] [512, 384] [1, 1]
// CHECK:         tensor.extract_slice %{{.*}}[128, 0] [384, 512] [1, 1]
// CHECK:         scf.for %{{.*}} = %c0 to %c384 step %c192 iter_args(%{{.*}} = %[[FIRST]])
// CHECK:           scf.for %{{.*}} = %c0 to %c504 step %c14
// CHECK:             scf.for %{{.*}} = %c0 to %c512 step %c32
// CHECK:               scf.for %{{.*}} = %c0 to %c192 step %c1 iter_args(%{{.*}}) -> (vector<14x32xf32>)
// CHECK-COUNT-14:        vector.fma {{.*}} : vector<32xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c512 step %c32
// CHECK:             scf.for %{{.*}} = %c0 to %c192 step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// With pack-row-bytes=2048 its rows of 2 KiB are wide enough, and 64 row
// tiles share the right-hand side of the rest: packed.
// ROWS2K-LABEL: func.func @large(
// ROWS2K:         linalg.transpose ins(%{{.*}} : tensor<384x16x32xf32>) outs(%{{.*}} : tensor<16x384x32xf32>) permutation = [1, 0, 2]
func.func @large(%x: tensor<512x512xf32>, %w: tensor<512x512xf32>) -> tensor<512x512xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<512x512xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<512x512xf32>) -> tensor<512x512xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<512x512xf32>, tensor<512x512xf32>) outs(%z : tensor<512x512xf32>) -> tensor<512x512xf32>
  return %mm : tensor<512x512xf32>
}

// -----

// The same with a bias as the accumulator's initial value: the first panel
// starts from the bias broadcast to the tile's rows, in registers, and
// nothing writes the broadcast to memory.
// CHECK-LABEL: func.func @large_bias(
// CHECK-SAME:    %{{.*}}: tensor<512x512xf32>, %{{.*}}: tensor<512x512xf32>, %[[B:.*]]: tensor<512xf32>
// CHECK-NOT:     linalg.broadcast
// CHECK:         %[[FIRST:.*]] = scf.for %{{.*}} = %c0 to %c512 step %c8
// CHECK:           tensor.extract_slice %[[B]]
// CHECK:           %[[ROW:.*]] = vector.transfer_read %{{.*}} : tensor<32xf32>, vector<32xf32>
// CHECK:           %[[INIT:.*]] = vector.broadcast %[[ROW]] : vector<32xf32> to vector<8x32xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c128 step %c1 iter_args(%{{.*}} = %[[INIT]]) -> (vector<8x32xf32>)
// CHECK:         scf.for %{{.*}} = %c0 to %c384 step %c192 iter_args(%{{.*}} = %[[FIRST]])
func.func @large_bias(%x: tensor<512x512xf32>, %w: tensor<512x512xf32>, %b: tensor<512xf32>) -> tensor<512x512xf32> {
  %e = tensor.empty() : tensor<512x512xf32>
  %z = linalg.broadcast ins(%b : tensor<512xf32>) outs(%e : tensor<512x512xf32>) dimensions = [0]
  %mm = linalg.matmul ins(%x, %w : tensor<512x512xf32>, tensor<512x512xf32>) outs(%z : tensor<512x512xf32>) -> tensor<512x512xf32>
  return %mm : tensor<512x512xf32>
}

// -----

// Rows of the left-hand side 4 KiB apart (1024 floats): 14 of them would
// fall in one set of L1 (4 KiB per way), more than its ways, so the
// register tiles keep 8 rows.
// CHECK-LABEL: func.func @large_rows_4k(
// CHECK:         scf.for %{{.*}} = %c0 to %c256 step %c8
// CHECK:           scf.for %{{.*}} -> (vector<8x32xf32>)
// CHECK-NOT:     vector<14x32xf32>
func.func @large_rows_4k(%x: tensor<256x1024xf32>, %w: tensor<1024x256xf32>, %acc: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %mm = linalg.matmul ins(%x, %w : tensor<256x1024xf32>, tensor<1024x256xf32>) outs(%acc : tensor<256x256xf32>) -> tensor<256x256xf32>
  return %mm : tensor<256x256xf32>
}

// -----

// Double precision: a vector register holds 8 elements, so the register
// tiles are 16 columns wide (two registers) and the cache tiles are sized
// for 8-byte elements: k panels of 192 (a 192 x 16 strip of 24 KiB, half
// of L1, as f32's 192 x 32), n tiles of 192 (a 192 x 192 panel of 288
// KiB, within half of L2). 14 rows, unless the rows are 4 KiB apart (512
// doubles).
// CHECK-LABEL: func.func @large_f64(
// CHECK:         scf.for %{{.*}} = %c0 to %c384 step %c192
// CHECK:           scf.for %{{.*}} = %c0 to %c384 step %c192
// CHECK:             scf.for %{{.*}} = %c0 to %c378 step %c14
// CHECK:               scf.for %{{.*}} = %c0 to %c192 step %c16
// CHECK:                 scf.for %{{.*}} -> (vector<14x16xf64>)
// CHECK-NOT:     vector<{{.*}}x32xf64>
// CHECK-LABEL: func.func @large_f64_rows_4k(
// CHECK:           scf.for %{{.*}} = %c0 to %c512 step %c8
// CHECK:             scf.for %{{.*}} = %c0 to %c512 step %c16
// CHECK:               scf.for %{{.*}} -> (vector<8x16xf64>)
// CHECK-NOT:     vector<14x16xf64>
func.func @large_f64(%x: tensor<384x384xf64>, %w: tensor<384x384xf64>, %acc: tensor<384x384xf64>) -> tensor<384x384xf64> {
  %mm = linalg.matmul ins(%x, %w : tensor<384x384xf64>, tensor<384x384xf64>) outs(%acc : tensor<384x384xf64>) -> tensor<384x384xf64>
  return %mm : tensor<384x384xf64>
}
func.func @large_f64_rows_4k(%x: tensor<512x512xf64>, %w: tensor<512x512xf64>, %acc: tensor<512x512xf64>) -> tensor<512x512xf64> {
  %mm = linalg.matmul ins(%x, %w : tensor<512x512xf64>, tensor<512x512xf64>) outs(%acc : tensor<512x512xf64>) -> tensor<512x512xf64>
  return %mm : tensor<512x512xf64>
}

// -----

// Rows of the right-hand side a page (4 KiB) or more apart: it is packed
// once, before the loops, into strips of 32 columns whose rows follow each
// other (packed[n / 32, k, n % 32]), and each of the 36 register tiles of
// 14 rows reads its 128 x 32 strip from there, one row after the other.
// (It accumulates into a tensor of the caller's, not a fill, so all of k
// is cache-tiled; see @large for a fill.)
// CHECK-LABEL: func.func @large_packed(
// CHECK-SAME:    %[[X:.*]]: tensor<512x256xf32>, %[[W:.*]]: tensor<256x1024xf32>, %{{.*}}: tensor<512x1024xf32>
// CHECK:         %[[EXP:.*]] = tensor.expand_shape %[[W]] {{\[\[}}0], [1, 2]] output_shape [256, 32, 32]
// CHECK:         %[[PACKED:.*]] = linalg.transpose ins(%[[EXP]] : tensor<256x32x32xf32>) outs(%{{.*}} : tensor<32x256x32xf32>) permutation = [1, 0, 2]
// CHECK:         scf.for %[[K:.*]] = %c0 to %c256 step %c128
// CHECK:           scf.for %{{.*}} = %c0 to %c504 step %c14
// CHECK:             scf.for %[[J:.*]] = %c0 to %c1024 step %c32
// CHECK:               %[[STRIP:.*]] = affine.apply #{{.*}}(%[[J]])
// CHECK:               %[[B:.*]] = tensor.extract_slice %[[PACKED]][%[[STRIP]], %[[K]], 0] [1, 128, 32] [1, 1, 1] : tensor<32x256x32xf32> to tensor<128x32xf32>
// CHECK:               scf.for %[[KK:.*]] = %c0 to %c128 step %c1 iter_args(%{{.*}}) -> (vector<14x32xf32>)
// CHECK:                 tensor.extract_slice %[[B]][%[[KK]], 0] [1, 32] [1, 1]
// CHECK-COUNT-14:        vector.fma {{.*}} : vector<32xf32>
// With pack-min-row-tiles=64 its 37 row tiles are too few: not packed.
// TILES64-LABEL: func.func @large_packed(
// TILES64-NOT:     linalg.transpose
// TILES64:         vector.fma
func.func @large_packed(%x: tensor<512x256xf32>, %w: tensor<256x1024xf32>, %acc: tensor<512x1024xf32>) -> tensor<512x1024xf32> {
  %mm = linalg.matmul ins(%x, %w : tensor<512x256xf32>, tensor<256x1024xf32>) outs(%acc : tensor<512x1024xf32>) -> tensor<512x1024xf32>
  return %mm : tensor<512x1024xf32>
}

// -----

// The input gradient of a wide dense layer, dy x W^T with W 1024 x 256 (1
// MiB, so cache-tiled) and a batch known only at run time: W^T is
// transposed for this product anyway, so it is transposed straight into
// strips of 32 columns (W as [32, 32, 256] -> [32, 256, 32]) at the same
// cost, whatever the batch, and no plain transpose remains.
// CHECK-LABEL: func.func @transposed_rhs_packed(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x256xf32>, %[[W:.*]]: tensor<1024x256xf32>
// CHECK:         %[[EXP:.*]] = tensor.expand_shape %[[W]] {{\[\[}}0, 1], [2]] output_shape [32, 32, 256]
// CHECK:         %[[PACKED:.*]] = linalg.transpose ins(%[[EXP]] : tensor<32x32x256xf32>) outs(%{{.*}} : tensor<32x256x32xf32>) permutation = [0, 2, 1]
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.for %[[K:.*]] = %c0 to %c256 step %c128
// CHECK:           scf.for %{{.*}} = %c0 to %{{.*}} step %c8
// CHECK:             scf.for %[[J:.*]] = %c0 to %c1024 step %c32
// CHECK:               tensor.extract_slice %[[PACKED]][%{{.*}}, %[[K]], 0] [1, 128, 32] [1, 1, 1] : tensor<32x256x32xf32> to tensor<128x32xf32>
// CHECK-COUNT-8:         vector.fma {{.*}} : vector<32xf32>
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (n, k)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @transposed_rhs_packed(%dy: tensor<?x256xf32>, %w: tensor<1024x256xf32>) -> tensor<?x1024xf32> {
  %cst = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %b = tensor.dim %dy, %c0 : tensor<?x256xf32>
  %e = tensor.empty(%b) : tensor<?x1024xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?x1024xf32>) -> tensor<?x1024xf32>
  %mm = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%dy, %w : tensor<?x256xf32>, tensor<1024x256xf32>) outs(%z : tensor<?x1024xf32>) {
  ^bb0(%l: f32, %rr: f32, %o: f32):
    %p = arith.mulf %l, %rr : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1024xf32>
  return %mm : tensor<?x1024xf32>
}

// -----

// The same right-hand side with a batch of rows known only at run time
// (which may be 1): packing it would cost more than the rows could gain.
// CHECK-LABEL: func.func @large_batch_not_packed(
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.for %{{.*}} = %c0 to %c256 step %c128
// CHECK:           vector.fma
func.func @large_batch_not_packed(%x: tensor<?x256xf32>, %w: tensor<256x1024xf32>) -> tensor<?x1024xf32> {
  %cst = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %b = tensor.dim %x, %c0 : tensor<?x256xf32>
  %e = tensor.empty(%b) : tensor<?x1024xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?x1024xf32>) -> tensor<?x1024xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x256xf32>, tensor<256x1024xf32>) outs(%z : tensor<?x1024xf32>) -> tensor<?x1024xf32>
  return %mm : tensor<?x1024xf32>
}

// -----

// Weight gradient x^T dy: the reduction runs over the (dynamic) batch, one
// row of x and dy per step; m = 20 leaves a static remainder of 4 rows,
// n = 10 is one tile of 10 columns.
// CHECK-LABEL: func.func @weight_gradient(
// CHECK:         scf.for %{{.*}} = %c0 to %c16 step %c8
// Each step is a named product of a row of x (8 values, reshaped to a
// column) and a row of dy: 8 FMAs, not separate multiplies and adds.
// CHECK:           scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (vector<8x10xf32>)
// CHECK:             tensor.expand_shape %{{.*}} output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
// CHECK-COUNT-8:     vector.fma {{.*}} : vector<10xf32>
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (vector<4x10xf32>)
// CHECK-COUNT-4:   vector.fma {{.*}} : vector<10xf32>
#lhsT = affine_map<(m, n, k) -> (k, m)>
#rhs2 = affine_map<(m, n, k) -> (k, n)>
#out2 = affine_map<(m, n, k) -> (m, n)>
func.func @weight_gradient(%x: tensor<?x20xf32>, %dy: tensor<?x10xf32>) -> tensor<20x10xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<20x10xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<20x10xf32>) -> tensor<20x10xf32>
  %mm = linalg.generic {indexing_maps = [#lhsT, #rhs2, #out2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %dy : tensor<?x20xf32>, tensor<?x10xf32>) outs(%z : tensor<20x10xf32>) {
  ^bb0(%l: f32, %r: f32, %o: f32):
    %p = arith.mulf %l, %r : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<20x10xf32>
  return %mm : tensor<20x10xf32>
}

// -----

// Convolution (n, f, oh, ow, c, kh, kw): one image, 8 filters, one output
// row of 28 per tile, the bias and the relu fused. A row of 28 is two
// 16-lane registers, the second one masked: the transfers of the input row
// and of the result run past the 28 columns (in_bounds false, masked loads
// and stores), the accumulator stays vector<8x32> in registers across the
// loops over (c, kh, kw), and each step is 8 broadcast filter values times
// one input row: 8 FMAs.
// CHECK-LABEL: func.func @conv_relu(
// CHECK-SAME:    %[[X:.*]]: tensor<?x2x30x30xf32>, %[[W:.*]]: tensor<8x2x3x3xf32>, %[[B:.*]]: tensor<8xf32>
// CHECK-NOT:     linalg.
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK:           scf.for %{{.*}} = %c0 to %c28 step %c1
// The bias, one value per filter, is a column broadcast along the rows
// (splats), not a broadcast and a transpose (shuffles).
// CHECK:             %[[BIAS:.*]] = vector.transfer_read %[[B]]
// CHECK-NOT:         vector.transpose
// CHECK:             %[[COLUMN:.*]] = vector.shape_cast %[[BIAS]] : vector<8xf32> to vector<8x1xf32>
// CHECK:             %[[ACC:.*]] = vector.broadcast %[[COLUMN]] : vector<8x1xf32> to vector<8x32xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK:               scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK:                 scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK:                   vector.transfer_read %{{.*}} {in_bounds = [true, true]} : tensor<8x1xf32>, vector<8x1xf32>
// CHECK:                   vector.transfer_read %{{.*}} {in_bounds = [true, false]} : tensor<1x28xf32>, vector<1x32xf32>
// CHECK-COUNT-8:           vector.fma {{.*}} : vector<32xf32>
// CHECK:             %[[RELU:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<8x32xf32>
// CHECK:             vector.transfer_write %[[RELU]], %{{.*}} {in_bounds = [true, false]} : vector<8x32xf32>, tensor<8x28xf32>
// CHECK:         } {nnc.parallel}
#conv_id = affine_map<(a, b, c, d) -> (a, b, c, d)>
func.func @conv_relu(%x: tensor<?x2x30x30xf32>, %w: tensor<8x2x3x3xf32>, %b: tensor<8xf32>) -> tensor<?x8x28x28xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x2x30x30xf32>
  %e = tensor.empty(%n) : tensor<?x8x28x28xf32>
  %init = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e : tensor<?x8x28x28xf32>) dimensions = [0, 2, 3]
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<?x2x30x30xf32>, tensor<8x2x3x3xf32>) outs(%init : tensor<?x8x28x28xf32>) -> tensor<?x8x28x28xf32>
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#conv_id, #conv_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : tensor<?x8x28x28xf32>) outs(%e : tensor<?x8x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x8x28x28xf32>
  return %r : tensor<?x8x28x28xf32>
}

// -----

// 12 filters: a tile of 8 and the 4 left over, peeled (in each image); a
// row of 16 fills one register exactly (no mask).
// CHECK-LABEL: func.func @conv_filter_remainder(
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c1
// CHECK:               -> (vector<8x16xf32>)
// CHECK:                 vector.transfer_read %{{.*}} {in_bounds = [true, true]} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK-COUNT-8:         vector.fma {{.*}} : vector<16xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c1
// CHECK:               -> (vector<4x16xf32>)
// CHECK-COUNT-4:         vector.fma {{.*}} : vector<16xf32>
func.func @conv_filter_remainder(%x: tensor<?x1x18x18xf32>, %w: tensor<12x1x3x3xf32>) -> tensor<?x12x16x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x18x18xf32>
  %e = tensor.empty(%n) : tensor<?x12x16x16xf32>
  %zero = arith.constant 0.0 : f32
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x12x16x16xf32>) -> tensor<?x12x16x16xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<?x1x18x18xf32>, tensor<12x1x3x3xf32>) outs(%z : tensor<?x12x16x16xf32>) -> tensor<?x12x16x16xf32>
  return %y : tensor<?x12x16x16xf32>
}

// -----

// A stride of 2 along the width reads every second input element: no
// contiguous input row, so the convolution is left to the row vectorizer.
// CHECK-LABEL: func.func @conv_strided(
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK-NOT:     vector.fma
func.func @conv_strided(%x: tensor<?x1x17x17xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<?x8x8x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x17x17xf32>
  %e = tensor.empty(%n) : tensor<?x8x8x8xf32>
  %zero = arith.constant 0.0 : f32
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x8x8x8xf32>) -> tensor<?x8x8x8xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<?x1x17x17xf32>, tensor<8x1x3x3xf32>) outs(%z : tensor<?x8x8x8xf32>) -> tensor<?x8x8x8xf32>
  return %y : tensor<?x8x8x8xf32>
}

// -----

// Filter gradient partial sums P[f, c, kh, kw, ow] over (n, oh) (Conv.cpp):
// 8 filters by a row of 14 (one masked register) per (c, kh, kw),
// accumulated in registers over the batch and the rows; each step is one
// input row broadcast over the 8 rows of dy: 8 FMAs (one vector.fma on
// vector<8x16>).
// CHECK-LABEL: func.func @filter_gradient(
// CHECK:         scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK:           scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK:             scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK:               scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (vector<8x16xf32>)
// CHECK:                 scf.for %{{.*}} = %c0 to %c14 step %c1 iter_args(%{{.*}}) -> (vector<8x16xf32>)
// CHECK:                   %[[ROW:.*]] = vector.transfer_read %{{.*}} : tensor<14xf32>, vector<16xf32>
// CHECK:                   %[[ROWS:.*]] = vector.broadcast %[[ROW]] : vector<16xf32> to vector<8x16xf32>
// CHECK:                   %[[DY:.*]] = vector.transfer_read %{{.*}} {in_bounds = [true, false]} : tensor<8x14xf32>, vector<8x16xf32>
// CHECK:                   vector.fma %[[ROWS]], %[[DY]], %{{.*}} : vector<8x16xf32>
// CHECK:               vector.transfer_write %{{.*}} {in_bounds = [true, false]} : vector<8x16xf32>, tensor<8x14xf32>
#dw_x = affine_map<(f, c, kh, kw, ow, n, oh) -> (n, c, oh + kh, ow + kw)>
#dw_dy = affine_map<(f, c, kh, kw, ow, n, oh) -> (n, f, oh, ow)>
#dw_p = affine_map<(f, c, kh, kw, ow, n, oh) -> (f, c, kh, kw, ow)>
func.func @filter_gradient(%x: tensor<?x2x16x16xf32>, %dy: tensor<?x8x14x14xf32>) -> tensor<8x2x3x3x14xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x2x3x3x14xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x2x3x3x14xf32>) -> tensor<8x2x3x3x14xf32>
  %p = linalg.generic {indexing_maps = [#dw_x, #dw_dy, #dw_p], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x, %dy : tensor<?x2x16x16xf32>, tensor<?x8x14x14xf32>) outs(%z : tensor<8x2x3x3x14xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x2x3x3x14xf32>
  return %p : tensor<8x2x3x3x14xf32>
}

// -----

// The input gradient of a dense layer after a flatten, dy [N, 10] x W^T
// viewed as [N, 16, 7, 7]: its n loops (c, h, w) are contiguous in every
// operand, so it is folded into a product of matrices ([N, 784], W as
// [784, 10], packed transposed) and tiled as one, its zero fill fused. The
// batch loop stays apart. 784 columns are 6 blocks of 128 and one of 16:
// whole tiles of 8 rows split each block into 4 tiles of 32, the rows left
// over take a block at a time.
// CHECK-LABEL: func.func @flatten_input_gradient(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x10xf32>, %[[W:.*]]: tensor<16x7x7x10xf32>
// CHECK:         %[[W2:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0, 1, 2], [3]] : tensor<16x7x7x10xf32> into tensor<784x10xf32>
// CHECK:         linalg.transpose ins(%[[W2]] : tensor<784x10xf32>)
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for %{{.*}} step %c8
// CHECK:           scf.for %{{.*}} = %c0 to %c768 step %c128
// CHECK:             scf.for %{{.*}} = %c0 to %c128 step %c32
// CHECK:               scf.for %{{.*}} = %c0 to %c10 step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK-COUNT-8:         vector.fma {{.*}} : vector<32xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c10 step %c1 iter_args(%{{.*}}) -> (vector<8x16xf32>)
// CHECK:         scf.for %{{.*}} step %c8
// CHECK:           scf.for %{{.*}} = %c0 to %c768 step %c128
// CHECK:               scf.for %{{.*}} = %c0 to %c10 step %c1 iter_args(%{{.*}}) -> (vector<1x128xf32>)
// CHECK:               scf.for %{{.*}} = %c0 to %c10 step %c1 iter_args(%{{.*}}) -> (vector<1x16xf32>)
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] {{.*}} into tensor<?x16x7x7xf32>
#fl_dy = affine_map<(n, c, h, w, k) -> (n, k)>
#fl_w = affine_map<(n, c, h, w, k) -> (c, h, w, k)>
#fl_dx = affine_map<(n, c, h, w, k) -> (n, c, h, w)>
func.func @flatten_input_gradient(%dy: tensor<?x10xf32>, %w: tensor<16x7x7x10xf32>) -> tensor<?x16x7x7xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %dy, %c0 : tensor<?x10xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x16x7x7xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x16x7x7xf32>) -> tensor<?x16x7x7xf32>
  %dx = linalg.generic {indexing_maps = [#fl_dy, #fl_w, #fl_dx], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%dy, %w : tensor<?x10xf32>, tensor<16x7x7x10xf32>) outs(%z : tensor<?x16x7x7xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x16x7x7xf32>
  return %dx : tensor<?x16x7x7xf32>
}

// -----

// The weight gradient of a recurrent layer sums over examples and steps,
// two reduction loops (n, t) that are contiguous in both operands: they are
// folded into one k over the batch times the steps (x as [N x 28, 28], dG
// as [N x 28, 64]) and the product is tiled like a dense weight gradient.
// CHECK-LABEL: func.func @recurrent_weight_gradient(
// CHECK-SAME:    %[[X:.*]]: tensor<?x28x28xf32>, %[[DG:.*]]: tensor<?x28x64xf32>
// CHECK-DAG:     tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<?x28x28xf32> into tensor<?x28xf32>
// CHECK-DAG:     tensor.collapse_shape %[[DG]] {{\[\[}}0, 1], [2]] : tensor<?x28x64xf32> into tensor<?x64xf32>
// CHECK:         scf.for %{{.*}} = %c0 to %c24 step %c8
// CHECK:           scf.for %{{.*}} = %c0 to %c64 step %c32
// CHECK:             scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK-COUNT-8:       vector.fma {{.*}} : vector<32xf32>
#rw_x = affine_map<(n, t, i, j) -> (n, t, i)>
#rw_g = affine_map<(n, t, i, j) -> (n, t, j)>
#rw_w = affine_map<(n, t, i, j) -> (i, j)>
func.func @recurrent_weight_gradient(%x: tensor<?x28x28xf32>, %dg: tensor<?x28x64xf32>) -> tensor<28x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<28x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<28x64xf32>) -> tensor<28x64xf32>
  %dw = linalg.generic {indexing_maps = [#rw_x, #rw_g, #rw_w], iterator_types = ["reduction", "reduction", "parallel", "parallel"]} ins(%x, %dg : tensor<?x28x28xf32>, tensor<?x28x64xf32>) outs(%z : tensor<28x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<28x64xf32>
  return %dw : tensor<28x64xf32>
}

// -----

// Not fused: the first user of a result that has two reads the product
// with something else (not an activation); both users stay separate ops
// after the tiled product.
// CHECK-LABEL: func.func @two_users_not_activation(
// CHECK:         %[[MM:.*]] = scf.for
// CHECK:           vector.fma
// CHECK-NOT:       arith.addf
// CHECK:         %[[ADD:.*]] = linalg.generic {{.*}} ins(%[[MM]], %{{.*}} : tensor<16x32xf32>, tensor<16x32xf32>)
// CHECK:           arith.addf
// CHECK:         %[[NEG:.*]] = linalg.generic {{.*}} ins(%[[MM]] : tensor<16x32xf32>)
// CHECK:           arith.negf
// CHECK:         return %[[ADD]], %[[NEG]]
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @two_users_not_activation(%x: tensor<16x32xf32>, %w: tensor<32x32xf32>, %r: tensor<16x32xf32>) -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x32xf32>) outs(%z : tensor<16x32xf32>) -> tensor<16x32xf32>
  %add = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%mm, %r : tensor<16x32xf32>, tensor<16x32xf32>) outs(%e : tensor<16x32xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %a = arith.addf %in, %in2 : f32
    linalg.yield %a : f32
  } -> tensor<16x32xf32>
  %neg = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<16x32xf32>) outs(%e : tensor<16x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<16x32xf32>
  return %add, %neg : tensor<16x32xf32>, tensor<16x32xf32>
}

// -----

// A wide layer with its activation fused: the 1024 x 512 weight (2 MiB) is
// beyond half of L2, so the blocks of 128 columns go outside the row tiles
// (and run on threads): each 1024 x 128 block is read once for all the
// rows. The rows left over follow within each block. From 32 rows of the
// batch (pack-min-rows), the weight is packed in strips of 32 columns
// before the loops, and each register tile's loop over k reads its strip;
// with fewer, the pack is skipped and the loop over k reads the weight
// itself: the two versions are the k loops alone, which carry their
// accumulators in registers. The single rows left over read the weight.
// CHECK-LABEL: func.func @wide_relu_columns_outer(
// CHECK-SAME:    %[[X:.*]]: tensor<?x1024xf32>, %[[W:.*]]: tensor<1024x512xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK:         %[[MANY:.*]] = arith.cmpi sge, %[[N]], %c32 : index
// CHECK:         %[[BUF:.*]] = tensor.empty() : tensor<16x1024x32xf32>
// CHECK:         %[[STRIPS:.*]] = scf.if %[[MANY]] -> (tensor<16x1024x32xf32>) {
// CHECK:           %[[EXP:.*]] = tensor.expand_shape %[[W]] {{\[}}[0], [1, 2]] output_shape [1024, 16, 32]
// CHECK:           %[[T:.*]] = linalg.transpose ins(%[[EXP]] : tensor<1024x16x32xf32>) outs(%[[BUF]] : tensor<16x1024x32xf32>) permutation = [1, 0, 2]
// CHECK:           scf.yield %[[T]]
// CHECK:         } else {
// CHECK:           scf.yield %[[BUF]]
// CHECK:         }
// CHECK:         scf.for %[[J:.*]] = %c0 to %c512 step %c128
// CHECK:           scf.for %{{.*}} = %c0 to %{{.*}} step %c8
// CHECK:             %[[PSLICE:.*]] = tensor.extract_slice %[[STRIPS]][%{{.*}}, 0, 0] [1, 1024, 32]
// CHECK:             scf.if %[[MANY]] -> (vector<8x32xf32>) {
// CHECK:               scf.for %{{.*}} = %c0 to %c1024 step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK:                 tensor.extract_slice %[[PSLICE]]
// CHECK:                 vector.fma
// CHECK:             } else {
// CHECK:               scf.for %{{.*}} = %c0 to %c1024 step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK-NOT:             %[[PSLICE]]
// CHECK:                 vector.fma
// CHECK:             }
// CHECK:             arith.maximumf
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8
// CHECK:             tensor.extract_slice %[[W]][0, %{{.*}}] [1024, 128]
// CHECK:             scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1
// CHECK:         } {nnc.parallel}
// CHECK-NOT:     linalg.
// CHECK:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @wide_relu_columns_outer(%x: tensor<?x1024xf32>, %w: tensor<1024x512xf32>) -> tensor<?x512xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x1024xf32>
  %e = tensor.empty(%n) : tensor<?x512xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?x512xf32>) -> tensor<?x512xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x1024xf32>, tensor<1024x512xf32>) outs(%z : tensor<?x512xf32>) -> tensor<?x512xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<?x512xf32>) outs(%e : tensor<?x512xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  } -> tensor<?x512xf32>
  return %relu : tensor<?x512xf32>
}

// -----

// A weight gradient dW = x^T dy over a dynamic batch (k) whose output
// gradient dy has rows of 4 KiB (a page: packRowBytes) and which many row
// tiles share (256 rows: packMinRowTiles x 8): dy is packed in strips of 32
// columns (a buffer of the batch's size, written before the loops), which
// the register tiles read over the whole batch; the blocks of 128 columns
// go outside the row tiles, so that a block of the strips stays in L2.
// CHECK-LABEL: func.func @weight_gradient_packed(
// CHECK-SAME:    %[[X:.*]]: tensor<?x256xf32>, %[[DY:.*]]: tensor<?x1024xf32>
// CHECK:         %[[B:.*]] = tensor.dim %[[DY]], %c0
// CHECK:         %[[BUF:.*]] = tensor.empty(%[[B]]) : tensor<32x?x32xf32>
// CHECK:         %[[EXP:.*]] = tensor.expand_shape %[[DY]] {{\[}}[0], [1, 2]] output_shape [%[[B]], 32, 32]
// CHECK:         %[[STRIPS:.*]] = linalg.transpose ins(%[[EXP]] : tensor<?x32x32xf32>) outs(%[[BUF]] : tensor<32x?x32xf32>) permutation = [1, 0, 2]
// CHECK:         scf.for %{{.*}} = %c0 to %c1024 step %c128
// CHECK:           scf.for %{{.*}} = %c0 to %c256 step %c8
// CHECK:             tensor.extract_slice %[[STRIPS]][%{{.*}}, 0, 0] [1, %{{.*}}, 32]
// CHECK:             scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK:               vector.fma
// CHECK:         } {nnc.parallel}
// CHECK-NOT:     linalg.
// CHECK:         return
#xt = affine_map<(m, n, k) -> (k, m)>
#dy = affine_map<(m, n, k) -> (k, n)>
#dw = affine_map<(m, n, k) -> (m, n)>
func.func @weight_gradient_packed(%x: tensor<?x256xf32>, %dy: tensor<?x1024xf32>) -> tensor<256x1024xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x1024xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
  %g = linalg.generic {indexing_maps = [#xt, #dy, #dw], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %dy : tensor<?x256xf32>, tensor<?x1024xf32>) outs(%z : tensor<256x1024xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x1024xf32>
  return %g : tensor<256x1024xf32>
}

// -----

// The same with a gradient of 512 columns (2 KiB rows): not packed, and
// the row tiles stay outside.
// CHECK-LABEL: func.func @weight_gradient_narrow(
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.for %{{.*}} = %c0 to %c256 step %c8
// CHECK-NOT:     linalg.transpose
// CHECK:         return
#xt = affine_map<(m, n, k) -> (k, m)>
#dy = affine_map<(m, n, k) -> (k, n)>
#dw = affine_map<(m, n, k) -> (m, n)>
func.func @weight_gradient_narrow(%x: tensor<?x256xf32>, %dy: tensor<?x512xf32>) -> tensor<256x512xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x512xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<256x512xf32>) -> tensor<256x512xf32>
  %g = linalg.generic {indexing_maps = [#xt, #dy, #dw], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %dy : tensor<?x256xf32>, tensor<?x512xf32>) outs(%z : tensor<256x512xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x512xf32>
  return %g : tensor<256x512xf32>
}
