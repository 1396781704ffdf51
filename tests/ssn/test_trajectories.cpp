// Training runs against the reference (trajectories/*.json): the published syn_noise{,_sal}
// configs shortened to 2001 epochs, started from the reference's own target, initial network and
// amplitudes (the `explicit` values), so only the spike sampling differs. Required: DKL within
// 10% of the reference's at every validation epoch (the reference's own spread between sampling
// seeds is 2–4%, sampling_spread.json), and SAL shrinking the weight asymmetry as it does there.
#include "core/models/ssn/training.hpp"
#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <string>

namespace sr::ssn {
namespace {

using testing::load_fixture;

struct Trajectory {
    std::vector<std::int64_t> steps;
    std::vector<double> dkl;
    std::vector<double> asym;
};

Trajectory reference_of(const nlohmann::json& data) {
    const auto& v = data.at("validation");
    return {v.at("step").get<std::vector<std::int64_t>>(), v.at("dkl").get<std::vector<double>>(),
            v.at("asym").get<std::vector<double>>()};
}

Trajectory train(const nlohmann::json& data) {
    Params params = data.at("config");
    for (const auto& [key, value] : data.at("explicit").items()) set_path(params, key, value);
    Trainer trainer(SsnConfig::from_params(params));
    TrainingState state = trainer.initial_state();
    while (!trainer.finished(state)) trainer.run_epoch(state);
    Trajectory out;
    for (const auto& record : state.validations) {
        out.steps.push_back(record.epoch);
        out.dkl.push_back(record.dkl);
        out.asym.push_back(record.asym);
    }
    return out;
}

const std::vector<std::string> kRuns = {"4321.9002", "4321.9003", "4322.9002", "4322.9003"};

class TrajectoryPair : public ::testing::TestWithParam<std::string> {};

TEST_P(TrajectoryPair, DklWithinTenPercentAndSalLowersAsymmetry) {
    const nlohmann::json plain_data = load_fixture("trajectories/syn_noise." + GetParam() + ".json");
    const nlohmann::json sal_data = load_fixture("trajectories/syn_noise_sal." + GetParam() + ".json");
    const Trajectory plain_ref = reference_of(plain_data);
    const Trajectory sal_ref = reference_of(sal_data);
    const Trajectory plain = train(plain_data);
    const Trajectory sal = train(sal_data);

    for (const auto& [ours, ref, name] : {std::tuple{&plain, &plain_ref, "syn_noise"},
                                          std::tuple{&sal, &sal_ref, "syn_noise_sal"}}) {
        ASSERT_EQ(ours->steps, ref->steps) << name;
        std::cout << name << "." << GetParam() << " DKL ours/ref:";
        for (std::size_t k = 0; k < ref->dkl.size(); ++k) {
            std::cout << " " << ours->dkl[k] / ref->dkl[k];
            EXPECT_NEAR(ours->dkl[k] / ref->dkl[k], 1.0, 0.10)
                << name << " epoch " << ref->steps[k] << ": ours " << ours->dkl[k] << ", reference " << ref->dkl[k];
        }
        std::cout << "\n" << name << "." << GetParam() << " asym ours/ref:";
        for (std::size_t k = 0; k < ref->asym.size(); ++k) std::cout << " " << ours->asym[k] / ref->asym[k];
        std::cout << "\n";
    }

    // Without SAL the update is symmetric (equal forward and backward amplitudes), so the
    // asymmetry stays where the initial noise put it; with SAL it decays (in the reference by a
    // factor of ~40 over 2000 epochs). Ours must follow the reference's asymmetry at every
    // validation epoch within 10% as well.
    for (std::size_t k = 0; k < sal_ref.asym.size(); ++k) {
        EXPECT_NEAR(sal.asym[k] / sal_ref.asym[k], 1.0, 0.10) << "SAL asym, epoch " << sal_ref.steps[k];
        EXPECT_NEAR(plain.asym[k] / plain_ref.asym[k], 1.0, 0.10) << "asym, epoch " << plain_ref.steps[k];
    }
    EXPECT_LT(sal.asym.back(), 0.1 * sal.asym.front());
    EXPECT_LT(sal.asym.back(), 0.1 * plain.asym.back());
    EXPECT_LT(sal.dkl.back(), plain.dkl.back());
}

INSTANTIATE_TEST_SUITE_P(Reference, TrajectoryPair, ::testing::ValuesIn(kRuns),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (char& ch : name) if (ch == '.') ch = '_';
                             return "seeds_" + name;
                         });

}  // namespace
}  // namespace sr::ssn
