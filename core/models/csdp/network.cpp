#include "core/models/csdp/network.hpp"

#include "core/models/csdp/kernels.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sr::csdp {
namespace {

// Adam's decay rates (ngclearn.utils.optim.adam defaults), for the bias corrections.
constexpr float kBeta1 = 0.9f;
constexpr float kBeta2 = 0.999f;

// Weight columns are processed in blocks of this many, so that a block of a weight matrix (or of
// the modulator) stays in the core's L2 cache while all rows pass over it.
constexpr int kBlock = 256;

// This thread's share [first, last) of n independent items.
std::pair<int, int> my_share(int n) {
    const int threads = omp_get_num_threads(), id = omp_get_thread_num();
    return {static_cast<int>(static_cast<std::int64_t>(n) * id / threads),
            static_cast<int>(static_cast<std::int64_t>(n) * (id + 1) / threads)};
}

}  // namespace

int team(std::int64_t work, int threads) {
    // Below this many element operations a parallel region costs more than it saves (and OpenMP's
    // spinning threads hurt on a shared machine).
    constexpr std::int64_t kMinWork = 1 << 16;
    return work >= kMinWork ? threads : 1;
}

namespace {

// out.row(b) = (sum of w's rows of b's active inputs) * scale: the product of binary spikes with
// a weight matrix, over active inputs only. Rows are independent, so any thread count gives the
// same bits.
void sparse_forward(const Spikes& in, const Mat& w, float scale, Mat& out, int threads) {
    const int rows = static_cast<int>(in.dense.rows());
    const int cols = static_cast<int>(w.cols());
    out.resize(rows, cols);
    const std::int64_t work = (in.total() + rows) * cols;
#pragma omp parallel num_threads(team(work, threads))
    {
        const auto [first, last] = my_share(rows);
        for (int j0 = 0; j0 < cols; j0 += kBlock) {
            const int width = std::min(kBlock, cols - j0);
            for (int b = first; b < last; ++b) {
                float* o = out.row(b).data() + j0;
                std::fill(o, o + width, 0.0f);
                const auto& active = in.active[static_cast<std::size_t>(b)];
                kernels::add_rows(o, w.data() + j0, cols, active.data(), static_cast<int>(active.size()), width);
                kernels::scale(o, width, scale);
            }
        }
    }
}

}  // namespace

Rates rates_for_batch(int batch_size) {
    if (batch_size >= 200) return {0.002f, 0.00005f};
    if (batch_size >= 100) return {0.001f, 0.00006f};
    if (batch_size >= 50) return {0.001f, 0.00007f};
    if (batch_size >= 20) return {0.00075f, 0.00008f};
    if (batch_size >= 10) return {0.00055f, 0.00009f};
    return {0.0004f, 0.0001f};
}

const char* synapse_name(SynapseId id) {
    static const char* names[kNumSynapses] = {"W1", "V2", "W2", "V2y", "V3y",
                                              "M1", "M2", "C2", "C3", "R1"};
    return names[id];
}

void Spikes::reset(int rows, int cols) {
    dense.setZero(rows, cols);
    active.assign(static_cast<std::size_t>(rows), {});
}

void Spikes::index_row(int row) {
    auto& list = active[static_cast<std::size_t>(row)];
    list.clear();
    const float* d = dense.row(row).data();
    for (int i = 0; i < dense.cols(); ++i) {
        if (d[i] != 0.0f) list.push_back(i);
    }
}

std::int64_t Spikes::total() const {
    std::int64_t n = 0;
    for (const auto& list : active) n += static_cast<std::int64_t>(list.size());
    return n;
}

void ByUnit::build(const Spikes& s) {
    const int units = static_cast<int>(s.dense.cols());
    offsets.assign(static_cast<std::size_t>(units) + 1, 0);
    for (const auto& list : s.active) {
        for (const std::int32_t i : list) ++offsets[static_cast<std::size_t>(i) + 1];
    }
    for (int i = 0; i < units; ++i) offsets[i + 1] += offsets[i];
    rows.resize(static_cast<std::size_t>(offsets[units]));
    std::vector<std::int32_t> fill(offsets.begin(), offsets.end() - 1);
    for (std::size_t b = 0; b < s.active.size(); ++b) {
        for (const std::int32_t i : s.active[b]) rows[fill[i]++] = static_cast<std::int32_t>(b);
    }
}

void Slif::reset(int rows) {
    const int n = static_cast<int>(thr0.cols());
    j.setZero(rows, n);
    v.setZero(rows, n);
    thr = thr0.replicate(rows, 1);
    s.reset(rows, n);
}

