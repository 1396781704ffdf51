#include "core/models/microcircuit/microcircuit_model.hpp"

#include "core/models/microcircuit/experiment.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

namespace sr {
namespace {

using namespace microcircuit;

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53: seeds stay exact through JSON doubles

// The schema: names and defaults of the published SAL configuration
// (sal-code scripts/microcircuits/sal/sal.yaml), so that yaml works unchanged as a base file.
std::vector<ParamSpec> schema() {
    const Json lr = Json::parse(R"([{"down": 0.001, "up": 0.2}, {"up": 0.003}])");
    const Json bias = Json::array({-1.0, -1.0});
    const Json teacher_weights = Json::parse(R"([{"w_up": 2.0}, {"w_up": 2.0}])");
    const Json limits = Json::array({-3.0, 3.0});
    const Json train = Json::array({-3.0, -2.5, -2.0, -0.8, 0.8, 2.0, 2.5, 3.0});
    const Json validation = Json::array({-2.7, -1.8, -0.5, 0.5, 1.8, 2.7});
    const std::string np = "network_properties.";
    const std::string sp = "student_simulation_settings.";
    const std::string tp = "teacher_simulation_settings.";
    const char* unused = "accepted for compatibility with the reference yaml; no effect";
    return {
        {np + "dims", ParamType::real_list, Json::array({1, 1, 1}), {}, {},
         "layer sizes: input, hidden..., output (integers, at least one hidden layer)"},
        {np + "lambda_api", ParamType::real, 0.02, 0.0, 100.0, "apical coupling of hidden pyramids"},
        {np + "lambda_nudge", ParamType::real, 0.6, 0.0, 1.0, "nudging of the output towards the target"},
        {np + "learning_lag", ParamType::integer, 2000, 0, 1e9,
         "steps at the start of each pattern without forward plasticity or output readout"},
        {np + "lr", ParamType::any, lr, {}, {},
         "learning rates per layer: [{up, down} per hidden layer..., {up} for the output]"},
        {np + "n_last_spks", ParamType::integer, 1, 1, 1000,
         "spikes per neuron remembered for PSPs and STDP traces"},
        {np + "size_moving_average", ParamType::integer, 2000, 1, 1e8,
         "window (steps) of the moving averages of somatic and basal potentials"},
        {np + "stdp_a_anticausal", ParamType::real, 1.0, -1e6, 1e6, "STDP amplitude, pre (above) after post"},
        {np + "stdp_a_causal", ParamType::real, -1.0, -1e6, 1e6, "STDP amplitude, post after pre (above)"},
        {np + "stdp_tau_anticausal", ParamType::real, 10.0, 1e-9, 1e9, "STDP time constant (steps)"},
        {np + "stdp_tau_causal", ParamType::real, 10.0, 1e-9, 1e9, "STDP time constant (steps)"},
        {np + "t_ref", ParamType::integer, 10, 1, 1e6, "absolute refractory period (steps)"},
        {np + "tau_syn", ParamType::integer, 10, 1, 1e6, "duration of the rectangular PSP (steps)"},

        {"student_initial_parameters.bias", ParamType::any, bias, {}, {},
         "bias per layer: a number or one per neuron"},
        {"student_initial_parameters.share_weights", ParamType::boolean, false, {}, {}, unused},
        {"student_initial_parameters.random_weights_init_limits.up", ParamType::real_list, limits, {}, {},
         "[low, high] of the uniform initial forward weights"},
        {"student_initial_parameters.random_weights_init_limits.down", ParamType::real_list, limits, {}, {},
         "[low, high] of the uniform initial feedback weights"},
        {"student_initial_parameters.weights", ParamType::any, Json(), {}, {},
         "explicit initial weights, one {w_up, w_down, w_pi, w_ip} mapping per layer; wins over "
         "random_weights_init_limits"},

        {sp + "len_epoch", ParamType::integer, 20, 1, 1e7, "training patterns per epoch"},
        {sp + "len_symmetrization", ParamType::integer, 5, 0, 1e7,
         "the last this many training patterns of an epoch are symmetrization phases"},
        {sp + "len_validation", ParamType::integer, 6, 1, 1e7, "validation patterns per epoch"},
        {sp + "num_epochs", ParamType::integer, 150, 1, 1e7, "epochs"},
        {sp + "poisson_seed", ParamType::integer, 649854, 0, kMaxSeed, "seed of the student's spikes"},
        {sp + "weights_init_seed", ParamType::integer, 355445, 0, kMaxSeed,
         "seed of the random initial weights"},
        {sp + "training_seed", ParamType::integer, 915344, 0, kMaxSeed, "seed of the pattern order"},
        {sp + "record_all_spks", ParamType::boolean, false, {}, {}, unused},
        {sp + "recorded_quantities", ParamType::any, Json(), {}, {}, unused},
        {sp + "recorded_sample_length", ParamType::integer, Json(), 1, 1e12, unused},
        {sp + "set_sps", ParamType::boolean, true, {}, {},
         "keep interneuron weights in the self-predicting state (W_ip = W_up above, W_pi = -W_down)"},
        {sp + "shuffle_training", ParamType::boolean, true, {}, {},
         "draw training patterns with replacement (else cycle in order)"},
        {sp + "shuffle_validation", ParamType::boolean, false, {}, {},
         "draw validation patterns with replacement (else cycle in order)"},
        {sp + "t_pattern", ParamType::integer, 2000, 1, 1e9, "presentation time per pattern (units of t_ref)"},
        {sp + "update_down", ParamType::boolean, true, {}, {},
         "false: feedback copies the forward weights (backprop); true: STDP with lr.down "
         "(0 = feedback alignment)"},

        {"teacher_initial_parameters.bias", ParamType::any, bias, {}, {}, "teacher bias per layer"},
        {"teacher_initial_parameters.weights", ParamType::any, teacher_weights, {}, {},
         "teacher weights, one {w_up, ...} mapping per layer"},
        {"teacher_initial_parameters.random_weights_init_limits", ParamType::real_list, Json(), {}, {},
         "[low, high] of random teacher weights (used only without teacher weights)"},
        {tp + "len_epoch", ParamType::integer, 8, 0, 1e7, unused},
        {tp + "len_validation", ParamType::integer, 6, 0, 1e7, unused},
        {tp + "num_epochs", ParamType::integer, 1, 0, 1e7, unused},
        {tp + "poisson_seed", ParamType::integer, 423433, 0, kMaxSeed, "seed of the teacher's spikes"},
        {tp + "weights_init_seed", ParamType::integer, Json(), 0, kMaxSeed,
         "seed of random teacher weights"},
        {tp + "recorded_quantities", ParamType::any, Json(), {}, {}, unused},
        {tp + "shuffle_training", ParamType::boolean, true, {}, {}, unused},
        {tp + "shuffle_validation", ParamType::boolean, false, {}, {}, unused},
        {tp + "t_pattern", ParamType::integer, 2000, 1, 1e9,
         "teacher presentation time per pattern (units of t_ref)"},
        {tp + "training_seed", ParamType::integer, 890423, 0, kMaxSeed, unused},

        {"u_input.training", ParamType::any, train, {}, {},
         "training inputs: per pattern a number (all input neurons) or one value per input neuron"},
        {"u_input.validation", ParamType::any, validation, {}, {}, "validation inputs, as training"},
    };
}

// Sign agreement and angle between every hidden layer's feedback W_down and the transposed forward
// weights W_up of the layer above, pooled over hidden layers.
struct Alignment {
    double sign_agreement;
    double angle_deg;
};

Alignment alignment(const std::vector<Matrix>& w_up, const std::vector<Matrix>& w_down) {
    double dot = 0.0, norm_down = 0.0, norm_up = 0.0;
    std::size_t agree = 0, total = 0;
    for (std::size_t k = 0; k + 1 < w_up.size(); ++k) {
        const Matrix& down = w_down[k];
        const Matrix& up = w_up[k + 1];
        for (std::size_t r = 0; r < down.rows; ++r) {
            for (std::size_t c = 0; c < down.cols; ++c) {
                const double a = down(r, c);
                const double b = up(c, r);
                dot += a * b;
                norm_down += a * a;
                norm_up += b * b;
                agree += (a > 0 && b > 0) || (a < 0 && b < 0);
                ++total;
            }
        }
    }
    // A zero vector has no direction: report it as orthogonal.
    const double cosine = norm_down > 0 && norm_up > 0 ? dot / std::sqrt(norm_down * norm_up) : 0.0;
    return {static_cast<double>(agree) / static_cast<double>(total),
            std::acos(std::clamp(cosine, -1.0, 1.0)) * 180.0 / std::numbers::pi};
}

// Stacks per-epoch matrices of layer k into an (epochs+1) x rows x cols array.
Array stack(const std::vector<std::vector<Matrix>>& per_epoch, std::size_t k) {
    const Matrix& first = per_epoch.front()[k];
    std::vector<double> values;
    for (const auto& epoch : per_epoch) {
        values.insert(values.end(), epoch[k].values.begin(), epoch[k].values.end());
    }
    return Array::real({per_epoch.size(), first.rows, first.cols}, std::move(values));
}

Array rows_array(const std::vector<std::vector<double>>& rows) {
    std::vector<double> values;
    for (const auto& row : rows) values.insert(values.end(), row.begin(), row.end());
    const std::size_t cols = rows.empty() ? 0 : rows.front().size();
    return Array::real({rows.size(), cols}, std::move(values));
}

class MicrocircuitModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override { parse_experiment(params); }

