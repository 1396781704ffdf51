// Golden replay of the original code's run (tests/data/csdp/tiny_reference_run.h5, converted from
// ../shared/reference/csdp/tiny_reference_run.npz by tools/npz_to_h5.py): a 20-16-12-4 network, two
// training phases and one evaluation, with the recorded input spikes and negative labels injected.
#include "core/models/csdp/network.hpp"
#include "db/payload.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

namespace sr::csdp {
namespace {

const std::string kFixture = std::string(CSDP_DATA_DIR) + "/tiny_reference_run.h5";

// Steps (1-based) at which the fixture keeps the weights (tools/npz_to_h5.py WEIGHT_STEPS).
const int kWeightSteps[] = {1, 2, 3, 10, 20, 30};

struct Fixture {
    // Each stacked dataset is read once (the replay slices it step by step).
    const Array& read(const std::string& name) const {
        auto it = cache.find(name);
        if (it == cache.end()) it = cache.emplace(name, read_payload_array(kFixture, name)).first;
        return it->second;
    }
    mutable std::map<std::string, Array> cache;
    // Slice `index` of the leading dimension as a rows x cols float matrix.
    Mat matrix(const std::string& name, int index = -1) const {
        const Array& a = read(name);
        const std::size_t rank = a.shape.size();
        const int rows = static_cast<int>(a.shape[rank - 2]);
        const int cols = static_cast<int>(a.shape[rank - 1]);
        const std::size_t offset = index < 0 ? 0 : static_cast<std::size_t>(index) * rows * cols;
        Mat m(rows, cols);
        for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < cols; ++c) m(r, c) = static_cast<float>(a.reals()[offset + r * cols + c]);
        }
        return m;
    }
};

// Largest absolute difference per quantity over all steps and phases; spikes count mismatches.
struct Agreement {
    std::map<std::string, double> max_diff;
    std::map<std::string, long> spike_mismatches;
    void compare(const std::string& what, const Mat& ours, const Mat& reference) {
        ASSERT_EQ(ours.rows(), reference.rows()) << what;
        ASSERT_EQ(ours.cols(), reference.cols()) << what;
        double& d = max_diff[what];
        d = std::max(d, static_cast<double>((ours - reference).cwiseAbs().maxCoeff()));
    }
    void spikes(const std::string& what, const Mat& ours, const Mat& reference) {
        ASSERT_EQ(ours.rows(), reference.rows()) << what;
        spike_mismatches[what] += static_cast<long>((ours - reference).cwiseAbs().sum());
    }
};

Config tiny_config() {
    Config c;
    c.sizes = {20, 16, 12, 4};
    c.steps = 30;
    c.dt = 3.0f;
    c.supervised = true;
    c.learn_recon = true;
    c.batch_size = 500;  // the recorded run's rates: eta 0.002, w_decay 5e-5
    return c;
}

Network reference_network(const Fixture& f) {
    Rng unused(1);
    Network net(tiny_config(), unused);
    for (int k = 0; k < kNumSynapses; ++k) {
        const auto id = static_cast<SynapseId>(k);
        net.synapse(id).w = f.matrix(std::string("init_") + synapse_name(id));
    }
    net.z1().thr0 = f.matrix("thr0_z1");
    net.z2().thr0 = f.matrix("thr0_z2");
    net.zy().thr0 = f.matrix("thr0_zy");
    net.zR().thr0 = f.matrix("thr0_zR");
    return net;
}

TEST(CsdpReplay, AllPhasesMatchTheOriginalCode) {
    const Fixture f;
    Network net = reference_network(f);
    const Mat x3 = f.matrix("X");
    Agreement agree;
    Rng unused(2);
    for (int phase = 0; phase < 3; ++phase) {
        const bool train = phase < 2;
        const std::string p = "p" + std::to_string(phase) + "_";
        Injection inject;
        for (int t = 0; t < 30; ++t) inject.input_spikes.push_back(f.matrix(p + "z0.outputs", t));
        Mat x = x3;
        Mat context;
        if (train) {
            x.resize(6, x3.cols());
            x << x3, x3;
            context = f.matrix(p + "z3.outputs", 0);
        }
        const ProcessOutput out = net.process(x, context, train, unused, &inject, [&](int t) {
            const int k = t - 1;
            for (const auto& [name, z] : {std::pair<std::string, const Slif*>{"z1", &net.z1()},
                                          {"z2", &net.z2()},
                                          {"zy", &net.zy()}}) {
                agree.compare("current", z->j, f.matrix(p + name + ".j", k));
                agree.compare("voltage", z->v, f.matrix(p + name + ".v", k));
                agree.compare("threshold", z->thr, f.matrix(p + name + ".thr", k));
                agree.spikes(name, z->s.dense, f.matrix(p + name + ".s", k));
            }
            agree.spikes("zR", net.zR().s.dense, f.matrix(p + "zR.s", k));
            agree.compare("voltage", net.zR().v, f.matrix(p + "zR.v", k));
            for (int l = 0; l < 4; ++l) {
                agree.compare("trace", net.trace(l), f.matrix(p + "tr" + std::to_string(l) + ".trace", k));
            }
            agree.compare("current", net.synapse_output(W1), f.matrix(p + "W1.outputs", k));
            agree.compare("current", net.synapse_output(M1), f.matrix(p + "M1.outputs", k));
            if (!train) return;
            agree.compare("modulator", net.modulator(1), f.matrix(p + "g1.modulator", k));
            agree.compare("modulator", net.modulator(2), f.matrix(p + "g2.modulator", k));
            agree.compare("error", net.readout_error(), f.matrix(p + "ey.dmu", k));
            agree.compare("error", net.recon_error(), f.matrix(p + "eR.dmu", k));
            for (std::size_t w = 0; w < std::size(kWeightSteps); ++w) {
                if (kWeightSteps[w] != t) continue;
                for (int s = 0; s < kNumSynapses; ++s) {
                    const auto id = static_cast<SynapseId>(s);
                    agree.compare("weight", net.synapse(id).w,
                                  f.matrix(p + "W_" + synapse_name(id), static_cast<int>(w)));
                }
            }
        });
        agree.compare("ycount", out.y_count, f.matrix(p + "ycount"));
        agree.compare("s0_mu", out.s0_mu, f.matrix(p + "s0mu"));
    }
    for (int s = 0; s < kNumSynapses; ++s) {
        const auto id = static_cast<SynapseId>(s);
        agree.compare("weight", net.synapse(id).w, f.matrix(std::string("final_") + synapse_name(id)));
    }
    EXPECT_EQ(net.adam_steps(), static_cast<float>(f.read("adamt_W1").reals()[0]));

    for (const auto& [what, n] : agree.spike_mismatches) EXPECT_EQ(n, 0) << what << " spikes differ";
    // Tolerances of ../shared/reference/csdp/README.md; the reference ran its matmuls in TF32 on a
    // GPU, which puts its currents ~3e-4 off exact float32 sums.
    const std::map<std::string, double> tolerance = {
        {"current", 5e-4}, {"voltage", 1e-4}, {"threshold", 1e-6}, {"trace", 1e-6},
        {"modulator", 1e-5}, {"error", 1e-6}, {"weight", 1e-5}, {"ycount", 0.0}, {"s0_mu", 1e-6}};
    for (const auto& [what, d] : agree.max_diff) {
        EXPECT_LE(d, tolerance.at(what)) << what;
        std::printf("max |diff| %-10s %.3g\n", what.c_str(), d);
    }
}

}  // namespace
}  // namespace sr::csdp
