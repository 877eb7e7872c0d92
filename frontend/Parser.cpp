//===- Parser.cpp - Recursive-descent parser for nnc ------------*- C++ -*-===//
//
// One function per grammar rule (see docs/language.md), one token of
// lookahead beyond the current one. Pipes are desugared here: `a |> f(b)`
// becomes the call `f(a, b)` with `piped` set. The parser also bounds the
// nesting depth of expressions so that every later recursive walk over the
// AST has a bounded stack.
//
// Train blocks are parsed as a list of `name = expr` settings; what the
// names and values mean is left to Sema, as for call arguments.
//
// Recovery: an error inside a statement or a setting skips to the first
// token that starts a later line and can start a statement (or to `}`); an
// error in a model or train block header skips to the next `model` or
// `train`. Errors the lexer reported arrive as Error tokens and are not
// reported a second time.
//
//===----------------------------------------------------------------------===//

#include "frontend/Parser.h"
#include "frontend/Lexer.h"

#include "llvm/ADT/Twine.h"

#include <cstdlib>
#include <optional>

using namespace nnc;

namespace {

/// An expression and the height of its tree, counted the way the depth limit
/// counts: parentheses count as a level although they leave no node.
struct ParsedExpr {
  ExprPtr expr;
  unsigned height = 0;
};

class Parser {
public:
  Parser(llvm::StringRef buffer, DiagnosticReporter &diags)
      : lexer(buffer, diags), diags(diags) {
    tok = lexer.lex();
  }

  std::unique_ptr<ModuleAST> parseFile(llvm::StringRef filename);

private:
  //===--- Tokens ---------------------------------------------------------===//

  const Token &peek() {
    if (!lookahead)
      lookahead = lexer.lex();
    return *lookahead;
  }

  void consume() {
    prevLine = tok.loc.line;
    ++numConsumed;
    if (lookahead) {
      tok = *lookahead;
      lookahead.reset();
    } else {
      tok = lexer.lex();
    }
  }

  /// Reports "expected <what>, got <tok>" unless the current token is one the
  /// lexer has already complained about.
  void expected(const llvm::Twine &what) {
    if (tok.is(TokenKind::Error))
      return;
    diags.error(tok.loc) << "expected " << what << ", got "
                         << describeToken(tok);
  }

  bool expect(TokenKind kind, const llvm::Twine &what) {
    if (tok.is(kind)) {
      consume();
      return true;
    }
    expected(what);
    return false;
  }

  static bool startsStatement(const Token &t) {
    return t.is(TokenKind::Identifier) || t.is(TokenKind::KwReturn);
  }

  /// `train` followed by a name opens a train block. Inside a model or
  /// another block this is where a missing `}` most likely ends it; any
  /// other `train` is a misplaced keyword and is reported where it stands.
  bool atTrainBlock() {
    return tok.is(TokenKind::KwTrain) && peek().is(TokenKind::Identifier);
  }

  /// Where a model body or a train block ends, properly or not.
  bool atBlockEnd() {
    return tok.is(TokenKind::RBrace) || tok.is(TokenKind::Eof) ||
           tok.is(TokenKind::KwModel) || atTrainBlock();
  }

  //===--- Grammar --------------------------------------------------------===//

  void parseModel(ModuleAST &module);
  void parseTrainBlock(ModuleAST &module);
  bool parseSetting(TrainBlock &block);
  bool parseType(TypeSpec &type);
  std::optional<int64_t> parseIntLiteral(const Token &t);
  bool parseStatement(Model &model);
  ParsedExpr parseExpr(unsigned level);
  ParsedExpr parsePrimary(unsigned level);
  bool parseCallArgs(std::vector<CallArg> &args, unsigned &height,
                     unsigned level);
  ExprPtr makeNumber(const Token &t);

  //===--- Recovery -------------------------------------------------------===//

  void skipToNextStatement(unsigned stmtStart);
  void skipToNextModel() {
    while (!tok.is(TokenKind::KwModel) && !atTrainBlock() &&
           !tok.is(TokenKind::Eof))
      consume();
  }