    double estimate_cost(const Params& params) const override {
        const Experiment e = parse_experiment(params);
        double synapses = 0.0;
        for (std::size_t k = 1; k < e.network.dims.size(); ++k) {
            synapses += static_cast<double>(e.network.dims[k] * e.network.dims[k - 1]);
        }
        // About 70 ns per step for the 1-1-1 network (bench_microcircuit); larger networks scale
        // with their number of weights.
        return static_cast<double>(total_steps(e)) * 7e-8 * (1.0 + synapses / 8.0);
    }

    Result run(const Params& params, RunContext& context) const override {
        const Experiment e = parse_experiment(params);
        const TeacherResult teacher = run_teacher(e, context);
        const StudentResult student = run_student(e, teacher, context);
        const std::size_t L = e.network.num_layers();

        Result result;
        const Alignment align = alignment(student.w_up.back(), student.w_down.back());
        result.metrics = {
            {"final_validation_loss", student.validation_loss.back()},
            {"sign_agreement", align.sign_agreement},
            {"feedback_angle_deg", align.angle_deg},
            {"steps", static_cast<double>(total_steps(e))},
        };

        auto& arrays = result.arrays;
        arrays.emplace("validation_loss",
                       Array::real({student.validation_loss.size()}, student.validation_loss));
        for (std::size_t k = 1; k <= L; ++k) {
            const std::string suffix = "_layer" + std::to_string(k);
            arrays.emplace("w_up" + suffix, stack(student.w_up, k - 1));
            if (k < L) arrays.emplace("w_down" + suffix, stack(student.w_down, k - 1));
        }
        arrays.emplace("u_out", rows_array(student.u_out));
        arrays.emplace("u_target", rows_array(student.u_target));
        std::vector<std::int64_t> index, phase;
        for (std::size_t n = 0; n < student.schedule.pattern.size(); ++n) {
            index.push_back(static_cast<std::int64_t>(student.schedule.pattern[n]));
            phase.push_back(static_cast<std::int64_t>(student.schedule.phase[n]));
        }
        const std::size_t num_patterns = index.size();
        arrays.emplace("pattern_index", Array::integer({num_patterns}, std::move(index)));
        arrays.emplace("pattern_phase", Array::integer({num_patterns}, std::move(phase)));
        for (std::size_t k = 0; k <= L; ++k) {
            std::vector<std::vector<double>> rows;
            for (const auto& pattern : student.rates) rows.push_back(pattern[k]);
            arrays.emplace(k == 0 ? std::string("rates_input") : "rates_pyr_layer" + std::to_string(k),
                           rows_array(rows));
        }
        for (std::size_t k = 1; k < L; ++k) {
            std::vector<std::vector<double>> rows;
            for (const auto& pattern : student.inn_rates) rows.push_back(pattern[k - 1]);
            arrays.emplace("rates_inn_layer" + std::to_string(k), rows_array(rows));
        }
        return result;
    }

private:
    ModelInfo info_{
        "microcircuit",
        1,
        "Spiking dendritic cortical microcircuits (pyramidal + interneurons, rectangular PSPs, "
        "logistic escape noise) learning a teacher network's mapping; feedback weights copied "
        "(backprop: update_down false), frozen (feedback alignment: lr.down 0) or learned by "
        "spike-based alignment (SAL STDP). Reimplements sal-code spiking_microcircuits; parameters "
        "as its yaml files. Payload: validation_loss per epoch; w_up_layerK / w_down_layerK per "
        "epoch (index 0 = initial); u_out, u_target, pattern_index, pattern_phase (0 training, "
        "1 symmetrization, 2 validation) and rates (spikes per t_ref) per presented pattern.",
        schema(),
    };
};

}  // namespace

ModelPtr make_microcircuit_model() { return std::make_shared<MicrocircuitModel>(); }

}  // namespace sr
