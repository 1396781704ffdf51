// Speed of the SAL-paper models, projected to their figures' sweeps:
//  - Dale's-law grid (eisys): one 2·10⁶-step job with our generator (event-driven sampler) against
//    the same job in the reference's step loop (generator numpy_legacy), measured here; the grid
//    is 441 such jobs plus 18 of 5·10⁵ steps;
//  - Fig. 11 (stdd): the mean time of a grid point at t_max = 20, against the reference's
//    0.146 s per point at t_max = 30 (scipy, fixtures.json "ppd") and ours at t_max = 30;
//  - Fig. 9 (salnet): one epoch of the [1600, 384, 192, 10] network, projected to 10⁶ steps,
//    against the reference's 5.7 ms per step (torch, one idle core; README of the reference set).
// Times are CPU seconds of this (single-threaded) process: on a shared machine wall time measures
// the neighbours. Usage: bench_sal (a few seconds of CPU per part)
#include "core/registry.hpp"
#include "scheduler/expansion.hpp"

#include <cstdio>
#include <ctime>

namespace {

double seconds_of(const sr::Model& model, const sr::Params& params) {
    sr::RunContext context;
    const std::clock_t start = std::clock();
    model.run(params, context);
    return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

sr::Params params_of(const sr::Model& model, const sr::Json& overrides) {
    sr::Params p = sr::default_params(model.info());
    for (const auto& [key, value] : overrides.items()) sr::set_path(p, key, value);
    sr::validate_params(model.info(), p);
    return p;
}

}  // namespace

int main() {
    const sr::ModelRegistry& models = sr::builtin_models();

    const sr::ModelPtr eisys = models.find("eisys");
    const sr::Json noisy = {{"ei.i1_e1", 3.947902433902573}, {"ei.i2_e2", 4.232002815689249},
                            {"ei.e2_i1", -1.0425905005723313}, {"ei.e1_i2", -1.0985005179806493},
                            {"ei.b_i1", -2.2544347640904903}, {"ei.b_i2", -2.1838417195006405},
                            {"ei.e2_e1", 1.0}, {"ei.e1_e2", 1.0}, {"steps", 2000000}};
    sr::Json stepped = noisy;
    stepped["generator"] = "numpy_legacy";
    const double event = seconds_of(*eisys, params_of(*eisys, noisy));
    const double loop = seconds_of(*eisys, params_of(*eisys, stepped));
    const double grid = event * (441 + 18 * 0.25);
    std::printf("eisys  2e6-step E-I job: event-driven %.3f s, step loop %.3f s (ratio %.1fx)\n", event, loop, loop / event);
    std::printf("       Dale's-law grid: %.0f CPU-s, %.0f s on 2 cores (reference: ~3600 s with numba)\n", grid, grid / 2);

    const sr::ModelPtr stdd = models.find("stdd");
    double fig11 = 0.0;
    const int points = 50;
    for (int k = 0; k < points; ++k) {
        fig11 += seconds_of(*stdd, params_of(*stdd, {{"psp", k % 2 == 0 ? "rect" : "alpha"}, {"t_max", 20}, {"t_ref", 10},
                                                     {"t_syn", k % 2 == 0 ? 10.0 : 5.0}, {"w_12", -1.5 + 0.06 * k},
                                                     {"w_21", 1.5 - 0.05 * k}, {"b_1", 0.25}, {"b_2", -0.5}}));
    }
    fig11 /= points;
    const double ppd30 = seconds_of(*stdd, params_of(*stdd, {{"t_max", 30}, {"t_ref", 15}, {"w_12", 0.5}, {"w_21", 1.5}}));
    std::printf("stdd   Fig. 11 point (t_max 20): %.2f ms; 24,300 points: %.1f CPU-s (reference ~1800 CPU-s: %.0fx)\n",
                fig11 * 1e3, fig11 * 24300, 1800.0 / (fig11 * 24300));
    std::printf("       Fig. 2e point (t_max 30): %.2f ms (reference 146 ms: %.0fx)\n", ppd30 * 1e3, 0.146 / ppd30);

    const sr::ModelPtr salnet = models.find("salnet");
    const double epoch = seconds_of(*salnet, params_of(*salnet, {{"dims", {1600, 384, 192, 10}}, {"batch", 1}, {"steps", 10000}, {"epochs", 1}}));
    std::printf("salnet Fig. 9 epoch (1e4 steps): %.2f s -> 1e6 steps %.0f s, %.3f ms/step (reference 5.7 ms/step: %.0fx)\n",
                epoch, epoch * 100, epoch / 10, 5.7e-3 / (epoch / 1e4));
    return 0;
}
