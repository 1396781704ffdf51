#pragma once
// Workers as MPI ranks: rank 0 coordinates (and is the only writer of the index), ranks 1..N-1 run
// jobs. The coordinator sees an MpiPool, which is just another WorkerPool; a worker rank relays
// between MPI messages and a one-thread ThreadPool, so jobs run through the same code as locally.
//
// Messages are small binary records (worker/wire.hpp): packed jobs out, start notices and result
// headers back. Payload arrays never travel; workers write them to the shared results folder
// themselves.
#include "core/registry.hpp"
#include "worker/worker_pool.hpp"

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sr::mpi {

class Sender;

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

    std::size_t workers() const override { return workers_.size(); }
    std::size_t free_slots() const override;
    void submit(const PackedJob& job) override;
    PoolEvents poll(std::chrono::milliseconds timeout) override;
    void request_stop() override;

private:
    struct Worker {  // index = rank - 1
        int outstanding = 0;  // jobs given to it, not yet back
        int credit = 2;       // how many it may hold
        double mean_seconds = 0.1;  // recent job wall time (moving average)
        std::string outbox;  // jobs to send with the next flush (wire::append_job)
    };
    // Sends each worker its queued jobs in one message.
    void flush();

    std::vector<Worker> workers_;
    std::unique_ptr<Sender> sender_;
    bool stopped_ = false;
};

// The loop of ranks 1..N-1; returns when rank 0 releases it. Every rank runs the same program, so
// `models` is the same registry rank 0 expanded the sweep with.
void run_worker(const std::filesystem::path& out_dir, const std::atomic<bool>& stop_signal, const ModelRegistry& models);

}  // namespace sr::mpi
