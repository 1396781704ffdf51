// Plasticity-rule expressions: sympy-style parsing, one canonical key per rule, zoo/nan as the
// reference classifies them, and the compiled evaluator against direct evaluation.
#include "core/symbolic/expression.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <functional>
#include <limits>
#include <random>

namespace sr::symbolic {
namespace {

std::string key(const std::string& text) { return canonical_string(parse(text)); }

double eval(const std::string& text, std::vector<double> x) {
    return compile(parse(text), x.size())(x.data());
}

TEST(Symbolic, ParsesSympyPrintedRules) {
    // Strings as they appear in the published champion files.
    EXPECT_EQ(key("x_0*x_1 - x_0 - x_1"), "-x_0 - x_1 + x_0*x_1");
    EXPECT_EQ(key("-x_0 + x_1"), key("x_1 - x_0"));
    EXPECT_EQ(key("(x_0*x_1)**x_0 - 1.0"), key("(x_0*x_1)**x_0 - 1"));
    EXPECT_EQ(key("0.100000000000000"), "0.1");
    EXPECT_EQ(key("1e-05*x_0"), "1e-05*x_0");
    EXPECT_EQ(key("1.0E+2"), "100");
    EXPECT_EQ(key("-x_0**2"), "-x_0**2");  // ** binds tighter than unary minus
    EXPECT_EQ(key("2**-1"), "0.5");
    EXPECT_EQ(key("x_0**x_1**2"), "x_0**(x_1**2)");  // right associative
}

TEST(Symbolic, GraphStringsAndSimplifiedStringsShareOneKey) {
    // hal-cgp writes every node in parentheses; sympy's printing reorders terms.
    EXPECT_EQ(key("((x_0 * x_1) - (x_0 + x_1))"), key("x_0*x_1 - x_0 - x_1"));
    EXPECT_EQ(key("((x_1 / x_0) - x_0)"), key("-x_0 + x_1/x_0"));
    EXPECT_EQ(key("(((x_0 * x_1) ** x_0) - 1.0)"), key("(x_0*x_1)**x_0 - 1.0"));
    EXPECT_EQ(key("x_1*x_0"), key("x_0*x_1"));
    EXPECT_EQ(key("(x_0 + x_1) + x_0"), key("x_1 + 2*x_0"));
}

TEST(Symbolic, SimplifiesWhatChangesValuesAtSingularPoints) {
    EXPECT_EQ(key("x_0*x_1/x_0"), "x_1");
    EXPECT_EQ(key("x_0/x_0"), "1");
    EXPECT_EQ(key("x_0 - x_0"), "0");
    EXPECT_EQ(key("(x_0 - x_1)/(x_0 - x_1)"), "1");
    EXPECT_EQ(key("x_0**2*x_0**(-2)"), "1");
    EXPECT_EQ(key("x_1**x_0*x_1**(-x_0)"), "1");
    EXPECT_EQ(key("0*(x_0/x_1)"), "0");
    EXPECT_EQ(key("(x_0 - x_0)**x_1"), "0**x_1");  // sympy keeps 0**x (x may be negative)
    EXPECT_EQ(key("x_0**0"), "1");
    EXPECT_EQ(key("1**x_0"), "1");
}

TEST(Symbolic, AutomaticSimplificationsAsSympy) {
    EXPECT_EQ(key("2*(x_0 + 1)"), "2*x_0 + 2");           // a number distributes over a sum
    EXPECT_EQ(key("(x_0*x_1)**2"), "x_0**2*x_1**2");       // integer powers distribute
    EXPECT_EQ(key("(x_0**x_1)**2"), "x_0**(2*x_1)");       // and combine with inner exponents
    EXPECT_EQ(key("x_0*x_0*x_0"), "x_0**3");
    EXPECT_EQ(key("x_0/(x_1*x_0**2)"), "1/(x_0*x_1)");
    EXPECT_EQ(key("0.1*10.0*x_0"), "x_0");
    EXPECT_EQ(key("x_0 - 1.0 + 1.0"), "x_0");
}

TEST(Symbolic, ProductsHaveOneFormHoweverGrouped) {
    // Sum factors are monic, their scale joins the product's number factor.
    EXPECT_EQ(key("0.1*(x_0 - 1)*(x_1 - 0.1)"), key("(x_1 - 0.1)*(0.1*x_0 - 0.1)"));
    EXPECT_EQ(key("0.1*(x_0 - 1)*(x_1 - 0.1)"), "0.1*(x_0 - 1)*(x_1 - 0.1)");
    EXPECT_EQ(key("(1 - x_0)*x_1"), key("-(x_0 - 1)*x_1"));
    EXPECT_EQ(key("(2*x_0 + 2)**2/(x_0 + 1)"), "4*x_0 + 4");
    EXPECT_EQ(key("x_1*(2*x_0 + 2)"), key("2*x_1*(x_0 + 1)"));
}

TEST(Symbolic, ZooAndNanAsTheReferenceClassifiesThem) {
    EXPECT_TRUE(is_invalid(parse("x_0/(x_1 - x_1)")));              // zoo*x_0
    EXPECT_EQ(key("1/(x_1 - x_1)"), "zoo");
    EXPECT_EQ(key("(x_0 - x_0)/(x_1 - x_1)"), "nan");               // 0*zoo
    EXPECT_EQ(key("1/0 + 1/0"), "nan");                             // zoo + zoo
    EXPECT_EQ(key("zoo**0"), "1");
    EXPECT_EQ(key("0**(-1.0)"), "zoo");
    EXPECT_TRUE(is_invalid(parse("x_0 + zoo")));
    EXPECT_FALSE(is_invalid(parse("x_1/x_0")));                     // singular at run time only
    EXPECT_THROW(compile(parse("1/(x_0 - x_0)"), 1), std::invalid_argument);
}

TEST(Symbolic, CanonicalStringRoundTrips) {
    for (const char* text : {"x_0*x_1 - x_0 - x_1", "(x_0*x_1)**x_0 - 1", "-x_0 + x_1/x_0",
                             "(-x_0**3 + x_1*(1.0*x_0 - x_1))/x_0**2", "x_1**x_0*(4*x_1**(3*x_0) + 2)",
                             "1/(x_0 + x_1)", "-1/x_0", "(x_0 - 1)**0.5", "(-2)**x_0", "x_0**(-x_1)",
                             "x_0**(x_1 - 1)/(x_0 + 1)**0.5", "0.01*x_0 - 1e-07", "I*x_0", "oo*x_0",
                             "2**x_0*0.5**x_1", "(x_0**x_1)**0.5/(x_1**x_0)**0.5"}) {
        const Expr e = parse(text);
        const std::string k = canonical_string(e);
        EXPECT_EQ(canonical_string(parse(k)), k) << text;
    }
}

TEST(Symbolic, VariableNamesSortNaturally) {
    EXPECT_EQ(key("x_10 + x_2"), "x_2 + x_10");
    EXPECT_EQ(variables(parse("x_10*w + x_2 - w")), (std::vector<std::string>{"w", "x_2", "x_10"}));
    const Evaluator f = compile(parse("w - 2*v"), std::vector<std::string>{"v", "w"});
    const double x[] = {1.5, 10.0};
    EXPECT_EQ(f(x), 7.0);
    EXPECT_THROW(compile(parse("x_2"), 2), std::invalid_argument);
}

TEST(Symbolic, ParseErrorsNameTheOffset) {
    auto offset = [](const std::string& text) {
        try {
            parse(text);
        } catch (const ParseError& e) {
            return static_cast<long>(e.position);
        }
        return -1L;
    };
    EXPECT_EQ(offset("x_0 +"), 5);
    EXPECT_EQ(offset("(x_0"), 4);
    EXPECT_EQ(offset("x_0 $ 1"), 4);
    EXPECT_EQ(offset("1.2.3"), 0);
    EXPECT_EQ(offset("x_0 x_1"), 4);
    EXPECT_EQ(offset(""), 0);
}

TEST(Symbolic, EvaluatesWithIeeeSemantics) {
    EXPECT_DOUBLE_EQ(eval("x_0*x_1 - x_0 - x_1", {0.3, 0.7}), 0.3 * 0.7 - 0.3 - 0.7);
    EXPECT_DOUBLE_EQ(eval("(x_0*x_1)**x_0 - 1", {0.3, 0.7}), std::pow(0.21, 0.3) - 1);
    EXPECT_EQ(eval("x_1/x_0", {0.0, 1.0}), std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(eval("x_1/x_0", {0.0, 0.0})));
    EXPECT_EQ(eval("x_0**x_1", {0.0, 0.0}), 1.0);
    EXPECT_EQ(eval("10.0", {}), 10.0);
}

TEST(Symbolic, NegativeBasesAreComplexAndTheResultIsItsRealPart) {
    // sqrt(-1) = i: its real part, then i*i = -1 through the complex product.
    EXPECT_NEAR(eval("(x_0 - 1)**0.5", {0.0}), std::real(std::pow(std::complex<double>(-1.0), 0.5)), 1e-300);
    EXPECT_NEAR(eval("(x_0 - 1)**0.5*(x_1 - 1)**0.5", {0.0, 0.0}), -1.0, 1e-15);
    EXPECT_NEAR(eval("(x_0 - 1)**x_1", {-1.0, 0.5}), std::real(std::pow(std::complex<double>(-2.0), 0.5)), 1e-300);
    EXPECT_EQ(eval("(x_0 - 1)**2", {-1.0}), 4.0);         // integer exponents stay real
    EXPECT_EQ(eval("(x_0 - 1)**x_1", {-1.0, 3.0}), -8.0);
    EXPECT_NEAR(eval("I*I + x_0", {2.0}), 1.0, 1e-15);
}

// Random hal-cgp-style graphs over + - * / ** and the constants 0.1, 1, 10: the canonical form
// evaluates to the same value as the unsimplified graph wherever the graph is regular.
TEST(Symbolic, CanonicalFormKeepsValuesOfRandomGraphs) {
    std::mt19937_64 rng(12345);
    struct Tree {
        std::string text;
        std::function<double(const double*)> value;
    };
    std::function<Tree(int)> random_tree = [&](int depth) -> Tree {
        const int leaf = std::uniform_int_distribution<int>(0, depth > 0 ? 9 : 4)(rng);
        if (leaf <= 1) {
            const int i = leaf;
            return {"x_" + std::to_string(i), [i](const double* x) { return x[i]; }};
        }
        if (leaf <= 4) {
            const double c[] = {0.1, 1.0, 10.0};
            const double v = c[leaf - 2];
            return {leaf == 3 ? "1.0" : (leaf == 2 ? "0.1" : "10.0"), [v](const double*) { return v; }};
        }
        const Tree a = random_tree(depth - 1), b = random_tree(depth - 1);
        const char* ops[] = {"+", "-", "*", "/", "**"};
        const int op = leaf - 5;
        auto fa = a.value, fb = b.value;
        std::function<double(const double*)> f;
        switch (op) {
            case 0: f = [fa, fb](const double* x) { return fa(x) + fb(x); }; break;
            case 1: f = [fa, fb](const double* x) { return fa(x) - fb(x); }; break;
            case 2: f = [fa, fb](const double* x) { return fa(x) * fb(x); }; break;
            case 3: f = [fa, fb](const double* x) { return fa(x) / fb(x); }; break;
            default: f = [fa, fb](const double* x) { return std::pow(fa(x), fb(x)); }; break;
        }
        return {"(" + a.text + " " + ops[op] + " " + b.text + ")", f};
    };
    int compared = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        const Tree t = random_tree(4);
        const Expr e = parse(t.text);
        if (is_invalid(e)) continue;
        const Evaluator f = compile(e, 2);
        for (int k = 0; k < 4; ++k) {
            const double x[] = {std::uniform_real_distribution<double>(0.05, 1.0)(rng),
                                std::uniform_real_distribution<double>(0.05, 2.0)(rng)};
            const double want = t.value(x);
            // Only where the graph is regular and well conditioned (no overflow, no negative
            // base of a real power, whose value the real reference graph cannot give).
            if (!std::isfinite(want) || std::abs(want) > 1e8 || std::abs(want) < 1e-8) continue;
            const double got = f(x);
            EXPECT_NEAR(got, want, 1e-6 * std::abs(want)) << t.text << " -> " << canonical_string(e);
            ++compared;
        }
        EXPECT_EQ(canonical_string(parse(canonical_string(e))), canonical_string(e)) << t.text;
    }
    EXPECT_GT(compared, 3000);
}

// Evaluator::batch gives operator()'s values point by point, for strided and broadcast inputs,
// real and complex programs; y**-1, y**2 and y**-2 may differ by about an ulp (1/y, y*y), which a
// sum can amplify relative to its value.
TEST(Symbolic, BatchEvaluationMatchesPointwise) {
    const std::size_t n = 300;  // more than one block of points
    std::vector<double> a(n), b(2 * n);
    std::mt19937_64 gen(7);
    std::uniform_real_distribution<double> dist(-3.0, 3.0);
    for (auto& v : a) v = dist(gen);
    for (auto& v : b) v = dist(gen);
    const double c = 0.7;
    for (const char* text : {"x_2*(x_0 - x_1)", "x_0*x_2/x_1 - x_1**2 + 1.0", "x_1/(x_2*(x_0 + x_2))**2",
                             "(x_1 - x_2)**0.5*x_0", "x_1**x_2 + 3", "2.5"}) {
        const Evaluator f = compile(parse(text), 3);
        const double* inputs[3] = {&c, a.data(), b.data()};
        const std::size_t strides[3] = {0, 1, 2};
        std::vector<double> out(n);
        f.batch(inputs, strides, n, out.data());
        for (std::size_t j = 0; j < n; ++j) {
            const double x[3] = {c, a[j], b[2 * j]};
            const double want = f(x);
            if (std::isnan(want)) {
                EXPECT_TRUE(std::isnan(out[j])) << text << " point " << j;
            } else {
                EXPECT_NEAR(out[j], want, 1e-14 * std::max(1.0, std::abs(want))) << text << " point " << j;
            }
        }
    }
}

}  // namespace
}  // namespace sr::symbolic
