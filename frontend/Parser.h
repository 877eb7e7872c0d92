//===- Parser.h - Recursive-descent parser of the nnc language --*- C++ -*-===//
//
// Entry point of the frontend: turns the text of a `.nn` file into a
// ModuleAST. The grammar is documented in docs/language.md. The parser
// recovers from errors (inside a statement or a train setting it skips to
// the next line, in a header to the next `model` or `train`) so one run
// reports several problems.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_PARSER_H
#define NNC_FRONTEND_PARSER_H

#include "frontend/AST.h"

#include "llvm/ADT/StringRef.h"

#include <memory>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace nnc {

/// Expressions nested deeper than this are rejected, so that the recursive
/// stages after the parser (Sema, MLIRGen, dumpAST) have a bounded stack.
/// Parentheses, calls, lists and each stage of a `|>` chain count as a level.
constexpr unsigned kMaxExprDepth = 256;

/// Parses `buffer` (the contents of `filename`). Errors are emitted as MLIR
/// diagnostics on `ctx` at mlir::FileLineColLoc::get(&ctx, filename, line,
/// col). Returns null if any error was reported (after trying to report
/// several).
std::unique_ptr<ModuleAST> parseModule(llvm::StringRef buffer,
                                       llvm::StringRef filename,
                                       mlir::MLIRContext &ctx);

} // namespace nnc

#endif // NNC_FRONTEND_PARSER_H
