#include "core/models/spikegd/mnist.hpp"

#include "core/models/spikegd/jax_random.hpp"
#include "core/optim/optimizer.hpp"
#include "core/rng.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace sr::spikegd {

BinnedImages bin_images(const std::vector<float>& values, std::size_t pixels, const std::vector<int>& labels,
                        int Nin_virtual) {
    BinnedImages out;
    out.pixels = static_cast<int>(pixels);
    out.labels = labels;
    out.bins.resize(values.size());
    // The reference bins the bytes: (255 - byte) // (256 // (Nin_virtual + 1)).
    const int width = 256 / (Nin_virtual + 1);
    for (std::size_t k = 0; k < values.size(); ++k) {
        const int byte = static_cast<int>(std::lround(values[k] * 255.0f));
        out.bins[k] = static_cast<std::uint8_t>(std::min(Nin_virtual, (255 - byte) / width));
    }
    return out;
}

namespace {

// Flat parameter vector: weights layer by layer (the first is Nhidden x pixels), then phi0.
struct Layout {
    std::vector<int> rows, cols;
    std::vector<std::size_t> offset;  // per weight matrix, then phi0
    std::size_t size = 0;
    int N = 0;
    Layout(const MnistConfig& c, int pixels, bool with_phases) {
        for (int l = 0; l < c.Nlayer; ++l) {
            rows.push_back(l == c.Nlayer - 1 ? c.Nout : c.Nhidden);
            cols.push_back(l == 0 ? pixels : c.Nhidden);
        }
        for (int l = 0; l < c.Nlayer; ++l) {
            offset.push_back(size);
            size += static_cast<std::size_t>(rows[l]) * cols[l];
        }
        N = c.Nhidden * (c.Nlayer - 1) + c.Nout;
        offset.push_back(size);
        if (with_phases) size += N;
    }
};

// The reference's init_weights: uniform(-w_scale / sqrt(fan_in), +) per layer from split keys.
std::vector<double> initial_params(const MnistConfig& c, const Layout& lay, bool with_phases) {
    std::vector<double> p(lay.size, 0.0);
    jax::Key key = jax::prng_key(c.seed);
    for (std::size_t l = 0; l < lay.rows.size(); ++l) {
        const auto keys = jax::split(key, 2);
        key = keys[0];
        const double width = c.w_scale / std::sqrt(static_cast<double>(lay.cols[l]));
        const auto w = jax::uniform(keys[1], static_cast<std::size_t>(lay.rows[l]) * lay.cols[l], -width, width);
        std::copy(w.begin(), w.end(), p.begin() + lay.offset[l]);
    }
    if (with_phases)
        std::fill(p.begin() + lay.offset.back(), p.end(), c.neuron.Theta() / 2);  // init_phi0
    return p;
}

std::vector<double> input_times(const MnistConfig& c) {
    // Virtual input v spikes when a LIF neuron with constant input Nin_virtual - v reaches 0.01 Nin_virtual.
    std::vector<double> t(c.Nin_virtual);
    const double V_th = 0.01 * c.Nin_virtual;
    for (int v = 0; v < c.Nin_virtual; ++v) {
        const double I = c.Nin_virtual - v;
        t[v] = I > V_th ? c.T * std::log(I / (I - V_th)) : std::numeric_limits<double>::infinity();
    }
    return t;
}

struct SampleResult {
    double loss, loss_ord;
    bool correct, correct_ord;
    int hidden_spikes;
    std::vector<char> spiked;  // per hidden neuron (theta) or active unit (ann)
};

int argmin(const std::vector<double>& v) {
    return static_cast<int>(std::min_element(v.begin(), v.end()) - v.begin());
}

// The theta network for one image: forward, loss, and (with `grad`) the gradient added to it.
SampleResult theta_sample(const MnistConfig& c, const Layout& lay, const std::vector<double>& p,
                          const std::uint8_t* bins, int label, const std::vector<double>& t_in, std::vector<double>* grad) {
    const int Nv = c.Nin_virtual, Nh = c.Nhidden, pixels = lay.cols[0];
    ThetaNet net;
    net.Nin = Nv;
    for (int l = 0; l < c.Nlayer; ++l) net.sizes.push_back(lay.rows[l]);
    net.weights.resize(c.Nlayer);
    net.weights[0].assign(static_cast<std::size_t>(Nh) * Nv, 0.0);
    for (int i = 0; i < Nh; ++i) {
        const double* w = &p[lay.offset[0] + static_cast<std::size_t>(i) * pixels];
        for (int k = 0; k < pixels; ++k)
            if (bins[k] < Nv) net.weights[0][static_cast<std::size_t>(i) * Nv + bins[k]] += w[k];
    }
    for (int l = 1; l < c.Nlayer; ++l)
        net.weights[l].assign(p.begin() + lay.offset[l], p.begin() + lay.offset[l + 1]);
    net.phi0.assign(p.begin() + lay.offset.back(), p.end());
    const ThetaForward fw = theta_forward(c.neuron, net, t_in, c.T, c.K);

    SampleResult r;
    r.loss = theta_loss(fw.t_out, label, c.gamma, c.T);
    r.correct = argmin(fw.t_out) == label;
    std::vector<double> t_ord = fw.t_out;
    for (double& t : t_ord) t = t < c.T ? t : c.T;
    r.loss_ord = theta_loss(t_ord, label, c.gamma, c.T);
    r.correct_ord = argmin(t_ord) == label;
    r.hidden_spikes = fw.hidden_spikes;
    r.spiked.assign(lay.N - c.Nout, 0);
    for (const auto& e : fw.events)
        if (!e.spike_in && e.j >= 0 && e.j < lay.N - c.Nout) r.spiked[e.j] = 1;
    if (grad) {
        std::vector<std::vector<double>> gW(c.Nlayer);
        for (int l = 0; l < c.Nlayer; ++l) gW[l].assign(net.weights[l].size(), 0.0);
        std::vector<double> gphi(lay.N, 0.0);
        theta_loss_gradient(c.neuron, net, fw, label, c.gamma, c.T, gW, gphi);
        for (int i = 0; i < Nh; ++i) {
            double* g = &(*grad)[lay.offset[0] + static_cast<std::size_t>(i) * pixels];
            for (int k = 0; k < pixels; ++k)
                if (bins[k] < Nv) g[k] += gW[0][static_cast<std::size_t>(i) * Nv + bins[k]];
        }
        for (int l = 1; l < c.Nlayer; ++l)
            for (std::size_t k = 0; k < gW[l].size(); ++k) (*grad)[lay.offset[l] + k] += gW[l][k];
        for (int i = 0; i < lay.N; ++i) (*grad)[lay.offset.back() + i] += gphi[i];
    }
    return r;
}

// The non-spiking baseline: ReLU layers, logits out, softmax cross entropy; the input is the
// binned image as intensities (Nin_virtual - bin) / Nin_virtual.
SampleResult ann_sample(const MnistConfig& c, const Layout& lay, const std::vector<double>& p, const std::uint8_t* bins,
                        int label, std::vector<double>* grad) {
    const int L = c.Nlayer;
    std::vector<std::vector<double>> a(L + 1);
    a[0].resize(lay.cols[0]);
    for (int k = 0; k < lay.cols[0]; ++k) a[0][k] = static_cast<double>(c.Nin_virtual - bins[k]) / c.Nin_virtual;
    for (int l = 0; l < L; ++l) {
        a[l + 1].assign(lay.rows[l], 0.0);
        const double* W = &p[lay.offset[l]];
        for (int i = 0; i < lay.rows[l]; ++i) {
            double s = 0;
            for (int j = 0; j < lay.cols[l]; ++j) s += W[static_cast<std::size_t>(i) * lay.cols[l] + j] * a[l][j];
            a[l + 1][i] = l < L - 1 ? std::max(0.0, s) : s;
        }
    }
    const auto& z = a[L];
    const double m = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (double v : z) sum += std::exp(v - m);
    SampleResult r;
    r.loss = r.loss_ord = -(z[label] - m - std::log(sum));
    r.correct = r.correct_ord = std::max_element(z.begin(), z.end()) - z.begin() == label;
    r.hidden_spikes = 0;
    for (int l = 1; l < L; ++l)
        for (double v : a[l]) {
            r.hidden_spikes += v > 0 ? 1 : 0;
            r.spiked.push_back(v > 0 ? 1 : 0);
        }
    if (grad) {
        std::vector<double> d(z.size());
        for (std::size_t i = 0; i < z.size(); ++i) d[i] = std::exp(z[i] - m) / sum - (static_cast<int>(i) == label ? 1 : 0);
        for (int l = L - 1; l >= 0; --l) {
            const double* W = &p[lay.offset[l]];
            double* gW = &(*grad)[lay.offset[l]];
            std::vector<double> prev(lay.cols[l], 0.0);
            for (int i = 0; i < lay.rows[l]; ++i) {
                if (d[i] == 0) continue;
                for (int j = 0; j < lay.cols[l]; ++j) {
                    gW[static_cast<std::size_t>(i) * lay.cols[l] + j] += d[i] * a[l][j];
                    prev[j] += W[static_cast<std::size_t>(i) * lay.cols[l] + j] * d[i];
                }
            }
            if (l > 0)
                for (int j = 0; j < lay.cols[l]; ++j) prev[j] = a[l][j] > 0 ? prev[j] : 0;
            d = std::move(prev);
        }
    }
    return r;
}

}  // namespace