  Lexer lexer;
  DiagnosticReporter &diags;
  Token tok;
  std::optional<Token> lookahead;
  unsigned prevLine = 0;
  unsigned numConsumed = 0;
};

} // namespace

std::unique_ptr<ModuleAST> Parser::parseFile(llvm::StringRef filename) {
  auto module = std::make_unique<ModuleAST>();
  module->filename = filename.str();
  while (!tok.is(TokenKind::Eof) && !diags.shouldStop()) {
    if (tok.is(TokenKind::KwModel)) {
      parseModel(*module);
      continue;
    }
    if (tok.is(TokenKind::KwTrain)) {
      parseTrainBlock(*module);
      continue;
    }
    expected("'model' or 'train'");
    consume();
    skipToNextModel();
  }
  if (module->models.empty() && !diags.hadError())
    diags.error(SourceLoc{1, 1}) << "no model in file";
  if (diags.hadError())
    return nullptr;
  return module;
}

void Parser::parseModel(ModuleAST &module) {
  consume(); // 'model'
  Model model;
  model.loc = tok.loc;
  if (!tok.is(TokenKind::Identifier)) {
    expected("a model name");
    return skipToNextModel();
  }
  model.name = tok.spelling.str();
  consume();

  if (!expect(TokenKind::LParen, "'(' after the model name"))
    return skipToNextModel();
  if (!tok.is(TokenKind::RParen)) {
    while (true) {
      ModelInput input;
      input.loc = tok.loc;
      if (!tok.is(TokenKind::Identifier)) {
        expected("an input name");
        return skipToNextModel();
      }
      input.name = tok.spelling.str();
      consume();
      if (!expect(TokenKind::Colon, "':' after input '" + input.name + "'") ||
          !parseType(input.type))
        return skipToNextModel();
      model.inputs.push_back(std::move(input));
      if (tok.is(TokenKind::Comma)) {
        consume();
        continue;
      }
      if (tok.is(TokenKind::RParen))
        break;
      expected("',' or ')' after an input");
      return skipToNextModel();
    }
  }
  consume(); // ')'
  if (!expect(TokenKind::Arrow, "'->' after the model inputs") ||
      !parseType(model.result) ||
      !expect(TokenKind::LBrace, "'{' to open the model body"))
    return skipToNextModel();

  while (!atBlockEnd() && !diags.shouldStop()) {
    unsigned stmtStart = numConsumed;
    if (!parseStatement(model))
      skipToNextStatement(stmtStart);
  }
  if (tok.is(TokenKind::RBrace))
    consume();
  else if (!diags.shouldStop())
    expected("'}' at end of model '" + model.name + "'");
  module.models.push_back(std::move(model));
}

void Parser::parseTrainBlock(ModuleAST &module) {
  TrainBlock block;
  block.loc = tok.loc;
  consume(); // 'train'
  block.modelLoc = tok.loc;
  if (!tok.is(TokenKind::Identifier)) {
    expected("a model name");
    return skipToNextModel();
  }
  block.model = tok.spelling.str();
  consume();
  if (!expect(TokenKind::LBrace, "'{' to open the 'train' block"))
    return skipToNextModel();

  while (!atBlockEnd() && !diags.shouldStop()) {
    unsigned settingStart = numConsumed;
    if (!parseSetting(block))
      skipToNextStatement(settingStart);
  }
  if (tok.is(TokenKind::RBrace))
    consume();
  else if (!diags.shouldStop())
    expected("'}' at end of the 'train' block for '" + block.model + "'");
  module.trainBlocks.push_back(std::move(block));
}

bool Parser::parseSetting(TrainBlock &block) {
  TrainSetting setting;
  setting.loc = tok.loc;
  if (!tok.is(TokenKind::Identifier)) {
    expected("a setting");
    return false;
  }
  setting.name = tok.spelling.str();
  consume();
  if (!expect(TokenKind::Equal, "'=' after '" + setting.name + "'"))
    return false;
  ParsedExpr value = parseExpr(/*level=*/0);
  if (!value.expr)
    return false;
  setting.value = std::move(value.expr);
  block.settings.push_back(std::move(setting));
  return true;
}

