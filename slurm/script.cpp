#include "slurm/slurm.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace sr::slurm {
namespace {

std::string header(const ScriptOptions& o, const std::string& job_name) {
    std::ostringstream s;
    s << "#SBATCH --job-name=" << job_name << '\n';
    if (!o.time.empty()) s << "#SBATCH --time=" << o.time << '\n';
    if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << '\n';
    if (!o.account.empty()) s << "#SBATCH --account=" << o.account << '\n';
    if (!o.mem.empty()) s << "#SBATCH --mem=" << o.mem << '\n';
    return s.str();
}

std::string extra_lines(const ScriptOptions& o) {
    std::string s;
    for (const std::string& arg : o.sbatch_args) s += "#SBATCH " + arg + '\n';
    return s;
}

// The sweep_runner command (without launcher), arguments quoted.
std::string run_command_line(const ScriptOptions& o) {
    std::string s = shell_quote(o.binary.string()) + " run " + shell_quote(o.sweep_file.string()) + " --db " +
                    shell_quote(o.db_path.string()) + " --out " + shell_quote(o.out_dir.string());
    for (const std::string& arg : o.sweep_args) s += ' ' + shell_quote(arg);
    for (const std::string& arg : o.run_args) s += ' ' + shell_quote(arg);
    return s;
}

// Runs `command` in the background so that the shell can take Slurm's warning signal, passes
// SIGTERM on, and requeues the job when the run stopped before the sweep was finished.
std::string signal_and_requeue(const ScriptOptions& o, const std::string& command, const std::string& requeue_id) {
    std::ostringstream s;
    s << "# Slurm signals this shell " << o.grace_seconds << " s before the time limit (--signal=B:TERM@"
      << o.grace_seconds << "),\n"
      << "# and so does a preemption: pass it on to the run, whose in-flight jobs checkpoint and stop\n"
      << "# (exit code 3), then requeue to continue with a fresh time limit.\n"
      << "stopped=0\n"
      << "trap 'stopped=1; kill -TERM \"$pid\" 2>/dev/null' TERM\n"
      << command << " &\n"
      << "pid=$!\n"
      << "wait \"$pid\"; code=$?\n"
      << "while kill -0 \"$pid\" 2>/dev/null; do wait \"$pid\"; code=$?; done\n"
      << "echo \"sweep_runner: exit code $code (restart ${SLURM_RESTART_COUNT:-0})\"\n"
      << "if { [ \"$code\" -eq 3 ] || { [ \"$stopped\" -eq 1 ] && [ \"$code\" -ne 0 ] && [ \"$code\" -ne 2 ]; }; } &&\n"
      << "   [ \"${SLURM_RESTART_COUNT:-0}\" -lt " << o.max_requeues << " ]; then\n"
      << "    echo \"sweep_runner: requeueing " << requeue_id << " to continue\"\n"
      << "    scontrol requeue \"" << requeue_id << "\"\n"
      << "fi\n"
      << "exit \"$code\"\n";
    return s.str();
}

std::string common_tail(const ScriptOptions& o) {
    return "#SBATCH --signal=B:TERM@" + std::to_string(o.grace_seconds) + "\n#SBATCH --requeue\n#SBATCH --open-mode=append\n";
}

}  // namespace

std::string shell_quote(std::string_view text) {
    const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/._-+=:,@%").find(c) != std::string_view::npos;
    });
    if (plain) return std::string(text);
    std::string s = "'";
    for (char c : text) {
        if (c == '\'') s += "'\\''";
        else s += c;
    }
    return s + "'";
}

