#include "core/models/eisys/eisys_model.hpp"

#include "core/models/eisys/eisys.hpp"

namespace sr {
namespace {

using eisys::EisysConfig;

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53: exact in every JSON/YAML reader

ModelInfo make_info() {
    ModelInfo info;
    info.name = "eisys";
    info.version = 1;
    info.doc =
        "Small networks of stochastic spiking neurons on ssn's time-stepped sampler (sal-code's "
        "sim_poisson_neurons): the Dale's-law E-I system of neuralsampling/eisystem.py or an explicit "
        "W[post, pre], b. Measures rates, nearest-neighbour STDP between two neurons (calc_nn_stdp), "
        "pair-based STDP (pairbased_stdp), first-order spike-timing histograms and the E-I system's "
        "effective weights; with learn.epochs > 0 runs SAL epochs instead (Fig. 2d).";
    info.params = {
        {"network", ParamType::string, "ei", {}, {}, "ei (the E-I preset, weights ei.*) or explicit (w, b)"},
        {"ei.e2_e1", ParamType::real, 0.0, -100.0, 100.0, "E-I preset: weight e1 → e2"},
        {"ei.e1_e2", ParamType::real, 0.0, -100.0, 100.0, "E-I preset: weight e2 → e1"},
        {"ei.i1_e1", ParamType::real, 4.0, -100.0, 100.0, "E-I preset: weight e1 → i1"},
        {"ei.i2_e2", ParamType::real, 4.0, -100.0, 100.0, "E-I preset: weight e2 → i2"},
        {"ei.e2_i1", ParamType::real, -1.0, -100.0, 100.0, "E-I preset: weight i1 → e2"},
        {"ei.e1_i2", ParamType::real, -1.0, -100.0, 100.0, "E-I preset: weight i2 → e1"},
        {"ei.b_e1", ParamType::real, 0.0, -100.0, 100.0, "E-I preset: bias of e1"},
        {"ei.b_e2", ParamType::real, 0.0, -100.0, 100.0, "E-I preset: bias of e2"},
        {"ei.b_i1", ParamType::real, -2.0, -100.0, 100.0, "E-I preset: bias of i1"},
        {"ei.b_i2", ParamType::real, -2.0, -100.0, 100.0, "E-I preset: bias of i2"},
        {"w", ParamType::real_matrix, nullptr, {}, {}, "explicit network: weights W[post][pre]"},
        {"b", ParamType::real_list, nullptr, {}, {}, "explicit network: biases (1 to 31 neurons)"},
        {"t_ref", ParamType::integer, 25, 1, 1e6, "refractory period (steps)"},
        {"tau_syn", ParamType::real, 25.0, 0.0, 1e7, "rectangular PSP window (0, tau_syn) in steps"},
        {"steps", ParamType::integer, 20000, 1, 1e12, "steps per simulation (per epoch when learning)"},
        {"seed", ParamType::integer, 1, 0, kMaxSeed, "seed of the spike sampling"},
        {"generator", ParamType::string, "own", {}, {},
         "own (the project's generator) or numpy_legacy (np.random.seed(seed) and one random_sample per "
         "neuron and step, as the reference: its seeded runs bitwise)"},
        {"stdp.i", ParamType::integer, 0, 0, 31, "first neuron of the nearest-neighbour STDP pair"},
        {"stdp.j", ParamType::integer, 1, 0, 31, "second neuron of the nearest-neighbour STDP pair"},
        {"stdp.a_plus", ParamType::real, -1.0, -1e6, 1e6, "STDP window amplitude for t_post > t_pre (SAL: −1)"},
        {"stdp.a_minus", ParamType::real, 1.0, -1e6, 1e6, "STDP window amplitude for t_post < t_pre (SAL: +1)"},
        {"stdp.tau_plus", ParamType::real, nullptr, 1e-9, 1e9, "STDP window width for t_post > t_pre (default t_ref)"},
        {"stdp.tau_minus", ParamType::real, nullptr, 1e-9, 1e9, "STDP window width for t_post < t_pre (default t_ref)"},
        {"stdp.num_last_spikes", ParamType::integer, 10, 1, 1000, "spikes per neuron the pair-based rule looks back on"},
        {"hist.half_width", ParamType::integer, 0, 0, 1e6, "timing histograms cover [−H, H] in unit bins (0: H = 2 t_ref)"},
        {"learn.epochs", ParamType::integer, 0, 0, 1e9, "SAL epochs (0: one measuring run)"},
        {"learn.lr", ParamType::real, 0.03, -1e6, 1e6, "SAL learning rate"},
        {"learn.mask", ParamType::real_matrix, nullptr, {}, {}, "per-weight factor of the update (0: fixed; default all 1)"},
    };
    return info;
}

// Measured with bench_sal (time-stepped sampler, 4 neurons): ~30 ns per neuron and step.
constexpr double kSecondsPerNeuronStep = 30e-9;

class EisysModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override { EisysConfig::from_params(params); }

