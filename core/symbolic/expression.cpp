// Canonical construction and printing. The simplifications are those sympy applies automatically
// when it builds a sum, product or power (its "auto-evaluation"), which are also the ones that
// change values at singular points (x*y/x -> y, x - x -> 0, 0/0 -> nan, 1/0 -> zoo). See
// docs/symbolic.md.
#include "core/symbolic/node.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace sr::symbolic {
namespace {

Expr make(Kind kind, std::vector<Expr> args = {}) {
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->args = std::move(args);
    return node;
}

const Expr& zoo_expr() {
    static const Expr e = make(Kind::zoo);
    return e;
}
const Expr& nan_expr() {
    static const Expr e = make(Kind::nan);
    return e;
}

bool is_number(const Expr& e) { return e->kind == Kind::number; }
bool is_number(const Expr& e, double v) { return e->kind == Kind::number && e->value == v; }
bool is_integer(double v) { return std::isfinite(v) && v == std::floor(v); }

// Compares names with runs of digits by their value, so x_2 sorts before x_10.
int compare_names(const std::string& a, const std::string& b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        const bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
        const bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
        if (da && db) {
            std::size_t ie = i, je = j;
            while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
            while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
            // Strip leading zeros, then longer is larger, then lexicographic.
            std::size_t is = i, js = j;
            while (is + 1 < ie && a[is] == '0') ++is;
            while (js + 1 < je && b[js] == '0') ++js;
            if (ie - is != je - js) return ie - is < je - js ? -1 : 1;
            const int c = a.compare(is, ie - is, b, js, je - js);
            if (c != 0) return c < 0 ? -1 : 1;
            i = ie;
            j = je;
        } else {
            if (a[i] != b[j]) return a[i] < b[j] ? -1 : 1;
            ++i;
            ++j;
        }
    }
    if (i < a.size() || j < b.size()) return i < a.size() ? 1 : -1;
    return a == b ? 0 : (a < b ? -1 : 1);
}

// A product split into its number factor and the rest (the rest is 1 for a plain number).
struct Coefficient {
    double coefficient;
    Expr rest;
};

Coefficient split_coefficient(const Expr& e) {
    if (e->kind == Kind::mul && is_number(e->args.front())) {
        std::vector<Expr> rest(e->args.begin() + 1, e->args.end());
        if (rest.size() == 1) return {e->args.front()->value, rest.front()};
        return {e->args.front()->value, make(Kind::mul, std::move(rest))};
    }
    return {1.0, e};
}

// coefficient * rest, where rest is a non-number factor or product without a number factor.
Expr with_coefficient(double coefficient, const Expr& rest) {
    if (coefficient == 1.0) return rest;
    std::vector<Expr> args{number(coefficient)};
    if (rest->kind == Kind::mul) {
        args.insert(args.end(), rest->args.begin(), rest->args.end());
    } else {
        args.push_back(rest);
    }
    return make(Kind::mul, std::move(args));
}

Expr make_add(std::vector<Expr> terms);
Coefficient split_content(const Expr& sum);
Expr make_mul(std::vector<Expr> factors);
Expr make_pow(const Expr& base, const Expr& exponent);

// A sum as scale * monic sum, where the monic sum's first term has number factor 1.
Coefficient split_content(const Expr& sum) {
    const double scale = split_coefficient(sum->args.front()).coefficient;
    if (scale == 1.0 || !std::isfinite(scale)) return {1.0, sum};
    std::vector<Expr> terms;
    for (const Expr& t : sum->args) {
        if (is_number(t)) {
            terms.push_back(number(t->value / scale));
        } else {
            const Coefficient c = split_coefficient(t);
            terms.push_back(with_coefficient(c.coefficient / scale, c.rest));
        }
    }
    return {scale, make_add(std::move(terms))};
}

