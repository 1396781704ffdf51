#include "core/models/ssn/ssn_model.hpp"

#include "core/models/ssn/training.hpp"
#include "core/sha256.hpp"

#include <algorithm>
#include <cstdio>

namespace sr {
namespace {

using ssn::SsnConfig;

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53: exact in every JSON/YAML reader

std::vector<ParamSpec> stdp_rule_specs(const std::string& rule, const std::string& what) {
    const std::string p = "stdp." + rule + ".";
    return {
        {p + "a_plus", ParamType::real, 1.0, -100.0, 100.0,
         what + " amplitude; " +
             (rule == "ws" ? "the mean of the drawn per-synapse amplitudes (for both the wake-sleep and the SAL rule, as in the reference)"
                           : "unused: the reference draws the SAL amplitudes from stdp.ws.a_plus and stdp.ws.noise")},
        {p + "a_minus", ParamType::real, 1.0, -100.0, 100.0,
         what + " depression amplitude; unused: the reference overwrites every entry with the drawn amplitudes"},
        {p + "tau_plus", ParamType::real, 50.0, 1e-9, 1e6,
         what + " causal kernel width; unused: the reference passes tau_minus as both widths"},
        {p + "tau_minus", ParamType::real, 50.0, 1e-9, 1e6,
         what + " triangular kernel width (steps), used on both sides"},
        {p + "noise", ParamType::real, 0.0, 0.0, 100.0,
         what + " amplitude noise: sd of the per-synapse normal draws, truncated at ±1.5 sd" +
             (rule == "sal" ? "; unused: the reference uses stdp.ws.noise for the SAL draws too" : "")},
        {p + "a_plus_matrix", ParamType::real_matrix, nullptr, {}, {},
         what + " effective causal amplitudes (dim × dim, [post][pre]); replaces the draw"},
        {p + "a_minus_matrix", ParamType::real_matrix, nullptr, {}, {},
         what + " effective acausal amplitudes (dim × dim, [post][pre]); replaces the draw"},
    };
}

ModelInfo make_info() {
    ModelInfo info;
    info.name = "ssn";
    info.version = 1;
    info.doc =
        "Spiking sampling network trained towards a random Boltzmann distribution with "
        "wake-sleep STDP and optional self-assigned learning (SAL), as sal-code's "
        "scripts/ssn/train_bm.py. Parameters are its exp.yaml; defaults are the published "
        "syn_noise experiment.";
    info.params = {
        {"dim", ParamType::integer, 7, 2, 15, "number of neurons (the target is enumerated over 2^dim states)"},
        {"seed.distr", ParamType::integer, 4242, 0, kMaxSeed, "seed of the target draws (w_target, b_target)"},
        {"seed.init", ParamType::integer, 4343, 0, kMaxSeed, "seed of the initial network and the STDP amplitude draws"},
        {"seed.sim", ParamType::integer, 4444, 0, kMaxSeed, "seed of the spike sampling"},
        {"distr.alpha", ParamType::real, 1.0, 1e-6, 1e6, "target weights and biases are 2·Beta(alpha, beta) − 1"},
        {"distr.beta", ParamType::real, 1.0, 1e-6, 1e6, "see distr.alpha"},
        {"sim_params.t_ref", ParamType::integer, 50, 1, 1e6, "refractory period (steps); states are sampled every t_ref/2 steps"},
        {"sim_params.tau_syn", ParamType::real, 50.0, 0.0, 1e7, "rectangular PSP window (0, tau_syn) in steps"},
        {"sim_params.num_last_spikes", ParamType::integer, 1, 1, 1000,
         "unused, as in the reference: its simulator always remembers the last 10 spikes per neuron for the PSPs"},
        {"num_epochs", ParamType::integer, 20001, 1, 1e9, "training epochs (epoch 0 is always a validation epoch)"},
        {"val_step", ParamType::integer, 500, 2, 1e9, "every val_step-th epoch (0, val_step, ...) is a validation epoch"},
        {"val_factor", ParamType::integer, 1000, 1, 1e6, "validation epochs simulate val_factor times longer"},
        {"lr.bias", ParamType::real, 0.01, -1e3, 1e3, "learning rate of the biases"},
        {"lr.weight", ParamType::real, 0.01, -1e3, 1e3, "learning rate of the weights (wake-sleep STDP)"},
        {"lr.symm", ParamType::real, 0.0, -1e3, 1e3, "learning rate of SAL (0 = no SAL)"},
        {"dur", ParamType::integer, 1000, 1, 1e9, "epoch length in units of t_ref"},
        {"init_noise", ParamType::real, 0.0, 0.0, 1e3, "sd of the asymmetric noise added to every initial weight"},
        {"weight_init", ParamType::real, 0.2, 0.0, 1e3, "sd of the symmetric initial weights"},
        {"bias_init", ParamType::real, 0.2, 0.0, 1e3, "sd of the initial biases"},
        {"max_w", ParamType::real, 2.0, 0.0, 1e3, "weights are clipped to ±max_w after every update"},
        {"max_b", ParamType::real, 2.0, 0.0, 1e3, "biases are clipped to ±max_b after every update"},
        {"stdp.num_last_spikes", ParamType::integer, 1, 1, 100, "spikes per neuron the STDP pair rule looks back on"},
        {"w_target", ParamType::real_matrix, nullptr, {}, {}, "explicit target weights (dim × dim); replaces the draw"},
        {"b_target", ParamType::real_list, nullptr, {}, {}, "explicit target biases (dim); replaces the draw"},
        {"w_init", ParamType::real_matrix, nullptr, {}, {}, "explicit initial weights (dim × dim); replaces the draw"},
        {"b_init", ParamType::real_list, nullptr, {}, {}, "explicit initial biases (dim); replaces the draw"},
    };
    for (auto& spec : stdp_rule_specs("ws", "wake-sleep STDP")) info.params.push_back(std::move(spec));
    for (auto& spec : stdp_rule_specs("sal", "SAL")) info.params.push_back(std::move(spec));
    return info;
}

// Measured with bench_ssn on the development machine (docs/ssn.md): event-driven cost per spike
// in training epochs, and in validation epochs, which also sample the network state; fixed cost
// per epoch (hazard table refill, updates).
constexpr double kSecondsPerTrainingSpike = 37e-9;
constexpr double kSecondsPerValidationSpike = 41e-9;
constexpr double kSecondsPerEpoch = 4e-6;
// Targets up to this many neurons are enumerated for the estimate (2^12 states: microseconds).
constexpr int kMaxEnumeratedDim = 12;

// Expected spikes per step. Training pulls every neuron's time on, t_ref · rate, to its target
// marginal <z_i>, so a job spikes Σ<z_i> / t_ref times per step (within 1% of the published
// jobs' counts, whose targets range from 3.2 to 4.6 neurons on). Larger targets are assumed
// to have every neuron on half the time.
double expected_spikes_per_step(const SsnConfig& c) {
    if (c.dim > kMaxEnumeratedDim) return c.dim * 0.5 / c.t_ref;
    const ssn::SsnProblem problem = ssn::make_problem(c);
    return ssn::boltzmann_statistics(problem.w_target, problem.b_target).coact.diagonal().sum() / c.t_ref;
}

class SsnModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override { SsnConfig::from_params(params); }

