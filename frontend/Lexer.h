//===- Lexer.h - Tokenizer of the nnc language ------------------*- C++ -*-===//
//
// Splits a `.nn` buffer into tokens on demand, tracking 1-based line and
// column of each token. Malformed input (stray bytes, bad number literals) is
// reported through MLIR diagnostics and surfaces as an `Error` token so that
// the parser can resynchronise without reporting the same problem twice.
//
// Also home of DiagnosticReporter, the error counter shared by the lexer, the
// parser and Sema, which caps the number of errors shown for one file.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_LEXER_H
#define NNC_FRONTEND_LEXER_H

#include "frontend/AST.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace nnc {

/// Emits frontend errors at `file:line:col` locations and stops a stage once
/// too many have been shown: past that point, errors are usually cascades of
/// the first ones and a binary file would otherwise print thousands.
class DiagnosticReporter {
public:
  static constexpr unsigned kMaxErrors = 20;

  DiagnosticReporter(mlir::MLIRContext &ctx, llvm::StringRef filename)
      : ctx(ctx), filename(filename.str()) {}

  mlir::Location getLoc(SourceLoc loc) const;

  /// Starts an error at `loc`. Once kMaxErrors errors have been reported,
  /// reports "too many errors; stopping" instead and returns a diagnostic
  /// that is never shown; callers should check shouldStop() and unwind.
  mlir::InFlightDiagnostic error(SourceLoc loc);

  /// Starts a warning at `loc`. Warnings do not count towards the limit and
  /// do not make the stage fail; once the stage has stopped they are muted.
  mlir::InFlightDiagnostic warning(SourceLoc loc);

  unsigned getNumErrors() const { return numErrors; }
  bool hadError() const { return numErrors != 0; }
  bool shouldStop() const { return stopped; }

private:
  mlir::MLIRContext &ctx;
  std::string filename;
  unsigned numErrors = 0;
  bool stopped = false;
};

enum class TokenKind {
  Eof,
  /// Malformed input that the lexer has already reported.
  Error,
  Identifier,
  Integer,
  Float,
  KwModel,
  KwReturn,
  KwTrain,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Equal,
  Arrow,
  Pipe,
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  /// Points into the buffer; numbers keep their leading '-'.
  llvm::StringRef spelling;
  SourceLoc loc;

  bool is(TokenKind k) const { return kind == k; }
};

/// Describes a token for "expected X, got Y" messages: `'foo'` or
/// `end of file`.
std::string describeToken(const Token &tok);

class Lexer {
public:
  /// `buffer` must outlive the lexer and every token it returns.
  Lexer(llvm::StringRef buffer, DiagnosticReporter &diags)
      : buffer(buffer), diags(diags) {}

  /// Returns the next token; returns Eof forever at the end of the buffer.
  Token lex();

private:
  char peekChar(size_t ahead = 0) const {
    return pos + ahead < buffer.size() ? buffer[pos + ahead] : '\0';
  }
  bool atEnd(size_t ahead = 0) const { return pos + ahead >= buffer.size(); }
  void advance(size_t n = 1);
  void skipWhitespaceAndComments();
  Token makeToken(TokenKind kind, size_t start, SourceLoc loc) const;
  Token lexNumber(size_t start, SourceLoc loc);
  Token lexJunk(size_t start, SourceLoc loc);

  llvm::StringRef buffer;
  DiagnosticReporter &diags;
  size_t pos = 0;
  unsigned line = 1;
  unsigned col = 1;
};

} // namespace nnc

#endif // NNC_FRONTEND_LEXER_H
