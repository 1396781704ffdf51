#pragma once
// Gradient-descent optimizers with optax 0.2.3 semantics (the version the reference research codes
// ran), on a flat parameter vector: optional elementwise clipping, then SGD (optionally with
// momentum), Adam or AdaBelief, then a learning rate that may follow a schedule. Templated on the
// scalar so float32 models reuse the same code; every model that trains with gradients uses this.
//
// The expression order follows optax (moment updates written (1 - b) * g + b * m, bias corrections
// 1 - b^count with count starting at 1), so float64 trajectories agree with optax to rounding.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace sr::optim {

// optax.exponential_decay (transition_begin = 0, no end value) or a constant rate.
struct Schedule {
    double init_value = 1e-3;
    long transition_steps = 0;  // 0: constant
    double decay_rate = 1.0;
    bool staircase = false;

    static Schedule constant(double value) { return Schedule{value, 0, 1.0, false}; }
    static Schedule exponential_decay(double init_value, long transition_steps, double decay_rate,
                                      bool staircase = false) {
        return Schedule{init_value, transition_steps, decay_rate, staircase};
    }
    // The rate for the update with index `count` (0 for the first update, as optax's counter).
    double operator()(long count) const {
        if (transition_steps <= 0) return init_value;
        double p = static_cast<double>(count) / static_cast<double>(transition_steps);
        if (staircase) p = std::floor(p);
        return init_value * std::pow(decay_rate, p);
    }
};

enum class Method { sgd, adam, adabelief };

struct Config {
    Method method = Method::sgd;
    Schedule learning_rate = Schedule::constant(1e-3);
    double b1 = 0.9;
    double b2 = 0.999;
    // Adam: updates m / (sqrt(v + eps_root) + eps), eps_root not stored in the moment.
    // AdaBelief: eps_root is added to the stored second moment at every step (so it accumulates,
    // as optax does), then m / (sqrt(v) + eps).
    double eps = 1e-8;
    double eps_root = 0.0;
    double momentum = 0.0;  // SGD only (optax.trace, not Nesterov); 0: plain SGD
    double clip = 0.0;      // optax.clip before the optimizer: |g| <= clip elementwise; 0: off

    static Config sgd(Schedule lr, double momentum = 0.0) {
        Config c;
        c.method = Method::sgd;
        c.learning_rate = lr;
        c.momentum = momentum;
        return c;
    }
    static Config adam(Schedule lr, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8,
                       double eps_root = 0.0) {
        return Config{Method::adam, lr, b1, b2, eps, eps_root, 0.0, 0.0};
    }
    // optax.adabelief's defaults: eps = eps_root = 1e-16.
    static Config adabelief(Schedule lr, double b1 = 0.9, double b2 = 0.999, double eps = 1e-16,
                            double eps_root = 1e-16) {
        return Config{Method::adabelief, lr, b1, b2, eps, eps_root, 0.0, 0.0};
    }
};

// Parses "sgd", "adam" or "adabelief"; throws std::invalid_argument naming the accepted names.
inline Method parse_method(const std::string& name) {
    if (name == "sgd") return Method::sgd;
    if (name == "adam") return Method::adam;
    if (name == "adabelief") return Method::adabelief;
    throw std::invalid_argument("unknown optimizer '" + name + "' (sgd, adam, adabelief)");
}

template <class T>
class Optimizer {
public:
    Optimizer(Config config, std::size_t size) : config_(config), mu_(size, T(0)), nu_(size, T(0)) {}

    // params += updates(grads).
    void step(std::span<T> params, std::span<const T> grads) {
        if (params.size() != mu_.size()) throw std::invalid_argument("optimizer: parameter count changed");
        scratch_.resize(mu_.size());
        updates(grads, scratch_);
        for (std::size_t i = 0; i < params.size(); ++i) params[i] += scratch_[i];
    }

    // The update for these gradients (as optax's update_fn, before apply_updates); advances the
    // optimizer's state. For callers that do more than add it (a line search along it).
    void updates(std::span<const T> grads, std::span<T> out) {
        if (grads.size() != mu_.size() || out.size() != mu_.size())
            throw std::invalid_argument("optimizer: parameter count changed");
        const T lr = static_cast<T>(-config_.learning_rate(count_));
        const long t = count_ + 1;
        const T b1 = static_cast<T>(config_.b1), b2 = static_cast<T>(config_.b2);
        const T c1 = static_cast<T>(1.0 - config_.b1), c2 = static_cast<T>(1.0 - config_.b2);
        const T eps = static_cast<T>(config_.eps), eps_root = static_cast<T>(config_.eps_root);
        const T clip = static_cast<T>(config_.clip);
        // optax computes the bias correction 1 - b^count in the parameters' precision.
        const T bc1 = T(1) - std::pow(b1, static_cast<T>(t));
        const T bc2 = T(1) - std::pow(b2, static_cast<T>(t));
        for (std::size_t i = 0; i < grads.size(); ++i) {
            T g = grads[i];
            if (config_.clip > 0) g = std::min(std::max(g, -clip), clip);
            T u = g;
            switch (config_.method) {
                case Method::sgd:
                    if (config_.momentum != 0) {
                        mu_[i] = g + static_cast<T>(config_.momentum) * mu_[i];
                        u = mu_[i];
                    }
                    break;
                case Method::adam:
                    mu_[i] = c1 * g + b1 * mu_[i];
                    nu_[i] = c2 * (g * g) + b2 * nu_[i];
                    u = (mu_[i] / bc1) / (std::sqrt(nu_[i] / bc2 + eps_root) + eps);
                    break;
                case Method::adabelief: {
                    // The prediction error is taken against the previous first moment.
                    const T e = g - mu_[i];
                    mu_[i] = c1 * g + b1 * mu_[i];
                    nu_[i] = (c2 * (e * e) + b2 * nu_[i]) + eps_root;
                    u = (mu_[i] / bc1) / (std::sqrt(nu_[i] / bc2) + eps);
                    break;
                }
            }
            out[i] = lr * u;
        }
        ++count_;
    }

    long count() const { return count_; }
    const Config& config() const { return config_; }
    // The moments, for checkpoints.
    const std::vector<T>& first_moment() const { return mu_; }
    const std::vector<T>& second_moment() const { return nu_; }
    void restore(long count, std::vector<T> mu, std::vector<T> nu) {
        if (mu.size() != mu_.size() || nu.size() != nu_.size())
            throw std::invalid_argument("optimizer: restored state has the wrong size");
        count_ = count;
        mu_ = std::move(mu);
        nu_ = std::move(nu);
    }

private:
    Config config_;
    long count_ = 0;
    std::vector<T> mu_;
    std::vector<T> nu_;
    std::vector<T> scratch_;
};

}  // namespace sr::optim
