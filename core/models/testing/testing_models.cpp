#include "core/models/testing/testing_models.hpp"

#include "core/rng.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

namespace sr {
namespace {

// Metrics: sum = x + y, product = x * y, noise = first uniform draw of Rng(seed);
// array "series"[i] = x * i + y + noise for i < length.
class ArithModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    Result run(const Params& params, RunContext& context) const override {
        context.check_cancelled();
        const double x = get_real(params, "x");
        const double y = get_real(params, "y");
        const long long seed = get_int(params, "seed");
        const auto length = static_cast<std::size_t>(get_int(params, "length"));
        const double noise = testing_arith_noise(seed);
        Result result;
        result.metrics = {{"sum", x + y}, {"product", x * y}, {"noise", noise}};
        std::vector<double> series(length);
        for (std::size_t i = 0; i < length; ++i) series[i] = x * static_cast<double>(i) + y + noise;
        result.arrays.emplace("series", Array::real({length}, std::move(series)));
        result.arrays.emplace("seed", Array::integer({}, {seed}));
        return result;
    }

private:
    ModelInfo info_{
        "testing.arith",
        1,
        "Metrics are simple functions of x, y and seed (for testing the machinery).",
        {
            {"x", ParamType::real, 0.0, -1e6, 1e6, "first operand"},
            {"y", ParamType::real, 0.0, -1e6, 1e6, "second operand"},
            {"seed", ParamType::integer, 0, 0, 1e15, "seed of the noise draw"},
            {"length", ParamType::integer, 4, 0, 1e6, "length of the payload series"},
            {"group.label", ParamType::string, "a", {}, {}, "a free label (nested key)"},
        },
    };
};

// Recurses without end: the stack overflows (a SIGSEGV with no stack left for a handler).
int overflow_stack(int depth) {
    volatile char frame[1024];
    frame[0] = static_cast<char>(depth);
    if (depth < 0) return frame[0];  // never: keeps the compiler from calling the recursion endless
    return overflow_stack(depth + 1) + frame[0];
}

// mode "ok" returns value; "throw" throws; "nan" returns a NaN metric; "abort" and "overflow" crash
// the whole process (as a bug in a model or library would).
class FailModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        const std::string mode = get_string(params, "mode");
        if (mode != "ok" && mode != "throw" && mode != "nan" && mode != "inf" && mode != "abort" &&
            mode != "overflow") {
            throw ParamError("mode", "must be one of ok, throw, nan, inf, abort, overflow; got '" + mode + "'");
        }
    }

    Result run(const Params& params, RunContext& context) const override {
        context.check_cancelled();
        const std::string mode = get_string(params, "mode");
        if (mode == "throw") {
            throw std::runtime_error("failing on request (value " +
                                     std::to_string(get_real(params, "value")) + ")");
        }
        if (mode == "abort") std::abort();
        if (mode == "overflow") overflow_stack(0);
        Result result;
        result.metrics["value"] =
            mode == "nan"   ? std::numeric_limits<double>::quiet_NaN()
            : mode == "inf" ? std::numeric_limits<double>::infinity()
                            : get_real(params, "value");
        return result;
    }

private:
    ModelInfo info_{
        "testing.fail",
        1,
        "Fails on request: mode ok | throw | nan (a NaN metric) | inf (an infinite metric, a valid result) | "
        "abort | overflow (crash the process: abort(), a stack overflow).",
        {
            {"mode", ParamType::string, "ok", {}, {}, "ok, throw, nan, inf, abort or overflow"},
            {"value", ParamType::real, 1.0, {}, {}, "metric returned when mode is ok"},
        },
    };
};

// Sleeps in short slices, polling for cancellation, so timeouts and stop requests can be tested.
class SleepModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    double estimate_cost(const Params& params) const override { return get_real(params, "seconds"); }

    Result run(const Params& params, RunContext& context) const override {
        using namespace std::chrono;
        const double seconds = get_real(params, "seconds");
        const auto start = steady_clock::now();
        const auto end = start + duration_cast<steady_clock::duration>(duration<double>(seconds));
        context.check_cancelled();
        while (steady_clock::now() < end) {
            std::this_thread::sleep_for(std::min<steady_clock::duration>(milliseconds(10),
                                                                         end - steady_clock::now()));
            context.check_cancelled();
            context.report_progress(duration<double>(steady_clock::now() - start).count() / seconds);
        }
        Result result;
        result.metrics["slept"] = seconds;
        result.metrics["tag"] = get_real(params, "tag");
        return result;
    }

