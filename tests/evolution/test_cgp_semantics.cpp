// The CGP engine against the 2019 `gp` package (hal-cgp f6ea0f6): the same seed gives the same
// genomes, mutations, inheritance and selection, gene by gene (tests/data/evolution/README.md).
#include "core/params.hpp"
#include "scheduler/evolution/population.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace sr::evolution {
namespace {

Json load(const std::string& name) {
    std::ifstream in(std::string(SWEEP_RUNNER_SOURCE_DIR) + "/tests/data/evolution/" + name);
    return Json::parse(in);
}

std::vector<Primitive> published_primitives() {
    std::vector<Primitive> p;
    for (const char* name : {"Add", "Sub", "Mul", "Div", "Pow", "0.1", "1.0", "10.0"}) p.push_back(*parse_primitive(name));
    return p;
}

// The fixture's toy fitness (see the README).
double toy_fitness(const Individual& individual) {
    long long sum = 0;
    for (std::size_t g = 0; g < individual.genomes.size(); ++g) {
        for (std::size_t i = 0; i < individual.genomes[g].size(); ++i) {
            const int v = individual.genomes[g][i];
            if (v != non_coding_gene) sum += (v + 3) * static_cast<long long>(i + 1) * static_cast<long long>(g + 2);
        }
    }
    return static_cast<double>(sum % 13);
}

Json dna_json(const Dna& dna) {
    Json out = Json::array();
    for (int v : dna) out.push_back(v == non_coding_gene ? Json() : Json(v));
    return out;
}

void expect_same_run(const PopulationConfig& config, const Json& generations) {
    Population population(config);
    for (std::size_t gen = 0; gen < generations.size(); ++gen) {
        SCOPED_TRACE("generation " + std::to_string(gen));
        ASSERT_EQ(population.generation(), static_cast<int>(gen));
        const Json& expected = generations[gen]["combined"];
        auto& combined = population.combined();
        ASSERT_EQ(combined.size(), expected.size());
        for (std::size_t i = 0; i < combined.size(); ++i) {
            SCOPED_TRACE("individual " + std::to_string(i));
            EXPECT_EQ(combined[i].id, expected[i]["id"].get<std::int64_t>());
            EXPECT_EQ(combined[i].fitness.has_value(), expected[i]["inherited"].get<bool>());
            for (std::size_t g = 0; g < combined[i].genomes.size(); ++g) {
                EXPECT_EQ(dna_json(combined[i].genomes[g]), expected[i]["dna"][g]);
            }
            if (!combined[i].fitness) combined[i].fitness = toy_fitness(combined[i]);
            EXPECT_EQ(*combined[i].fitness, expected[i]["fitness"].get<double>());
        }
        population.complete_generation();
        std::vector<std::int64_t> parents;
        for (const Individual& p : population.parents()) parents.push_back(p.id);
        EXPECT_EQ(Json(parents), generations[gen]["parents"]);
    }
}

TEST(CgpSemantics, PublishedConfigurationMatchesReferenceGenerations) {
    const Json fixture = load("gp_f6ea0f6_generations.json");
    for (const auto& [seed, generations] : fixture["corr"].items()) {
        SCOPED_TRACE("seed " + seed);
        PopulationConfig config;
        const GenomeShape shape{2, 1, 5, 1, 5, published_primitives()};
        config.genomes = {shape, shape};
        config.n_parents = config.n_offsprings = config.n_breeding = 8;
        config.tournament_size = 1;
        config.mutation_rate = 0.05;
        config.max_generations = 100;
        config.min_fitness = 1e9;
        config.seed = static_cast<std::uint32_t>(std::stoul(seed));
        expect_same_run(config, generations);
    }
}

TEST(CgpSemantics, RowsLevelsBackTournamentAndLargerPoolMatchReference) {
    const Json fixture = load("gp_f6ea0f6_generations.json");
    for (const auto& [seed, generations] : fixture["big"].items()) {
        SCOPED_TRACE("seed " + seed);
        PopulationConfig config;
        config.genomes = {GenomeShape{3, 2, 6, 2, 3, published_primitives()}};
        config.n_parents = 5;
        config.n_offsprings = 7;
        config.n_breeding = 9;
        config.tournament_size = 3;
        config.mutation_rate = 0.1;
        config.max_generations = 100;
        config.min_fitness = 1e9;
        config.seed = static_cast<std::uint32_t>(std::stoul(seed));
        expect_same_run(config, generations);
    }
}

TEST(CgpSemantics, PublishedRunsGenerationZeroExpressions) {
    const Json fixture = load("e2l_correlation_generation0.json");
    ASSERT_EQ(fixture["runs"].size(), 20u);
    for (const auto& [run, data] : fixture["runs"].items()) {
        SCOPED_TRACE("run " + run);
        PopulationConfig config;
        const GenomeShape shape{2, 1, 5, 1, 5, published_primitives()};
        config.genomes = {shape, shape};
        config.n_parents = config.n_offsprings = config.n_breeding = 8;
        config.seed = data["seed"].get<std::uint32_t>();
        const Population population(config);
        ASSERT_EQ(population.combined().size(), data["generation0"].size());
        for (std::size_t i = 0; i < population.combined().size(); ++i) {
            for (std::size_t g = 0; g < 2; ++g) {
                EXPECT_EQ(population.genomes()[g].expression(population.combined()[i].genomes[g], 0),
                          data["generation0"][i][g].get<std::string>());
            }
        }
    }
}

TEST(CgpSemantics, StopsAtMinFitnessInGenerationZero) {
    PopulationConfig config;
    config.genomes = {GenomeShape{2, 1, 5, 1, 5, published_primitives()}};
    config.n_parents = config.n_offsprings = config.n_breeding = 2;
    config.max_generations = 10;
    config.min_fitness = 5;
    Population population(config);
    for (Individual& i : population.combined()) i.fitness = 5 - 1e-11;  // within the reference's 1e-10
    population.complete_generation();
    EXPECT_TRUE(population.finished());
    EXPECT_EQ(population.generation(), 0);
}

TEST(CgpSemantics, NanFitnessSortsLast) {
    PopulationConfig config;
    config.genomes = {GenomeShape{2, 1, 5, 1, 5, published_primitives()}};
    config.n_parents = config.n_offsprings = config.n_breeding = 2;
    config.max_generations = 10;
    config.min_fitness = 100;
    Population population(config);
    auto& c = population.combined();
    c[0].fitness = NAN;
    c[1].fitness = 1;
    c[2].fitness = -INFINITY;
    c[3].fitness = 2;
    const std::int64_t nan_id = c[0].id;
    population.complete_generation();
    EXPECT_EQ(*population.parents()[0].fitness, 2);
    EXPECT_EQ(*population.parents()[1].fitness, 1);
    // NaN became -inf on the individual and, placed first, sorts before the other -inf.
    for (const Individual& i : population.combined()) {
        if (i.id == nan_id) {
            EXPECT_EQ(*i.fitness, -INFINITY);
        }
    }
}

}  // namespace
}  // namespace sr::evolution
