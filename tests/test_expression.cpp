// The `derive:` expression language: integers, names, + - * // % and parentheses, Python floor
// semantics, and precise errors.
#include "scheduler/expression.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <map>

namespace sr {
namespace {

std::int64_t eval(const std::string& text, const std::map<std::string, std::int64_t>& names = {}) {
    return Expression::parse(text).evaluate([&](const std::string& name) -> std::int64_t {
        const auto it = names.find(name);
        if (it == names.end()) throw ExpressionError("unknown name '" + name + "'", 0);
        return it->second;
    });
}

// The reason and the 0-based offset of a syntax error.
std::pair<std::string, std::size_t> parse_error(const std::string& text) {
    try {
        Expression::parse(text);
    } catch (const ExpressionError& e) {
        return {e.what(), e.position};
    }
    ADD_FAILURE() << "'" << text << "' parsed";
    return {"", 0};
}

std::string eval_error(const std::string& text, const std::map<std::string, std::int64_t>& names = {}) {
    try {
        eval(text, names);
    } catch (const ExpressionError& e) {
        return e.what();
    }
    ADD_FAILURE() << "'" << text << "' evaluated";
    return "";
}

TEST(Expression, Literals) {
    EXPECT_EQ(eval("0"), 0);
    EXPECT_EQ(eval("42"), 42);
    EXPECT_EQ(eval("  7  "), 7);
    EXPECT_EQ(eval("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
}

TEST(Expression, Arithmetic) {
    EXPECT_EQ(eval("7654 + 3"), 7657);
    EXPECT_EQ(eval("10 - 25"), -15);
    EXPECT_EQ(eval("6 * 7"), 42);
    EXPECT_EQ(eval("1+2+3+4"), 10);
    EXPECT_EQ(eval("100 - 10 - 1"), 89);  // left-associative
    EXPECT_EQ(eval("100 // 10 // 3"), 3);  // (100 // 10) // 3
    EXPECT_EQ(eval("2 * 3 % 4"), 2);       // (2 * 3) % 4
}

TEST(Expression, FloorDivisionAndModuloFollowPython) {
    // Python: 7 // 2 == 3, -7 // 2 == -4, 7 // -2 == -4, -7 // -2 == 3
    EXPECT_EQ(eval("7 // 2"), 3);
    EXPECT_EQ(eval("-7 // 2"), -4);
    EXPECT_EQ(eval("7 // -2"), -4);
    EXPECT_EQ(eval("-7 // -2"), 3);
    // Python: 7 % 3 == 1, -7 % 3 == 2, 7 % -3 == -2, -7 % -3 == -1
    EXPECT_EQ(eval("7 % 3"), 1);
    EXPECT_EQ(eval("-7 % 3"), 2);
    EXPECT_EQ(eval("7 % -3"), -2);
    EXPECT_EQ(eval("-7 % -3"), -1);
    EXPECT_EQ(eval("-6 // 3"), -2);  // exact: no flooring step
    EXPECT_EQ(eval("-6 % 3"), 0);
    EXPECT_EQ(eval("0 // 5"), 0);
    // a == (a // b) * b + a % b for every sign combination
    for (int a = -9; a <= 9; ++a) {
        for (int b : {-4, -3, -1, 1, 2, 5}) {
            const std::map<std::string, std::int64_t> n = {{"a", a}, {"b", b}};
            EXPECT_EQ(eval("(a // b) * b + a % b", n), a) << a << ", " << b;
            const std::int64_t m = eval("a % b", n);
            EXPECT_TRUE(m == 0 || (m < 0) == (b < 0)) << a << " % " << b << " = " << m;
        }
    }
}

TEST(Expression, Precedence) {
    EXPECT_EQ(eval("2 + 3 * 4"), 14);
    EXPECT_EQ(eval("2 * 3 + 4"), 10);
    EXPECT_EQ(eval("20 - 7 // 2"), 17);
    EXPECT_EQ(eval("1 + 10 % 4"), 3);
    EXPECT_EQ(eval("-2 * 3"), -6);
    EXPECT_EQ(eval("-3 // 2"), -2);  // unary minus binds tighter: (-3) // 2
    EXPECT_EQ(eval("- -4"), 4);
    EXPECT_EQ(eval("+5 - -5"), 10);
    EXPECT_EQ(eval("2 - -3 * 2"), 8);
}

TEST(Expression, Parentheses) {
    EXPECT_EQ(eval("(2 + 3) * 4"), 20);
    EXPECT_EQ(eval("2 * (3 + 4)"), 14);
    EXPECT_EQ(eval("((1))"), 1);
    EXPECT_EQ(eval("(7 - (2 - (1 + 1))) // 2"), 3);
    EXPECT_EQ(eval("-(3 + 4)"), -7);
    EXPECT_EQ(eval("(-7) % 3"), 2);
}

TEST(Expression, Names) {
    const std::map<std::string, std::int64_t> n = {{"index", 5}, {"seed.sim", 100}, {"n_hidden", 3}};
    EXPECT_EQ(eval("7654 + index", n), 7659);
    EXPECT_EQ(eval("seed.sim * 2 + index % 2", n), 201);
    EXPECT_EQ(eval("n_hidden*index", n), 15);
    const Expression e = Expression::parse("index // 2 + seed.sim - index");
    EXPECT_EQ(e.names(), (std::vector<std::string>{"index", "seed.sim", "index"}));
    EXPECT_EQ(e.text(), "index // 2 + seed.sim - index");
    // Parsed once, evaluated per job.
    for (std::int64_t i = 0; i < 4; ++i) {
        EXPECT_EQ(e.evaluate([&](const std::string& name) { return name == "index" ? i : 100; }), i / 2 + 100 - i);
    }
}

TEST(Expression, SyntaxErrorsNameReasonAndPosition) {
    EXPECT_EQ(parse_error(""), std::make_pair(std::string("unexpected end of expression"), std::size_t{0}));
    EXPECT_EQ(parse_error("index +"), std::make_pair(std::string("unexpected end of expression"), std::size_t{7}));
    EXPECT_EQ(parse_error("index / 2"), std::make_pair(std::string("use // for integer division"), std::size_t{7}));
    EXPECT_EQ(parse_error("(1 + 2"), std::make_pair(std::string("missing ')'"), std::size_t{6}));
    EXPECT_EQ(parse_error("1 + 2)"), std::make_pair(std::string("unexpected ')'"), std::size_t{5}));
    EXPECT_EQ(parse_error("()"), std::make_pair(std::string("unexpected ')'"), std::size_t{1}));
    EXPECT_EQ(parse_error("1.5 * 2"), std::make_pair(std::string("only integers are allowed"), std::size_t{1}));
    EXPECT_EQ(parse_error("2 ** 3"), std::make_pair(std::string("unexpected '*'"), std::size_t{3}));
    EXPECT_EQ(parse_error("2 3"), std::make_pair(std::string("unexpected '3'"), std::size_t{2}));
    EXPECT_EQ(parse_error("$(rm -rf /)"), std::make_pair(std::string("unexpected '$'"), std::size_t{0}));
    EXPECT_EQ(parse_error("__import__('os')"), std::make_pair(std::string("unexpected '('"), std::size_t{10}));
    EXPECT_EQ(parse_error("seed. + 1"), std::make_pair(std::string("name ends with '.'"), std::size_t{5}));
    EXPECT_EQ(parse_error("12abc"), std::make_pair(std::string("only integers are allowed"), std::size_t{2}));
    EXPECT_EQ(parse_error("99999999999999999999"), std::make_pair(std::string("number too large"), std::size_t{18}));
}

TEST(Expression, EvaluationErrors) {
    EXPECT_EQ(eval_error("1 // 0"), "division by zero");
    EXPECT_EQ(eval_error("5 % (index - index)", {{"index", 3}}), "division by zero");
    EXPECT_EQ(eval_error("9223372036854775807 + 1"), "integer overflow");
    EXPECT_EQ(eval_error("-9223372036854775807 - 2"), "integer overflow");
    EXPECT_EQ(eval_error("4611686018427387904 * 2"), "integer overflow");
    EXPECT_EQ(eval_error("(-9223372036854775807 - 1) // -1"), "integer overflow");
    EXPECT_EQ(eval_error("-(-9223372036854775807 - 1)"), "integer overflow");
    EXPECT_EQ(eval_error("index + nope", {{"index", 1}}), "unknown name 'nope'");
    // Just inside the limits.
    EXPECT_EQ(eval("-9223372036854775807 - 1"), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(eval("4611686018427387903 * 2 + 1"), std::numeric_limits<std::int64_t>::max());
}

}  // namespace
}  // namespace sr
