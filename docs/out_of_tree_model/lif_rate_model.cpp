#include "lif_rate_model.hpp"

#include "core/rng.hpp"

#include <cmath>
#include <limits>

namespace lab {
namespace {

class LifRateModel final : public sr::Model {
public:
    const sr::ModelInfo& info() const override { return info_; }

    // Roughly seconds: the steps to simulate, at ~1e8 steps per second.
    double estimate_cost(const sr::Params& params) const override {
        return sr::get_real(params, "t_sim") / sr::get_real(params, "dt") / 1e8;
    }

    sr::Result run(const sr::Params& params, sr::RunContext& context) const override {
        const double drive = sr::get_real(params, "drive");  // R*I in mV
        const double sigma = sr::get_real(params, "sigma");  // mV/sqrt(ms)
        const double tau = sr::get_real(params, "tau_m"), threshold = sr::get_real(params, "threshold");
        const double t_ref = sr::get_real(params, "t_ref"), dt = sr::get_real(params, "dt");
        const auto steps = static_cast<long long>(sr::get_real(params, "t_sim") / dt);
        // The job's own seed: the same job gives the same spikes on any thread, rank or host.
        sr::Rng rng(static_cast<std::uint64_t>(sr::get_int(params, "seed")));
        double v = 0, refractory_until = -1;
        long long spikes = 0;
        for (long long step = 0; step < steps; ++step) {
            if (step % 1'000'000 == 0) context.check_cancelled();
            const double t = static_cast<double>(step) * dt;
            if (t < refractory_until) continue;
            v += dt / tau * (drive - v) + (sigma > 0 ? sigma * std::sqrt(dt) * rng.normal() : 0.0);
            if (v >= threshold) {
                ++spikes;
                v = 0;
                refractory_until = t + t_ref;
            }
        }
        const double seconds = static_cast<double>(steps) * dt / 1000.0;
        // Noise-free f-I curve: the time to climb from 0 to the threshold, plus the dead time.
        const double closed_form = drive > threshold
            ? 1000.0 / (t_ref + tau * std::log(drive / (drive - threshold)))
            : 0.0;
        sr::Result result;
        result.metrics = {{"rate_hz", static_cast<double>(spikes) / seconds}, {"rate_closed_form_hz", closed_form}};
        return result;
    }

private:
    sr::ModelInfo info_{
        "lab.lif_rate",
        1,
        "Firing rate of a leaky integrate-and-fire neuron under constant drive and white noise.",
        {
            {"drive", sr::ParamType::real, 20.0, 0.0, 1e3, "R*I, mV"},
            {"sigma", sr::ParamType::real, 0.0, 0.0, 1e2, "noise amplitude, mV/sqrt(ms)"},
            {"tau_m", sr::ParamType::real, 10.0, 1e-3, 1e3, "membrane time constant, ms"},
            {"threshold", sr::ParamType::real, 15.0, 1e-3, 1e3, "threshold above rest, mV"},
            {"t_ref", sr::ParamType::real, 2.0, 0.0, 1e3, "refractory period, ms"},
            {"dt", sr::ParamType::real, 0.01, 1e-6, 1.0, "time step, ms"},
            {"t_sim", sr::ParamType::real, 10000.0, 1.0, 1e9, "simulated time, ms"},
            {"seed", sr::ParamType::integer, 0, 0, 1e15, "noise seed"},
        },
    };
};

}  // namespace

sr::ModelPtr make_lif_rate_model() { return std::make_shared<const LifRateModel>(); }

}  // namespace lab
