#include "core/models/e2l/error_driven.hpp"

#include "core/models/e2l/e2l_model.hpp"
#include "core/models/e2l/model_support.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace sr::e2l {
namespace {

// iaf_psc_exp with exact integration, V_m relative to E_L (reset_after_spike = False: escape
// noise spikes change nothing; no current input). Weights >= 0 go to the excitatory current.
struct IafPscExp {
    double P22, P11, P21;
    double V = 0.0, i_ex = 0.0, i_in = 0.0;

    IafPscExp(double tau_m, double C_m, double tau_syn, double h)
        : P22(std::exp(-h / tau_m)), P11(std::exp(-h / tau_syn)), P21(propagator_32(tau_syn, tau_m, C_m, h)) {}

    void step(double arriving_ex, double arriving_in) {
        V = V * P22 + i_ex * P21 + i_in * P21;
        i_ex *= P11;
        i_in *= P11;
        i_ex += arriving_ex;
        i_in += arriving_in;
    }
};

struct Steps {
    std::int64_t slice;   // min-delay slice = every connection's delay
    std::int64_t chunk;   // one Simulate(t_sim_step) call
    std::int64_t last;    // last step updated: the first Simulate(h) is step 0, then t_sim
    std::int64_t record;  // multimeter interval
};

Steps steps_of(const ErrorDrivenConfig& c) {
    const Grid grid(c.resolution);
    Steps s{grid.steps(c.delay), grid.steps(c.t_sim_step), grid.steps(c.t_sim), grid.steps(c.record_interval)};
    if (s.slice < 1 || s.record < 1) throw std::invalid_argument("delay and record_interval must be at least one step");
    // One call end per slice at most: the delivery effects below assume it.
    if (s.chunk < s.slice) throw std::invalid_argument("t_sim_step must be at least the delay");
    if (s.last % s.chunk != 0) throw std::invalid_argument("t_sim must be a multiple of t_sim_step");
    return s;
}

// A step is stale when a Simulate call ends inside its slice at or after it: the next call's
// update of that slice resets the time-driven nodes' per-slice buffers (the parrot's activity,
// the student's u) and overwrites the secondary event the first part had sent.
bool stale(std::int64_t n, const Steps& s) {
    const std::int64_t slice_end = (n / s.slice + 1) * s.slice - 1;
    if (n == 0) return s.slice > 1;  // the first call, Simulate(h), ends at step 0
    // The call ends at multiples of chunk; the first such end >= n.
    const std::int64_t end = ((n + s.chunk - 1) / s.chunk) * s.chunk;
    return end < slice_end && end <= s.last;
}

// us_sympy_synapse's own PSP model and plasticity filter (init_propagators).
struct SynapseConstants {
    double P11, P22, P21, PI, eta, h;
};
struct Synapses {
    std::vector<double> weight, I, psp, i_syn;
};
// One slice's buffers, lag-major ([lag][synapse]).
struct SliceArrays {
    const double* unit_due;  // unit spikes reaching the synapses' PSP in this slice
    double* unit_next;
    const char* active;      // parrot activity of the slice being delivered
    const double* u;         // [lag]
    double* u_wide;
    double* psp_trace;
    double* delta;
    double* ex_next;         // student input of the next slice, [lag]
    double* in_next;
};

// The synapses' send() for one slice: per lag, propagate the PSP and take the unit spike due,
// evaluate the rule, low-pass it into I and update the weight; a spike carries the weight as at
// the start of send(). N > 0 fixes the synapse count at compile time, so the state stays in
// registers and the synapses' independent recurrences interleave (N = 0: any count).
template <std::size_t N>
void send_slice(Synapses& syn, std::size_t n_dynamic, std::size_t L, const SliceArrays& a,
                const symbolic::Evaluator& rule, double u_target, const SynapseConstants& c) {
    constexpr std::size_t kMax = N > 0 ? N : 64;
    const std::size_t n = N > 0 ? N : n_dynamic;
    double psp[kMax], i_syn[kMax], I[kMax], w[kMax], w_sent[kMax];
    for (std::size_t k = 0; k < n; ++k) {
        psp[k] = syn.psp[k];
        i_syn[k] = syn.i_syn[k];
        I[k] = syn.I[k];
        w[k] = w_sent[k] = syn.weight[k];
    }
    for (std::size_t lag = 0; lag < L; ++lag) {
        for (std::size_t k = 0; k < n; ++k) {
            psp[k] = psp[k] * c.P22 + i_syn[k] * c.P21;
            i_syn[k] *= c.P11;
            i_syn[k] += a.unit_due[lag * n + k];
            a.psp_trace[lag * n + k] = psp[k];
            a.u_wide[lag * n + k] = a.u[lag];
        }
    }
    const double* x[3] = {&u_target, a.u_wide, a.psp_trace};
    const std::size_t strides[3] = {0, 1, 1};
    rule.batch(x, strides, n * L, a.delta);
    for (std::size_t lag = 0; lag < L; ++lag) {
        for (std::size_t k = 0; k < n; ++k) {
            const char act = a.active[lag * n + k];
            a.unit_next[lag * n + k] = act ? 1.0 : 0.0;
            if (act) (w_sent[k] >= 0.0 ? a.ex_next : a.in_next)[lag] += w_sent[k];
            I[k] = I[k] * c.PI + (1.0 - c.PI) * a.delta[lag * n + k];
            w[k] += c.eta * I[k] * c.h;
        }
    }
    for (std::size_t k = 0; k < n; ++k) {
        syn.psp[k] = psp[k];
        syn.i_syn[k] = i_syn[k];
        syn.I[k] = I[k];
        syn.weight[k] = w[k];
    }
}

}  // namespace