void Synapse::init_optimizer() {
    m1.setZero(w.rows(), w.cols());
    m2.setZero(w.rows(), w.cols());
}

// One Euler step of the sLIF cells (tau_m dv/dt = -v + j), spikes where v exceeds the row's
// threshold, reset to 0, then the per-row threshold moves by rho_b * (spikes in the row - 1).
void slif_step(Slif& z, float dt, int threads) {
    const int rows = static_cast<int>(z.j.rows());
    const int n = static_cast<int>(z.j.cols());
    const float inv_tau = 1.0f / kTauM;
#pragma omp parallel for schedule(static) num_threads(team(std::int64_t{rows} * n, threads))
    for (int b = 0; b < rows; ++b) {
        const float* j = z.j.row(b).data();
        float* v = z.v.row(b).data();
        float* thr = z.thr.row(b).data();
        float* s = z.s.dense.row(b).data();
        auto& active = z.s.active[static_cast<std::size_t>(b)];
        active.clear();
        for (int i = 0; i < n; ++i) {
            const float dv = (-v[i] + j[i]) * inv_tau;
            const float vn = v[i] + dv * dt;
            const bool spike = vn > thr[i];
            s[i] = spike ? 1.0f : 0.0f;
            v[i] = spike ? 0.0f : vn;
            if (spike) active.push_back(i);
        }
        if (z.adaptive) {
            const float step = (static_cast<float>(active.size()) - 1.0f) * kRhoB;
            for (int i = 0; i < n; ++i) thr[i] = std::max(thr[i] + step, kThrFloor);
        }
    }
}

// Gated trace (VarTrace, "lin" decay, a_delta 0): decays by (1 - dt / tau_tr), jumps to 1 on a
// spike.
void trace_step(Mat& tr, const Spikes& s, float decay, int threads) {
    const int rows = static_cast<int>(tr.rows());
#pragma omp parallel for schedule(static) num_threads(team(tr.size(), threads))
    for (int b = 0; b < rows; ++b) {
        auto t = tr.row(b);
        const auto x = s.dense.row(b);
        t = (t * decay).cwiseProduct(RowVec::Ones(t.cols()) - x) + x;
    }
}

// GoodnessModCell: the gradient of the mean (over rows) logistic loss of
// sigmoid(sum_j z_j^2 - threshold) against "positive" (maximise for positive rows), w.r.t. z.
// Also returns each row's goodness sum_j z_j^2.
void goodness_modulator(const Mat& z, const std::vector<float>& positive, Mat& mod,
                        std::vector<float>& goodness, int threads) {
    const int rows = static_cast<int>(z.rows());
    mod.resize(rows, z.cols());
    goodness.resize(static_cast<std::size_t>(rows));
    const float inv_rows = 1.0f / static_cast<float>(rows);
#pragma omp parallel for schedule(static) num_threads(team(z.size(), threads))
    for (int b = 0; b < rows; ++b) {
        const float g = z.row(b).squaredNorm();
        goodness[static_cast<std::size_t>(b)] = g;
        const float logit = g - kGoodness;
        const float label = positive[static_cast<std::size_t>(b)] > 0.0f ? 1.0f : 0.0f;
        // d/dl [max(l, 0) - l * label + log(1 + exp(-|l|))], as JAX differentiates it.
        const float e = std::exp(-std::abs(logit));
        const float d_max = logit > 0.0f ? 1.0f : (logit < 0.0f ? 0.0f : 0.5f);
        const float sign = logit > 0.0f ? 1.0f : (logit < 0.0f ? -1.0f : 0.0f);
        const float d_logit = d_max - label - sign * (e / (1.0f + e));
        const float d_goodness = d_logit * inv_rows;
        mod.row(b) = (2.0f * z.row(b)) * d_goodness;
    }
}

// MaskedErrorCell: (target - mu) * 2 * mask / sum(mask), the mask being "positive".
void masked_error(const Mat& target, const Mat& mu, const std::vector<float>& positive, Mat& e) {
    float n = 0.0f;
    for (const float p : positive) n += p;
    const float inv_n = 1.0f / n;
    e.resize(target.rows(), target.cols());
    for (int b = 0; b < target.rows(); ++b) {
        e.row(b) = (((target.row(b) - mu.row(b)) * 2.0f) * positive[static_cast<std::size_t>(b)]) *
                   inv_n;
    }
}

