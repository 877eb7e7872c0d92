// RUN: nnc-opt %s --nnc-vectorize-rows --split-input-file | FileCheck %s
// RUN: nnc-opt %s --nnc-vectorize-rows=threads=true --split-input-file | FileCheck %s --check-prefix=THREADS

// Linalg ops on buffers become loops over rows of vectors along a parallel
// loop that walks the last dimension of the output and of the inputs that
// use it, reductions inside, the accumulator carried in registers; ops whose
// inputs read that row with a stride become interchanged scalar loops
// annotated for LLVM's vectorizer; short rows are left alone.

// ow (14) in one masked vector of 16 lanes: the output chunk is loaded
// once, carried through c, kh, kw and stored once; the filter is a
// broadcast scalar.
// CHECK-LABEL: func.func @conv
// CHECK-SAME:    (%[[X:.*]]: memref<?x16x16x16xf32>, %[[W:.*]]: memref<32x16x3x3xf32>, %[[Y:.*]]: memref<?x32x14x14xf32>)
// CHECK:         scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           scf.for %[[F:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:             scf.for %[[OH:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:               scf.for %[[OW:.*]] = %{{.*}} to %{{.*}} step %[[C16:.*]] {
// CHECK:                 %[[LEFT:.*]] = arith.subi %{{.*}}, %[[OW]] : index
// CHECK:                 %[[MASK:.*]] = vector.create_mask %[[LEFT]] : vector<16xi1>
// CHECK:                 %[[ACC:.*]] = vector.maskedload %[[Y]][{{.*}}], %[[MASK]], %{{.*}} : memref<?x32x14x14xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:                 %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A0:.*]] = %[[ACC]]) -> (vector<16xf32>) {
// CHECK:                   scf.for %{{.*}} iter_args(%[[A1:.*]] = %[[A0]]) -> (vector<16xf32>) {
// CHECK:                     scf.for %{{.*}} iter_args(%[[A2:.*]] = %[[A1]]) -> (vector<16xf32>) {
// CHECK:                       %[[IN:.*]] = vector.maskedload %[[X]][{{.*}}], %[[MASK]], %{{.*}} : memref<?x16x16x16xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:                       %[[WS:.*]] = memref.load %[[W]][{{.*}}] : memref<32x16x3x3xf32>
// CHECK:                       %[[WV:.*]] = vector.broadcast %[[WS]] : f32 to vector<16xf32>
// CHECK:                       %[[P:.*]] = arith.mulf %[[IN]], %[[WV]] : vector<16xf32>
// CHECK:                       %[[S:.*]] = arith.addf %[[A2]], %[[P]] : vector<16xf32>
// CHECK:                       scf.yield %[[S]] : vector<16xf32>
// CHECK:                 vector.maskedstore %[[Y]][{{.*}}], %[[MASK]], %[[SUM]] : memref<?x32x14x14xf32>, vector<16xi1>, vector<16xf32>
// The loop over images indexes the output: its iterations may run on
// threads, marked with the points of one image (32 x 14 x 14 x 16 x 3 x 3),
// which nnc-parallelize-tiles weighs against the batch at run time.
// CHECK:         } {nnc.parallel = 903168 : i64}
// CHECK-NOT:     linalg.
func.func @conv(%x: memref<?x16x16x16xf32>, %w: memref<32x16x3x3xf32>, %y: memref<?x32x14x14xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<?x16x16x16xf32>, memref<32x16x3x3xf32>) outs(%y : memref<?x32x14x14xf32>)
  return
}

// -----

// Elementwise f64 rows of 32: four unmasked vectors of 8 lanes; the output
// is not read, so not loaded.
// CHECK-LABEL: func.func @relu_f64
// CHECK-SAME:    (%[[X:.*]]: memref<?x32xf64>, %[[Y:.*]]: memref<?x32xf64>)
// CHECK:         %[[C8:.*]] = arith.constant 8 : index
// CHECK:         scf.for
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C8]] {
// CHECK-NOT:         vector.create_mask
// CHECK-NOT:         vector.load %[[Y]]
// CHECK:             %[[V:.*]] = vector.load %[[X]][{{.*}}] : memref<?x32xf64>, vector<8xf64>
// CHECK:             %[[Z:.*]] = vector.broadcast %{{.*}} : f64 to vector<8xf64>
// CHECK:             %[[R:.*]] = arith.maximumf %[[V]], %[[Z]] : vector<8xf64>
// CHECK:             vector.store %[[R]], %[[Y]][{{.*}}] : memref<?x32xf64>, vector<8xf64>
// 32 elements per example: whether that is worth threads depends on the
// batch, known at run time.
// CHECK:         } {nnc.parallel = 32 : i64}
// CHECK:         return
func.func @relu_f64(%x: memref<?x32xf64>, %y: memref<?x32xf64>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x32xf64>) outs(%y : memref<?x32xf64>) {
  ^bb0(%in: f64, %out: f64):
    %c = arith.constant 0.0 : f64
    %m = arith.maximumf %in, %c : f64
    linalg.yield %m : f64
  }
  return
}

