#include "core/models/testing/testing_models.hpp"

#include "core/rng.hpp"

#include <chrono>
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

// mode "ok" returns value; "throw" throws; "nan" returns a NaN metric.
class FailModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    void validate(const Params& params) const override {
        const std::string mode = get_string(params, "mode");
        if (mode != "ok" && mode != "throw" && mode != "nan") {
            throw ParamError("mode", "must be one of ok, throw, nan; got '" + mode + "'");
        }
    }

    Result run(const Params& params, RunContext& context) const override {
        context.check_cancelled();
        const std::string mode = get_string(params, "mode");
        if (mode == "throw") {
            throw std::runtime_error("failing on request (value " +
                                     std::to_string(get_real(params, "value")) + ")");
        }
        Result result;
        result.metrics["value"] =
            mode == "nan" ? std::numeric_limits<double>::quiet_NaN() : get_real(params, "value");
        return result;
    }

private:
    ModelInfo info_{
        "testing.fail",
        1,
        "Fails on request: mode ok | throw | nan.",
        {
            {"mode", ParamType::string, "ok", {}, {}, "ok, throw or nan"},
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

}  // namespace

double testing_arith_noise(long long seed) {
    Rng rng(static_cast<std::uint64_t>(seed));
    return rng.uniform();
}

std::vector<ModelPtr> make_testing_models() {
    return {std::make_shared<ArithModel>(), std::make_shared<FailModel>(),
            std::make_shared<SleepModel>(), std::make_shared<NoopModel>()};
}

}  // namespace sr
