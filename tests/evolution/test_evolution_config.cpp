// Bad `evolution:` blocks are refused before anything runs, with one line naming the file, line,
// column, key and reason.
#include "core/registry.hpp"
#include "scheduler/expansion.hpp"
#include "scheduler/sweep_spec.hpp"

#include <gtest/gtest.h>

namespace sr {
namespace {

const std::string good = R"(name: evo
model: testing.symreg
evolution:
  genome:
    n_inputs: 2
    n_outputs: 1
    n_columns: 5
    n_rows: 1
    levels_back: 5
    primitives: [Add, Sub, Mul, Div, Pow, 0.1, 1.0, 10.0]
  rules: [expr]
  n_parents: 8
  n_offsprings: 8
  n_breeding: 8
  tournament_size: 1
  mutation_rate: 0.05
  max_generations: 2000
  min_fitness: 10
  seed: 123
grid:
  evolution.seed: [123, 124]
)";

std::string error_of(const std::string& text) {
    try {
        expand_packed(parse_sweep(text, "evo.yaml"), builtin_models());
    } catch (const SweepError& e) {
        return e.what();
    }
    return "";
}

std::string with(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
}

TEST(EvolutionConfig, TheGoodBlockExpandsToOnePointPerEvolution) {
    const auto points = expand_packed(parse_sweep(good, "evo.yaml"), builtin_models());
    ASSERT_EQ(points.size(), 2u);
    EXPECT_NE(points[0].params.find("\"seed\":123"), std::string::npos) << points[0].params;
    EXPECT_NE(points[1].params.find("\"seed\":124"), std::string::npos) << points[1].params;
}

TEST(EvolutionConfig, ErrorsNameFileLineKeyAndReason) {
    EXPECT_EQ(error_of(with(good, "mutation_rate: 0.05", "mutation_rate: 1.5")),
              "evo.yaml:16:3: evolution.mutation_rate: must be in (0, 1), got 1.5");
    EXPECT_EQ(error_of(with(good, "mutation_rate: 0.05", "mutation_rate: 0.01")),
              "evo.yaml:16:3: evolution.mutation_rate: gives no mutation: int(mutation_rate x 24 genes) is 0");
    EXPECT_EQ(error_of(with(good, "n_breeding: 8", "n_breeding: 4")),
              "evo.yaml:14:3: evolution.n_breeding: must be at least n_offsprings (8), got 4");
    EXPECT_EQ(error_of(with(good, "rules: [expr]", "rules: [target2]")),
              "evo.yaml:11:3: evolution.rules: model testing.symreg has no string parameter 'target2' to take a rule");
    EXPECT_EQ(error_of(with(good, "rules: [expr]", "rules: [expr, target]")),
              "evo.yaml:11:3: evolution.rules: expected a list of 1 string parameter name(s) of the fitness model, "
              "one per genome");
    EXPECT_EQ(error_of(with(good, "    levels_back: 5", "    levels_back: 6")),
              "evo.yaml:9:5: evolution.genome.levels_back: must be in [1, 5], got 6");
    EXPECT_EQ(error_of(with(good, "Pow, 0.1", "Pow, Sin, 0.1")),
              "evo.yaml:10:5: evolution.genome.primitives: item 5: expected Add, Sub, Mul, Div, Pow or a number, got "
              "\"Sin\"");
    EXPECT_EQ(error_of(with(good, "  seed: 123\n", "  seed: 123\n  n_parent: 3\n")),
              "evo.yaml:20:3: evolution.n_parent: unknown key (known: seed, genome, genomes, rules, fitness, "
              "n_parents, n_offsprings, n_breeding, tournament_size, mutation_rate, max_generations, min_fitness)");
    EXPECT_EQ(error_of(with(good, "  evolution.seed: [123, 124]", "  evolution.seed: [123, -1]")),
              "evo.yaml:21:25: evolution.seed: must be in [0, 4294967295], got -1");
}

}  // namespace
}  // namespace sr
