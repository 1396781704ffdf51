#include "scheduler/expression.hpp"

#include "core/limits.hpp"

#include <cctype>
#include <limits>

namespace sr {

struct Expression::Node {
    enum class Kind { number, name, negate, add, subtract, multiply, floor_divide, modulo } kind;
    std::int64_t value = 0;
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
        return std::make_shared<Node>(Node{kind, 0, {}, std::move(left), std::move(right)});
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
            else if (accept("/")) fail("use // for integer division");
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
        else node = primary();
        --depth_;
        return node;
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
        if (std::isdigit(static_cast<unsigned char>(c))) {
            std::int64_t value = 0;
            while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
                const int digit = text_[pos_] - '0';
                if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) fail("number too large");
                value = value * 10 + digit;
                ++pos_;
            }
            if (pos_ < text_.size() && (text_[pos_] == '.' || std::isalpha(static_cast<unsigned char>(text_[pos_])))) {
                fail("only integers are allowed");
            }
            return std::make_shared<Node>(Node{Node::Kind::number, value, {}, nullptr, nullptr});
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
            return std::make_shared<Node>(Node{Node::Kind::name, 0, std::move(name), nullptr, nullptr});
        }
        fail("unexpected '" + std::string(1, c) + "'");
    }

    const std::string& text_;
    std::size_t pos_ = 0;
    int depth_ = 0;
    std::vector<std::string>* names_ = nullptr;
};

[[noreturn]] void overflow() { throw ExpressionError("integer overflow", 0); }

std::int64_t eval(const Node& node, const Expression::Lookup& lookup) {
    using K = Node::Kind;
    if (node.kind == K::number) return node.value;
    if (node.kind == K::name) return lookup(node.name);
    const std::int64_t a = eval(*node.left, lookup);
    if (node.kind == K::negate) {
        if (a == std::numeric_limits<std::int64_t>::min()) overflow();
        return -a;
    }
    const std::int64_t b = eval(*node.right, lookup);
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
        default: break;
    }
    throw ExpressionError("bad expression", 0);
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

std::int64_t Expression::evaluate(const Lookup& lookup) const { return eval(*root_, lookup); }

}  // namespace sr
