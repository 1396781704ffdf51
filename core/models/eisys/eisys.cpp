#include "core/models/eisys/eisys.hpp"

#include "core/models/ssn/simulation.hpp"
#include "core/numpy_legacy_rng.hpp"
#include "core/rng.hpp"

#include <cmath>

namespace sr::eisys {
namespace {

double expit(double x) { return 1.0 / (1.0 + std::exp(-x)); }

Matrix matrix_param(const Params& params, const std::string& key, int dim) {
    const auto rows = get_real_matrix(params, key);
    if (static_cast<int>(rows.size()) != dim || static_cast<int>(rows.front().size()) != dim) {
        throw ParamError(key, "expected a " + std::to_string(dim) + " x " + std::to_string(dim) + " matrix");
    }
    Matrix m(dim, dim);
    for (int i = 0; i < dim; ++i) {
        for (int j = 0; j < dim; ++j) m(i, j) = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    }
    return m;
}

// Simulates `steps` steps of (w, b) from rest into `measures`: the reference's step loop with its
// generator, ssn's event-driven sampler (the same law, cost per spike instead of per step) with ours.
struct Simulator {
    const EisysConfig& c;
    ssn::EventDrivenSampler sampler{c.dim(), c.t_ref, c.tau_syn};

    void operator()(const Matrix& w, NumpyLegacyRng& rng, SpikeMeasures& measures) const {
        ssn::simulate_time_stepped(w, c.b, c.t_ref, c.tau_syn, c.steps, rng, measures);
    }
    void operator()(const Matrix& w, Rng& rng, SpikeMeasures& measures) {
        sampler.run(w, c.b, c.steps, rng, measures);
    }
};

template <class Generator>
EisysRun run_with(const EisysConfig& c, Generator& rng, bool keep_spikes) {
    MeasureConfig mc = c.measures;
    mc.keep_spikes = keep_spikes;
    EisysRun run{SpikeMeasures(mc), {}};
    Simulator simulate{c};
    if (c.learn_epochs == 0) {
        simulate(c.w, rng, run.measures);
        return run;
    }
    // SAL (ppd.ipynb's run_sal): the generator runs on across epochs, every epoch from rest.
    Matrix w = c.w;
    run.weights.push_back(w);
    for (int epoch = 0; epoch < c.learn_epochs; ++epoch) {
        run.measures = SpikeMeasures(mc);
        simulate(w, rng, run.measures);
        w += c.learn_lr * c.learn_mask.cwiseProduct(sal_update(run.measures, c.steps, c.t_ref));
        run.weights.push_back(w);
    }
    return run;
}

}  // namespace

double effective_weight(double w_ee, double w_ie, double w_ei, double b_i, double b_e) {
    const double r = expit(b_e);
    return w_ee + w_ei * expit(w_ie * r + b_i) / r;
}

EisysConfig EisysConfig::from_params(const Params& p) {
    EisysConfig c;
    const std::string network = get_string(p, "network");
    if (network == "ei") {
        c.ei_preset = true;
        c.w = Matrix::Zero(4, 4);
        for (const EiConnection& conn : kEiConnections) c.w(conn.post, conn.pre) = get_real(p, std::string("ei.") + conn.name);
        c.b = Vector(4);
        for (int i = 0; i < 4; ++i) {
            c.b[i] = get_real(p, std::string("ei.b_") + kEiNeurons[i]);
            c.names.emplace_back(kEiNeurons[i]);
        }
    } else if (network == "explicit") {
        c.ei_preset = false;
        if (!has(p, "b")) throw ParamError("b", "network: explicit needs the biases b");
        const std::vector<double> b = get_real_list(p, "b");
        if (b.empty() || b.size() > 31) throw ParamError("b", "expected 1 to 31 biases (the sampler keeps neuron sets as 32-bit masks)");
        const int dim = static_cast<int>(b.size());
        c.b = Eigen::Map<const Vector>(b.data(), dim);
        if (!has(p, "w")) throw ParamError("w", "network: explicit needs the weights w");
        c.w = matrix_param(p, "w", dim);
        for (int i = 0; i < dim; ++i) c.names.push_back("n" + std::to_string(i));
    } else {
        throw ParamError("network", "expected ei or explicit, got '" + network + "'");
    }
    const int dim = c.dim();
    c.t_ref = static_cast<int>(get_int(p, "t_ref"));
    c.tau_syn = get_real(p, "tau_syn");
    if (!ssn::psp_memory_suffices(c.t_ref, c.tau_syn)) {
        throw ParamError("tau_syn", "longer than the sampler's 10-spike memory covers (tau_syn <= 10 (t_ref + 1))");
    }
    c.steps = get_int(p, "steps");
    const std::string generator = get_string(p, "generator");
    if (generator == "own") {
        c.generator = Generator::own;
    } else if (generator == "numpy_legacy") {
        c.generator = Generator::numpy_legacy;
    } else {
        throw ParamError("generator", "expected own or numpy_legacy, got '" + generator + "'");
    }
    c.seed = static_cast<std::uint64_t>(get_int(p, "seed"));
    if (c.generator == Generator::numpy_legacy && c.seed > 0xffffffffULL) {
        throw ParamError("seed", "numpy's legacy seeding takes seeds below 2^32");
    }

    MeasureConfig& m = c.measures;
    m.dim = dim;
    m.pair = {static_cast<int>(get_int(p, "stdp.i")), static_cast<int>(get_int(p, "stdp.j"))};
    if (m.pair.first >= dim) throw ParamError("stdp.i", "no neuron " + std::to_string(m.pair.first));
    if (m.pair.second >= dim) throw ParamError("stdp.j", "no neuron " + std::to_string(m.pair.second));
    if (m.pair.first == m.pair.second) throw ParamError("stdp.j", "must differ from stdp.i");
    m.window.a_plus = get_real(p, "stdp.a_plus");
    m.window.a_minus = get_real(p, "stdp.a_minus");
    m.window.tau_plus = has(p, "stdp.tau_plus") ? get_real(p, "stdp.tau_plus") : c.t_ref;
    m.window.tau_minus = has(p, "stdp.tau_minus") ? get_real(p, "stdp.tau_minus") : c.t_ref;
    m.num_last_spikes = static_cast<int>(get_int(p, "stdp.num_last_spikes"));
    const long long half_width = get_int(p, "hist.half_width");
    m.hist_half_width = half_width > 0 ? static_cast<int>(half_width) : 2 * c.t_ref;

    c.learn_epochs = static_cast<int>(get_int(p, "learn.epochs"));
    c.learn_lr = get_real(p, "learn.lr");
    c.learn_mask = has(p, "learn.mask") ? matrix_param(p, "learn.mask", dim) : Matrix::Ones(dim, dim);
    return c;
}

Matrix sal_update(const SpikeMeasures& measures, std::int64_t steps, int t_ref) {
    return measures.pair_stdp() / static_cast<double>(steps) * t_ref;
}

EisysRun run_eisys(const EisysConfig& c, bool keep_spikes) {
    if (c.generator == Generator::numpy_legacy) {
        NumpyLegacyRng rng(static_cast<std::uint32_t>(c.seed));
        return run_with(c, rng, keep_spikes);
    }
    Rng rng(c.seed);
    return run_with(c, rng, keep_spikes);
}

}  // namespace sr::eisys