ErrorDrivenInput prepare_error_input(const SpikeTrains& trains, std::vector<double> teacher_weights,
                                     const ErrorDrivenConfig& config) {
    if (teacher_weights.size() != trains.size()) {
        throw std::invalid_argument("one teacher weight per input train (" + std::to_string(trains.size()) +
                                    " trains, " + std::to_string(teacher_weights.size()) + " weights)");
    }
    const Grid grid(config.resolution);
    const Steps s = steps_of(config);
    if (trains.size() > 64) throw std::invalid_argument("at most 64 input trains");
    ErrorDrivenInput in;
    in.n_inputs = static_cast<std::int32_t>(trains.size());
    in.teacher_weights = std::move(teacher_weights);
    // spike_generator step m -> parrot update step m + delay - 1 (its spike is stamped m + delay).
    for (const GridEvent& e : grid_events(trains, grid)) {
        const std::int64_t relay = e.step + s.slice - 1;
        if (stale(relay, s)) continue;
        if (!in.relays.empty() && in.relays.back().step == relay && in.relays.back().input == e.input) continue;
        in.relays.push_back({relay, e.input});
    }
    return in;
}

TeacherTrace run_teacher(const ErrorDrivenConfig& config, const ErrorDrivenInput& input) {
    const Steps s = steps_of(config);
    IafPscExp teacher(config.tau_m, config.C_m, config.tau_syn, config.resolution);
    TeacherTrace trace;
    trace.u_target.reserve(static_cast<std::size_t>(s.last / s.chunk));
    trace.samples.reserve(static_cast<std::size_t>(s.last / s.record));
    std::size_t next = 0;  // first relay not yet arrived
    for (std::int64_t n = 0; n <= s.last; ++n) {
        // A relay at step p reaches the neuron's input buffer for step p + delay.
        double ex = 0.0, in = 0.0;
        while (next < input.relays.size() && input.relays[next].step + s.slice <= n) {
            const double w = input.teacher_weights[static_cast<std::size_t>(input.relays[next].input)];
            (w >= 0.0 ? ex : in) += w;
            ++next;
        }
        teacher.step(ex, in);
        if (n % s.chunk == 0 && n < s.last) trace.u_target.push_back(config.E_L + teacher.V);
        if ((n + 1) % s.record == 0) trace.samples.push_back(config.E_L + teacher.V);
    }
    return trace;
}

