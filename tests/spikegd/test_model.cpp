// The spikegd models through the model interface: payloads, errors naming their key, sweep files.
#include "core/models/spikegd/spikegd_model.hpp"
#include "core/registry.hpp"
#include "scheduler/expansion.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sr {
namespace {

ModelPtr model(const std::string& name) {
    for (const auto& m : make_spikegd_models())
        if (m->info().name == name) return m;
    return nullptr;
}

std::string error_key(const Model& m, const Params& p) {
    try {
        RunContext ctx;
        m.run(p, ctx);
    } catch (const ParamError& e) {
        return e.key;
    }
    return "";
}

TEST(SpikegdModel, SingleShortRun) {
    RunContext ctx;
    const Result r = model("spikegd.single")->run(Params{{"Ntrial", 20}}, ctx);
    EXPECT_EQ(r.arrays.at("loss").shape, (std::vector<std::size_t>{20}));
    EXPECT_EQ(r.arrays.at("p").shape, (std::vector<std::size_t>{20, 4}));
    EXPECT_NEAR(r.metrics.at("loss_initial"), 43.208842210132794, 1e-9);
    EXPECT_LT(r.metrics.at("loss_final"), r.metrics.at("loss_initial"));
    EXPECT_GT(r.arrays.at("trace_first_t").size(), 900u);  // 0.01 steps over T = 10
}

TEST(SpikegdModel, RnnShortRunHasRasters) {
    RunContext ctx;
    const Result r = model("spikegd.rnn")->run(Params{{"Ntrial", 3}}, ctx);
    EXPECT_EQ(r.arrays.at("loss").shape, (std::vector<std::size_t>{4}));
    EXPECT_EQ(r.arrays.at("t_out_0").shape, (std::vector<std::size_t>{4, 6}));
    EXPECT_EQ(r.arrays.at("raster_first").shape.at(1), 2u);
    EXPECT_NEAR(r.metrics.at("loss_initial"), 0.36193878341277175, 1e-9);
}

TEST(SpikegdModel, ConceptGrid) {
    RunContext ctx;
    const Result r = model("spikegd.concept")->run(Params{{"Nvar", 100}}, ctx);
    const auto& t = r.arrays.at("spiketimes").reals();
    ASSERT_EQ(t.size(), 101u);
    // Below pi^2/4 (the first half of the grid) no spike; above, a spike that comes earlier with w.
    EXPECT_TRUE(std::isinf(t[40]));
    EXPECT_TRUE(std::isfinite(t[80]) && std::isfinite(t[100]) && t[100] < t[80]);
    EXPECT_LT(r.arrays.at("grads").reals()[80], 0.0);
}

TEST(SpikegdModel, ErrorsNameTheirKey) {
    EXPECT_EQ(error_key(*model("spikegd.single"), Params{{"Ntrain", 30}}), "Ntrain");
    EXPECT_EQ(error_key(*model("spikegd.single"), Params{{"t_init", {1.0}}}), "t_init");
    EXPECT_EQ(error_key(*model("spikegd.single"), Params{{"gradient_rule", "autodiff"}}), "gradient_rule");
    EXPECT_EQ(error_key(*model("spikegd.single"), Params{{"K", 5}, {"Ntrial", 1}}), "K");
    EXPECT_EQ(error_key(*model("spikegd.rnn"), Params{{"mode", "fast"}}), "mode");
    EXPECT_EQ(error_key(*model("spikegd.rnn"), Params{{"Ntar", 3}}), "r_targets");
    EXPECT_EQ(error_key(*model("spikegd.concept"), Params{{"vary", "tau"}}), "vary");
    EXPECT_EQ(error_key(*model("spikegd.concept"), Params{{"neuron", "hh"}}), "neuron");
}

TEST(SpikegdModel, SweepFilesExpand) {
    EXPECT_EQ(expand(load_sweep(SPIKEGD_SWEEP_DIR "/spikegd_concept.yaml"), builtin_models()).size(), 6u);
    EXPECT_EQ(expand(load_sweep(SPIKEGD_SWEEP_DIR "/spikegd_rnn.yaml"), builtin_models()).size(), 16u);
    EXPECT_EQ(expand(load_sweep(SPIKEGD_SWEEP_DIR "/spikegd_quick.yaml"), builtin_models()).size(), 6u);
    EXPECT_EQ(expand(load_sweep(SPIKEGD_SWEEP_DIR "/spikegd_mnist.yaml"), builtin_models()).size(), 20u);
}

}  // namespace
}  // namespace sr

namespace sr {
namespace {

Params tiny_mnist(const char* network) {
    const std::string dir = SPIKEGD_TEST_DATA_DIR "/../csdp/mnist_tiny/";
    return Params{{"network", network},
                  {"data", {{"train_images", dir + "train-images-idx3-ubyte"}, {"train_labels", dir + "train-labels-idx1-ubyte"},
                            {"test_images", dir + "dev-images-idx3-ubyte"}, {"test_labels", dir + "dev-labels-idx1-ubyte"}}},
                  {"Nhidden", 20},
                  {"Nbatch", 10},
                  {"Nepochs", 2}};
}

// The reference's silent start: no hidden spikes, every output silent, so the ordinary-spike
// prediction is class 0 and the ordinary loss is ln 10 + 0.01 (e - 1) = 2.3198.
TEST(SpikegdModel, MnistSilentStart) {
    RunContext ctx;
    const Result r = model("spikegd.mnist")->run(tiny_mnist("theta"), ctx);
    EXPECT_EQ(r.arrays.at("activity").reals()[0], 0.0);
    EXPECT_EQ(r.arrays.at("silent_neurons").reals()[0], 1.0);
    EXPECT_NEAR(r.metrics.at("loss_ord_initial"), std::log(10.0) + 0.01 * (std::exp(1.0) - 1), 1e-12);
    // The dev labels of the tiny set: the fraction of class 0 is the initial ordinary accuracy.
    EXPECT_NEAR(r.arrays.at("test_acc_ord").reals()[0], 2.0 / 20.0, 1e-12);
    EXPECT_EQ(r.arrays.at("test_loss").shape, (std::vector<std::size_t>{3}));
    EXPECT_LT(r.arrays.at("train_loss").reals()[2], r.arrays.at("train_loss").reals()[1]);
}

TEST(SpikegdModel, MnistBaselineTrains) {
    RunContext ctx;
    const Result r = model("spikegd.mnist")->run(tiny_mnist("ann"), ctx);
    EXPECT_LT(r.arrays.at("train_loss").reals()[2], r.arrays.at("train_loss").reals()[1]);
}

TEST(SpikegdModel, MnistMissingDataNamesTheKey) {
    Params p = tiny_mnist("theta");
    p["data"]["train_images"] = "/nonexistent/train-images";
    EXPECT_EQ(error_key(*model("spikegd.mnist"), p), "data.train_images");
    EXPECT_EQ(error_key(*model("spikegd.mnist"), Params{{"Nepochs", 1}}), "data.train_images");
}

}  // namespace
}  // namespace sr
