#include "core/models/salnet/salnet_model.hpp"

#include "core/models/salnet/network.hpp"
#include "core/numpy_default_rng.hpp"

#include <cmath>
#include <string>

namespace sr {
namespace {

using salnet::Matrix;
using salnet::NetworkParams;

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53: exact in every JSON/YAML reader

ModelInfo make_info() {
    ModelInfo info;
    info.name = "salnet";
    info.version = 1;
    info.doc =
        "Layered stochastic spiking network whose feedback weights B learn SAL towards the forward "
        "weights' transposes (sal-code symmnet/sal_net.py SALNetBase, event-driven). Reports per "
        "epoch and layer pair the angle between W and Bᵀ, var(W − Bᵀ), their correlation and sign "
        "agreement, and the layers' rates. Defaults: Fig. 7's [50, 50] SAL panel.";
    info.params = {
        {"dims", ParamType::real_list, Json::array({50, 50}), {}, {}, "neurons per layer, input first (at least 2 layers)"},
        {"t_ref", ParamType::integer, 10, 1, 1000, "refractory period and PSP length (steps); the SAL window spans 2 t_ref"},
        {"batch", ParamType::integer, 8, 1, 4096, "independent networks whose SAL sums are averaged"},
        {"steps", ParamType::integer, 1250, 1, 1e12, "steps per epoch"},
        {"epochs", ParamType::integer, 100, 0, 1e9, "epochs (one feedback update each)"},
        {"lr", ParamType::real, 0.05, -1e6, 1e6, "SAL learning rate (every layer pair)"},
        {"lr_per_pair", ParamType::real_list, nullptr, {}, {}, "SAL learning rate per layer pair (replaces lr)"},
        {"seed", ParamType::integer, 0, 0, kMaxSeed, "seed of the initial weights (streams {seed, 1}) and the spikes ({seed, 2, network})"},
        {"init.numpy_seed", ParamType::integer, nullptr, 0, 4294967295.0,
         "draw W and B as scatter_stdwi_rdd_sal.ipynb does (Fig. 7): numpy default_rng(seed), per layer pair l "
         "W_{l+1} then B_l uniform in ±√(3 / n_l), rounded to float32; replaces the kaiming draw (not the biases)"},
        {"init.weights", ParamType::any, nullptr, {}, {},
         "explicit forward weights: a list with W_l (n_l × n_{l−1}) for l = 1 … L − 1; replaces the draw"},
        {"init.fb_weights", ParamType::any, nullptr, {}, {},
         "explicit feedback weights: a list with B_l (n_l × n_{l+1}) for l = 0 … L − 2; replaces the draw"},
    };
    return info;
}

struct SalnetConfig {
    NetworkParams network;
    int batch = 8;
    std::int64_t steps = 1250;
    int epochs = 100;
    std::vector<double> lr;
    std::uint64_t seed = 0;

    static SalnetConfig from_params(const Params& p) {
        SalnetConfig c;
        std::vector<int> dims;
        for (const double d : get_real_list(p, "dims")) {
            if (d < 1 || d != std::floor(d) || d > 1e6) throw ParamError("dims", "expected whole numbers of neurons");
            dims.push_back(static_cast<int>(d));
        }
        if (dims.size() < 2) throw ParamError("dims", "need at least two layers");
        const int pairs = static_cast<int>(dims.size()) - 1;
        c.batch = static_cast<int>(get_int(p, "batch"));
        c.steps = get_int(p, "steps");
        c.epochs = static_cast<int>(get_int(p, "epochs"));
        c.seed = static_cast<std::uint64_t>(get_int(p, "seed"));
        if (has(p, "lr_per_pair")) {
            c.lr = get_real_list(p, "lr_per_pair");
            if (static_cast<int>(c.lr.size()) != pairs) throw ParamError("lr_per_pair", "expected " + std::to_string(pairs) + " rates");
        } else {
            c.lr.assign(static_cast<std::size_t>(pairs), get_real(p, "lr"));
        }
        Rng init({c.seed, 1});
        c.network = NetworkParams::kaiming(dims, static_cast<int>(get_int(p, "t_ref")), init);
        // Explicit matrices: checked against the layer sizes, entry by entry from nested lists.
        const auto explicit_list = [&](const std::string& key, int first, int rows_at, int cols_at, std::vector<Matrix>& out) {
            if (!has(p, key)) return;
            const Json& list = *find_path(p, key);
            if (!list.is_array() || static_cast<int>(list.size()) != pairs) {
                throw ParamError(key, "expected a list of " + std::to_string(pairs) + " matrices");
            }
            for (int k = 0; k < pairs; ++k) {
                const int l = first + k;
                const int rows = dims[static_cast<std::size_t>(l + rows_at)];
                const int cols = dims[static_cast<std::size_t>(l + cols_at)];
                const Json& m = list[static_cast<std::size_t>(k)];
                const std::string shape = std::to_string(rows) + " x " + std::to_string(cols);
                if (!m.is_array() || static_cast<int>(m.size()) != rows) throw ParamError(key, "matrix " + std::to_string(k) + " must be " + shape);
                Matrix x(rows, cols);
                for (int i = 0; i < rows; ++i) {
                    const Json& row = m[static_cast<std::size_t>(i)];
                    if (!row.is_array() || static_cast<int>(row.size()) != cols) throw ParamError(key, "matrix " + std::to_string(k) + " must be " + shape);
                    for (int j = 0; j < cols; ++j) {
                        if (!row[static_cast<std::size_t>(j)].is_number()) throw ParamError(key, "entries must be numbers");
                        x(i, j) = row[static_cast<std::size_t>(j)].get<double>();
                    }
                }
                out[static_cast<std::size_t>(l)] = std::move(x);
            }
        };
        if (has(p, "init.numpy_seed")) {
            NumpyDefaultRng numpy(static_cast<std::uint32_t>(get_int(p, "init.numpy_seed")));
            for (int l = 0; l < pairs; ++l) {
                const int n_low = dims[static_cast<std::size_t>(l)];
                const int n_high = dims[static_cast<std::size_t>(l + 1)];
                const double bound = std::sqrt(3.0 / n_low);
                const auto draw = [&](int rows, int cols) {
                    Matrix m(rows, cols);
                    for (int i = 0; i < rows; ++i) {
                        for (int j = 0; j < cols; ++j) m(i, j) = static_cast<float>(numpy.uniform(-bound, bound));
                    }
                    return m;
                };
                c.network.w[static_cast<std::size_t>(l + 1)] = draw(n_high, n_low);
                c.network.fb[static_cast<std::size_t>(l)] = draw(n_low, n_high);
            }
        }
        explicit_list("init.weights", 1, 0, -1, c.network.w);
        explicit_list("init.fb_weights", 0, 0, 1, c.network.fb);
        return c;
    }
};

// Measured with bench_sal on the development machine: per neuron and step (draws, membranes,
// SAL sums of a few-percent-active network).
constexpr double kSecondsPerNeuronStep = 6e-9;

class SalnetModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override { SalnetConfig::from_params(params); }

