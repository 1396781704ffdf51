#include "core/models/spikegd/single.hpp"

#include "core/models/spikegd/jax_random.hpp"
#include "core/optim/optimizer.hpp"

#include <algorithm>

namespace sr::spikegd {

SingleTask make_single_task(const SingleConfig& c) {
    // key, subkey1, subkey2, subkey3 = split(PRNGKey(seed), 4)
    const auto keys = jax::split(jax::prng_key(c.seed), 4);
    const std::size_t n = static_cast<std::size_t>(c.Nin - c.Ntrain);
    return SingleTask{jax::uniform(keys[1], n, 0.0, c.T), jax::normal(keys[2], n)};
}

QifTrialSpec single_spec(const SingleConfig& c, const SingleTask& task, const std::vector<double>& p,
                         bool with_tangents) {
    QifTrialSpec s;
    s.N = 1;
    s.Nin = c.Nin;
    s.T = c.T;
    s.K = c.K;
    s.P = with_tangents ? 2 * c.Ntrain : 0;
    s.w_net = {0.0};
    s.V0 = {0.0};
    s.I0 = {0.0};
    s.record = {static_cast<int>(c.t_targets.size())};
    for (int i = 0; i < c.Nin; ++i) {
        const bool trained = i < c.Ntrain;
        s.w_in.push_back(trained ? p[i] : task.weights[i - c.Ntrain]);
        s.w_in_param.push_back(trained ? i : -1);
        s.inputs.push_back({trained ? p[c.Ntrain + i] : task.times[i - c.Ntrain], i, trained ? c.Ntrain + i : -1});
    }
    return s;
}

SingleEval single_eval(const SingleConfig& c, const SingleTask& task, const std::vector<double>& p) {
    const QifTrialSpec spec = single_spec(c, task, p, true);
    SingleEval e;
    e.trial = simulate_qif(c.neuron, spec);
    const int n = static_cast<int>(c.t_targets.size()), P = spec.P;
    const OutputTimes out = output_times(c.neuron, e.trial, 0, n, 0.0, nullptr, P, c.T);
    e.t_out = out.t;
    e.grad.assign(P, 0.0);
    // loss = mean((t_out - target)^2)
    for (int m = 0; m < n; ++m) {
        const double diff = out.t[m] - c.t_targets[m];
        e.loss += diff * diff;
        for (int q = 0; q < P; ++q) e.grad[q] += 2 * diff / n * out.dt[m * P + q];
    }
    e.loss /= n;
    return e;
}

SingleRun train_single(const SingleConfig& c, const std::function<void(int)>& between_trials) {
    const SingleTask task = make_single_task(c);
    std::vector<double> p(2 * c.Ntrain, 0.0);
    std::copy(c.t_init.begin(), c.t_init.end(), p.begin() + c.Ntrain);
    auto config = optim::Config::sgd(optim::Schedule::constant(c.lr));
    config.clip = c.clip;
    optim::Optimizer<double> opt(config, p.size());
    SingleRun run;
    for (int trial = 0; trial < c.Ntrial; ++trial) {
        if (between_trials) between_trials(trial);
        const SingleEval e = single_eval(c, task, p);
        run.loss.push_back(e.loss);
        run.t_out.insert(run.t_out.end(), e.t_out.begin(), e.t_out.end());
        run.p.insert(run.p.end(), p.begin(), p.end());
        run.grad.insert(run.grad.end(), e.grad.begin(), e.grad.end());
        opt.step(p, e.grad);
        for (int i = 0; i < c.Ntrain; ++i) p[c.Ntrain + i] = std::clamp(p[c.Ntrain + i], 0.0, c.T);
    }
    run.p_final = p;
    return run;
}

}  // namespace sr::spikegd