private:
    ModelInfo info_{
        "testing.sleep",
        1,
        "Sleeps for `seconds`, checking for cancellation every 10 ms.",
        {
            {"seconds", ParamType::real, 0.0, 0.0, 86400.0, "how long to sleep"},
            {"tag", ParamType::real, 0.0, {}, {}, "distinguishes otherwise identical jobs"},
        },
    };
};

// Does nothing and stores nothing: measures the machinery's own cost per job.
class NoopModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }
    Result run(const Params& /*params*/, RunContext& /*context*/) const override { return {}; }

private:
    ModelInfo info_{
        "testing.noop",
        1,
        "Returns an empty result (no metrics, no payload), for dispatch benchmarks.",
        {{"tag", ParamType::integer, 0, {}, {}, "distinguishes otherwise identical jobs"}},
    };
};


// A long loop of deterministic random steps that checkpoints: on a stop request (SIGTERM) it saves
// its state (step, accumulators, generator state, trace) and stops; run again, it resumes from the
// checkpoint, and the result is bitwise that of an uninterrupted run. Optionally it also saves every
// `checkpoint_every` steps (survives SIGKILL). `step_seconds` of sleep per step makes it long.
class CounterModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    double estimate_cost(const Params& params) const override {
        return static_cast<double>(get_int(params, "steps")) * get_real(params, "step_seconds");
    }

    Result run(const Params& params, RunContext& context) const override {
        const long long steps = get_int(params, "steps");
        const long long every = get_int(params, "checkpoint_every");
        const double step_seconds = get_real(params, "step_seconds");
        const long long trace_every = std::max<long long>(1, steps / 64);

        long long step = 0;
        double sum = 0;
        std::uint64_t mix = 0;
        std::vector<double> trace;
        Rng rng({static_cast<std::uint64_t>(get_int(params, "seed")), 0x636f756e746572ULL});
        if (const auto saved = context.load_checkpoint()) {
            const Json state = Json::parse(*saved);
            step = state.at("step").get<long long>();
            sum = state.at("sum").get<double>();
            mix = state.at("mix").get<std::uint64_t>();
            trace = state.at("trace").get<std::vector<double>>();
            rng.set_state(state.at("rng").get<Rng::State>());
            std::fprintf(stderr, "testing.counter %s: resumed from checkpoint at step %lld\n",
                         context.job().key.substr(0, 12).c_str(), step);
        }
        auto save = [&] {
            const Json state = {{"step", step}, {"sum", sum}, {"mix", mix}, {"trace", trace},
                                {"rng", rng.state()}};
            context.save_checkpoint(state.dump());
        };
        for (; step < steps; ++step) {
            // Cancellation point at the top of a step: the state is exactly "steps [0, step) done".
            if (context.stop_requested()) save();
            context.check_cancelled();
            if (every > 0 && step > 0 && step % every == 0) save();
            sum += rng.uniform() * static_cast<double>(1 + step % 7);
            mix = (mix ^ rng.next_u64()) * 0x9e3779b97f4a7c15ULL;
            if (step % trace_every == 0) trace.push_back(sum);
            if (step_seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(step_seconds));
            context.report_progress(static_cast<double>(step + 1) / static_cast<double>(steps));
        }
        Result result;
        result.metrics = {{"sum", sum}, {"mix", static_cast<double>(mix >> 11)}, {"steps", static_cast<double>(steps)}};
        const std::size_t n = trace.size();
        result.arrays.emplace("trace", Array::real({n}, std::move(trace)));
        return result;
    }

private:
    ModelInfo info_{
        "testing.counter",
        1,
        "Deterministic random steps with checkpoint/restore (resumes bitwise after SIGTERM).",
        {
            {"steps", ParamType::integer, 1000, 0, 1e12, "number of steps"},
            {"step_seconds", ParamType::real, 0.0, 0.0, 60.0, "sleep per step"},
            {"checkpoint_every", ParamType::integer, 0, 0, 1e12, "also save every N steps (0: only on stop)"},
            {"seed", ParamType::integer, 0, 0, 1e15, "generator seed"},
            {"tag", ParamType::real, 0.0, {}, {}, "distinguishes otherwise identical jobs"},
        },
    };
};

}  // namespace

double testing_arith_noise(long long seed) {
    Rng rng(static_cast<std::uint64_t>(seed));
    return rng.uniform();
}

std::vector<ModelPtr> make_testing_models() {
    return {std::make_shared<ArithModel>(), std::make_shared<FailModel>(),
            std::make_shared<SleepModel>(), std::make_shared<NoopModel>(),
            std::make_shared<CounterModel>(), make_testing_symreg_model()};
}

}  // namespace sr
