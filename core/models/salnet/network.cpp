#include "core/models/salnet/network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace sr::salnet {

namespace {
// "Never spiked": far enough back that every window and refractory test passes.
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min() / 4;

// y += a·x over n floats: the per-spike work (a column of W or B into a membrane, a trace into a
// row of the SAL sums). Cloned for AVX2 where the CPU has it.
[[gnu::target_clones("avx2", "default")]] void axpy(float* __restrict y, const float* __restrict x, float a, int n) {
    for (int k = 0; k < n; ++k) y[k] += a * x[k];
}

Matrix uniform_matrix(int rows, int cols, double bound, Rng& rng) {
    Matrix m(rows, cols);
    // Row by row, as torch fills a (rows, cols) tensor.
    for (int i = 0; i < rows; ++i) {
        for (int j = 0; j < cols; ++j) m(i, j) = rng.uniform(-bound, bound);
    }
    return m;
}
}  // namespace

NetworkParams NetworkParams::kaiming(std::vector<int> dims, int t_ref, Rng& rng) {
    NetworkParams p;
    p.dims = std::move(dims);
    p.t_ref = t_ref;
    const int layers = p.layers();
    p.w.resize(static_cast<std::size_t>(layers));
    p.fb.resize(static_cast<std::size_t>(layers));
    p.bias.resize(static_cast<std::size_t>(layers));
    for (int l = 0; l < layers; ++l) {
        const int n = p.dims[static_cast<std::size_t>(l)];
        if (l > 0) {
            const int fan_in = p.dims[static_cast<std::size_t>(l - 1)];
            p.w[static_cast<std::size_t>(l)] = uniform_matrix(n, fan_in, 1.0 / std::sqrt(fan_in), rng);
        }
        if (l + 1 < layers) {
            const int fan_in = p.dims[static_cast<std::size_t>(l + 1)];
            p.fb[static_cast<std::size_t>(l)] = uniform_matrix(n, fan_in, 1.0 / std::sqrt(fan_in), rng);
        }
        Vector b(n);
        const double bound = 1.0 / std::sqrt(n);  // sal_net.py's choice (1/√n_out, not 1/√fan_in)
        for (int i = 0; i < n; ++i) b[i] = rng.uniform(-bound, bound);
        p.bias[static_cast<std::size_t>(l)] = b;
    }
    return p;
}

Alignment alignment(const Matrix& w, const Matrix& fb) {
    const Matrix b = fb.transpose();
    Alignment a;
    const double cos = w.cwiseProduct(b).sum() / (w.norm() * b.norm());
    a.angle = std::acos(std::clamp(cos, -1.0, 1.0)) * 180.0 / std::numbers::pi;
    const auto n = static_cast<double>(w.size());
    const Matrix d = w - b;
    const double d_mean = d.mean();
    a.var = (d.array() - d_mean).square().sum() / (n - 1.0);
    const double w_mean = w.mean();
    const double b_mean = b.mean();
    const double cov = ((w.array() - w_mean) * (b.array() - b_mean)).sum();
    a.corr = cov / std::sqrt((w.array() - w_mean).square().sum() * (b.array() - b_mean).square().sum());
    a.sign_agreement = ((w.array() > 0.0) == (b.array() > 0.0)).cast<double>().sum() / n;
    return a;
}

SalNetwork::SalNetwork(NetworkParams params, int batch, std::uint64_t seed)
    : params_(std::move(params)), log_t_ref_(std::log(static_cast<double>(params_.t_ref))) {
    const int layers = params_.layers();
    const int t_ref = params_.t_ref;
    for (int k = 0; k < 2 * t_ref; ++k) window_.push_back(static_cast<float>(std::exp(-static_cast<double>(k) / t_ref)));
    for (int l = 0; l < layers; ++l) {
        w_.push_back(params_.w[static_cast<std::size_t>(l)].cast<float>());
        fb_.push_back(params_.fb[static_cast<std::size_t>(l)].cast<float>());
    }
    for (int b = 0; b < batch; ++b) {
        State s{{}, {}, {}, {}, Rng({seed, 2, static_cast<std::uint64_t>(b)}), 0};
        for (int l = 0; l < layers; ++l) {
            const auto n = static_cast<std::size_t>(params_.dims[static_cast<std::size_t>(l)]);
            s.mem.push_back(params_.bias[static_cast<std::size_t>(l)].cast<float>());
            s.last1.emplace_back(n, kNever);
            s.last2.emplace_back(n, kNever);
        }
        s.ring.assign(static_cast<std::size_t>(t_ref + 1), std::vector<std::vector<int>>(static_cast<std::size_t>(layers)));
        states_.push_back(std::move(s));
    }
    for (int l = 0; l + 1 < layers; ++l) {
        const int n = params_.dims[static_cast<std::size_t>(l)];
        const int m = params_.dims[static_cast<std::size_t>(l + 1)];
        delta_.push_back(FloatRowMatrix::Zero(n, m));
        delta_t_.push_back(FloatRowMatrix::Zero(m, n));
    }
    for (int l = 0; l < layers; ++l) {
        trace_.emplace_back(params_.dims[static_cast<std::size_t>(l)]);
        prob_.emplace_back(params_.dims[static_cast<std::size_t>(l)]);
    }
    epoch_spikes_.assign(static_cast<std::size_t>(layers), 0);
}