// -----

// x W: n (the 128 units) is the row, k the reduction inside it.
// CHECK-LABEL: func.func @matmul
// CHECK:         scf.for %{{.*}} {
// CHECK:           scf.for %{{.*}} step %{{.*}} {
// CHECK:             %[[ACC:.*]] = vector.load %{{.*}} : memref<?x128xf32>, vector<16xf32>
// CHECK:             scf.for %{{.*}} iter_args(%{{.*}} = %[[ACC]]) -> (vector<16xf32>) {
// CHECK:               memref.load %{{.*}} : memref<?x64xf32>
// CHECK:               vector.broadcast
// CHECK:               vector.load %{{.*}} : memref<64x128xf32>, vector<16xf32>
func.func @matmul(%a: memref<?x64xf32>, %b: memref<64x128xf32>, %c: memref<?x128xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x128xf32>) outs(%c : memref<?x128xf32>)
  return
}

// -----

// Pooling with stride 2 reads the row with a stride: the op is interchanged
// (ow innermost, the window outside it) and lowered to scalar loops whose
// innermost one asks LLVM to vectorize it, without unrolling it first, its
// accesses in a parallel access group.
// CHECK-DAG: #[[GROUP:.*]] = #llvm.access_group<id = distinct[{{[0-9]+}}]<>>
// CHECK-DAG: #[[VEC:.*]] = #llvm.loop_vectorize<disable = false>
// CHECK-DAG: #[[UNROLL:.*]] = #llvm.loop_unroll<disable = true>
// CHECK-DAG: #[[ANN:.*]] = #llvm.loop_annotation<vectorize = #[[VEC]], unroll = #[[UNROLL]], parallelAccesses = #[[GROUP]]>
// CHECK-LABEL: func.func @maxpool_strided
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               scf.for
// CHECK:                 scf.for
// CHECK:                   scf.for
// CHECK:                     memref.load
// CHECK:                     arith.maximumf
// CHECK:                     memref.store
// CHECK:                   } {loop_annotation = #[[ANN]]}
// CHECK-NOT:     linalg.
func.func @maxpool_strided(%x: memref<?x4x28x28xf32>, %win: memref<3x3xf32>, %y: memref<?x4x13x13xf32>) {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %win : memref<?x4x28x28xf32>, memref<3x3xf32>) outs(%y : memref<?x4x13x13xf32>)
  return
}

// -----

// Rows of 4 are too short for vectors: plain loops in the op's order (what
// convert-linalg-to-loops makes), the loop over images marked for threads
// with the 4 x 4 x 4 x 4 x 3 x 3 points of one image.
// CHECK-LABEL: func.func @short_rows
// CHECK-NOT:     vector.
// CHECK:         scf.for
// CHECK:         } {nnc.parallel = 2304 : i64}
// CHECK-NOT:     linalg.conv_2d_nchw_fchw
func.func @short_rows(%x: memref<?x4x6x6xf32>, %w: memref<4x4x3x3xf32>, %y: memref<?x4x4x4xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<?x4x6x6xf32>, memref<4x4x3x3xf32>) outs(%y : memref<?x4x4x4xf32>)
  return
}

// -----

// The transposed rhs of a matmul (dy W^T) reads no row contiguously: no
// loop qualifies for rows of vectors. The op is lowered to loops in its own
// order (as convert-linalg-to-loops would), and its outer loop over rows,
// which indexes the output, is marked for threads with the 128 x 64 points
// of one row.
// CHECK-LABEL: func.func @matmul_transposed_rhs
// CHECK-NOT:     vector.
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               memref.load
// CHECK:               arith.mulf
// CHECK:         } {nnc.parallel = 8192 : i64}
// CHECK-NOT:     linalg.matmul
func.func @matmul_transposed_rhs(%a: memref<?x64xf32>, %b: memref<128x64xf32>, %c: memref<?x128xf32>) {
  linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
    ins(%a, %b : memref<?x64xf32>, memref<128x64xf32>) outs(%c : memref<?x128xf32>)
  return
}

// -----

