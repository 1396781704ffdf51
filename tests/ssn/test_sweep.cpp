// sweeps/ssn_noise.yaml expands to the paper's 480 runs exactly as sal-code's four
// change_params.py write them, and sweeps/ssn_quick.yaml stays small.
#include "core/registry.hpp"
#include "scheduler/expansion.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sr {
namespace {

TEST(SsnSweep, FourHundredEightyJobsAsChangeParamsWritesThem) {
    const std::vector<Job> jobs = expand(load_sweep(SSN_SWEEP_DIR "/ssn_noise.yaml"), builtin_models());
    ASSERT_EQ(jobs.size(), 480u);
    const std::vector<double> init_noise = {0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
    const std::vector<double> stdp_noise = {0.0, 0.01, 0.02, 0.03, 0.04, 0.05};
    const std::vector<long long> distr_seeds = {4321, 4322, 4323, 4324, 4235};
    const std::vector<long long> init_seeds = {9002, 9003, 9004, 9005};
    struct Experiment {
        const char* name;
        bool plasticity;
        double lr_symm;
    };
    const Experiment experiments[] = {{"syn_noise", false, 0.0},
                                      {"syn_noise_sal", false, 0.01},
                                      {"plast_noise", true, 0.0},
                                      {"plast_noise_sal", true, 0.002}};
    for (std::size_t e = 0; e < 4; ++e) {
        const Experiment& x = experiments[e];
        for (std::size_t i = 0; i < 120; ++i) {
            const Job& job = jobs[e * 120 + i];
            SCOPED_TRACE(std::string(x.name) + " run " + std::to_string(i));
            EXPECT_EQ(job.block, x.name);
            EXPECT_EQ(job.index, static_cast<std::int64_t>(i));
            EXPECT_EQ(job.tags.at("experiment"), x.name);
            EXPECT_EQ(job.tags.at("sal"), x.lr_symm > 0 ? "on" : "off");
            const Params& p = job.params;
            // itertools.product(NOISE, DISTR_SEEDS, INIT_SEEDS): the last varies fastest.
            const double noise = (x.plasticity ? stdp_noise : init_noise)[i / 20];
            EXPECT_EQ(get_int(p, "seed.distr"), distr_seeds[(i / 4) % 5]);
            EXPECT_EQ(get_int(p, "seed.init"), init_seeds[i % 4]);
            EXPECT_EQ(get_int(p, "seed.sim"), 7654 + static_cast<long long>(i));
            EXPECT_EQ(get_real(p, "init_noise"), x.plasticity ? 0.2 : noise);
            EXPECT_EQ(get_real(p, "stdp.ws.noise"), x.plasticity ? noise : 0.0);
            EXPECT_EQ(get_real(p, "stdp.sal.noise"), x.plasticity ? noise : 0.0);
            EXPECT_EQ(get_real(p, "lr.symm"), x.lr_symm);
            EXPECT_EQ(get_real(p, "lr.weight"), x.plasticity ? 0.001 : 0.01);
            EXPECT_EQ(get_int(p, "num_epochs"), x.plasticity ? 150001 : 20001);
            EXPECT_EQ(get_int(p, "val_step"), x.plasticity ? 2000 : 500);
            EXPECT_EQ(get_int(p, "val_factor"), 1000);
            EXPECT_EQ(get_int(p, "dur"), 1000);
        }
    }
}

TEST(SsnSweep, QuickSweepIsSmall) {
    const std::vector<Job> jobs = expand(load_sweep(SSN_SWEEP_DIR "/ssn_quick.yaml"), builtin_models());
    double cost = 0.0;
    for (const Job& job : jobs) cost += job.cost;
    EXPECT_GE(jobs.size(), 8u);
    EXPECT_LT(cost, 120.0);  // estimated seconds on one core: about a minute on two
}

}  // namespace
}  // namespace sr
