#include "core/models/spikegd/rnn.hpp"

#include "core/models/spikegd/jax_random.hpp"
#include "core/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace sr::spikegd {

namespace {
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double kTinit = 10.0;  // the reference discards the first 10 time units of input
}  // namespace

RnnTask make_rnn_task(const RnnConfig& c) {
    const int N = c.N, Nin = 2 * N;
    const auto L = static_cast<std::size_t>(5 * (c.T + kTinit) * c.r_in);
    auto keys = jax::split(jax::prng_key(c.seed), 2);
    auto exc = jax::exponential(keys[1], N * L);
    keys = jax::split(keys[0], 2);
    auto inh = jax::exponential(keys[1], N * L);
    RnnTask task;
    std::vector<QifInput> all;
    for (int i = 0; i < Nin; ++i) {
        const bool excitatory = i < N;
        const std::vector<double>& isi = excitatory ? exc : inh;
        const double scale = excitatory ? c.r_in : 1 / c.r_in;
        double t = 0;
        int kept = 0;
        for (std::size_t k = 0; k < L; ++k) {
            t += scale * isi[(i % N) * L + k];
            if (t > kTinit) {
                all.push_back({t - kTinit, i, -1});
                ++kept;
            }
        }
        // Rows are padded with infinite times; they never arrive.
        for (std::size_t k = kept; k < L; ++k) all.push_back({inf, i, -1});
    }
    std::stable_sort(all.begin(), all.end(), [](const QifInput& a, const QifInput& b) { return a.time < b.time; });
    while (!all.empty() && std::isinf(all.back().time)) all.pop_back();
    task.inputs = std::move(all);

    task.w_in.assign(static_cast<std::size_t>(N) * Nin, 0.0);
    for (int n = 0; n < N; ++n) {
        task.w_in[n * Nin + n] = c.w_in_exc;
        task.w_in[n * Nin + N + n] = c.w_in_inh;
    }

    keys = jax::split(keys[0], 2);
    const auto Lt = static_cast<std::size_t>(2.5 * c.T);
    const auto isi = jax::exponential(keys[1], c.Ntar * Lt);
    for (int i = 0; i < c.Ntar; ++i) {
        std::vector<double> train;
        double t = 0;
        for (std::size_t k = 0; k < Lt; ++k) {
            double d = isi[i * Lt + k] / c.r_targets[i];
            if (k > 0) d += 1;  // a refractory unit between target spikes
            t += d;
            if (t < c.T) train.push_back(t);
        }
        train.push_back(1.1 * c.T);
        task.targets.push_back(std::move(train));
    }
    return task;
}

int rnn_param_count(const RnnConfig& c) { return c.N * (c.N - 1) + 2 * c.N; }

std::vector<double> rnn_initial_params(const RnnConfig& c) {
    return std::vector<double>(rnn_param_count(c), 0.0);
}

QifTrialSpec rnn_spec(const RnnConfig& c, const RnnTask& task, const std::vector<double>& p, bool with_tangents) {
    const int N = c.N;
    QifTrialSpec s;
    s.N = N;
    s.Nin = 2 * N;
    s.T = c.T;
    s.K = c.K;
    s.P = with_tangents ? rnn_param_count(c) : 0;
    s.w_net.assign(static_cast<std::size_t>(N) * N, 0.0);
    s.w_net_param.assign(static_cast<std::size_t>(N) * N, -1);
    for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) {
            if (i == j) continue;
            const int idx = i * (N - 1) + (j < i ? j : j - 1);
            s.w_net[i * N + j] = p[idx];
            s.w_net_param[i * N + j] = idx;
        }
    s.w_in = task.w_in;
    s.inputs = task.inputs;
    const int off = N * (N - 1);
    for (int i = 0; i < N; ++i) {
        s.V0.push_back(p[off + i]);
        s.V0_param.push_back(off + i);
        s.I0.push_back(p[off + N + i]);
        s.I0_param.push_back(off + N + i);
    }
    for (int i = 0; i < c.Ntar; ++i) s.record.push_back(static_cast<int>(task.targets[i].size()));
    return s;
}