ErrorDrivenOutcome run_error_trial(const ErrorDrivenConfig& config, const symbolic::Evaluator& rule,
                                   const ErrorDrivenInput& input, const TeacherTrace& teacher,
                                   bool record_traces, const ErrorTrialProgress& progress) {
    const Steps s = steps_of(config);
    const double h = config.resolution;
    const auto n_in = static_cast<std::size_t>(input.n_inputs);
    const auto L = static_cast<std::size_t>(s.slice);
    IafPscExp student(config.tau_m, config.C_m, config.tau_syn, h);

    const SynapseConstants constants{std::exp(-h / config.psp_tau_syn), std::exp(-h / config.psp_tau_m),
                                     propagator_32(config.psp_tau_syn, config.psp_tau_m, config.psp_C, h),
                                     std::exp(-h / config.tau_I), config.eta, h};
    Synapses synapses{std::vector<double>(n_in, config.initial_weight), std::vector<double>(n_in, 0.0),
                      std::vector<double>(n_in, 0.0), std::vector<double>(n_in, 0.0)};
    const std::vector<double>& weight = synapses.weight;
    // Per slice lag: the synapse's unit spikes and the student's weighted spikes due in this slice
    // (sent one slice = one delay earlier) and in the next.
    std::vector<double> unit_now(n_in * L, 0.0), unit_next(n_in * L, 0.0);
    std::vector<double> ex_now(L, 0.0), in_now(L, 0.0), ex_next(L, 0.0), in_next(L, 0.0);
    std::vector<char> active(n_in * L, 0);
    std::vector<double> u(L), u_wide(n_in * L), psp_trace(n_in * L), delta(n_in * L);

    ErrorDrivenOutcome out;
    if (record_traces) {
        out.samples.reserve(static_cast<std::size_t>(s.last / s.record));
        out.weights.assign(weight.begin(), weight.end());
    }
    const auto first_sample = static_cast<std::size_t>(std::llround(config.error_offset / config.record_interval));
    std::size_t sample = 0;
    std::int64_t next_sample_step = s.record - 1;  // V_m after step n is sampled at (n + 1) h
    double squares = 0.0;
    std::size_t next = 0;  // first relay of the current slice
    const std::int64_t n_slices = s.last / s.slice + 1;
    const std::int64_t slices_per_second = std::max<std::int64_t>(1, Grid(h).steps(1000.0) / s.slice);

    for (std::int64_t slice = 0; slice < n_slices; ++slice) {
        const std::int64_t origin = slice * s.slice;
        const std::int64_t end = std::min(origin + s.slice, s.last + 1);
        // The student's update over the slice; u as the synapses read it.
        for (std::int64_t n = origin; n < end; ++n) {
            const auto lag = static_cast<std::size_t>(n - origin);
            student.step(ex_now[lag], in_now[lag]);
            u[lag] = config.E_L + student.V;
            if (n == next_sample_step) {
                next_sample_step += s.record;
                if (sample >= first_sample) {
                    const double d = u[lag] - teacher.samples[sample];
                    squares += d * d;
                }
                ++sample;
                if (record_traces) out.samples.push_back(u[lag]);
            }
        }
        // Stale steps are a prefix of their slice: the student's u buffer was reset there.
        for (std::size_t lag = 0; lag < L && stale(origin + static_cast<std::int64_t>(lag), s); ++lag) u[lag] = config.E_L;
        // This slice's parrot activity, delivered (send()) at the start of the next slice;
        // the last slice is never delivered.
        std::fill(active.begin(), active.end(), 0);
        while (next < input.relays.size() && input.relays[next].step < origin + s.slice) {
            const GridEvent& e = input.relays[next++];
            active[static_cast<std::size_t>(e.step - origin) * n_in + static_cast<std::size_t>(e.input)] = 1;
        }
        if (slice + 1 == n_slices) break;
        // The synapses' send(): per lag, propagate the PSP, take the unit spike due, pass a
        // spike on (weight as at the start of send()), evaluate the rule, low-pass, update.
        const std::int64_t call = ((origin + s.slice + s.chunk - 1) / s.chunk) - 1;  // Simulate call that delivers it
        const double u_target = teacher.u_target[static_cast<std::size_t>(call)];
        std::fill(ex_next.begin(), ex_next.end(), 0.0);
        std::fill(in_next.begin(), in_next.end(), 0.0);
        SliceArrays arrays{unit_now.data(), unit_next.data(), active.data(), u.data(), u_wide.data(),
                           psp_trace.data(), delta.data(), ex_next.data(), in_next.data()};
        switch (n_in) {
            case 1: send_slice<1>(synapses, n_in, L, arrays, rule, u_target, constants); break;
            case 2: send_slice<2>(synapses, n_in, L, arrays, rule, u_target, constants); break;
            case 3: send_slice<3>(synapses, n_in, L, arrays, rule, u_target, constants); break;
            case 4: send_slice<4>(synapses, n_in, L, arrays, rule, u_target, constants); break;
            case 5: send_slice<5>(synapses, n_in, L, arrays, rule, u_target, constants); break;
            case 6: send_slice<6>(synapses, n_in, L, arrays, rule, u_target, constants); break;
            default: send_slice<0>(synapses, n_in, L, arrays, rule, u_target, constants); break;
        }
        std::swap(unit_now, unit_next);
        std::swap(ex_now, ex_next);
        std::swap(in_now, in_next);
        // GetStatus of the weights after each Simulate call: the call ending in the next slice.
        if (record_traces && (origin + s.slice) % s.chunk == 0) out.weights.insert(out.weights.end(), weight.begin(), weight.end());
        if (progress && (slice + 1) % slices_per_second == 0) progress(static_cast<double>(slice + 1) / static_cast<double>(n_slices));
    }
    out.error = std::sqrt(squares);
    return out;
}

