#pragma once
// A real single-node Slurm for tests, from the Debian packages slurm-wlm and munge: munged with its
// own key and socket, slurmctld and slurmd with a generated slurm.conf (free loopback ports, state
// and spool folders) all in one temporary folder; SLURM_CONF points the client commands at it.
// Stopped by their pids when the object goes away.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sr::testing {

class SlurmCluster {
public:
    // What is missing to run one (a sentence), or nothing.
    static std::optional<std::string> missing();

    // Starts the daemons and waits until the node is idle; throws with the logs' tails on failure.
    SlurmCluster();
    ~SlurmCluster();
    SlurmCluster(const SlurmCluster&) = delete;
    SlurmCluster& operator=(const SlurmCluster&) = delete;

    const std::filesystem::path& dir() const { return dir_; }
    int cpus() const { return cpus_; }
    // Waits until none of the jobs is pending or running (squeue); false on timeout.
    bool wait_for_jobs(const std::vector<std::string>& ids, double timeout_seconds) const;
    // Tails of the daemons' logs, for failure messages.
    std::string logs() const;

private:
    void stop();

    std::filesystem::path dir_;
    int cpus_ = 1;
    std::vector<pid_t> pids_;  // munged, slurmctld, slurmd
    // A watchdog process stops the daemons if this process dies without stop() (e.g. killed by a
    // test timeout); stop() tells it through the pipe that nothing is left to do.
    void start_watchdog();
    pid_t watchdog_ = -1;
    int watchdog_pipe_ = -1;
};

}  // namespace sr::testing
