// The IDX loader, and the model through its interface on a tiny MNIST subset
// (tests/data/csdp/mnist_tiny: 4 training and 2 dev images per digit of the MNIST-10k split).
#include "core/data/idx.hpp"
#include "core/models/csdp/csdp_model.hpp"
#include "core/models/csdp/training.hpp"
#include "core/registry.hpp"
#include "scheduler/expansion.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace sr {
namespace {

namespace fs = std::filesystem;
const fs::path kTiny = fs::path(CSDP_DATA_DIR) / "mnist_tiny";

Params tiny_params(const Model& model) {
    Params p = default_params(model.info());
    p["data_dir"] = kTiny.string();
    p["hidden1"] = 24;
    p["hidden2"] = 12;
    p["epochs"] = 2;
    p["batch_size"] = 10;
    p["dev_batch_size"] = 10;
    p["steps"] = 12;
    p["recon_images"] = 3;
    return p;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const ParamError& e) {
        return e.key + ": " + e.what();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

fs::path temp_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("csdp_test_" + name + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
}

TEST(CsdpData, ReadsPlainAndGzipIdx) {
    const data::ImageSet tiny = data::load_idx(kTiny / "train-images-idx3-ubyte",
                                               kTiny / "train-labels-idx1-ubyte");
    EXPECT_EQ(tiny.count, 40u);
    EXPECT_EQ(tiny.pixels, 784u);
    EXPECT_EQ(tiny.labels[0], 0);
    EXPECT_EQ(tiny.labels[39], 9);
    EXPECT_GE(*std::min_element(tiny.values.begin(), tiny.values.end()), 0.0f);
    EXPECT_EQ(*std::max_element(tiny.values.begin(), tiny.values.end()), 1.0f);

    // The same bytes gzip-compressed read the same.
    const fs::path dir = temp_dir("gz");
    std::ifstream in(kTiny / "train-images-idx3-ubyte", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    gzFile gz = gzopen((dir / "train-images-idx3-ubyte.gz").c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(gz);
    const fs::path found = data::find_idx_file(dir / "train-images-idx3-ubyte");
    EXPECT_EQ(found.filename(), "train-images-idx3-ubyte.gz");
    const data::ImageSet again = data::load_idx(found, kTiny / "train-labels-idx1-ubyte");
    EXPECT_EQ(again.values, tiny.values);
    const data::ImageSet part = tiny.slice(4, 4);
    EXPECT_EQ(part.labels, std::vector<int>(4, 1));

    // Errors name the file and the reason.
    EXPECT_EQ(error_of([&] { data::load_idx(dir / "nothing", kTiny / "train-labels-idx1-ubyte"); }),
              (dir / "nothing").string() + ": no such file");
    EXPECT_NE(error_of([&] {
                  data::load_idx(kTiny / "train-labels-idx1-ubyte", kTiny / "train-labels-idx1-ubyte");
              }).find("train-labels-idx1-ubyte: not an IDX file of unsigned bytes with 3 dimensions"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  data::load_idx(kTiny / "train-images-idx3-ubyte", kTiny / "dev-labels-idx1-ubyte");
              }).find("dev-labels-idx1-ubyte: 20 labels for 40 images"),
              std::string::npos);
    std::ofstream(dir / "short", std::ios::binary) << bytes.substr(0, 1000);
    EXPECT_NE(error_of([&] { data::load_idx(dir / "short", kTiny / "train-labels-idx1-ubyte"); })
                  .find("short: size 1000 bytes, header says 31376"),
              std::string::npos);
    fs::remove_all(dir);
}

TEST(CsdpModel, TinyRunLayout) {
    const ModelPtr model = make_csdp_model();
    Params p = tiny_params(*model);
    RunContext context;
    const Result one = model->run(p, context);
    for (const char* name : {"dev_accuracy", "dev_nll", "dev_bce", "dev_mse", "train_accuracy",
                             "goodness_positive", "goodness_negative", "recon", "recon_input"}) {
        ASSERT_TRUE(one.arrays.contains(name)) << name;
    }
    EXPECT_EQ(one.arrays.at("dev_accuracy").shape, std::vector<std::size_t>{3});
    EXPECT_EQ(one.arrays.at("goodness_positive").shape, (std::vector<std::size_t>{2, 2}));
    EXPECT_EQ(one.arrays.at("recon").shape, (std::vector<std::size_t>{3, 784}));
    EXPECT_EQ(one.metrics.at("dev_accuracy"), one.arrays.at("dev_accuracy").reals().back());
    // The inputs fire at the mean pixel intensity per step (~13% for MNIST).
    EXPECT_NEAR(one.metrics.at("rate_z0"), 0.13, 0.03);

    p["seed"] = 99;
    const Result other = model->run(p, context);
    EXPECT_NE(other.arrays.at("goodness_positive").reals(), one.arrays.at("goodness_positive").reals());
    p["seed"] = 1234;
    EXPECT_EQ(model->run(p, context).arrays.at("recon").reals(), one.arrays.at("recon").reals());
}

// Threads split independent rows only: one training batch on a network wide enough that the
// large loops run in parallel (network.cpp team()) gives bitwise the same weights and spikes.
TEST(CsdpModel, ThreadCountDoesNotChangeResults) {
    const data::ImageSet train = data::load_idx(kTiny / "train-images-idx3-ubyte",
                                                kTiny / "train-labels-idx1-ubyte");
    std::vector<std::size_t> rows(20);
    for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = (r * 7) % 40;
    const csdp::Mat x = csdp::gather_rows(train, rows);
    csdp::Mat context = csdp::Mat::Zero(20, 10);
    for (int r = 0; r < 20; ++r) context(r, (train.labels[rows[static_cast<std::size_t>(r)]] + (r >= 10 ? 3 : 0)) % 10) = 1;
    std::vector<csdp::Network> nets;
    std::vector<csdp::ProcessOutput> outs;
    for (const int threads : {1, 2}) {
        csdp::Config c;
        c.sizes = {784, 400, 100, 10};
        c.steps = 6;
        c.threads = threads;
        Rng init(5), spikes(6);
        nets.emplace_back(c, init);
        outs.push_back(nets.back().process(x, context, true, spikes));
    }
    EXPECT_GT(outs[0].goodness.sum(), 0.0f);
    EXPECT_EQ(outs[0].goodness, outs[1].goodness);
    EXPECT_EQ(outs[0].y_count, outs[1].y_count);
    for (int k = 0; k < csdp::kNumSynapses; ++k) {
        const auto id = static_cast<csdp::SynapseId>(k);
        EXPECT_EQ(nets[0].synapse(id).w, nets[1].synapse(id).w) << csdp::synapse_name(id);
    }
}

TEST(CsdpModel, UnsupervisedRuns) {
    const ModelPtr model = make_csdp_model();
    Params p = tiny_params(*model);
    p["mode"] = "unsupervised";
    p["epochs"] = 1;
    RunContext context;
    const Result r = model->run(p, context);
    EXPECT_EQ(r.arrays.at("dev_accuracy").shape, std::vector<std::size_t>{2});
    EXPECT_GT(r.metrics.at("rate_z1"), 0.0);
}

TEST(CsdpModel, ErrorsNameTheKey) {
    const ModelPtr model = make_csdp_model();
    EXPECT_EQ(model->info().name, "csdp");
    Params p = tiny_params(*model);
    p["mode"] = "semi";
    EXPECT_EQ(error_of([&] { model->validate(p); }), "mode: must be supervised or unsupervised, not semi");
    p = tiny_params(*model);
    p["dataset"] = "cifar";
    EXPECT_EQ(error_of([&] { model->validate(p); }), "dataset: must be mnist10k or fashion10k, not cifar");
    p = tiny_params(*model);
    p["batch_size"] = 41;
    RunContext context;
    EXPECT_EQ(error_of([&] { model->run(p, context); }),
              "batch_size: larger than the 40 training images in " + kTiny.string());
    p = tiny_params(*model);
    p["data_dir"] = "/nonexistent/csdp";
    EXPECT_EQ(error_of([&] { model->run(p, context); }),
              "/nonexistent/csdp/train-images-idx3-ubyte: no such file (nor train-images-idx3-ubyte.gz)");
}

// The shipped sweeps expand under the schema: the quick one to 3 supervised seeds + 1
// unsupervised run at 500-100; the full one to both sizes x 3 seeds, Fashion-MNIST and unsupervised.
TEST(CsdpModel, SweepFilesExpand) {
    const std::string dir = CSDP_SWEEP_DIR;
    const std::vector<Job> quick = expand(load_sweep(dir + "/csdp_quick.yaml"), builtin_models());
    ASSERT_EQ(quick.size(), 4u);
    EXPECT_EQ(get_int(quick[0].params, "hidden1"), 500);
    EXPECT_EQ(get_string(quick[3].params, "mode"), "unsupervised");
    const std::vector<Job> full = expand(load_sweep(dir + "/csdp_mnist.yaml"), builtin_models());
    ASSERT_EQ(full.size(), 12u);
    EXPECT_EQ(get_int(full[3].params, "hidden2"), 600);
    EXPECT_EQ(get_string(full[6].params, "dataset"), "fashion10k");
    // The same job in both sweeps has the same key (results are shared).
    EXPECT_EQ(quick[0].key, full[0].key);
}

}  // namespace
}  // namespace sr
