#include "core/models/stdd/stdd_model.hpp"

#include "core/models/stdd/chain.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sr {
namespace {

using stdd::ChainParams;

ModelInfo make_info() {
    ModelInfo info;
    info.name = "stdd";
    info.version = 1;
    info.doc =
        "Exact spike-timing-difference distribution (STDD) of two coupled sampling neurons and its "
        "SAL updates, as sal-code's stddc.STDDMaker(psp, t_max, t_ref, t_syn, w_12, w_21, b_1, b_2). "
        "The weights and biases mean what the constructor's arguments mean: it swaps the labels, so "
        "w_12 here is the chain's w_21 (neuron 2 feeling neuron 1) and b_1 the chain's b_2.";
    info.params = {
        {"psp", ParamType::string, "rect", {}, {}, "PSP kernel: rect, exp, cutoff, tail or alpha (stddc/funcs.py)"},
        {"t_max", ParamType::integer, 30, 2, 2000, "ages 0 … t_max − 1 per neuron (t_max² chain states); the STDD covers |Δt| < t_max"},
        {"t_ref", ParamType::integer, 10, 1, 1999, "refractory period (steps), below t_max"},
        {"t_syn", ParamType::real, nullptr, 1e-9, 1e9, "PSP time constant (default t_ref; rect ignores it)"},
        {"w_12", ParamType::real, 0.0, -100.0, 100.0, "STDDMaker's w_12 argument (the chain's w_21)"},
        {"w_21", ParamType::real, 0.0, -100.0, 100.0, "STDDMaker's w_21 argument (the chain's w_12)"},
        {"b_1", ParamType::real, 0.0, -100.0, 100.0, "STDDMaker's b_1 argument (the chain's b_2)"},
        {"b_2", ParamType::real, 0.0, -100.0, 100.0, "STDDMaker's b_2 argument (the chain's b_1)"},
        {"middle", ParamType::string, "nan", {}, {}, "the Δt = 0 entry of the stored STDD: nan, zero or smooth (mean of its neighbours)"},
        {"window.a_plus", ParamType::real, -1.0, -1e6, 1e6, "SAL window amplitude for Δt > 0"},
        {"window.a_minus", ParamType::real, 1.0, -1e6, 1e6, "SAL window amplitude for Δt < 0"},
        {"window.tau_plus", ParamType::real, nullptr, 1e-9, 1e9, "SAL window width for Δt > 0 (default t_ref)"},
        {"window.tau_minus", ParamType::real, nullptr, 1e-9, 1e9, "SAL window width for Δt < 0 (default t_ref)"},
    };
    return info;
}

struct StddConfig {
    ChainParams chain;
    stdd::Middle middle = stdd::Middle::nan;
    stdd::SalWindow window;

    static StddConfig from_params(const Params& p) {
        StddConfig c;
        stdd::Psp psp;
        try {
            psp = stdd::parse_psp(get_string(p, "psp"));
        } catch (const std::invalid_argument& e) {
            throw ParamError("psp", e.what());
        }
        const int t_max = static_cast<int>(get_int(p, "t_max"));
        const int t_ref = static_cast<int>(get_int(p, "t_ref"));
        if (t_ref >= t_max) throw ParamError("t_ref", "must be below t_max (" + std::to_string(t_max) + ")");
        const double t_syn = has(p, "t_syn") ? get_real(p, "t_syn") : t_ref;
        c.chain = ChainParams::from_constructor(psp, t_max, t_ref, t_syn, get_real(p, "w_12"), get_real(p, "w_21"),
                                                get_real(p, "b_1"), get_real(p, "b_2"));
        const std::string middle = get_string(p, "middle");
        if (middle == "nan") {
            c.middle = stdd::Middle::nan;
        } else if (middle == "zero") {
            c.middle = stdd::Middle::zero;
        } else if (middle == "smooth") {
            c.middle = stdd::Middle::smooth;
        } else {
            throw ParamError("middle", "expected nan, zero or smooth, got '" + middle + "'");
        }
        c.window.a_plus = get_real(p, "window.a_plus");
        c.window.a_minus = get_real(p, "window.a_minus");
        c.window.tau_plus = has(p, "window.tau_plus") ? get_real(p, "window.tau_plus") : t_ref;
        c.window.tau_minus = has(p, "window.tau_minus") ? get_real(p, "window.tau_minus") : t_ref;
        return c;
    }
};

class StddModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override { StddConfig::from_params(params); }

    // Two sparse LU solves and 2·t_max sparse products over t_max² states: ~1.5 µs per state,
    // measured with bench_sal (t_max = 20: 0.6 ms).
    double estimate_cost(const Params& params) const override {
        const double t_max = static_cast<double>(get_int(params, "t_max"));
        return 1.5e-6 * t_max * t_max;
    }

    Result run(const Params& params, RunContext& context) const override {
        context.check_cancelled();
        const StddConfig c = StddConfig::from_params(params);
        const int t_max = c.chain.t_max;
        std::vector<double> values = stdd::stdd(c.chain, c.middle);
        const auto [sal_12, sal_21] = stdd::sal(values, t_max, c.window);

        Result result;
        result.metrics["sal_12"] = sal_12;
        result.metrics["sal_21"] = sal_21;
        // Each half's mass, mean lag and peak (the lag of its largest value).
        const auto half = [&](const std::string& side, int from, int to) {
            double mass = 0.0, moment = 0.0, peak = -1.0;
            int peak_at = 0;
            for (int k = from; k < to; ++k) {
                const double v = values[static_cast<std::size_t>(k)];
                const int dt = k - (t_max - 1);
                mass += v;
                moment += v * dt;
                if (v > peak) {
                    peak = v;
                    peak_at = dt;
                }
            }
            result.metrics["sum_" + side] = mass;
            result.metrics["mean_" + side] = moment / mass;
            result.metrics["max_" + side] = peak;
            result.metrics["argmax_" + side] = peak_at;
        };
        half("left", 0, t_max - 1);
        half("right", t_max, 2 * t_max - 1);
        std::vector<std::int64_t> times;
        for (int dt = -(t_max - 1); dt < t_max; ++dt) times.push_back(dt);
        const std::size_t n = values.size();
        result.arrays.emplace("stdd", Array::real({n}, std::move(values)));
        result.arrays.emplace("times", Array::integer({n}, std::move(times)));
        return result;
    }

private:
    ModelInfo info_ = make_info();
};

}  // namespace

ModelPtr make_stdd_model() { return std::make_shared<StddModel>(); }

}  // namespace sr
