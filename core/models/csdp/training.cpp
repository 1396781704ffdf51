#include "core/models/csdp/training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace sr::csdp {
namespace {

// Streams of the job's seed, one per purpose, so that changing one draw leaves the others alone.
enum Stream : std::uint64_t { kInit = 1, kShuffle = 2, kNegatives = 3, kTrainSpikes = 4, kDevSpikes = 5 };

int argmax_row(const Mat& m, int row) {
    int best = 0;
    for (int k = 1; k < m.cols(); ++k) {
        if (m(row, k) > m(row, best)) best = k;
    }
    return best;
}

Mat one_hot(const std::vector<int>& labels, int classes) {
    Mat y = Mat::Zero(static_cast<int>(labels.size()), classes);
    for (std::size_t r = 0; r < labels.size(); ++r) y(static_cast<int>(r), labels[r]) = 1.0f;
    return y;
}

}  // namespace

Mat gather_rows(const data::ImageSet& set, const std::vector<std::size_t>& index) {
    Mat x(static_cast<int>(index.size()), static_cast<int>(set.pixels));
    for (std::size_t r = 0; r < index.size(); ++r) {
        std::copy_n(set.row(index[r]), set.pixels, x.row(static_cast<int>(r)).data());
    }
    return x;
}

Scores evaluate(Network& net, const data::ImageSet& dev, int batch_size, Rng& spikes, Mat* recon,
                int recon_rows) {
    // The reference evaluates int(N / batch_size) full batches and divides by N.
    const std::size_t batches = dev.count / static_cast<std::size_t>(batch_size);
    Scores s;
    const int out = net.config().sizes.out;
    for (std::size_t k = 0; k < batches; ++k) {
        std::vector<std::size_t> index(static_cast<std::size_t>(batch_size));
        std::iota(index.begin(), index.end(), k * static_cast<std::size_t>(batch_size));
        const Mat x = gather_rows(dev, index);
        const ProcessOutput o = net.process(x, Mat(), false, spikes);
        for (int r = 0; r < batch_size; ++r) {
            const int label = dev.labels[index[static_cast<std::size_t>(r)]];
            s.accuracy += argmax_row(o.y_count, r) == label ? 1.0 : 0.0;
            // Categorical NLL of softmax(spike counts), clipped at 1e-7 like measure_CatNLL.
            const double top = o.y_count.row(r).maxCoeff();
            double z = 0;
            for (int c = 0; c < out; ++c) z += std::exp(o.y_count(r, c) - top);
            const double p = std::exp(o.y_count(r, label) - top) / z;
            s.nll += -std::log(std::clamp(p, 1e-7, 1.0 - 1e-7));
            for (int i = 0; i < x.cols(); ++i) {
                const double xi = x(r, i);
                const double mu = std::clamp(static_cast<double>(o.s0_mu(r, i)), 1e-7, 1.0 - 1e-7);
                s.bce += -(xi * std::log(mu) + (1.0 - xi) * std::log(1.0 - mu));
                s.mse += (o.s0_mu(r, i) - xi) * (o.s0_mu(r, i) - xi);
            }
        }
        if (k == 0 && recon != nullptr) {
            const int n = std::min(recon_rows, batch_size);
            recon->resize(n, o.s0_mu.cols());
            for (int r = 0; r < n; ++r) recon->row(r) = o.s0_mu.row(r * (batch_size / n));
        }
    }
    const double n = static_cast<double>(dev.count);
    s.accuracy /= n;
    s.nll /= n;
    s.bce /= n;
    s.mse /= n;
    return s;
}

void negatives(const Mat& x, const std::vector<int>& labels, bool supervised, float alpha, Rng& rng,
               Mat& x_neg, std::vector<int>& labels_neg) {
    const int rows = static_cast<int>(x.rows());
    labels_neg.resize(labels.size());
    if (supervised) {
        x_neg = x;
        for (std::size_t r = 0; r < labels.size(); ++r) {
            labels_neg[r] = (labels[r] + 1 + static_cast<int>(rng.below(9))) % 10;
        }
        return;
    }
    const int p = static_cast<int>(rng.below(static_cast<std::uint64_t>(rows - 1)));
    x_neg.resize(rows, x.cols());
    for (int r = 0; r < rows; ++r) {
        const int other = p < r ? p : p + 1;
        x_neg.row(r) = x.row(r) * alpha + x.row(other) * (1.0f - alpha);
        labels_neg[static_cast<std::size_t>(r)] = labels[static_cast<std::size_t>(other)];
    }
}