    double estimate_cost(const Params& params) const override {
        // From the sizes alone (the configuration would draw the weights).
        double neurons = 0.0;
        for (const double d : get_real_list(params, "dims")) neurons += d;
        return kSecondsPerNeuronStep * neurons * static_cast<double>(get_int(params, "batch")) *
               static_cast<double>(get_int(params, "steps")) * static_cast<double>(get_int(params, "epochs"));
    }

    Result run(const Params& params, RunContext& context) const override {
        SalnetConfig c = SalnetConfig::from_params(params);
        const auto layers = static_cast<std::size_t>(c.network.layers());
        const std::size_t pairs = layers - 1;
        salnet::SalNetwork net(std::move(c.network), c.batch, c.seed);
        std::vector<double> angle, var, corr, sign, rates;
        const auto record = [&] {
            for (std::size_t l = 0; l < pairs; ++l) {
                const salnet::Alignment a = salnet::alignment(net.params().w[l + 1], net.params().fb[l]);
                angle.push_back(a.angle);
                var.push_back(a.var);
                corr.push_back(a.corr);
                sign.push_back(a.sign_agreement);
            }
        };
        record();
        for (int epoch = 0; epoch < c.epochs; ++epoch) {
            context.check_cancelled();
            net.run_epoch(c.steps, c.lr);
            record();
            for (std::size_t l = 0; l < layers; ++l) {
                const double per = static_cast<double>(c.batch) * static_cast<double>(c.steps) * net.params().dims[l];
                rates.push_back(static_cast<double>(net.last_epoch_spikes()[l]) / per * net.params().t_ref);
            }
            context.report_progress(static_cast<double>(epoch + 1) / c.epochs);
        }
        Result result;
        const auto n = static_cast<std::size_t>(c.epochs) + 1;
        for (std::size_t l = 0; l < pairs; ++l) {
            const std::string k = std::to_string(l);
            result.metrics["angle_" + k] = angle[(n - 1) * pairs + l];
            result.metrics["var_" + k] = var[(n - 1) * pairs + l];
            result.metrics["corr_" + k] = corr[(n - 1) * pairs + l];
            result.metrics["sign_agreement_" + k] = sign[(n - 1) * pairs + l];
            result.metrics["initial_angle_" + k] = angle[l];
            const Matrix& w = net.params().w[l + 1];
            const Matrix fb_t = net.params().fb[l].transpose();
            result.arrays.emplace("w_" + std::to_string(l + 1), Array::real({static_cast<std::size_t>(w.rows()), static_cast<std::size_t>(w.cols())},
                                                                           to_row_major(w)));
            result.arrays.emplace("fb_" + k + "_t", Array::real({static_cast<std::size_t>(fb_t.rows()), static_cast<std::size_t>(fb_t.cols())},
                                                                to_row_major(fb_t)));
        }
        if (c.epochs > 0) {
            for (std::size_t l = 0; l < layers; ++l) result.metrics["rate_" + std::to_string(l)] = rates[(n - 2) * layers + l];
            result.arrays.emplace("rates", Array::real({n - 1, layers}, rates));
        }
        result.arrays.emplace("angle", Array::real({n, pairs}, angle));
        result.arrays.emplace("var", Array::real({n, pairs}, var));
        result.arrays.emplace("corr", Array::real({n, pairs}, corr));
        result.arrays.emplace("sign_agreement", Array::real({n, pairs}, sign));
        return result;
    }

private:
    static std::vector<double> to_row_major(const Matrix& m) {
        std::vector<double> out;
        out.reserve(static_cast<std::size_t>(m.size()));
        for (Eigen::Index i = 0; i < m.rows(); ++i) {
            for (Eigen::Index j = 0; j < m.cols(); ++j) out.push_back(m(i, j));
        }
        return out;
    }

    ModelInfo info_ = make_info();
};

}  // namespace

ModelPtr make_salnet_model() { return std::make_shared<SalnetModel>(); }

}  // namespace sr
