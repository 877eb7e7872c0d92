// RUN: nnc-opt %s --nnc-lower-to-llvm="parallel=true" | FileCheck %s
// RUN: nnc-opt %s --nnc-lower-to-llvm | FileCheck %s --check-prefix=SERIAL

// The registered pipeline's `parallel` option is `nnc --parallel`: the loop
// over the product's row tiles becomes an OpenMP worksharing loop, run when
// nnc_threads() (defined in the module) asks for more than one thread.
// CHECK-LABEL: llvm.func @dense(
// CHECK:         llvm.call @nnc_threads() : () -> i32
// CHECK:         omp.parallel
// CHECK:           omp.wsloop
// CHECK:       llvm.func linkonce_odr @nnc_threads() -> i32

// Without it, no OpenMP and no thread count.
// SERIAL-LABEL: llvm.func @dense(
// SERIAL-NOT:     omp.
// SERIAL-NOT:     nnc_threads
func.func @dense(%x: tensor<?x64xf32> {nn.input = "x"},
                 %w: tensor<64x64xf32> {nn.param = "w", nn.init = "xavier_uniform"},
                 %b: tensor<64xf32> {nn.param = "b", nn.init = "zeros"})
    -> tensor<?x64xf32> attributes {nn.model} {
  %0 = nn.dense %x, %w, %b : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}
