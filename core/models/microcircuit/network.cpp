#include "core/models/microcircuit/network.hpp"

#include <algorithm>
#include <cmath>

namespace sr::microcircuit {

double logistic(double u, double log_t_ref) { return 1.0 / (1.0 + std::exp(-(u - log_t_ref))); }

MovingAverage::MovingAverage(std::size_t window)
    : ring_(window, 0.0), next_(1 % window), inverse_window_(1.0 / static_cast<double>(window)) {}

Population::Population(std::size_t n, std::size_t n_last)
    : n_last(n_last),
      u(n, 0.0),
      rate_u(n, std::numeric_limits<double>::quiet_NaN()),
      rate(n, 0.0),
      last(n * n_last, kNever),
      psp(n, 0.0),
      count(n, 0.0) {}

void Population::record_spike(std::size_t i, std::int64_t t) {
    std::int64_t* s = &last[i * n_last];
    std::copy(s + 1, s + n_last, s);
    s[n_last - 1] = t;
    count[i] += 1.0;
}

Network::Network(const NetworkConfig& config, std::uint64_t poisson_seed)
    : config_(config), log_t_ref_(std::log(static_cast<double>(config.t_ref))),
      rng_({poisson_seed, 0x6d6963726f63ULL /* stream: spikes */}) {
    const std::vector<std::size_t>& dims = config_.dims;
    const std::size_t L = config_.num_layers();
    const std::size_t n_last = config_.n_last_spikes;
    const std::size_t window = config_.moving_average_size;
    for (std::size_t k = 0; k <= L; ++k) {
        pyr_.emplace_back(dims[k], n_last);
        inn_.emplace_back(k >= 1 && k < L ? dims[k + 1] : 0, n_last);
    }
    layers_.resize(L + 1);
    for (std::size_t k = 1; k <= L; ++k) {
        Layer& layer = layers_[k];
        const std::size_t n = dims[k];
        layer.w_up = Matrix(n, dims[k - 1]);
        layer.b_pyr.assign(n, 0.0);
        layer.v_bas.assign(n, 0.0);
        layer.u_avg.assign(n, MovingAverage(window));
        layer.v_bas_avg.assign(n, MovingAverage(window));
        layer.lr_up = config_.lr_up[k - 1];
        if (k < L) {
            layer.w_down = Matrix(n, dims[k + 1]);
            layer.w_pi = Matrix(n, dims[k + 1]);
            layer.w_ip = Matrix(dims[k + 1], n);
            layer.b_inn.assign(dims[k + 1], 0.0);
            layer.v_api.assign(n, 0.0);
            layer.lambda_api = config_.lambda_api;
            layer.lr_down = config_.lr_down[k - 1];
        }
    }
    delta_.resize(*std::max_element(dims.begin(), dims.end()));
    for (std::size_t k = 0; k <= L; ++k) {
        populations_.push_back(&pyr_[k]);
        if (inn_[k].size() > 0) populations_.push_back(&inn_[k]);
    }
}

void Network::set_weights(const std::vector<LayerWeights>& weights) {
    for (std::size_t k = 1; k <= num_layers(); ++k) {
        const LayerWeights& w = weights[k - 1];
        Layer& layer = layers_[k];
        if (w.w_up) layer.w_up = *w.w_up;
        if (w.w_down) layer.w_down = *w.w_down;
        if (w.w_pi) layer.w_pi = *w.w_pi;
        if (w.w_ip) layer.w_ip = *w.w_ip;
    }
    copies_stale_ = true;
}

void Network::set_bias(const std::vector<std::vector<double>>& bias) {
    for (std::size_t k = 1; k <= num_layers(); ++k) {
        layers_[k].b_pyr = bias[k - 1];
        if (k < num_layers()) layers_[k].b_inn = bias[k];
    }
}

void Network::apply_self_predicting() {
    for (std::size_t k = 1; k < num_layers(); ++k) {
        Layer& layer = layers_[k];
        layer.w_ip = layers_[k + 1].w_up;
        for (std::size_t i = 0; i < layer.w_pi.values.size(); ++i) {
            layer.w_pi.values[i] = -layer.w_down.values[i];
        }
    }
}

void Network::copy_feedback() {
    for (std::size_t k = 1; k < num_layers(); ++k) {
        Matrix& down = layers_[k].w_down;
        const Matrix& up_above = layers_[k + 1].w_up;
        for (std::size_t r = 0; r < down.rows; ++r) {
            for (std::size_t c = 0; c < down.cols; ++c) down(r, c) = up_above(c, r);
        }
    }
}

void Network::fire(Population& pop) {
    const std::int64_t refractory_until = t_ - config_.t_ref;
    for (std::size_t i = 0; i < pop.size(); ++i) {
        // Refractory neurons cannot spike, so they need neither a draw nor a rate.
        if (pop.newest(i) > refractory_until) continue;
        // Potentials are piecewise constant between spikes, so most steps reuse the cached rate.
        if (pop.u[i] != pop.rate_u[i]) {
            pop.rate_u[i] = pop.u[i];
            pop.rate[i] = logistic(pop.u[i], log_t_ref_);
        }
        if (rng_.uniform() < pop.rate[i]) pop.record_spike(i, t_);
    }
}

void Network::update_psps(Population& pop) const {
    // A spike at s contributes 1 for s <= t < s + tau_syn.
    const std::int64_t oldest_visible = t_ - config_.tau_syn;
    if (pop.n_last == 1) {  // the published setting
        for (std::size_t i = 0; i < pop.size(); ++i) pop.psp[i] = pop.last[i] > oldest_visible;
        return;
    }
    for (std::size_t i = 0; i < pop.size(); ++i) {
        const std::int64_t* s = pop.spikes(i);
        int n = 0;
        for (std::size_t j = 0; j < pop.n_last; ++j) n += s[j] > oldest_visible;
        pop.psp[i] = n;
    }
}

namespace {

// out = W x
void matvec(const Matrix& w, const std::vector<double>& x, std::vector<double>& out) {
    for (std::size_t r = 0; r < w.rows; ++r) {
        double sum = 0.0;
        const double* row = &w.values[r * w.cols];
        for (std::size_t c = 0; c < w.cols; ++c) sum += row[c] * x[c];
        out[r] = sum;
    }
}

}  // namespace

void Network::update_potentials(const PatternSettings& settings) {
    const std::size_t L = num_layers();
    for (Population* pop : populations_) update_psps(*pop);
    std::copy(settings.u_in->begin(), settings.u_in->end(), pyr_[0].u.begin());

    for (std::size_t k = 1; k < L; ++k) {
        Layer& layer = layers_[k];
        Population& pyr = pyr_[k];
        Population& inn = inn_[k];
        matvec(layer.w_up, pyr_[k - 1].psp, layer.v_bas);
        matvec(layer.w_down, pyr_[k + 1].psp, layer.v_api);
        for (std::size_t i = 0; i < pyr.size(); ++i) {
            const double* row = &layer.w_pi.values[i * layer.w_pi.cols];
            for (std::size_t c = 0; c < layer.w_pi.cols; ++c) layer.v_api[i] += row[c] * inn.psp[c];
            pyr.u[i] = layer.b_pyr[i] + layer.v_bas[i] + layer.lambda_api * layer.v_api[i];
            layer.u_avg[i].push(pyr.u[i]);
            layer.v_bas_avg[i].push(layer.v_bas[i]);
        }
        matvec(layer.w_ip, pyr.psp, inn.u);
        for (std::size_t i = 0; i < inn.size(); ++i) inn.u[i] += layer.b_inn[i];
    }

    Layer& out = layers_[L];
    Population& pyr = pyr_[L];
    matvec(out.w_up, pyr_[L - 1].psp, out.v_bas);
    for (std::size_t i = 0; i < pyr.size(); ++i) {
        double u = out.b_pyr[i] + out.v_bas[i];
        if (settings.u_target != nullptr) {
            // The nudging term uses the basal average before it takes this step's value.
            const double v_nudge = (*settings.u_target)[i] - out.v_bas_avg[i].value() - out.b_pyr[i];
            u += config_.lambda_nudge * v_nudge;
        }
        pyr.u[i] = u;
        out.v_bas_avg[i].push(out.v_bas[i]);
        out.u_avg[i].push(u);
    }
}

void Network::plasticity_up(const PatternSettings& settings) {
    const std::size_t L = num_layers();
    for (std::size_t k = 1; k <= L; ++k) {
        Layer& layer = layers_[k];
        const Population& below = pyr_[k - 1];
        bool any = false;
        for (std::size_t j = 0; j < below.size() && !any; ++j) any = below.newest(j) == t_ - 1;
        if (!any) continue;  // the update is gated by presynaptic spikes at t-1
        copies_stale_ = true;
        for (std::size_t i = 0; i < layer.w_up.rows; ++i) {
            const double r_soma = logistic(layer.u_avg[i].value(), log_t_ref_);
            const double r_basal = logistic(layer.v_bas_avg[i].value() + layer.b_pyr[i], log_t_ref_);
            delta_[i] = layer.lr_up * (r_soma - r_basal);
        }
        for (std::size_t j = 0; j < below.size(); ++j) {
            if (below.newest(j) != t_ - 1) continue;
            for (std::size_t i = 0; i < layer.w_up.rows; ++i) layer.w_up(i, j) += delta_[i];
        }
    }
    if (!copies_stale_) return;
    if (settings.copy_feedback) copy_feedback();
    if (settings.set_sps) apply_self_predicting();
    copies_stale_ = false;
}

void apply_stdp(Matrix& w_down, double lr, const Population& post, const Population& pre,
                std::int64_t t, const NetworkConfig& config) {
    const double norm = 1.0 / static_cast<double>(config.n_last_spikes);
    auto trace = [&](const Population& pop, std::size_t i, double a, double tau) {
        double sum = 0.0;
        const std::int64_t* s = pop.spikes(i);
        for (std::size_t m = 0; m < pop.n_last; ++m) {
            if (s[m] < t && s[m] != kNever) sum += std::exp(-static_cast<double>(t - s[m]) / tau);
        }
        return a * sum * norm;
    };
    for (std::size_t i = 0; i < post.size(); ++i) {
        if (post.newest(i) != t) continue;
        for (std::size_t j = 0; j < pre.size(); ++j) {
            if (pre.newest(j) == t) continue;  // the anticausal term below takes this entry
            w_down(i, j) += lr * trace(pre, j, config.stdp_a_causal, config.stdp_tau_causal);
        }
    }
    for (std::size_t j = 0; j < pre.size(); ++j) {
        if (pre.newest(j) != t) continue;
        for (std::size_t i = 0; i < post.size(); ++i) {
            w_down(i, j) += lr * trace(post, i, config.stdp_a_anticausal, config.stdp_tau_anticausal);
        }
    }
}

void Network::step(const PatternSettings& settings, bool plasticity_up_now) {
    const std::size_t L = num_layers();
    for (Population* pop : populations_) fire(*pop);
    update_potentials(settings);
    if (plasticity_up_now) plasticity_up(settings);
    if (settings.symmetrization && settings.update_down) {
        for (std::size_t k = 1; k < L; ++k) {
            // lr_down = 0 is feedback alignment: W_down stays as it is.
            if (layers_[k].lr_down != 0.0) {
                apply_stdp(layers_[k].w_down, layers_[k].lr_down, pyr_[k], pyr_[k + 1], t_, config_);
                copies_stale_ = true;
            }
        }
    }
    ++t_;
}

void Network::begin_symmetrization() {
    for (std::size_t k = 1; k < num_layers(); ++k) {
        Layer& layer = layers_[k];
        layer.lambda_api = 1.0;
        std::fill(layer.w_pi.values.begin(), layer.w_pi.values.end(), 0.0);
        std::fill(layer.w_ip.values.begin(), layer.w_ip.values.end(), 0.0);
    }
    copies_stale_ = true;
}

void Network::end_symmetrization() {
    for (std::size_t k = 1; k < num_layers(); ++k) layers_[k].lambda_api = config_.lambda_api;
    apply_self_predicting();
}

std::vector<double> Network::run_pattern(const PatternSettings& settings) {
    const std::size_t L = num_layers();
    for (std::size_t k = 0; k <= L; ++k) {
        std::fill(pyr_[k].count.begin(), pyr_[k].count.end(), 0.0);
        std::fill(inn_[k].count.begin(), inn_[k].count.end(), 0.0);
    }
    if (settings.symmetrization) begin_symmetrization();

    std::vector<double> u_out(pyr_[L].size(), 0.0);
    const bool up_allowed = settings.plasticity_up && !settings.symmetrization;
    for (std::int64_t n = 0; n < settings.steps; ++n) {
        const bool after_lag = n >= config_.learning_lag;
        step(settings, up_allowed && after_lag);
        if (after_lag) {
            for (std::size_t i = 0; i < u_out.size(); ++i) u_out[i] += pyr_[L].u[i];
        }
    }
    const double n = static_cast<double>(settings.steps - config_.learning_lag);
    for (double& u : u_out) u /= n;

    if (settings.symmetrization) end_symmetrization();
    return u_out;
}

}  // namespace sr::microcircuit
