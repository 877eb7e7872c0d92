// RUN: nnc-opt %s --nnc-lower-to-llvm --split-input-file | FileCheck %s
// RUN: nnc-opt %s --nnc-lower-to-llvm --split-input-file | FileCheck %s --check-prefix=ONLY-LLVM

// The whole pipeline, nn to the LLVM dialect: only llvm ops are left,
// memrefs are expanded into (allocated, aligned, offset, sizes..., strides...)
// arguments, results become out-parameters, and f32 transcendental functions
// are approximated, so an f32 model calls no libm function.

// Any op of another dialect, e.g. ` func.func`, `= linalg.generic`, `= math.exp`.
// ONLY-LLVM-NOT: {{[ =](func|linalg|memref|tensor|bufferization|arith|math|scf|cf|affine|index|vector|nn)\.[a-z_]+}}
// ONLY-LLVM-NOT: unrealized_conversion_cast

// dense |> relu |> tanh. Arguments: x (7: two pointers, offset, two sizes,
// two strides), w (7), b (5: one size, one stride) and the out-parameter for
// the result (7); nothing is returned.
// CHECK-LABEL: llvm.func @mlp(
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %[[XN:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[W:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[B:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[OUT:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %[[ON:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK-SAME:    attributes {nn.model} {
// No buffer of its own: the product is tiled into register tiles of 8 rows
// (nnc-tile-contractions) with the bias, relu and tanh fused into each tile.
// CHECK-NOT:     llvm.call @malloc
// The tile loop runs over the batch of x; the bias row is read as a vector,
// as the accumulator...
// CHECK:         llvm.icmp "slt" %{{.*}}, %{{.*}} : i64
// CHECK:         llvm.load %[[B]] {{.*}} -> vector<3xf32>
// ...which one FMA per row and step of k updates...
// CHECK:         llvm.getelementptr %[[X]][
// CHECK:         llvm.load %{{.*}} -> vector<1xf32>
// CHECK:         llvm.getelementptr %[[W]][
// CHECK:         llvm.load %{{.*}} -> vector<3xf32>
// CHECK:         llvm.intr.fmuladd(%{{.*}}) : (vector<3xf32>, vector<3xf32>, vector<3xf32>) -> vector<3xf32>
// ...then relu and the approximated tanh apply to the tile in registers,
// which is stored once, into the out-parameter.
// CHECK:         llvm.intr.maximum(%{{.*}}) : (vector<3xf32>, vector<3xf32>) -> vector<3xf32>
// CHECK:         llvm.intr.fma
// CHECK:         llvm.fdiv %{{.*}} : vector<3xf32>
// CHECK:         llvm.getelementptr %[[OUT]][
// CHECK:         llvm.store %{{.*}}, %{{.*}} {alignment = 4 : i64} : vector<3xf32>, !llvm.ptr
// CHECK-NOT:     llvm.intr.tanh
// CHECK-NOT:     llvm.call
// CHECK:         llvm.return{{$}}
func.func @mlp(%x: tensor<?x4xf32> {nn.input = "x"},
               %w: tensor<4x3xf32> {nn.param = "w", nn.init = "xavier_uniform"},
               %b: tensor<3xf32> {nn.param = "b", nn.init = "zeros"})
    -> tensor<?x3xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.relu %0 : tensor<?x3xf32> -> tensor<?x3xf32>
  %2 = nn.tanh %1 : tensor<?x3xf32> -> tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}

// -----

// f32 sigmoid and softmax: exp is approximated (no llvm.intr.exp, no libm
// call), on row vectors where the loop is elementwise; the row buffers of
// softmax are malloc'ed and freed.
// CHECK-LABEL: llvm.func @free(!llvm.ptr)
// CHECK-LABEL: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-LABEL: llvm.func @classifier(
// CHECK-NOT:     -> !llvm
// CHECK-SAME:    {
// CHECK-NOT:     llvm.intr.exp
// CHECK:         %[[ROW:.*]] = llvm.call @malloc(
// CHECK-NOT:     llvm.intr.exp
// CHECK:         llvm.intr.maxnum
// CHECK-NOT:     llvm.intr.exp
// CHECK:         llvm.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK-NOT:     llvm.intr.exp
// CHECK:         llvm.call @free(%[[ROW]])
// CHECK:         llvm.return{{$}}
func.func @classifier(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = nn.sigmoid %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.softmax %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// Two results: two out-parameters, each written by its own loop (of row
// vectors, see nnc-vectorize-rows).
// CHECK-LABEL: llvm.func @two_results(
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[R:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[T:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK-SAME:    {
// CHECK:         llvm.getelementptr {{.*}}%[[X]][
// CHECK:         llvm.intr.maximum
// CHECK:         llvm.getelementptr {{.*}}%[[R]][
// CHECK:         llvm.getelementptr {{.*}}%[[R]][
// CHECK:         llvm.intr.fma
// CHECK:         llvm.getelementptr {{.*}}%[[T]][
// CHECK:         llvm.return{{$}}
func.func @two_results(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = nn.relu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = nn.tanh %0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Shape ops are views: flatten and reshape cost no copy and no allocation.
// CHECK-LABEL: llvm.func @shapes(
// CHECK-NOT:     llvm.call
// CHECK:         llvm.intr.maximum
// CHECK-NOT:     llvm.call
// CHECK:         llvm.return{{$}}
func.func @shapes(%x: tensor<?x2x3xf32>) -> tensor<?x3x2xf32> {
  %0 = nn.flatten %x : tensor<?x2x3xf32> -> tensor<?x6xf32>
  %1 = nn.relu %0 : tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = nn.reshape %1 {shape = array<i64: 3, 2>} : tensor<?x6xf32> -> tensor<?x3x2xf32>
  return %2 : tensor<?x3x2xf32>
}

// -----

// Static batch, f64: the same out-parameter convention. The f32-only
// approximations leave f64 tanh / exp to LLVM intrinsics (libm calls). The
// elementwise ops run over the 20 values as one flat row: rows of 5 would
// be too short for vectors of 8.
// CHECK-LABEL: llvm.func @static_f64(
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[OUT:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK-SAME:    {
// CHECK:         %[[T:.*]] = llvm.intr.tanh(%{{.*}}) : (vector<8xf64>) -> vector<8xf64>
// CHECK:         %[[N:.*]] = llvm.fneg %[[T]] : vector<8xf64>
// CHECK:         llvm.intr.exp(%[[N]]) : (vector<8xf64>) -> vector<8xf64>
// CHECK:         %[[AT:.*]] = llvm.getelementptr %[[OUT]][
// CHECK:         llvm.intr.masked.store %{{.*}}, %[[AT]], %{{.*}} : vector<8xf64>, vector<8xi1> into !llvm.ptr
// CHECK:         llvm.return{{$}}
func.func @static_f64(%x: tensor<4x5xf64>) -> tensor<4x5xf64> {
  %0 = nn.tanh %x : tensor<4x5xf64> -> tensor<4x5xf64>
  %1 = nn.sigmoid %0 : tensor<4x5xf64> -> tensor<4x5xf64>
  return %1 : tensor<4x5xf64>
}