Expr make_add(std::vector<Expr> terms) {
    std::vector<Expr> flat;
    for (const Expr& t : terms) {
        if (t->kind == Kind::add) {
            flat.insert(flat.end(), t->args.begin(), t->args.end());
        } else {
            flat.push_back(t);
        }
    }
    double constant = 0.0;
    int zoos = 0;
    std::vector<Coefficient> parts;
    for (const Expr& t : flat) {
        if (t->kind == Kind::nan) return nan_expr();
        if (t->kind == Kind::zoo) {
            ++zoos;
        } else if (is_number(t)) {
            constant += t->value;
        } else {
            parts.push_back(split_coefficient(t));
        }
    }
    // sympy: zoo + zoo = nan, zoo + finite = zoo (an expression holding zoo scores -inf anyway).
    if (zoos > 1 || (zoos == 1 && std::isinf(constant))) return nan_expr();
    if (zoos == 1) return zoo_expr();
    if (std::isnan(constant)) return nan_expr();
    std::stable_sort(parts.begin(), parts.end(), [](const Coefficient& a, const Coefficient& b) {
        return compare(a.rest, b.rest) < 0;
    });
    std::vector<Expr> out;
    for (std::size_t i = 0; i < parts.size();) {
        double c = parts[i].coefficient;
        std::size_t j = i + 1;
        while (j < parts.size() && compare(parts[i].rest, parts[j].rest) == 0) c += parts[j++].coefficient;
        if (std::isnan(c)) return nan_expr();
        if (c != 0.0) out.push_back(with_coefficient(c, parts[i].rest));
        i = j;
    }
    if (constant != 0.0 || out.empty()) out.push_back(number(constant));
    if (out.size() == 1) return out.front();
    return make(Kind::add, std::move(out));
}

Expr make_mul(std::vector<Expr> factors) {
    std::vector<Expr> flat;
    for (const Expr& f : factors) {
        if (f->kind == Kind::mul) {
            flat.insert(flat.end(), f->args.begin(), f->args.end());
        } else {
            flat.push_back(f);
        }
    }
    double coefficient = 1.0;
    bool zoo = false;
    // A sum factor is kept monic (its first term's number factor moved into the product's), so a
    // product has one form however its factors were grouped: (2*x + 2)*y = 2*(x + 1)*y.
    for (Expr& f : flat) {
        if (f->kind != Kind::add) continue;
        const auto [scale, monic] = split_content(f);
        coefficient *= scale;
        f = monic;
    }
    struct Power {
        Expr base;
        Expr exponent;
    };
    std::vector<Power> powers;
    for (const Expr& f : flat) {
        if (f->kind == Kind::nan) return nan_expr();
        if (f->kind == Kind::zoo) {
            zoo = true;
        } else if (is_number(f)) {
            coefficient *= f->value;
        } else if (f->kind == Kind::pow) {
            powers.push_back({f->args[0], f->args[1]});
        } else {
            powers.push_back({f, number(1.0)});
        }
    }
    if (std::isnan(coefficient)) return nan_expr();
    // sympy: zoo*0 = nan; zoo times anything else stays zoo-valued.
    if (zoo) return coefficient == 0.0 ? nan_expr() : zoo_expr();
    // sympy: 0*x = 0 for any finite x (here: any expression without zoo).
    if (coefficient == 0.0) return number(0.0);
    std::stable_sort(powers.begin(), powers.end(),
                     [](const Power& a, const Power& b) { return compare(a.base, b.base) < 0; });
    std::vector<Expr> rebuilt;
    bool again = false;  // a merged power became a number or product: flatten once more
    for (std::size_t i = 0; i < powers.size();) {
        std::vector<Expr> exponents{powers[i].exponent};
        std::size_t j = i + 1;
        while (j < powers.size() && compare(powers[i].base, powers[j].base) == 0) {
            exponents.push_back(powers[j++].exponent);
        }
        const Expr p = exponents.size() == 1 ? make_pow(powers[i].base, exponents.front())
                                             : make_pow(powers[i].base, make_add(exponents));
        if (j - i > 1 && (p->kind == Kind::number || p->kind == Kind::mul || p->kind == Kind::zoo ||
                          p->kind == Kind::nan)) {
            again = true;
        }
        rebuilt.push_back(p);
        i = j;
    }
    if (again) {
        rebuilt.push_back(number(coefficient));
        return make_mul(std::move(rebuilt));
    }
    if (rebuilt.empty()) return number(coefficient);
    // sympy distributes a number over a sum: 2*(x + 1) -> 2*x + 2.
    if (rebuilt.size() == 1 && rebuilt.front()->kind == Kind::add) {
        if (coefficient == 1.0) return rebuilt.front();
        std::vector<Expr> terms;
        for (const Expr& t : rebuilt.front()->args) terms.push_back(make_mul({number(coefficient), t}));
        return make_add(std::move(terms));
    }
    if (coefficient == 1.0 && rebuilt.size() == 1) return rebuilt.front();
    std::vector<Expr> args;
    if (coefficient != 1.0) args.push_back(number(coefficient));
    args.insert(args.end(), rebuilt.begin(), rebuilt.end());
    return make(Kind::mul, std::move(args));
}

