//===- FrontendTestUtils.h - Frontend unit test helpers ---------*- C++ -*-===//
//
// A fixture that owns an MLIRContext and records every diagnostic emitted on
// it as "line:col: message" (notes as "line:col: note: message", warnings as
// "line:col: warning: message"), so tests can compare the exact messages and
// locations the frontend reports.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TEST_UNIT_FRONTEND_FRONTENDTESTUTILS_H
#define NNC_TEST_UNIT_FRONTEND_FRONTENDTESTUTILS_H

#include "frontend/AST.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace nnc::test {

class FrontendTest : public ::testing::Test {
protected:
  FrontendTest()
      : ctx(mlir::MLIRContext::Threading::DISABLED),
        handler(&ctx, [this](mlir::Diagnostic &diag) {
          record(diag, diag.getSeverity() == mlir::DiagnosticSeverity::Warning
                           ? "warning: "
                           : "");
          for (mlir::Diagnostic &note : diag.getNotes())
            record(note, "note: ");
          return mlir::success();
        }) {}

  /// Parses `source`; the result is null on a syntax error.
  std::unique_ptr<ModuleAST> parse(llvm::StringRef source) {
    return parseModule(source, "test.nn", ctx);
  }

  /// Parses and checks `source`; the result is null on any error.
  std::unique_ptr<ModuleAST> check(llvm::StringRef source) {
    std::unique_ptr<ModuleAST> module = parse(source);
    if (!module || mlir::failed(checkModule(*module, ctx)))
      return nullptr;
    return module;
  }

  std::string dump(const ModuleAST &module) {
    std::string s;
    llvm::raw_string_ostream os(s);
    dumpAST(module, os);
    return s;
  }

  mlir::MLIRContext ctx;
  std::vector<std::string> diags;

private:
  void record(mlir::Diagnostic &diag, llvm::StringRef prefix) {
    auto loc = llvm::dyn_cast<mlir::FileLineColLoc>(diag.getLocation());
    ASSERT_TRUE(loc) << "diagnostic without a file location: " << diag.str();
    EXPECT_EQ(loc.getFilename().str(), "test.nn");
    diags.push_back(llvm::formatv("{0}:{1}: {2}{3}", loc.getLine(),
                                  loc.getColumn(), prefix, diag.str())
                        .str());
  }

  mlir::ScopedDiagnosticHandler handler;
};

} // namespace nnc::test

#endif // NNC_TEST_UNIT_FRONTEND_FRONTENDTESTUTILS_H
