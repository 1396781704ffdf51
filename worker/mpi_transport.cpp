#include "worker/mpi_transport.hpp"

#include "worker/thread_pool.hpp"
#include "worker/wire.hpp"

#include <mpi.h>

#include <algorithm>
#include <deque>
#include <iterator>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace sr::mpi {
namespace {

enum Tag : int {
    tag_jobs = 1,     // coordinator -> worker: jobs (wire::decode_jobs)
    tag_events = 2,   // worker -> coordinator: starts, results, returned jobs (wire::decode_events)
    tag_stop = 5,     // coordinator -> worker: stop running jobs at the next cancellation point
    tag_release = 6,  // coordinator -> worker: leave the loop
};

// Non-blocking sends: two ranks each sending a large message to the other would otherwise both
// wait for the other's receive. Texts stay alive here until MPI reports them sent.
}  // namespace

class Sender {
public:
    void send(std::string text, int destination, int tag) {
        pending_.push_back({std::move(text), MPI_REQUEST_NULL});
        Pending& p = pending_.back();
        MPI_Isend(p.text.data(), static_cast<int>(p.text.size()), MPI_CHAR, destination, tag, MPI_COMM_WORLD,
                  &p.request);
        progress();
    }
    // Forgets the sends that have completed.
    void progress() {
        while (!pending_.empty()) {
            int done = 0;
            MPI_Test(&pending_.front().request, &done, MPI_STATUS_IGNORE);
            if (!done) return;
            pending_.pop_front();
        }
    }
    void wait_all() {
        for (Pending& p : pending_) MPI_Wait(&p.request, MPI_STATUS_IGNORE);
        pending_.clear();
    }

private:
    struct Pending {
        std::string text;
        MPI_Request request;
    };
    std::deque<Pending> pending_;  // deque: elements never move, so buffers stay valid
};

namespace {

struct Message {
    int source = 0;
    int tag = 0;
    std::string text;
};

// Matched probe: the message found is the one received, even with several threads or sources.
bool try_receive(Message& message) {
    int found = 0;
    MPI_Message handle;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &found, &handle, &status);
    if (!found) return false;
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    message.text.resize(static_cast<std::size_t>(count));
    MPI_Mrecv(message.text.data(), count, MPI_CHAR, &handle, &status);
    message.source = status.MPI_SOURCE;
    message.tag = status.MPI_TAG;
    return true;
}

}  // namespace

bool launched_by_mpi() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
        if (std::getenv(name) != nullptr) return true;
    }
    return false;
}

