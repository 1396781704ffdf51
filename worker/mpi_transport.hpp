#pragma once
// Workers as MPI ranks: rank 0 coordinates (and is the only writer of the index), ranks 1..N-1 run
// jobs. The coordinator sees an MpiPool, which is just another WorkerPool; a worker rank relays
// between MPI messages and a one-thread ThreadPool, so jobs run through the same code as locally.
//
// Messages are small JSON texts: jobs out, start notices and result headers back. Payload arrays
// never travel; workers write them to the shared results folder themselves.
#include "worker/worker_pool.hpp"

#include <atomic>
#include <filesystem>
#include <vector>

namespace sr::mpi {

// True when this process was started by mpirun/srun (so MPI should be initialised).
bool launched_by_mpi();

// MPI_Init_thread / MPI_Finalize for the process's lifetime.
class Session {
public:
    Session(int& argc, char**& argv);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    int rank() const { return rank_; }
    int size() const { return size_; }

private:
    int rank_ = 0;
    int size_ = 1;
};

class MpiPool final : public WorkerPool {
public:
    // Uses ranks 1..size-1 of MPI_COMM_WORLD; call on rank 0 only.
    explicit MpiPool(int size);
    // Releases every worker rank (they leave their loop and finalise).
    ~MpiPool() override;

    std::size_t workers() const override { return outstanding_.size(); }
    std::size_t free_slots() const override;
    void submit(Job job) override;
    PoolEvents poll(std::chrono::milliseconds timeout) override;
    void request_stop() override;

private:
    std::vector<int> outstanding_;  // per worker (index = rank - 1): jobs sent, not yet finished
    bool stopped_ = false;
};

// The loop of ranks 1..N-1; returns when rank 0 releases it.
void run_worker(const std::filesystem::path& out_dir, const std::atomic<bool>& stop_signal);

}  // namespace sr::mpi