// Elementwise ops on contiguous buffers run over their trailing static
// dimensions as one row: [N, 16, 14, 14] as [N, 3136], 196 whole vectors a
// row and no masks, not 14-wide rows that each end in a masked vector.
// CHECK-LABEL: func.func @flat_image
// CHECK-SAME:    (%[[X:.*]]: memref<?x16x14x14xf32>, %[[Y:.*]]: memref<?x16x14x14xf32>)
// CHECK-DAG:     %[[XF:.*]] = memref.collapse_shape %[[X]] {{\[\[}}0], [1, 2, 3]] : memref<?x16x14x14xf32> into memref<?x3136xf32>
// CHECK-DAG:     %[[YF:.*]] = memref.collapse_shape %[[Y]] {{\[\[}}0], [1, 2, 3]] : memref<?x16x14x14xf32> into memref<?x3136xf32>
// CHECK:         scf.for
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:             vector.load %[[XF]][{{.*}}] : memref<?x3136xf32>, vector<16xf32>
// CHECK:             arith.maximumf {{.*}} : vector<16xf32>
// CHECK:             vector.store %{{.*}}, %[[YF]][{{.*}}] : memref<?x3136xf32>, vector<16xf32>
func.func @flat_image(%x: memref<?x16x14x14xf32>, %y: memref<?x16x14x14xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<?x16x14x14xf32>) outs(%y : memref<?x16x14x14xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A static [784, 10] weight (an optimizer update): one row of 7840. An op
// that broadcasts (not every map the identity) keeps its shape.
// CHECK-LABEL: func.func @flat_weight
// CHECK:         memref.collapse_shape %{{.*}} {{\[\[}}0, 1]] : memref<784x10xf32> into memref<7840xf32>
// CHECK-LABEL: func.func @broadcast_kept
// CHECK-NOT:     memref.collapse_shape
// CHECK:         return
func.func @flat_weight(%p: memref<784x10xf32>, %g: memref<784x10xf32>) {
  %lr = arith.constant 0.01 : f32
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%g : memref<784x10xf32>) outs(%p : memref<784x10xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.mulf %a, %lr : f32
    %r = arith.subf %b, %s : f32
    linalg.yield %r : f32
  }
  return
}
func.func @broadcast_kept(%b: memref<10xf32>, %y: memref<784x10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<10xf32>) outs(%y : memref<784x10xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Max pooling over windows that tile the rows (stride = kernel): loops over
// (n, c, oh), then per window row one read of 2 x 16 columns split into
// the windows' two members by shuffles. The output was just filled with
// -inf: the maxima start from that constant and the fill goes.
// CHECK-LABEL: func.func @maxpool_tiling
// CHECK-SAME:    (%[[X:.*]]: memref<?x4x28x28xf32>, %{{.*}}: memref<2x2xf32>, %[[Y:.*]]: memref<?x4x14x14xf32>)
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for %[[N:.*]] =
// CHECK:           scf.for %[[C:.*]] =
// CHECK:             scf.for %[[OH:.*]] =
// CHECK:               %[[START:.*]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK:               %[[ROW:.*]] = vector.transfer_read %[[X]][%[[N]], %[[C]], %{{.*}}, %{{.*}}], %{{.*}} : memref<?x4x28x28xf32>, vector<32xf32>
// CHECK:               %[[E:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK:               %[[O:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
// CHECK:               %[[M0:.*]] = arith.maximumf %[[START]], %[[E]] : vector<16xf32>
// CHECK:               arith.maximumf %[[M0]], %[[O]] : vector<16xf32>
// CHECK:               vector.transfer_read %[[X]]
// CHECK:               arith.maximumf
// CHECK:               %[[M:.*]] = arith.maximumf
// CHECK:               vector.transfer_write %[[M]], %[[Y]][%[[N]], %[[C]], %[[OH]], %{{.*}}] : vector<16xf32>, memref<?x4x14x14xf32>
// CHECK:         } {nnc.parallel = 3136 : i64}
// CHECK-NOT:     linalg.pooling_nchw_max
func.func @maxpool_tiling(%x: memref<?x4x28x28xf32>, %win: memref<2x2xf32>, %y: memref<?x4x14x14xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  linalg.fill ins(%ninf : f32) outs(%y : memref<?x4x14x14xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %win : memref<?x4x28x28xf32>, memref<2x2xf32>) outs(%y : memref<?x4x14x14xf32>)
  return
}

// -----

// Without a fill just before, the maxima start from the output's values;
// 3-wide windows read 3 x 16 columns; 13 columns make one vector.
// CHECK-LABEL: func.func @maxpool_tiling_unfilled
// CHECK-SAME:    (%[[X:.*]]: memref<?x2x6x39xf32>, %{{.*}}: memref<2x3xf32>, %[[Y:.*]]: memref<?x2x3x13xf32>)
// CHECK:         %[[START:.*]] = vector.transfer_read %[[Y]]{{.*}} : memref<?x2x3x13xf32>, vector<16xf32>
// CHECK:         %[[ROW:.*]] = vector.transfer_read %[[X]]{{.*}} : memref<?x2x6x39xf32>, vector<48xf32>
// CHECK:         vector.shuffle %[[ROW]], %[[ROW]] [0, 3, 6,
// CHECK:         vector.shuffle %[[ROW]], %[[ROW]] [1, 4, 7,
// CHECK:         vector.shuffle %[[ROW]], %[[ROW]] [2, 5, 8,
// CHECK:         arith.maximumf %[[START]], %{{.*}} : vector<16xf32>
func.func @maxpool_tiling_unfilled(%x: memref<?x2x6x39xf32>, %win: memref<2x3xf32>, %y: memref<?x2x3x13xf32>) {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<[2, 3]> : tensor<2xi64>}
    ins(%x, %win : memref<?x2x6x39xf32>, memref<2x3xf32>) outs(%y : memref<?x2x3x13xf32>)
  return
}

