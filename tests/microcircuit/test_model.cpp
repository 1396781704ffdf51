// The model interface: schema defaults, parameter validation, result layout, determinism,
// cancellation.
#include "tests/microcircuit/fixtures.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace sr {
namespace {

using microcircuit_test::load_reference;

// A short run: 2 epochs of short patterns.
Params quick_params(const Model& model) {
    Params p = default_params(model.info());
    p["student_simulation_settings"]["num_epochs"] = 2;
    p["student_simulation_settings"]["t_pattern"] = 300;
    p["teacher_simulation_settings"]["t_pattern"] = 300;
    p["network_properties"]["learning_lag"] = 500;
    return p;
}

std::string error_key(const Model& model, const Params& params) {
    try {
        model.validate(params);
    } catch (const ParamError& e) {
        return e.key;
    }
    return "";
}

TEST(MicrocircuitModel, DefaultsAreThePublishedSalConfiguration) {
    const ModelPtr model = make_microcircuit_model();
    EXPECT_EQ(model->info().name, "microcircuit");
    // sal0 is sal.yaml as run by the reference, with 8 epochs and the seeds of run 0 (+1).
    const Json config = load_reference("sal0").at("config");
    int compared = 0;
    for (const ParamSpec& spec : model->info().params) {
        const Json* published = find_path(config, spec.name);
        if (spec.default_value.is_null() || published == nullptr) continue;
        const std::string& n = spec.name;
        if (n == "teacher_simulation_settings.poisson_seed") {
            EXPECT_EQ(*published, spec.default_value);  // change_params.py leaves it alone
        } else if (n.ends_with("_seed")) {
            EXPECT_EQ(published->get<long long>(), spec.default_value.get<long long>() + 1) << n;
        } else if (n == "student_simulation_settings.num_epochs") {
            EXPECT_EQ(spec.default_value, 150);
            EXPECT_EQ(*published, 8);
        } else {
            EXPECT_EQ(*published, spec.default_value) << n;
        }
        ++compared;
    }
    EXPECT_GE(compared, 40);
    EXPECT_NO_THROW(model->validate(default_params(model->info())));
    EXPECT_NO_THROW(model->validate(config));  // the published yaml works unchanged
}

TEST(MicrocircuitModel, ValidationNamesTheBadKey) {
    const ModelPtr model = make_microcircuit_model();
    const Params good = default_params(model->info());
    auto with = [&](const std::string& key, Json value) {
        Params p = good;
        set_path(p, key, std::move(value));
        return error_key(*model, p);
    };
    EXPECT_EQ(with("network_properties.dims", Json::array({1, 1})), "network_properties.dims");
    EXPECT_EQ(with("network_properties.dims", Json::array({1, 0, 1})), "network_properties.dims");
    EXPECT_EQ(with("network_properties.dims", Json::array({1, 1.5, 1})), "network_properties.dims");
    EXPECT_EQ(with("network_properties.dims", Json::array({1.0, 2.0, 1.0})), "");  // as a real_list
    EXPECT_EQ(with("network_properties.lr", Json::parse(R"([{"up": 0.1, "down": 0}])")),
              "network_properties.lr");
    EXPECT_EQ(with("network_properties.lr", Json::parse(R"([{"up": 0.1}, {"up": 0.1}])")),
              "network_properties.lr[0]");
    EXPECT_EQ(with("student_simulation_settings.len_symmetrization", 20),
              "student_simulation_settings.len_symmetrization");
    EXPECT_EQ(with("network_properties.learning_lag", 20000), "network_properties.learning_lag");
    EXPECT_EQ(with("student_initial_parameters.bias", Json::array({0.0})), "student_initial_parameters.bias");
    EXPECT_EQ(with("student_initial_parameters.random_weights_init_limits.up", Json::array({3.0, -3.0})),
              "student_initial_parameters.random_weights_init_limits.up");
    EXPECT_EQ(with("student_initial_parameters.weights", Json::parse(R"([{"w_up": [[1, 2]]}, {"w_up": 1}])")),
              "student_initial_parameters.weights[0].w_up");
    EXPECT_EQ(with("student_initial_parameters.weights", Json::parse(R"([{"w_up": 1}, {"w_down": 1}])")),
              "student_initial_parameters.weights[1].w_down");
    EXPECT_EQ(with("u_input.training", Json::array()), "u_input.training");
    // Explicit weights: numbers broadcast, nested lists give the matrix (the reference's layout).
    EXPECT_EQ(with("student_initial_parameters.weights",
                   Json::parse(R"([{"w_up": [[0.5]], "w_down": -1}, {"w_up": [2.0]}])")),
              "");
    Params wide = good;
    wide["network_properties"]["dims"] = Json::array({2, 3, 2});
    wide["network_properties"]["lr"] = Json::parse(R"([{"up": 0.1, "down": 0.0}, {"up": 0.01}])");
    wide["u_input"]["training"] = Json::parse("[[0, 1], 2]");
    EXPECT_EQ(error_key(*model, wide), "");  // one bias number per layer broadcasts
    wide["student_initial_parameters"]["bias"] = Json::parse("[-1, [0, 1, 2]]");
    EXPECT_EQ(error_key(*model, wide), "student_initial_parameters.bias");
    wide["student_initial_parameters"]["bias"] = Json::parse("[[0, 1, 2], [0, 1]]");
    EXPECT_EQ(error_key(*model, wide), "");
}

TEST(MicrocircuitModel, ResultLayoutForALargerNetwork) {
    const ModelPtr model = make_microcircuit_model();
    Params p = quick_params(*model);
    p["network_properties"]["dims"] = Json::array({2, 3, 4, 2});
    p["network_properties"]["lr"] =
        Json::parse(R"([{"up": 0.1, "down": 0.001}, {"up": 0.05, "down": 0.001}, {"up": 0.01}])");
    p["teacher_initial_parameters"]["weights"] = Json::parse(R"([{"w_up": 1}, {"w_up": 0.5}, {"w_up": -1}])");
    p["teacher_initial_parameters"]["bias"] = Json::array({-1, -1, 0});
    p["student_initial_parameters"]["bias"] = Json::array({-1, -1, 0});
    model->validate(p);
    RunContext context;
    const Result r = model->run(p, context);
    const std::size_t E = 2, P = 2 * 26;
    using Shape = std::vector<std::size_t>;
    EXPECT_EQ(r.arrays.at("validation_loss").shape, Shape{E});
    EXPECT_EQ(r.arrays.at("w_up_layer1").shape, (Shape{E + 1, 3, 2}));
    EXPECT_EQ(r.arrays.at("w_down_layer1").shape, (Shape{E + 1, 3, 4}));
    EXPECT_EQ(r.arrays.at("w_up_layer2").shape, (Shape{E + 1, 4, 3}));
    EXPECT_EQ(r.arrays.at("w_down_layer2").shape, (Shape{E + 1, 4, 2}));
    EXPECT_EQ(r.arrays.at("w_up_layer3").shape, (Shape{E + 1, 2, 4}));
    EXPECT_EQ(r.arrays.count("w_down_layer3"), 0u);
    EXPECT_EQ(r.arrays.at("u_out").shape, (Shape{P, 2}));
    EXPECT_EQ(r.arrays.at("u_target").shape, (Shape{P, 2}));
    EXPECT_EQ(r.arrays.at("pattern_phase").shape, Shape{P});
    EXPECT_EQ(r.arrays.at("rates_input").shape, (Shape{P, 2}));
    EXPECT_EQ(r.arrays.at("rates_pyr_layer2").shape, (Shape{P, 4}));
    EXPECT_EQ(r.arrays.at("rates_inn_layer1").shape, (Shape{P, 4}));
    EXPECT_EQ(r.arrays.at("rates_inn_layer2").shape, (Shape{P, 2}));
    for (double rate : r.arrays.at("rates_pyr_layer1").reals()) {
        EXPECT_GE(rate, 0.0);
        EXPECT_LE(rate, 1.0);  // at most one spike per t_ref
    }
    EXPECT_EQ(r.metrics.at("final_validation_loss"), r.arrays.at("validation_loss").reals().back());
    EXPECT_EQ(r.metrics.at("steps"), 10.0 * 300 * (14 + 52));
    EXPECT_GE(r.metrics.at("sign_agreement"), 0.0);
    EXPECT_LE(r.metrics.at("sign_agreement"), 1.0);
}

TEST(MicrocircuitModel, AlignmentMetricsOfBackprop) {
    const ModelPtr model = make_microcircuit_model();
    Params p = quick_params(*model);
    p["student_simulation_settings"]["update_down"] = false;
    RunContext context;
    const Result r = model->run(p, context);
    EXPECT_EQ(r.metrics.at("sign_agreement"), 1.0);
    EXPECT_NEAR(r.metrics.at("feedback_angle_deg"), 0.0, 1e-6);
    // Validation patterns are presented in order, one each per epoch.
    const auto& index = r.arrays.at("pattern_index").ints();
    const auto& phase = r.arrays.at("pattern_phase").ints();
    for (std::size_t n = 20; n < 26; ++n) {
        EXPECT_EQ(phase[n], 2);
        EXPECT_EQ(index[n], static_cast<std::int64_t>(n - 20));
    }
    EXPECT_EQ(phase[15], 1);
    EXPECT_EQ(phase[14], 0);
}

TEST(MicrocircuitModel, BitwiseReproducibleAndSeedDependent) {
    const ModelPtr model = make_microcircuit_model();
    const Params p = quick_params(*model);
    RunContext context;
    const Result a = model->run(p, context);
    const Result b = model->run(p, context);
    EXPECT_EQ(a.arrays.at("u_out").reals(), b.arrays.at("u_out").reals());
    EXPECT_EQ(a.arrays.at("w_down_layer1").reals(), b.arrays.at("w_down_layer1").reals());
    for (const char* key : {"student_simulation_settings.poisson_seed",
                            "student_simulation_settings.training_seed",
                            "student_simulation_settings.weights_init_seed",
                            "teacher_simulation_settings.poisson_seed"}) {
        Params q = p;
        set_path(q, key, get_int(p, key) + 1);
        EXPECT_NE(model->run(q, context).arrays.at("u_out").reals(), a.arrays.at("u_out").reals()) << key;
    }
}

TEST(MicrocircuitModel, ReportsProgressAndStopsWhenAsked) {
    const ModelPtr model = make_microcircuit_model();
    const Params p = quick_params(*model);
    double last = 0.0;
    int reports = 0;
    RunContext progress({}, nullptr, {}, [&](double f) {
        EXPECT_GE(f, last);
        last = f;
        ++reports;
    });
    model->run(p, progress);
    EXPECT_EQ(last, 1.0);
    EXPECT_EQ(reports, 52);

    std::atomic<bool> stop{true};
    RunContext stopped({}, &stop);
    EXPECT_THROW(model->run(p, stopped), JobCancelled);
    EXPECT_GT(model->estimate_cost(default_params(model->info())), model->estimate_cost(p));
}

}  // namespace
}  // namespace sr
