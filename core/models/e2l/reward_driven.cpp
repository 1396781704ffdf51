#include "core/models/e2l/reward_driven.hpp"

#include "core/models/e2l/e2l_model.hpp"
#include "core/models/e2l/model_support.hpp"
#include "core/models/e2l/spike_input.hpp"
#include "core/rng.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace sr::e2l {
namespace {

// Closed forms run in blocks of this many steps, so the power tables stay in L1.
constexpr std::int64_t kBlock = 512;

// Two doubles per operation (SSE2 on x86-64, any target GCC and Clang know): the hot loops are
// written on these so that they vectorize without -ffast-math, with the same values on every host.
typedef double v2d __attribute__((vector_size(16)));
typedef std::uint64_t v2u __attribute__((vector_size(16)));
typedef std::int64_t v2i __attribute__((vector_size(16)));

inline v2d load2(const double* p) {
    v2d v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store2(double* p, v2d v) { std::memcpy(p, &v, sizeof v); }

// exp: 2^k * e^r with |r| <= ln2/2 and a degree-10 Taylor polynomial (relative error < 1e-12,
// ample for a trace; the clamp keeps 2^k a normal number). Our own, so every host gets the same.
inline v2d exp2v(v2d x) {
    const v2d lo = {-700.0, -700.0}, hi = {700.0, 700.0};
    x = x < lo ? lo : x;
    x = x > hi ? hi : x;
    constexpr double kShifter = 0x1.8p52;
    const v2d t = x * 1.4426950408889634 + kShifter;
    const v2d k = t - kShifter;
    const v2d r = (x - k * 0.6931471805599453) - k * 2.3190468138462996e-17;
    v2d p = r * (1.0 / 39916800.0) + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // The low bits of t hold k: adding k << 52 to p's bits scales it by 2^k.
    return (v2d)((v2u)p + ((v2u)t << 52));
}

}  // namespace

RewardPattern make_reward_pattern(const std::vector<std::vector<double>>& trains, const std::vector<std::int32_t>& connected,
                                  const RewardConfig& config) {
    const Grid grid(config.resolution);
    const std::int64_t d = grid.steps(config.delay);
    const std::int64_t last_update = grid.steps(config.duration) - d - 1;
    // A generator spike at step m leaves the parrot at m + d - 1; the synapse's current takes it
    // one min-delay slice later (its ring buffer), the neuron one more slice after that.
    std::vector<std::pair<std::int32_t, std::int32_t>> arrivals;  // (step, slot)
    for (std::size_t i = 0; i < trains.size(); ++i) {
        if (connected[i] < 0) continue;
        std::int64_t previous = -1;
        for (const double t : trains[i]) {
            const std::int64_t a = grid.step_of(t) + 2 * d - 1;
            if (a > last_update) break;  // trains are ascending
            if (a == previous) continue;
            arrivals.emplace_back(static_cast<std::int32_t>(a), connected[i]);
            previous = a;
        }
    }
    std::sort(arrivals.begin(), arrivals.end());
    RewardPattern p;
    for (const auto& [step, slot] : arrivals) {
        if (p.steps.empty() || p.steps.back() != step) {
            p.steps.push_back(step);
            p.offsets.push_back(p.offsets.back());
        }
        p.slots.push_back(slot);
        ++p.offsets.back();
    }
    return p;
}

struct RewardTask::Scratch {
    std::vector<double> V;                 // V_m relative to E_L after each step's update
    std::vector<std::int64_t> spike_steps;
    std::vector<double> trace;             // per connection
    std::vector<double> Q;                 // per arrival step
    double block[kBlock + 2];
};

RewardTask::RewardTask(const RewardConfig& config, const std::vector<double>& noise_uniforms) : config_(config) {
    const Grid grid(config.resolution);
    const double h = grid.resolution();
    n_steps_ = grid.steps(config.duration);
    delay_steps_ = grid.steps(config.delay);
    if (delay_steps_ < 1) throw std::invalid_argument("delay must be at least one step");
    if (n_steps_ <= 2 * delay_steps_) throw std::invalid_argument("duration must exceed two delays");
    last_update_ = n_steps_ - delay_steps_ - 1;
    refractory_steps_ = grid.steps(config.t_ref);
    V_reset_ = config.V_reset - config.E_L;
    if (config.tau_m == config.tau_syn) throw std::invalid_argument("tau_m must differ from tau_syn");
    P11_ = std::exp(-h / config.tau_syn);
    P22_ = std::exp(-h / config.tau_m);
    P21_ = propagator_32(config.tau_syn, config.tau_m, config.C_m, h);
    alpha_ = P21_ / (P22_ - P11_);
    PE_ = std::exp(-h / config.tau_E);
    trace_scale_ = (1.0 - PE_) / config.syn_delta * 1e9;
    if (static_cast<std::int64_t>(noise_uniforms.size()) < n_steps_) throw std::invalid_argument("one noise draw per step needed");
    // drand() < rho * exp((V - Theta) / delta) * h * 1e-3, solved for V.
    const double Theta = config.V_th - config.E_L;
    threshold_.resize(static_cast<std::size_t>(n_steps_) + 2, std::numeric_limits<double>::infinity());
    for (std::int64_t k = 0; k < n_steps_; ++k) {
        const double u = noise_uniforms[static_cast<std::size_t>(k)];
        threshold_[static_cast<std::size_t>(k)] =
            config.rho > 0.0 ? Theta + config.delta * std::log(u / (config.rho * h * 1e-3)) : std::numeric_limits<double>::infinity();
    }
    for (auto* table : {&pow22_, &pow11_, &rpow22_, &rpow11_}) table->resize(kBlock + 2, 0.0);  // padded for pairs
    for (std::int64_t r = 0; r <= kBlock; ++r) {
        const auto n = static_cast<double>(r);
        pow22_[static_cast<std::size_t>(r)] = std::pow(P22_, n);
        pow11_[static_cast<std::size_t>(r)] = std::pow(P11_, n);
        rpow22_[static_cast<std::size_t>(r)] = std::pow(P22_ / PE_, n);
        rpow11_[static_cast<std::size_t>(r)] = std::pow(P11_ / PE_, n);
    }
}

// iaf_psc_exp::update over the whole trial, piece by piece: between input arrivals the membrane
// has the closed form V_{k0+n} = (V0 + alpha I0) P22^n - alpha I0 P11^n, evaluated a block at a
// time with a vectorizable threshold test. Fills s.V (every step) and s.spike_steps; returns
// whether the neuron spiked.
bool RewardTask::simulate_neuron(const RewardPattern& pattern, const std::vector<double>& weights, Scratch& s) const {
    s.spike_steps.clear();
    double* V = s.V.data();
    const double* theta = threshold_.data();
    const double* A = pow22_.data();
    const double* B = pow11_.data();
    double v_state = 0.0, i_state = 0.0;  // after step k - 1
    std::int64_t refractory = 0;
    std::int64_t k = 0;
    const std::size_t n_arrivals = pattern.steps.size();
    for (std::size_t i = 0; i <= n_arrivals; ++i) {
        const std::int64_t last = i < n_arrivals ? pattern.steps[i] + delay_steps_ : n_steps_ - 1;
        while (k <= last) {
            if (refractory > 0) {
                // Clamped at V_reset; the synaptic current decays on.
                const std::int64_t m = std::min(refractory, last - k + 1);
                std::fill(V + k, V + k + m, V_reset_);
                i_state *= m <= kBlock ? B[m] : std::pow(P11_, static_cast<double>(m));
                refractory -= m;
                k += m;
                v_state = V_reset_;
                continue;
            }
            const double c22 = v_state + alpha_ * i_state;
            double g22 = c22 * P22_, g11 = alpha_ * i_state * P11_, gI = i_state * P11_;  // at n = 1
            std::int64_t spike = -1;
            std::int64_t block_start = k;
            std::int64_t len = 0;
            while (block_start <= last) {
                len = std::min(kBlock, last - block_start + 1);
                double* v = V + block_start;
                const double* th = theta + block_start;
                // Pairs of steps; the tables and V are padded, so an odd block computes one step
                // more, which the next block or piece overwrites and the threshold test ignores.
                v2i above = {0, 0};
                for (std::int64_t r = 0; r + 1 < len; r += 2) {
                    const v2d x = g22 * load2(A + r) - g11 * load2(B + r);
                    store2(v + r, x);
                    above |= x > load2(th + r);
                }
                if (len % 2 != 0) {
                    v[len - 1] = g22 * A[len - 1] - g11 * B[len - 1];
                    above[0] |= v[len - 1] > th[len - 1] ? 1 : 0;
                }
                if (above[0] != 0 || above[1] != 0) {
                    std::int64_t r = 0;
                    while (!(v[r] > th[r])) ++r;
                    spike = block_start + r;
                    i_state = gI * B[r];
                    break;
                }
                if (block_start + len > last) break;
                g22 *= A[kBlock];
                g11 *= B[kBlock];
                gI *= B[kBlock];
                block_start += kBlock;
            }
            if (spike >= 0) {
                s.spike_steps.push_back(spike);
                refractory = refractory_steps_;
                v_state = V_reset_;
                k = spike + 1;
            } else {
                v_state = V[last];
                i_state = gI * B[len - 1];
                k = last + 1;
            }
        }
        if (i < n_arrivals) {
            for (std::int32_t j = pattern.offsets[i]; j < pattern.offsets[i + 1]; ++j) {
                i_state += weights[static_cast<std::size_t>(pattern.slots[static_cast<std::size_t>(j)])];
            }
        }
    }
    return !s.spike_steps.empty();
}

// usrl_synapse's trace at the end of the trial. Per step k (up to the last slice NEST delivers)
//   E <- E PE + (1 - PE) / delta * PSP_k * (s_k - phi(u_k) h) * 1e9,
// where PSP_k = sum over the connection's arrivals a < k of K(k - a), K(n) = alpha (P22^n - P11^n).
// Unrolled, E = scale * sum_a Q(a) with
//   Q(a) = alpha PE^(T - a) * sum_{k > a} x_k ((P22/PE)^(k-a) - (P11/PE)^(k-a)),  x_k = s_k - phi_k h,
// which one pass over the arrival steps gives (sums between consecutive arrivals, then suffix sums).
void RewardTask::eligibility(const RewardPattern& pattern, Scratch& s) const {
    std::fill(s.trace.begin(), s.trace.end(), 0.0);
    const std::size_t n = pattern.steps.size();
    if (n == 0) return;
    const double h = Grid(config_.resolution).resolution();
    const double phi_h = config_.syn_rho * h;
    const double theta_rel = config_.syn_Theta - config_.E_L;
    const double inv_delta = 1.0 / config_.syn_delta;
    const double* V = s.V.data();
    const double r22 = P22_ / PE_, r11 = P11_ / PE_;
    const double* R22 = rpow22_.data();
    const double* R11 = rpow11_.data();
    s.Q.assign(n, 0.0);
    std::vector<double> seg22(n), seg11(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t a = pattern.steps[i];
        const std::int64_t end = i + 1 < n ? pattern.steps[i + 1] : last_update_;
        double sum22 = 0.0, sum11 = 0.0;
        double scale22 = r22, scale11 = r11;  // (P/PE)^(offset of the block's first step)
        for (std::int64_t start = a + 1; start <= end; start += kBlock) {
            const std::int64_t len = std::min(kBlock, end - start + 1);
            const double* v = V + start;
            double* e = s.block;
            for (std::int64_t r = 0; r < len; r += 2) store2(e + r, exp2v((load2(v + r) - theta_rel) * inv_delta));
            // Partial sums in a fixed order: vectorized, and the same on every host.
            v2d p22a = {0, 0}, p22b = {0, 0}, p11a = {0, 0}, p11b = {0, 0};
            std::int64_t r = 0;
            for (; r + 4 <= len; r += 4) {
                p22a += load2(e + r) * load2(R22 + r);
                p22b += load2(e + r + 2) * load2(R22 + r + 2);
                p11a += load2(e + r) * load2(R11 + r);
                p11b += load2(e + r + 2) * load2(R11 + r + 2);
            }
            for (; r < len; ++r) {
                p22a[0] += e[r] * R22[r];
                p11a[0] += e[r] * R11[r];
            }
            const v2d p22 = p22a + p22b, p11 = p11a + p11b;
            sum22 -= phi_h * scale22 * (p22[0] + p22[1]);
            sum11 -= phi_h * scale11 * (p11[0] + p11[1]);
            scale22 *= rpow22_[kBlock];
            scale11 *= rpow11_[kBlock];
        }
        seg22[i] = sum22;
        seg11[i] = sum11;
    }
    // Postsynaptic spikes (s_k = 1) in the segment that follows the latest arrival before them.
    for (const std::int64_t k : s.spike_steps) {
        if (k > last_update_ || k <= pattern.steps.front()) continue;
        const auto it = std::lower_bound(pattern.steps.begin(), pattern.steps.end(), static_cast<std::int32_t>(k));
        const auto i = static_cast<std::size_t>(it - pattern.steps.begin()) - 1;  // steps[i] < k
        const auto offset = static_cast<double>(k - pattern.steps[i]);
        seg22[i] += std::pow(r22, offset);
        seg11[i] += std::pow(r11, offset);
    }
    double suffix22 = 0.0, suffix11 = 0.0;
    for (std::size_t i = n; i-- > 0;) {
        if (i + 1 < n) {
            const auto gap = static_cast<double>(pattern.steps[i + 1] - pattern.steps[i]);
            suffix22 *= std::pow(r22, gap);
            suffix11 *= std::pow(r11, gap);
        }
        suffix22 += seg22[i];
        suffix11 += seg11[i];
        const double q = alpha_ * std::pow(PE_, static_cast<double>(last_update_ - pattern.steps[i])) * (suffix22 - suffix11);
        for (std::int32_t j = pattern.offsets[i]; j < pattern.offsets[i + 1]; ++j) {
            s.trace[static_cast<std::size_t>(pattern.slots[static_cast<std::size_t>(j)])] += q;
        }
    }
    for (double& e : s.trace) e *= trace_scale_;
}

RewardOutcome RewardTask::run(const RewardExperiment& experiment, const symbolic::Evaluator& rule, bool rule_uses_trace,
                              const std::function<void(double)>& progress) const {
    RewardOutcome out;
    std::vector<double> weights = experiment.initial_weights;
    Scratch s;
    s.V.assign(static_cast<std::size_t>(n_steps_) + 2, 0.0);  // padded for pairs
    s.trace.assign(weights.size(), 0.0);
    const std::size_t n_trials = experiment.pattern_order.size();
    out.rewards.reserve(n_trials);
    for (std::size_t trial = 0; trial < n_trials; ++trial) {
        if (trial % 50 == 0) progress(static_cast<double>(trial) / static_cast<double>(n_trials));
        const auto p = static_cast<std::size_t>(experiment.pattern_order[trial]);
        const RewardPattern& pattern = experiment.patterns[p];
        const bool spiked = simulate_neuron(pattern, weights, s);
        out.spikes += static_cast<std::int64_t>(s.spike_steps.size());
        // sim.py compute_reward: R = +1 iff (spiked) equals (label = +1).
        const double R = spiked == (experiment.labels[p] > 0.0) ? 1.0 : -1.0;
        out.rewards.push_back(static_cast<std::int8_t>(R));
        if (rule_uses_trace) eligibility(pattern, s);
        for (std::size_t j = 0; j < weights.size(); ++j) {
            const double x[2] = {R, s.trace[j]};
            weights[j] += config_.learning_rate * rule(x);
        }
    }
    out.weights = std::move(weights);
    return out;
}

}  // namespace sr::e2l