RnnEval rnn_eval(const RnnConfig& c, const RnnTask& task, const std::vector<double>& p, bool with_gradient) {
    const QifTrialSpec spec = rnn_spec(c, task, p, with_gradient);
    const int N = c.N, P = spec.P;
    RnnEval e;
    e.trial = simulate_qif(c.neuron, spec);
    const QifTrial& tr = e.trial;

    // Pseudo rates of all neurons with the pseudo current I + (-I) = 0 (only V's tangent enters).
    std::vector<double> rate(N), drate_dV(N);
    for (int j = 0; j < N; ++j) {
        const Local r = qif_pseudo_rate(c.neuron, tr.V_end[j], tr.I_end[j] + (-tr.I_end[j]));
        rate[j] = r.v;
        drate_dV[j] = r.d[0];
    }
    std::size_t total = 0;
    for (const auto& t : task.targets) total += t.size();
    e.grad.assign(P, 0.0);
    std::vector<double> dinput(P);
    for (int i = 0; i < c.Ntar; ++i) {
        double input = 0;
        std::fill(dinput.begin(), dinput.end(), 0.0);
        for (int j = 0; j < N; ++j) {
            const double w = spec.w_net[i * N + j];
            input += w * rate[j];
            if (P == 0) continue;
            if (const int pw = spec.w_net_param[i * N + j]; pw >= 0) dinput[pw] += rate[j];
            const double a = w * drate_dV[j];
            const double* dV = &tr.dV_end[static_cast<std::size_t>(j) * P];
            for (int q = 0; q < P; ++q) dinput[q] += a * dV[q];
        }
        const auto& target = task.targets[i];
        const int n = static_cast<int>(target.size());
        const OutputTimes out = output_times(c.neuron, tr, i, n, input, P ? dinput.data() : nullptr, P, c.T);
        // Squared relative errors; the last target (at 1.1 T) only penalises early spikes.
        for (int m = 0; m < n; ++m) {
            const double scale = target[m] + 2;
            const double r = (out.t[m] - target[m]) / scale;
            if (m == n - 1 && !(out.t[m] < target[m])) continue;
            e.loss += r * r;
            for (int q = 0; q < P; ++q) e.grad[q] += 2 * r / scale * out.dt[m * P + q];
        }
        e.t_out.push_back(out.t);
    }
    e.loss /= static_cast<double>(total);
    for (double& g : e.grad) g /= static_cast<double>(total);
    return e;
}

RnnRun train_rnn(const RnnConfig& c, const std::function<void(int)>& between_trials) {
    if (c.mode != "normal" && c.mode != "grid")
        throw std::invalid_argument("mode must be 'normal' or 'grid', not '" + c.mode + "'");
    const RnnTask task = make_rnn_task(c);
    std::vector<double> p = rnn_initial_params(c);
    const auto schedule = c.lr_decay_steps > 0
                              ? optim::Schedule::exponential_decay(c.lr, c.lr_decay_steps, c.lr_decay_rate)
                              : optim::Schedule::constant(c.lr);
    optim::Optimizer<double> opt(optim::Config::adabelief(schedule, c.b1, c.b2), p.size());
    std::vector<double> grid(c.grid_n);
    for (int g = 0; g < c.grid_n; ++g)
        grid[g] = std::pow(10.0, c.grid_min_exp + (c.grid_max_exp - c.grid_min_exp) * g / std::max(1, c.grid_n - 1));

    RnnRun run;
    run.p_initial = p;
    run.t_out.resize(c.Ntar);
    std::vector<double> u(p.size()), candidate(p.size());
    for (int trial = 0; trial <= c.Ntrial; ++trial) {
        if (between_trials) between_trials(trial);
        RnnEval e = rnn_eval(c, task, p, true);
        run.loss.push_back(e.loss);
        for (int i = 0; i < c.Ntar; ++i) run.t_out[i].insert(run.t_out[i].end(), e.t_out[i].begin(), e.t_out[i].end());
        if (trial == 0) run.first = e.trial;
        if (trial == c.Ntrial) run.last = std::move(e.trial);
        opt.updates(e.grad, u);
        if (c.mode == "normal") {
            for (std::size_t k = 0; k < p.size(); ++k) p[k] += u[k];
            continue;
        }
        // Grid mode: the lowest loss among step lengths that keep every output spike within dt_max.
        int best = 0;
        double best_loss = inf;
        for (int g = 0; g < c.grid_n; ++g) {
            for (std::size_t k = 0; k < p.size(); ++k) candidate[k] = p[k] + u[k] * grid[g];
            try {
                const RnnEval ce = rnn_eval(c, task, candidate, false);
                bool close = true;
                for (int i = 0; i < c.Ntar && close; ++i)
                    for (std::size_t m = 0; m < ce.t_out[i].size(); ++m)
                        close = close && std::abs(e.t_out[i][m] - ce.t_out[i][m]) < c.dt_max;
                if (close && ce.loss < best_loss) {
                    best_loss = ce.loss;
                    best = g;
                }
            } catch (const EventLimitExceeded&) {
                // The reference's NaN times fail the dt_max test: not a candidate.
            }
        }
        for (std::size_t k = 0; k < p.size(); ++k) p[k] = p[k] + u[k] * grid[best];
    }
    run.p_final = p;
    return run;
}

}  // namespace sr::spikegd
