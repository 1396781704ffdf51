#include "core/models/ssn/setup.hpp"

#include "core/models/ssn/simulation.hpp"
#include "core/rng.hpp"

#include <string>

namespace sr::ssn {
namespace {

// Stream tags, so the three seeds of a job never share a random sequence even when equal.
constexpr std::uint64_t kTargetStream = 0x7A51;
constexpr std::uint64_t kInitStream = 0x1417;

std::optional<Matrix> optional_matrix(const Params& params, const std::string& key, int dim) {
    if (!has(params, key)) return std::nullopt;
    const auto rows = get_real_matrix(params, key);
    if (rows.size() != static_cast<std::size_t>(dim) || rows.front().size() != static_cast<std::size_t>(dim)) {
        throw ParamError(key, "must be a " + std::to_string(dim) + "x" + std::to_string(dim) +
                                  " matrix (dim × dim)");
    }
    Matrix m(dim, dim);
    for (int i = 0; i < dim; ++i) {
        for (int j = 0; j < dim; ++j) m(i, j) = rows[i][j];
    }
    return m;
}

std::optional<Vector> optional_vector(const Params& params, const std::string& key, int dim) {
    if (!has(params, key)) return std::nullopt;
    const auto values = get_real_list(params, key);
    if (values.size() != static_cast<std::size_t>(dim)) {
        throw ParamError(key, "must be a list of " + std::to_string(dim) + " numbers (dim)");
    }
    return Vector::Map(values.data(), dim);
}

StdpRuleParams read_rule(const Params& params, const std::string& prefix, int dim) {
    StdpRuleParams rule;
    rule.a_plus = get_real(params, prefix + ".a_plus");
    rule.a_minus = get_real(params, prefix + ".a_minus");
    rule.tau_plus = get_real(params, prefix + ".tau_plus");
    rule.tau_minus = get_real(params, prefix + ".tau_minus");
    rule.noise = get_real(params, prefix + ".noise");
    rule.a_plus_matrix = optional_matrix(params, prefix + ".a_plus_matrix", dim);
    rule.a_minus_matrix = optional_matrix(params, prefix + ".a_minus_matrix", dim);
    return rule;
}

// utils.copy_triu: keep the strict upper triangle and mirror it (zero diagonal).
Matrix mirror_upper(const Matrix& m) {
    Matrix out = Matrix::Zero(m.rows(), m.cols());
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        for (Eigen::Index j = i + 1; j < m.cols(); ++j) out(i, j) = out(j, i) = m(i, j);
    }
    return out;
}

// utils.draw_trunc_distr with a normal generator: draw all entries (row-major), then redraw the
// out-of-range ones in index order, batch after batch, until all lie in [−1.5 sd, 1.5 sd].
Matrix truncated_normal(Rng& rng, double sd, int dim) {
    Matrix m(dim, dim);
    for (Eigen::Index k = 0; k < m.size(); ++k) m.data()[k] = rng.normal(0.0, sd);
    const double bound = 1.5 * sd;
    while (true) {
        std::vector<Eigen::Index> invalid;
        for (Eigen::Index k = 0; k < m.size(); ++k) {
            if (m.data()[k] < -bound || m.data()[k] > bound) invalid.push_back(k);
        }
        if (invalid.empty()) return m;
        for (Eigen::Index k : invalid) m.data()[k] = rng.normal(0.0, sd);
    }
}

// STDPRuler.set_forward then set_backward: the forward values fill the strict upper triangle,
// then the backward values fill np.tril_indices(k=1), i.e. the lower triangle, the diagonal AND
// the first superdiagonal (so the backward draw wins on (i, i+1)). Every entry is overwritten,
// which is why the scalar a_minus (and both SAL scalars) never matter in the reference.
Matrix compose_amplitudes(const Matrix& forward, const Matrix& backward) {
    const Eigen::Index dim = forward.rows();
    Matrix out(dim, dim);
    for (Eigen::Index i = 0; i < dim; ++i) {
        for (Eigen::Index j = 0; j < dim; ++j) out(i, j) = j <= i + 1 ? backward(i, j) : forward(i, j);
    }
    return out;
}

}  // namespace

