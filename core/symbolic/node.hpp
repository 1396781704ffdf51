#pragma once
// The tree behind symbolic::Expr (internal to core/symbolic; users go through expression.hpp).
#include "core/symbolic/expression.hpp"

namespace sr::symbolic {

// Kinds in canonical sort order: numbers first, sums last.
enum class Kind : std::uint8_t { number, zoo, nan, variable, pow, mul, add };

struct Node {
    Kind kind;
    double value = 0.0;  // number
    std::string name;    // variable
    // pow: {base, exponent}; mul: an optional number first, then factors in canonical order (no
    // two with the same base); add: terms in canonical order (no two equal up to a number factor),
    // an optional number last.
    std::vector<Expr> args;
};

// Total order on canonical trees (structural), -1 / 0 / +1.
int compare(const Expr& a, const Expr& b);

}  // namespace sr::symbolic
