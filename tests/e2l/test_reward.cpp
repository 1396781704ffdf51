// e2l.reward: the event-driven closed form against a literal step-by-step transcription of the
// patched iaf_psc_exp and usrl_synapse (NEST's update order), the reference's equal-fitness pairs,
// and the statistics of the published rules on the reference's inputs (tests/data/e2l/
// reward_evolution.h5 = the /evolution group of ../shared/reference/e2l/reward_driven.h5).
#include "core/models/e2l/e2l_model.hpp"
#include "core/models/e2l/reward_driven.hpp"
#include "core/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sr {
namespace {

Params fixture_params(const std::string& rule) {
    const ModelPtr model = make_e2l_reward_model();
    Params p = default_params(model->info());
    set_path(p, "inputs.file", std::string(E2L_TEST_DATA_DIR) + "/reward_evolution.h5");
    set_path(p, "rule", rule);
    return p;
}

double fitness(const Params& p) {
    RunContext context;
    return make_e2l_reward_model()->run(p, context).metrics.at("fitness");
}

// One trial, step by step in the order of iaf_psc_exp::update (patched) and USRLConnection::send:
// returns the eligibility traces at the end and the spike steps.
struct Literal {
    std::vector<double> E;
    std::vector<std::int64_t> spikes;
};
Literal literal_trial(const e2l::RewardConfig& c, const std::vector<std::vector<std::int64_t>>& generator_steps,
                      const std::vector<double>& w, const std::vector<double>& uniforms) {
    const double h = c.resolution;
    const std::int64_t n_steps = std::llround(c.duration / h), d = std::llround(c.delay / h);
    const std::size_t K = w.size();
    const double P11 = std::exp(-h / c.tau_syn), P22 = std::exp(-h / c.tau_m);
    const double P21 = c.tau_syn * c.tau_m / (c.C_m * (c.tau_m - c.tau_syn)) * (P22 - P11);
    const double PE = std::exp(-h / c.tau_E);
    // Parrot activity per step (a step with two generator spikes is one), then each path's delay.
    std::vector<std::vector<int>> parrot(K, std::vector<int>(static_cast<std::size_t>(n_steps + 3 * d), 0));
    for (std::size_t j = 0; j < K; ++j) {
        for (const std::int64_t m : generator_steps[j]) parrot[j][static_cast<std::size_t>(m + d - 1)] = 1;
    }
    double V = 0.0, I = 0.0;
    int ref = 0;
    std::vector<double> u(static_cast<std::size_t>(n_steps)), s(static_cast<std::size_t>(n_steps), 0.0);
    Literal out;
    for (std::int64_t k = 0; k < n_steps; ++k) {
        if (ref == 0) {
            V = V * P22 + I * P21;
        } else {
            --ref;
        }
        I *= P11;
        for (std::size_t j = 0; j < K; ++j) {
            if (k - 2 * d >= 0 && parrot[j][static_cast<std::size_t>(k - 2 * d)]) I += w[j];
        }
        u[static_cast<std::size_t>(k)] = c.E_L + V;
        const double phi = c.rho * std::exp((V - (c.V_th - c.E_L)) / c.delta);
        if (uniforms[static_cast<std::size_t>(k)] < phi * h * 1e-3) {
            ref = static_cast<int>(std::llround(c.t_ref / h));
            V = c.V_reset - c.E_L;
            s[static_cast<std::size_t>(k)] = 1.0;
            out.spikes.push_back(k);
        }
    }
    // The synapse runs a slice behind the neuron; the last slice is never delivered.
    out.E.assign(K, 0.0);
    for (std::size_t j = 0; j < K; ++j) {
        double psp = 0.0, i_syn = 0.0, E = 0.0;
        for (std::int64_t k = 0; k < n_steps - d; ++k) {
            psp = psp * P22 + i_syn * P21;
            i_syn *= P11;
            if (k - d >= 0 && parrot[j][static_cast<std::size_t>(k - d)]) i_syn += 1.0;
            const double phi = c.syn_rho * std::exp((u[static_cast<std::size_t>(k)] - c.syn_Theta) / c.syn_delta);
            E = E * PE + (1.0 - PE) / c.syn_delta * psp * (s[static_cast<std::size_t>(k)] - phi * h) * 1e9;
        }
        out.E[j] = E;
    }
    return out;
}

TEST(E2lReward, ClosedFormMatchesTheStepByStepNestOrder) {
    e2l::RewardConfig c;
    c.duration = 60.0;
    c.learning_rate = 1.0;
    const std::int64_t n_steps = 6000;
    Rng rng({7, 1});
    // 6 inputs at ~300 Hz with strong weights: the neuron spikes, resets and is refractory, inputs
    // arrive during the refractory period, and one input has two spikes in one step.
    const std::size_t K = 6;
    std::vector<std::vector<double>> trains(K);
    std::vector<std::vector<std::int64_t>> steps(K);
    for (std::size_t j = 0; j < K; ++j) {
        for (double t = 0.01 + rng.exponential(0.3); t < c.duration; t += rng.exponential(0.3)) {
            const auto m = static_cast<std::int64_t>(t / 0.01);
            trains[j].push_back(static_cast<double>(m) * 0.01);
            steps[j].push_back(m);
        }
    }
    trains[2].insert(trains[2].begin() + 3, trains[2][3]);
    steps[2].insert(steps[2].begin() + 3, steps[2][3]);
    std::vector<double> w = {3000.0, 2500.0, -1500.0, 4000.0, 800.0, 2000.0};
    std::vector<double> uniforms(static_cast<std::size_t>(n_steps));
    for (double& x : uniforms) x = rng.uniform_open0();

    std::vector<std::int32_t> connected(K);
    for (std::size_t j = 0; j < K; ++j) connected[j] = static_cast<std::int32_t>(j);
    e2l::RewardExperiment experiment;
    experiment.patterns.push_back(e2l::make_reward_pattern(trains, connected, c));
    experiment.labels = {1.0};
    experiment.initial_weights = w;
    experiment.pattern_order = {0};
    const e2l::RewardTask task(c, uniforms);
    const symbolic::Evaluator rule = symbolic::compile(symbolic::parse("x_1"), 2);  // w += E
    const e2l::RewardOutcome o = task.run(experiment, rule, true, [](double) {});

    const Literal expected = literal_trial(c, steps, w, uniforms);
    ASSERT_GE(expected.spikes.size(), 5u);
    EXPECT_EQ(o.spikes, static_cast<std::int64_t>(expected.spikes.size()));
    for (std::size_t j = 0; j < K; ++j) {
        const double E = o.weights[j] - w[j];
        EXPECT_NEAR(E, expected.E[j], 1e-9 * std::abs(expected.E[j]) + 1e-9) << "connection " << j;
    }
}

TEST(E2lReward, RulesEqualForRewardsOfPlusMinusOneScoreEqually) {
    // The reference's records: x_1/x_0 and x_0*x_1 both 43.4, -x_1 + x_1/x_0 and x_1*(x_0 - 1)
    // both 210.2 (R is +1 or -1, so 1/R = R); the frozen noise makes the fitness a function of the rule.
    auto quick = [](const std::string& rule) {
        Params p = fixture_params(rule);
        set_path(p, "inputs.experiments", Json::array({0, 3}));
        set_path(p, "n_trials", 100);
        return fitness(p);
    };
    EXPECT_EQ(quick("x_1/x_0"), quick("x_0*x_1"));
    EXPECT_EQ(quick("-x_1 + x_1/x_0"), quick("x_1*(x_0 - 1)"));
}

// The reference's evolution values: x_1*(x_0 - 1) 210.2 (validation 197.2 +- 60.5 per
// experiment), x_0*x_1 43.4, x_0 -7.0. NEST's connectivity and escape-noise draws cannot be
// reproduced, so the fitness is a random variable over our noise/connection seeds: over seeds
// 0-15 (bench_e2l --reward) its mean and standard deviation are 212.0 +- 24.1, 18.1 +- 13.9 and
// 6.2 +- 7.2. The test scores seeds 0 and 1 of the full task (10 experiments x 500 trials) and
// asserts their mean within 3 standard errors of the reference value.
TEST(E2lReward, PublishedRulesScoreLikeTheReference) {
    struct Case {
        const char* rule;
        double reference, sd_over_seeds;
    };
    const Case cases[] = {{"x_1*(x_0 - 1)", 210.2, 24.1}, {"x_0*x_1", 43.4, 13.9}, {"x_0", -7.0, 7.2}};
    const int seeds[] = {0, 1};
    double mean[3] = {0, 0, 0};
    for (int c = 0; c < 3; ++c) {
        for (const int seed : seeds) {
            Params p = fixture_params(cases[c].rule);
            set_path(p, "noise.seed", seed);
            set_path(p, "connections.seed", seed);
            mean[c] += fitness(p) / 2.0;
        }
        EXPECT_NEAR(mean[c], cases[c].reference, 3.0 * cases[c].sd_over_seeds / std::sqrt(2.0)) << cases[c].rule;
    }
    EXPECT_GT(mean[0], mean[1] + 100.0);
    EXPECT_GT(mean[1], mean[2]);
}

TEST(E2lReward, GeneratedInputsLearnToo) {
    // Without a file: our generator in sim.py's roles. Two experiments of 300 trials: the
    // REINFORCE rule gains reward, x_0 (no credit assignment) does not.
    const ModelPtr model = make_e2l_reward_model();
    Params p = default_params(model->info());
    set_path(p, "inputs.experiments", Json::array({0, 1}));
    set_path(p, "n_trials", 300);
    set_path(p, "rule", "x_1*(x_0 - 1)");
    const double reinforce = fitness(p);
    set_path(p, "rule", "x_0");
    const double reward_only = fitness(p);
    EXPECT_GT(reinforce, 60.0);
    EXPECT_LT(std::abs(reward_only), 60.0);
    EXPECT_EQ(fitness(p), reward_only);  // deterministic given the parameters
}

TEST(E2lReward, BadParametersNameTheirKey) {
    const ModelPtr model = make_e2l_reward_model();
    auto error_key = [&](Params p) -> std::string {
        try {
            model->validate(p);
            RunContext context;
            model->run(p, context);
        } catch (const ParamError& e) {
            return e.key + " | " + e.what();
        }
        return "no error";
    };
    Params p = fixture_params("x_2 * x_0");
    EXPECT_EQ(error_key(p).rfind("rule | unknown variable 'x_2'", 0), 0u) << error_key(p);
    p = fixture_params("x_0 +");
    EXPECT_EQ(error_key(p).rfind("rule |", 0), 0u);
    p = fixture_params("x_0");
    set_path(p, "inputs.experiments", Json::array({12}));
    EXPECT_NE(error_key(p).find("inputs.experiments | inputs.experiments: "), std::string::npos) << error_key(p);
    EXPECT_NE(error_key(p).find("no group '/evolution/exp_12'"), std::string::npos);
    p = fixture_params("x_0");
    set_path(p, "n_trials", 501);
    EXPECT_NE(error_key(p).find("stores 500 trials per experiment"), std::string::npos) << error_key(p);
    p = fixture_params("x_0");
    set_path(p, "inputs.K", 51);
    EXPECT_EQ(error_key(p).rfind("inputs.K |", 0), 0u) << error_key(p);
}

TEST(E2lReward, InvalidRuleScoresMinusInfinityUnsimulated) {
    Params p = fixture_params("x_1/(x_0 - x_0)");
    RunContext context;
    const Result r = make_e2l_reward_model()->run(p, context);
    EXPECT_EQ(r.metrics.at("fitness"), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(r.metrics.at("invalid_rule"), 1.0);
}

}  // namespace
}  // namespace sr
