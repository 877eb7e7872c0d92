# -*- Python -*-
# lit configuration for nnc: regression tests under test/{frontend,dialect,
# passes,e2e}. Tools come from the build (nnc, nnc-opt) and from LLVM 22
# (FileCheck, not, count, mlir-runner).

import os
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "nnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".nn", ".test"]
config.excludes = ["Inputs", "unit", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nnc_obj_root, "test")

config.substitutions.append(("%nnc_src_root", config.nnc_src_root))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%cc", "gcc"))
config.substitutions.append(("%cxx", "g++"))

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.nnc_tools_dir, append_path=True)
tools = ["nnc", "nnc-opt", "FileCheck", "not", "count", "mlir-runner"]
llvm_config.add_tool_substitutions(tools, [config.nnc_tools_dir, config.llvm_tools_dir])

# mlir-runner's libraries for lowered modules that print (printI64) and fork
# OpenMP threads.
llvm_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
config.substitutions.append(
    ("%mlir_runner_libs",
     "-shared-libs=" + ",".join(os.path.join(llvm_lib_dir, lib) for lib in
                               ["libmlir_c_runner_utils.so", "libomp.so"])))

# Linking an object compiled with --parallel into a test program: LLVM's
# OpenMP runtime, found at run time too.
config.substitutions.append(
    ("%libomp", os.path.join(llvm_lib_dir, "libomp.so") + " -Wl,-rpath," +
     llvm_lib_dir))
