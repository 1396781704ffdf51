#include "core/models/ssn/training.hpp"

namespace sr::ssn {
namespace {

constexpr std::uint64_t kSimStream = 0x5133;

// Kernel widths the pair sums are needed for: the reference passes tau_minus as both widths.
std::vector<double> stdp_widths(const SsnConfig& c) {
    if (c.sal.tau_minus == c.ws.tau_minus) return {c.ws.tau_minus};
    return {c.ws.tau_minus, c.sal.tau_minus};
}

}  // namespace

Trainer::Trainer(SsnConfig config, SimulationPath path)
    : config_(std::move(config)),
      path_(path),
      problem_(make_problem(config_)),
      target_(boltzmann_statistics(problem_.w_target, problem_.b_target)),
      target_marginals_(target_.coact.diagonal()),
      target_coact_(target_.coact),
      sal_width_(stdp_widths(config_).size() - 1),
      stats_(config_.dim, config_.t_ref, config_.stdp_num_last_spikes, stdp_widths(config_)),
      sampler_(config_.dim, config_.t_ref, config_.tau_syn) {
    target_coact_.diagonal().setZero();
}

TrainingState Trainer::initial_state() const {
    TrainingState state;
    state.w = problem_.w_init;
    state.b = problem_.b_init;
    state.rng = Rng{config_.seed_sim, kSimStream}.state();
    return state;
}

void Trainer::run_epoch(TrainingState& state) {
    const SsnConfig& c = config_;
    const bool validation = c.is_validation_epoch(state.epoch);
    const std::int64_t duration = c.epoch_duration(state.epoch);

    Rng rng{0};
    rng.set_state(state.rng);
    stats_.reset(duration);
    if (path_ == SimulationPath::event_driven) {
        sampler_.run(state.w, state.b, duration, rng, stats_);
    } else {
        simulate_time_stepped(state.w, state.b, c.t_ref, c.tau_syn, duration, rng, stats_);
    }
    stats_.finish();
    state.rng = rng.state();

    const auto d = static_cast<double>(duration);
    const Vector rates = spike_rates(stats_, c.t_ref);
    const Matrix stdp_ws = stdp_from_pair_sums(stats_.pair_sums(0), problem_.ws_a_plus,
                                               problem_.ws_a_minus, c.ws.tau_minus) / d * c.t_ref;

    state.b = state.b + c.lr_bias * (target_marginals_ - rates);
    state.w = state.w + c.lr_weight * (target_coact_ - stdp_ws);
    // With lr.symm = 0 the reference adds 0·SAL, which changes nothing; skip computing it.
    if (c.lr_symm != 0.0) {
        const Matrix sal = stdp_from_pair_sums(stats_.pair_sums(sal_width_), problem_.sal_a_plus,
                                               problem_.sal_a_minus, c.sal.tau_minus) / d * c.t_ref;
        state.w = state.w + c.lr_symm * sal;
    }
    state.w = state.w.cwiseMax(-c.max_w).cwiseMin(c.max_w);
    state.b = state.b.cwiseMax(-c.max_b).cwiseMin(c.max_b);

    if (validation) {
        ValidationRecord record;
        record.epoch = state.epoch;
        record.distr = sampled_distribution(stats_);
        record.dkl = kl_divergence(target_.probs, record.distr);
        record.asym = weight_asymmetry(state.w);
        record.w = state.w;
        record.b = state.b;
        state.validations.push_back(std::move(record));
    }
    state.simulated_steps += duration;
    state.num_spikes += stats_.num_spikes();
    ++state.epoch;
}

}  // namespace sr::ssn
