// RUN: nnc-opt %s --nnc-tag-parallel-accesses | FileCheck %s

// The loads and stores of a loop whose back edge lists parallel accesses
// join that access group; those outside the loop, and loops without the
// annotation, are left alone.

#group = #llvm.access_group<id = distinct[0]<>>
#vec = #llvm.loop_vectorize<disable = false>
#ann = #llvm.loop_annotation<vectorize = #vec, parallelAccesses = #group>
#plain = #llvm.loop_annotation<vectorize = #vec>

// CHECK: #[[GROUP:.*]] = #llvm.access_group<id = distinct[0]<>>
// CHECK-LABEL: llvm.func @annotated
// CHECK:         llvm.load %{{.*}} : !llvm.ptr -> f32{{$}}
// CHECK:       ^bb1(
// CHECK:       ^bb2:
// CHECK:         llvm.load %{{.*}} {access_groups = [#[[GROUP]]]} : !llvm.ptr -> f32
// CHECK:         llvm.store %{{.*}}, %{{.*}} {access_groups = [#[[GROUP]]]} : f32, !llvm.ptr
// CHECK:         llvm.br ^bb1(%{{.*}} : i64) {loop_annotation = #{{.*}}}
// CHECK:       ^bb3:
// CHECK:         llvm.store %{{.*}}, %{{.*}} : f32, !llvm.ptr{{$}}
llvm.func @annotated(%p: !llvm.ptr, %n: i64) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %first = llvm.load %p : !llvm.ptr -> f32
  llvm.br ^bb1(%c0 : i64)
^bb1(%i: i64):
  %done = llvm.icmp "slt" %i, %n : i64
  llvm.cond_br %done, ^bb2, ^bb3
^bb2:
  %a = llvm.getelementptr %p[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  %v = llvm.load %a : !llvm.ptr -> f32
  %w = llvm.fadd %v, %first : f32
  llvm.store %w, %a : f32, !llvm.ptr
  %next = llvm.add %i, %c1 : i64
  llvm.br ^bb1(%next : i64) {loop_annotation = #ann}
^bb3:
  llvm.store %first, %p : f32, !llvm.ptr
  llvm.return
}

// CHECK-LABEL: llvm.func @not_parallel
// CHECK-NOT:     access_groups
// CHECK:         llvm.return
llvm.func @not_parallel(%p: !llvm.ptr, %n: i64) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  llvm.br ^bb1(%c0 : i64)
^bb1(%i: i64):
  %done = llvm.icmp "slt" %i, %n : i64
  llvm.cond_br %done, ^bb2, ^bb3
^bb2:
  %a = llvm.getelementptr %p[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  %v = llvm.load %a : !llvm.ptr -> f32
  llvm.store %v, %p : f32, !llvm.ptr
  %next = llvm.add %i, %c1 : i64
  llvm.br ^bb1(%next : i64) {loop_annotation = #plain}
^bb3:
  llvm.return
}
