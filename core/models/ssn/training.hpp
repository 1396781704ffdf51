#pragma once
// The training loop of train_bm.py (NeuralSamplerFullyConnected.train with GradDescent):
// every epoch simulates the free-running network for dur·t_ref steps (×val_factor on validation
// epochs, every val_step-th epoch starting with 0), then
//     b ← b + lr.bias   · (target marginals − rates)
//     W ← W + lr.weight · (target coactivation − STDP_ws)      (zero diagonal target)
//     W ← W + lr.symm   · SAL
//     clip W to ±max_w, b to ±max_b,
// with STDP sums normalised by duration·t_ref. Validation epochs record DKL(target ‖ sampled)
// (sampled during that epoch) and the asymmetry of the updated W.
#include "core/models/ssn/boltzmann.hpp"
#include "core/models/ssn/setup.hpp"
#include "core/models/ssn/simulation.hpp"
#include "core/models/ssn/spike_statistics.hpp"
#include "core/rng.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::ssn {

struct ValidationRecord {
    std::int64_t epoch = 0;
    double dkl = 0.0;
    double asym = 0.0;
    Matrix w;                   // after the epoch's update
    Vector b;
    std::vector<double> distr;  // sampled during the epoch
};

// Everything needed to continue a run from an epoch boundary: one value, so a checkpoint is a
// serialisation of it.
struct TrainingState {
    std::int64_t epoch = 0;  // next epoch to run
    Matrix w;
    Vector b;
    Rng::State rng{};
    std::int64_t simulated_steps = 0;
    std::int64_t num_spikes = 0;
    std::vector<ValidationRecord> validations;
};

// Checkpoints (docs/slurm.md): a TrainingState as bytes. Binary, native doubles and integers
// copied bit for bit (so NaN/inf DKLs and every weight round-trip exactly), with a magic, a format
// version, an endianness mark and `fingerprint` (the model passes a hash of the job's parameters).
std::string encode_checkpoint(const TrainingState& state, std::string_view fingerprint);
// The state encode_checkpoint saved, or nullopt when `bytes` are not such a checkpoint (other
// format version, truncated, trailing bytes), carry another fingerprint, or do not fit `config`
// (dimensions, epoch range, validation epochs): a stale or foreign checkpoint is ignored.
std::optional<TrainingState> decode_checkpoint(std::string_view bytes, std::string_view fingerprint,
                                               const SsnConfig& config);

enum class SimulationPath { event_driven, time_stepped };

class Trainer {
public:
    explicit Trainer(SsnConfig config, SimulationPath path = SimulationPath::event_driven);

    const SsnConfig& config() const { return config_; }
    const SsnProblem& problem() const { return problem_; }
    const BoltzmannStatistics& target() const { return target_; }

    TrainingState initial_state() const;
    bool finished(const TrainingState& state) const { return state.epoch >= config_.num_epochs; }
    void run_epoch(TrainingState& state);

private:
    SsnConfig config_;
    SimulationPath path_;
    SsnProblem problem_;
    BoltzmannStatistics target_;
    Vector target_marginals_;
    Matrix target_coact_;  // zero diagonal
    std::size_t sal_width_;  // index of the SAL kernel width in stats_ (0 when equal to ws)
    SpikeStatistics stats_;
    EventDrivenSampler sampler_;
};

}  // namespace sr::ssn
