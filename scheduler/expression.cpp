#include "scheduler/expression.hpp"

#include "core/limits.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace sr {

struct Expression::Node {
    enum class Kind { number, name, negate, add, subtract, multiply, divide, floor_divide, modulo, power } kind;
    Expression::Number value = std::int64_t{0};
    std::string name;
    std::shared_ptr<const Node> left, right;
};

namespace {

using Node = Expression::Node;
using NodePtr = std::shared_ptr<const Node>;

class Parser {
public:
    explicit Parser(const std::string& text) : text_(text) {}

    NodePtr parse_all(std::vector<std::string>& names) {
        names_ = &names;
        NodePtr node = sum();
        skip_space();
        if (pos_ != text_.size()) fail("unexpected '" + std::string(1, text_[pos_]) + "'");
        return node;
    }

private:
    [[noreturn]] void fail(const std::string& reason) const { throw ExpressionError(reason, pos_); }

    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }

    bool accept(std::string_view token) {
        skip_space();
        if (text_.compare(pos_, token.size(), token) == 0) {
            pos_ += token.size();
            return true;
        }
        return false;
    }

    NodePtr binary(Node::Kind kind, NodePtr left, NodePtr right) {
        return std::make_shared<Node>(Node{kind, std::int64_t{0}, {}, std::move(left), std::move(right)});
    }

    NodePtr sum() {
        NodePtr node = product();
        while (true) {
            if (accept("+")) node = binary(Node::Kind::add, node, product());
            else if (accept("-")) node = binary(Node::Kind::subtract, node, product());
            else return node;
        }
    }

    NodePtr product() {
        NodePtr node = unary();
        while (true) {
            if (accept("//")) node = binary(Node::Kind::floor_divide, node, unary());
            else if (accept("*")) node = binary(Node::Kind::multiply, node, unary());
            else if (accept("%")) node = binary(Node::Kind::modulo, node, unary());
            else if (accept("/")) node = binary(Node::Kind::divide, node, unary());
            else return node;
        }
    }

    // Parsing, evaluating and freeing recurse once per level of parentheses and signs: the depth
    // is bounded so that no expression can overflow the stack.
    NodePtr unary() {
        if (++depth_ > limits::max_expression_depth) {
            fail("nested deeper than " + std::to_string(limits::max_expression_depth) + " levels");
        }
        NodePtr node;
        if (accept("-")) node = binary(Node::Kind::negate, unary(), nullptr);
        else if (accept("+")) node = unary();
        else node = power();
        --depth_;
        return node;
    }

    // a ** b ** c is a ** (b ** c), and -2 ** 2 is -(2 ** 2), as in Python.
    NodePtr power() {
        NodePtr base = primary();
        if (accept("**")) return binary(Node::Kind::power, base, unary());
        return base;
    }

    NodePtr primary() {
        skip_space();
        if (pos_ >= text_.size()) fail("unexpected end of expression");
        if (accept("(")) {
            NodePtr node = sum();
            if (!accept(")")) fail("missing ')'");
            return node;
        }
        const char c = text_[pos_];
        if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && pos_ + 1 < text_.size() &&
                                                            std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))) {
            return number();
        }
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            const std::size_t start = pos_;
            while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                           text_[pos_] == '_' || text_[pos_] == '.')) {
                ++pos_;
            }
            std::string name = text_.substr(start, pos_ - start);
            if (name.back() == '.') fail("name ends with '.'");
            names_->push_back(name);
            return std::make_shared<Node>(Node{Node::Kind::name, std::int64_t{0}, std::move(name), nullptr, nullptr});
        }
        fail("unexpected '" + std::string(1, c) + "'");
    }

    // 42 (whole), 0.5, .5, 2., 1e-3, 2.5E+4 (real).
    NodePtr number() {
        const std::size_t start = pos_;
        const auto digits = [&] {
            while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        };
        digits();
        bool real = false;
        if (pos_ < text_.size() && text_[pos_] == '.') {
            real = true;
            ++pos_;
            digits();
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            std::size_t exponent = pos_ + 1;
            if (exponent < text_.size() && (text_[exponent] == '+' || text_[exponent] == '-')) ++exponent;
            if (exponent < text_.size() && std::isdigit(static_cast<unsigned char>(text_[exponent]))) {
                real = true;
                pos_ = exponent;
                digits();
            }
        }
        if (pos_ < text_.size() && (std::isalpha(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' ||
                                    text_[pos_] == '.')) {
            fail("malformed number");
        }
        const char* first = text_.data() + start;
        const char* last = text_.data() + pos_;
        Expression::Number value;
        if (real) {
            double d = 0;
            const auto [ptr, ec] = std::from_chars(first, last, d);
            if (ec != std::errc() || ptr != last || !std::isfinite(d)) {
                pos_ = start;
                fail("malformed number");
            }
            value = d;
        } else {
            std::int64_t i = 0;
            const auto [ptr, ec] = std::from_chars(first, last, i);
            if (ec == std::errc::result_out_of_range) {
                pos_ = start;
                fail("number too large");
            }
            value = i;
        }
        return std::make_shared<Node>(Node{Node::Kind::number, value, {}, nullptr, nullptr});
    }

    const std::string& text_;
    std::size_t pos_ = 0;
    int depth_ = 0;
    std::vector<std::string>* names_ = nullptr;
};

