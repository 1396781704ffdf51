// bench_e2l_error: one e2l.error fitness evaluation (15 trials of 10 s at 0.01 ms, 5 plastic
// synapses evaluating the rule every step) for a few rules, its CPU time, and the time of one
// evolution generation (λ = 4 evaluations on 2 cores) against the reference's ≤ 43 s per
// generation on 8 cores (NEST + SymEngine; 6 runs × 1000 generations in 12 h).
//   bench_e2l_error                          the test fixture: the 15 validation trials
//   bench_e2l_error FILE [GROUP]             e.g. ../shared/reference/e2l/error_driven.h5 evolution
// Prints per rule: fitness, mean ± std of the per-trial errors' negatives, and seconds.
#include "core/models/e2l/e2l_model.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

namespace {

constexpr double kReferenceSecondsPerGeneration = 43.0;
constexpr int kOffspringPerGeneration = 4;
constexpr int kCores = 2;
constexpr int kGenerations = 1000;

// This thread's CPU time: on a shared machine it is the fair measure of our own work.
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string file = argc > 1 ? argv[1] : std::string(E2L_TEST_DATA_DIR) + "/error_validation.h5";
    const std::string group = argc > 2 ? argv[2] : "validation";
    const sr::ModelPtr model = sr::make_e2l_error_model();
    sr::Params p = sr::Json::object();
    for (const auto& spec : model->info().params) {
        if (!spec.default_value.is_null()) sr::set_path(p, spec.name, spec.default_value);
    }
    sr::set_path(p, "inputs.file", file);
    sr::set_path(p, "inputs.group", group);
    std::printf("e2l.error on %s:/%s, 15 trials\n", file.c_str(), group.c_str());
    // The first run also loads the inputs and simulates the teachers (cached per process).
    const char* rules[] = {"x_2*(x_0 - x_1)", "2*x_2*(x_0 - x_1)", "0", "x_2*(x_0 - x_1)*(2*x_1 - 1)/x_0",
                           "x_0*x_2*(x_0 - x_1)*(x_1 - 1)/(x_0**2 - x_1*x_2*(x_1 - 1))"};
    double slowest = 0.0;
    for (const char* rule : rules) {
        sr::set_path(p, "rule", std::string(rule));
        sr::RunContext context;
        model->run(p, context);  // warm: inputs cached
        const double t0 = cpu_seconds();
        const sr::Result r = model->run(p, context);
        const double dt = cpu_seconds() - t0;
        slowest = std::max(slowest, dt);
        std::printf("  %-58s fitness %12.6f (std %.3f)  %.3f s\n", rule, r.metrics.at("fitness"),
                    r.metrics.count("fitness_std") ? r.metrics.at("fitness_std") : std::nan(""), dt);
    }
    const double generation = slowest * kOffspringPerGeneration / kCores;
    std::printf("one generation (%d new evaluations, %d cores, slowest rule): %.2f s; reference <= %.0f s: %.0fx\n",
                kOffspringPerGeneration, kCores, generation, kReferenceSecondsPerGeneration,
                kReferenceSecondsPerGeneration / generation);
    std::printf("%d generations, every offspring new: %.1f min (fitness cache hits make it less)\n", kGenerations,
                generation * kGenerations / 60.0);
    return 0;
}