// -----

// The arg-max (nnc.window_argmax, from the nn lowering): for every window
// row and member, a strictly greater value takes its position kh * KW + kw;
// maxima and positions start from the constants they were filled with.
// CHECK-LABEL: func.func @window_argmax
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK-DAG:           %[[BEST:.*]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK-DAG:           %[[AT:.*]] = arith.constant dense<0> : vector<16xi32>
// CHECK:               %[[ROW:.*]] = vector.transfer_read
// CHECK:               %[[E:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [0, 2,
// CHECK:               %[[O:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [1, 3,
// CHECK:               %[[G0:.*]] = arith.cmpf ogt, %[[E]], %[[BEST]] : vector<16xf32>
// CHECK:               %[[B0:.*]] = arith.select %[[G0]], %[[E]], %[[BEST]]
// CHECK:               %[[P0:.*]] = arith.select %[[G0]], %{{.*}}, %[[AT]] : vector<16xi1>, vector<16xi32>
// CHECK:               %[[G1:.*]] = arith.cmpf ogt, %[[O]], %[[B0]] : vector<16xf32>
// CHECK:               arith.select %[[G1]], %{{.*}}, %[[P0]] : vector<16xi1>, vector<16xi32>
// CHECK:               vector.transfer_write {{.*}} : vector<16xf32>, memref<?x3x4x4xf32>
// CHECK:               vector.transfer_write {{.*}} : vector<16xi32>, memref<?x3x4x4xi32>
// CHECK-NOT:     linalg.generic
func.func @window_argmax(%x: memref<?x3x8x8xf32>, %win: memref<2x2xf32>, %max: memref<?x3x4x4xf32>, %at: memref<?x3x4x4xi32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0 : i32
  linalg.fill ins(%ninf : f32) outs(%max : memref<?x3x4x4xf32>)
  linalg.fill ins(%zero : i32) outs(%at : memref<?x3x4x4xi32>)
  linalg.generic {indexing_maps = [affine_map<(n, c, i, j, kh, kw) -> (n, c, i * 2 + kh, j * 2 + kw)>,
                                   affine_map<(n, c, i, j, kh, kw) -> (kh, kw)>,
                                   affine_map<(n, c, i, j, kh, kw) -> (n, c, i, j)>,
                                   affine_map<(n, c, i, j, kh, kw) -> (n, c, i, j)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %win : memref<?x3x8x8xf32>, memref<2x2xf32>) outs(%max, %at : memref<?x3x4x4xf32>, memref<?x3x4x4xi32>)
      attrs = {nnc.window_argmax = array<i64: 2, 2>} {
  ^bb0(%v: f32, %w: f32, %best: f32, %pos: i32):
    %kh = linalg.index 4 : index
    %kw = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %p0 = arith.muli %kh, %c2 : index
    %p1 = arith.addi %p0, %kw : index
    %p = arith.index_cast %p1 : index to i32
    %gt = arith.cmpf ogt, %v, %best : f32
    %nb = arith.select %gt, %v, %best : f32
    %np = arith.select %gt, %p, %pos : i32
    linalg.yield %nb, %np : f32, i32
  }
  return
}

// -----

// The gradient's write (nnc.window_scatter) into the [N, C, OH, KH, OW, KW]
// view of dx: per window row, dy where the arg-max is (kh, 0) or (kh, 1),
// interleaved back into a row of 2 x 16 columns of the view's (OW, KW)
// folded together.
// CHECK-LABEL: func.func @window_scatter
// CHECK-SAME:    (%[[AT:.*]]: memref<?x3x4x4xi32>, %[[DY:.*]]: memref<?x3x4x4xf32>, %[[DX:.*]]: memref<?x3x4x2x4x2xf32>)
// CHECK:         %[[ROWS:.*]] = memref.collapse_shape %[[DX]] {{\[\[}}0], [1], [2], [3], [4, 5]] : memref<?x3x4x2x4x2xf32> into memref<?x3x4x2x8xf32>
// CHECK:         scf.for
// CHECK:               %[[A:.*]] = vector.transfer_read %[[AT]]{{.*}} : memref<?x3x4x4xi32>, vector<16xi32>
// CHECK:               %[[G:.*]] = vector.transfer_read %[[DY]]{{.*}} : memref<?x3x4x4xf32>, vector<16xf32>
// CHECK:               %[[H0:.*]] = arith.cmpi eq, %[[A]], %{{.*}} : vector<16xi32>
// CHECK:               %[[P0:.*]] = arith.select %[[H0]], %[[G]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:               %[[H1:.*]] = arith.cmpi eq, %[[A]], %{{.*}} : vector<16xi32>
// CHECK:               %[[P1:.*]] = arith.select %[[H1]], %[[G]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:               %[[BOTH:.*]] = vector.shuffle %[[P0]], %[[P1]]
// CHECK:               %[[COLS:.*]] = vector.shuffle %[[BOTH]], %[[BOTH]] [0, 16, 1, 17,
// CHECK:               vector.transfer_write %[[COLS]], %[[ROWS]]{{.*}} : vector<32xf32>, memref<?x3x4x2x8xf32>
// CHECK-NOT:     linalg.generic
func.func @window_scatter(%at: memref<?x3x4x4xi32>, %dy: memref<?x3x4x4xf32>, %dx: memref<?x3x4x2x4x2xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, i, kh, j, kw) -> (n, c, i, j)>,
                                   affine_map<(n, c, i, kh, j, kw) -> (n, c, i, j)>,
                                   affine_map<(n, c, i, kh, j, kw) -> (n, c, i, kh, j, kw)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%at, %dy : memref<?x3x4x4xi32>, memref<?x3x4x4xf32>) outs(%dx : memref<?x3x4x2x4x2xf32>)
      attrs = {nnc.window_scatter = array<i64: 2, 2>} {
  ^bb0(%a: i32, %g: f32, %o: f32):
    %kh = linalg.index 3 : index
    %kw = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %p0 = arith.muli %kh, %c2 : index
    %p1 = arith.addi %p0, %kw : index
    %p = arith.index_cast %p1 : index to i32
    %hit = arith.cmpi eq, %a, %p : i32
    %zero = arith.constant 0.0 : f32
    %r = arith.select %hit, %g, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A long row with no loop around it (an optimizer update over a whole
// weight matrix, its dimensions folded) is cut into chunks of 1024, the
// loop over them marked for threads; the last chunk ends at the row's end.
// CHECK-LABEL: func.func @long_row
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[END:.*]] = arith.constant 10000 : index
// CHECK-DAG:     %[[CHUNK:.*]] = arith.constant 1024 : index
// CHECK:         scf.for %[[I:.*]] = %[[C0]] to %[[END]] step %[[CHUNK]] {
// CHECK:           %[[NEXT:.*]] = arith.addi %[[I]], %[[CHUNK]] : index
// CHECK:           %[[STOP:.*]] = arith.minsi %[[NEXT]], %[[END]] : index
// CHECK:           scf.for %[[J:.*]] = %[[I]] to %[[STOP]] step %{{.*}} {
// CHECK:             %[[AT:.*]] = affine.apply #{{.*}}(%[[J]])
// CHECK:             vector.load %{{.*}}[%[[AT]]] : memref<10000xf32>, vector<16xf32>
// CHECK:         } {nnc.parallel = 1024 : i64}
// Without `threads`, no prefetch anywhere; with it, the chunked row (an
// optimizer update on threads) asks for its output 256 values ahead of
// each store, tagged for nnc-parallelize-tiles to keep in the parallel copy
// only.
// CHECK-NOT:     memref.prefetch
// THREADS-LABEL: func.func @long_row
// THREADS:         scf.for
// THREADS:           scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// THREADS:             vector.load
// THREADS:             %[[AT:.*]] = affine.apply #{{.*}}(%[[J]])
// THREADS:             %[[AHEAD:.*]] = arith.addi %[[AT]], %{{.*}} : index
// THREADS:             memref.prefetch %[[Y:.*]][%[[AHEAD]]], write, locality<3>, data {nnc.threads_only} : memref<10000xf32>
// THREADS:             vector.store %{{.*}}, %[[Y]][%[[AT]]]
func.func @long_row(%x: memref<10000xf32>, %y: memref<10000xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : memref<10000xf32>) outs(%y : memref<10000xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The sum of exp(x - m) over each row of 10 logits (softmax): no parallel
// loop walks the rows, so each row is read as one masked vector, the body
// runs on it, masked-off lanes add the neutral 0, and one reassociating
// vector.reduction adds the lanes to the output at the end of the row.
// CHECK-LABEL: func.func @row_sum_exp
// CHECK-SAME:    (%[[X:.*]]: memref<?x10xf32>, %[[M:.*]]: memref<?xf32>, %[[S:.*]]: memref<?xf32>)
// CHECK:         scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK:           %[[P:.*]] = scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (vector<16xf32>) {
// CHECK:             %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK:             %[[V:.*]] = vector.maskedload %[[X]][{{.*}}], %[[MASK]], %{{.*}} : memref<?x10xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:             %[[MV:.*]] = memref.load %[[M]][{{.*}}] : memref<?xf32>
// CHECK:             %[[MB:.*]] = vector.broadcast %[[MV]] : f32 to vector<16xf32>
// CHECK:             %[[D:.*]] = arith.subf %[[V]], %[[MB]] : vector<16xf32>
// CHECK:             %[[E:.*]] = math.exp %[[D]] : vector<16xf32>
// CHECK:             %[[SEL:.*]] = arith.select %[[MASK]], %[[E]], %[[ZERO]] : vector<16xi1>, vector<16xf32>
// CHECK:             %[[SUM:.*]] = arith.addf %[[ACC]], %[[SEL]] : vector<16xf32>
// CHECK:             scf.yield %[[SUM]] : vector<16xf32>
// CHECK:           %[[OLD:.*]] = memref.load %[[S]][{{.*}}] : memref<?xf32>
// CHECK:           %[[R:.*]] = vector.reduction <add>, %[[P]], %[[OLD]] fastmath<reassoc> : vector<16xf32> into f32
// CHECK:           memref.store %[[R]], %[[S]][{{.*}}] : memref<?xf32>
// CHECK:         } {nnc.parallel = 10 : i64}
func.func @row_sum_exp(%x: memref<?x10xf32>, %m: memref<?xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : memref<?x10xf32>, memref<?xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %max: f32, %out: f32):
    %d = arith.subf %in, %max : f32
    %e = math.exp %d : f32
    %a = arith.addf %out, %e : f32
    linalg.yield %a : f32
  }
  return
}

// -----

// A row maximum over 32 columns (two whole vectors, no mask) and an outer
// reduction (h of a [N, C, H, 32] image): the partial maxima are carried
// through both loops, starting from -inf, and reduced once per output.
// CHECK-LABEL: func.func @row_max_two_reductions
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             %[[NEG:.*]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK:             %[[H:.*]] = scf.for %{{.*}} iter_args(%[[HA:.*]] = %[[NEG]]) -> (vector<16xf32>) {
// CHECK:               %[[W:.*]] = scf.for %{{.*}} iter_args(%[[WA:.*]] = %[[HA]]) -> (vector<16xf32>) {
// CHECK-NOT:             vector.create_mask
// CHECK:                 %[[V:.*]] = vector.load
// CHECK:                 arith.maximumf %[[WA]], %[[V]] : vector<16xf32>
// CHECK:             vector.reduction <maximumf>, %[[H]], %{{.*}} fastmath<reassoc> : vector<16xf32> into f32
func.func @row_max_two_reductions(%x: memref<?x4x8x32xf32>, %y: memref<?x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : memref<?x4x8x32xf32>) outs(%y : memref<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %out, %in : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Not a row reduction: the output is read other than by its combining op
// (here it scales the term), so the order of the sum matters to the
// result; it stays scalar loops, in its own order.
// CHECK-LABEL: func.func @row_reduction_reads_output
// CHECK-NOT:     vector
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:             arith.addf %{{.*}}, %{{.*}} : f32
func.func @row_reduction_reads_output(%x: memref<?x10xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x10xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.mulf %in, %out : f32
    %a = arith.addf %out, %t : f32
    linalg.yield %a : f32
  }
  return
}

// -----

// The index of the row loop in the body (a one-hot target, as in the
// softmax cross-entropy gradient) is each lane's column: the first lane's
// broadcast plus vector.step; a per-row label is broadcast.
// CHECK-LABEL: func.func @one_hot
// CHECK-SAME:    (%[[Y:.*]]: memref<?xi32>, %[[T:.*]]: memref<?x10xf32>)
// CHECK:         scf.for %{{.*}} {
// CHECK:           scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:             %[[L:.*]] = memref.load %[[Y]][{{.*}}] : memref<?xi32>
// CHECK:             %[[LB:.*]] = vector.broadcast %[[L]] : i32 to vector<16xi32>
// CHECK:             %[[CB:.*]] = vector.broadcast %[[C]] : index to vector<16xindex>
// CHECK:             %[[STEP:.*]] = vector.step : vector<16xindex>
// CHECK:             %[[COL:.*]] = arith.addi %[[CB]], %[[STEP]] : vector<16xindex>
// CHECK:             %[[LI:.*]] = arith.index_cast %[[LB]] : vector<16xi32> to vector<16xindex>
// CHECK:             %[[HIT:.*]] = arith.cmpi eq, %[[COL]], %[[LI]] : vector<16xindex>
// CHECK:             %[[V:.*]] = arith.select %[[HIT]], {{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:             vector.maskedstore %[[T]][{{.*}}], %{{.*}}, %[[V]] : memref<?x10xf32>, vector<16xi1>, vector<16xf32>
func.func @one_hot(%y: memref<?xi32>, %t: memref<?x10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<?xi32>) outs(%t : memref<?x10xf32>) {
  ^bb0(%label: i32, %out: f32):
    %col = linalg.index 1 : index
    %l = arith.index_cast %label : i32 to index
    %hit = arith.cmpi eq, %col, %l : index
    %one = arith.constant 1.0 : f32
    %zero = arith.constant 0.0 : f32
    %v = arith.select %hit, %one, %zero : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// A static loop (16 channels) of an op that also runs over the batch (the
// partial sums of a convolution's bias gradient over examples and rows,
// 16 x 14 x 14 points per example): worth threads whatever its static
// size, since the batch multiplies it. With a batch of 1 in the type, the
// op is small and its loops stay on one thread.
// CHECK-LABEL: func.func @bias_grad_partial
// CHECK:         scf.for %{{.*}} = %{{.*}} to %c16 step %{{.*}} {
// CHECK:           scf.for
// CHECK:             vector.maskedload
// CHECK:             scf.for %{{.*}} = %{{.*}} to %[[N:.*]] step %{{.*}} iter_args
// CHECK:         } {nnc.parallel}
// CHECK-LABEL: func.func @bias_grad_partial_one
// CHECK-NOT:     nnc.parallel
// CHECK:         return
func.func @bias_grad_partial(%dz: memref<?x16x14x14xf32>, %p: memref<16x14xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d2, d0, d3, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%dz : memref<?x16x14x14xf32>) outs(%p : memref<16x14xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  }
  return
}
func.func @bias_grad_partial_one(%dz: memref<1x16x14x14xf32>, %p: memref<16x14xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d2, d0, d3, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%dz : memref<1x16x14x14xf32>) outs(%p : memref<16x14xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  }
  return
}

// -----

// A transpose that leaves the last dimension in place (nnc-tile-contractions
// packing a right-hand side into strips of 32 columns, packed[n / 32, k,
// n % 32]) copies rows: two vectors of 16 per row of a strip, no scalar
// code. A transpose of the last two dimensions (a weight w[n, k] read as
// w^T) goes by tiles of 16 x 16: 16 rows read, transposed in registers,
// 16 rows written, with no masks where 16 divides both dimensions.
// CHECK-LABEL: func.func @pack_strips
// CHECK-SAME:    (%[[W:.*]]: memref<512x16x32xf32>, %[[P:.*]]: memref<16x512x32xf32>)
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK:               %[[V:.*]] = vector.load %[[W]][{{.*}}] : memref<512x16x32xf32>, vector<16xf32>
// CHECK:               vector.store %[[V]], %[[P]][{{.*}}] : memref<16x512x32xf32>, vector<16xf32>
// CHECK-LABEL: func.func @transpose_last
// CHECK-SAME:    (%[[W:.*]]: memref<32x16xf32>, %[[P:.*]]: memref<16x32xf32>)
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c16
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %c16
// CHECK:             %[[T:.*]] = vector.transfer_read %[[W]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true, true]} : memref<32x16xf32>, vector<16x16xf32>
// CHECK:             %[[TT:.*]] = vector.transpose %[[T]], [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK:             vector.transfer_write %[[TT]], %[[P]][%[[J]], %[[I]]] {in_bounds = [true, true]} : vector<16x16xf32>, memref<16x32xf32>
// CHECK-NOT:     linalg.transpose
// THREADS-LABEL: func.func @transpose_last
// THREADS-NOT:     nnc.parallel
func.func @pack_strips(%w: memref<512x16x32xf32>, %p: memref<16x512x32xf32>) {
  linalg.transpose ins(%w : memref<512x16x32xf32>) outs(%p : memref<16x512x32xf32>) permutation = [1, 0, 2]
  return
}
func.func @transpose_last(%w: memref<32x16xf32>, %p: memref<16x32xf32>) {
  linalg.transpose ins(%w : memref<32x16xf32>) outs(%p : memref<16x32xf32>) permutation = [1, 0]
  return
}

// -----

// w[512, 512] packed in strips straight from w (nnc-tile-contractions:
// [n / 32, n % 32, k] -> [n / 32, k, n % 32]): the strips' loop outside the
// tiles, on threads (262144 elements). Dimensions that 16 does not divide
// are masked: the transfers may run past the ends.
// CHECK-LABEL: func.func @pack_strips_transposed
// CHECK-SAME:    (%[[W:.*]]: memref<16x32x512xf32>, %[[P:.*]]: memref<16x512x32xf32>)
// CHECK:         scf.for %[[S:.*]] = %{{.*}} to %{{.*}} step %c1
// CHECK:           scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c16
// CHECK:             scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %c16
// CHECK:               vector.transfer_read %[[W]][%[[S]], %[[I]], %[[J]]], %{{.*}} {in_bounds = [true, true]} : memref<16x32x512xf32>, vector<16x16xf32>
// CHECK:               vector.transpose
// CHECK:               vector.transfer_write %{{.*}}, %[[P]][%[[S]], %[[J]], %[[I]]] {in_bounds = [true, true]}
// CHECK-LABEL: func.func @transpose_ragged
// CHECK:         vector.transfer_read %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}} : memref<20x10xf32>, vector<16x16xf32>
// CHECK:         vector.transfer_write %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : vector<16x16xf32>, memref<10x20xf32>
// CHECK-LABEL: func.func @transpose_f64
// CHECK:         vector.transfer_read %{{.*}} {in_bounds = [true, true]} : memref<16x8xf64>, vector<8x8xf64>
// CHECK-LABEL: func.func @transpose_ints
// CHECK:         linalg.transpose
// THREADS-LABEL: func.func @pack_strips_transposed
// THREADS:         scf.for
// THREADS:         } {nnc.parallel}
func.func @pack_strips_transposed(%w: memref<16x32x512xf32>, %p: memref<16x512x32xf32>) {
  linalg.transpose ins(%w : memref<16x32x512xf32>) outs(%p : memref<16x512x32xf32>) permutation = [0, 2, 1]
  return
}
func.func @transpose_ragged(%w: memref<20x10xf32>, %p: memref<10x20xf32>) {
  linalg.transpose ins(%w : memref<20x10xf32>) outs(%p : memref<10x20xf32>) permutation = [1, 0]
  return
}
func.func @transpose_f64(%w: memref<16x8xf64>, %p: memref<8x16xf64>) {
  linalg.transpose ins(%w : memref<16x8xf64>) outs(%p : memref<8x16xf64>) permutation = [1, 0]
  return
}
func.func @transpose_ints(%w: memref<32x16xi32>, %p: memref<16x32xi32>) {
  linalg.transpose ins(%w : memref<32x16xi32>) outs(%p : memref<16x32xi32>) permutation = [1, 0]
  return
}

// -----

// A broadcast (the bias of a recurrent layer's input projection, for every
// step at once) is an elementwise op of its input: rows of vectors, the
// loop over the batch marked with the points of one example (28 x 64), so
// that on threads each writes the rows it later reads.
// CHECK-LABEL: func.func @bias_rows
// CHECK-SAME:    (%[[B:.*]]: memref<64xf32>, %[[OUT:.*]]: memref<?x28x64xf32>)
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for %{{.*}} step %c16 {
// CHECK:               %[[V:.*]] = vector.load %[[B]][{{.*}}] : memref<64xf32>, vector<16xf32>
// CHECK:               vector.store %[[V]], %[[OUT]][{{.*}}] : memref<?x28x64xf32>, vector<16xf32>
// CHECK:         } {nnc.parallel = 1792 : i64}
// CHECK-NOT:     linalg.broadcast
func.func @bias_rows(%bias: memref<64xf32>, %out: memref<?x28x64xf32>) {
  linalg.broadcast ins(%bias : memref<64xf32>) outs(%out : memref<?x28x64xf32>) dimensions = [0, 1]
  return
}
