// Unit tests of the microcircuit mechanisms against hand-computed values. Spiking is made
// deterministic where needed with potentials of +-1000: logistic(1000) == 1 and logistic(-1000) == 0
// in double precision, so such a neuron spikes whenever it is not refractory, or never.
#include "core/models/microcircuit/experiment.hpp"
#include "core/models/microcircuit/network.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace sr::microcircuit {
namespace {

constexpr double kOn = 1000.0;
constexpr double kOff = -1000.0;

NetworkConfig small_config(std::vector<std::size_t> dims = {1, 1, 1}) {
    NetworkConfig c;
    c.dims = std::move(dims);
    c.lambda_api = 0.0;
    c.lambda_nudge = 0.6;
    c.learning_lag = 0;
    c.lr_up.assign(c.dims.size() - 1, 0.0);
    c.lr_down.assign(c.dims.size() - 2, 0.0);
    c.n_last_spikes = 1;
    c.moving_average_size = 2;
    c.t_ref = 3;
    c.tau_syn = 2;
    return c;
}

std::vector<LayerWeights> scalar_weights(double w1, double w_down, double w2) {
    std::vector<LayerWeights> w(2);
    w[0].w_up = Matrix(1, 1, w1);
    w[0].w_down = Matrix(1, 1, w_down);
    w[1].w_up = Matrix(1, 1, w2);
    return w;
}

TEST(MicrocircuitMechanisms, LogisticEscapeRate) {
    const double log10 = std::log(10.0);
    EXPECT_DOUBLE_EQ(logistic(0.0, log10), 1.0 / 11.0);
    EXPECT_DOUBLE_EQ(logistic(log10, log10), 0.5);
    EXPECT_DOUBLE_EQ(logistic(-1.0, log10), 1.0 / (1.0 + 10.0 * std::exp(1.0)));
    EXPECT_EQ(logistic(kOn, log10), 1.0);
    EXPECT_EQ(logistic(kOff, log10), 0.0);
}

TEST(MicrocircuitMechanisms, MovingAverageStartsWithOneZeroSample) {
    MovingAverage avg(3);
    EXPECT_EQ(avg.value(), 0.0);
    avg.push(3.0);
    EXPECT_DOUBLE_EQ(avg.value(), 1.5);  // {0, 3}
    avg.push(6.0);
    EXPECT_DOUBLE_EQ(avg.value(), 3.0);  // {0, 3, 6}
    avg.push(9.0);
    EXPECT_DOUBLE_EQ(avg.value(), 6.0);  // {3, 6, 9}: the initial zero dropped out
    avg.push(0.0);
    EXPECT_DOUBLE_EQ(avg.value(), 5.0);  // {6, 9, 0}
    avg.push(3.0);
    EXPECT_DOUBLE_EQ(avg.value(), 4.0);  // {9, 0, 3}

    MovingAverage last_only(1);
    last_only.push(5.0);
    EXPECT_EQ(last_only.value(), 5.0);
    last_only.push(7.0);
    EXPECT_EQ(last_only.value(), 7.0);
}

PatternSettings pattern(const std::vector<double>& u_in, const std::vector<double>* target = nullptr) {
    PatternSettings p;
    p.u_in = &u_in;
    p.u_target = target;
    return p;
}

// Input forced to spike: refractory period t_ref = 3 gives spikes at 0, 3, 6; the rectangular PSP
// of tau_syn = 2 steps makes the hidden basal potential w * [1 1 0 1 1 0 1 1 0].
TEST(MicrocircuitMechanisms, RefractorinessAndRectangularPsp) {
    Network net(small_config(), 1);
    net.set_weights(scalar_weights(2.0, 0.0, 0.0));
    net.set_bias({{kOff}, {kOff}});
    const std::vector<double> u_in{kOn};
    net.pyramids(0).u[0] = kOn;  // the first step draws with the potential before any input
    const PatternSettings p = pattern(u_in);
    for (double psp : {1, 1, 0, 1, 1, 0, 1, 1, 0}) {
        const std::int64_t t = net.time();
        net.step(p, false);
        EXPECT_EQ(net.layer(1).v_bas[0], 2.0 * psp) << "t=" << t;
        EXPECT_EQ(net.pyramids(1).u[0], kOff + 2.0 * psp) << "t=" << t;
    }
    EXPECT_EQ(net.pyramids(0).count[0], 3.0);  // the maximum rate, one spike per t_ref
    EXPECT_EQ(net.pyramids(1).count[0], 0.0);
}

// With PSPs longer than the refractory period they overlap, and n_last_spks bounds how many count:
// t_ref = 2, tau_syn = 3, spikes at 0, 2, 4, ... -> PSP sums 1 1 2 1 2 1 2 with two spikes kept,
// and 1 1 1 1 1 1 1 with one.
TEST(MicrocircuitMechanisms, OverlappingPspsAreBoundedByNLastSpikes) {
    for (std::size_t n_last : {1, 2}) {
        NetworkConfig c = small_config();
        c.t_ref = 2;
        c.tau_syn = 3;
        c.n_last_spikes = n_last;
        Network net(c, 1);
        net.set_weights(scalar_weights(1.0, 0.0, 0.0));
        net.set_bias({{kOff}, {kOff}});
        const std::vector<double> u_in{kOn};
        net.pyramids(0).u[0] = kOn;
        const PatternSettings p = pattern(u_in);
        const std::vector<double> two = {1, 1, 2, 1, 2, 1, 2};
        for (double psp : two) {
            net.step(p, false);
            EXPECT_EQ(net.layer(1).v_bas[0], n_last == 2 ? psp : 1.0) << "n_last=" << n_last;
        }
    }
}

// Output nudging u = b + v_bas + lambda (u_tgt - <v_bas> - b), with <v_bas> the moving average
// (window 2, starting from one zero sample) *before* this step's v_bas enters it. The hidden neuron
// is forced to spike at 0, 3, 6, so v_bas = 0.5 * [1 1 0 1 1 0].
TEST(MicrocircuitMechanisms, OutputNudgingUsesThePreviousBasalAverage) {
    Network net(small_config(), 1);
    net.set_weights(scalar_weights(0.0, 0.0, 0.5));
    net.set_bias({{kOn}, {0.2}});
    net.pyramids(1).u[0] = kOn;
    const std::vector<double> u_in{0.0};
    const std::vector<double> target{1.5};
    const PatternSettings p = pattern(u_in, &target);
    // <v_bas> before each step: 0, (0+.5)/2, (.5+.5)/2, (.5+0)/2, (0+.5)/2, (.5+.5)/2
    const double avg_before[] = {0.0, 0.25, 0.5, 0.25, 0.25, 0.5};
    const double v_bas[] = {0.5, 0.5, 0.0, 0.5, 0.5, 0.0};
    for (int t = 0; t < 6; ++t) {
        net.step(p, false);
        const double expected = 0.2 + v_bas[t] + 0.6 * (1.5 - avg_before[t] - 0.2);
        EXPECT_DOUBLE_EQ(net.pyramids(2).u[0], expected) << "t=" << t;
    }
    // Without a target (the teacher) the output is just b + v_bas.
    const PatternSettings free_run = pattern(u_in);
    net.step(free_run, false);  // t = 6: hidden spikes again
    EXPECT_DOUBLE_EQ(net.pyramids(2).u[0], 0.2 + 0.5);
}

// Forward plasticity: W_up[i][j] += lr (phi(<u_i>) - phi(<v_bas_i> + b_i)) exactly at the steps
// after a spike of presynaptic j. Window 1 makes the averages the current values.
TEST(MicrocircuitMechanisms, ForwardPlasticityFollowsPresynapticSpikesAtTheStepBefore) {
    NetworkConfig c = small_config();
    c.moving_average_size = 1;
    c.lambda_api = 0.5;
    c.lr_up = {0.1, 0.05};
    Network net(c, 7);
    net.set_weights(scalar_weights(0.5, 1.0, 1.0));
    net.set_bias({{0.0}, {0.0}});
    net.apply_self_predicting();
    const std::vector<double> u_in{kOn};
    const std::vector<double> target{1.0};
    net.pyramids(0).u[0] = kOn;
    const PatternSettings p = pattern(u_in, &target);
    const double log_t_ref = std::log(3.0);
    int input_updates = 0, hidden_updates = 0;
    for (int n = 0; n < 600; ++n) {
        const std::int64_t t = net.time();
        const bool input_before = net.pyramids(0).newest(0) == t - 1;
        const bool hidden_before = net.pyramids(1).newest(0) == t - 1;
        const double w1 = net.layer(1).w_up(0, 0);
        const double w2 = net.layer(2).w_up(0, 0);
        net.step(p, true);
        // Window 1: the averages are this step's values (up to the running-sum rounding).
        const Layer& hidden = net.layer(1);
        const Layer& out = net.layer(2);
        EXPECT_NEAR(hidden.u_avg[0].value(), net.pyramids(1).u[0], 1e-12);
        EXPECT_NEAR(out.v_bas_avg[0].value(), out.v_bas[0], 1e-12);
        const double d1 = 0.1 * (logistic(hidden.u_avg[0].value(), log_t_ref) -
                                 logistic(hidden.v_bas_avg[0].value() + 0.0, log_t_ref));
        const double d2 = 0.05 * (logistic(out.u_avg[0].value(), log_t_ref) -
                                  logistic(out.v_bas_avg[0].value() + 0.0, log_t_ref));
        EXPECT_EQ(net.layer(1).w_up(0, 0), input_before ? w1 + d1 : w1) << "t=" << t;
        EXPECT_EQ(net.layer(2).w_up(0, 0), hidden_before ? w2 + d2 : w2) << "t=" << t;
        input_updates += input_before;
        hidden_updates += hidden_before;
        // The self-predicting interneuron weights follow W_up of the layer above.
        EXPECT_EQ(net.layer(1).w_ip(0, 0), net.layer(2).w_up(0, 0));
        EXPECT_EQ(net.layer(1).w_pi(0, 0), -net.layer(1).w_down(0, 0));
    }
    EXPECT_EQ(input_updates, 200);  // input spikes at t % 3 == 0
    EXPECT_GT(hidden_updates, 20);
}

// Backprop: W_down is the transpose of W_up above after every plasticity step (here 2-3-2).
TEST(MicrocircuitMechanisms, BackpropCopiesTransposedForwardWeights) {
    NetworkConfig c = small_config({2, 3, 2});
    c.lr_up = {0.1, 0.1};
    Network net(c, 3);
    InitialParameters init;
    net.set_weights(draw_random_weights(init, c.dims, 11));
    net.set_bias({{0.0, 0.0, 0.0}, {0.0, 0.0}});
    const std::vector<double> u_in{1.0, -1.0};
    const std::vector<double> target{0.5, 0.5};
    PatternSettings p = pattern(u_in, &target);
    p.copy_feedback = true;
    p.set_sps = true;
    for (int n = 0; n < 50; ++n) net.step(p, true);
    const Layer& hidden = net.layer(1);
    const Layer& out = net.layer(2);
    for (std::size_t r = 0; r < 3; ++r) {
        for (std::size_t col = 0; col < 2; ++col) {
            EXPECT_EQ(hidden.w_down(r, col), out.w_up(col, r));
            EXPECT_EQ(hidden.w_pi(r, col), -out.w_up(col, r));
            EXPECT_EQ(hidden.w_ip(col, r), out.w_up(col, r));
        }
    }
}

// STDP on W_down at t = 100 (post = hidden pyramids, pre = pyramids above), lr 0.1,
// a_causal -1 / tau 10, a_anticausal +1 / tau 5:
//   post 0 spikes at t, pre 0 last at 96  -> causal     -0.1 exp(-4/10)
//   pre 1 spikes at t, post 1 last at 97  -> anticausal +0.1 exp(-3/5)
//   post 0 and pre 1 both at t            -> anticausal trace of post 0 before t: none -> 0
//   post 1 and pre 0 silent at t          -> 0
TEST(MicrocircuitMechanisms, StdpOnFeedbackWeights) {
    NetworkConfig c = small_config({1, 2, 2});
    c.stdp_a_causal = -1.0;
    c.stdp_tau_causal = 10.0;
    c.stdp_a_anticausal = 1.0;
    c.stdp_tau_anticausal = 5.0;
    Population post(2, 1), pre(2, 1);
    post.record_spike(0, 100);
    post.record_spike(1, 97);
    pre.record_spike(0, 96);
    pre.record_spike(1, 100);
    Matrix w(2, 2, 1.0);
    apply_stdp(w, 0.1, post, pre, 100, c);
    EXPECT_DOUBLE_EQ(w(0, 0), 1.0 - 0.1 * std::exp(-0.4));
    EXPECT_DOUBLE_EQ(w(0, 1), 1.0);
    EXPECT_DOUBLE_EQ(w(1, 0), 1.0);
    EXPECT_DOUBLE_EQ(w(1, 1), 1.0 + 0.1 * std::exp(-0.6));

    // Two remembered spikes: traces sum over both and are divided by n_last = 2.
    c.n_last_spikes = 2;
    Population post2(2, 2), pre2(2, 2);
    post2.record_spike(0, 90);
    post2.record_spike(0, 100);
    pre2.record_spike(0, 80);
    pre2.record_spike(0, 96);
    pre2.record_spike(1, 95);
    pre2.record_spike(1, 100);
    Matrix w2(2, 2, 0.0);
    apply_stdp(w2, 0.1, post2, pre2, 100, c);
    EXPECT_DOUBLE_EQ(w2(0, 0), -0.1 * (std::exp(-2.0) + std::exp(-0.4)) / 2.0);
    EXPECT_DOUBLE_EQ(w2(0, 1), 0.1 * std::exp(-10.0 / 5.0) / 2.0);  // post 0's spike at 90
    EXPECT_EQ(w2(1, 0), 0.0);
    EXPECT_EQ(w2(1, 1), 0.0);  // post 1 never spiked
}

// Symmetrization: lambda_api = 1 and no interneuron input while it lasts, then back to the
// self-predicting state.
TEST(MicrocircuitMechanisms, SymmetrizationPhaseSwitchesApicalInput) {
    NetworkConfig c = small_config();
    c.lambda_api = 0.02;
    Network net(c, 5);
    net.set_weights(scalar_weights(0.0, 0.7, 1.3));
    net.set_bias({{kOff}, {kOn}});
    net.apply_self_predicting();
    EXPECT_EQ(net.layer(1).w_pi(0, 0), -0.7);
    EXPECT_EQ(net.layer(1).w_ip(0, 0), 1.3);

    net.begin_symmetrization();
    EXPECT_EQ(net.layer(1).lambda_api, 1.0);
    EXPECT_EQ(net.layer(1).w_pi(0, 0), 0.0);
    EXPECT_EQ(net.layer(1).w_ip(0, 0), 0.0);
    // The output is forced to spike at t = 0: the hidden apical potential is W_down * 1.
    net.pyramids(2).u[0] = kOn;
    const std::vector<double> u_in{0.0};
    net.step(pattern(u_in), false);
    EXPECT_DOUBLE_EQ(net.pyramids(1).u[0], kOff + 1.0 * 0.7);

    net.end_symmetrization();
    EXPECT_EQ(net.layer(1).lambda_api, 0.02);
    EXPECT_EQ(net.layer(1).w_pi(0, 0), -0.7);
    EXPECT_EQ(net.layer(1).w_ip(0, 0), 1.3);
}

// During symmetrization only W_down learns (STDP, if lr_down != 0); forward weights stay.
TEST(MicrocircuitMechanisms, SymmetrizationLearnsFeedbackOnly) {
    for (double lr_down : {0.0, 0.01}) {
        NetworkConfig c = small_config();
        c.lr_up = {0.2, 0.2};
        c.lr_down = {lr_down};
        Network net(c, 9);
        net.set_weights(scalar_weights(1.0, -0.5, 2.0));
        net.set_bias({{0.0}, {0.0}});
        net.apply_self_predicting();
        const std::vector<double> u_in{1.0};
        const std::vector<double> target{0.5};
        PatternSettings p = pattern(u_in, &target);
        p.plasticity_up = true;
        p.symmetrization = true;
        p.steps = 3000;
        net.run_pattern(p);
        EXPECT_EQ(net.layer(1).w_up(0, 0), 1.0);
        EXPECT_EQ(net.layer(2).w_up(0, 0), 2.0);
        if (lr_down == 0.0) {
            EXPECT_EQ(net.layer(1).w_down(0, 0), -0.5);  // feedback alignment: frozen
        } else {
            // W_up above is positive: output spikes follow hidden ones, the anticausal term wins.
            EXPECT_GT(net.layer(1).w_down(0, 0), -0.5);
        }
        EXPECT_EQ(net.layer(1).w_pi(0, 0), -net.layer(1).w_down(0, 0));
    }
}

// The readout averages the output potential over the steps after the learning lag, and forward
// plasticity waits for the lag too. Hidden forced to spike at 0, 3, 6 (PSP 1 1 0 ...), output
// u = 0.1 + 0.5 psp: over 9 steps after lag 3 the mean PSP is 4/6, after lag 2 it is 4/7.
TEST(MicrocircuitMechanisms, LearningLagGatesReadoutAndPlasticity) {
    for (std::int64_t lag : {2, 3}) {
        NetworkConfig c = small_config();
        c.learning_lag = lag;
        Network net(c, 1);
        net.set_weights(scalar_weights(0.0, 0.0, 0.5));
        net.set_bias({{kOn}, {0.1}});
        net.pyramids(1).u[0] = kOn;
        const std::vector<double> u_in{0.0};
        PatternSettings p = pattern(u_in);
        p.steps = 9;
        const std::vector<double> u_out = net.run_pattern(p);
        EXPECT_DOUBLE_EQ(u_out[0], 0.1 + 0.5 * (lag == 3 ? 4.0 / 6.0 : 4.0 / 7.0));
    }
    // Input spikes at 0, 3, 6: with lag 7 the spike at 6 updates W_up at t = 7; with lag 8 nothing.
    // (A spiking output and lambda_api > 0 make <u> differ from <v_bas>, so the update is nonzero.)
    for (std::int64_t lag : {7, 8}) {
        NetworkConfig c = small_config();
        c.learning_lag = lag;
        c.lambda_api = 0.5;
        c.lr_up = {0.5, 0.0};
        Network net(c, 1);
        net.set_weights(scalar_weights(1.0, 1.0, 0.0));
        net.set_bias({{0.0}, {kOn}});
        net.pyramids(0).u[0] = kOn;
        const std::vector<double> u_in{kOn};
        const std::vector<double> target{0.0};
        PatternSettings p = pattern(u_in, &target);
        p.steps = 9;
        p.plasticity_up = true;
        net.run_pattern(p);
        if (lag == 7) {
            EXPECT_NE(net.layer(1).w_up(0, 0), 1.0);
        } else {
            EXPECT_EQ(net.layer(1).w_up(0, 0), 1.0);
        }
    }
}

// Hand-computed steady state: a hidden neuron with constant potential b = -1 spikes with
// p = logistic(-1) per free step; after a spike it is refractory for t_ref - 1 steps, so the mean
// interval is t_ref - 1 + 1/p and the PSP is on a fraction tau_syn / (t_ref - 1 + 1/p) of the time.
// The (teacher-like, unnudged) output averages b_out + w psp. 400,000 steps: about 10,800 spikes,
// relative standard error of the fraction ~0.7%; tolerance 3%.
TEST(MicrocircuitMechanisms, EscapeNoiseRateMatchesRenewalTheory) {
    NetworkConfig c = small_config();
    c.t_ref = 10;
    c.tau_syn = 10;
    Network net(c, 2024);
    net.set_weights(scalar_weights(0.0, 0.0, 2.0));
    net.set_bias({{-1.0}, {-1.0}});
    const std::vector<double> u_in{0.0};
    PatternSettings p = pattern(u_in);
    p.steps = 400000;
    const double u_out = net.run_pattern(p)[0];
    const double prob = 1.0 / (1.0 + 10.0 * std::exp(1.0));
    const double fraction = 10.0 / (9.0 + 1.0 / prob);
    EXPECT_NEAR((u_out + 1.0) / 2.0, fraction, 0.03 * fraction);
    EXPECT_NEAR(net.pyramids(1).count[0] / 400000.0, 1.0 / (9.0 + 1.0 / prob), 0.03 * fraction / 10.0);
}

TEST(MicrocircuitMechanisms, ScheduleCyclesOrShufflesWithReplacement) {
    SimulationSettings s;
    s.len_epoch = 5;
    s.len_symmetrization = 2;
    s.len_validation = 3;
    s.num_epochs = 2;
    s.shuffle_training = false;
    s.shuffle_validation = false;
    const Schedule ordered = make_schedule(s, 3, 2);
    const std::vector<std::size_t> expected = {0, 1, 2, 0, 1, 0, 1, 0, 0, 1, 2, 0, 1, 0, 1, 0};
    EXPECT_EQ(ordered.pattern, expected);
    using enum Phase;
    const std::vector<Phase> phases = {training, training, training, symmetrization, symmetrization,
                                       validation, validation, validation};
    std::vector<Phase> both = phases;
    both.insert(both.end(), phases.begin(), phases.end());
    EXPECT_EQ(ordered.phase, both);

    // Shuffled: drawn with replacement, so an epoch of 8 from 8 patterns nearly always repeats one.
    s.shuffle_training = true;
    s.len_epoch = 8;
    s.len_symmetrization = 0;
    s.num_epochs = 2000;
    s.training_seed = 42;
    const Schedule shuffled = make_schedule(s, 8, 2);
    std::vector<int> histogram(8, 0);
    int epochs_with_repeats = 0;
    for (std::int64_t e = 0; e < s.num_epochs; ++e) {
        std::set<std::size_t> seen;
        for (std::int64_t i = 0; i < 8; ++i) {
            const std::size_t idx = shuffled.pattern[static_cast<std::size_t>(e * 11 + i)];
            ASSERT_LT(idx, 8u);
            ++histogram[idx];
            seen.insert(idx);
        }
        epochs_with_repeats += seen.size() < 8;
        // Validation stays ordered.
        EXPECT_EQ(shuffled.pattern[static_cast<std::size_t>(e * 11 + 8)], 0u);
    }
    // P(8 draws from 8 all distinct) = 8!/8^8 = 0.24%.
    EXPECT_GT(epochs_with_repeats, 1950);
    for (int count : histogram) EXPECT_NEAR(count, 2000, 200);  // 16,000 draws / 8, sd ~42
    EXPECT_EQ(make_schedule(s, 8, 2).pattern, shuffled.pattern);
    s.training_seed = 43;
    EXPECT_NE(make_schedule(s, 8, 2).pattern, shuffled.pattern);
}

TEST(MicrocircuitMechanisms, RandomWeightsWithinLimitsAndReproducible) {
    InitialParameters init;
    init.up_low = -1.0;
    init.up_high = 2.0;
    init.down_low = 5.0;
    init.down_high = 6.0;
    const std::vector<std::size_t> dims = {2, 3, 4, 1};
    const std::vector<LayerWeights> w = draw_random_weights(init, dims, 7);
    ASSERT_EQ(w.size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) {
        ASSERT_TRUE(w[k].w_up);
        EXPECT_EQ(w[k].w_up->rows, dims[k + 1]);
        EXPECT_EQ(w[k].w_up->cols, dims[k]);
        for (double v : w[k].w_up->values) {
            EXPECT_GE(v, -1.0);
            EXPECT_LT(v, 2.0);
        }
        EXPECT_EQ(w[k].w_down.has_value(), k < 2);
        if (w[k].w_down) {
            EXPECT_EQ(w[k].w_down->rows, dims[k + 1]);
            EXPECT_EQ(w[k].w_down->cols, dims[k + 2]);
            for (double v : w[k].w_down->values) {
                EXPECT_GE(v, 5.0);
                EXPECT_LT(v, 6.0);
            }
        }
    }
    EXPECT_EQ(draw_random_weights(init, dims, 7)[1].w_up->values, w[1].w_up->values);
    EXPECT_NE(draw_random_weights(init, dims, 8)[1].w_up->values, w[1].w_up->values);
}

TEST(MicrocircuitMechanisms, PatternLossIsMeanSquaredError) {
    EXPECT_DOUBLE_EQ(pattern_loss({1.0, 2.0}, {0.0, 4.0}), (1.0 + 4.0) / 2.0);
}

}  // namespace
}  // namespace sr::microcircuit
