// bench_evolution: what the evolution engine itself costs per generation, next to the fitness
// evaluations it schedules.
//   1. the (mu+lambda) step of the published configuration (2 genomes of 2 x 5, mu = lambda = 8):
//      breeding, mutation, expressions, canonical rules and job keys, without any job;
//   2. a whole evolution sweep through the coordinator on 2 worker threads with testing.symreg
//      (microsecond jobs): the spine's cost per generation (job dispatch, index commits with fsync);
//   3. both against the reference's ~45 s per generation (issue 15: NEST on 16 cores), and against
//      a full-size generation of e2l.correlation, 8 evaluations of 8 trials each (bench_e2l prints
//      the time of one evaluation; pass it as the argument to get the ratio).
//   bench_evolution [SECONDS_PER_E2L_EVALUATION]
#include "core/registry.hpp"
#include "core/symbolic/expression.hpp"
#include "db/store.hpp"
#include "scheduler/coordinator.hpp"
#include "scheduler/evolution/evolution_source.hpp"
#include "scheduler/expansion.hpp"
#include "scheduler/sweep_spec.hpp"
#include "worker/thread_pool.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kReferenceSecondsPerGeneration = 45.0;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::vector<sr::evolution::Primitive> published_primitives() {
    std::vector<sr::evolution::Primitive> p;
    for (const char* name : {"Add", "Sub", "Mul", "Div", "Pow", "0.1", "1.0", "10.0"}) {
        p.push_back(*sr::evolution::parse_primitive(name));
    }
    return p;
}

// Step 1: generations of the published configuration with a stand-in fitness (a hash of the rules).
double loop_seconds_per_generation(int generations) {
    using namespace sr::evolution;
    PopulationConfig config;
    const GenomeShape shape{2, 1, 5, 1, 5, published_primitives()};
    config.genomes = {shape, shape};
    config.n_parents = config.n_offsprings = config.n_breeding = 8;
    config.mutation_rate = 0.05;
    config.max_generations = generations;
    config.min_fitness = 1e300;
    config.seed = 123;
    Population population(config);
    const auto start = Clock::now();
    std::size_t sink = 0;
    while (!population.finished()) {
        for (Individual& individual : population.combined()) {
            if (individual.fitness) continue;
            std::string params = R"({"rule":[)";
            for (std::size_t g = 0; g < individual.genomes.size(); ++g) {
                const auto rule = canonical_rule(population.genomes()[g].expression(individual.genomes[g], 0));
                params += (g ? ",\"" : "\"") + rule.value_or("nan") + "\"";
            }
            params += "]}";
            const std::string key = sr::job_key_of_text("e2l.correlation", 1, params);
            sink += static_cast<unsigned char>(key[0]);
            individual.fitness = static_cast<double>(std::hash<std::string>{}(params) % 1000);
        }
        population.complete_generation();
    }
    const double seconds = seconds_since(start) / generations;
    if (sink == 1) std::puts("");  // keeps the keys from being optimised away
    return seconds;
}

// Step 2: an evolution sweep of testing.symreg through the real coordinator and index.
std::pair<double, int> spine_seconds_per_generation(int generations) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("bench_evolution_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string text =
        "name: bench\nmodel: testing.symreg\nparams: {points: 2}\nevolution:\n"
        "  genome: {n_inputs: 2, n_outputs: 1, n_columns: 5, n_rows: 1, levels_back: 5,\n"
        "           primitives: [Add, Sub, Mul, Div, Pow, 0.1, 1.0, 10.0]}\n"
        "  rules: [expr]\n  n_parents: 8\n  n_offsprings: 8\n  n_breeding: 8\n  tournament_size: 1\n"
        "  mutation_rate: 0.2\n  max_generations: " +
        std::to_string(generations) + "\n  min_fitness: 1.0\n  seed: 123\n";
    const sr::SweepSpec spec = sr::parse_sweep(text, dir / "bench.yaml");
    const auto points = sr::expand_packed(spec, sr::builtin_models());
    double seconds = 0;
    int recorded = 0;
    {
        sr::Store store((dir / "index.db").string());
        const std::int64_t sweep_id = store.register_sweep("bench", "bench.yaml", text);
        std::vector<sr::evolution::EvolutionPoint> evolutions;
        for (const auto& point : points) evolutions.push_back(sr::evolution::evolution_point(point));
        sr::ThreadPool pool(2, dir);
        const auto start = Clock::now();
        sr::evolution::EvolutionSource source(std::move(evolutions), sr::builtin_models().find("testing.symreg"), store,
                                              sweep_id, "bench", 0);
        sr::coordinate(source, 0, pool, store, sweep_id, {});
        seconds = seconds_since(start);
        auto count = store.connection().prepare("SELECT count(*) FROM evolution_generations");
        count.step();
        recorded = static_cast<int>(count.get_int(0));
    }
    fs::remove_all(dir);
    return {seconds / recorded, recorded};
}

}  // namespace

int main(int argc, char** argv) {
    const double loop = loop_seconds_per_generation(2000);
    std::printf("(mu+lambda) step, published configuration:  %8.1f us per generation (2000 generations)\n",
                loop * 1e6);
    const auto [spine, generations] = spine_seconds_per_generation(200);
    std::printf("coordinator + index, testing.symreg jobs:   %8.2f ms per generation (%d generations, 2 threads)\n",
                spine * 1e3, generations);
    std::printf("reference (NEST, 16 cores):                 %8.1f s per generation\n", kReferenceSecondsPerGeneration);
    std::printf("engine overhead / reference generation:     %8.5f\n", spine / kReferenceSecondsPerGeneration);
    if (argc > 1) {
        const double evaluation = std::stod(argv[1]);
        // 8 evaluations on 2 cores, plus the engine's own cost.
        const double generation = 8 * evaluation / 2 + spine;
        std::printf("e2l generation on 2 cores (8 x %.3f s / 2):  %8.3f s  -> %.0fx less wall time than the reference; "
                    "2000 generations in %.1f min\n",
                    evaluation, generation, kReferenceSecondsPerGeneration / generation, 2000 * generation / 60);
    }
    return 0;
}
