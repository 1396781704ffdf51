#include "scheduler/evolution/population.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sr::evolution {
namespace {

// sorted(..., key=lambda x: -x.fitness): stable, descending.
void sort_by_fitness(std::vector<Individual>& individuals) {
    std::stable_sort(individuals.begin(), individuals.end(),
                     [](const Individual& a, const Individual& b) { return *a.fitness > *b.fitness; });
}

}  // namespace

Population::Population(const PopulationConfig& config) : config_(config), rng_(config.seed) {
    for (const GenomeShape& shape : config_.genomes) genomes_.emplace_back(shape);
    // Parents are drawn before offspring, each individual's genomes in order.
    std::vector<Individual> parents = random_individuals(config_.n_parents);
    combined_ = random_individuals(config_.n_offsprings);
    combined_.insert(combined_.end(), parents.begin(), parents.end());
}

std::vector<Individual> Population::random_individuals(int n) {
    std::vector<Individual> individuals(static_cast<std::size_t>(n));
    for (Individual& individual : individuals) {
        for (const Genome& genome : genomes_) individual.genomes.push_back(genome.random(rng_));
        individual.id = next_id_++;
    }
    return individuals;
}

void Population::complete_generation() {
    for (Individual& individual : combined_) {
        if (!individual.fitness) throw std::logic_error("complete_generation: an individual has no fitness");
        if (std::isnan(*individual.fitness)) individual.fitness = -INFINITY;
    }
    std::vector<Individual> sorted = combined_;
    sort_by_fitness(sorted);
    parents_.assign(sorted.begin(), sorted.begin() + config_.n_parents);
    // The check that ends the reference's loop, at generation 0 too.
    if (*parents_.front().fitness + 1e-10 >= config_.min_fitness || generation_ + 1 >= config_.max_generations) {
        finished_ = true;
        return;
    }
    breed();
    ++generation_;
}

void Population::breed() {
    std::vector<Individual> pool;
    while (static_cast<int>(pool.size()) < config_.n_breeding) {
        std::vector<Individual> tournament = rng_.permutation(parents_);
        tournament.resize(static_cast<std::size_t>(config_.tournament_size));
        sort_by_fitness(tournament);
        pool.push_back(tournament.front());
    }
    // No crossover in CGP: the best lambda of the breeding pool, each mutated.
    sort_by_fitness(pool);
    pool.resize(static_cast<std::size_t>(config_.n_offsprings));
    std::vector<Individual> offspring;
    for (Individual& child : pool) {
        child.parent = child.id;
        child.inherited = true;
        for (std::size_t g = 0; g < genomes_.size(); ++g) {
            const Genome& genome = genomes_[g];
            const int n = static_cast<int>(config_.mutation_rate * genome.gene_count());
            if (!genome.mutate(child.genomes[g], n, rng_)) child.inherited = false;
        }
        if (!child.inherited) child.fitness.reset();
        offspring.push_back(std::move(child));
    }
    // Labelled after all are mutated, in order.
    for (Individual& child : offspring) child.id = next_id_++;
    combined_ = std::move(offspring);
    combined_.insert(combined_.end(), parents_.begin(), parents_.end());
}

}  // namespace sr::evolution