GeneratedErrorInput generate_error_input(const ErrorTaskParams& p, Rng& rng) {
    GeneratedErrorInput g;
    const Grid grid(p.resolution);
    for (int i = 0; i < p.n_inputs; ++i) {
        const double rate = rng.uniform(p.rate_low, p.rate_high);  // Hz
        // A Poisson process on (resolution, t_sim), floored to the grid as sim.py does.
        double t = p.resolution;
        while (true) {
            t += rng.exponential(rate * 1e-3);
            if (t >= p.t_sim) break;
            const auto step = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(t / p.resolution)));
            g.trains.times.push_back(grid.ms(step));
        }
        g.trains.offsets.push_back(static_cast<std::int64_t>(g.trains.times.size()));
    }
    for (int i = 0; i < p.n_inputs; ++i) g.teacher_weights.push_back(rng.uniform(p.weight_low, p.weight_high) + p.weight_shift);
    return g;
}

}  // namespace sr::e2l

// ---- model e2l.error ----

namespace sr {
namespace {

using e2l::ErrorDrivenConfig;

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53

// One trial's prepared input and teacher trace, shared by the jobs of a process: an evolution
// scores thousands of rules on the same 15 trials.
struct PreparedTrial {
    e2l::ErrorDrivenInput input;
    e2l::TeacherTrace teacher;
};

ErrorDrivenConfig error_config(const Params& params) {
    ErrorDrivenConfig c;
    c.resolution = get_real(params, "resolution");
    c.t_sim_step = get_real(params, "t_sim_step");
    c.delay = get_real(params, "delay");
    c.tau_m = get_real(params, "neuron.tau_m");
    c.C_m = get_real(params, "neuron.C_m");
    c.tau_syn = get_real(params, "neuron.tau_syn");
    c.E_L = get_real(params, "neuron.E_L");
    c.tau_I = get_real(params, "synapse.tau_I");
    c.eta = get_real(params, "synapse.eta");
    c.initial_weight = get_real(params, "synapse.initial_weight");
    if (has(params, "t_sim")) c.t_sim = get_real(params, "t_sim");
    const e2l::Grid grid(c.resolution);
    for (const char* key : {"delay", "t_sim_step"}) {
        const double d = get_real(params, key);
        if (grid.steps(d) < 1 || std::abs(grid.ms(grid.steps(d)) - d) > 1e-9) {
            throw ParamError(key, "must be a positive multiple of the resolution");
        }
    }
    if (grid.steps(c.t_sim_step) < grid.steps(c.delay)) throw ParamError("t_sim_step", "must be at least the delay (min-delay slice)");
    return c;
}

void check_t_sim(const ErrorDrivenConfig& c) {
    const e2l::Grid grid(c.resolution);
    if (grid.steps(c.t_sim) < 1 || grid.steps(c.t_sim) % grid.steps(c.t_sim_step) != 0) {
        throw ParamError("t_sim", "must be a positive multiple of t_sim_step");
    }
}

std::string config_key(const ErrorDrivenConfig& c) {
    std::string key;
    for (const double v : {c.resolution, c.t_sim, c.t_sim_step, c.delay, c.tau_m, c.C_m, c.tau_syn, c.E_L}) {
        key += "|" + std::to_string(v);
    }
    return key;
}

struct ErrorSetup {
    ErrorDrivenConfig config;
    std::vector<std::shared_ptr<const PreparedTrial>> trials;
};

ErrorSetup error_setup(const Params& params) {
    ErrorSetup s;
    s.config = error_config(params);
    const std::vector<int> numbers = e2l::input_numbers(params, "inputs.trials", "trial");
    if (has(params, "inputs.file")) {
        const std::string path = get_string(params, "inputs.file");
        const std::string group = get_string(params, "inputs.group");
        const std::string identity = e2l::input_file_key(path);
        e2l::Hdf5Reader file(path);
        if (!file.exists("/" + group)) throw ParamError("inputs.group", path + ": no group '/" + group + "'");
        // The group's t_sim (20000 ms in fig4_traces) unless the parameter overrides it.
        if (!has(params, "t_sim")) {
            if (const auto t = file.attribute("/" + group, "t_sim")) s.config.t_sim = *t;
        }
        check_t_sim(s.config);
        for (const int i : numbers) {
            const std::string name = "/" + group + "/trial_" + std::to_string(i);
            s.trials.push_back(e2l::cached<PreparedTrial>(identity + "|" + name + config_key(s.config), [&] {
                if (!file.exists(name)) throw ParamError("inputs.trials", path + ": no group '" + name + "'");
                PreparedTrial t;
                t.input = e2l::prepare_error_input(file.trains(name), file.reals(name + "/teacher_weights"), s.config);
                t.teacher = e2l::run_teacher(s.config, t.input);
                return t;
            }));
        }
    } else {
        check_t_sim(s.config);
        e2l::ErrorTaskParams task;
        task.n_inputs = static_cast<int>(get_int(params, "task.n_inputs"));
        task.t_sim = s.config.t_sim;
        task.resolution = s.config.resolution;
        task.rate_low = get_real(params, "task.rate_low");
        task.rate_high = get_real(params, "task.rate_high");
        task.weight_low = get_real(params, "task.teacher_weight_low");
        task.weight_high = get_real(params, "task.teacher_weight_high");
        task.weight_shift = get_real(params, "task.teacher_weight_shift");
        if (!(task.rate_low <= task.rate_high)) throw ParamError("task.rate_high", "must be at least task.rate_low");
        if (!(task.weight_low <= task.weight_high)) throw ParamError("task.teacher_weight_high", "must be at least task.teacher_weight_low");
        const auto seed = static_cast<std::uint64_t>(get_int(params, "inputs.seed"));
        for (const int i : numbers) {
            std::string key = "generated|" + std::to_string(seed) + "|" + std::to_string(i) + "|" + std::to_string(task.n_inputs);
            for (const double v : {task.rate_low, task.rate_high, task.weight_low, task.weight_high, task.weight_shift}) {
                key += "|" + std::to_string(v);
            }
            s.trials.push_back(e2l::cached<PreparedTrial>(key + config_key(s.config), [&] {
                Rng rng({seed, static_cast<std::uint64_t>(i), 3});
                e2l::GeneratedErrorInput g = e2l::generate_error_input(task, rng);
                PreparedTrial t;
                t.input = e2l::prepare_error_input(g.trains, std::move(g.teacher_weights), s.config);
                t.teacher = e2l::run_teacher(s.config, t.input);
                return t;
            }));
        }
    }
    s.config.error_offset = has(params, "error_offset") ? get_real(params, "error_offset") : 0.1 * s.config.t_sim;
    return s;
}

symbolic::Expr parse_error_rule(const Params& params) {
    symbolic::Expr e;
    try {
        e = symbolic::parse(get_string(params, "rule"));
    } catch (const symbolic::ParseError& err) {
        throw ParamError("rule", err.what());
    }
    for (const std::string& v : symbolic::variables(e)) {
        if (v != "x_0" && v != "x_1" && v != "x_2") {
            throw ParamError("rule", "unknown variable '" + v +
                                         "' (the variables are x_0 = teacher potential, x_1 = student potential, x_2 = PSP)");
        }
    }
    return e;
}

ModelInfo make_error_info() {
    ModelInfo info;
    info.name = "e2l.error";
    info.version = 1;
    info.doc =
        "Error-driven task of e2l-cgp-snn (Fig. 4): a student iaf_psc_exp learns through "
        "us_sympy_synapses to follow a teacher driven by the same 5 Poisson inputs; the rule is a "
        "sympy-style expression of x_0 = teacher potential, x_1 = student potential, x_2 = PSP. "
        "Fitness = -mean over trials of the L2 distance of the 1 ms membrane samples after "
        "error_offset. Inputs from a file in the reference fixtures' layout or generated from inputs.seed.";
    info.params = {
        {"rule", ParamType::string, "0", {}, {}, "plasticity rule f(x_0, x_1, x_2), evaluated every step per synapse"},
        {"inputs.file", ParamType::string, nullptr, {}, {}, "HDF5 file in the layout of ../shared/reference/e2l/error_driven.h5; absent: generate from inputs.seed"},
        {"inputs.group", ParamType::string, "evolution", {}, {}, "group of the file: evolution, validation or fig4_traces"},
        {"inputs.trials", ParamType::real_list, Json::array({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}), {}, {}, "trial numbers (groups trial_<i>); the fitness is minus the mean error over them"},
        {"inputs.seed", ParamType::integer, 0, 0, kMaxSeed, "seed of generated inputs and teacher weights (without inputs.file)"},
        {"task.n_inputs", ParamType::integer, 5, 1, 64, "inputs (generated inputs)"},
        {"task.rate_low", ParamType::real, 150.0, 0.0, 1e5, "lowest input rate, Hz (generated inputs)"},
        {"task.rate_high", ParamType::real, 850.0, 0.0, 1e5, "highest input rate, Hz (generated inputs)"},
        {"task.teacher_weight_low", ParamType::real, -20.0, {}, {}, "teacher weights uniform from, pA (generated inputs)"},
        {"task.teacher_weight_high", ParamType::real, 20.0, {}, {}, "teacher weights uniform to, pA (generated inputs)"},
        {"task.teacher_weight_shift", ParamType::real, 15.0, {}, {}, "added to every teacher weight, pA (sim.py's shift)"},
        {"t_sim", ParamType::real, nullptr, 0.01, 1e8, "simulated time after the first step, ms (default: the file group's t_sim, else 10000)"},
        {"t_sim_step", ParamType::real, 5.0, 0.01, 1e6, "interval of the u_target update and of the Simulate calls, ms"},
        {"error_offset", ParamType::real, nullptr, 0.0, 1e8, "samples before this time are not scored, ms (default 0.1 t_sim)"},
        {"resolution", ParamType::real, 0.01, 0.001, 10.0, "simulation step, ms"},
        {"delay", ParamType::real, 1.0, 0.001, 1e3, "delay of every connection = the min-delay slice, ms"},
        {"neuron.tau_m", ParamType::real, 10.0, 1e-3, 1e6, "membrane time constant of teacher and student, ms (NEST default)"},
        {"neuron.C_m", ParamType::real, 250.0, 1e-6, 1e9, "capacitance, pF (NEST default)"},
        {"neuron.tau_syn", ParamType::real, 2.0, 1e-3, 1e6, "synaptic time constant, ms (NEST default)"},
        {"neuron.E_L", ParamType::real, -70.0, {}, {}, "resting potential, mV (NEST default)"},
        {"synapse.tau_I", ParamType::real, 100.0, 1e-3, 1e9, "low-pass time constant of the weight update, ms (sim.py)"},
        {"synapse.eta", ParamType::real, 1.7, {}, {}, "learning rate (sim_params lr)"},
        {"synapse.initial_weight", ParamType::real, 5.0, {}, {}, "initial student weight, pA"},
        {"record.traces", ParamType::boolean, false, {}, {}, "store student and teacher V_m (1 ms) and the student weights (every t_sim_step) per trial"},
    };
    return info;
}

// From bench/e2l: one 10 s trial of the rule x_2*(x_0 - x_1) costs about this much.
constexpr double kSecondsPerTrial = 0.02;

class ErrorModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        parse_error_rule(params);
        error_config(params);
        e2l::input_numbers(params, "inputs.trials", "trial");
        if (has(params, "inputs.file")) e2l::input_file_key(get_string(params, "inputs.file"));
    }

