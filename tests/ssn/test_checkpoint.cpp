// Checkpoint/restore (docs/slurm.md): a run stopped at an epoch boundary saves its state, a fresh
// run with the same checkpoint resumes from it, and the result is bitwise that of an uninterrupted
// run. A checkpoint of other parameters, or one that is damaged, is ignored.
#include "core/models/ssn/setup.hpp"
#include "core/models/ssn/ssn_model.hpp"
#include "core/models/ssn/training.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace sr {
namespace {

namespace fs = std::filesystem;

// 300 epochs of 1000 steps, 6 validation epochs 5× longer; SAL and asymmetric noise on.
Params short_job(const Model& model) {
    Params params = default_params(model.info());
    set_path(params, "dim", 4);
    set_path(params, "num_epochs", 300);
    set_path(params, "val_step", 50);
    set_path(params, "val_factor", 5);
    set_path(params, "dur", 20);
    set_path(params, "lr.symm", 0.01);
    set_path(params, "init_noise", 0.5);
    set_path(params, "stdp.ws.noise", 0.05);
    return params;
}

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() /
               ("sr_ssn_ckpt_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

std::vector<std::uint64_t> bits(const std::vector<double>& values) {
    std::vector<std::uint64_t> out;
    for (const double v : values) out.push_back(std::bit_cast<std::uint64_t>(v));
    return out;
}

// Every metric and every array, compared bit for bit.
void expect_bitwise_equal(const Result& a, const Result& b) {
    ASSERT_EQ(a.metrics.size(), b.metrics.size());
    for (const auto& [name, value] : a.metrics) {
        ASSERT_TRUE(b.metrics.count(name)) << name;
        EXPECT_EQ(std::bit_cast<std::uint64_t>(value), std::bit_cast<std::uint64_t>(b.metrics.at(name))) << name;
    }
    ASSERT_EQ(a.arrays.size(), b.arrays.size());
    for (const auto& [name, array] : a.arrays) {
        ASSERT_TRUE(b.arrays.count(name)) << name;
        const Array& other = b.arrays.at(name);
        EXPECT_EQ(array.shape, other.shape) << name;
        ASSERT_EQ(array.is_real(), other.is_real()) << name;
        if (array.is_real()) {
            EXPECT_EQ(bits(array.reals()), bits(other.reals())) << name;
        } else {
            EXPECT_EQ(array.ints(), other.ints()) << name;
        }
    }
}

// Runs `params` with the checkpoint at `ckpt`, requesting a stop after `stop_after` epochs of this
// attempt (never when negative). Returns the result, or nullopt when the run stopped; counts the
// epochs this attempt ran.
std::optional<Result> attempt(const Model& model, const Params& params, const fs::path& ckpt,
                              int stop_after, int& epochs_run) {
    std::atomic<bool> stop{false};
    epochs_run = 0;
    RunContext context(std::nullopt, &stop, {}, [&](double) {
        if (++epochs_run == stop_after) stop = true;
    });
    context.set_checkpoint_path(ckpt);
    try {
        return model.run(params, context);
    } catch (const JobCancelled& e) {
        EXPECT_EQ(e.reason, JobCancelled::Reason::stop_requested);
        EXPECT_TRUE(context.checkpoint_used());
        return std::nullopt;
    }
}

TEST(SsnCheckpoint, StopAndResumeIsBitwiseTheUninterruptedRun) {
    const ModelPtr model = make_ssn_model();
    const Params params = short_job(*model);
    RunContext plain;
    const Result uninterrupted = model->run(params, plain);
    ASSERT_EQ(uninterrupted.arrays.at("val_steps").ints().size(), 6u);

    TempDir dir;
    const fs::path ckpt = dir.path / "job.ckpt";
    int epochs = 0;
    // Stopped after 73 epochs (two validation records), again after 104 more, then to the end.
    EXPECT_FALSE(attempt(*model, params, ckpt, 73, epochs).has_value());
    EXPECT_EQ(epochs, 73);
    ASSERT_TRUE(fs::exists(ckpt));
    EXPECT_FALSE(attempt(*model, params, ckpt, 104, epochs).has_value());
    EXPECT_EQ(epochs, 104);
    const auto resumed = attempt(*model, params, ckpt, -1, epochs);
    ASSERT_TRUE(resumed.has_value());
    EXPECT_EQ(epochs, 300 - 73 - 104);  // it really resumed rather than starting over
    expect_bitwise_equal(uninterrupted, *resumed);

}

TEST(SsnCheckpoint, StopBeforeTheFirstEpochAndAtTheLastEpoch) {
    const ModelPtr model = make_ssn_model();
    const Params params = short_job(*model);
    RunContext plain;
    const Result uninterrupted = model->run(params, plain);

    TempDir dir;
    const fs::path ckpt = dir.path / "job.ckpt";
    {
        std::atomic<bool> stop{true};
        RunContext context(std::nullopt, &stop);
        context.set_checkpoint_path(ckpt);
        EXPECT_THROW(model->run(params, context), JobCancelled);
        ASSERT_TRUE(fs::exists(ckpt));
    }
    int epochs = 0;
    EXPECT_FALSE(attempt(*model, params, ckpt, 299, epochs).has_value());
    const auto resumed = attempt(*model, params, ckpt, -1, epochs);
    ASSERT_TRUE(resumed.has_value());
    EXPECT_EQ(epochs, 1);
    expect_bitwise_equal(uninterrupted, *resumed);
}

TEST(SsnCheckpoint, CheckpointOfOtherParametersIsIgnored) {
    const ModelPtr model = make_ssn_model();
    const Params params = short_job(*model);
    Params other = params;
    set_path(other, "seed.sim", 1);  // same shapes, other results
    RunContext plain;
    const Result uninterrupted_other = model->run(other, plain);

    TempDir dir;
    const fs::path ckpt = dir.path / "job.ckpt";
    int epochs = 0;
    EXPECT_FALSE(attempt(*model, params, ckpt, 120, epochs).has_value());
    ASSERT_TRUE(fs::exists(ckpt));
    const auto run = attempt(*model, other, ckpt, -1, epochs);
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(epochs, 300);  // started over
    expect_bitwise_equal(uninterrupted_other, *run);
}

TEST(SsnCheckpoint, DamagedOrForeignBytesAreIgnored) {
    const ModelPtr model = make_ssn_model();
    const ssn::SsnConfig config = ssn::SsnConfig::from_params(short_job(*model));
    ssn::Trainer trainer(config);
    ssn::TrainingState state = trainer.initial_state();
    for (int e = 0; e < 60; ++e) trainer.run_epoch(state);
    const std::string good = ssn::encode_checkpoint(state, "fp");

    const auto decoded = ssn::decode_checkpoint(good, "fp", config);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->epoch, 60);
    EXPECT_EQ(decoded->rng, state.rng);
    EXPECT_EQ(decoded->validations.size(), 2u);
    EXPECT_EQ(ssn::encode_checkpoint(*decoded, "fp"), good);

    EXPECT_FALSE(ssn::decode_checkpoint(good, "other", config).has_value());
    EXPECT_FALSE(ssn::decode_checkpoint(good.substr(0, good.size() - 1), "fp", config).has_value());
    EXPECT_FALSE(ssn::decode_checkpoint(good + "x", "fp", config).has_value());
    EXPECT_FALSE(ssn::decode_checkpoint("", "fp", config).has_value());
    EXPECT_FALSE(ssn::decode_checkpoint("{\"step\": 3}", "fp", config).has_value());
    std::string other_version = good;
    other_version[8] = static_cast<char>(other_version[8] + 1);
    EXPECT_FALSE(ssn::decode_checkpoint(other_version, "fp", config).has_value());
    ssn::SsnConfig bigger = config;
    bigger.dim = 5;
    EXPECT_FALSE(ssn::decode_checkpoint(good, "fp", bigger).has_value());
    ssn::SsnConfig shorter = config;
    shorter.num_epochs = 50;
    EXPECT_FALSE(ssn::decode_checkpoint(good, "fp", shorter).has_value());

    // A damaged file at the checkpoint path: the run starts over and still gives the right result.
    TempDir dir;
    const fs::path ckpt = dir.path / "job.ckpt";
    std::ofstream(ckpt, std::ios::binary) << good.substr(0, 100);
    int epochs = 0;
    const auto run = attempt(*model, short_job(*model), ckpt, -1, epochs);
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(epochs, 300);
    RunContext plain;
    expect_bitwise_equal(model->run(short_job(*model), plain), *run);
}

}  // namespace
}  // namespace sr
