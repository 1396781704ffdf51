#include "core/models/microcircuit/config.hpp"

#include <cmath>
#include <string>

namespace sr::microcircuit {
namespace {

std::string join(std::string_view a, std::string_view b) {
    return std::string(a) + "." + std::string(b);
}

const Json& require_node(const Params& params, const std::string& key) {
    const Json* node = find_path(params, key);
    if (node == nullptr || node->is_null()) throw ParamError(key, "missing parameter");
    return *node;
}

double number(const Json& node, const std::string& key) {
    if (!node.is_number()) throw ParamError(key, "expected a number, got " + node.dump());
    return node.get<double>();
}

std::int64_t positive_int(const Params& params, const std::string& key, std::int64_t min) {
    const long long v = get_int(params, key);
    if (v < min) throw ParamError(key, "must be at least " + std::to_string(min));
    return v;
}

std::uint64_t seed(const Params& params, const std::string& key) {
    return static_cast<std::uint64_t>(positive_int(params, key, 0));
}

// A vector of `size` values given as one number (broadcast, like numpy's copyto) or a list of
// `size` numbers (or of one number).
std::vector<double> vector_value(const Json& node, std::size_t size, const std::string& key) {
    if (node.is_number()) return std::vector<double>(size, node.get<double>());
    if (!node.is_array() || (node.size() != size && node.size() != 1)) {
        throw ParamError(key, "expected a number or a list of " + std::to_string(size) +
                                  " numbers, got " + node.dump());
    }
    std::vector<double> out;
    for (const Json& v : node) out.push_back(number(v, key));
    if (out.size() == 1) out.assign(size, out.front());
    return out;
}

// A rows x cols matrix given as one number, a list broadcast over rows (numpy semantics: length
// cols or 1) or a list of rows.
Matrix matrix_value(const Json& node, std::size_t rows, std::size_t cols, const std::string& key) {
    Matrix m(rows, cols);
    const std::string shape = std::to_string(rows) + "x" + std::to_string(cols);
    if (node.is_number() || (node.is_array() && !node.empty() && node.front().is_number())) {
        const std::vector<double> row = vector_value(node, cols, key);
        for (std::size_t r = 0; r < rows; ++r) {
            for (std::size_t c = 0; c < cols; ++c) m(r, c) = row[c];
        }
        return m;
    }
    if (!node.is_array() || node.size() != rows) {
        throw ParamError(key, "expected a " + shape + " matrix, got " + node.dump());
    }
    for (std::size_t r = 0; r < rows; ++r) {
        if (!node[r].is_array() || node[r].size() != cols) {
            throw ParamError(key, "expected a " + shape + " matrix, got " + node.dump());
        }
        for (std::size_t c = 0; c < cols; ++c) m(r, c) = number(node[r][c], key);
    }
    return m;
}

std::pair<double, double> limits(const Params& params, const std::string& key) {
    const std::vector<double> v = get_real_list(params, key);
    if (v.size() != 2 || !(v[0] <= v[1])) throw ParamError(key, "expected [low, high] with low <= high");
    return {v[0], v[1]};
}

NetworkConfig parse_network(const Params& params) {
    const std::string p = "network_properties";
    NetworkConfig net;
    const Json& dims = require_node(params, join(p, "dims"));
    if (!dims.is_array() || dims.size() < 3) {
        throw ParamError(join(p, "dims"), "expected a list of at least 3 layer sizes (input, hidden..., output)");
    }
    for (const Json& d : dims) {
        // A list of numbers may arrive as doubles (1.0); the value must still be a whole number.
        const double size = d.is_number() ? d.get<double>() : 0.0;
        if (size < 1 || size != std::floor(size) || size > 1e6) {
            throw ParamError(join(p, "dims"), "layer sizes must be positive integers, got " + dims.dump());
        }
        net.dims.push_back(static_cast<std::size_t>(size));
    }
    net.lambda_api = get_real(params, join(p, "lambda_api"));
    net.lambda_nudge = get_real(params, join(p, "lambda_nudge"));
    net.learning_lag = positive_int(params, join(p, "learning_lag"), 0);
    net.n_last_spikes = static_cast<std::size_t>(positive_int(params, join(p, "n_last_spks"), 1));
    net.moving_average_size =
        static_cast<std::size_t>(positive_int(params, join(p, "size_moving_average"), 1));
    net.stdp_a_causal = get_real(params, join(p, "stdp_a_causal"));
    net.stdp_a_anticausal = get_real(params, join(p, "stdp_a_anticausal"));
    net.stdp_tau_causal = get_real(params, join(p, "stdp_tau_causal"));
    net.stdp_tau_anticausal = get_real(params, join(p, "stdp_tau_anticausal"));
    for (const char* tau : {"stdp_tau_causal", "stdp_tau_anticausal"}) {
        if (!(get_real(params, join(p, tau)) > 0.0)) throw ParamError(join(p, tau), "must be positive");
    }
    net.t_ref = positive_int(params, join(p, "t_ref"), 1);
    net.tau_syn = positive_int(params, join(p, "tau_syn"), 1);

    const std::string lr_key = join(p, "lr");
    const Json& lr = require_node(params, lr_key);
    const std::size_t layers = net.num_layers();
    if (!lr.is_array() || lr.size() != layers) {
        throw ParamError(lr_key, "expected one {up, down} entry per layer (" + std::to_string(layers) +
                                     "; the last, the output, has only up)");
    }
    for (std::size_t k = 0; k < layers; ++k) {
        const std::string entry = lr_key + "[" + std::to_string(k) + "]";
        if (!lr[k].is_object() || !lr[k].contains("up")) throw ParamError(entry, "missing 'up'");
        net.lr_up.push_back(number(lr[k]["up"], entry + ".up"));
        if (k + 1 < layers) {
            if (!lr[k].contains("down")) throw ParamError(entry, "missing 'down' (hidden layer)");
            net.lr_down.push_back(number(lr[k]["down"], entry + ".down"));
        }
    }
    return net;
}

InitialParameters parse_initial(const Params& params, const NetworkConfig& net, const std::string& p,
                                bool student) {
    InitialParameters init;
    const std::size_t layers = net.num_layers();

    const std::string bias_key = join(p, "bias");
    const Json& bias = require_node(params, bias_key);
    if (!bias.is_array() || bias.size() != layers) {
        throw ParamError(bias_key, "expected one entry per layer (" + std::to_string(layers) + ")");
    }
    for (std::size_t k = 0; k < layers; ++k) {
        init.bias.push_back(vector_value(bias[k], net.dims[k + 1], bias_key));
    }

    const std::string weights_key = join(p, "weights");
    if (has(params, weights_key)) {
        const Json& weights = *find_path(params, weights_key);
        if (!weights.is_array() || weights.size() != layers) {
            throw ParamError(weights_key, "expected one {w_up, w_down, ...} entry per layer (" +
                                              std::to_string(layers) + ")");
        }
        std::vector<LayerWeights>& out = init.weights.emplace();
        for (std::size_t k = 0; k < layers; ++k) {
            const std::string entry = weights_key + "[" + std::to_string(k) + "]";
            if (!weights[k].is_object()) throw ParamError(entry, "expected a mapping");
            const bool hidden = k + 1 < layers;
            const std::size_t n = net.dims[k + 1];
            LayerWeights& lw = out.emplace_back();
            for (const auto& [name, value] : weights[k].items()) {
                const std::string key = entry + "." + name;
                if (name == "w_up") {
                    lw.w_up = matrix_value(value, n, net.dims[k], key);
                } else if (hidden && name == "w_down") {
                    lw.w_down = matrix_value(value, n, net.dims[k + 2], key);
                } else if (hidden && name == "w_pi") {
                    lw.w_pi = matrix_value(value, n, net.dims[k + 2], key);
                } else if (hidden && name == "w_ip") {
                    lw.w_ip = matrix_value(value, net.dims[k + 2], n, key);
                } else {
                    throw ParamError(key, hidden ? "expected w_up, w_down, w_pi or w_ip"
                                                 : "the output layer only has w_up");
                }
            }
        }
    } else {
        const std::string lim = join(p, "random_weights_init_limits");
        if (student) {
            std::tie(init.up_low, init.up_high) = limits(params, lim + ".up");
            std::tie(init.down_low, init.down_high) = limits(params, lim + ".down");
        } else {
            // The reference's teacher takes one [low, high] pair for all weights.
            if (!has(params, lim)) {
                throw ParamError(p, "needs either 'weights' or 'random_weights_init_limits'");
            }
            std::tie(init.up_low, init.up_high) = limits(params, lim);
            std::tie(init.down_low, init.down_high) = std::pair(init.up_low, init.up_high);
        }
    }
    return init;
}

SimulationSettings parse_settings(const Params& params, const std::string& p, bool student,
                                  bool random_weights) {
    SimulationSettings s;
    s.t_pattern = positive_int(params, join(p, "t_pattern"), 1);
    s.poisson_seed = seed(params, join(p, "poisson_seed"));
    if (random_weights) s.weights_init_seed = seed(params, join(p, "weights_init_seed"));
    if (!student) return s;
    s.len_epoch = positive_int(params, join(p, "len_epoch"), 1);
    s.len_validation = positive_int(params, join(p, "len_validation"), 1);
    s.len_symmetrization = positive_int(params, join(p, "len_symmetrization"), 0);
    if (s.len_symmetrization >= s.len_epoch) {
        throw ParamError(join(p, "len_symmetrization"), "must be smaller than len_epoch");
    }
    s.num_epochs = positive_int(params, join(p, "num_epochs"), 1);
    s.training_seed = seed(params, join(p, "training_seed"));
    s.shuffle_training = get_bool(params, join(p, "shuffle_training"));
    s.shuffle_validation = get_bool(params, join(p, "shuffle_validation"));
    s.set_sps = get_bool(params, join(p, "set_sps"));
    s.update_down = get_bool(params, join(p, "update_down"));
    return s;
}

std::vector<std::vector<double>> inputs(const Params& params, const std::string& key, std::size_t dim) {
    const Json& node = require_node(params, key);
    if (!node.is_array() || node.empty()) throw ParamError(key, "expected a non-empty list of patterns");
    std::vector<std::vector<double>> out;
    for (const Json& pattern : node) out.push_back(vector_value(pattern, dim, key));
    return out;
}

}  // namespace

Experiment parse_experiment(const Params& params) {
    Experiment e;
    e.network = parse_network(params);
    e.teacher = parse_initial(params, e.network, "teacher_initial_parameters", false);
    e.student = parse_initial(params, e.network, "student_initial_parameters", true);
    e.teacher_settings = parse_settings(params, "teacher_simulation_settings", false,
                                        !e.teacher.weights.has_value());
    e.student_settings = parse_settings(params, "student_simulation_settings", true,
                                        !e.student.weights.has_value());
    for (const char* who : {"teacher_simulation_settings", "student_simulation_settings"}) {
        const std::int64_t t_pattern = get_int(params, join(who, "t_pattern"));
        if (e.network.learning_lag >= t_pattern * e.network.t_ref) {
            throw ParamError("network_properties.learning_lag",
                             "must be shorter than a pattern presentation (" + join(who, "t_pattern") +
                                 " x t_ref steps)");
        }
    }
    e.train_inputs = inputs(params, "u_input.training", e.network.dims.front());
    e.validation_inputs = inputs(params, "u_input.validation", e.network.dims.front());
    return e;
}

}  // namespace sr::microcircuit