    double estimate_cost(const Params& params) const override {
        const double t_sim = has(params, "t_sim") ? get_real(params, "t_sim") : 10000.0;
        return kSecondsPerTrial * static_cast<double>(e2l::input_numbers(params, "inputs.trials", "trial").size()) * t_sim / 10000.0;
    }

    Result run(const Params& params, RunContext& context) const override {
        const symbolic::Expr expr = parse_error_rule(params);
        Result result;
        result.metrics["invalid_rule"] = 0.0;
        result.metrics["fitness_was_nan"] = 0.0;
        // The reference scores a rule whose simplified form is zoo or nan -inf unsimulated.
        if (symbolic::is_invalid(expr)) {
            result.metrics["fitness"] = -std::numeric_limits<double>::infinity();
            result.metrics["invalid_rule"] = 1.0;
            return result;
        }
        const symbolic::Evaluator rule = symbolic::compile(expr, 3);
        const ErrorSetup setup = [&] {
            try {
                return error_setup(params);
            } catch (const ParamError& e) {
                throw ParamError(e.key, e.key + ": " + e.what());  // the job's error line names the key
            }
        }();
        const bool record = get_bool(params, "record.traces");
        const std::size_t n = setup.trials.size();
        std::vector<double> errors, student, teacher, weights;
        for (std::size_t i = 0; i < n; ++i) {
            const auto progress = [&](double f) {
                context.check_cancelled();
                context.report_progress((static_cast<double>(i) + f) / static_cast<double>(n));
            };
            const PreparedTrial& t = *setup.trials[i];
            e2l::ErrorDrivenOutcome o = e2l::run_error_trial(setup.config, rule, t.input, t.teacher, record, progress);
            errors.push_back(o.error);
            if (record) {
                student.insert(student.end(), o.samples.begin(), o.samples.end());
                teacher.insert(teacher.end(), t.teacher.samples.begin(), t.teacher.samples.end());
                weights.insert(weights.end(), o.weights.begin(), o.weights.end());
            }
        }
        double sum = 0.0;
        for (const double e : errors) sum += -e;
        const double fitness = sum / static_cast<double>(n);
        // A NaN error (the weights diverged) would fail the job; the evolution needs a number.
        const bool nan = std::isnan(fitness);
        result.metrics["fitness"] = nan ? -std::numeric_limits<double>::infinity() : fitness;
        result.metrics["fitness_was_nan"] = nan ? 1.0 : 0.0;
        if (std::isfinite(fitness)) {
            double squares = 0.0;
            for (const double e : errors) squares += (-e - fitness) * (-e - fitness);
            result.metrics["fitness_std"] = std::sqrt(squares / static_cast<double>(n));  // np.std over trials
        }
        result.arrays.emplace("error", Array::real({n}, errors));
        if (record) {
            const std::size_t n_samples = student.size() / n;
            result.arrays.emplace("u_student", Array::real({n, n_samples}, std::move(student)));
            result.arrays.emplace("u_teacher", Array::real({n, n_samples}, std::move(teacher)));
            const auto n_inputs = static_cast<std::size_t>(setup.trials.front()->input.n_inputs);
            const std::size_t n_rows = weights.size() / n / n_inputs;
            result.arrays.emplace("weights", Array::real({n, n_rows, n_inputs}, std::move(weights)));
        }
        return result;
    }

private:
    ModelInfo info_ = make_error_info();
};

}  // namespace

ModelPtr make_e2l_error_model() { return std::make_shared<ErrorModel>(); }

}  // namespace sr
