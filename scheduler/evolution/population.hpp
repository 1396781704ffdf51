#pragma once
// The (mu + lambda) loop of the 2019 `gp` package (abstract_population.py, cgp_population.py,
// hl_api.py at hal-cgp f6ea0f6), as a state machine the caller feeds with fitness values:
// generation 0 is mu random parents and lambda random offspring; each generation the offspring
// (placed before the parents) and the parents are sorted by fitness, stably and descending, the
// best mu become the parents, and unless the champion reached min_fitness or the generation budget
// is spent, a breeding pool of tournament winners is sorted, cut to lambda and mutated.
#include "scheduler/evolution/cgp.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace sr::evolution {

struct PopulationConfig {
    std::vector<GenomeShape> genomes;  // one per genome of an individual
    int n_parents = 1, n_offsprings = 1, n_breeding = 1, tournament_size = 1;
    double mutation_rate = 0.05;
    int max_generations = 1;
    double min_fitness = 0;
    std::uint32_t seed = 0;
};

struct Individual {
    std::vector<Dna> genomes;
    std::optional<double> fitness;  // none until evaluated or inherited
    std::int64_t id = 0;            // the reference's idx: the order individuals were created in
    std::int64_t parent = -1;       // the individual it was bred from (-1: random)
    bool inherited = false;         // its mutations all hit inactive genes: its parent's fitness
};

class Population {
public:
    explicit Population(const PopulationConfig& config);

    // The generation being evaluated (0-based).
    int generation() const { return generation_; }
    bool finished() const { return finished_; }
    // Offspring first, then parents: the order the reference evaluates and sorts them in.
    std::vector<Individual>& combined() { return combined_; }
    const std::vector<Individual>& combined() const { return combined_; }
    const std::vector<Genome>& genomes() const { return genomes_; }

    // Every individual of combined() has a fitness: sort, select, and either finish or breed the
    // next generation. NaN fitness becomes -inf on the individual.
    void complete_generation();
    // After complete_generation: the new parents, best first (parents()[0] is the champion).
    const std::vector<Individual>& parents() const { return parents_; }

private:
    std::vector<Individual> random_individuals(int n);
    void breed();

    PopulationConfig config_;
    std::vector<Genome> genomes_;
    LegacyRandom rng_;
    std::vector<Individual> parents_;
    std::vector<Individual> combined_;
    std::int64_t next_id_ = 0;
    int generation_ = 0;
    bool finished_ = false;
};

}  // namespace sr::evolution
