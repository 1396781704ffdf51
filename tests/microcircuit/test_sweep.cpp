// sweeps/microcircuits.yaml expands to the paper's 60 runs exactly as sal-code's change_params.py
// writes them: the jobs of the first two runs of each variant equal the configurations of the
// reference runs in tests/data/microcircuit (which used 8 instead of 150 epochs).
#include "tests/microcircuit/fixtures.hpp"

#include "core/registry.hpp"
#include "scheduler/expansion.hpp"

#include <gtest/gtest.h>

namespace sr {
namespace {

TEST(MicrocircuitSweep, SixtyJobsWithTheSeedsOfChangeParams) {
    const std::vector<Job> jobs = expand(load_sweep(MICROCIRCUIT_SWEEP), builtin_models());
    ASSERT_EQ(jobs.size(), 60u);
    struct Base {
        const char* variant;
        long long poisson, weights, training, teacher_training, teacher_poisson;
    };
    const Base bases[] = {{"sal", 649854, 355445, 915344, 890423, 423433},
                          {"fa", 645360, 354535, 918344, 890423, 423433},
                          {"bp", 654560, 375635, 936544, 892458, 426534}};
    for (std::size_t b = 0; b < 3; ++b) {
        for (long long i = 0; i < 20; ++i) {
            const Job& job = jobs[b * 20 + static_cast<std::size_t>(i)];
            const Base& base = bases[b];
            SCOPED_TRACE(std::string(base.variant) + " run " + std::to_string(i));
            EXPECT_EQ(job.block, base.variant);
            EXPECT_EQ(job.tags.at("variant"), base.variant);
            EXPECT_EQ(job.index, i);
            const Params& p = job.params;
            EXPECT_EQ(get_int(p, "student_simulation_settings.poisson_seed"), base.poisson + 1 + i);
            EXPECT_EQ(get_int(p, "student_simulation_settings.weights_init_seed"), base.weights + 1 + i);
            EXPECT_EQ(get_int(p, "student_simulation_settings.training_seed"), base.training + 1 + i);
            EXPECT_EQ(get_int(p, "teacher_simulation_settings.training_seed"), base.teacher_training + 1 + i);
            EXPECT_EQ(get_int(p, "teacher_simulation_settings.poisson_seed"), base.teacher_poisson);
            EXPECT_EQ(get_int(p, "student_simulation_settings.num_epochs"), 150);
            if (i < 2) {
                const std::string fixture = std::string(base.variant) + std::to_string(i);
                Json expected = microcircuit_test::load_reference(fixture).at("config");
                expected["student_simulation_settings"]["num_epochs"] = 150;
                EXPECT_EQ(p, expected) << fixture;  // numbers compare by value (1 == 1.0)
            }
        }
    }
}

}  // namespace
}  // namespace sr