Curves train(const Experiment& e, const data::ImageSet& train_set, const data::ImageSet& dev_set,
             RunContext& context) {
    Rng init({e.seed, kInit});
    Rng shuffle({e.seed, kShuffle});
    Rng neg_rng({e.seed, kNegatives});
    Rng train_spikes({e.seed, kTrainSpikes});
    Rng dev_spikes({e.seed, kDevSpikes});
    Network net(e.net, init);
    const int batch = e.net.batch_size;
    const int out = e.net.sizes.out;
    const std::size_t batches = train_set.count / static_cast<std::size_t>(batch);
    const int recon_rows = std::min<int>(e.recon_images, static_cast<int>(dev_set.count));

    Curves curves;
    curves.dev.push_back(evaluate(net, dev_set, e.dev_batch_size, dev_spikes));
    std::array<double, 4> spike_sum{};
    double unit_steps[4] = {0, 0, 0, 0};
    const std::array<int, 4> widths = {e.net.sizes.in, e.net.sizes.h1, e.net.sizes.h2, out};
    for (int epoch = 0; epoch < e.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        std::vector<std::size_t> order(train_set.count);
        std::iota(order.begin(), order.end(), std::size_t{0});
        for (std::size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[shuffle.below(k)]);
        double correct = 0, seen = 0;
        std::array<double, 2> good_pos{}, good_neg{};
        for (std::size_t bi = 0; bi < batches; ++bi) {
            context.check_cancelled();
            const std::vector<std::size_t> index(order.begin() + static_cast<std::ptrdiff_t>(bi * batch),
                                                 order.begin() + static_cast<std::ptrdiff_t>((bi + 1) * batch));
            const Mat xb = gather_rows(train_set, index);
            std::vector<int> yb(index.size()), yn;
            for (std::size_t r = 0; r < index.size(); ++r) yb[r] = train_set.labels[index[r]];
            Mat xn;
            negatives(xb, yb, e.net.supervised, e.unsup_alpha, neg_rng, xn, yn);
            Mat x(2 * batch, xb.cols());
            x << xb, xn;
            Mat ctx(2 * batch, out);
            ctx << one_hot(yb, out), one_hot(yn, out);

            std::array<std::int64_t, 4> spikes{};
            const ProcessOutput o = net.process(x, ctx, true, train_spikes, nullptr, [&](int) {
                spikes[0] += net.z0().total();
                spikes[1] += net.z1().s.total();
                spikes[2] += net.z2().s.total();
                spikes[3] += net.zy().s.total();
            });
            for (int p = 0; p < 4; ++p) {
                spike_sum[p] += static_cast<double>(spikes[p]);
                unit_steps[p] += static_cast<double>(2 * batch) * widths[p] * e.net.steps;
            }
            for (int r = 0; r < batch; ++r) {
                correct += argmax_row(o.y_count, r) == yb[static_cast<std::size_t>(r)] ? 1.0 : 0.0;
                for (int l = 0; l < 2; ++l) {
                    good_pos[l] += o.goodness(r, l);
                    good_neg[l] += o.goodness(r + batch, l);
                }
            }
            seen += batch;
            context.report_progress((epoch + (bi + 1.0) / static_cast<double>(batches)) / e.epochs);
        }
        const double per_row_step = std::max(seen, 1.0) * e.net.steps;
        curves.train_accuracy.push_back(correct / std::max(seen, 1.0));
        curves.goodness_positive.push_back({good_pos[0] / per_row_step, good_pos[1] / per_row_step});
        curves.goodness_negative.push_back({good_neg[0] / per_row_step, good_neg[1] / per_row_step});
        const bool last = epoch + 1 == e.epochs;
        curves.dev.push_back(evaluate(net, dev_set, e.dev_batch_size, dev_spikes,
                                      last ? &curves.recon : nullptr, recon_rows));
        curves.epoch_seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    for (int p = 0; p < 4; ++p) curves.training_rates[p] = unit_steps[p] > 0 ? spike_sum[p] / unit_steps[p] : 0.0;
    std::vector<std::size_t> shown(static_cast<std::size_t>(recon_rows));
    for (int r = 0; r < recon_rows; ++r) {
        shown[static_cast<std::size_t>(r)] = static_cast<std::size_t>(r * (e.dev_batch_size / std::max(recon_rows, 1)));
    }
    curves.recon_input = gather_rows(dev_set, shown);
    if (e.epochs == 0) curves.recon = Mat::Zero(recon_rows, e.net.sizes.in);
    return curves;
}

}  // namespace sr::csdp
