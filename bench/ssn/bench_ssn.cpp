// bench_ssn: speed of the two ssn simulation paths and of full published jobs (single core).
//   bench_ssn            all measurements (the two full jobs take a minute or so)
//   bench_ssn --paths    only the steps/s comparison of the two paths and of the ways state
//                        samples are counted
// The reference (sal-code, numba) needs ≈ 0.9 µs per simulated step on this machine class.
#include "core/models/ssn/setup.hpp"
#include "core/models/ssn/simulation.hpp"
#include "core/models/ssn/spike_statistics.hpp"
#include "core/models/ssn/ssn_model.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

namespace {

constexpr double kReferenceSecondsPerStep = 0.9e-6;

// Wall and CPU time of this thread: on a shared machine the CPU time is the fair measure.
struct Stopwatch {
    std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
    double cpu = thread_cpu_seconds();
    static double thread_cpu_seconds() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }
    double wall_seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
    }
    double cpu_seconds() const { return thread_cpu_seconds() - cpu; }
};

// Schema defaults (the published syn_noise exp.yaml) with the first job of change_params.py.
sr::Params published_params(const sr::Model& model) {
    sr::Params params = sr::default_params(model.info());
    sr::set_path(params, "seed.distr", 4321);
    sr::set_path(params, "seed.init", 9002);
    sr::set_path(params, "seed.sim", 7654);
    return params;
}

// Steps per second of one path on the job's initial network (target statistics are typical).
template <typename Simulate>
double steps_per_second(const sr::ssn::SsnConfig& config, std::int64_t steps, Simulate simulate) {
    const sr::ssn::SsnProblem problem = sr::ssn::make_problem(config);
    sr::ssn::SpikeStatistics stats(config.dim, config.t_ref, 1, {config.ws.tau_minus});
    stats.reset(steps);
    sr::Rng rng{12345};
    const Stopwatch watch;
    simulate(problem.w_init, problem.b_init, steps, rng, stats);
    stats.finish();
    const double cpu = watch.cpu_seconds();
    std::printf("    %lld steps, %lld spikes (%.4f per step): %.3f s CPU, %.3f s wall\n",
                static_cast<long long>(steps), static_cast<long long>(stats.num_spikes()),
                static_cast<double>(stats.num_spikes()) / static_cast<double>(steps), cpu,
                watch.wall_seconds());
    return static_cast<double>(steps) / cpu;
}

// Who counts the state samples, compared inside this process: on this shared machine separate
// runs scatter by 10–30%, so the variants alternate in short runs and the per-round ratios are
// reported. Baseline: the statistics count them from the spikes (as before session 5).
void bench_state_counting(const sr::ssn::SsnConfig& config) {
    constexpr std::int64_t kSteps = 2'000'000;
    constexpr int kRounds = 60;
    const sr::ssn::SsnProblem problem = sr::ssn::make_problem(config);
    sr::ssn::SpikeStatistics stats(config.dim, config.t_ref, 1, {config.ws.tau_minus});
    sr::ssn::EventDrivenSampler sampler(config.dim, config.t_ref, config.tau_syn);
    sr::Rng rng{12345};
    const auto time_run = [&](bool by_spans, sr::ssn::StateSampling sampling) {
        sampler.set_counts_states_by_spans(by_spans);
        const Stopwatch watch;
        stats.reset(kSteps, sampling);
        sampler.run(problem.w_init, problem.b_init, kSteps, rng, stats);
        stats.finish();
        return watch.cpu_seconds();
    };
    std::vector<double> spans;
    std::vector<double> none;
    double baseline_total = 0.0;
    for (int round = 0; round < kRounds; ++round) {
        const double baseline = time_run(false, sr::ssn::StateSampling::on);
        spans.push_back(time_run(true, sr::ssn::StateSampling::on) / baseline);
        none.push_back(time_run(true, sr::ssn::StateSampling::off) / baseline);
        baseline_total += baseline;
    }
    const auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    std::printf("  state samples (%d alternating rounds of %lld steps; statistics' count %.2f ns/step): "
                "counted by the event loop %.3f× the time, none (training epochs) %.3f× [median]\n",
                kRounds, static_cast<long long>(kSteps), baseline_total / (kRounds * static_cast<double>(kSteps)) * 1e9,
                median(spans), median(none));
}

