#===- AddNNCModel.cmake - Compile .nn models at build time -----*- cmake -*-===//
#
# nnc_add_model(<target> <model.nn> [FLAGS <nnc flag>...])
#
# Runs nnc on <model.nn> at build time, the way protobuf_generate and
# tfcompile's build macros do, and wraps the object in a static library
# <target>. Linking <target> adds the object and puts the generated header
# `<stem>.h` on the include path:
#
#   nnc_add_model(mlp_model examples/mlp.nn)
#   target_link_libraries(app PRIVATE mlp_model nnc_runtime)
#   // app.cpp: #include "mlp.h"
#
# The object is rebuilt when the model file or the nnc binary changes.
#
#===----------------------------------------------------------------------===//

function(nnc_add_model target source)
  cmake_parse_arguments(ARG "" "" "FLAGS" ${ARGN})
  get_filename_component(abs ${source} ABSOLUTE)
  get_filename_component(stem ${source} NAME_WE)
  set(outdir ${CMAKE_CURRENT_BINARY_DIR}/${target}.nnc)
  set(obj ${outdir}/${stem}.o)
  set(hdr ${outdir}/${stem}.h)
  add_custom_command(
    OUTPUT ${obj} ${hdr}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${outdir}
    COMMAND $<TARGET_FILE:nnc> ${abs} -o ${obj} --header ${hdr} ${ARG_FLAGS}
    DEPENDS ${abs} nnc
    COMMENT "Compiling model ${source} with nnc"
    VERBATIM)
  set_source_files_properties(${obj} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${target} STATIC ${obj} ${hdr})
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${target} INTERFACE ${outdir})
  # Code compiled with --parallel calls LLVM's OpenMP runtime.
  if("--parallel" IN_LIST ARG_FLAGS)
    target_link_libraries(${target} INTERFACE ${NNC_OMP_LIBRARY})
  endif()
endfunction()