    double estimate_cost(const Params& params) const override {
        const EisysConfig c = EisysConfig::from_params(params);
        const double epochs = std::max(1, c.learn_epochs);
        return kSecondsPerNeuronStep * c.dim() * static_cast<double>(c.steps) * epochs;
    }

    Result run(const Params& params, RunContext& context) const override {
        context.check_cancelled();
        const EisysConfig c = EisysConfig::from_params(params);
        const eisys::EisysRun run = eisys::run_eisys(c);
        const eisys::SpikeMeasures& m = run.measures;
        const auto dim = static_cast<std::size_t>(c.dim());
        const double steps = static_cast<double>(c.steps);

        Result result;
        std::vector<double> rates;
        for (std::size_t i = 0; i < dim; ++i) {
            rates.push_back(static_cast<double>(m.counts()[i]) / steps * c.t_ref);
            result.metrics["rate_" + c.names[i]] = rates.back();
        }
        // Scaled per step and t_ref, as EISystem.calc_stdp and sal_epoch do.
        const eisys::Matrix nn = m.nn_stdp() / steps * c.t_ref;
        const eisys::Matrix pair = m.pair_stdp() / steps * c.t_ref;
        const auto [i, j] = m.config().pair;
        const std::string ij = c.names[static_cast<std::size_t>(i)] + "_" + c.names[static_cast<std::size_t>(j)];
        const std::string ji = c.names[static_cast<std::size_t>(j)] + "_" + c.names[static_cast<std::size_t>(i)];
        result.metrics["stdp_" + ji] = nn(1, 0);
        result.metrics["stdp_" + ij] = nn(0, 1);
        result.metrics["pair_stdp_" + ji] = pair(j, i);
        result.metrics["pair_stdp_" + ij] = pair(i, j);
        if (c.ei_preset) {
            const auto w = [&](int post, int pre) { return c.w(post, pre); };
            result.metrics["effw_e2_e1"] = eisys::effective_weight(w(1, 0), w(2, 0), w(1, 2), c.b[2], c.b[0]);
            result.metrics["effw_e1_e2"] = eisys::effective_weight(w(0, 1), w(3, 1), w(0, 3), c.b[3], c.b[1]);
        }
        result.arrays.emplace("rates", Array::real({dim}, rates));
        result.arrays.emplace("spike_counts", Array::integer({dim}, m.counts()));
        result.arrays.emplace("nn_stdp", Array::real({2, 2}, {nn(0, 0), nn(0, 1), nn(1, 0), nn(1, 1)}));
        result.arrays.emplace("pair_stdp", Array::real({dim, dim}, {pair.data(), pair.data() + pair.size()}));
        const auto bins = static_cast<std::size_t>(2 * m.config().hist_half_width);
        result.arrays.emplace("stds_hist", Array::integer({dim, dim, bins}, m.histograms()));
        if (!run.weights.empty()) {
            std::vector<double> all;
            for (const eisys::Matrix& w : run.weights) all.insert(all.end(), w.data(), w.data() + w.size());
            result.arrays.emplace("weights", Array::real({run.weights.size(), dim, dim}, std::move(all)));
            const eisys::Matrix& last = run.weights.back();
            result.metrics["w_" + ji] = last(j, i);
            result.metrics["w_" + ij] = last(i, j);
        }
        return result;
    }

private:
    ModelInfo info_ = make_info();
};

}  // namespace

ModelPtr make_eisys_model() { return std::make_shared<EisysModel>(); }

}  // namespace sr