Expr make_pow(const Expr& base, const Expr& exponent) {
    if (base->kind == Kind::nan || exponent->kind == Kind::nan) return nan_expr();
    if (is_number(exponent, 0.0)) return number(1.0);  // sympy: x**0 = 1, also 0**0 and zoo**0
    if (is_number(exponent, 1.0)) return base;
    if (exponent->kind == Kind::zoo) return nan_expr();
    if (base->kind == Kind::zoo) {
        if (!is_number(exponent)) return zoo_expr();
        return exponent->value > 0 ? zoo_expr() : number(0.0);
    }
    if (is_number(base, 1.0)) return number(1.0);
    if (is_number(base) && is_number(exponent)) {
        const double b = base->value, e = exponent->value;
        if (b == 0.0) return e > 0 ? number(0.0) : zoo_expr();
        // A negative base with a non-integer exponent is complex (sympy writes it with I); it
        // stays a power and the evaluator computes it in complex arithmetic.
        if (!(b < 0 && !is_integer(e))) return number(std::pow(b, e));
    }
    if (is_number(exponent) && is_integer(exponent->value)) {
        // (2*x + 2)**n = 2**n*(x + 1)**n: powers of one sum merge in products whatever its scale.
        if (base->kind == Kind::add) {
            const auto [scale, monic] = split_content(base);
            if (scale != 1.0) return make_mul({make_pow(number(scale), exponent), make_pow(monic, exponent)});
        }
        // sympy: (x**a)**n = x**(a*n) and (x*y)**n = x**n*y**n for integer n.
        if (base->kind == Kind::pow) return make_pow(base->args[0], make_mul({base->args[1], exponent}));
        if (base->kind == Kind::mul) {
            std::vector<Expr> factors;
            for (const Expr& f : base->args) factors.push_back(make_pow(f, exponent));
            return make_mul(std::move(factors));
        }
    }
    return make(Kind::pow, {base, exponent});
}

// ---- printing ----

std::string format_number(double v) {
    if (std::isinf(v)) return v > 0 ? "oo" : "-oo";
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
    return std::string(buffer, result.ptr);
}

std::string print(const Expr& e);

// Atoms print bare as a power's base or exponent; everything else in parentheses.
std::string print_operand(const Expr& e) {
    const bool atom = e->kind == Kind::variable || e->kind == Kind::zoo || e->kind == Kind::nan ||
                      (is_number(e) && e->value >= 0 && !std::isinf(e->value));
    return atom ? print(e) : "(" + print(e) + ")";
}

std::string print_power(const Expr& base, const Expr& exponent) {
    if (is_number(exponent, 1.0)) return base->kind == Kind::add ? "(" + print(base) + ")" : print(base);
    return print_operand(base) + "**" + print_operand(exponent);
}

// A product (or single power) as coefficient, numerator and denominator, like sympy prints it.
std::string print_product(double coefficient, const std::vector<Expr>& factors) {
    std::vector<std::string> numerator, denominator;
    for (const Expr& f : factors) {
        if (f->kind == Kind::pow && is_number(f->args[1]) && f->args[1]->value < 0) {
            denominator.push_back(print_power(f->args[0], number(-f->args[1]->value)));
        } else if (f->kind == Kind::add) {
            numerator.push_back("(" + print(f) + ")");
        } else {
            numerator.push_back(f->kind == Kind::pow ? print_power(f->args[0], f->args[1]) : print(f));
        }
    }
    std::string out;
    if (numerator.empty()) {
        out = format_number(coefficient);
    } else {
        if (coefficient == -1.0) {
            out = "-";
        } else if (coefficient != 1.0) {
            out = format_number(coefficient) + "*";
        }
        for (std::size_t i = 0; i < numerator.size(); ++i) out += (i ? "*" : "") + numerator[i];
    }
    // Each denominator entry is one operand (an atom, a parenthesis or base**k), so '/' binds it.
    if (denominator.size() == 1) {
        out += "/" + denominator.front();
    } else if (!denominator.empty()) {
        out += "/(";
        for (std::size_t i = 0; i < denominator.size(); ++i) out += (i ? "*" : "") + denominator[i];
        out += ")";
    }
    return out;
}