Network::Network(const Config& config, Rng& init) : config_(config) {
    if (config.threads < 1) throw std::invalid_argument("threads must be at least 1");
    rates_ = rates_for_batch(config.batch_size);
    const Sizes& n = config.sizes;
    const std::array<std::array<int, 2>, kNumSynapses> shapes = {{{n.in, n.h1},
                                                                   {n.h2, n.h1},
                                                                   {n.h1, n.h2},
                                                                   {n.out, n.h1},
                                                                   {n.out, n.h2},
                                                                   {n.h1, n.h1},
                                                                   {n.h2, n.h2},
                                                                   {n.h1, n.out},
                                                                   {n.h2, n.out},
                                                                   {n.h1, n.in}}};
    const std::array<float, kNumSynapses> scales = {kRm, kRm, kRm, kRm, kRm,
                                                    -kInhR, -kInhR, 1.0f, 1.0f, 1.0f};
    for (int k = 0; k < kNumSynapses; ++k) {
        Synapse& s = syn_[k];
        s.name = synapse_name(static_cast<SynapseId>(k));
        if (!has_synapse(static_cast<SynapseId>(k))) continue;
        s.w.resize(shapes[k][0], shapes[k][1]);
        for (int i = 0; i < s.w.rows(); ++i) {
            for (int j = 0; j < s.w.cols(); ++j) s.w(i, j) = static_cast<float>(init.uniform(-1.0, 1.0));
        }
        s.out_scale = scales[k];
        s.init_optimizer();
    }
    auto thresholds = [&](Slif& z, int units, bool adaptive) {
        z.thr0.resize(units);
        for (int i = 0; i < units; ++i) {
            z.thr0(i) = kVThr + static_cast<float>(init.uniform(-kThrJitter, kThrJitter));
        }
        z.adaptive = adaptive;
    };
    thresholds(z1_, n.h1, true);
    thresholds(z2_, n.h2, true);
    thresholds(zy_, n.out, true);
    thresholds(zR_, n.in, false);  // rho_b = 0: the reconstruction layer's threshold stays
}

bool Network::has_synapse(SynapseId id) const {
    if (id == V2y || id == V3y) return config_.supervised;
    if (id == R1) return config_.learn_recon;
    return true;
}

void Network::reset(int rows) {
    const Sizes& n = config_.sizes;
    z1_.reset(rows);
    z2_.reset(rows);
    zy_.reset(rows);
    zR_.reset(rows);
    z0_.reset(rows, n.in);
    z3_.reset(rows, n.out);
    prev0_.reset(rows, n.in);
    prev1_.reset(rows, n.h1);
    prev2_.reset(rows, n.h2);
    prev3_.reset(rows, n.out);
    const std::array<int, 4> widths = {n.in, n.h1, n.h2, n.out};
    for (int k = 0; k < 4; ++k) tr_[k].setZero(rows, widths[k]);
    mod_[0].setZero(rows, n.h1);
    mod_[1].setZero(rows, n.h2);
    ey_.setZero(rows, n.out);
    eR_.setZero(rows, n.in);
    for (int k = 0; k < kNumSynapses; ++k) {
        if (has_synapse(static_cast<SynapseId>(k))) out_[k].setZero(rows, syn_[k].w.cols());
    }
}

