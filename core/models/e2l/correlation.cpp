#include "core/models/e2l/correlation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sr::e2l {
namespace {

// Delta inputs waiting for their arrival step, indexed by step modulo a power of two.
class InputRing {
public:
    explicit InputRing(std::int64_t horizon) {
        std::size_t size = 1;
        while (static_cast<std::int64_t>(size) <= horizon) size *= 2;
        slots_.assign(size, 0.0);
        mask_ = size - 1;
    }
    void add(std::int64_t step, double value) { slots_[static_cast<std::size_t>(step) & mask_] += value; }
    double take(std::int64_t step) {
        double& slot = slots_[static_cast<std::size_t>(step) & mask_];
        const double value = slot;
        slot = 0.0;
        return value;
    }

private:
    std::vector<double> slots_;
    std::size_t mask_ = 0;
};

constexpr std::int64_t kProgressSteps = 10000;  // one simulated second at 0.1 ms

}  // namespace

CorrelationOutcome run_correlation_trial(const CorrelationConfig& config, const StdpSympyRule& rule,
                                         const CorrelationTrial& trial, const TrialProgress& progress) {
    const Grid grid(config.resolution);
    const std::int64_t n_learn = grid.steps(config.T_learn);
    const std::int64_t n_snr = grid.steps(config.T_snr);
    const std::int64_t d_in = grid.steps(config.input_delay);
    const std::int64_t d_syn = grid.steps(config.synapse.delay);
    if (d_in < 1 || d_syn < 1) throw std::invalid_argument("delays must be at least one simulation step");
    const double total_steps = static_cast<double>(n_learn + n_snr);

    CorrelationOutcome out;

    // Learning. A parrot spike with stamp S updates its synapse once the neuron has reached S
    // (NEST delivers it at the next slice boundary; the synapse reads only postsynaptic spikes up
    // to S - delay, all known by then) and arrives at the neuron at S + delay. Spikes the parrots
    // emit up to T_learn, in the last slice too, are in the final weights.
    std::vector<StdpSympySynapse> synapses(static_cast<std::size_t>(trial.n_inputs));
    for (auto& s : synapses) s.weight = trial.w0;
    SpikeArchive post(config.tau_minus);
    IafPscDelta neuron(config.neuron, grid, trial.V_m_init_learn);
    InputRing ring(d_syn + 1);
    std::size_t e = 0;
    const std::size_t n_events = trial.events.size();
    auto deliver_until = [&](std::int64_t now) {
        while (e < n_events && trial.events[e].step + d_in <= now) {
            const GridEvent& ev = trial.events[e++];
            const std::int64_t stamp = ev.step + d_in;
            const double w = synapses[static_cast<std::size_t>(ev.input)].send(grid.ms(stamp), config.synapse, rule, post);
            ring.add(stamp + d_syn, w);
        }
    };
    for (std::int64_t k = 0; k < n_learn; ++k) {
        deliver_until(k);
        if (neuron.step(ring.take(k + 1))) {
            post.add_spike(grid.ms(k + 1));
            ++out.post_spikes;
        }
        if (progress && (k + 1) % kProgressSteps == 0) progress(static_cast<double>(k + 1) / total_steps);
    }
    deliver_until(n_learn);
    out.weights.reserve(synapses.size());
    for (const auto& s : synapses) out.weights.push_back(s.weight);

    // SNR: static synapses with the learned weights, a neuron that never spikes, V_m sampled
    // every step (voltmeter interval 0.1 ms) at the end of the step.
    IafPscDeltaParams free_neuron = config.neuron;
    free_neuron.V_th = config.V_th_snr;
    IafPscDelta snr_neuron(free_neuron, grid, trial.V_m_init_snr);
    MembraneSnr snr(config.window_start, config.window_stop, config.snr_ddof);
    e = 0;
    const std::int64_t latency = d_in + d_syn;
    for (std::int64_t k = 0; k < n_snr; ++k) {
        double input = 0.0;
        while (e < n_events && trial.events[e].step + latency <= k + 1) {
            const GridEvent& ev = trial.events[e++];
            input += out.weights[static_cast<std::size_t>(ev.input)];
        }
        snr_neuron.step(input);
        snr.add(grid.ms(k + 1), snr_neuron.V_m());
        if (progress && (k + 1) % kProgressSteps == 0) progress(static_cast<double>(n_learn + k + 1) / total_steps);
    }
    out.snr = snr.value();
    return out;
}