bool Parser::parseType(TypeSpec &type) {
  type.loc = tok.loc;
  if (!tok.is(TokenKind::Identifier)) {
    expected("an element type");
    return false;
  }
  type.elementType = tok.spelling.str();
  consume();
  if (!expect(TokenKind::LBracket, "'[' after the element type"))
    return false;
  while (true) {
    if (!tok.is(TokenKind::Integer)) {
      expected("a dimension");
      return false;
    }
    // Bad values are reported but do not derail the parse: the rest of the
    // header is still worth checking.
    std::optional<int64_t> dim = parseIntLiteral(tok);
    if (dim && *dim <= 0) {
      diags.error(tok.loc) << "dimension must be a positive integer, got "
                           << *dim;
    } else if (dim && *dim > INT32_MAX) {
      diags.error(tok.loc) << "dimension " << *dim << " is too large (limit "
                           << INT32_MAX << ")";
    }
    type.dims.push_back(dim.value_or(1));
    consume();
    if (tok.is(TokenKind::Comma)) {
      consume();
      continue;
    }
    return expect(TokenKind::RBracket, "',' or ']' in the shape");
  }
}

std::optional<int64_t> Parser::parseIntLiteral(const Token &t) {
  int64_t value;
  if (t.spelling.getAsInteger(10, value)) {
    diags.error(t.loc) << "integer literal '" << t.spelling
                       << "' is out of range";
    return std::nullopt;
  }
  return value;
}

bool Parser::parseStatement(Model &model) {
  Stmt stmt;
  stmt.loc = tok.loc;
  if (tok.is(TokenKind::KwReturn)) {
    stmt.kind = Stmt::Kind::Return;
    consume();
  } else if (tok.is(TokenKind::Identifier)) {
    stmt.kind = Stmt::Kind::Assign;
    stmt.name = tok.spelling.str();
    consume();
    if (!expect(TokenKind::Equal, "'=' after '" + stmt.name + "'"))
      return false;
  } else {
    expected("a statement");
    return false;
  }
  ParsedExpr value = parseExpr(/*level=*/0);
  if (!value.expr)
    return false;
  stmt.value = std::move(value.expr);
  model.body.push_back(std::move(stmt));
  return true;
}

void Parser::skipToNextStatement(unsigned stmtStart) {
  while (!atBlockEnd()) {
    // A token that opens a line and can open a statement is where the next
    // statement most likely begins; lines opening with `|>` or `)` are
    // continuations of the broken one. The statement's own first token is
    // always skipped so that recovery makes progress.
    bool firstOnLine = tok.loc.line > prevLine;
    if (firstOnLine && startsStatement(tok) && numConsumed != stmtStart)
      return;
    consume();
  }
}

ExprPtr Parser::makeNumber(const Token &t) {
  bool isInteger = t.is(TokenKind::Integer);
  if (isInteger)
    parseIntLiteral(t);
  std::string spelling = t.spelling.str();
  double value = std::strtod(spelling.c_str(), nullptr);
  return std::make_unique<NumberExpr>(t.loc, std::move(spelling), value,
                                      isInteger);
}

ParsedExpr Parser::parseExpr(unsigned level) {
  ParsedExpr lhs = parsePrimary(level);
  while (lhs.expr && tok.is(TokenKind::Pipe)) {
    Token pipe = tok;
    consume();
    if (!tok.is(TokenKind::Identifier)) {
      expected("a function name after '|>'");
      return {};
    }
    SourceLoc calleeLoc = tok.loc;
    std::string callee = tok.spelling.str();
    consume();

    std::vector<CallArg> args;
    SourceLoc lhsLoc = lhs.expr->getLoc();
    args.push_back(CallArg{lhsLoc, "", std::move(lhs.expr)});
    unsigned height = lhs.height;
    if (tok.is(TokenKind::LParen) && !parseCallArgs(args, height, level))
      return {};
    // Each stage wraps the chain so far in one more call: a long chain is as
    // deep as a long nest of calls.
    ++height;
    if (level + height > kMaxExprDepth) {
      diags.error(pipe.loc)
          << "expression nested too deeply (limit " << kMaxExprDepth << ")";
      return {};
    }
    lhs.expr = std::make_unique<CallExpr>(calleeLoc, std::move(callee),
                                          std::move(args), /*piped=*/true);
    lhs.height = height;
  }
  return lhs;
}

