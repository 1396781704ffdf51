#include "core/models/spikegd/spikegd_model.hpp"

#include "core/data/idx.hpp"
#include "core/models/spikegd/concept.hpp"
#include "core/models/spikegd/mnist.hpp"
#include "core/models/spikegd/rnn.hpp"
#include "core/models/spikegd/single.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace sr {
namespace {

using spikegd::GradientRule;
using spikegd::QifParams;

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53: exact in every JSON/YAML reader

std::vector<ParamSpec> neuron_specs() {
    return {
        {"tau", ParamType::real, 1.0, 1e-9, 1e9, "membrane time constant (the synaptic one is tau/2); times are in units of tau"},
        {"eps", ParamType::real, 1e-6, 1e-15, 1e-2,
         "reset to -1/eps, clip at 1/eps, neurons within eps of spiking are masked in an event"},
        {"alpha", ParamType::real, 10.0, 1e-9, 1e9, "softplus scale of the pseudodynamics"},
        {"gradient_rule", ParamType::string, "reference", {}, {},
         "derivative at I == 0: 'reference' (as the JAX code: the I > 0 formula at I = 1e-6) or 'exact' (the closed form's limit)"},
    };
}

// Parameters the caller left out take their declared defaults (the scheduler fills them for
// sweeps; direct callers such as tests and benchmarks may pass only what they change).
Params with_defaults(const ModelInfo& info, const Params& params) {
    Params p = params;
    for (const auto& spec : info.params)
        if (!spec.default_value.is_null() && !has(p, spec.name)) set_path(p, spec.name, spec.default_value);
    return p;
}

void validate_rule(const Params& p) {
    const std::string rule = get_string(p, "gradient_rule");
    if (rule != "reference" && rule != "exact")
        throw ParamError("gradient_rule", "must be 'reference' or 'exact', not '" + rule + "'");
}

QifParams neuron_from(const Params& p) {
    QifParams q;
    q.tau = get_real(p, "tau");
    q.eps = get_real(p, "eps");
    q.alpha = get_real(p, "alpha");
    q.rule = get_string(p, "gradient_rule") == "exact" ? GradientRule::exact : GradientRule::reference;
    return q;
}

// Model errors that come from the parameters (too small an event budget) name the key.
template <class F>
auto run_checked(F&& f) {
    try {
        return f();
    } catch (const spikegd::EventLimitExceeded& e) {
        throw ParamError("K", e.what());
    }
}

// Network spikes of a trial as (time, neuron) rows, for rasters.
Array raster(const spikegd::QifTrial& trial) {
    std::vector<double> rows;
    for (const auto& e : trial.events)
        if (!e.spike_in && e.j >= 0) {
            rows.push_back(e.t);
            rows.push_back(e.j);
        }
    const std::size_t n = rows.size() / 2;
    return Array::real({n, 2}, std::move(rows));
}

// ---------------------------------------------------------------------------------------------

class SingleModel final : public Model {
public:
    SingleModel() {
        info_.name = "spikegd.single";
        info_.version = 1;
        info_.doc =
            "One QIF neuron learns output spike times by exact gradient descent on the weights and "
            "times of Ntrain of its Nin inputs (spikegd experiments/singleneuron). The other inputs "
            "are drawn from seed with JAX's generator, as the reference. Clipped SGD.";
        info_.params = {
            {"seed", ParamType::integer, 3, 0, kMaxSeed, "seed of the fixed inputs (jax.random.PRNGKey)"},
            {"Nin", ParamType::integer, 22, 1, 1e5, "input neurons, one spike each"},
            {"Ntrain", ParamType::integer, 2, 1, 1e5, "inputs with trainable weight and time (the first ones)"},
            {"T", ParamType::real, 10.0, 1e-9, 1e9, "trial duration"},
            {"K", ParamType::integer, 25, 1, 1e7, "maximal events per trial (inputs count)"},
            {"t_targets", ParamType::real_list, Json::array({2.5, 7.5}), {}, {}, "target output spike times"},
            {"t_init", ParamType::real_list, Json::array({1.0, 9.0}), {}, {}, "initial times of the trained inputs (Ntrain values)"},
            {"Ntrial", ParamType::integer, 3000, 1, 1e9, "training trials"},
            {"lr", ParamType::real, 0.1, 0.0, 1e6, "SGD learning rate"},
            {"clip", ParamType::real, 0.02, 0.0, 1e6, "elementwise gradient clip before SGD (optax.clip); 0: none"},
        };
        for (auto& s : neuron_specs()) info_.params.push_back(std::move(s));
    }
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        const Params p = with_defaults(info_, params);
        validate_rule(p);
        const auto Nin = get_int(p, "Nin"), Ntrain = get_int(p, "Ntrain");
        if (Ntrain > Nin) throw ParamError("Ntrain", "must not exceed Nin (" + std::to_string(Nin) + ")");
        if (static_cast<long long>(get_real_list(p, "t_init").size()) != Ntrain)
            throw ParamError("t_init", "needs Ntrain = " + std::to_string(Ntrain) + " values");
        if (get_real_list(p, "t_targets").empty()) throw ParamError("t_targets", "needs at least one target");
    }

