#pragma once
// The `derive:` language: integers, names (index, dotted parameter keys), + - * // % and
// parentheses, with Python's floor semantics for // and %. Parsed once, evaluated per job; no shell,
// no eval, no loops.
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
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

    // `lookup` returns the integer value of a name or throws ExpressionError with its reason.
    using Lookup = std::function<std::int64_t(const std::string& name)>;
    std::int64_t evaluate(const Lookup& lookup) const;

    const std::vector<std::string>& names() const { return names_; }
    const std::string& text() const { return text_; }

    struct Node;

private:
    std::string text_;
    std::shared_ptr<const Node> root_;
    std::vector<std::string> names_;
};

}  // namespace sr
