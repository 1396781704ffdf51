// The `derive:` expression language: whole and real numbers, names, + - * / // % ** and
// parentheses, Python's semantics, and precise errors.
#include "scheduler/expression.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

namespace sr {
namespace {

using Number = Expression::Number;

Number evaluate(const std::string& text, const std::map<std::string, Number>& names = {}) {
    return Expression::parse(text).evaluate([&](const std::string& name) -> Number {
        const auto it = names.find(name);
        if (it == names.end()) throw ExpressionError("unknown name '" + name + "'", 0);
        return it->second;
    });
}

// A whole result (a real one fails the test).
std::int64_t eval(const std::string& text, const std::map<std::string, Number>& names = {}) {
    const Number n = evaluate(text, names);
    EXPECT_TRUE(std::holds_alternative<std::int64_t>(n)) << text << " gave a real number";
    return std::holds_alternative<std::int64_t>(n) ? std::get<std::int64_t>(n) : 0;
}

// A real result (a whole one fails the test).
double eval_real(const std::string& text, const std::map<std::string, Number>& names = {}) {
    const Number n = evaluate(text, names);
    EXPECT_TRUE(std::holds_alternative<double>(n)) << text << " gave a whole number";
    return std::holds_alternative<double>(n) ? std::get<double>(n) : 0;
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

std::string eval_error(const std::string& text, const std::map<std::string, Number>& names = {}) {
    try {
        evaluate(text, names);
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
            const std::map<std::string, Number> n = {{"a", std::int64_t{a}}, {"b", std::int64_t{b}}};
            EXPECT_EQ(eval("(a // b) * b + a % b", n), a) << a << ", " << b;
            const std::int64_t m = eval("a % b", n);
            EXPECT_TRUE(m == 0 || (m < 0) == (b < 0)) << a << " % " << b << " = " << m;
        }
    }
}

// Real numbers as Python computes them: a real operand or `/` gives a real result; // and % floor
// with the sign of the divisor; ** is right-associative and binds tighter than a sign on its left.
TEST(Expression, RealNumbersFollowPython) {
    EXPECT_EQ(eval_real("0.5"), 0.5);
    EXPECT_EQ(eval_real(".5 + 2."), 2.5);
    EXPECT_EQ(eval_real("1e-3"), 0.001);
    EXPECT_EQ(eval_real("2.5E+2"), 250.0);
    EXPECT_EQ(eval_real("7 / 2"), 3.5);
    EXPECT_EQ(eval_real("4 / 2"), 2.0);  // `/` is always real, as in Python 3
    EXPECT_EQ(eval_real("lr * 0.5", {{"lr", 0.03}}), 0.015);
    EXPECT_EQ(eval_real("x + 1", {{"x", 2.0}}), 3.0);
    EXPECT_EQ(eval_real("7.5 // 2"), 3.0);
    EXPECT_EQ(eval_real("-7.5 // 2"), -4.0);
    EXPECT_EQ(eval_real("-7.5 % 2"), 0.5);
    EXPECT_EQ(eval_real("7.5 % -2"), -0.5);
    EXPECT_EQ(eval_real("2 ** -1"), 0.5);
    EXPECT_EQ(eval_real("10 ** -3"), std::pow(10.0, -3.0));
    EXPECT_EQ(eval_real("2 ** 0.5"), std::sqrt(2.0));
    EXPECT_EQ(eval("2 ** 10"), 1024);
    EXPECT_EQ(eval("2 ** 3 ** 2"), 512);  // 2 ** (3 ** 2)
    EXPECT_EQ(eval("-2 ** 2"), -4);       // -(2 ** 2)
    EXPECT_EQ(eval("(-2) ** 2"), 4);
    EXPECT_EQ(eval("2 ** 62"), std::int64_t{1} << 62);
    EXPECT_EQ(eval("3 * 2 ** 2"), 12);
    EXPECT_EQ(eval_real("-x", {{"x", 0.25}}), -0.25);
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
    const std::map<std::string, Number> n = {{"index", std::int64_t{5}}, {"seed.sim", std::int64_t{100}},
                                             {"n_hidden", std::int64_t{3}}};
    EXPECT_EQ(eval("7654 + index", n), 7659);
    EXPECT_EQ(eval("seed.sim * 2 + index % 2", n), 201);
    EXPECT_EQ(eval("n_hidden*index", n), 15);
    const Expression e = Expression::parse("index // 2 + seed.sim - index");
    EXPECT_EQ(e.names(), (std::vector<std::string>{"index", "seed.sim", "index"}));
    EXPECT_EQ(e.text(), "index // 2 + seed.sim - index");
    // Parsed once, evaluated per job.
    for (std::int64_t i = 0; i < 4; ++i) {
        EXPECT_EQ(std::get<std::int64_t>(e.evaluate([&](const std::string& name) -> Number { return name == "index" ? i : 100; })),
                  i / 2 + 100 - i);
    }
}

TEST(Expression, SyntaxErrorsNameReasonAndPosition) {
    EXPECT_EQ(parse_error(""), std::make_pair(std::string("unexpected end of expression"), std::size_t{0}));
    EXPECT_EQ(parse_error("index +"), std::make_pair(std::string("unexpected end of expression"), std::size_t{7}));
    EXPECT_EQ(parse_error("(1 + 2"), std::make_pair(std::string("missing ')'"), std::size_t{6}));
    EXPECT_EQ(parse_error("1 + 2)"), std::make_pair(std::string("unexpected ')'"), std::size_t{5}));
    EXPECT_EQ(parse_error("()"), std::make_pair(std::string("unexpected ')'"), std::size_t{1}));
    EXPECT_EQ(parse_error("2 *** 3"), std::make_pair(std::string("unexpected '*'"), std::size_t{4}));
    EXPECT_EQ(parse_error("1.5.2"), std::make_pair(std::string("malformed number"), std::size_t{3}));
    EXPECT_EQ(parse_error("2 3"), std::make_pair(std::string("unexpected '3'"), std::size_t{2}));
    EXPECT_EQ(parse_error("$(rm -rf /)"), std::make_pair(std::string("unexpected '$'"), std::size_t{0}));
    EXPECT_EQ(parse_error("__import__('os')"), std::make_pair(std::string("unexpected '('"), std::size_t{10}));
    EXPECT_EQ(parse_error("seed. + 1"), std::make_pair(std::string("name ends with '.'"), std::size_t{5}));
    EXPECT_EQ(parse_error("12abc"), std::make_pair(std::string("malformed number"), std::size_t{2}));
    EXPECT_EQ(parse_error("1e999"), std::make_pair(std::string("malformed number"), std::size_t{0}));
    EXPECT_EQ(parse_error("99999999999999999999"), std::make_pair(std::string("number too large"), std::size_t{0}));
}

TEST(Expression, EvaluationErrors) {
    EXPECT_EQ(eval_error("1 // 0"), "division by zero");
    EXPECT_EQ(eval_error("5 % (index - index)", {{"index", std::int64_t{3}}}), "division by zero");
    EXPECT_EQ(eval_error("9223372036854775807 + 1"), "integer overflow");
    EXPECT_EQ(eval_error("-9223372036854775807 - 2"), "integer overflow");
    EXPECT_EQ(eval_error("4611686018427387904 * 2"), "integer overflow");
    EXPECT_EQ(eval_error("(-9223372036854775807 - 1) // -1"), "integer overflow");
    EXPECT_EQ(eval_error("-(-9223372036854775807 - 1)"), "integer overflow");
    EXPECT_EQ(eval_error("index + nope", {{"index", std::int64_t{1}}}), "unknown name 'nope'");
    EXPECT_EQ(eval_error("1 / 0"), "division by zero");
    EXPECT_EQ(eval_error("1.5 // 0"), "division by zero");
    EXPECT_EQ(eval_error("0 ** -1"), "division by zero");
    EXPECT_EQ(eval_error("(-8) ** 0.5"), "a negative number to a fractional power");
    EXPECT_EQ(eval_error("1e300 * 1e300"), "the result is too large for a real number");
    EXPECT_EQ(eval_error("2 ** 63"), "integer overflow");
    // Just inside the limits.
    EXPECT_EQ(eval("-9223372036854775807 - 1"), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(eval("4611686018427387903 * 2 + 1"), std::numeric_limits<std::int64_t>::max());
}

}  // namespace
}  // namespace sr