[[noreturn]] void overflow() { throw ExpressionError("integer overflow", 0); }

using Number = Expression::Number;

double real(const Number& n) {
    return std::holds_alternative<double>(n) ? std::get<double>(n) : static_cast<double>(std::get<std::int64_t>(n));
}

std::int64_t whole_power(std::int64_t base, std::int64_t exponent) {
    std::int64_t result = 1;
    while (exponent > 0) {
        if ((exponent & 1) != 0 && __builtin_mul_overflow(result, base, &result)) overflow();
        exponent >>= 1;
        if (exponent > 0 && __builtin_mul_overflow(base, base, &base)) overflow();
    }
    return result;
}

Number whole(const Node& node, std::int64_t a, std::int64_t b) {
    using K = Node::Kind;
    std::int64_t r = 0;
    switch (node.kind) {
        // The overflow check must run before r is read: no `f(check(&r), r)` (argument order is
        // unspecified, and GCC read r before computing it).
        case K::add:
            if (__builtin_add_overflow(a, b, &r)) overflow();
            return r;
        case K::subtract:
            if (__builtin_sub_overflow(a, b, &r)) overflow();
            return r;
        case K::multiply:
            if (__builtin_mul_overflow(a, b, &r)) overflow();
            return r;
        case K::floor_divide:
        case K::modulo: {
            if (b == 0) throw ExpressionError("division by zero", 0);
            if (a == std::numeric_limits<std::int64_t>::min() && b == -1) overflow();
            std::int64_t q = a / b;
            std::int64_t m = a % b;
            if (m != 0 && ((m < 0) != (b < 0))) {  // Python floors toward negative infinity
                --q;
                m += b;
            }
            return node.kind == K::floor_divide ? q : m;
        }
        case K::power:
            if (b >= 0) return whole_power(a, b);
            if (a == 0) throw ExpressionError("division by zero", 0);
            return std::pow(static_cast<double>(a), static_cast<double>(b));
        default: break;
    }
    throw ExpressionError("bad expression", 0);
}

Number real_valued(const Node& node, double a, double b) {
    using K = Node::Kind;
    switch (node.kind) {
        case K::add: return a + b;
        case K::subtract: return a - b;
        case K::multiply: return a * b;
        case K::divide:
            if (b == 0) throw ExpressionError("division by zero", 0);
            return a / b;
        case K::floor_divide:
            if (b == 0) throw ExpressionError("division by zero", 0);
            return std::floor(a / b);
        case K::modulo: {
            if (b == 0) throw ExpressionError("division by zero", 0);
            double m = std::fmod(a, b);
            if (m != 0 && ((m < 0) != (b < 0))) m += b;  // the sign of the divisor, as Python
            return m;
        }
        case K::power:
            if (a == 0 && b < 0) throw ExpressionError("division by zero", 0);
            if (a < 0 && b != std::floor(b)) throw ExpressionError("a negative number to a fractional power", 0);
            return std::pow(a, b);
        default: break;
    }
    throw ExpressionError("bad expression", 0);
}

Number eval(const Node& node, const Expression::Lookup& lookup) {
    using K = Node::Kind;
    if (node.kind == K::number) return node.value;
    if (node.kind == K::name) return lookup(node.name);
    const Number a = eval(*node.left, lookup);
    if (node.kind == K::negate) {
        if (std::holds_alternative<double>(a)) return -std::get<double>(a);
        if (std::get<std::int64_t>(a) == std::numeric_limits<std::int64_t>::min()) overflow();
        return -std::get<std::int64_t>(a);
    }
    const Number b = eval(*node.right, lookup);
    const bool whole_numbers = std::holds_alternative<std::int64_t>(a) && std::holds_alternative<std::int64_t>(b);
    const Number r = whole_numbers && node.kind != K::divide
                         ? whole(node, std::get<std::int64_t>(a), std::get<std::int64_t>(b))
                         : real_valued(node, real(a), real(b));
    if (std::holds_alternative<double>(r) && !std::isfinite(std::get<double>(r))) {
        throw ExpressionError("the result is too large for a real number", 0);
    }
    return r;
}

}  // namespace

Expression Expression::parse(const std::string& text) {
    // A chain of operators without nesting still makes one tree level per operator.
    if (text.size() > limits::max_expression_chars) {
        throw ExpressionError("longer than " + std::to_string(limits::max_expression_chars) + " characters", 0);
    }
    Expression e;
    e.text_ = text;
    Parser parser(e.text_);
    e.root_ = parser.parse_all(e.names_);
    return e;
}

Expression::Number Expression::evaluate(const Lookup& lookup) const { return eval(*root_, lookup); }

}  // namespace sr
