#pragma once
// The `derive:` language: numbers (42, 0.5, 1e-3), names (index, dotted parameter keys),
// + - * / // % ** and parentheses, with Python's semantics: whole numbers stay whole (with an error
// on overflow) unless a real number or `/` is involved, // and % floor, ** binds tighter than a
// sign on its left. Parsed once, evaluated per job; no shell, no eval, no loops.
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace sr {

struct ExpressionError : std::runtime_error {
    ExpressionError(const std::string& reason, std::size_t position)
        : std::runtime_error(reason), position(position) {}
    std::size_t position;  // offset into the expression text
};

class Expression {
public:
    // Throws ExpressionError on a syntax error.
    static Expression parse(const std::string& text);

    // A whole or a real number (never NaN or infinite: evaluation throws instead).
    using Number = std::variant<std::int64_t, double>;
    // `lookup` returns the value of a name or throws ExpressionError with its reason.
    using Lookup = std::function<Number(const std::string& name)>;
    Number evaluate(const Lookup& lookup) const;

    const std::vector<std::string>& names() const { return names_; }
    const std::string& text() const { return text_; }

    struct Node;

private:
    std::string text_;
    std::shared_ptr<const Node> root_;
    std::vector<std::string> names_;
};

}  // namespace sr