    double estimate_cost(const Params& params) const override {
        const SsnConfig c = SsnConfig::from_params(params);
        const double spikes_per_step = expected_spikes_per_step(c);
        const auto validation_steps = static_cast<double>(c.num_validations() * c.val_factor * c.epoch_steps());
        const double training_steps = static_cast<double>(c.total_steps()) - validation_steps;
        return spikes_per_step * (training_steps * kSecondsPerTrainingSpike + validation_steps * kSecondsPerValidationSpike) +
               static_cast<double>(c.num_epochs) * kSecondsPerEpoch;
    }

    Result run(const Params& params, RunContext& context) const override {
        ssn::Trainer trainer(SsnConfig::from_params(params));
        const SsnConfig& c = trainer.config();
        const auto total_steps = static_cast<double>(std::max<std::int64_t>(1, c.total_steps()));
        ssn::TrainingState state = trainer.initial_state();
        // Checkpoints (docs/slurm.md): the state at an epoch boundary is complete (every epoch
        // starts the sampler from rest), so a stop saves it and a rerun continues bitwise.
        const std::string fingerprint = checkpoint_fingerprint(params);
        if (const auto saved = context.load_checkpoint()) {
            if (auto restored = ssn::decode_checkpoint(*saved, fingerprint, c)) {
                state = std::move(*restored);
                std::fprintf(stderr, "ssn %s: resumed from checkpoint at epoch %lld\n",
                             context.job().key.substr(0, 12).c_str(), static_cast<long long>(state.epoch));
            } else {
                std::fprintf(stderr, "ssn %s: ignoring a checkpoint of other parameters or format\n",
                             context.job().key.substr(0, 12).c_str());
            }
        }
        while (!trainer.finished(state)) {
            // Epoch boundary: the only cancellation point, nothing is checked inside the simulation.
            if (context.stop_requested()) context.save_checkpoint(ssn::encode_checkpoint(state, fingerprint));
            context.check_cancelled();
            trainer.run_epoch(state);
            context.report_progress(static_cast<double>(state.simulated_steps) / total_steps);
        }
        return make_result(trainer, state);
    }

private:
    // Ties a checkpoint to the model version and the job's parameters (the job key's ingredients).
    std::string checkpoint_fingerprint(const Params& params) const {
        return sha256_hex("ssn/" + std::to_string(info_.version) + "/" +
                          params.dump(-1, ' ', false, Json::error_handler_t::replace));
    }