SsnConfig SsnConfig::from_params(const Params& params) {
    SsnConfig c;
    c.dim = static_cast<int>(get_int(params, "dim"));
    c.seed_distr = static_cast<std::uint64_t>(get_int(params, "seed.distr"));
    c.seed_init = static_cast<std::uint64_t>(get_int(params, "seed.init"));
    c.seed_sim = static_cast<std::uint64_t>(get_int(params, "seed.sim"));
    c.distr_alpha = get_real(params, "distr.alpha");
    c.distr_beta = get_real(params, "distr.beta");
    c.t_ref = static_cast<int>(get_int(params, "sim_params.t_ref"));
    c.tau_syn = get_real(params, "sim_params.tau_syn");
    c.num_epochs = get_int(params, "num_epochs");
    c.val_step = get_int(params, "val_step");
    c.val_factor = get_int(params, "val_factor");
    c.lr_bias = get_real(params, "lr.bias");
    c.lr_weight = get_real(params, "lr.weight");
    c.lr_symm = get_real(params, "lr.symm");
    c.dur = get_int(params, "dur");
    c.init_noise = get_real(params, "init_noise");
    c.weight_init = get_real(params, "weight_init");
    c.bias_init = get_real(params, "bias_init");
    c.max_w = get_real(params, "max_w");
    c.max_b = get_real(params, "max_b");
    c.stdp_num_last_spikes = static_cast<int>(get_int(params, "stdp.num_last_spikes"));
    c.ws = read_rule(params, "stdp.ws", c.dim);
    c.sal = read_rule(params, "stdp.sal", c.dim);
    c.w_target = optional_matrix(params, "w_target", c.dim);
    c.b_target = optional_vector(params, "b_target", c.dim);
    c.w_init = optional_matrix(params, "w_init", c.dim);
    c.b_init = optional_vector(params, "b_init", c.dim);

    if (!psp_memory_suffices(c.t_ref, c.tau_syn)) {
        throw ParamError("sim_params.tau_syn",
                         "PSP window longer than the simulator's 10-spike memory covers "
                         "(need ceil(tau_syn) - 1 <= 10 * (t_ref + 1))");
    }
    // Step counters are int64; keep well clear of overflow (the published jobs need ~1e10).
    const double steps = static_cast<double>(c.dur) * c.t_ref *
                         (static_cast<double>(c.num_epochs) +
                          static_cast<double>(c.num_validations()) * static_cast<double>(c.val_factor - 1));
    if (steps > 1e17) throw ParamError("num_epochs", "more than 1e17 simulated steps in total");
    return c;
}

SsnProblem make_problem(const SsnConfig& c) {
    const int dim = c.dim;
    SsnProblem p;

    Rng target_rng{c.seed_distr, kTargetStream};
    Matrix w_target(dim, dim);
    for (Eigen::Index k = 0; k < w_target.size(); ++k) {
        w_target.data()[k] = 2.0 * target_rng.beta(c.distr_alpha, c.distr_beta) - 1.0;
    }
    p.w_target = c.w_target ? *c.w_target : mirror_upper(w_target);
    Vector b_target(dim);
    for (int i = 0; i < dim; ++i) b_target[i] = 2.0 * target_rng.beta(c.distr_alpha, c.distr_beta) - 1.0;
    p.b_target = c.b_target ? *c.b_target : b_target;

    Rng init_rng{c.seed_init, kInitStream};
    Matrix w_init(dim, dim);
    for (Eigen::Index k = 0; k < w_init.size(); ++k) w_init.data()[k] = init_rng.normal(0.0, c.weight_init);
    w_init = mirror_upper(w_init);
    // The asymmetric part: independent noise on every entry, the diagonal included.
    for (Eigen::Index k = 0; k < w_init.size(); ++k) w_init.data()[k] += init_rng.normal(0.0, c.init_noise);
    p.w_init = c.w_init ? *c.w_init : w_init;
    Vector b_init(dim);
    for (int i = 0; i < dim; ++i) b_init[i] = init_rng.normal(0.0, c.bias_init);
    p.b_init = c.b_init ? *c.b_init : b_init;

    // Wake-sleep rule: forward and backward amplitude draws around ws.a_plus.
    const auto draw_amplitudes = [&]() -> Matrix {
        return (truncated_normal(init_rng, c.ws.noise, dim).array() + c.ws.a_plus).matrix();
    };
    Matrix forward = draw_amplitudes();
    Matrix backward = draw_amplitudes();
    const Matrix ws = compose_amplitudes(forward, backward);
    p.ws_a_plus = c.ws.a_plus_matrix ? *c.ws.a_plus_matrix : ws;
    p.ws_a_minus = c.ws.a_minus_matrix ? *c.ws.a_minus_matrix : ws;

    // SAL: a fresh pair of draws (the reference draws them with the ws noise and ws amplitude),
    // anti-Hebbian for causal pairs (−a) and Hebbian for acausal ones (+a).
    forward = draw_amplitudes();
    backward = draw_amplitudes();
    p.sal_a_plus = c.sal.a_plus_matrix ? *c.sal.a_plus_matrix : compose_amplitudes(-forward, -backward);
    p.sal_a_minus = c.sal.a_minus_matrix ? *c.sal.a_minus_matrix : compose_amplitudes(forward, backward);
    return p;
}

}  // namespace sr::ssn