ParsedExpr Parser::parsePrimary(unsigned level) {
  if (level >= kMaxExprDepth) {
    diags.error(tok.loc) << "expression nested too deeply (limit "
                         << kMaxExprDepth << ")";
    return {};
  }
  Token start = tok;
  switch (tok.kind) {
  case TokenKind::Integer:
  case TokenKind::Float:
    consume();
    return {makeNumber(start), 1};

  case TokenKind::Identifier: {
    consume();
    if (!tok.is(TokenKind::LParen))
      return {std::make_unique<NameExpr>(start.loc, start.spelling.str()), 1};
    std::vector<CallArg> args;
    unsigned height = 0;
    if (!parseCallArgs(args, height, level))
      return {};
    return {std::make_unique<CallExpr>(start.loc, start.spelling.str(),
                                       std::move(args), /*piped=*/false),
            height + 1};
  }

  case TokenKind::LBracket: {
    consume();
    std::vector<ExprPtr> elements;
    unsigned height = 0;
    if (!tok.is(TokenKind::RBracket)) {
      while (true) {
        ParsedExpr element = parseExpr(level + 1);
        if (!element.expr)
          return {};
        height = std::max(height, element.height);
        elements.push_back(std::move(element.expr));
        if (tok.is(TokenKind::Comma)) {
          consume();
          continue;
        }
        if (tok.is(TokenKind::RBracket))
          break;
        expected("',' or ']' in the list");
        return {};
      }
    }
    consume(); // ']'
    return {std::make_unique<ListExpr>(start.loc, std::move(elements)),
            height + 1};
  }

  case TokenKind::LParen: {
    consume();
    ParsedExpr inner = parseExpr(level + 1);
    if (!inner.expr)
      return {};
    if (!expect(TokenKind::RParen, "')'"))
      return {};
    ++inner.height;
    return inner;
  }

  default:
    expected("an expression");
    return {};
  }
}

/// Parses `'(' [arg (',' arg)*] ')'` and appends to `args`, which may already
/// hold the left-hand side of a pipe. `height` is raised to the tallest
/// argument.
bool Parser::parseCallArgs(std::vector<CallArg> &args, unsigned &height,
                           unsigned level) {
  consume(); // '('
  if (tok.is(TokenKind::RParen)) {
    consume();
    return true;
  }
  bool sawKeyword = false;
  while (true) {
    CallArg arg;
    arg.loc = tok.loc;
    if (tok.is(TokenKind::Identifier) && peek().is(TokenKind::Equal)) {
      arg.keyword = tok.spelling.str();
      sawKeyword = true;
      consume();
      consume();
    } else if (sawKeyword) {
      // Not fatal: the call is still well-formed enough to parse on.
      diags.error(arg.loc) << "positional argument follows keyword argument";
    }
    ParsedExpr value = parseExpr(level + 1);
    if (!value.expr)
      return false;
    height = std::max(height, value.height);
    arg.value = std::move(value.expr);
    args.push_back(std::move(arg));
    if (tok.is(TokenKind::Comma)) {
      consume();
      continue;
    }
    if (tok.is(TokenKind::RParen)) {
      consume();
      return true;
    }
    expected("',' or ')' in the argument list");
    return false;
  }
}

std::unique_ptr<ModuleAST> nnc::parseModule(llvm::StringRef buffer,
                                            llvm::StringRef filename,
                                            mlir::MLIRContext &ctx) {
  DiagnosticReporter diags(ctx, filename);
  Parser parser(buffer, diags);
  return parser.parseFile(filename);
}