    static Result make_result(const ssn::Trainer& trainer, const ssn::TrainingState& state) {
        const SsnConfig& c = trainer.config();
        const auto dim = static_cast<std::size_t>(c.dim);
        const std::size_t num_states = std::size_t{1} << c.dim;
        const std::size_t n = state.validations.size();

        std::vector<std::int64_t> steps;
        std::vector<double> dkls, asyms, weights, biases, distrs;
        for (const auto& v : state.validations) {
            steps.push_back(v.epoch);
            dkls.push_back(v.dkl);
            asyms.push_back(v.asym);
            weights.insert(weights.end(), v.w.data(), v.w.data() + v.w.size());
            biases.insert(biases.end(), v.b.data(), v.b.data() + v.b.size());
            distrs.insert(distrs.end(), v.distr.begin(), v.distr.end());
        }
        const auto& p = trainer.problem();

        Result result;
        result.arrays.emplace("val_steps", Array::integer({n}, std::move(steps)));
        result.arrays.emplace("dkls", Array::real({n}, dkls));
        result.arrays.emplace("all_asym", Array::real({n}, asyms));
        result.arrays.emplace("all_weights", Array::real({n, dim, dim}, std::move(weights)));
        result.arrays.emplace("all_biases", Array::real({n, dim}, std::move(biases)));
        result.arrays.emplace("all_distr", Array::real({n, num_states}, std::move(distrs)));
        result.arrays.emplace("target_distr", Array::real({num_states}, trainer.target().probs));
        result.arrays.emplace("w_target", Array::real({dim, dim}, {p.w_target.data(), p.w_target.data() + p.w_target.size()}));
        result.arrays.emplace("b_target", Array::real({dim}, {p.b_target.data(), p.b_target.data() + p.b_target.size()}));

        // num_epochs ≥ 1, so epoch 0 (a validation epoch) always ran.
        result.metrics["final_dkl"] = dkls.back();
        result.metrics["min_dkl"] = *std::min_element(dkls.begin(), dkls.end());
        result.metrics["final_asym"] = asyms.back();
        result.metrics["mean_rate"] = static_cast<double>(state.num_spikes) * c.t_ref /
                                      (static_cast<double>(state.simulated_steps) * c.dim);
        result.metrics["simulated_steps"] = static_cast<double>(state.simulated_steps);
        result.metrics["num_spikes"] = static_cast<double>(state.num_spikes);
        return result;
    }

    ModelInfo info_ = make_info();
};

}  // namespace

ModelPtr make_ssn_model() { return std::make_shared<SsnModel>(); }

}  // namespace sr