std::string print(const Expr& e) {
    switch (e->kind) {
        case Kind::number: return format_number(e->value);
        case Kind::zoo: return "zoo";
        case Kind::nan: return "nan";
        case Kind::variable: return e->name;
        case Kind::pow: return print_product(1.0, {e});
        case Kind::mul: {
            const Coefficient c = split_coefficient(e);
            return print_product(c.coefficient,
                                 c.rest->kind == Kind::mul ? c.rest->args : std::vector<Expr>{c.rest});
        }
        case Kind::add: {
            std::string out;
            for (std::size_t i = 0; i < e->args.size(); ++i) {
                std::string term = print(e->args[i]);
                if (i == 0) {
                    out = term;
                } else if (term.front() == '-') {
                    out += " - " + term.substr(1);
                } else {
                    out += " + " + term;
                }
            }
            return out;
        }
    }
    return {};
}

void collect_variables(const Expr& e, std::vector<Expr>& out) {
    if (e->kind == Kind::variable) {
        out.push_back(e);
        return;
    }
    for (const Expr& a : e->args) collect_variables(a, out);
}

}  // namespace

int compare(const Expr& a, const Expr& b) {
    if (a == b) return 0;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    switch (a->kind) {
        case Kind::number:
            if (a->value == b->value) return 0;
            return a->value < b->value ? -1 : 1;
        case Kind::zoo:
        case Kind::nan: return 0;
        case Kind::variable: return compare_names(a->name, b->name);
        default: break;
    }
    const std::size_t n = std::min(a->args.size(), b->args.size());
    for (std::size_t i = 0; i < n; ++i) {
        const int c = compare(a->args[i], b->args[i]);
        if (c != 0) return c;
    }
    if (a->args.size() == b->args.size()) return 0;
    return a->args.size() < b->args.size() ? -1 : 1;
}

Expr number(double value) {
    if (std::isnan(value)) return nan_expr();
    auto node = std::make_shared<Node>();
    node->kind = Kind::number;
    node->value = value == 0.0 ? 0.0 : value;  // -0.0 and 0.0 are one number (one key)
    return node;
}

Expr variable(std::string name) {
    auto node = std::make_shared<Node>();
    node->kind = Kind::variable;
    node->name = std::move(name);
    return node;
}

Expr add(const Expr& a, const Expr& b) { return make_add({a, b}); }
Expr sub(const Expr& a, const Expr& b) { return make_add({a, make_mul({number(-1.0), b})}); }
Expr mul(const Expr& a, const Expr& b) { return make_mul({a, b}); }
Expr div(const Expr& a, const Expr& b) { return make_mul({a, make_pow(b, number(-1.0))}); }
Expr pow(const Expr& base, const Expr& exponent) { return make_pow(base, exponent); }

std::string canonical_string(const Expr& expr) { return print(expr); }

bool is_invalid(const Expr& expr) {
    if (expr->kind == Kind::zoo || expr->kind == Kind::nan) return true;
    return std::any_of(expr->args.begin(), expr->args.end(), [](const Expr& a) { return is_invalid(a); });
}

std::vector<std::string> variables(const Expr& expr) {
    std::vector<Expr> found;
    collect_variables(expr, found);
    std::sort(found.begin(), found.end(), [](const Expr& a, const Expr& b) { return compare(a, b) < 0; });
    std::vector<std::string> names;
    for (const Expr& v : found) {
        if (names.empty() || names.back() != v->name) names.push_back(v->name);
    }
    return names;
}

}  // namespace sr::symbolic