    double estimate_cost(const Params& params) const override {
        const Params p = with_defaults(info_, params);
        return 1e-6 * static_cast<double>(get_int(p, "Ntrial")) * static_cast<double>(get_int(p, "K"));
    }

    Result run(const Params& params, RunContext& context) const override {
        validate(params);
        const Params p = with_defaults(info_, params);
        spikegd::SingleConfig c;
        c.seed = static_cast<std::uint64_t>(get_int(p, "seed"));
        c.neuron = neuron_from(p);
        c.Nin = static_cast<int>(get_int(p, "Nin"));
        c.Ntrain = static_cast<int>(get_int(p, "Ntrain"));
        c.T = get_real(p, "T");
        c.K = static_cast<int>(get_int(p, "K"));
        c.t_targets = get_real_list(p, "t_targets");
        c.t_init = get_real_list(p, "t_init");
        c.Ntrial = static_cast<int>(get_int(p, "Ntrial"));
        c.lr = get_real(p, "lr");
        c.clip = get_real(p, "clip");
        const auto run = run_checked([&] {
            return spikegd::train_single(c, [&](int trial) {
                if (trial % 100 == 0) {
                    context.check_cancelled();
                    context.report_progress(static_cast<double>(trial) / c.Ntrial);
                }
            });
        });
        const std::size_t n = run.loss.size(), nt = c.t_targets.size(), np = 2 * c.Ntrain;
        // The trials before and after training, for the voltage panels.
        const auto task = spikegd::make_single_task(c);
        Result r;
        r.metrics["loss_initial"] = run.loss.front();
        r.metrics["loss_final"] = run.loss.back();
        for (std::size_t m = 0; m < nt; ++m) r.metrics["t_out_final_" + std::to_string(m)] = run.t_out[(n - 1) * nt + m];
        r.arrays.emplace("loss", Array::real({n}, run.loss));
        r.arrays.emplace("t_out", Array::real({n, nt}, run.t_out));
        r.arrays.emplace("p", Array::real({n, np}, run.p));
        r.arrays.emplace("grad", Array::real({n, np}, run.grad));
        r.arrays.emplace("p_final", Array::real({np}, run.p_final));
        r.arrays.emplace("t_targets", Array::real({nt}, c.t_targets));
        r.arrays.emplace("times_in_fixed", Array::real({task.times.size()}, task.times));
        r.arrays.emplace("weights_in_fixed", Array::real({task.weights.size()}, task.weights));
        for (const auto& [name, pv] : {std::pair<std::string, std::vector<double>>{"first", {run.p.begin(), run.p.begin() + np}},
                                       {"last", {run.p.end() - np, run.p.end()}}}) {
            auto spec = spikegd::single_spec(c, task, pv, false);
            spec.record_states = true;
            const auto trial = spikegd::simulate_qif(c.neuron, spec);
            const auto tr = spikegd::qif_traces(c.neuron, spec, trial, 0.01);
            r.arrays.emplace("trace_" + name + "_t", Array::real({tr.t.size()}, tr.t));
            r.arrays.emplace("trace_" + name + "_V", Array::real({tr.V.size()}, tr.V));
            r.arrays.emplace("trace_" + name + "_I", Array::real({tr.I.size()}, tr.I));
        }
        return r;
    }

private:
    ModelInfo info_;
};

// ---------------------------------------------------------------------------------------------

