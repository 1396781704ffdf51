#include "core/models/e2l/e2l_model.hpp"

#include "core/models/e2l/correlation.hpp"
#include "core/models/e2l/model_support.hpp"
#include "core/symbolic/expression.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

namespace sr {
namespace {

using e2l::CorrelationConfig;
using e2l::CorrelationTrial;

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53

// ---- inputs ----

// One trial's inputs as loaded (file or generator), shared between jobs of one process: an
// evolution scores thousands of rules on the same trials.
struct LoadedTrial {
    std::vector<e2l::GridEvent> events;
    std::int32_t n_inputs = 0;
    std::optional<double> w0;                       // file: the trial's attribute
    std::vector<double> window_start, window_stop;  // generator only
};
struct LoadedGroup {
    std::vector<double> window_start, window_stop, V_m_init_learn, V_m_init_snr, w0;
    std::optional<double> w0_attribute;
};

std::shared_ptr<const LoadedGroup> load_group(const std::string& path, const std::string& group) {
    return e2l::cached<LoadedGroup>(e2l::input_file_key(path) + "|" + group, [&] {
        e2l::Hdf5Reader file(path);
        if (!file.exists("/" + group)) throw ParamError("inputs.group", path + ": no group '/" + group + "'");
        LoadedGroup g;
        const std::string root = "/" + group + "/";
        auto optional_reals = [&](const std::string& name) {
            return file.exists(root + name) ? file.reals(root + name) : std::vector<double>{};
        };
        g.window_start = optional_reals("snr_window_start");
        g.window_stop = optional_reals("snr_window_stop");
        g.V_m_init_learn = optional_reals("V_m_init_learn");
        g.V_m_init_snr = optional_reals("V_m_init_snr");
        g.w0 = optional_reals("w0");
        g.w0_attribute = file.attribute("/" + group, "w0");
        return g;
    });
}

std::shared_ptr<const LoadedTrial> load_trial(const std::string& path, const std::string& group, int trial,
                                              double resolution) {
    const std::string name = "/" + group + "/trial_" + std::to_string(trial);
    return e2l::cached<LoadedTrial>(e2l::input_file_key(path) + "|" + name + "|" + std::to_string(resolution), [&] {
        e2l::Hdf5Reader file(path);
        if (!file.exists(name)) throw ParamError("inputs.trials", path + ": no group '" + name + "'");
        LoadedTrial t;
        const e2l::SpikeTrains trains = file.trains(name);
        t.events = e2l::grid_events(trains, e2l::Grid(resolution));
        t.n_inputs = static_cast<std::int32_t>(trains.size());
        t.w0 = file.attribute(name, "w0");
        return t;
    });
}

e2l::PatternTaskParams task_params(const Params& params) {
    e2l::PatternTaskParams p;
    p.n_inputs = static_cast<int>(get_int(params, "task.Npre"));
    p.T = get_real(params, "T_learn");
    p.T_stim = get_real(params, "task.T_stim");
    p.T_inter = get_real(params, "task.T_inter");
    p.rate = get_real(params, "task.bg_rate");
    return p;
}

std::shared_ptr<const LoadedTrial> generate_trial(const Params& params, int trial, double resolution) {
    const e2l::PatternTaskParams p = task_params(params);
    const auto seed = static_cast<std::uint64_t>(get_int(params, "inputs.seed"));
    const std::string key = "generated|" + std::to_string(seed) + "|" + std::to_string(trial) + "|" +
                            std::to_string(p.n_inputs) + "|" + std::to_string(p.T) + "|" + std::to_string(p.T_stim) +
                            "|" + std::to_string(p.T_inter) + "|" + std::to_string(p.rate) + "|" + std::to_string(resolution);
    return e2l::cached<LoadedTrial>(key, [&] {
        Rng rng({seed, static_cast<std::uint64_t>(trial), 1});
        e2l::GeneratedInput input = e2l::generate_pattern_input(p, rng);
        LoadedTrial t;
        t.events = e2l::grid_events(input.trains, e2l::Grid(resolution));
        t.n_inputs = p.n_inputs;
        t.window_start = std::move(input.window_start);
        t.window_stop = std::move(input.window_stop);
        return t;
    });
}

// A per-trial value: the parameter if given, else a file dataset of length 1 (all trials) or
// indexed by trial number.
double per_trial(const Params& params, const std::string& key, const std::vector<double>& stored, int trial,
                 const std::string& path) {
    if (has(params, key)) return get_real(params, key);
    if (stored.size() == 1) return stored.front();
    if (trial < static_cast<int>(stored.size())) return stored[static_cast<std::size_t>(trial)];
    throw ParamError(key, path + " has no value for trial " + std::to_string(trial) + "; give " + key);
}

struct Setup {
    CorrelationConfig config;
    std::vector<CorrelationTrial> trials;
    std::vector<std::shared_ptr<const LoadedTrial>> keep_alive;  // trials' events are borrowed
};

CorrelationConfig config_from(const Params& params) {
    CorrelationConfig c;
    c.resolution = get_real(params, "resolution");
    c.T_learn = get_real(params, "T_learn");
    c.T_snr = get_real(params, "T_snr");
    c.V_th_snr = get_real(params, "V_th_snr");
    c.input_delay = get_real(params, "input_delay");
    c.tau_minus = get_real(params, "neuron.tau_minus");
    c.neuron.tau_m = get_real(params, "neuron.tau_m");
    c.neuron.C_m = get_real(params, "neuron.C_m");
    c.neuron.t_ref = get_real(params, "neuron.t_ref");
    c.neuron.E_L = get_real(params, "neuron.E_L");
    c.neuron.V_th = get_real(params, "neuron.V_th");
    c.neuron.V_reset = get_real(params, "neuron.V_reset");
    c.synapse.tau_plus = get_real(params, "synapse.tau_plus");
    c.synapse.lambda = get_real(params, "synapse.lambda");
    c.synapse.alpha = get_real(params, "synapse.alpha");
    c.synapse.Wmax = get_real(params, "synapse.Wmax");
    c.synapse.delay = get_real(params, "synapse.delay");
    c.snr_ddof = static_cast<int>(get_int(params, "snr.ddof"));
    const e2l::Grid grid(c.resolution);
    for (const char* key : {"input_delay", "synapse.delay"}) {
        const double d = get_real(params, key);
        if (grid.steps(d) < 1 || std::abs(grid.ms(grid.steps(d)) - d) > 1e-9) {
            throw ParamError(key, "must be a positive multiple of the resolution");
        }
    }
    return c;
}

void check_windows(const std::vector<double>& start, const std::vector<double>& stop, const std::string& where) {
    bool ok = start.size() == stop.size() && !start.empty();
    for (std::size_t k = 0; ok && k < start.size(); ++k) {
        ok = start[k] < stop[k] && (k == 0 || stop[k - 1] <= start[k]);
    }
    if (!ok) throw ParamError("inputs.file", where + ": SNR windows must be ascending, disjoint and non-empty");
}

Setup make_setup(const Params& params) {
    Setup s;
    s.config = config_from(params);
    const std::vector<int> numbers = e2l::input_numbers(params, "inputs.trials", "trial");
    if (has(params, "inputs.file")) {
        const std::string path = get_string(params, "inputs.file");
        const std::string group = get_string(params, "inputs.group");
        const auto g = load_group(path, group);
        if (!g->window_start.empty()) {
            s.config.window_start = g->window_start;
            s.config.window_stop = g->window_stop;
        } else {
            e2l::PatternTaskParams p = task_params(params);
            for (double t = 0.1 + p.T_inter; t < p.T; t += p.T_stim + p.T_inter) {
                s.config.window_start.push_back(t);
                s.config.window_stop.push_back(t + p.T_stim);
            }
        }
        check_windows(s.config.window_start, s.config.window_stop, path);
        for (const int i : numbers) {
            const auto loaded = load_trial(path, group, i, s.config.resolution);
            CorrelationTrial t;
            t.events = loaded->events;
            t.n_inputs = loaded->n_inputs;
            // The evolution stores one draw per trial (dataset and trial attribute), the
            // validation none (it uses 0.5; a group attribute also works).
            if (has(params, "w0") || !g->w0.empty()) {
                t.w0 = per_trial(params, "w0", g->w0, i, path);
            } else if (loaded->w0 || g->w0_attribute) {
                t.w0 = loaded->w0 ? *loaded->w0 : *g->w0_attribute;
            } else {
                throw ParamError("w0", path + " stores no initial weight for " + group + " trial " + std::to_string(i) + "; give w0");
            }
            t.V_m_init_learn = per_trial(params, "V_m_init_learn", g->V_m_init_learn, i, path);
            t.V_m_init_snr = per_trial(params, "V_m_init_snr", g->V_m_init_snr, i, path);
            s.trials.push_back(std::move(t));
            s.keep_alive.push_back(loaded);
        }
    } else {
        // Our own draws, in the reference's roles: w0 ~ N(w0_mean, 0.1) per trial with main.py's
        // mean for a ~20 Hz start, V_m ~ N(0, 10) mV.
        const e2l::PatternTaskParams p = task_params(params);
        const double w0_mean = s.config.neuron.V_th /
                               (p.n_inputs * p.rate - 2.0 * std::sqrt(p.n_inputs * p.rate)) /
                               (s.config.neuron.tau_m * 1e-3);
        for (const int i : numbers) {
            const auto loaded = generate_trial(params, i, s.config.resolution);
            if (i == numbers.front()) {
                s.config.window_start = loaded->window_start;
                s.config.window_stop = loaded->window_stop;
            }
            Rng rng({static_cast<std::uint64_t>(get_int(params, "inputs.seed")), static_cast<std::uint64_t>(i), 2});
            CorrelationTrial t;
            t.events = loaded->events;
            t.n_inputs = loaded->n_inputs;
            t.w0 = rng.normal(w0_mean, 0.1);
            t.V_m_init_learn = rng.normal(0.0, 10.0);
            t.V_m_init_snr = t.V_m_init_learn;
            if (has(params, "w0")) t.w0 = get_real(params, "w0");
            if (has(params, "V_m_init_learn")) t.V_m_init_learn = get_real(params, "V_m_init_learn");
            if (has(params, "V_m_init_snr")) t.V_m_init_snr = get_real(params, "V_m_init_snr");
            s.trials.push_back(std::move(t));
            s.keep_alive.push_back(loaded);
        }
    }
    return s;
}

symbolic::Expr parse_rule(const Params& params, const std::string& key) {
    try {
        return symbolic::parse(get_string(params, key));
    } catch (const symbolic::ParseError& e) {
        throw ParamError(key, e.what());
    }
}

void check_variables(const symbolic::Expr& e, const std::string& key) {
    for (const std::string& v : symbolic::variables(e)) {
        if (v != "x_0" && v != "x_1") {
            throw ParamError(key, "unknown variable '" + v + "' (the variables are x_0 = w/Wmax and x_1 = trace)");
        }
    }
}

// ---- model ----

ModelInfo make_info() {
    ModelInfo info;
    info.name = "e2l.correlation";
    info.version = 1;
    info.doc =
        "Correlation-driven task of e2l-cgp-snn (Fig. 5): a plasticity rule pair (rule.depress, "
        "rule.facilitate; sympy-style expressions of x_0 = w/Wmax and x_1 = trace) learns for "
        "T_learn on 1000 inputs with an embedded frozen pattern; fitness is the minimum over trials "
        "of the membrane SNR of a neuron driven by the learned weights. Inputs from a file in the "
        "reference fixtures' layout (inputs.file) or generated from inputs.seed.";
    info.params = {
        {"rule.depress", ParamType::string, "0", {}, {}, "depression increment (evaluated once per presynaptic spike with the postsynaptic trace)"},
        {"rule.facilitate", ParamType::string, "0", {}, {}, "facilitation increment (once per postsynaptic spike, with the presynaptic trace)"},
        {"inputs.file", ParamType::string, nullptr, {}, {}, "HDF5 file in the layout of ../shared/reference/e2l/correlation.h5; absent: generate from inputs.seed"},
        {"inputs.group", ParamType::string, "evolution", {}, {}, "group of the file: evolution or validation"},
        {"inputs.trials", ParamType::real_list, Json::array({0, 1, 2, 3, 4, 5, 6, 7}), {}, {}, "trial numbers (groups trial_<i>); the fitness is the minimum SNR over them"},
        {"inputs.seed", ParamType::integer, 0, 0, kMaxSeed, "seed of generated inputs, initial weights and potentials (without inputs.file)"},
        {"task.Npre", ParamType::integer, 1000, 1, 1e6, "inputs (generated inputs)"},
        {"task.T_stim", ParamType::real, 100.0, 0.1, 1e7, "pattern length, ms"},
        {"task.T_inter", ParamType::real, 400.0, 0.1, 1e7, "time between patterns, ms"},
        {"task.bg_rate", ParamType::real, 3.0, 0.0, 1e4, "input rate, Hz (generated inputs)"},
        {"w0", ParamType::real, nullptr, {}, {}, "initial weight of every synapse (default: the file's per-trial w0; validation uses 0.5)"},
        {"V_m_init_learn", ParamType::real, nullptr, {}, {}, "initial V_m of the learning run, mV (default: from the file)"},
        {"V_m_init_snr", ParamType::real, nullptr, {}, {}, "initial V_m of the SNR run, mV (default: from the file, per trial in validation)"},
        {"T_learn", ParamType::real, 100000.0, 0.1, 1e9, "learning time, ms"},
        {"T_snr", ParamType::real, 11000.0, 0.1, 1e9, "SNR run time, ms (validation: 31000)"},
        {"V_th_snr", ParamType::real, 20000.0, {}, {}, "threshold of the SNR run, mV (never reached)"},
        {"snr.ddof", ParamType::integer, 1, 0, 1, "delta degrees of freedom of the inter-stimulus std: 1 (pandas, evolution) or 0 (numpy, validation)"},
        {"resolution", ParamType::real, 0.1, 0.001, 10.0, "simulation step, ms"},
        {"input_delay", ParamType::real, 1.0, 0.001, 1e3, "spike_generator -> parrot delay, ms"},
        {"neuron.tau_m", ParamType::real, 18.0, 1e-3, 1e6, "membrane time constant, ms"},
        {"neuron.C_m", ParamType::real, 250.0, 1e-6, 1e9, "capacitance, pF (NEST default; no current input here)"},
        {"neuron.t_ref", ParamType::real, 2.0, 0.0, 1e6, "refractory time, ms (NEST default)"},
        {"neuron.E_L", ParamType::real, 0.0, {}, {}, "resting potential, mV"},
        {"neuron.V_th", ParamType::real, 20.0, {}, {}, "threshold of the learning run, mV"},
        {"neuron.V_reset", ParamType::real, 0.0, {}, {}, "reset potential, mV"},
        {"neuron.tau_minus", ParamType::real, 20.0, 1e-6, 1e6, "postsynaptic STDP trace time constant, ms (NEST default)"},
        {"synapse.tau_plus", ParamType::real, 20.0, 1e-6, 1e6, "presynaptic trace time constant, ms"},
        {"synapse.lambda", ParamType::real, 0.01, {}, {}, "learning rate (module default)"},
        {"synapse.alpha", ParamType::real, 1.0, {}, {}, "depression scale (module default)"},
        {"synapse.Wmax", ParamType::real, 1.0, 1e-12, {}, "maximum weight"},
        {"synapse.delay", ParamType::real, 1.0, 0.001, 1e3, "parrot -> neuron delay, ms (all dendritic)"},
        {"record.weights", ParamType::boolean, false, {}, {}, "store the learned weights (trials x inputs) in the payload"},
    };
    return info;
}

// From bench/e2l: one 100 s learning run + 11 s SNR run of 1000 inputs costs about this much.
constexpr double kSecondsPerTrial = 0.025;

class CorrelationModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        check_variables(parse_rule(params, "rule.depress"), "rule.depress");
        check_variables(parse_rule(params, "rule.facilitate"), "rule.facilitate");
        config_from(params);
        e2l::input_numbers(params, "inputs.trials", "trial");
        if (has(params, "inputs.file")) e2l::input_file_key(get_string(params, "inputs.file"));  // readable
    }

