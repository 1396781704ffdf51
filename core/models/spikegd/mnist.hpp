#pragma once
// spikegd's MNIST experiment (experiments/mnist/mnist.py): a layered theta network (784-100-100-10
// by default), initially silent, learns digit classes from time-to-first-spike coded images. Pixels
// are binned into Nin_virtual + 1 brightness bins; each but the last bin is one "virtual" input
// spike whose weight sums the input weights of its pixels. Loss: cross entropy of -t_out plus
// gamma (exp(t_label / T) - 1); AdaBelief with exponential decay over tau_lr epochs; pixel-flip
// augmentation; initial phases are trained too and clipped to [0, Theta].
// Also the baseline of the issue: a non-spiking network of the same shape (ReLU, softmax cross
// entropy) trained on the same binned images with the same optimizer and batches.
#include "core/models/spikegd/theta.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sr::spikegd {

struct MnistConfig {
    std::uint64_t seed = 0;
    std::string network = "theta";  // or "ann" (the non-spiking baseline)
    ThetaParams neuron;
    int Nin_virtual = 1;
    int Nhidden = 100;
    int Nlayer = 3;  // hidden layers + output layer
    int Nout = 10;
    double w_scale = 0.5;
    double T = 2.0;
    int K = 200;
    double gamma = 1e-2;
    int Nbatch = 1000;
    double lr = 4e-3;
    double tau_lr = 100;  // epochs per 1/e of the learning rate
    double beta1 = 0.9;
    double beta2 = 0.999;
    double p_flip = 0.02;
    int Nepochs = 1;
};

// Images as virtual-input indices per pixel (0 .. Nin_virtual; Nin_virtual: no spike).
struct BinnedImages {
    int pixels = 0;
    std::vector<std::uint8_t> bins;  // count x pixels
    std::vector<int> labels;
    std::size_t count() const { return labels.size(); }
};
BinnedImages bin_images(const std::vector<float>& values, std::size_t pixels, const std::vector<int>& labels,
                        int Nin_virtual);

struct MnistEpochMetrics {
    double loss = 0, acc = 0;          // with pseudospikes (theta) / the network's own (ann)
    double loss_ord = 0, acc_ord = 0;  // ordinary spikes only: silent outputs count as spiking at T
    double activity = 0;               // hidden spikes per hidden neuron and image
    double silent = 0;                 // fraction of hidden neurons silent on the whole test set
    double train_loss = 0;             // mean training loss of the epoch (before each update)
};

struct MnistRun {
    std::vector<MnistEpochMetrics> epochs;  // epoch 0: before training
};

MnistRun train_mnist(const MnistConfig& c, const BinnedImages& train, const BinnedImages& test,
                     const std::function<void(int, int)>& between_batches = {});

}  // namespace sr::spikegd