std::vector<BatchScript> batch_scripts(const ScriptOptions& o) {
    if (o.sweep_name.empty()) throw std::invalid_argument("batch_scripts: no sweep name");
    const std::string logs = (o.out_dir / "slurm").string();
    const std::string job_name = "sr-" + o.sweep_name;
    std::vector<BatchScript> scripts;

    if (o.mode == Mode::mpi) {
        if (o.ranks < 1) throw std::invalid_argument("--ranks must be at least 1");
        std::ostringstream s;
        s << "#!/bin/bash\n"
          << "# sweep_runner submit: sweep '" << o.sweep_name << "', MPI mode: " << o.ranks
          << " ranks (rank 0 coordinates and writes the index, ranks 1.." << o.ranks - 1 << " run jobs).\n"
          << header(o, job_name) << "#SBATCH --ntasks=" << o.ranks << '\n';
        if (o.cpus_per_job > 1) s << "#SBATCH --cpus-per-task=" << o.cpus_per_job << '\n';
        s
          << common_tail(o) << "#SBATCH --output=" << logs << "/" << o.sweep_name << "-%j.out\n"
          << extra_lines(o) << "set -u\n"
          << "cd " << shell_quote(o.workdir.string()) << " || exit 2\n\n";
        const std::string launch = o.launcher == "srun" ? "srun --mpi=pmix " : "mpirun -n \"$SLURM_NTASKS\" ";
        s << signal_and_requeue(o, launch + run_command_line(o), "$SLURM_JOB_ID");
        scripts.push_back({o.sweep_name + ".mpi.sh", s.str(), {}, "mpi"});
        return scripts;
    }

    if (o.shards < 1) throw std::invalid_argument("--shards must be at least 1");
    if (o.max_array_size < 1) throw std::invalid_argument("MaxArraySize must be at least 1");
    const int chunk = o.max_array_size;  // array indices 0 .. MaxArraySize-1
    const int chunks = (o.shards + chunk - 1) / chunk;
    for (int c = 0; c < chunks; ++c) {
        const int first = c * chunk;
        const int count = std::min(chunk, o.shards - first);
        std::ostringstream s;
        s << "#!/bin/bash\n"
          << "# sweep_runner submit: sweep '" << o.sweep_name << "', array mode: shards " << first << ".."
          << first + count - 1 << " of " << o.shards;
        if (chunks > 1) s << " (array " << c + 1 << " of " << chunks << ", MaxArraySize " << o.max_array_size << ")";
        s << ".\n# Each task runs its shard without MPI into its own database next to the index; a merge job\n"
          << "# folds them in afterwards.\n"
          << header(o, job_name) << "#SBATCH --array=0-" << count - 1;
        if (o.max_parallel > 0) s << '%' << o.max_parallel;
        s << "\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=" << std::max(o.cpus_per_task, o.cpus_per_job) << '\n'
          << common_tail(o) << "#SBATCH --output=" << logs << "/" << o.sweep_name << "-%A_%a.out\n"
          << extra_lines(o) << "set -u\n"
          << "cd " << shell_quote(o.workdir.string()) << " || exit 2\n"
          << "shard=$(( " << first << " + SLURM_ARRAY_TASK_ID ))\n\n";
        const std::string command = run_command_line(o) + " --shard \"$shard/" + std::to_string(o.shards) +
                                    "\" -j \"${SLURM_CPUS_PER_TASK:-1}\"";
        s << signal_and_requeue(o, command, "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}");
        BatchScript script{o.sweep_name + ".array-" + std::to_string(c) + ".sh", s.str(), {}, "array"};
        // With a parallelism limit, arrays run one after another so the limit holds for the sweep.
        if (o.max_parallel > 0 && c > 0) script.after.push_back(static_cast<std::size_t>(c - 1));
        scripts.push_back(std::move(script));
    }
    std::ostringstream m;
    m << "#!/bin/bash\n"
      << "# sweep_runner submit: sweep '" << o.sweep_name << "', merge: folds the " << o.shards
      << " shard databases into the index\n# once every array task has ended (sbatch --dependency=afterany:...).\n"
      << header(o, job_name + "-merge") << "#SBATCH --ntasks=1\n"
      << "#SBATCH --output=" << logs << "/" << o.sweep_name << "-merge-%j.out\n"
      << extra_lines(o) << "set -u\n"
      << "cd " << shell_quote(o.workdir.string()) << " || exit 2\n"
      << "exec " << shell_quote(o.binary.string()) << " merge " << shell_quote(o.sweep_file.string()) << " --db "
      << shell_quote(o.db_path.string()) << " --out " << shell_quote(o.out_dir.string());
    for (const std::string& arg : o.sweep_args) m << ' ' << shell_quote(arg);
    m << '\n';
    BatchScript merge{o.sweep_name + ".merge.sh", m.str(), {}, "merge"};
    for (int c = 0; c < chunks; ++c) merge.after.push_back(static_cast<std::size_t>(c));
    scripts.push_back(std::move(merge));
    return scripts;
}

}  // namespace sr::slurm