    double estimate_cost(const Params& params) const override {
        return kSecondsPerTrial * static_cast<double>(e2l::input_numbers(params, "inputs.trials", "trial").size()) *
               (get_real(params, "T_learn") + get_real(params, "T_snr")) / 111000.0;
    }

    Result run(const Params& params, RunContext& context) const override {
        const symbolic::Expr depress = parse_rule(params, "rule.depress");
        const symbolic::Expr facilitate = parse_rule(params, "rule.facilitate");
        Result result;
        result.metrics["invalid_rule"] = 0.0;
        // The reference scores a rule whose simplified form is zoo or nan -inf unsimulated.
        if (symbolic::is_invalid(depress) || symbolic::is_invalid(facilitate)) {
            result.metrics["fitness"] = -std::numeric_limits<double>::infinity();
            result.metrics["invalid_rule"] = 1.0;
            return result;
        }
        const e2l::StdpSympyRule rule = make_rule(depress, facilitate);
        const Setup setup = [&] {
            try {
                return make_setup(params);
            } catch (const ParamError& e) {
                throw ParamError(e.key, e.key + ": " + e.what());  // the job's error line names the key
            }
        }();
        const std::size_t n = setup.trials.size();
        std::vector<double> snr, weights;
        std::vector<std::int64_t> post_spikes;
        for (std::size_t i = 0; i < n; ++i) {
            const auto progress = [&](double f) {
                context.check_cancelled();
                context.report_progress((static_cast<double>(i) + f) / static_cast<double>(n));
            };
            e2l::CorrelationOutcome o = e2l::run_correlation_trial(setup.config, rule, setup.trials[i], progress);
            snr.push_back(o.snr);
            post_spikes.push_back(o.post_spikes);
            weights.insert(weights.end(), o.weights.begin(), o.weights.end());
        }
        // np.min: a NaN trial makes the fitness NaN, which the evolution turns into -inf.
        double fitness = std::numeric_limits<double>::infinity();
        bool nan = false;
        double sum = 0.0;
        for (const double v : snr) {
            nan = nan || std::isnan(v);
            fitness = std::min(fitness, v);
            sum += v;
        }
        const double mean = sum / static_cast<double>(n);
        double squares = 0.0;
        for (const double v : snr) squares += (v - mean) * (v - mean);
        result.metrics["fitness"] = nan ? -std::numeric_limits<double>::infinity() : fitness;
        result.metrics["fitness_was_nan"] = nan ? 1.0 : 0.0;
        if (!nan) {
            result.metrics["snr_mean"] = mean;
            result.metrics["snr_std"] = std::sqrt(squares / static_cast<double>(n));  // np.std
        }
        double spikes = 0.0;
        for (const auto s : post_spikes) spikes += static_cast<double>(s);
        result.metrics["post_rate_learn"] = spikes / static_cast<double>(n) / (setup.config.T_learn * 1e-3);
        result.arrays.emplace("snr", Array::real({n}, snr));
        result.arrays.emplace("post_spikes", Array::integer({n}, post_spikes));
        if (get_bool(params, "record.weights")) {
            const std::size_t n_inputs = weights.size() / n;
            result.arrays.emplace("weights", Array::real({n, n_inputs}, std::move(weights)));
        }
        return result;
    }

private:
    static e2l::StdpSympyRule make_rule(const symbolic::Expr& depress, const symbolic::Expr& facilitate) {
        check_variables(depress, "rule.depress");
        check_variables(facilitate, "rule.facilitate");
        return e2l::make_stdp_sympy_rule(depress, facilitate);
    }

    ModelInfo info_ = make_info();
};

}  // namespace

ModelPtr make_e2l_correlation_model() { return std::make_shared<CorrelationModel>(); }

}  // namespace sr
