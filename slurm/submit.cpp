#include "db/store.hpp"
#include "scheduler/expansion.hpp"
#include "scheduler/run.hpp"
#include "slurm/slurm.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>

namespace sr::slurm {
namespace fs = std::filesystem;
namespace {

fs::path self_binary() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw std::runtime_error("cannot find this program's path (/proc/self/exe)");
    return self;
}

void write_script(const fs::path& path, const std::string& text) {
    const fs::path temp = path.string() + ".tmp";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) throw std::runtime_error(temp.string() + ": cannot write");
    }
    fs::permissions(temp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    fs::rename(temp, path);
}

}  // namespace

int submit(const SubmitRequest& request) {
    std::optional<ExpandedSweep> expanded = load_and_expand(request.sweep_file, request.overrides, *request.models);
    if (!expanded) return 2;
    const SweepSpec& spec = expanded->spec;
    const std::vector<PackedJob>& jobs = expanded->jobs;
    if (jobs.empty()) {
        spdlog::error("error: {}: the sweep has no jobs", request.sweep_file.string());
        return 2;
    }

    ScriptOptions o = request.script;
    o.sweep_name = spec.name;
    o.sweep_file = fs::absolute(request.sweep_file).lexically_normal();
    o.sweep_args = request.overrides.arguments();
    for (const PackedJob& job : jobs) o.cpus_per_job = std::max(o.cpus_per_job, job.cpus);
    o.out_dir = fs::absolute(request.out_dir).lexically_normal();
    o.db_path = fs::absolute(index_path(request.out_dir, request.db_path)).lexically_normal();
    o.binary = self_binary();
    o.workdir = fs::current_path();
    if (o.mode == Mode::array) {
        o.shards = request.shards > 0 ? request.shards : static_cast<int>(std::min<std::size_t>(jobs.size(), 1000));
        if (request.max_array_size) o.max_array_size = *request.max_array_size;
        else if (const auto site = site_max_array_size()) o.max_array_size = *site;
    }
    std::vector<BatchScript> scripts;
    try {
        scripts = batch_scripts(o);
    } catch (const std::exception& e) {
        spdlog::error("error: {}", e.what());
        return 2;
    }

    const fs::path script_dir = o.out_dir / "slurm";
    fs::create_directories(script_dir);
    fs::create_directories(o.db_path.parent_path());
    for (const BatchScript& s : scripts) write_script(script_dir / s.file_name, s.text);

    if (request.dry_run) {
        for (const BatchScript& s : scripts) {
            std::cout << "# sbatch";
            if (!s.after.empty()) {
                std::cout << " --dependency=afterany";
                for (std::size_t i : s.after) std::cout << ":<" << scripts[i].file_name << '>';
            }
            std::cout << ' ' << (script_dir / s.file_name).string() << '\n' << s.text << '\n';
        }
        return 0;
    }

    // Registered before submitting, so `status` shows the sweep's pending jobs at once.
    Store store(o.db_path.string());
    const std::int64_t sweep_id = store.register_sweep(spec.name, o.sweep_file.string(), spec.text, git_state(o.sweep_file));
    store.register_jobs(sweep_id, jobs);
    std::vector<std::string> ids;
    try {
        for (const BatchScript& s : scripts) {
            std::vector<std::string> after;
            for (std::size_t i : s.after) after.push_back(ids.at(i));
            ids.push_back(sbatch(script_dir / s.file_name, after));
            store.record_submission(sweep_id, ids.back());
            std::cout << "submitted " << s.role << " job " << ids.back() << ": " << (script_dir / s.file_name).string()
                      << '\n';
        }
    } catch (const std::exception& e) {
        spdlog::error("error: {}", e.what());
        return 2;
    }
    std::cout << "sweep " << spec.name << ": " << jobs.size() << " jobs; follow with: sweep_runner status "
              << o.db_path.string() << '\n';
    return 0;
}

int merge(const fs::path& sweep_file, const SweepOverrides& overrides, const fs::path& db_path_arg,
          const fs::path& out_dir, const ModelRegistry& models) {
    const fs::path db_path = index_path(out_dir, db_path_arg);
    if (!sweep_file.empty()) {
        // Registers the sweep's jobs first, so the index lists the ones no shard finished as pending.
        const std::optional<ExpandedSweep> expanded = load_and_expand(sweep_file, overrides, models);
        if (!expanded) return 2;
        fs::create_directories(db_path.parent_path().empty() ? fs::path(".") : db_path.parent_path());
        Store store(db_path.string());
        const std::int64_t id =
            store.register_sweep(expanded->spec.name, fs::absolute(sweep_file).string(), expanded->spec.text,
                                 git_state(sweep_file));
        store.register_jobs(id, expanded->jobs);
    }
    const MergeSummary summary = merge_shards(db_path);
    std::cout << "merged " << summary.shards << " shard databases into " << db_path.string() << ": "
              << summary.jobs << " jobs updated (" << summary.done << " done, " << summary.failed << " failed)\n";
    return 0;
}

}  // namespace sr::slurm