void SalNetwork::step(State& s, std::int64_t t) {
    const int layers = params_.layers();
    const int t_ref = params_.t_ref;
    const auto slots = static_cast<std::int64_t>(t_ref + 1);
    // The PSP window at step t holds the spikes of steps t − t_ref … t − 1: those of step t − 1
    // enter, those of step t − t_ref − 1 (the slot step t reuses) leave.
    const auto apply = [&](const std::vector<std::vector<int>>& spikes, float sign) {
        for (int l = 0; l < layers; ++l) {
            for (const int j : spikes[static_cast<std::size_t>(l)]) {
                if (l + 1 < layers) {
                    FloatVector& u = s.mem[static_cast<std::size_t>(l + 1)];
                    axpy(u.data(), w_[static_cast<std::size_t>(l + 1)].col(j).data(), sign, static_cast<int>(u.size()));
                }
                if (l > 0) {
                    FloatVector& u = s.mem[static_cast<std::size_t>(l - 1)];
                    axpy(u.data(), fb_[static_cast<std::size_t>(l - 1)].col(j).data(), sign, static_cast<int>(u.size()));
                }
            }
        }
    };
    auto& now = s.ring[static_cast<std::size_t>(t % slots)];
    apply(now, -1.0);
    apply(s.ring[static_cast<std::size_t>((t - 1 + slots) % slots)], 1.0);
    for (auto& spikes : now) spikes.clear();

    for (int l = 0; l < layers; ++l) {
        const auto L = static_cast<std::size_t>(l);
        // σ(u − ln t_ref) for the whole layer at once (vectorised), then a draw per awake neuron.
        FloatVector& p = prob_[L];
        p = (1.0F + (static_cast<float>(log_t_ref_) - s.mem[L].array()).exp()).inverse().matrix();
        std::vector<std::int64_t>& last1 = s.last1[L];
        for (int i = 0; i < static_cast<int>(p.size()); ++i) {
            if (t - last1[static_cast<std::size_t>(i)] <= t_ref) continue;  // refractory: no draw needed
            if (s.rng.uniform() < p[i]) {
                now[L].push_back(i);
                s.last2[L][static_cast<std::size_t>(i)] = last1[static_cast<std::size_t>(i)];
                last1[static_cast<std::size_t>(i)] = t;
            }
        }
        epoch_spikes_[L] += static_cast<std::int64_t>(now[L].size());
    }

    // SAL between layers l and l + 1 over this step's spikes (each spike with the partner's
    // recent spikes, this step's included: simultaneous pairs add −1 and +1 and cancel).
    const auto window = static_cast<std::int64_t>(window_.size());
    std::vector<bool> traced(static_cast<std::size_t>(layers), false);
    const auto trace = [&](int l) -> const FloatVector& {
        const auto L = static_cast<std::size_t>(l);
        if (!traced[L]) {
            FloatVector& tr = trace_[L];
            for (int j = 0; j < static_cast<int>(tr.size()); ++j) {
                const std::int64_t d1 = t - s.last1[L][static_cast<std::size_t>(j)];
                const std::int64_t d2 = t - s.last2[L][static_cast<std::size_t>(j)];
                tr[j] = (d1 < window ? window_[static_cast<std::size_t>(d1)] : 0.0F) +
                        (d2 < window ? window_[static_cast<std::size_t>(d2)] : 0.0F);
            }
            traced[L] = true;
        }
        return trace_[L];
    };
    for (int l = 0; l + 1 < layers; ++l) {
        const auto L = static_cast<std::size_t>(l);
        if (!now[L].empty()) {
            const FloatVector& above = trace(l + 1);
            for (const int i : now[L]) axpy(delta_[L].row(i).data(), above.data(), -1.0F, static_cast<int>(above.size()));
        }
        if (!now[L + 1].empty()) {
            const FloatVector& below = trace(l);
            for (const int j : now[L + 1]) axpy(delta_t_[L].row(j).data(), below.data(), 1.0F, static_cast<int>(below.size()));
        }
    }
}

void SalNetwork::recompute_membranes(State& s) const {
    // Before step t the membranes hold the spikes of steps t − 1 − t_ref … t − 2: every slot of
    // the ring but that of step t − 1.
    const int layers = params_.layers();
    const auto slots = static_cast<std::int64_t>(params_.t_ref + 1);
    const auto newest = static_cast<std::size_t>((s.t - 1 + slots) % slots);
    for (int l = 0; l < layers; ++l) s.mem[static_cast<std::size_t>(l)] = params_.bias[static_cast<std::size_t>(l)].cast<float>();
    for (std::size_t k = 0; k < s.ring.size(); ++k) {
        if (k == newest) continue;
        for (int l = 0; l < layers; ++l) {
            for (const int j : s.ring[k][static_cast<std::size_t>(l)]) {
                if (l + 1 < layers) s.mem[static_cast<std::size_t>(l + 1)] += w_[static_cast<std::size_t>(l + 1)].col(j);
                if (l > 0) s.mem[static_cast<std::size_t>(l - 1)] += fb_[static_cast<std::size_t>(l - 1)].col(j);
            }
        }
    }
}

void SalNetwork::run_epoch(std::int64_t steps, const std::vector<double>& lr) {
    std::fill(epoch_spikes_.begin(), epoch_spikes_.end(), 0);
    for (auto& d : delta_) d.setZero();
    for (auto& d : delta_t_) d.setZero();
    for (State& s : states_) {
        // B changed at the last epoch's end; recomputing also drops the rounding the
        // incremental updates accumulated.
        recompute_membranes(s);
        for (std::int64_t k = 0; k < steps; ++k) step(s, s.t++);
    }
    const double scale = 1.0 / (static_cast<double>(states_.size()) * 2.0 * params_.t_ref);
    last_delta_.clear();
    for (std::size_t l = 0; l < delta_.size(); ++l) {
        Matrix d = delta_[l].cast<double>() + delta_t_[l].transpose().cast<double>();
        params_.fb[l] += lr[l] * scale * d;
        fb_[l] = params_.fb[l].cast<float>();
        last_delta_.push_back(std::move(d));
    }
}

}  // namespace sr::salnet
