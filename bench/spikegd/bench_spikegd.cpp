// bench_spikegd: speed of the spikegd models on one core.
//   bench_spikegd           one RNN trial with and without gradients, the whole 10,001-trial RNN
//                           training (goal: under 10 s), the 3000-trial single-neuron training
//   bench_spikegd --trial   only the per-trial measurements
//   bench_spikegd --mnist DIR  one MNIST epoch of the 8k split in DIR (tools/mnist10k_to_idx.py;
//                           goal: under 30 s on 2 cores) and the time per image, forward + backward
// The baseline measured in the same run is the plain simulation of the same trial (no tangents):
// the printed ratio is what the exact gradient costs on top of the simulation.
#include "core/data/idx.hpp"
#include "core/models/spikegd/mnist.hpp"
#include "core/models/spikegd/rnn.hpp"
#include "core/models/spikegd/single.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <ctime>

namespace {

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds per call of f, over at least `min_seconds` (the machine is shared: CPU time is fair).
template <class F>
double per_call(F&& f, double min_seconds = 0.5) {
    int n = 0;
    const double start = thread_cpu_seconds();
    double elapsed = 0;
    do {
        f();
        ++n;
        elapsed = thread_cpu_seconds() - start;
    } while (elapsed < min_seconds);
    return elapsed / n;
}

}  // namespace

int main(int argc, char** argv) {
    namespace sg = sr::spikegd;
    const bool trial_only = argc > 1 && std::strcmp(argv[1], "--trial") == 0;
    if (argc > 2 && std::strcmp(argv[1], "--mnist") == 0) {
        const std::string dir = argv[2];
        const auto tr = sr::data::load_idx(dir + "/train-images-idx3-ubyte", dir + "/train-labels-idx1-ubyte");
        const auto te = sr::data::load_idx(dir + "/dev-images-idx3-ubyte", dir + "/dev-labels-idx1-ubyte");
        const auto train = sg::bin_images(tr.values, tr.pixels, tr.labels, 1);
        const auto test = sg::bin_images(te.values, te.pixels, te.labels, 1);
        for (const char* network : {"theta", "ann"}) {
            sg::MnistConfig m;
            m.network = network;
            m.Nepochs = 1;
            const double t0 = thread_cpu_seconds();
            const auto run = sg::train_mnist(m, train, test);
            const double t = thread_cpu_seconds() - t0;
            // One epoch = training pass over the train set plus two test passes (before, after).
            const double images = static_cast<double>(train.count() + 2 * test.count());
            std::printf("MNIST-10k, %s network: one epoch (%zu training + 2 x %zu test images) %.1f s CPU, %.0f us per image; "
                        "test accuracy %.3f -> %.3f (ordinary spikes %.3f), activity %.3f\n",
                        network, train.count(), test.count(), t, t / images * 1e6, run.epochs[0].acc, run.epochs[1].acc,
                        run.epochs[1].acc_ord, run.epochs[1].activity);
        }
        return 0;
    }

    sg::RnnConfig c;  // the reference's RNN: seed 7, N = 10, K = 500
    const auto task = sg::make_rnn_task(c);
    // A trained-looking state: the parameters after 300 trials (the network spikes by then).
    sg::RnnConfig warm = c;
    warm.Ntrial = 300;
    const auto p = sg::train_rnn(warm).p_final;
    const auto probe = sg::rnn_eval(c, task, p, false);
    std::size_t net_spikes = 0;
    for (const auto& e : probe.trial.events) net_spikes += (!e.spike_in && e.j >= 0) ? 1 : 0;
    const double plain = per_call([&] { sg::rnn_eval(c, task, p, false); });
    const double grad = per_call([&] { sg::rnn_eval(c, task, p, true); });
    std::printf("RNN trial (N = %d, %zu events, %zu network spikes, %d parameters)\n", c.N,
                probe.trial.events.size(), net_spikes, sg::rnn_param_count(c));
    std::printf("  simulation only        %8.1f us\n", plain * 1e6);
    std::printf("  simulation + gradient  %8.1f us   ratio to simulation only: %.2f\n", grad * 1e6, grad / plain);
    if (trial_only) return 0;

    const double t0 = thread_cpu_seconds();
    const auto run = sg::train_rnn(c);
    const double t_rnn = thread_cpu_seconds() - t0;
    std::printf("RNN training, %d trials: %.2f s CPU (goal < 10 s; %.0f us per trial incl. the optimizer), final loss %.3g\n",
                c.Ntrial + 1, t_rnn, t_rnn / (c.Ntrial + 1) * 1e6, run.loss.back());

    const sg::SingleConfig s;
    const double t1 = thread_cpu_seconds();
    const auto srun = sg::train_single(s);
    const double t_single = thread_cpu_seconds() - t1;
    std::printf("Single-neuron training, %d trials: %.3f s CPU, final loss %.3g\n", s.Ntrial, t_single, srun.loss.back());
    return 0;
}