Session::Session(int& argc, char**& argv) {
    int provided = 0;
    // Only the main thread of each rank calls MPI; job threads never do.
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() { MPI_Finalize(); }

MpiPool::MpiPool(int size)
    : workers_(static_cast<std::size_t>(std::max(size - 1, 0))), sender_(std::make_unique<Sender>()) {}

MpiPool::~MpiPool() {
    for (std::size_t w = 0; w < workers_.size(); ++w) sender_->send("", static_cast<int>(w) + 1, tag_release);
    sender_->wait_all();
}

std::size_t MpiPool::free_slots() const {
    if (stopped_) return 0;
    std::size_t free = 0;
    for (const Worker& w : workers_) free += static_cast<std::size_t>(std::max(w.credit - w.outstanding, 0));
    return free;
}

void MpiPool::submit(const PackedJob& job) {
    // The least loaded worker takes it; with the coordinator's longest-first order this balances.
    auto best = std::min_element(workers_.begin(), workers_.end(), [](const Worker& a, const Worker& b) {
        return a.credit - a.outstanding > b.credit - b.outstanding;
    });
    if (best == workers_.end() || best->outstanding >= best->credit) {
        throw std::logic_error("MpiPool::submit without a free slot");
    }
    ++best->outstanding;
    wire::append_job(best->outbox, job);
}

void MpiPool::flush() {
    for (std::size_t w = 0; w < workers_.size(); ++w) {
        std::string& outbox = workers_[w].outbox;
        if (outbox.empty()) continue;
        sender_->send(std::exchange(outbox, {}), static_cast<int>(w) + 1, tag_jobs);
    }
}

PoolEvents MpiPool::poll(std::chrono::milliseconds timeout) {
    using Clock = std::chrono::steady_clock;
    flush();
    const auto end = Clock::now() + timeout;
    PoolEvents events;
    Message message;
    while (true) {
        bool any = false;
        while (try_receive(message)) {
            if (message.tag != tag_events) continue;
            any = true;
            Worker& worker = workers_[static_cast<std::size_t>(message.source - 1)];
            PoolEvents body = wire::decode_events(message.text);
            for (JobOutcome& outcome : body.finished) {
                --worker.outstanding;
                worker.mean_seconds = 0.8 * worker.mean_seconds + 0.2 * outcome.wall_seconds;
                worker.credit = queue_depth_for(worker.mean_seconds);
                events.finished.push_back(std::move(outcome));
            }
            worker.outstanding -= static_cast<int>(body.returned.size());
            std::move(body.started.begin(), body.started.end(), std::back_inserter(events.started));
            std::move(body.returned.begin(), body.returned.end(), std::back_inserter(events.returned));
        }
        sender_->progress();
        // Return as soon as something happened, else wait a little without blocking on any one rank.
        if (any || Clock::now() >= end) return events;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

void MpiPool::request_stop() {
    if (stopped_) return;
    stopped_ = true;
    for (Worker& w : workers_) w.outbox.clear();  // never sent, so nothing to give back
    for (std::size_t w = 0; w < workers_.size(); ++w) sender_->send("", static_cast<int>(w) + 1, tag_stop);
}

void run_worker(const std::filesystem::path& out_dir, const std::atomic<bool>& stop_signal, const ModelRegistry& models) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    ThreadPool pool(1, out_dir, rank, models);
    Sender sender;
    bool stopped = false;
    Message message;
    // Events wait up to forward_interval to travel together while more are on the way: a message
    // per job start and per finish costs the coordinator a receive, a parse and a loop turn each,
    // which for short jobs is more than the jobs themselves.
    constexpr auto forward_interval = std::chrono::milliseconds(1);
    PoolEvents unsent;
    std::size_t held = 0;  // jobs received, not yet finished or returned
    auto last_forward = std::chrono::steady_clock::now();
    while (true) {
        // A signal reaching a worker rank (mpirun forwards SIGTERM to all) stops its job like a
        // coordinator's stop request; the rank still waits to be released.
        if (!stopped && stop_signal.load()) {
            stopped = true;
            pool.request_stop();
        }
        bool any = false;
        while (try_receive(message)) {
            any = true;
            switch (message.tag) {
                case tag_jobs:
                    for (const PackedJob& job : wire::decode_jobs(message.text)) {
                        pool.submit(job);
                        ++held;
                    }
                    break;
                case tag_stop:
                    stopped = true;
                    pool.request_stop();
                    break;
                case tag_release:
                    sender.wait_all();
                    return;
                default: break;
            }
        }
        sender.progress();
        PoolEvents events = pool.poll(any ? std::chrono::milliseconds(0) : std::chrono::milliseconds(1));
        held -= std::min(held, events.finished.size() + events.returned.size());
        std::move(events.started.begin(), events.started.end(), std::back_inserter(unsent.started));
        std::move(events.finished.begin(), events.finished.end(), std::back_inserter(unsent.finished));
        std::move(events.returned.begin(), events.returned.end(), std::back_inserter(unsent.returned));
        if (unsent.started.empty() && unsent.finished.empty() && unsent.returned.empty()) continue;
        const auto due = last_forward + forward_interval;
        if (held > 0 && std::chrono::steady_clock::now() < due) {
            std::this_thread::sleep_until(due);  // more events are coming; let them join this message
            continue;
        }
        sender.send(wire::encode_events(unsent), 0, tag_events);
        unsent = {};
        last_forward = std::chrono::steady_clock::now();
    }
}

}  // namespace sr::mpi
