// RUN: nnc-opt %s --nnc-limit-unrolling | FileCheck %s

// The back edge of a loop that holds another loop gets `unroll = <disable =
// true>`, keeping what its annotation already said; the innermost loop's
// back edge, and a loop on its own, are left for LLVM to unroll.

// CHECK-DAG: #[[VEC:.*]] = #llvm.loop_vectorize<disable = false>
// CHECK-DAG: #[[UNROLL:.*]] = #llvm.loop_unroll<disable = true>
// CHECK-DAG: #[[GROUP:.*]] = #llvm.access_group<id = distinct[0]<>>
// CHECK-DAG: #[[OUTER:.*]] = #llvm.loop_annotation<vectorize = #[[VEC]], unroll = #[[UNROLL]], parallelAccesses = #[[GROUP]]>
// CHECK-DAG: #[[PLAIN:.*]] = #llvm.loop_annotation<unroll = #[[UNROLL]]>
// CHECK-DAG: #[[INNER:.*]] = #llvm.loop_annotation<vectorize = #[[VEC]]>

#group = #llvm.access_group<id = distinct[0]<>>
#vec = #llvm.loop_vectorize<disable = false>
#ann = #llvm.loop_annotation<vectorize = #vec, parallelAccesses = #group>
#inner = #llvm.loop_annotation<vectorize = #vec>

// CHECK-LABEL: llvm.func @nest
// CHECK:         llvm.br ^bb3(%{{.*}} : i64) {loop_annotation = #[[INNER]]}
// CHECK:         llvm.br ^bb1(%{{.*}} : i64) {loop_annotation = #[[OUTER]]}
llvm.func @nest(%p: !llvm.ptr, %n: i64) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  llvm.br ^bb1(%c0 : i64)
^bb1(%i: i64):
  %more = llvm.icmp "slt" %i, %n : i64
  llvm.cond_br %more, ^bb2, ^bb5
^bb2:
  llvm.br ^bb3(%c0 : i64)
^bb3(%j: i64):
  %inner = llvm.icmp "slt" %j, %n : i64
  llvm.cond_br %inner, ^bb4, ^bb6
^bb4:
  %a = llvm.getelementptr %p[%j] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  %v = llvm.load %a : !llvm.ptr -> f32
  %w = llvm.fadd %v, %v : f32
  llvm.store %w, %a : f32, !llvm.ptr
  %nj = llvm.add %j, %c1 : i64
  llvm.br ^bb3(%nj : i64) {loop_annotation = #inner}
^bb6:
  %ni = llvm.add %i, %c1 : i64
  llvm.br ^bb1(%ni : i64) {loop_annotation = #ann}
^bb5:
  llvm.return
}

// An outer loop without an annotation gets one; a lone loop, none.
// CHECK-LABEL: llvm.func @plain_nest
// CHECK:         llvm.br ^bb3(%{{.*}} : i64){{$}}
// CHECK:         llvm.br ^bb1(%{{.*}} : i64) {loop_annotation = #[[PLAIN]]}
// CHECK-LABEL: llvm.func @lone
// CHECK:         llvm.br ^bb1(%{{.*}} : i64){{$}}
llvm.func @plain_nest(%p: !llvm.ptr, %n: i64) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  llvm.br ^bb1(%c0 : i64)
^bb1(%i: i64):
  %more = llvm.icmp "slt" %i, %n : i64
  llvm.cond_br %more, ^bb2, ^bb5
^bb2:
  llvm.br ^bb3(%c0 : i64)
^bb3(%j: i64):
  %inner = llvm.icmp "slt" %j, %n : i64
  llvm.cond_br %inner, ^bb4, ^bb6
^bb4:
  %a = llvm.getelementptr %p[%j] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  llvm.store %c0, %a : i64, !llvm.ptr
  %nj = llvm.add %j, %c1 : i64
  llvm.br ^bb3(%nj : i64)
^bb6:
  %ni = llvm.add %i, %c1 : i64
  llvm.br ^bb1(%ni : i64)
^bb5:
  llvm.return
}

llvm.func @lone(%p: !llvm.ptr, %n: i64) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  llvm.br ^bb1(%c0 : i64)
^bb1(%i: i64):
  %more = llvm.icmp "slt" %i, %n : i64
  llvm.cond_br %more, ^bb2, ^bb3
^bb2:
  %a = llvm.getelementptr %p[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  llvm.store %c0, %a : i64, !llvm.ptr
  %ni = llvm.add %i, %c1 : i64
  llvm.br ^bb1(%ni : i64)
^bb3:
  llvm.return
}
