#include "db/evolution_store.hpp"

#include <cmath>

namespace sr {
namespace {

// JSON has no infinities: a -inf fitness (an invalid or failed rule) is shown as text.
Json fitness_json(double value) { return std::isfinite(value) ? Json(value) : Json(value > 0 ? "inf" : value < 0 ? "-inf" : "nan"); }

// IF NOT EXISTS: evolution sweeps add these to any index, older ones included, without a schema
// migration that every other index would carry. jobs_by_key finds a rule's fitness in any sweep.
const char* const schema = R"sql(
CREATE TABLE IF NOT EXISTS evolutions (
    id INTEGER PRIMARY KEY,
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
    position INTEGER NOT NULL,
    point_key TEXT NOT NULL,
    seed INTEGER NOT NULL,
    config TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    UNIQUE (sweep_id, point_key)
);
CREATE TABLE IF NOT EXISTS evolution_generations (
    evolution_id INTEGER NOT NULL REFERENCES evolutions(id),
    generation INTEGER NOT NULL,
    champion INTEGER NOT NULL,
    champion_fitness REAL,
    champion_rules TEXT NOT NULL,
    parents TEXT NOT NULL,
    evaluations INTEGER NOT NULL,
    cache_hits INTEGER NOT NULL,
    inherited INTEGER NOT NULL,
    PRIMARY KEY (evolution_id, generation)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evolution_individuals (
    evolution_id INTEGER NOT NULL REFERENCES evolutions(id),
    generation INTEGER NOT NULL,
    position INTEGER NOT NULL,
    individual INTEGER NOT NULL,
    parent INTEGER,
    inherited INTEGER NOT NULL,
    genomes TEXT NOT NULL,
    rules TEXT NOT NULL,
    job_key TEXT,
    fitness REAL,
    PRIMARY KEY (evolution_id, generation, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs(key);
)sql";

}  // namespace

EvolutionStore::EvolutionStore(Store& store, bool read_only) : store_(store) {
    if (read_only) return;
    sql::Transaction tx(store_.connection());
    store_.connection().exec(schema);
    tx.commit();
}

std::int64_t EvolutionStore::register_evolution(std::int64_t sweep_id, std::int64_t position,
                                                const std::string& point_key, std::int64_t seed,
                                                const std::string& config_json) {
    sql::Connection& db = store_.connection();
    sql::Transaction tx(db);
    db.prepare(R"sql(
        INSERT INTO evolutions(sweep_id, position, point_key, seed, config) VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT(sweep_id, point_key) DO UPDATE SET position = ?2)sql")
        .bind(1, sweep_id).bind(2, position).bind(3, point_key).bind(4, seed).bind(5, config_json)
        .run();
    auto select = db.prepare("SELECT id FROM evolutions WHERE sweep_id = ? AND point_key = ?");
    select.bind(1, sweep_id).bind(2, point_key).step();
    const std::int64_t id = select.get_int(0);
    tx.commit();
    return id;
}

int EvolutionStore::recorded_generations(std::int64_t evolution_id) {
    auto select = store_.connection().prepare("SELECT count(*) FROM evolution_generations WHERE evolution_id = ?");
    select.bind(1, evolution_id).step();
    return static_cast<int>(select.get_int(0));
}

void EvolutionStore::record_generation(std::int64_t evolution_id, const GenerationRecord& record, bool finished) {
    sql::Connection& db = store_.connection();
    sql::Transaction tx(db);
    // OR IGNORE: a replayed generation is the same one; its first record keeps its counts.
    auto individual = db.prepare(R"sql(
        INSERT OR IGNORE INTO evolution_individuals(evolution_id, generation, position, individual, parent,
                                                    inherited, genomes, rules, job_key, fitness)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
    const IndividualRecord* champion = nullptr;
    for (std::size_t i = 0; i < record.individuals.size(); ++i) {
        const IndividualRecord& r = record.individuals[i];
        if (r.individual == record.parents.front()) champion = &r;
        individual.bind(1, evolution_id).bind(2, record.generation).bind(3, static_cast<std::int64_t>(i))
            .bind(4, r.individual);
        if (r.parent < 0) individual.bind_null(5);
        else individual.bind(5, r.parent);
        individual.bind(6, r.inherited ? 1 : 0).bind(7, r.genomes.dump()).bind(8, r.rules.dump());
        if (r.job_key.empty()) individual.bind_null(9);
        else individual.bind(9, r.job_key);
        individual.bind(10, r.fitness);
        individual.run();
        individual.reset();
    }
    db.prepare(R"sql(
        INSERT OR IGNORE INTO evolution_generations(evolution_id, generation, champion, champion_fitness,
                                                    champion_rules, parents, evaluations, cache_hits, inherited)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?))sql")
        .bind(1, evolution_id).bind(2, record.generation).bind(3, champion->individual)
        .bind(4, champion->fitness).bind(5, champion->rules.dump()).bind(6, Json(record.parents).dump())
        .bind(7, record.evaluations).bind(8, record.cache_hits).bind(9, record.inherited)
        .run();
    if (finished) db.prepare("UPDATE evolutions SET finished = 1 WHERE id = ?").bind(1, evolution_id).run();
    tx.commit();
}

std::optional<StoredResult> EvolutionStore::find_result(std::int64_t sweep_id, const std::string& key,
                                                        const std::string& metric) {
    auto select = store_.connection().prepare(R"sql(
        SELECT j.status, m.value, CASE WHEN j.sweep_id = ?3 THEN j.tags ELSE '' END, coalesce(j.error, '')
        FROM jobs j LEFT JOIN metrics m ON m.job_id = j.id AND m.name = ?2
        WHERE j.key = ?1 AND j.status IN ('done', 'failed')
        ORDER BY j.sweep_id = ?3 DESC, j.status = 'done' DESC LIMIT 1)sql");
    select.bind(1, key).bind(2, metric).bind(3, sweep_id);
    if (!select.step()) return std::nullopt;
    StoredResult result;
    result.done = select.get_text(0) == "done";
    if (!select.is_null(1)) result.value = select.get_double(1);
    result.tags = select.get_text(2);
    result.error = select.get_text(3);
    return result;
}

void EvolutionStore::add_jobs(std::int64_t sweep_id, std::vector<PackedJob>& jobs) {
    if (jobs.empty()) return;
    sql::Connection& db = store_.connection();
    sql::Transaction tx(db);
    auto count = db.prepare("SELECT count(*) FROM jobs WHERE sweep_id = ?");
    count.bind(1, sweep_id).step();
    std::int64_t next_index = count.get_int(0);
    auto insert = db.prepare(R"sql(
        INSERT INTO jobs(sweep_id, idx, block, key, model, model_version, params, tags, cost)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sweep_id, key) DO NOTHING)sql");
    auto find = db.prepare("SELECT id, idx FROM jobs WHERE sweep_id = ? AND key = ?");
    for (PackedJob& job : jobs) {
        insert.bind(1, sweep_id).bind(2, next_index).bind(3, job.block).bind(4, job.key).bind(5, job.model)
            .bind(6, job.model_version).bind(7, job.params).bind(8, job.tags).bind(9, job.cost);
        insert.run();
        insert.reset();
        find.bind(1, sweep_id).bind(2, job.key);
        find.step();
        job.id = find.get_int(0);
        job.index = find.get_int(1);
        find.reset();
        if (job.index == next_index) ++next_index;
    }
    tx.commit();
}

std::vector<EvolutionRow> EvolutionStore::evolutions(std::int64_t sweep_id) {
    std::vector<EvolutionRow> rows;
    auto select = store_.connection().prepare(R"sql(
        SELECT e.id, e.position, e.seed, e.finished,
               (SELECT count(*) FROM evolution_generations g WHERE g.evolution_id = e.id),
               (SELECT g.champion_fitness FROM evolution_generations g WHERE g.evolution_id = e.id
                ORDER BY g.generation DESC LIMIT 1),
               (SELECT g.champion_rules FROM evolution_generations g WHERE g.evolution_id = e.id
                ORDER BY g.generation DESC LIMIT 1)
        FROM evolutions e WHERE e.sweep_id = ? ORDER BY e.position)sql");
    select.bind(1, sweep_id);
    while (select.step()) {
        EvolutionRow row;
        row.id = select.get_int(0);
        row.position = select.get_int(1);
        row.seed = select.get_int(2);
        row.finished = select.get_int(3) != 0;
        row.generations = static_cast<int>(select.get_int(4));
        if (!select.is_null(5)) row.best_fitness = select.get_double(5);
        if (!select.is_null(6)) row.best_rules = select.get_text(6);
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<ChampionRow> EvolutionStore::champions(std::int64_t sweep_id) {
    std::vector<ChampionRow> rows;
    auto select = store_.connection().prepare(R"sql(
        SELECT e.position, g.generation, g.champion_fitness, g.champion_rules, g.evaluations, g.cache_hits
        FROM evolution_generations g JOIN evolutions e ON e.id = g.evolution_id
        WHERE e.sweep_id = ? ORDER BY e.position, g.generation)sql");
    select.bind(1, sweep_id);
    while (select.step()) {
        rows.push_back({select.get_int(0), static_cast<int>(select.get_int(1)), select.get_double(2),
                        select.get_text(3), static_cast<int>(select.get_int(4)), static_cast<int>(select.get_int(5))});
    }
    return rows;
}

bool has_evolutions(Store& store, std::int64_t sweep_id) {
    auto table = store.connection().prepare(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'evolutions'");
    if (!table.step()) return false;
    auto select = store.connection().prepare("SELECT 1 FROM evolutions WHERE sweep_id = ? LIMIT 1");
    select.bind(1, sweep_id);
    return select.step();
}

EvolutionProgress evolution_progress(Store& store, std::int64_t sweep_id) {
    EvolutionProgress p;
    if (!has_evolutions(store, sweep_id)) return p;
    auto totals = store.connection().prepare(R"sql(
        SELECT coalesce(sum(n), 0), coalesce(sum(CASE WHEN finished THEN n ELSE max_generations END), 0) FROM (
            SELECT e.finished, json_extract(e.config, '$.max_generations') AS max_generations,
                   (SELECT count(*) FROM evolution_generations g WHERE g.evolution_id = e.id) AS n
            FROM evolutions e WHERE e.sweep_id = ?))sql");
    totals.bind(1, sweep_id);
    totals.step();
    p.generations = totals.get_int(0);
    p.max_generations = totals.get_int(1);
    // Generations without a job (all offspring cached or inherited) still count: per evolution, the
    // span of generations the window's jobs belong to.
    auto window = store.connection().prepare(R"sql(
        SELECT coalesce(sum(span), 0), max(last) - min(first) FROM (
            SELECT max(generation) - min(generation) + 1 AS span, min(started) AS first, max(finished) AS last FROM (
                SELECT json_extract(tags, '$.evolution') AS evolution, json_extract(tags, '$.generation') AS generation,
                       started, finished FROM jobs
                WHERE sweep_id = ? AND retired = 0 AND status = 'done' AND started IS NOT NULL AND finished IS NOT NULL
                ORDER BY finished DESC LIMIT 200)
            GROUP BY evolution))sql");
    window.bind(1, sweep_id);
    window.step();
    const double generations = window.get_double(0);
    const double seconds = window.is_null(1) ? 0 : window.get_double(1);
    if (generations >= 2 && seconds > 0) {
        p.generations_per_second = generations / seconds;
        p.eta_seconds = static_cast<double>(p.max_generations - p.generations) / *p.generations_per_second;
    }
    return p;
}

ResultsTable evolutions_table(Store& store, std::int64_t sweep_id) {
    ResultsTable table;
    table.columns = {"evolution", "seed", "generations", "finished", "best_fitness", "rules"};
    if (!has_evolutions(store, sweep_id)) return table;
    for (const EvolutionRow& row : EvolutionStore(store, true).evolutions(sweep_id)) {
        table.rows.push_back({row.position, row.seed, row.generations, row.finished ? "yes" : "no",
                              row.best_fitness ? fitness_json(*row.best_fitness) : Json(), row.best_rules});
    }
    return table;
}

ResultsTable champions_table(Store& store, std::int64_t sweep_id) {
    ResultsTable table;
    table.columns = {"evolution", "generation", "fitness", "rules", "evaluations", "cache_hits"};
    if (!has_evolutions(store, sweep_id)) return table;
    for (const ChampionRow& row : EvolutionStore(store, true).champions(sweep_id)) {
        table.rows.push_back({row.position, row.generation, fitness_json(row.fitness), row.rules, row.evaluations, row.cache_hits});
    }
    return table;
}

}  // namespace sr
