// One CSDP training batch (500 positive + 500 negative rows x 50 steps, supervised, with the
// reconstruction pathway) at 784-500-100-10 and 784-3000-600-10, against a dense float32 baseline
// measured in the same run: the same step as dense matrix products (Eigen GEMMs for every synapse's
// forward pass and weight gradient, as the reference computes them) plus the dense Adam pass.
// The original code needs 0.22-0.34 s per batch on a GPU and ~125 s as dense numpy on 2 cores.
// Reports wall and CPU time (on a shared machine the CPU time does not depend on other load).
//   bench_csdp [threads] [batches] [hidden1: 500 or 3000, default both]
#include "core/data/idx.hpp"
#include "core/models/csdp/training.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

using namespace sr;
using namespace sr::csdp;

namespace {

struct Clock {
    std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
    std::clock_t cpu = std::clock();
    double wall_s() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(); }
    double cpu_s() const { return static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC; }
};

// Seconds of one dense step: every synapse's product with its (binary) inputs and its gradient
// pre^T x post-signal as dense GEMMs, then Adam over all weights. Averaged over `steps`.
double dense_step_seconds(const Sizes& n, const Mat& input_spikes, int steps) {
    const int rows = static_cast<int>(input_spikes.rows());
    struct Syn {
        int pre, post;
    };
    const Syn syns[] = {{n.in, n.h1}, {n.h2, n.h1}, {n.h1, n.h2}, {n.out, n.h1}, {n.out, n.h2},
                        {n.h1, n.h1}, {n.h2, n.h2}, {n.h1, n.out}, {n.h2, n.out}, {n.h1, n.in}};
    std::vector<Mat> w, m1, m2, pre, post;
    Rng rng(3);
    for (const Syn& s : syns) {
        w.push_back(Mat::Random(s.pre, s.post));
        m1.push_back(Mat::Zero(s.pre, s.post));
        m2.push_back(Mat::Zero(s.pre, s.post));
        pre.push_back(s.pre == n.in ? input_spikes : Mat(Mat::Random(rows, s.pre).array().max(0.9f) - 0.9f));
        post.push_back(Mat::Random(rows, s.post));
    }
    const Clock c;
    float sink = 0;
    for (int t = 0; t < steps; ++t) {
        for (std::size_t k = 0; k < w.size(); ++k) {
            const Mat out = pre[k] * w[k];
            const Mat grad = pre[k].transpose() * post[k];
            m1[k] = 0.9f * m1[k] + 0.1f * grad;
            m2[k] = 0.999f * m2[k] + 0.001f * grad.cwiseProduct(grad);
            w[k] = (w[k].array() - 0.002f * m1[k].array() / (m2[k].array().sqrt() + 1e-8f)).max(-1.0f).min(1.0f);
            sink += out(0, 0);
        }
    }
    if (sink == 12345.0f) std::puts("");
    return c.wall_s() / steps;
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
    const int batches = argc > 2 ? std::atoi(argv[2]) : 2;
    const int only = argc > 3 ? std::atoi(argv[3]) : 0;
    const std::string dir = CSDP_TINY_DIR;
    const data::ImageSet tiny = data::load_idx(dir + "/train-images-idx3-ubyte", dir + "/train-labels-idx1-ubyte");
    std::printf("bench_csdp: %d thread(s), %d batch(es) of 500 + 500 rows x 50 steps per size\n", threads, batches);
    for (const Sizes sizes : {Sizes{784, 500, 100, 10}, Sizes{784, 3000, 600, 10}}) {
        if (only != 0 && sizes.h1 != only) continue;
        Config c;
        c.sizes = sizes;
        c.threads = threads;
        Rng init({1234, 1}), spikes({1234, 4}), neg({1234, 3});
        Network net(c, init);
        std::vector<std::size_t> index(500);
        std::vector<int> labels(500);
        for (std::size_t r = 0; r < 500; ++r) {
            index[r] = (r * 13) % tiny.count;
            labels[r] = tiny.labels[index[r]];
        }
        const Mat xb = gather_rows(tiny, index);
        Mat xn;
        std::vector<int> yn;
        negatives(xb, labels, true, 0.5f, neg, xn, yn);
        Mat x(1000, 784), ctx = Mat::Zero(1000, 10);
        x << xb, xn;
        for (int r = 0; r < 500; ++r) {
            ctx(r, labels[static_cast<std::size_t>(r)]) = 1;
            ctx(r + 500, yn[static_cast<std::size_t>(r)]) = 1;
        }
        double wall = 0, cpu = 0;
        std::int64_t s1 = 0, s2 = 0, s0 = 0;
        for (int b = 0; b < batches; ++b) {
            const Clock clock;
            net.process(x, ctx, true, spikes, nullptr, [&](int) {
                s0 += net.z0().total();
                s1 += net.z1().s.total();
                s2 += net.z2().s.total();
            });
            wall += clock.wall_s();
            cpu += clock.cpu_s();
        }
        const double unit_steps = 1000.0 * 50 * batches;
        Mat input = Mat::Zero(1000, 784);
        for (int r = 0; r < 1000; ++r) {
            for (int i = 0; i < 784; ++i) input(r, i) = spikes.uniform() < x(r, i) ? 1.0f : 0.0f;
        }
        const double dense = dense_step_seconds(sizes, input, sizes.h1 > 1000 ? 1 : 2) * 50;
        std::printf("784-%d-%d-10: %.2f s wall, %.2f s CPU per batch; dense float32 baseline %.1f s per batch "
                    "(ratio %.1fx); goal %s s\n",
                    sizes.h1, sizes.h2, wall / batches, cpu / batches, dense, dense / (wall / batches),
                    sizes.h1 > 1000 ? "10" : "2");
        std::printf("  spikes per unit and step: input %.3f, z1 %.4f, z2 %.4f\n", s0 / (unit_steps * 784),
                    s1 / (unit_steps * sizes.h1), s2 / (unit_steps * sizes.h2));
    }
    return 0;
}
