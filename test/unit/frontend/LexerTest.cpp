//===- LexerTest.cpp - Unit tests for the nnc lexer -------------*- C++ -*-===//
//
// Token kinds, spellings and positions for every token class, number
// literals (valid and malformed), comments, and stray bytes, including the
// rule that a run of junk is reported once.
//
//===----------------------------------------------------------------------===//

#include "frontend/Lexer.h"

#include "FrontendTestUtils.h"

using namespace nnc;
using nnc::test::FrontendTest;

namespace {

class LexerTest : public FrontendTest {
protected:
  std::vector<Token> lexAll(llvm::StringRef source) {
    DiagnosticReporter reporter(ctx, "test.nn");
    Lexer lexer(source, reporter);
    std::vector<Token> tokens;
    while (true) {
      tokens.push_back(lexer.lex());
      if (tokens.back().is(TokenKind::Eof))
        return tokens;
    }
  }

  std::vector<TokenKind> kinds(llvm::StringRef source) {
    std::vector<TokenKind> result;
    for (const Token &tok : lexAll(source))
      result.push_back(tok.kind);
    return result;
  }
};

using K = TokenKind;

TEST_F(LexerTest, Punctuation) {
  EXPECT_EQ(kinds("( ) [ ] { } , : = -> |>"),
            (std::vector<K>{K::LParen, K::RParen, K::LBracket, K::RBracket,
                            K::LBrace, K::RBrace, K::Comma, K::Colon, K::Equal,
                            K::Arrow, K::Pipe, K::Eof}));
  EXPECT_TRUE(diags.empty());
}

TEST_F(LexerTest, KeywordsAndIdentifiers) {
  std::vector<Token> toks = lexAll("model return train models _x9 Return");
  ASSERT_EQ(toks.size(), 7u);
  EXPECT_EQ(toks[0].kind, K::KwModel);
  EXPECT_EQ(toks[1].kind, K::KwReturn);
  EXPECT_EQ(toks[2].kind, K::KwTrain);
  EXPECT_EQ(toks[3].kind, K::Identifier);
  EXPECT_EQ(toks[3].spelling, "models");
  EXPECT_EQ(toks[4].spelling, "_x9");
  EXPECT_EQ(toks[5].kind, K::Identifier);
}

TEST_F(LexerTest, Numbers) {
  std::vector<Token> toks = lexAll("0 128 -3 0.5 1e-3 2.5E+4 -0.25 7e2");
  std::vector<std::pair<K, llvm::StringRef>> expected = {
      {K::Integer, "0"},   {K::Integer, "128"}, {K::Integer, "-3"},
      {K::Float, "0.5"},   {K::Float, "1e-3"},  {K::Float, "2.5E+4"},
      {K::Float, "-0.25"}, {K::Float, "7e2"},   {K::Eof, ""}};
  ASSERT_EQ(toks.size(), expected.size());
  for (size_t i = 0; i < toks.size(); ++i) {
    EXPECT_EQ(toks[i].kind, expected[i].first) << i;
    EXPECT_EQ(toks[i].spelling, expected[i].second) << i;
  }
  EXPECT_TRUE(diags.empty());
}

TEST_F(LexerTest, MalformedNumbers) {
  EXPECT_EQ(kinds("1. 1e 1e+ 12abc 1.2.3 5"),
            (std::vector<K>{K::Error, K::Error, K::Error, K::Error, K::Error,
                            K::Integer, K::Eof}));
  EXPECT_EQ(diags,
            (std::vector<std::string>{"1:1: invalid number literal '1.'",
                                      "1:4: invalid number literal '1e'",
                                      "1:7: invalid number literal '1e+'",
                                      "1:11: invalid number literal '12abc'",
                                      "1:17: invalid number literal '1.2.3'"}));
}

TEST_F(LexerTest, LoneMinus) {
  EXPECT_EQ(kinds("- 5 x-"), (std::vector<K>{K::Error, K::Integer,
                                             K::Identifier, K::Error, K::Eof}));
  EXPECT_EQ(diags,
            (std::vector<std::string>{"1:1: expected a number after '-'",
                                      "1:6: expected a number after '-'"}));
}

TEST_F(LexerTest, Locations) {
  std::vector<Token> toks = lexAll("model M\n  (x: f32)\n\t#c\n}");
  ASSERT_EQ(toks.size(), 9u);
  EXPECT_EQ(toks[1].loc.line, 1u);
  EXPECT_EQ(toks[1].loc.col, 7u);
  EXPECT_EQ(toks[2].loc.line, 2u);
  EXPECT_EQ(toks[2].loc.col, 3u);
  EXPECT_EQ(toks[5].spelling, "f32");
  EXPECT_EQ(toks[5].loc.col, 7u);
  EXPECT_EQ(toks[7].kind, K::RBrace);
  EXPECT_EQ(toks[7].loc.line, 4u);
  EXPECT_EQ(toks[7].loc.col, 1u);
  // Eof sits just past the last byte.
  EXPECT_EQ(toks[8].loc.line, 4u);
  EXPECT_EQ(toks[8].loc.col, 2u);
}

TEST_F(LexerTest, CommentsAndWhitespace) {
  EXPECT_EQ(kinds("# only a comment\r\n\t x # trailing |> junk $\n"),
            (std::vector<K>{K::Identifier, K::Eof}));
  EXPECT_TRUE(diags.empty());
}

TEST_F(LexerTest, JunkIsReportedOncePerRun) {
  EXPECT_EQ(kinds("a $$$ b ? c"),
            (std::vector<K>{K::Identifier, K::Error, K::Identifier, K::Error,
                            K::Identifier, K::Eof}));
  EXPECT_EQ(diags, (std::vector<std::string>{"1:3: unexpected character '$'",
                                             "1:9: unexpected character '?'"}));
}

TEST_F(LexerTest, NonPrintableBytes) {
  std::string source = "x \xC3\xA9 y";
  source += '\0';
  source += " z \x01|";
  EXPECT_EQ(kinds(source),
            (std::vector<K>{K::Identifier, K::Error, K::Identifier, K::Error,
                            K::Identifier, K::Error, K::Eof}));
  EXPECT_EQ(diags,
            (std::vector<std::string>{"1:3: unexpected character '\\xC3'",
                                      "1:7: unexpected character '\\x00'",
                                      "1:11: unexpected character '\\x01'"}));
}

TEST_F(LexerTest, TooManyErrors) {
  std::string source;
  for (int i = 0; i < 30; ++i)
    source += "$ ";
  lexAll(source);
  ASSERT_EQ(diags.size(), DiagnosticReporter::kMaxErrors + 1);
  EXPECT_EQ(diags.back(), "1:41: too many errors; stopping");
}

TEST_F(LexerTest, DescribeToken) {
  std::vector<Token> toks = lexAll("foo");
  EXPECT_EQ(describeToken(toks[0]), "'foo'");
  EXPECT_EQ(describeToken(toks[1]), "end of file");
}

} // namespace