// Runs one full job and prints its times; returns its CPU seconds.
double bench_job(const sr::Model& model, const char* name, sr::Params params) {
    const sr::ssn::SsnConfig config = sr::ssn::SsnConfig::from_params(params);
    const double steps = static_cast<double>(config.total_steps());
    sr::RunContext context;
    const Stopwatch watch;
    const sr::Result result = model.run(params, context);
    const double cpu = watch.cpu_seconds();
    const double wall = watch.wall_seconds();
    const double reference = steps * kReferenceSecondsPerStep;
    std::printf("%-12s %.3g steps, %.3g spikes: %7.2f s CPU (%.2f ns/step), %7.2f s wall; "
                "reference ≈ %.0f s → %.0f× faster (CPU); estimate %.1f s\n"
                "             final DKL %.4f, final asym %.5f\n",
                name, steps, result.metrics.at("num_spikes"), cpu, cpu / steps * 1e9, wall, reference,
                reference / cpu, model.estimate_cost(params), result.metrics.at("final_dkl"),
                result.metrics.at("final_asym"));
    return cpu;
}

}  // namespace

int main(int argc, char** argv) {
    const bool paths_only = argc > 1 && std::strcmp(argv[1], "--paths") == 0;
    const sr::ModelPtr model = sr::make_ssn_model();
    const sr::Params params = published_params(*model);
    const sr::ssn::SsnConfig config = sr::ssn::SsnConfig::from_params(params);

    std::printf("simulation paths (dim %d, t_ref %d, published syn_noise initial network):\n",
                config.dim, config.t_ref);
    std::printf("  time-stepped:\n");
    const double plain = steps_per_second(
        config, 4'000'000, [&](const auto& w, const auto& b, std::int64_t steps, sr::Rng& rng, auto& stats) {
            sr::ssn::simulate_time_stepped(w, b, config.t_ref, config.tau_syn, steps, rng, stats);
        });
    std::printf("  event-driven:\n");
    sr::ssn::EventDrivenSampler sampler(config.dim, config.t_ref, config.tau_syn);
    const double fast = steps_per_second(
        config, 400'000'000, [&](const auto& w, const auto& b, std::int64_t steps, sr::Rng& rng, auto& stats) {
            sampler.run(w, b, steps, rng, stats);
        });
    std::printf("  time-stepped %.3g steps/s (%.1f ns/step), event-driven %.3g steps/s (%.2f ns/step)"
                " [CPU time]: ratio %.0f×; vs reference %.0f×\n",
                plain, 1e9 / plain, fast, 1e9 / fast, fast / plain, fast * kReferenceSecondsPerStep);
    bench_state_counting(config);
    if (paths_only) return 0;

    std::printf("full published jobs (single core, first job of each change_params.py):\n");
    const double syn_cpu = bench_job(*model, "syn_noise", params);
    sr::Params plast = params;
    sr::set_path(plast, "num_epochs", 150001);
    sr::set_path(plast, "val_step", 2000);
    sr::set_path(plast, "lr.bias", 0.001);
    sr::set_path(plast, "lr.weight", 0.001);
    sr::set_path(plast, "init_noise", 0.2);
    sr::set_path(plast, "stdp.ws.noise", 0.0);
    sr::set_path(plast, "stdp.sal.noise", 0.0);
    const double plast_cpu = bench_job(*model, "plast_noise", plast);
    // sweeps/ssn_noise.yaml: 240 jobs of each type (with and without SAL, 120 runs each).
    constexpr double kJobsPerType = 240.0;
    constexpr double kCores = 2.0;
    const double sweep_cpu = kJobsPerType * (syn_cpu + plast_cpu);
    std::printf("ssn_noise.yaml (%.0f jobs of each type), if each takes as long as these: %.2f CPU-hours, "
                "%.2f h on %.0f cores\n",
                kJobsPerType, sweep_cpu / 3600.0, sweep_cpu / 3600.0 / kCores, kCores);
    return 0;
}
