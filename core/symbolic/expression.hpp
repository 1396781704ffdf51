#pragma once
// Expressions of plasticity rules: sympy-style strings ("x_0*x_1 - x_0", "(x_0*x_1)**x_0 - 1.0")
// parsed into a canonical tree, printed as one canonical key, and compiled into an evaluator
// that allocates nothing per call. See docs/symbolic.md for the rules of the canonical form and
// where it can still differ from sympy's simplify().
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sr::symbolic {

struct Node;
// Immutable and shared: subtrees are reused freely. Every Expr is in canonical form, because the
// only way to build one is through the functions below.
using Expr = std::shared_ptr<const Node>;

// A syntax error; `position` is the byte offset in the parsed text.
struct ParseError : std::runtime_error {
    ParseError(const std::string& reason, std::size_t position)
        : std::runtime_error(reason), position(position) {}
    std::size_t position;
};

// Parses + - * / ** (right associative, binding tighter than unary minus as in Python), unary
// minus/plus, parentheses, numbers (1, 0.1, 1.00000000000000, 1e-05), variables (identifiers such
// as x_0), and sympy's special values zoo, nan and I. Throws ParseError.
Expr parse(std::string_view text);

// Builders with the same simplification as the parser (for graphs built without text).
Expr number(double value);
Expr variable(std::string name);
Expr add(const Expr& a, const Expr& b);
Expr sub(const Expr& a, const Expr& b);
Expr mul(const Expr& a, const Expr& b);
Expr div(const Expr& a, const Expr& b);
Expr pow(const Expr& base, const Expr& exponent);

// One string per canonical form: two rules that simplify to the same tree get the same key, and
// parse(canonical_string(e)) rebuilds e exactly (numbers print in shortest round-trip form).
std::string canonical_string(const Expr& expr);

// True when the expression simplified to sympy's `zoo` (complex infinity) or `nan`, or contains
// one: the reference gives such a rule fitness -inf without simulating it.
bool is_invalid(const Expr& expr);

// The variable names the expression uses, sorted as the canonical form sorts them.
std::vector<std::string> variables(const Expr& expr);

// Evaluates a compiled expression. Semantics of the reference (SymEngine's eval_complex_double,
// then the real part): IEEE arithmetic (1/0 = inf, 0*inf = nan), and a power with a negative base
// and a non-integer exponent is complex; complex values propagate and the result is their real part.
class Evaluator {
public:
    // x[i] is the value of the i-th name given to compile().
    double operator()(const double* x) const;
    // n points at once, with the values of operator() point by point (up to about an ulp for
    // y**-1, y**2 and y**-2, computed as 1/y, y*y and 1/(y*y)): input i of point j is
    // inputs[i][j * strides[i]] (stride 0: one value for all points). A real program runs each
    // instruction over a block of points, which amortises the dispatch.
    void batch(const double* const* inputs, const std::size_t* strides, std::size_t n, double* out) const;

    std::size_t n_inputs() const { return n_inputs_; }

private:
    friend Evaluator compile(const Expr&, const std::vector<std::string>&);
    // add/mul pop two values; the _const and _input forms take their right operand from the
    // instruction (a leaf folded into the operation: half the dispatches for typical rules).
    enum class Code : std::uint8_t { constant, input, add, mul, add_const, mul_const, add_input, mul_input, pow, pow_const };
    struct Instruction {
        Code code;
        std::uint32_t arg;  // input index, or operand count of add/mul
        double value;       // constant, or the exponent of pow_const
    };
    template <class Value>
    double run(const double* x) const;

    std::vector<Instruction> program_;  // postfix
    std::size_t stack_depth_ = 0;
    std::size_t n_inputs_ = 0;
    bool complex_ = false;  // some power may see a negative base with a non-integer exponent
};

// Variables are bound by name to input positions; a name the expression uses but `inputs` lacks
// throws std::invalid_argument naming it.
Evaluator compile(const Expr& expr, const std::vector<std::string>& inputs);
// Inputs x_0 .. x_{n-1}.
Evaluator compile(const Expr& expr, std::size_t n_inputs);

}  // namespace sr::symbolic
