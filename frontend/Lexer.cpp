//===- Lexer.cpp - Tokenizer of the nnc language ----------------*- C++ -*-===//
//
// Hand-written scanner for `.nn` files: identifiers and keywords, integer and
// float literals (with an optional leading '-'), punctuation including the
// two-byte `->` and `|>`, and `#` comments. A run of bytes that cannot start
// a token is reported once, at its first byte, so that binary input yields a
// handful of errors instead of one per byte.
//
//===----------------------------------------------------------------------===//

#include "frontend/Lexer.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"

using namespace nnc;

//===----------------------------------------------------------------------===//
// DiagnosticReporter
//===----------------------------------------------------------------------===//

mlir::Location DiagnosticReporter::getLoc(SourceLoc loc) const {
  return mlir::FileLineColLoc::get(&ctx, filename, loc.line, loc.col);
}

mlir::InFlightDiagnostic DiagnosticReporter::error(SourceLoc loc) {
  if (!stopped && numErrors < kMaxErrors) {
    ++numErrors;
    return mlir::emitError(getLoc(loc));
  }
  if (!stopped) {
    stopped = true;
    mlir::emitError(getLoc(loc)) << "too many errors; stopping";
  }
  // Callers stream a message into whatever we return, so hand them a live
  // diagnostic that will never reach the handlers.
  mlir::InFlightDiagnostic muted = mlir::emitError(getLoc(loc));
  muted.abandon();
  return muted;
}

mlir::InFlightDiagnostic DiagnosticReporter::warning(SourceLoc loc) {
  mlir::InFlightDiagnostic diag = mlir::emitWarning(getLoc(loc));
  if (stopped)
    diag.abandon();
  return diag;
}

//===----------------------------------------------------------------------===//
// Lexer
//===----------------------------------------------------------------------===//

std::string nnc::describeToken(const Token &tok) {
  if (tok.is(TokenKind::Eof))
    return "end of file";
  return ("'" + tok.spelling + "'").str();
}

static bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }
static bool isWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// Printable ASCII as itself, everything else as `\xNN`, so that the message
/// stays readable whatever the file contains.
static std::string describeByte(char c) {
  auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x21 && byte <= 0x7e)
    return std::string(1, c);
  std::string s = "\\x";
  s += llvm::hexdigit(byte >> 4);
  s += llvm::hexdigit(byte & 0xf);
  return s;
}

void Lexer::advance(size_t n) {
  for (size_t i = 0; i < n && pos < buffer.size(); ++i, ++pos) {
    if (buffer[pos] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
}

void Lexer::skipWhitespaceAndComments() {
  while (!atEnd()) {
    char c = peekChar();
    if (isWhitespace(c)) {
      advance();
    } else if (c == '#') {
      while (!atEnd() && peekChar() != '\n')
        advance();
    } else {
      return;
    }
  }
}

Token Lexer::makeToken(TokenKind kind, size_t start, SourceLoc loc) const {
  return Token{kind, buffer.slice(start, pos), loc};
}

Token Lexer::lexNumber(size_t start, SourceLoc loc) {
  if (peekChar() == '-')
    advance();
  bool valid = true;
  bool isFloat = false;
  auto lexDigits = [&] {
    size_t before = pos;
    while (llvm::isDigit(peekChar()))
      advance();
    return pos != before;
  };
  lexDigits();
  if (peekChar() == '.') {
    advance();
    isFloat = true;
    valid &= lexDigits();
  }
  if (peekChar() == 'e' || peekChar() == 'E') {
    advance();
    isFloat = true;
    if (peekChar() == '+' || peekChar() == '-')
      advance();
    valid &= lexDigits();
  }
  // `12abc` or `1.2.3` is one mistake, not a number followed by a name.
  while (!atEnd() && (isIdentChar(peekChar()) || peekChar() == '.')) {
    advance();
    valid = false;
  }
  Token tok =
      makeToken(isFloat ? TokenKind::Float : TokenKind::Integer, start, loc);
  if (!valid) {
    diags.error(loc) << "invalid number literal '" << tok.spelling << "'";
    tok.kind = TokenKind::Error;
  }
  return tok;
}

Token Lexer::lexJunk(size_t start, SourceLoc loc) {
  diags.error(loc) << "unexpected character '" << describeByte(peekChar())
                   << "'";
  // Swallow the whole run: for UTF-8 or binary data one error is enough.
  auto startsToken = [&](char c) {
    return isIdentStart(c) || llvm::isDigit(c) || isWhitespace(c) ||
           llvm::StringRef("()[]{},:=#-").contains(c) ||
           (c == '|' && peekChar(1) == '>');
  };
  advance();
  while (!atEnd() && !startsToken(peekChar()))
    advance();
  return makeToken(TokenKind::Error, start, loc);
}

Token Lexer::lex() {
  skipWhitespaceAndComments();
  size_t start = pos;
  SourceLoc loc{line, col};
  if (atEnd())
    return makeToken(TokenKind::Eof, start, loc);

  char c = peekChar();
  if (isIdentStart(c)) {
    while (!atEnd() && isIdentChar(peekChar()))
      advance();
    Token tok = makeToken(TokenKind::Identifier, start, loc);
    if (tok.spelling == "model")
      tok.kind = TokenKind::KwModel;
    else if (tok.spelling == "return")
      tok.kind = TokenKind::KwReturn;
    else if (tok.spelling == "train")
      tok.kind = TokenKind::KwTrain;
    return tok;
  }
  if (llvm::isDigit(c) || (c == '-' && llvm::isDigit(peekChar(1))))
    return lexNumber(start, loc);

  auto single = [&](TokenKind kind) {
    advance();
    return makeToken(kind, start, loc);
  };
  switch (c) {
  case '(':
    return single(TokenKind::LParen);
  case ')':
    return single(TokenKind::RParen);
  case '[':
    return single(TokenKind::LBracket);
  case ']':
    return single(TokenKind::RBracket);
  case '{':
    return single(TokenKind::LBrace);
  case '}':
    return single(TokenKind::RBrace);
  case ',':
    return single(TokenKind::Comma);
  case ':':
    return single(TokenKind::Colon);
  case '=':
    return single(TokenKind::Equal);
  case '-':
    if (peekChar(1) == '>') {
      advance(2);
      return makeToken(TokenKind::Arrow, start, loc);
    }
    // A '-' is only meaningful as the sign of a number literal; there is no
    // subtraction operator.
    advance();
    diags.error(loc) << "expected a number after '-'";
    return makeToken(TokenKind::Error, start, loc);
  case '|':
    if (peekChar(1) == '>') {
      advance(2);
      return makeToken(TokenKind::Pipe, start, loc);
    }
    break;
  default:
    break;
  }
  return lexJunk(start, loc);
}