ProcessOutput Network::process(const Mat& x, const Mat& context, bool train, Rng& spikes,
                               const Injection* inject, const std::function<void(int)>& after_step) {
    const int rows = static_cast<int>(x.rows());
    const Sizes& n = config_.sizes;
    if (x.cols() != n.in) throw std::invalid_argument("process: input width differs from the network's");
    if (train && (rows % 2 != 0 || context.rows() != rows || context.cols() != n.out)) {
        throw std::invalid_argument("process: training needs an even row count and R x out context");
    }
    reset(rows);
    positive_.assign(static_cast<std::size_t>(rows), 1.0f);
    if (train) std::fill(positive_.begin() + rows / 2, positive_.end(), 0.0f);

    ProcessOutput result;
    result.y_count.setZero(rows, n.out);
    result.s0_mu.setZero(rows, n.in);
    result.goodness.setZero(rows, 2);
    std::array<std::vector<float>, 2> goodness;
    const float trace_decay = static_cast<float>(1.0 - static_cast<double>(config_.dt) / kTauTr);
    const int threads = config_.threads;

    for (int t = 1; t <= config_.steps; ++t) {
        // Every synapse except R1 reads the spikes of the previous step: in the compiled circuit
        // the synapses advance before the cells (ngcsimlib runs components in exec_path order).
        std::swap(prev0_, z0_);
        std::swap(prev1_, z1_.s);
        std::swap(prev2_, z2_.s);
        prev3_ = z3_;
        sparse_forward(prev0_, syn_[W1].w, syn_[W1].out_scale, out_[W1], threads);
        sparse_forward(prev2_, syn_[V2].w, syn_[V2].out_scale, out_[V2], threads);
        sparse_forward(prev1_, syn_[W2].w, syn_[W2].out_scale, out_[W2], threads);
        if (config_.supervised) {
            sparse_forward(prev3_, syn_[V3y].w, syn_[V3y].out_scale, out_[V3y], threads);
            sparse_forward(prev3_, syn_[V2y].w, syn_[V2y].out_scale, out_[V2y], threads);
        }
        sparse_forward(prev1_, syn_[M1].w, syn_[M1].out_scale, out_[M1], threads);
        sparse_forward(prev2_, syn_[M2].w, syn_[M2].out_scale, out_[M2], threads);
        sparse_forward(prev1_, syn_[C2].w, syn_[C2].out_scale, out_[C2], threads);
        sparse_forward(prev2_, syn_[C3].w, syn_[C3].out_scale, out_[C3], threads);

        // z0: Bernoulli spikes of the pixel intensities (drawn row by row from one stream).
        if (inject != nullptr) {
            z0_.dense = inject->input_spikes.at(static_cast<std::size_t>(t - 1));
        } else {
            for (int b = 0; b < rows; ++b) {
                const float* p = x.row(b).data();
                float* s = z0_.dense.row(b).data();
                for (int i = 0; i < n.in; ++i) s[i] = spikes.uniform() < p[i] ? 1.0f : 0.0f;
            }
        }
        for (int b = 0; b < rows; ++b) z0_.index_row(b);

        z1_.j = out_[W1] + out_[M1] + out_[V2];
        if (config_.supervised) z1_.j += out_[V2y];
        slif_step(z1_, config_.dt, threads);
        z2_.j = out_[W2] + out_[M2];
        if (config_.supervised) z2_.j += out_[V3y];
        slif_step(z2_, config_.dt, threads);
        if (train) {
            z3_.dense = context;  // Bernoulli of a one-hot: the label itself
            for (int b = 0; b < rows; ++b) z3_.index_row(b);
        }
        zy_.j = out_[C2] + out_[C3];
        slif_step(zy_, config_.dt, threads);

        trace_step(tr_[1], z1_.s, trace_decay, threads);
        trace_step(tr_[2], z2_.s, trace_decay, threads);
        trace_step(tr_[3], zy_.s, trace_decay, threads);
        if (train) {
            goodness_modulator(tr_[1], positive_, mod_[0], goodness[0], threads);
            goodness_modulator(tr_[2], positive_, mod_[1], goodness[1], threads);
            masked_error(z3_.dense, tr_[3], positive_, ey_);
            for (int b = 0; b < rows; ++b) {
                result.goodness(b, 0) += goodness[0][static_cast<std::size_t>(b)];
                result.goodness(b, 1) += goodness[1][static_cast<std::size_t>(b)];
            }
        }
        if (config_.learn_recon) {
            // R1 comes after the cells in exec_path: it reads this step's z1 spikes.
            sparse_forward(z1_.s, syn_[R1].w, syn_[R1].out_scale, out_[R1], threads);
            zR_.j = out_[R1];
            slif_step(zR_, config_.dt, threads);
            trace_step(tr_[0], zR_.s, trace_decay, threads);
            if (train) masked_error(z0_.dense, zR_.s.dense, positive_, eR_);
        }
        if (train) evolve();

        result.y_count += zy_.s.dense;
        result.s0_mu += tr_[0];
        if (after_step) after_step(t);
    }
    // The reference divides by T + 1 (its loop bound), not by the T steps it sums.
    result.s0_mu /= static_cast<float>(config_.steps + 1);
    return result;
}

void Network::evolve() {
    adam_t_ += 1.0f;
    ByUnit pre0, pre1, pre2, pre3;
    pre0.build(prev0_);
    pre1.build(prev1_);
    pre2.build(prev2_);
    const Rule forward{kRm, false, false};
    const Rule lateral{kInhR, true, true};
    update_csdp(W1, forward, pre0, mod_[0], z1_.s);
    update_csdp(V2, forward, pre2, mod_[0], z1_.s);
    update_csdp(W2, forward, pre1, mod_[1], z2_.s);
    if (config_.supervised) {
        pre3.build(prev3_);
        update_csdp(V2y, forward, pre3, mod_[0], z1_.s);
        update_csdp(V3y, forward, pre3, mod_[1], z2_.s);
    }
    update_csdp(M1, lateral, pre1, mod_[0], z1_.s);
    update_csdp(M2, lateral, pre2, mod_[1], z2_.s);
    update_hebbian(C2, pre1, ey_);
    update_hebbian(C3, pre2, ey_);
    if (config_.learn_recon) {
        ByUnit current1;
        current1.build(z1_.s);
        update_hebbian(R1, current1, eR_);
    }
}