MnistRun train_mnist(const MnistConfig& c, const BinnedImages& train, const BinnedImages& test,
                     const std::function<void(int, int)>& between_batches) {
    const bool theta = c.network == "theta";
    const Layout lay(c, train.pixels, theta);
    std::vector<double> p = initial_params(c, lay, theta);
    const auto t_in = input_times(c);
    const std::size_t batches = (train.count() + c.Nbatch - 1) / c.Nbatch;
    const long decay_steps = std::max<long>(1, static_cast<long>(c.tau_lr * static_cast<double>(batches)));
    optim::Optimizer<double> opt(
        optim::Config::adabelief(optim::Schedule::exponential_decay(c.lr, decay_steps, 1 / std::exp(1.0)), c.beta1, c.beta2),
        p.size());
    auto sample = [&](const std::uint8_t* bins, int label, std::vector<double>* grad) {
        return theta ? theta_sample(c, lay, p, bins, label, t_in, grad) : ann_sample(c, lay, p, bins, label, grad);
    };
    auto probe = [&] {
        MnistEpochMetrics m;
        std::vector<char> ever(lay.N - c.Nout, 0);
        const double n = static_cast<double>(test.count());
        for (std::size_t s = 0; s < test.count(); ++s) {
            const auto r = sample(&test.bins[s * test.pixels], test.labels[s], nullptr);
            m.loss += r.loss / n;
            m.loss_ord += r.loss_ord / n;
            m.acc += r.correct / n;
            m.acc_ord += r.correct_ord / n;
            m.activity += r.hidden_spikes / (n * (lay.N - c.Nout));
            for (std::size_t i = 0; i < ever.size(); ++i) ever[i] |= r.spiked[i];
        }
        m.silent = static_cast<double>(std::count(ever.begin(), ever.end(), 0)) / static_cast<double>(ever.size());
        return m;
    };

    MnistRun run;
    run.epochs.push_back(probe());
    std::vector<std::size_t> order(train.count());
    std::vector<double> grad(p.size());
    std::vector<std::uint8_t> flipped(train.pixels);
    Rng rng({c.seed, 0x5bd1e995u});
    for (int epoch = 0; epoch < c.Nepochs; ++epoch) {
        std::iota(order.begin(), order.end(), std::size_t{0});
        for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
        double train_loss = 0;
        for (std::size_t b = 0; b < batches; ++b) {
            if (between_batches) between_batches(epoch, static_cast<int>(b));
            const std::size_t first = b * c.Nbatch, last = std::min(train.count(), first + c.Nbatch);
            std::fill(grad.begin(), grad.end(), 0.0);
            for (std::size_t s = first; s < last; ++s) {
                const std::uint8_t* bins = &train.bins[order[s] * train.pixels];
                // Pixel flips: bin -> Nin_virtual - bin with probability p_flip.
                for (int k = 0; k < train.pixels; ++k)
                    flipped[k] = rng.uniform() < c.p_flip ? static_cast<std::uint8_t>(c.Nin_virtual - bins[k]) : bins[k];
                train_loss += sample(flipped.data(), train.labels[order[s]], &grad).loss / static_cast<double>(train.count());
            }
            const double inv = 1.0 / static_cast<double>(last - first);
            for (double& g : grad) g *= inv;
            opt.step(p, grad);
            if (theta)
                for (std::size_t k = lay.offset.back(); k < p.size(); ++k) p[k] = std::clamp(p[k], 0.0, c.neuron.Theta());
        }
        run.epochs.push_back(probe());
        run.epochs.back().train_loss = train_loss;
    }
    return run;
}

}  // namespace sr::spikegd