// ---- model e2l.reward ----

namespace sr {
namespace {

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53
// bench_e2l --reward: one trial of a rule with x_1 costs about this much (1.3 s per 5000).
constexpr double kSecondsPerTrial = 2.6e-4;

struct RewardInputs {
    int n_inputs = 0;
    int n_patterns = 0;
    // Pattern p's train of input i: trains[p][i], ms.
    std::vector<std::vector<std::vector<double>>> trains;
    std::vector<double> labels;
    std::vector<double> weight_draws;     // initial weights in connection order
    std::vector<std::int32_t> order;      // pattern per trial
};

// <group>/exp_<k> of a file in the layout of ../shared/reference/e2l/reward_driven.h5.
std::shared_ptr<const RewardInputs> load_experiment(const std::string& path, const std::string& group, int experiment, int K,
                                                    int n_trials) {
    const std::string name = "/" + group + "/exp_" + std::to_string(experiment);
    return e2l::cached<RewardInputs, 256>(e2l::input_file_key(path) + "|" + name + "|" + std::to_string(K) + "|" + std::to_string(n_trials), [&] {
        e2l::Hdf5Reader file(path);
        if (!file.exists(name)) throw ParamError("inputs.experiments", path + ": no group '" + name + "'");
        RewardInputs in;
        in.labels = file.reals(name + "/labels");
        in.n_patterns = static_cast<int>(in.labels.size());
        const e2l::SpikeTrains trains = file.trains(name);
        if (in.n_patterns == 0 || trains.size() % static_cast<std::size_t>(in.n_patterns) != 0) {
            throw ParamError("inputs.file", path + ": " + name + " holds " + std::to_string(trains.size()) +
                                                " trains, not a multiple of its " + std::to_string(in.n_patterns) + " labels");
        }
        in.n_inputs = static_cast<int>(trains.size() / static_cast<std::size_t>(in.n_patterns));
        in.trains.resize(static_cast<std::size_t>(in.n_patterns));
        for (int p = 0; p < in.n_patterns; ++p) {
            for (int i = 0; i < in.n_inputs; ++i) {
                const std::size_t t = static_cast<std::size_t>(p) * static_cast<std::size_t>(in.n_inputs) + static_cast<std::size_t>(i);
                in.trains[static_cast<std::size_t>(p)].emplace_back(trains.times.begin() + trains.offsets[t],
                                                                    trains.times.begin() + trains.offsets[t + 1]);
            }
        }
        in.weight_draws = file.reals(name + "/init_weight_draws");
        const std::size_t rows = in.weight_draws.size() + 1;
        if (K > static_cast<int>(in.weight_draws.size()) || K > in.n_inputs) {
            throw ParamError("inputs.K", path + ": " + name + " has " + std::to_string(in.weight_draws.size()) +
                                             " weight draws and " + std::to_string(in.n_inputs) + " inputs; K = " + std::to_string(K) + " is too many");
        }
        in.weight_draws.resize(static_cast<std::size_t>(K));
        // Row K of pattern_idx_by_K: the numpy draws after K weight draws.
        const std::vector<std::int64_t> by_K = file.integers(name + "/pattern_idx_by_K");
        const std::size_t per_row = by_K.size() / std::max<std::size_t>(rows, 1);
        if (rows * per_row != by_K.size() || static_cast<std::size_t>(K) >= rows) {
            throw ParamError("inputs.file", path + ": " + name + "/pattern_idx_by_K is not (draws + 1) x trials");
        }
        if (n_trials > static_cast<int>(per_row)) {
            throw ParamError("n_trials", path + " stores " + std::to_string(per_row) + " trials per experiment, not " + std::to_string(n_trials));
        }
        for (int t = 0; t < n_trials; ++t) {
            const std::int64_t p = by_K[static_cast<std::size_t>(K) * per_row + static_cast<std::size_t>(t)];
            if (p < 0 || p >= in.n_patterns) throw ParamError("inputs.file", path + ": " + name + "/pattern_idx_by_K holds pattern " + std::to_string(p));
            in.order.push_back(static_cast<std::int32_t>(p));
        }
        return in;
    });
}

struct TaskSizes {
    int n_inputs, n_patterns, K, n_trials;
    double rate, duration, resolution;
};

// sim.py's generator with our random streams: Poisson trains of `rate` on (h, duration] floored
// to the grid, labels +-1 with probability 1/2, weights N(0, initial_weight), a uniform pattern
// per trial.
std::shared_ptr<const RewardInputs> generate_experiment(std::uint64_t seed, int experiment, const TaskSizes& z, double weight_sd) {
    const std::string key = "generated|" + std::to_string(seed) + "|" + std::to_string(experiment) + "|" +
                            std::to_string(z.n_inputs) + "|" + std::to_string(z.n_patterns) + "|" + std::to_string(z.K) + "|" +
                            std::to_string(z.n_trials) + "|" + std::to_string(z.rate) + "|" + std::to_string(z.duration) + "|" +
                            std::to_string(z.resolution) + "|" + std::to_string(weight_sd);
    return e2l::cached<RewardInputs, 256>(key, [&] {
        RewardInputs in;
        in.n_inputs = z.n_inputs;
        in.n_patterns = z.n_patterns;
        const e2l::Grid grid(z.resolution);
        const double h = grid.resolution();
        Rng rng({seed, static_cast<std::uint64_t>(experiment), 1});
        for (int p = 0; p < z.n_patterns; ++p) {
            std::vector<std::vector<double>> pattern(static_cast<std::size_t>(z.n_inputs));
            for (auto& train : pattern) {
                if (z.rate <= 0.0) continue;
                for (double t = h + rng.exponential(z.rate * 1e-3); t < z.duration; t += rng.exponential(z.rate * 1e-3)) {
                    train.push_back(grid.ms(static_cast<std::int64_t>(t / h)));  // sim.py: t - t % dt
                }
            }
            in.trains.push_back(std::move(pattern));
            in.labels.push_back(rng.uniform() < 0.5 ? -1.0 : 1.0);
        }
        Rng weights({seed, static_cast<std::uint64_t>(experiment), 2});
        for (int j = 0; j < z.K; ++j) in.weight_draws.push_back(weights.normal(0.0, weight_sd));
        Rng order({seed, static_cast<std::uint64_t>(experiment), 3});
        for (int t = 0; t < z.n_trials; ++t) {
            in.order.push_back(static_cast<std::int32_t>(order.below(static_cast<std::uint64_t>(z.n_patterns))));
        }
        return in;
    });
}

ModelInfo make_info() {
    ModelInfo info;
    info.name = "e2l.reward";
    info.version = 1;
    info.doc =
        "Reward-driven task of e2l-cgp-snn (Fig. 3): an escape-noise iaf_psc_exp neuron with K plastic "
        "inputs learns to spike for the patterns labelled +1 and not for those labelled -1; after each "
        "500 ms trial every weight changes by learning_rate * f(x_0 = reward, x_1 = eligibility trace). "
        "Fitness is the mean over experiments of the summed reward of the trials. Inputs from a file in "
        "the reference fixtures' layout (inputs.file) or generated from inputs.seed; the escape noise "
        "and which inputs connect come from noise.seed and connections.seed.";
    info.metrics_only = false;
    info.params = {
        {"rule", ParamType::string, "0", {}, {}, "weight change per trial / learning_rate: an expression of x_0 = R (+1 or -1) and x_1 = E"},
        {"inputs.file", ParamType::string, nullptr, {}, {}, "HDF5 file in the layout of ../shared/reference/e2l/reward_driven.h5; absent: generate from inputs.seed"},
        {"inputs.group", ParamType::string, "evolution", {}, {}, "group of the file: evolution or validation"},
        {"inputs.experiments", ParamType::real_list, Json::array({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), {}, {}, "experiments (groups exp_<k>, or generated streams); the fitness is the mean of their summed rewards"},
        {"inputs.K", ParamType::integer, 45, 1, 1e6, "connections; the file's trial order is row K of pattern_idx_by_K (45: the reference's NEST draw, 45 or 46)"},
        {"inputs.seed", ParamType::integer, 0, 0, kMaxSeed, "seed of generated patterns, labels, initial weights and trial order (without inputs.file)"},
        {"connections.seed", ParamType::integer, 0, 0, kMaxSeed, "seed of which K inputs connect (the same set in every experiment, as NEST's default-seeded draw)"},
        {"noise.seed", ParamType::integer, 0, 0, kMaxSeed, "seed of the escape noise: one uniform draw per step, the same in every trial (NEST resets its generator each trial)"},
        {"n_trials", ParamType::integer, 500, 1, 1e7, "trials per experiment"},
        {"learning_rate", ParamType::real, 10.0, {}, {}, "weight change = learning_rate * rule"},
        {"task.n_inputs", ParamType::integer, 50, 1, 1e5, "inputs (generated inputs)"},
        {"task.n_patterns", ParamType::integer, 30, 1, 1e5, "patterns (generated inputs)"},
        {"task.rate", ParamType::real, 6.0, 0.0, 1e4, "input rate, Hz (generated inputs)"},
        {"task.initial_weight", ParamType::real, 1000.0, 0.0, {}, "SD of the initial weights, pA (generated inputs)"},
        {"task.duration", ParamType::real, 500.0, 3.0, 1e6, "trial length, ms"},
        {"neuron.rho", ParamType::real, 0.01, 0.0, {}, "escape rate at threshold, 1/s"},
        {"neuron.delta", ParamType::real, 0.2, 1e-9, {}, "escape noise width, mV"},
        {"record.rewards", ParamType::boolean, false, {}, {}, "store the reward of every trial (experiments x trials) in the payload"},
    };
    return info;
}

symbolic::Expr parse_rule(const Params& params) {
    symbolic::Expr e = [&] {
        try {
            return symbolic::parse(get_string(params, "rule"));
        } catch (const symbolic::ParseError& error) {
            throw ParamError("rule", error.what());
        }
    }();
    for (const std::string& v : symbolic::variables(e)) {
        if (v != "x_0" && v != "x_1") throw ParamError("rule", "unknown variable '" + v + "' (the variables are x_0 = reward and x_1 = eligibility trace)");
    }
    return e;
}

e2l::RewardConfig config_from(const Params& params) {
    e2l::RewardConfig c;
    c.duration = get_real(params, "task.duration");
    c.rho = get_real(params, "neuron.rho");
    c.delta = get_real(params, "neuron.delta");
    c.learning_rate = get_real(params, "learning_rate");
    return c;
}

// Which K of n inputs connect: uniform without replacement, ascending (NEST's GetConnections order).
std::vector<std::int32_t> connected_inputs(std::uint64_t seed, int n_inputs, int K) {
    if (K > n_inputs) throw ParamError("inputs.K", std::to_string(K) + " connections but only " + std::to_string(n_inputs) + " inputs");
    std::vector<std::int32_t> inputs(static_cast<std::size_t>(n_inputs));
    for (int i = 0; i < n_inputs; ++i) inputs[static_cast<std::size_t>(i)] = i;
    Rng rng({seed, 4});
    for (int j = 0; j < K; ++j) {
        const auto pick = static_cast<std::size_t>(j) + static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(n_inputs - j)));
        std::swap(inputs[static_cast<std::size_t>(j)], inputs[pick]);
    }
    std::vector<std::int32_t> slot(static_cast<std::size_t>(n_inputs), -1);
    std::sort(inputs.begin(), inputs.begin() + K);
    for (int j = 0; j < K; ++j) slot[static_cast<std::size_t>(inputs[static_cast<std::size_t>(j)])] = j;
    return slot;
}

class RewardModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        parse_rule(params);
        e2l::input_numbers(params, "inputs.experiments", "experiment");
        const e2l::RewardConfig c = config_from(params);
        const e2l::Grid grid(c.resolution);
        if (grid.steps(c.duration) <= 2 * grid.steps(c.delay)) throw ParamError("task.duration", "must exceed two delays (2 ms)");
        if (has(params, "inputs.file")) e2l::input_file_key(get_string(params, "inputs.file"));
        if (get_int(params, "inputs.K") > get_int(params, "task.n_inputs") && !has(params, "inputs.file")) {
            throw ParamError("inputs.K", "more connections than task.n_inputs");
        }
    }

    double estimate_cost(const Params& params) const override {
        return kSecondsPerTrial * static_cast<double>(e2l::input_numbers(params, "inputs.experiments", "experiment").size()) *
               static_cast<double>(get_int(params, "n_trials")) * get_real(params, "task.duration") / 500.0;
    }

    Result run(const Params& params, RunContext& context) const override {
        const symbolic::Expr expr = parse_rule(params);
        Result result;
        result.metrics["invalid_rule"] = 0.0;
        // The reference scores a rule whose simplified form is zoo or nan -inf unsimulated.
        if (symbolic::is_invalid(expr)) {
            result.metrics["fitness"] = -std::numeric_limits<double>::infinity();
            result.metrics["invalid_rule"] = 1.0;
            return result;
        }
        bool uses_trace = false;
        for (const std::string& v : symbolic::variables(expr)) uses_trace = uses_trace || v == "x_1";
        const symbolic::Evaluator rule = symbolic::compile(expr, 2);
        const e2l::RewardConfig config = config_from(params);
        const std::vector<int> numbers = e2l::input_numbers(params, "inputs.experiments", "experiment");
        const int K = static_cast<int>(get_int(params, "inputs.K"));
        const int n_trials = static_cast<int>(get_int(params, "n_trials"));
        std::vector<std::shared_ptr<const RewardInputs>> inputs;
        try {
            for (const int k : numbers) {
                if (has(params, "inputs.file")) {
                    inputs.push_back(load_experiment(get_string(params, "inputs.file"), get_string(params, "inputs.group"), k, K, n_trials));
                } else {
                    const TaskSizes z{static_cast<int>(get_int(params, "task.n_inputs")), static_cast<int>(get_int(params, "task.n_patterns")),
                                      K, n_trials, get_real(params, "task.rate"), config.duration, config.resolution};
                    inputs.push_back(generate_experiment(static_cast<std::uint64_t>(get_int(params, "inputs.seed")), k, z,
                                                         get_real(params, "task.initial_weight")));
                }
            }
        } catch (const ParamError& e) {
            throw ParamError(e.key, e.key + ": " + e.what());  // the job's error line names the key
        }
        const e2l::Grid grid(config.resolution);
        Rng noise_rng({static_cast<std::uint64_t>(get_int(params, "noise.seed")), 5});
        std::vector<double> uniforms(static_cast<std::size_t>(grid.steps(config.duration)));
        for (double& u : uniforms) u = noise_rng.uniform_open0();
        const e2l::RewardTask task(config, uniforms);
        const std::vector<std::int32_t> connected =
            connected_inputs(static_cast<std::uint64_t>(get_int(params, "connections.seed")), inputs.front()->n_inputs, K);

        const std::size_t n = numbers.size();
        std::vector<double> sums;
        std::vector<std::int64_t> rewards;
        double spikes = 0.0;
        for (std::size_t x = 0; x < n; ++x) {
            const RewardInputs& in = *inputs[x];
            if (in.n_inputs != inputs.front()->n_inputs) throw ParamError("inputs.experiments", "experiments differ in their number of inputs");
            e2l::RewardExperiment experiment;
            for (const auto& trains : in.trains) experiment.patterns.push_back(e2l::make_reward_pattern(trains, connected, config));
            experiment.labels = in.labels;
            experiment.initial_weights = in.weight_draws;
            experiment.pattern_order = in.order;
            const e2l::RewardOutcome o = task.run(experiment, rule, uses_trace, [&](double f) {
                context.check_cancelled();
                context.report_progress((static_cast<double>(x) + f) / static_cast<double>(n));
            });
            double sum = 0.0;
            for (const auto r : o.rewards) {
                sum += r;
                rewards.push_back(r);
            }
            sums.push_back(sum);
            spikes += static_cast<double>(o.spikes);
        }
        double mean = 0.0;
        for (const double v : sums) mean += v;
        mean /= static_cast<double>(n);
        double squares = 0.0;
        for (const double v : sums) squares += (v - mean) * (v - mean);
        result.metrics["fitness"] = mean;
        result.metrics["reward_sum_std"] = n > 1 ? std::sqrt(squares / static_cast<double>(n - 1)) : 0.0;
        result.metrics["spikes_per_trial"] = spikes / static_cast<double>(n) / static_cast<double>(n_trials);
        result.arrays.emplace("reward_sum", Array::real({n}, sums));
        if (get_bool(params, "record.rewards")) {
            result.arrays.emplace("rewards", Array::integer({n, static_cast<std::size_t>(n_trials)}, std::move(rewards)));
        }
        return result;
    }

private:
    ModelInfo info_ = make_info();
};

}  // namespace

ModelPtr make_e2l_reward_model() { return std::make_shared<RewardModel>(); }

}  // namespace sr