class RnnModel final : public Model {
public:
    RnnModel() {
        info_.name = "spikegd.rnn";
        info_.version = 1;
        info_.doc =
            "N recurrent QIF neurons driven by Poisson inputs; the first Ntar learn target spike "
            "trains by exact gradient descent on the recurrent weights and initial states "
            "(spikegd experiments/rnn). Inputs and targets are drawn from seed with JAX's "
            "generator, as the reference. AdaBelief with exponential decay; mode 'grid' adds the "
            "reference's step-length search.";
        info_.params = {
            {"seed", ParamType::integer, 7, 0, kMaxSeed, "seed of inputs and targets (jax.random.PRNGKey)"},
            {"N", ParamType::integer, 10, 2, 1e4, "network neurons"},
            {"w_in_exc", ParamType::real, 5.0, -1e6, 1e6, "weight of each neuron's excitatory input"},
            {"w_in_inh", ParamType::real, -5.0, -1e6, 1e6, "weight of each neuron's inhibitory input"},
            {"r_in", ParamType::real, 1.0, 1e-6, 1e6, "input rate parameter (as the reference: excitatory ISIs scale with r_in, inhibitory with 1/r_in)"},
            {"T", ParamType::real, 10.0, 1e-9, 1e9, "trial duration"},
            {"K", ParamType::integer, 500, 1, 1e7, "maximal events per trial (inputs count)"},
            {"Ntar", ParamType::integer, 2, 1, 1e4, "neurons with target spike trains (the first ones)"},
            {"r_targets", ParamType::real_list, Json::array({1.0, 0.5}), {}, {}, "target rates (Ntar values)"},
            {"Ntrial", ParamType::integer, 10000, 0, 1e9, "training trials (the run has Ntrial + 1)"},
            {"mode", ParamType::string, "normal", {}, {}, "'normal' or 'grid' (step-length search along the update)"},
            {"lr", ParamType::real, 1e-2, 0.0, 1e6, "AdaBelief learning rate (initial value of the decay)"},
            {"lr_decay_steps", ParamType::integer, 2000, 0, 1e12, "optax.exponential_decay transition steps; 0: constant rate"},
            {"lr_decay_rate", ParamType::real, 0.36787944117144233, 0.0, 1e6, "decay per transition (1/e)"},
            {"beta1", ParamType::real, 0.9, 0.0, 1.0, "AdaBelief b1"},
            {"beta2", ParamType::real, 0.999, 0.0, 1.0, "AdaBelief b2 (the reference's grid run uses 0.99)"},
            {"dt_max", ParamType::real, 0.5, 0.0, 1e9, "grid mode: largest allowed change of any output spike per trial"},
            {"grid_min_exp", ParamType::real, -5.0, -300, 300, "grid mode: smallest step multiplier 10^grid_min_exp"},
            {"grid_max_exp", ParamType::real, 2.0, -300, 300, "grid mode: largest step multiplier 10^grid_max_exp"},
            {"grid_n", ParamType::integer, 50, 1, 1e5, "grid mode: step multipliers (log-spaced)"},
        };
        for (auto& s : neuron_specs()) info_.params.push_back(std::move(s));
    }
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        const Params p = with_defaults(info_, params);
        validate_rule(p);
        const std::string mode = get_string(p, "mode");
        if (mode != "normal" && mode != "grid") throw ParamError("mode", "must be 'normal' or 'grid', not '" + mode + "'");
        const auto N = get_int(p, "N"), Ntar = get_int(p, "Ntar");
        if (Ntar > N) throw ParamError("Ntar", "must not exceed N (" + std::to_string(N) + ")");
        if (static_cast<long long>(get_real_list(p, "r_targets").size()) != Ntar)
            throw ParamError("r_targets", "needs Ntar = " + std::to_string(Ntar) + " values");
        for (double r : get_real_list(p, "r_targets"))
            if (!(r > 0)) throw ParamError("r_targets", "rates must be positive");
    }

    double estimate_cost(const Params& params) const override {
        const Params p = with_defaults(info_, params);
        const double N = static_cast<double>(get_int(p, "N"));
        const double grid = get_string(p, "mode") == "grid" ? static_cast<double>(get_int(p, "grid_n")) / 4 : 0.0;
        return 1e-9 * static_cast<double>(get_int(p, "Ntrial") + 1) * static_cast<double>(get_int(p, "K")) * N * N * N * (1 + grid);
    }

    Result run(const Params& params, RunContext& context) const override {
        validate(params);
        const Params p = with_defaults(info_, params);
        spikegd::RnnConfig c;
        c.seed = static_cast<std::uint64_t>(get_int(p, "seed"));
        c.neuron = neuron_from(p);
        c.N = static_cast<int>(get_int(p, "N"));
        c.w_in_exc = get_real(p, "w_in_exc");
        c.w_in_inh = get_real(p, "w_in_inh");
        c.r_in = get_real(p, "r_in");
        c.T = get_real(p, "T");
        c.K = static_cast<int>(get_int(p, "K"));
        c.Ntar = static_cast<int>(get_int(p, "Ntar"));
        c.r_targets = get_real_list(p, "r_targets");
        c.Ntrial = static_cast<int>(get_int(p, "Ntrial"));
        c.mode = get_string(p, "mode");
        c.lr = get_real(p, "lr");
        c.lr_decay_steps = get_int(p, "lr_decay_steps");
        c.lr_decay_rate = get_real(p, "lr_decay_rate");
        c.b1 = get_real(p, "beta1");
        c.b2 = get_real(p, "beta2");
        c.dt_max = get_real(p, "dt_max");
        c.grid_min_exp = get_real(p, "grid_min_exp");
        c.grid_max_exp = get_real(p, "grid_max_exp");
        c.grid_n = static_cast<int>(get_int(p, "grid_n"));
        const auto run = run_checked([&] {
            return spikegd::train_rnn(c, [&](int trial) {
                if (trial % 100 == 0) {
                    context.check_cancelled();
                    context.report_progress(static_cast<double>(trial) / (c.Ntrial + 1));
                }
            });
        });
        const auto task = spikegd::make_rnn_task(c);
        const std::size_t n = run.loss.size();
        Result r;
        r.metrics["loss_initial"] = run.loss.front();
        r.metrics["loss_final"] = run.loss.back();
        double best = run.loss.front();
        for (double l : run.loss) best = std::min(best, l);
        r.metrics["loss_min"] = best;
        r.arrays.emplace("loss", Array::real({n}, run.loss));
        for (int i = 0; i < c.Ntar; ++i) {
            const std::size_t m = task.targets[i].size();
            r.arrays.emplace("t_out_" + std::to_string(i), Array::real({n, m}, run.t_out[i]));
            r.arrays.emplace("t_targets_" + std::to_string(i), Array::real({m}, task.targets[i]));
        }
        r.arrays.emplace("p_final", Array::real({run.p_final.size()}, run.p_final));
        r.arrays.emplace("raster_first", raster(run.first));
        r.arrays.emplace("raster_last", raster(run.last));
        return r;
    }

