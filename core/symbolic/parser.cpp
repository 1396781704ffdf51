// Recursive descent over Python's precedence: sum < product < unary sign < power; ** is right
// associative and its exponent may carry a sign (2**-1), so -x**2 is -(x**2) as in sympy.
#include "core/symbolic/node.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace sr::symbolic {
namespace {

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Expr parse_all() {
        Expr e = parse_sum();
        skip_space();
        if (pos_ != text_.size()) fail("unexpected '" + std::string(1, text_[pos_]) + "'");
        return e;
    }

private:
    [[noreturn]] void fail(const std::string& reason) const {
        throw ParseError("expression \"" + std::string(text_) + "\": " + reason + " at offset " +
                             std::to_string(pos_),
                         pos_);
    }

    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }

    bool accept(std::string_view token) {
        skip_space();
        if (text_.substr(pos_, token.size()) != token) return false;
        // '*' must not swallow the first half of '**'.
        if (token == "*" && text_.substr(pos_, 2) == "**") return false;
        pos_ += token.size();
        return true;
    }

    Expr parse_sum() {
        Expr e = parse_product();
        for (;;) {
            if (accept("+")) {
                e = add(e, parse_product());
            } else if (accept("-")) {
                e = sub(e, parse_product());
            } else {
                return e;
            }
        }
    }

    Expr parse_product() {
        Expr e = parse_unary();
        for (;;) {
            if (accept("*")) {
                e = mul(e, parse_unary());
            } else if (accept("/")) {
                e = div(e, parse_unary());
            } else {
                return e;
            }
        }
    }

    Expr parse_unary() {
        if (accept("-")) return mul(number(-1.0), parse_unary());
        if (accept("+")) return parse_unary();
        return parse_power();
    }

    Expr parse_power() {
        Expr base = parse_atom();
        if (accept("**")) return pow(base, parse_unary());
        return base;
    }

    Expr parse_atom() {
        skip_space();
        if (pos_ == text_.size()) fail("expression ends early");
        const char c = text_[pos_];
        if (c == '(') {
            ++pos_;
            Expr e = parse_sum();
            if (!accept(")")) fail("missing ')'");
            return e;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return parse_number();
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            const std::size_t start = pos_;
            while (pos_ < text_.size() &&
                   (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
                ++pos_;
            }
            const std::string name(text_.substr(start, pos_ - start));
            // sympy's printed special values.
            if (name == "zoo") return div(number(1.0), number(0.0));
            if (name == "nan") return number(std::numeric_limits<double>::quiet_NaN());
            if (name == "oo") return number(std::numeric_limits<double>::infinity());
            if (name == "I") return pow(number(-1.0), number(0.5));
            return variable(name);
        }
        fail("unexpected '" + std::string(1, c) + "'");
    }

    Expr parse_number() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() &&
               (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.')) {
            ++pos_;
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            std::size_t p = pos_ + 1;
            if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
            if (p < text_.size() && std::isdigit(static_cast<unsigned char>(text_[p]))) {
                pos_ = p;
                while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
            }
        }
        double value = 0.0;
        const char* first = text_.data() + start;
        const char* last = text_.data() + pos_;
        const auto result = std::from_chars(first, last, value);
        if (result.ec != std::errc() || result.ptr != last) {
            pos_ = start;
            fail("bad number '" + std::string(text_.substr(start, last - first)) + "'");
        }
        return number(value);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

Expr parse(std::string_view text) { return Parser(text).parse_all(); }

}  // namespace sr::symbolic