MembraneSnr::MembraneSnr(const std::vector<double>& window_start, const std::vector<double>& window_stop, int ddof)
    : start_(window_start),
      stop_(window_stop),
      ddof_(ddof),
      vmax_(window_start.size(), 0.0),
      sampled_(window_start.size(), 0),
      inter_([]() -> std::vector<double>& {
          thread_local std::vector<double> scratch;
          scratch.clear();
          return scratch;
      }()) {}

double MembraneSnr::value() const {
    double sum = 0.0;
    for (const double v : inter_) sum += v;
    const double mean = sum / static_cast<double>(inter_.size());
    double squares = 0.0;
    for (const double v : inter_) squares += (mean - v) * (mean - v);
    const double sd = std::sqrt(squares / (static_cast<double>(inter_.size()) - ddof_));
    double snr_sum = 0.0;
    int n = 0;
    for (std::size_t k = 0; k < vmax_.size(); ++k) {
        if (!sampled_[k]) continue;
        snr_sum += (vmax_[k] - mean) / sd;
        ++n;
    }
    return snr_sum / n;
}

GeneratedInput generate_pattern_input(const PatternTaskParams& p, Rng& rng) {
    const double rate_per_ms = p.rate * 1e-3;
    // create_frozen_noise: a fixed number of exponential intervals, cumulated, shifted by 0.1 ms
    // and rounded to 0.1 ms (np.round), times at or after T dropped.
    auto frozen_noise = [&](double T) {
        const int count = std::max(1, static_cast<int>(1.25 * rate_per_ms * T));
        std::vector<std::vector<double>> trains(static_cast<std::size_t>(p.n_inputs));
        for (auto& train : trains) {
            double t = 0.0;
            for (int j = 0; j < count; ++j) {
                t += rng.exponential(rate_per_ms);
                const double rounded = std::nearbyint((t + 0.1) * 10.0) / 10.0;
                if (rounded < T) train.push_back(rounded);
            }
        }
        return trains;
    };
    const auto pattern = frozen_noise(p.T_stim);
    const auto background = frozen_noise(p.T);

    GeneratedInput out;
    std::vector<double> onsets;
    for (double t = 0.1 + p.T_inter; t < p.T; t += p.T_stim + p.T_inter) onsets.push_back(t);
    for (const double t : onsets) {
        out.window_start.push_back(t);
        out.window_stop.push_back(t + p.T_stim);
    }
    // Thinning keeps the background rate outside the windows at the rate a pattern neuron has
    // on average (build_poisson_input's alpha).
    const double nu_stim = 1000.0 / (p.T_inter + p.T_stim);
    const double nu_inter = p.rate * p.T_inter / (p.T_inter + p.T_stim);
    const double alpha = 1.0 - nu_stim / nu_inter;
    if (!(alpha > 0.0)) throw std::invalid_argument("bg_rate too low for the pattern rate (thinning factor <= 0)");

    for (int i = 0; i < p.n_inputs; ++i) {
        std::vector<double> kept;
        std::size_t k = 0;
        for (const double t : background[static_cast<std::size_t>(i)]) {
            while (k < onsets.size() && onsets[k] + p.T_stim < t) ++k;
            const bool inside = k < onsets.size() && t > onsets[k] && t <= onsets[k] + p.T_stim;
            if (!inside) kept.push_back(t);
        }
        std::vector<double> train;
        const auto& pat = pattern[static_cast<std::size_t>(i)];
        if (!pat.empty()) {
            const auto n_keep = static_cast<std::size_t>(static_cast<double>(kept.size()) * alpha);
            for (std::size_t j = 0; j < n_keep; ++j) train.push_back(kept[rng.below(kept.size())]);
            for (const double onset : onsets) {
                for (const double t : pat) train.push_back(t + onset);
            }
        } else {
            train = std::move(kept);
        }
        std::sort(train.begin(), train.end());
        out.trains.times.insert(out.trains.times.end(), train.begin(), train.end());
        out.trains.offsets.push_back(static_cast<std::int64_t>(out.trains.times.size()));
    }
    return out;
}

}  // namespace sr::e2l