private:
    ModelInfo info_;
};

// ---------------------------------------------------------------------------------------------

class ConceptModel final : public Model {
public:
    ConceptModel() {
        info_.name = "spikegd.concept";
        info_.version = 1;
        info_.doc =
            "The concept figure of spikegd (experiments/concept): a QIF neuron's first output spike "
            "time and its exact derivative on a grid of an input weight ('weight') or of an "
            "inhibitory input's time ('time'), plus voltage traces of example values; for the "
            "QIF neuron or, for comparison, the LIF neuron.";
        info_.params = {
            {"vary", ParamType::string, "weight", {}, {}, "'weight' (one input at 0.5) or 'time' (inhibitory input time)"},
            {"neuron", ParamType::string, "qif", {}, {}, "'qif' or 'lif' (the reference's LIF panels use T = 3, K = 5, w_exc_relative = 1.4)"},
            {"V_th", ParamType::real, 1.0, 1e-9, 1e9, "LIF threshold"},
            {"Nvar", ParamType::integer, 1000, 1, 1e8, "grid intervals (the grid has Nvar + 1 points)"},
            {"T", ParamType::real, 4.0, 1e-9, 1e9, "trial duration"},
            {"K", ParamType::integer, 4, 1, 1e6, "maximal events per trial (inputs count)"},
            {"w_exc_relative", ParamType::real, 1.5, 0.0, 1e6, "'time': the excitatory weight in units of the minimal spiking weight (pi^2/4; LIF: 4 V_th)"},
            {"examples", ParamType::real_list, nullptr, {}, {},
             "example values for traces, relative (weights in units of the minimal spiking weight, times in the excitatory-only spike time); default as the reference"},
            {"dt", ParamType::real, 0.01, 1e-6, 1e3, "time step of the traces"},
        };
        for (auto& s : neuron_specs()) info_.params.push_back(std::move(s));
    }
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        const Params p = with_defaults(info_, params);
        validate_rule(p);
        const std::string vary = get_string(p, "vary");
        if (vary != "weight" && vary != "time") throw ParamError("vary", "must be 'weight' or 'time', not '" + vary + "'");
        const std::string neuron = get_string(p, "neuron");
        if (neuron != "qif" && neuron != "lif") throw ParamError("neuron", "must be 'qif' or 'lif', not '" + neuron + "'");
    }

    double estimate_cost(const Params& params) const override {
        const Params p = with_defaults(info_, params);
        return 1e-6 * static_cast<double>(get_int(p, "Nvar"));
    }

    Result run(const Params& params, RunContext& context) const override {
        validate(params);
        const Params p = with_defaults(info_, params);
        spikegd::ConceptConfig c;
        c.neuron = neuron_from(p);
        c.vary = get_string(p, "vary");
        c.neuron_model = get_string(p, "neuron");
        c.lif.tau = c.neuron.tau;
        c.lif.V_th = get_real(p, "V_th");
        c.T = get_real(p, "T");
        c.K = static_cast<int>(get_int(p, "K"));
        c.w_exc_relative = get_real(p, "w_exc_relative");
        const int Nvar = static_cast<int>(get_int(p, "Nvar"));
        // The reference notebook's examples.
        const bool lif = c.neuron_model == "lif";
        const std::vector<double> relative =
            has(p, "examples") ? get_real_list(p, "examples")
            : c.vary == "weight" ? std::vector<double>{0.95, 1.15, lif ? 1.4 : 1.5}
                                 : (lif ? std::vector<double>{0.8, 1.5, 3.0} : std::vector<double>{0.5, 0.62, 1.4});
        Result r;
        run_checked([&] {
            const auto grid = spikegd::concept_grid(c, Nvar);
            std::vector<double> t_out, grad;
            for (std::size_t i = 0; i < grid.size(); ++i) {
                if (i % 10000 == 0) context.check_cancelled();
                const auto pt = spikegd::concept_point(c, grid[i]);
                t_out.push_back(pt.t_out);
                grad.push_back(pt.grad);
            }
            r.arrays.emplace("p", Array::real({grid.size()}, grid));
            r.arrays.emplace("spiketimes", Array::real({grid.size()}, t_out));
            r.arrays.emplace("grads", Array::real({grid.size()}, grad));
            const auto ex = spikegd::concept_examples(c, relative);
            std::vector<double> ex_t, ex_g, tt, tv, ti;
            std::vector<std::int64_t> tk;
            for (std::size_t k = 0; k < ex.size(); ++k) {
                const auto pt = spikegd::concept_point(c, ex[k]);
                ex_t.push_back(pt.t_out);
                ex_g.push_back(pt.grad);
                const auto tr = spikegd::concept_trace(c, ex[k], get_real(p, "dt"));
                tt.insert(tt.end(), tr.t.begin(), tr.t.end());
                tv.insert(tv.end(), tr.V.begin(), tr.V.end());
                ti.insert(ti.end(), tr.I.begin(), tr.I.end());
                tk.insert(tk.end(), tr.t.size(), static_cast<std::int64_t>(k));
            }
            r.arrays.emplace("examples_p", Array::real({ex.size()}, ex));
            r.arrays.emplace("examples_spiketimes", Array::real({ex.size()}, ex_t));
            r.arrays.emplace("examples_grads", Array::real({ex.size()}, ex_g));
            r.arrays.emplace("trace_t", Array::real({tt.size()}, tt));
            r.arrays.emplace("trace_V", Array::real({tv.size()}, tv));
            r.arrays.emplace("trace_I", Array::real({ti.size()}, ti));
            r.arrays.emplace("trace_example", Array::integer({tk.size()}, tk));
            std::size_t spiking = 0;
            for (double t : t_out) spiking += std::isfinite(t) ? 1 : 0;
            r.metrics["spiking_fraction"] = static_cast<double>(spiking) / static_cast<double>(grid.size());
            return 0;
        });
        return r;
    }