// CSDPSynapse._evolve for one weight row i (pre unit i):
//   dW = preSpike^T (modulator * resist_scale)           -> Adam step
//   W += -((1 - preSpike)^T postSpike) * w_decay          (outside Adam, summed over all rows)
//   clip to [-1, 1] ([0, 1] for lateral synapses), zero diagonal for lateral synapses.
// Each thread owns whole weight rows, so results do not depend on the thread count.
void Network::update_csdp(SynapseId id, const Rule& rule, const ByUnit& pre, const Mat& mod,
                          const Spikes& post) {
    Synapse& syn = syn_[id];
    const int pre_n = static_cast<int>(syn.w.rows());
    const int post_n = static_cast<int>(syn.w.cols());
    // (1 - pre)^T post = (post's column sums) - pre^T post.
    std::vector<float> post_total(static_cast<std::size_t>(post_n), 0.0f);
    for (const auto& list : post.active) {
        for (const std::int32_t j : list) post_total[static_cast<std::size_t>(j)] += 1.0f;
    }
    const kernels::AdamStep step{rates_.eta, 1.0f - std::pow(kBeta1, adam_t_),
                                 1.0f - std::pow(kBeta2, adam_t_), rule.nonnegative ? 0.0f : -1.0f,
                                 rates_.w_decay};
#pragma omp parallel num_threads(team(syn.w.size(), config_.threads))
    {
        const auto [first, last] = my_share(pre_n);
        float grad[kBlock], count[kBlock];
        for (int j0 = 0; j0 < post_n; j0 += kBlock) {
            const int width = std::min(kBlock, post_n - j0);
            for (int i = first; i < last; ++i) {
                const std::int32_t* rows = pre.rows.data() + pre.offsets[i];
                const int n = pre.count(i);
                std::fill(grad, grad + width, 0.0f);
                kernels::add_rows(grad, mod.data() + j0, post_n, rows, n, width);
                std::copy_n(post_total.begin() + j0, width, count);
                for (int k = 0; k < n; ++k) {
                    for (const std::int32_t j : post.active[static_cast<std::size_t>(rows[k])]) {
                        if (j >= j0 && j < j0 + width) count[j - j0] -= 1.0f;
                    }
                }
                kernels::scale(grad, width, rule.grad_scale);
                kernels::adam(syn.w.row(i).data() + j0, syn.m1.row(i).data() + j0,
                              syn.m2.row(i).data() + j0, grad, count, width, step);
                if (rule.hollow && i >= j0 && i < j0 + width) syn.w(i, i) = 0.0f;
            }
        }
    }
}

// HebbianSynapse._evolve (sign -1, w_bound 1, no decay) for the readout and reconstruction:
//   dW = -(pre^T (post * post_wght)) * (1 - |W|)  -> Adam step -> clip to [-1, 1].
void Network::update_hebbian(SynapseId id, const ByUnit& pre, const Mat& post) {
    Synapse& syn = syn_[id];
    const int pre_n = static_cast<int>(syn.w.rows());
    const int post_n = static_cast<int>(syn.w.cols());
    const kernels::AdamStep step{rates_.eta, 1.0f - std::pow(kBeta1, adam_t_),
                                 1.0f - std::pow(kBeta2, adam_t_), -1.0f, 0.0f};
#pragma omp parallel num_threads(team(syn.w.size(), config_.threads))
    {
        const auto [first, last] = my_share(pre_n);
        float grad[kBlock];
        for (int j0 = 0; j0 < post_n; j0 += kBlock) {
            const int width = std::min(kBlock, post_n - j0);
            for (int i = first; i < last; ++i) {
                std::fill(grad, grad + width, 0.0f);
                kernels::add_rows_scaled(grad, post.data() + j0, post_n, pre.rows.data() + pre.offsets[i],
                                         pre.count(i), width, kRm);
                float* w = syn.w.row(i).data() + j0;
                kernels::hebbian_bound(grad, w, width);
                kernels::adam(w, syn.m1.row(i).data() + j0, syn.m2.row(i).data() + j0, grad, nullptr,
                              width, step);
            }
        }
    }
}

}  // namespace sr::csdp
