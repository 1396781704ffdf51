// Result readers of the exec model (JSON, .npy) and the params.yaml writer, without running anything.
#include "core/models/exec/exec_model.hpp"
#include "core/models/exec/outputs.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace {
using sr::Json;

sr::Result json_result(const std::string& text) {
    sr::Result r;
    sr::exec::read_json_result(text, "out.json", r);
    return r;
}

std::string json_error(const std::string& text) {
    try {
        json_result(text);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(ExecOutputs, JsonMetricsAndArrays) {
    const sr::Result r = json_result(R"({"metrics": {"loss": 0.25, "ok": true, "val": {"acc": 0.9, "n": 3}},
                                         "arrays": {"w": [[1, 2.5], [3, 4]], "idx": [0, 1, 2], "s": 5,
                                                    "empty": [], "layer": {"bias": [0.5]}}})");
    EXPECT_EQ(r.metrics, (std::map<std::string, double>{{"loss", 0.25}, {"ok", 1}, {"val.acc", 0.9}, {"val.n", 3}}));
    EXPECT_EQ(r.arrays.at("w").shape, (std::vector<std::size_t>{2, 2}));
    EXPECT_EQ(r.arrays.at("w").reals(), (std::vector<double>{1, 2.5, 3, 4}));
    EXPECT_EQ(r.arrays.at("idx").ints(), (std::vector<std::int64_t>{0, 1, 2}));
    EXPECT_TRUE(r.arrays.at("s").shape.empty());
    EXPECT_EQ(r.arrays.at("empty").shape, std::vector<std::size_t>{0});
    EXPECT_EQ(r.arrays.at("layer.bias").reals(), std::vector<double>{0.5});
}

TEST(ExecOutputs, PythonsBareNaNIsANaNNotMalformedJson) {
    // json.dump writes NaN and Infinity bare; "NaN" inside strings is left alone.
    const sr::Result r = json_result(R"({"metrics": {"loss": NaN, "big": -Infinity},
                                         "arrays": {"curve": [1.0, NaN, Infinity], "label_NaN": [1]}})");
    EXPECT_TRUE(std::isnan(r.metrics.at("loss")));
    EXPECT_EQ(r.metrics.at("big"), -INFINITY);
    EXPECT_TRUE(std::isnan(r.arrays.at("curve").reals()[1]));
    EXPECT_TRUE(r.arrays.count("label_NaN"));
}

TEST(ExecOutputs, JsonRefusals) {
    EXPECT_EQ(json_error(R"({"metrics": {"loss": 0.5,)").substr(0, 26), "out.json: malformed JSON: ");
    EXPECT_EQ(json_error("[1, 2]"), R"(out.json: expected a JSON object {"metrics": {...}, "arrays": {...}})");
    EXPECT_EQ(json_error(R"({"metric": {}})"), R"(out.json: unexpected key 'metric' (expected "metrics" and "arrays"))");
    EXPECT_EQ(json_error(R"({"metrics": {"loss": "low"}})"), R"(out.json: metric 'loss' is "low", expected a number)");
    EXPECT_EQ(json_error(R"({"metrics": {"loss": null}})"), "out.json: metric 'loss' is null, expected a number");
    EXPECT_EQ(json_error(R"({"arrays": {"w": [[1, 2], [3]]}})"),
              "out.json: array 'w' is not a rectangular list of numbers");
    EXPECT_EQ(json_error(R"({"arrays": {"w": ["a"]}})"),
              R"(out.json: array 'w' is not a rectangular list of numbers (found "a"))");
    EXPECT_EQ(json_error(R"({"arrays": {"metrics": [1]}})"), "out.json: array name 'metrics' is reserved");
    EXPECT_EQ(json_error(R"({"metrics": {"a.b": 1, "a": {"b": 2}}})"), "out.json: metric 'a.b' is given twice");
}

std::string npy(const std::string& descr, const std::string& shape, bool fortran, const void* data, std::size_t bytes) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                         ", 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    out += header;
    out.append(static_cast<const char*>(data), bytes);
    return out;
}

TEST(ExecOutputs, NpyDtypesOrdersAndEndianness) {
    const double d[] = {1, 2, 3, 4, 5, 6};
    sr::Array a = sr::exec::parse_npy(npy("<f8", "(2, 3)", false, d, sizeof d), "a.npy");
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(a.reals(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    // Fortran order: memory holds columns; the array comes back row-major.
    a = sr::exec::parse_npy(npy("<f8", "(2, 3)", true, d, sizeof d), "a.npy");
    EXPECT_EQ(a.reals(), (std::vector<double>{1, 3, 5, 2, 4, 6}));
    const std::int32_t big[] = {static_cast<std::int32_t>(0x01000000), static_cast<std::int32_t>(0xfeffffff)};
    a = sr::exec::parse_npy(npy(">i4", "(2,)", false, big, sizeof big), "a.npy");
    EXPECT_EQ(a.ints(), (std::vector<std::int64_t>{1, -2}));
    const std::uint8_t flags[] = {1, 0, 1};
    a = sr::exec::parse_npy(npy("|b1", "(3,)", false, flags, sizeof flags), "a.npy");
    EXPECT_EQ(a.ints(), (std::vector<std::int64_t>{1, 0, 1}));
    const float f = 0.5f;
    a = sr::exec::parse_npy(npy("<f4", "()", false, &f, sizeof f), "a.npy");
    EXPECT_TRUE(a.shape.empty());
    EXPECT_EQ(a.reals(), std::vector<double>{0.5});
    EXPECT_THROW(sr::exec::parse_npy(npy("|O", "(1,)", false, d, 8), "a.npy"), std::runtime_error);
    EXPECT_THROW(sr::exec::parse_npy(npy("<f8", "(4,)", false, d, 16), "a.npy"), std::runtime_error);  // truncated
    EXPECT_THROW(sr::exec::parse_npy("PK\x03\x04", "a.npy"), std::runtime_error);
}

TEST(ExecOutputs, ParamsYamlKeepsTypes) {
    const Json params = {{"lr", 1e-05}, {"epochs", 3}, {"on", true}, {"name", "yes"}, {"ratio", 1.0},
                         {"opt", {{"betas", {0.9, 0.999}}, {"layers", Json::array({Json{{"n", 4}}})}}},
                         {"no", nullptr}, {"empty", Json::object()}};
    EXPECT_EQ(sr::exec::to_yaml(params),
              "empty: {}\n"
              "epochs: 3\n"
              "lr: 1.0e-05\n"
              "name: \"yes\"\n"
              "\"no\": null\n"
              "\"on\": true\n"
              "opt:\n"
              "  betas: [0.9, 0.999]\n"
              "  layers:\n"
              "    -\n"
              "      \"n\": 4\n"
              "ratio: 1.0\n");
}

}  // namespace