private:
    ModelInfo info_;
};

// ---------------------------------------------------------------------------------------------

class MnistModel final : public Model {
public:
    MnistModel() {
        info_.name = "spikegd.mnist";
        info_.version = 1;
        info_.doc =
            "A layered theta network, initially silent, learns image classes from time-to-first-spike "
            "input by exact gradient descent (spikegd experiments/mnist); network 'ann' trains the "
            "non-spiking baseline of the same shape on the same binned images. Test metrics per epoch.";
        info_.params = {
            {"seed", ParamType::integer, 0, 0, kMaxSeed, "seed of the initial weights (JAX generator), data order and flips"},
            {"network", ParamType::string, "theta", {}, {}, "'theta' (the spiking network) or 'ann' (non-spiking baseline)"},
            {"data.train_images", ParamType::string, nullptr, {}, {}, "IDX images of the training set (plain or .gz)"},
            {"data.train_labels", ParamType::string, nullptr, {}, {}, "IDX labels of the training set"},
            {"data.test_images", ParamType::string, nullptr, {}, {}, "IDX images of the test set"},
            {"data.test_labels", ParamType::string, nullptr, {}, {}, "IDX labels of the test set"},
            {"n_train", ParamType::integer, 0, 0, 1e9, "use only the first n_train training images; 0: all"},
            {"n_test", ParamType::integer, 0, 0, 1e9, "use only the first n_test test images; 0: all"},
            {"I0", ParamType::real, 1.25, 0.25 + 1e-9, 1e9, "theta neuron drive (> 1/4)"},
            {"Nin_virtual", ParamType::integer, 1, 1, 255, "virtual input neurons (pixel brightness bins - 1)"},
            {"Nhidden", ParamType::integer, 100, 1, 1e5, "neurons per hidden layer"},
            {"Nlayer", ParamType::integer, 3, 2, 100, "hidden layers + output layer"},
            {"Nout", ParamType::integer, 10, 2, 1e5, "output neurons (classes)"},
            {"w_scale", ParamType::real, 0.5, 0.0, 1e6, "initial weights uniform in +-w_scale / sqrt(fan in)"},
            {"T", ParamType::real, 2.0, 1e-9, 1e9, "trial duration"},
            {"K", ParamType::integer, 200, 1, 1e7, "maximal events per image (inputs count)"},
            {"gamma", ParamType::real, 1e-2, 0.0, 1e6, "weight of the late-spike term gamma (exp(t_label / T) - 1)"},
            {"Nbatch", ParamType::integer, 1000, 1, 1e9, "batch size"},
            {"lr", ParamType::real, 4e-3, 0.0, 1e6, "AdaBelief learning rate"},
            {"tau_lr", ParamType::real, 100.0, 1e-9, 1e12, "epochs per 1/e of the learning rate"},
            {"beta1", ParamType::real, 0.9, 0.0, 1.0, "AdaBelief b1"},
            {"beta2", ParamType::real, 0.999, 0.0, 1.0, "AdaBelief b2"},
            {"p_flip", ParamType::real, 0.02, 0.0, 1.0, "probability of flipping a pixel's bin during training"},
            {"Nepochs", ParamType::integer, 100, 0, 1e6, "training epochs"},
            {"tau", ParamType::real, 6 / M_PI, 1e-9, 1e9, "theta neuron time constant (6/pi: Theta = 6)"},
            {"eps", ParamType::real, 1e-6, 1e-15, 1e-2, "phases within eps of 0 or Theta are not moved by inputs"},
        };
    }
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        const Params p = with_defaults(info_, params);
        const std::string net = get_string(p, "network");
        if (net != "theta" && net != "ann") throw ParamError("network", "must be 'theta' or 'ann', not '" + net + "'");
        for (const char* key : {"data.train_images", "data.train_labels", "data.test_images", "data.test_labels"})
            if (!has(p, key)) throw ParamError(key, "missing: the model reads its images from IDX files");
    }

    double estimate_cost(const Params& params) const override {
        const Params p = with_defaults(info_, params);
        const double n = get_int(p, "n_train") > 0 ? static_cast<double>(get_int(p, "n_train")) : 8000.0;
        return 1e-3 * n * static_cast<double>(get_int(p, "Nepochs") + 1);
    }

    Result run(const Params& params, RunContext& context) const override {
        validate(params);
        const Params p = with_defaults(info_, params);
        spikegd::MnistConfig c;
        c.seed = static_cast<std::uint64_t>(get_int(p, "seed"));
        c.network = get_string(p, "network");
        c.neuron.tau = get_real(p, "tau");
        c.neuron.I0 = get_real(p, "I0");
        c.neuron.eps = get_real(p, "eps");
        c.Nin_virtual = static_cast<int>(get_int(p, "Nin_virtual"));
        c.Nhidden = static_cast<int>(get_int(p, "Nhidden"));
        c.Nlayer = static_cast<int>(get_int(p, "Nlayer"));
        c.Nout = static_cast<int>(get_int(p, "Nout"));
        c.w_scale = get_real(p, "w_scale");
        c.T = get_real(p, "T");
        c.K = static_cast<int>(get_int(p, "K"));
        c.gamma = get_real(p, "gamma");
        c.Nbatch = static_cast<int>(get_int(p, "Nbatch"));
        c.lr = get_real(p, "lr");
        c.tau_lr = get_real(p, "tau_lr");
        c.beta1 = get_real(p, "beta1");
        c.beta2 = get_real(p, "beta2");
        c.p_flip = get_real(p, "p_flip");
        c.Nepochs = static_cast<int>(get_int(p, "Nepochs"));
        auto load = [&](const char* images, const char* labels, const char* limit) {
            data::ImageSet set;
            try {
                set = data::load_idx(get_string(p, images), get_string(p, labels));
            } catch (const std::runtime_error& e) {
                throw ParamError(images, e.what());
            }
            const auto n = static_cast<std::size_t>(get_int(p, limit));
            if (n > 0 && n < set.count) set = set.slice(0, n);
            return spikegd::bin_images(set.values, set.pixels, set.labels, c.Nin_virtual);
        };
        const auto train = load("data.train_images", "data.train_labels", "n_train");
        const auto test = load("data.test_images", "data.test_labels", "n_test");
        for (const auto* set : {&train, &test})
            for (int label : set->labels)
                if (label < 0 || label >= c.Nout)
                    throw ParamError("Nout", "a label " + std::to_string(label) + " is outside 0 .. Nout - 1");
        const auto run = run_checked([&] {
            return spikegd::train_mnist(c, train, test, [&](int epoch, int batch) {
                if (batch == 0) {
                    context.check_cancelled();
                    context.report_progress(static_cast<double>(epoch) / std::max(1, c.Nepochs));
                }
            });
        });
        Result r;
        const std::size_t n = run.epochs.size();
        std::vector<double> loss, acc, loss_ord, acc_ord, activity, silent, train_loss;
        for (const auto& e : run.epochs) {
            loss.push_back(e.loss);
            acc.push_back(e.acc);
            loss_ord.push_back(e.loss_ord);
            acc_ord.push_back(e.acc_ord);
            activity.push_back(e.activity);
            silent.push_back(e.silent);
            train_loss.push_back(e.train_loss);
        }
        const auto& last = run.epochs.back();
        r.metrics = {{"acc", last.acc}, {"acc_ord", last.acc_ord}, {"loss", last.loss}, {"loss_ord", last.loss_ord},
                     {"activity", last.activity}, {"silent", last.silent},
                     {"acc_initial", run.epochs.front().acc}, {"loss_ord_initial", run.epochs.front().loss_ord}};
        for (const auto& [name, v] : {std::pair<const char*, const std::vector<double>*>{"test_loss", &loss}, {"test_acc", &acc},
                                      {"test_loss_ord", &loss_ord}, {"test_acc_ord", &acc_ord}, {"activity", &activity},
                                      {"silent_neurons", &silent}, {"train_loss", &train_loss}})
            r.arrays.emplace(name, Array::real({n}, *v));
        return r;
    }

private:
    ModelInfo info_;
};

}  // namespace

std::vector<ModelPtr> make_spikegd_models() {
    return {std::make_shared<SingleModel>(), std::make_shared<RnnModel>(), std::make_shared<ConceptModel>(),
            std::make_shared<MnistModel>()};
}

}  // namespace sr
