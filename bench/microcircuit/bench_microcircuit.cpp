// Wall time and steps per second of one full published SAL run (sal-code
// scripts/microcircuits/sal/sal.yaml = the model's defaults: 150 epochs x 26 patterns x 20,000
// steps plus the teacher), compared with the reference's 0.12 ms per step. Reports wall and CPU
// time: on a shared machine the CPU time is the figure that does not depend on the other load.
//   bench_microcircuit [num_epochs]   (fewer epochs for a quick look)
#include "core/models/microcircuit/microcircuit_model.hpp"

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <utility>

int main(int argc, char** argv) {
    constexpr double kReferenceSecondsPerStep = 0.12e-3;
    const sr::ModelPtr model = sr::make_microcircuit_model();
    sr::Params params = sr::default_params(model->info());
    if (argc > 1) sr::set_path(params, "student_simulation_settings.num_epochs", std::atoi(argv[1]));
    model->validate(params);

    sr::RunContext context;
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    const sr::Result result = model->run(params, context);
    const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const double steps = result.metrics.at("steps");
    std::printf("microcircuit SAL 1-1-1, %lld epochs: %.0f steps (reference run ~%.1f h)\n",
                static_cast<long long>(sr::get_int(params, "student_simulation_settings.num_epochs")),
                steps, steps * kReferenceSecondsPerStep / 3600.0);
    for (const auto& [label, seconds] : {std::pair{"wall", wall}, std::pair{"cpu ", cpu}}) {
        const double per_step = seconds / steps;
        std::printf("  %s %.2f s: %.3g steps/s, %.1f ns/step, speed-up vs 0.12 ms/step %.0fx\n", label,
                    seconds, 1.0 / per_step, per_step * 1e9, kReferenceSecondsPerStep / per_step);
    }
    std::printf("  final validation loss %.4g, sign agreement %.0f, feedback angle %.1f deg\n",
                result.metrics.at("final_validation_loss"), result.metrics.at("sign_agreement"),
                result.metrics.at("feedback_angle_deg"));
    return 0;
}
