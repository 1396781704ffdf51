// Postfix programs over a small stack. Sums and products are emitted as chains of binary steps,
// so the stack never grows beyond the tree's depth + 1 and fits a fixed local array for every
// rule a CGP genome can produce (no allocation per call).
#include "core/symbolic/node.hpp"

#include <algorithm>
#include <cmath>
#include <complex>

namespace sr::symbolic {
namespace {

bool is_integer(double v) { return std::isfinite(v) && v == std::floor(v); }

constexpr std::size_t kLocalStack = 32;

// A value of the complex evaluation. im == 0 exactly means "real": real operands take the real
// operations, as SymEngine keeps RealDouble until a power of a negative base makes it complex.
struct Complex {
    double re;
    double im;
};

}  // namespace

template <class Value>
double Evaluator::run(const double* x) const {
    constexpr bool is_complex = std::is_same_v<Value, Complex>;
    Value local[kLocalStack];
    std::vector<Value> heap;
    Value* s = local;
    if (stack_depth_ > kLocalStack) {
        heap.resize(stack_depth_);
        s = heap.data();
    }
    s[0] = Value{};  // the program is never empty; this only tells the compiler so
    std::size_t n = 0;
    for (const Instruction& in : program_) {
        switch (in.code) {
            case Code::constant:
                if constexpr (is_complex) {
                    s[n++] = {in.value, 0.0};
                } else {
                    s[n++] = in.value;
                }
                break;
            case Code::input:
                if constexpr (is_complex) {
                    s[n++] = {x[in.arg], 0.0};
                } else {
                    s[n++] = x[in.arg];
                }
                break;
            case Code::add:
                --n;
                if constexpr (is_complex) {
                    s[n - 1].re += s[n].re;
                    s[n - 1].im += s[n].im;
                } else {
                    s[n - 1] += s[n];
                }
                break;
            case Code::add_const:
                if constexpr (is_complex) {
                    s[n - 1].re += in.value;
                } else {
                    s[n - 1] += in.value;
                }
                break;
            case Code::add_input:
                if constexpr (is_complex) {
                    s[n - 1].re += x[in.arg];
                } else {
                    s[n - 1] += x[in.arg];
                }
                break;
            case Code::mul_const:
            case Code::mul_input: {
                const double f = in.code == Code::mul_const ? in.value : x[in.arg];
                if constexpr (is_complex) {
                    if (s[n - 1].im == 0.0) {
                        s[n - 1].re *= f;
                    } else {
                        const std::complex<double> r = std::complex<double>(s[n - 1].re, s[n - 1].im) * f;
                        s[n - 1] = {r.real(), r.imag()};
                    }
                } else {
                    s[n - 1] *= f;
                }
                break;
            }
            case Code::mul:
                --n;
                if constexpr (is_complex) {
                    if (s[n - 1].im == 0.0 && s[n].im == 0.0) {
                        s[n - 1].re *= s[n].re;
                    } else if (s[n].im == 0.0 || s[n - 1].im == 0.0) {
                        // complex times real, as SymEngine multiplies ComplexDouble by RealDouble
                        const std::complex<double> r = s[n].im == 0.0
                                                           ? std::complex<double>(s[n - 1].re, s[n - 1].im) * s[n].re
                                                           : s[n - 1].re * std::complex<double>(s[n].re, s[n].im);
                        s[n - 1] = {r.real(), r.imag()};
                    } else {
                        const std::complex<double> r = std::complex<double>(s[n - 1].re, s[n - 1].im) *
                                                       std::complex<double>(s[n].re, s[n].im);
                        s[n - 1] = {r.real(), r.imag()};
                    }
                } else {
                    s[n - 1] *= s[n];
                }
                break;
            case Code::pow_const:
                if constexpr (is_complex) {
                    Value& b = s[n - 1];
                    if (b.im == 0.0 && (b.re >= 0.0 || is_integer(in.value))) {
                        b.re = std::pow(b.re, in.value);
                    } else {
                        const std::complex<double> r = std::pow(std::complex<double>(b.re, b.im), in.value);
                        b = {r.real(), r.imag()};
                    }
                } else {
                    s[n - 1] = std::pow(s[n - 1], in.value);
                }
                break;
            case Code::pow:
                --n;
                if constexpr (is_complex) {
                    Value& b = s[n - 1];
                    const Value& e = s[n];
                    if (b.im == 0.0 && e.im == 0.0 && (b.re >= 0.0 || is_integer(e.re))) {
                        b.re = std::pow(b.re, e.re);
                    } else if (e.im == 0.0) {
                        const std::complex<double> r = std::pow(std::complex<double>(b.re, b.im), e.re);
                        b = {r.real(), r.imag()};
                    } else {
                        const std::complex<double> r = std::pow(std::complex<double>(b.re, b.im),
                                                                std::complex<double>(e.re, e.im));
                        b = {r.real(), r.imag()};
                    }
                } else {
                    s[n - 1] = std::pow(s[n - 1], s[n]);
                }
                break;
        }
    }
    if constexpr (is_complex) {
        return s[0].re;
    } else {
        return s[0];
    }
}

double Evaluator::operator()(const double* x) const {
    return complex_ ? run<Complex>(x) : run<double>(x);
}

void Evaluator::batch(const double* const* inputs, const std::size_t* strides, std::size_t n, double* out) const {
    if (complex_) {
        std::vector<double> x(n_inputs_);
        for (std::size_t j = 0; j < n; ++j) {
            for (std::size_t i = 0; i < n_inputs_; ++i) x[i] = inputs[i][j * strides[i]];
            out[j] = run<Complex>(x.data());
        }
        return;
    }
    constexpr std::size_t kBlock = 128;
    thread_local std::vector<double> stack;
    stack.resize(stack_depth_ * kBlock);
    for (std::size_t begin = 0; begin < n; begin += kBlock) {
        const std::size_t m = std::min(kBlock, n - begin);
        std::size_t depth = 0;
        // Input i's values of this block: one value (stride 0) or a strided column.
        auto apply = [&](std::uint32_t i, auto&& f) {
            const double* x = inputs[i] + begin * strides[i];
            if (strides[i] == 0) {
                for (std::size_t j = 0; j < m; ++j) f(j, x[0]);
            } else if (strides[i] == 1) {
                for (std::size_t j = 0; j < m; ++j) f(j, x[j]);
            } else {
                for (std::size_t j = 0; j < m; ++j) f(j, x[j * strides[i]]);
            }
        };
        for (const Instruction& in : program_) {
            double* top = stack.data() + (depth == 0 ? 0 : (depth - 1) * kBlock);
            double* below = depth < 2 ? top : top - kBlock;
            switch (in.code) {
                case Code::constant:
                    for (std::size_t j = 0; j < m; ++j) stack[depth * kBlock + j] = in.value;
                    ++depth;
                    break;
                case Code::input:
                    apply(in.arg, [&](std::size_t j, double v) { stack[depth * kBlock + j] = v; });
                    ++depth;
                    break;
                case Code::add:
                    for (std::size_t j = 0; j < m; ++j) below[j] += top[j];
                    --depth;
                    break;
                case Code::mul:
                    for (std::size_t j = 0; j < m; ++j) below[j] *= top[j];
                    --depth;
                    break;
                case Code::add_const:
                    for (std::size_t j = 0; j < m; ++j) top[j] += in.value;
                    break;
                case Code::mul_const:
                    for (std::size_t j = 0; j < m; ++j) top[j] *= in.value;
                    break;
                case Code::add_input:
                    apply(in.arg, [&](std::size_t j, double v) { top[j] += v; });
                    break;
                case Code::mul_input:
                    apply(in.arg, [&](std::size_t j, double v) { top[j] *= v; });
                    break;
                case Code::pow_const:
                    // Division is x * y**-1 in the canonical form: 1/y is several times faster
                    // than std::pow and differs from it by at most an ulp in rare cases (glibc's
                    // pow is accurate to 0.52 ulp, the division exact to 0.5).
                    if (in.value == -1.0) {
                        for (std::size_t j = 0; j < m; ++j) top[j] = 1.0 / top[j];
                    } else if (in.value == 2.0) {
                        for (std::size_t j = 0; j < m; ++j) top[j] = top[j] * top[j];
                    } else if (in.value == -2.0) {
                        for (std::size_t j = 0; j < m; ++j) top[j] = 1.0 / (top[j] * top[j]);
                    } else {
                        for (std::size_t j = 0; j < m; ++j) top[j] = std::pow(top[j], in.value);
                    }
                    break;
                case Code::pow:
                    for (std::size_t j = 0; j < m; ++j) below[j] = std::pow(below[j], top[j]);
                    --depth;
                    break;
            }
        }
        std::copy(stack.begin(), stack.begin() + static_cast<std::ptrdiff_t>(m), out + begin);
    }
}

Evaluator compile(const Expr& expr, const std::vector<std::string>& inputs) {
    if (is_invalid(expr)) {
        throw std::invalid_argument("expression " + canonical_string(expr) +
                                    " is zoo or nan (score it -inf instead of evaluating it)");
    }
    Evaluator ev;
    ev.n_inputs_ = inputs.size();
    std::size_t depth = 0;
    auto push = [&](Evaluator::Instruction in) {
        using C = Evaluator::Code;
        if ((in.code == C::add || in.code == C::mul) && !ev.program_.empty()) {
            // The right operand was a leaf pushed just before: fold it in.
            Evaluator::Instruction& leaf = ev.program_.back();
            if (leaf.code == C::constant || leaf.code == C::input) {
                const bool constant = leaf.code == C::constant;
                leaf.code = in.code == C::add ? (constant ? C::add_const : C::add_input)
                                              : (constant ? C::mul_const : C::mul_input);
                --depth;
                return;
            }
        }
        ev.program_.push_back(in);
        if (in.code == Evaluator::Code::constant || in.code == Evaluator::Code::input) {
            ++depth;
            ev.stack_depth_ = std::max(ev.stack_depth_, depth);
        } else if (in.code != Evaluator::Code::pow_const) {
            --depth;
        }
    };
    auto emit = [&](auto&& self, const Expr& e) -> void {
        switch (e->kind) {
            case Kind::number: push({Evaluator::Code::constant, 0, e->value}); return;
            case Kind::variable: {
                std::size_t i = 0;
                while (i < inputs.size() && inputs[i] != e->name) ++i;
                if (i == inputs.size()) {
                    throw std::invalid_argument("expression " + canonical_string(expr) +
                                                ": unknown variable '" + e->name + "'");
                }
                push({Evaluator::Code::input, static_cast<std::uint32_t>(i), 0.0});
                return;
            }
            case Kind::add:
            case Kind::mul: {
                const auto code = e->kind == Kind::add ? Evaluator::Code::add : Evaluator::Code::mul;
                self(self, e->args[0]);
                for (std::size_t i = 1; i < e->args.size(); ++i) {
                    self(self, e->args[i]);
                    push({code, 0, 0.0});
                }
                return;
            }
            case Kind::pow: {
                self(self, e->args[0]);
                const Expr& exponent = e->args[1];
                if (exponent->kind == Kind::number) {
                    if (!is_integer(exponent->value)) ev.complex_ = true;
                    push({Evaluator::Code::pow_const, 0, exponent->value});
                } else {
                    ev.complex_ = true;
                    self(self, exponent);
                    push({Evaluator::Code::pow, 0, 0.0});
                }
                return;
            }
            case Kind::zoo:
            case Kind::nan: break;
        }
    };
    emit(emit, expr);
    return ev;
}

Evaluator compile(const Expr& expr, std::size_t n_inputs) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < n_inputs; ++i) names.push_back("x_" + std::to_string(i));
    return compile(expr, names);
}

}  // namespace sr::symbolic
