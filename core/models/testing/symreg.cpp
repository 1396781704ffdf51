// testing.symreg: symbolic regression, a fitness model for evolution sweeps that takes
// microseconds. A rule is scored against a target expression on a grid of inputs.
#include "core/models/testing/testing_models.hpp"
#include "core/symbolic/expression.hpp"

#include <chrono>
#include <cmath>
#include <thread>

namespace sr {
namespace {

symbolic::Expr parse_param(const Params& params, const char* key) {
    const std::string text = get_string(params, key);
    try {
        return symbolic::parse(text);
    } catch (const symbolic::ParseError& e) {
        throw ParamError(key, "cannot parse '" + text + "' at position " + std::to_string(e.position) + ": " +
                                  e.what());
    }
}

class SymregModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        for (const char* key : {"expr", "target"}) {
            try {
                symbolic::compile(parse_param(params, key), 2);
            } catch (const std::invalid_argument& e) {
                throw ParamError(key, e.what());
            }
        }
    }

    Result run(const Params& params, RunContext& context) const override {
        context.check_cancelled();
        const symbolic::Evaluator rule = symbolic::compile(parse_param(params, "expr"), 2);
        const symbolic::Evaluator target = symbolic::compile(parse_param(params, "target"), 2);
        const long long n = get_int(params, "points");
        double sum = 0;
        for (long long i = 0; i < n; ++i) {
            for (long long j = 0; j < n; ++j) {
                // x in [0.1, 2]: away from 0, where most rules divide.
                const double x[2] = {0.1 + 1.9 * static_cast<double>(i) / static_cast<double>(std::max(1LL, n - 1)),
                                     0.1 + 1.9 * static_cast<double>(j) / static_cast<double>(std::max(1LL, n - 1))};
                const double d = rule(x) - target(x);
                sum += d * d;
            }
        }
        const double mse = sum / static_cast<double>(n * n);
        if (const double seconds = get_real(params, "sleep_seconds"); seconds > 0) {
            std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
            context.check_cancelled();
        }
        Result result;
        // A rule undefined somewhere on the grid scores -inf (a NaN metric would fail the job).
        result.metrics["fitness"] = std::isfinite(mse) ? -mse : -INFINITY;
        return result;
    }

private:
    ModelInfo info_ = [] {
        ModelInfo info{
            "testing.symreg",
            1,
            "Symbolic regression for evolution sweeps: fitness = -mean squared error of `expr` against `target` "
            "on a points x points grid of (x_0, x_1) in [0.1, 2]^2 (-inf where it is undefined).",
            {
                {"expr", ParamType::string, "0", {}, {}, "the rule, sympy-style (x_0, x_1)"},
                {"target", ParamType::string, "x_0*x_1 - x_0", {}, {}, "the expression to find"},
                {"points", ParamType::integer, 8, 1, 1000, "grid points per input"},
                {"sleep_seconds", ParamType::real, 0.0, 0.0, 60.0, "extra time per job (tests of interruption)"},
            },
        };
        info.metrics_only = true;
        return info;
    }();
};

}  // namespace

ModelPtr make_testing_symreg_model() { return std::make_shared<SymregModel>(); }

}  // namespace sr
