#include "core/models/microcircuit/experiment.hpp"

#include "core/models/microcircuit/network.hpp"
#include "core/rng.hpp"

namespace sr::microcircuit {
namespace {

// Stream tags keep the generators of different purposes independent even when seeds coincide.
constexpr std::uint64_t kTrainingStream = 0x747261696eULL;
constexpr std::uint64_t kWeightsStream = 0x77656967ULL;

void append_block(std::vector<std::size_t>& out, Rng& rng, bool shuffle, std::size_t available,
                  std::int64_t length) {
    for (std::int64_t i = 0; i < length; ++i) {
        out.push_back(shuffle ? static_cast<std::size_t>(rng.below(available))
                              : static_cast<std::size_t>(i) % available);
    }
}

Matrix uniform_matrix(Rng& rng, std::size_t rows, std::size_t cols, double low, double high) {
    Matrix m(rows, cols);
    for (double& v : m.values) v = rng.uniform(low, high);
    return m;
}

std::vector<LayerWeights> initial_weights(const InitialParameters& init, const NetworkConfig& net,
                                          const SimulationSettings& settings) {
    if (init.weights) return *init.weights;
    return draw_random_weights(init, net.dims, *settings.weights_init_seed);
}

std::vector<Matrix> snapshot(const Network& net, bool feedback) {
    std::vector<Matrix> out;
    for (std::size_t k = 1; k <= net.num_layers(); ++k) {
        out.push_back(feedback ? net.layer(k).w_down : net.layer(k).w_up);
    }
    return out;
}

}  // namespace

Schedule make_schedule(const SimulationSettings& s, std::size_t num_train, std::size_t num_validation) {
    Rng rng({s.training_seed, kTrainingStream});
    Schedule schedule;
    for (std::int64_t epoch = 0; epoch < s.num_epochs; ++epoch) {
        append_block(schedule.pattern, rng, s.shuffle_training, num_train, s.len_epoch);
        for (std::int64_t i = 0; i < s.len_epoch; ++i) {
            schedule.phase.push_back(i >= s.len_epoch - s.len_symmetrization ? Phase::symmetrization
                                                                             : Phase::training);
        }
        append_block(schedule.pattern, rng, s.shuffle_validation, num_validation, s.len_validation);
        schedule.phase.insert(schedule.phase.end(), static_cast<std::size_t>(s.len_validation),
                              Phase::validation);
    }
    return schedule;
}

std::vector<LayerWeights> draw_random_weights(const InitialParameters& init,
                                              const std::vector<std::size_t>& dims, std::uint64_t seed) {
    Rng rng({seed, kWeightsStream});
    std::vector<LayerWeights> weights;
    const std::size_t L = dims.size() - 1;
    for (std::size_t k = 1; k <= L; ++k) {
        LayerWeights& w = weights.emplace_back();
        w.w_up = uniform_matrix(rng, dims[k], dims[k - 1], init.up_low, init.up_high);
        if (k < L) w.w_down = uniform_matrix(rng, dims[k], dims[k + 1], init.down_low, init.down_high);
    }
    return weights;
}

double pattern_loss(const std::vector<double>& u_out, const std::vector<double>& target) {
    double sum = 0.0;
    for (std::size_t i = 0; i < u_out.size(); ++i) sum += (u_out[i] - target[i]) * (u_out[i] - target[i]);
    return sum / static_cast<double>(u_out.size());
}

TeacherResult run_teacher(const Experiment& e, const RunContext& context) {
    const SimulationSettings& s = e.teacher_settings;
    Network net(e.network, s.poisson_seed);
    net.set_weights(initial_weights(e.teacher, e.network, s));
    net.apply_self_predicting();
    net.set_bias(e.teacher.bias);

    // Training then validation inputs, each once and in order, without target or plasticity.
    PatternSettings p;
    p.steps = s.t_pattern * e.network.t_ref;
    TeacherResult result;
    for (const auto* inputs : {&e.train_inputs, &e.validation_inputs}) {
        auto& targets = inputs == &e.train_inputs ? result.train_targets : result.validation_targets;
        for (const std::vector<double>& u_in : *inputs) {
            context.check_cancelled();
            p.u_in = &u_in;
            targets.push_back(net.run_pattern(p));
        }
    }
    return result;
}

StudentResult run_student(const Experiment& e, const TeacherResult& teacher, const RunContext& context) {
    const SimulationSettings& s = e.student_settings;
    const std::size_t L = e.network.num_layers();
    Network net(e.network, s.poisson_seed);
    StudentResult result;
    result.initial_weights = initial_weights(e.student, e.network, s);
    net.set_weights(result.initial_weights);
    if (s.set_sps) {
        if (!s.update_down) net.copy_feedback();
        net.apply_self_predicting();
    }
    net.set_bias(e.student.bias);

    result.schedule = make_schedule(s, e.train_inputs.size(), e.validation_inputs.size());
    result.w_up.push_back(snapshot(net, false));
    result.w_down.push_back(snapshot(net, true));

    PatternSettings p;
    p.steps = s.t_pattern * e.network.t_ref;
    p.copy_feedback = !s.update_down;
    p.set_sps = s.set_sps;
    p.update_down = s.update_down;
    const std::size_t num_patterns = result.schedule.pattern.size();
    const double per_t_ref = 1.0 / static_cast<double>(s.t_pattern);
    double loss_sum = 0.0;
    for (std::size_t n = 0; n < num_patterns; ++n) {
        const Phase phase = result.schedule.phase[n];
        const std::size_t index = result.schedule.pattern[n];
        const bool validation = phase == Phase::validation;
        const auto& target = validation ? teacher.validation_targets[index] : teacher.train_targets[index];
        p.u_in = validation ? &e.validation_inputs[index] : &e.train_inputs[index];
        // The target nudges the output in every phase, validation included, as in the reference.
        p.u_target = &target;
        p.plasticity_up = phase == Phase::training;
        p.symmetrization = phase == Phase::symmetrization;
        std::vector<double> u_out = net.run_pattern(p);

        auto& rates = result.rates.emplace_back();
        for (std::size_t k = 0; k <= L; ++k) {
            std::vector<double>& r = rates.emplace_back(net.pyramids(k).count);
            for (double& x : r) x *= per_t_ref;
        }
        auto& inn_rates = result.inn_rates.emplace_back();
        for (std::size_t k = 1; k < L; ++k) {
            std::vector<double>& r = inn_rates.emplace_back(net.interneurons(k).count);
            for (double& x : r) x *= per_t_ref;
        }
        if (validation) loss_sum += pattern_loss(u_out, target);
        result.u_out.push_back(std::move(u_out));
        result.u_target.push_back(target);

        const bool epoch_end = n + 1 == num_patterns || result.schedule.phase[n + 1] != Phase::validation;
        if (validation && epoch_end) {
            result.validation_loss.push_back(loss_sum / static_cast<double>(s.len_validation));
            loss_sum = 0.0;
            result.w_up.push_back(snapshot(net, false));
            result.w_down.push_back(snapshot(net, true));
        }
        context.check_cancelled();
        context.report_progress(static_cast<double>(n + 1) / static_cast<double>(num_patterns));
    }
    return result;
}

std::int64_t total_steps(const Experiment& e) {
    const SimulationSettings& t = e.teacher_settings;
    const SimulationSettings& s = e.student_settings;
    const auto teacher_patterns = static_cast<std::int64_t>(e.train_inputs.size() + e.validation_inputs.size());
    return e.network.t_ref * (teacher_patterns * t.t_pattern +
                              s.num_epochs * (s.len_epoch + s.len_validation) * s.t_pattern);
}

}  // namespace sr::microcircuit
