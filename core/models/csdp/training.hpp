#pragma once
// train_csdp.py: epochs of shuffled batches (each a positive and a negative half), evaluation on the
// dev set before training and after every epoch.
#include "core/data/idx.hpp"
#include "core/models/csdp/network.hpp"
#include "core/run_context.hpp"

#include <string>
#include <vector>

namespace sr::csdp {

struct Experiment {
    Config net;
    std::uint64_t seed = 1234;
    int epochs = 3;
    int dev_batch_size = 1000;  // the reference's dev_batch_size
    float unsup_alpha = 0.5f;   // unsupervised negatives: alpha * image + (1 - alpha) * other image
    int recon_images = 10;      // dev images (evenly spaced in the first dev batch) reconstructed
};

// Dev-set scores, as train_csdp.py's eval_model computes them.
struct Scores {
    double accuracy = 0, nll = 0, bce = 0, mse = 0;
};

struct Curves {
    std::vector<Scores> dev;  // before training, then after each epoch
    std::vector<double> train_accuracy;  // per epoch, online estimate on the positive rows
    // Per epoch and hidden layer: mean over rows and steps of the goodness sum_j trace_j^2.
    std::vector<std::array<double, 2>> goodness_positive, goodness_negative;
    std::vector<double> epoch_seconds;
    // Mean spikes per unit and step during training, per population (z0, z1, z2, zy).
    std::array<double, 4> training_rates{};
    Mat recon_input, recon;  // recon_images dev images and their s0_mu after the last epoch
};

// Evaluation: no plasticity, no label context; prediction = most output spikes (first on ties).
Scores evaluate(Network& net, const data::ImageSet& dev, int batch_size, Rng& spikes,
                Mat* recon = nullptr, int recon_rows = 0);

// The batch's rows as a matrix of pixel intensities.
Mat gather_rows(const data::ImageSet& set, const std::vector<std::size_t>& index);

// The negative half of a training batch: supervised, the same images with a uniformly drawn wrong
// label; unsupervised, each image mixed with another image of the batch (csdp_deform without
// rotation, whose quirk is kept: one index is drawn for the whole batch, so every row is mixed
// with the same image, or with the next one for rows at or before it).
void negatives(const Mat& x, const std::vector<int>& labels, bool supervised, float alpha, Rng& rng,
               Mat& x_neg, std::vector<int>& labels_neg);

Curves train(const Experiment& e, const data::ImageSet& train_set, const data::ImageSet& dev_set,
             RunContext& context);

}  // namespace sr::csdp
