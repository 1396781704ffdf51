#include "worker/mpi_transport.hpp"

#include "worker/thread_pool.hpp"

#include <mpi.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace sr::mpi {
namespace {

// Each worker holds one job running and one prefetched, so it never idles between jobs.
constexpr int jobs_per_worker = 2;

enum Tag : int {
    tag_job = 1,       // coordinator -> worker: a job (JSON)
    tag_started = 2,   // worker -> coordinator: JobStart (JSON)
    tag_finished = 3,  // worker -> coordinator: JobOutcome header (JSON)
    tag_returned = 4,  // worker -> coordinator: key of a job given back unstarted
    tag_stop = 5,      // coordinator -> worker: stop running jobs at the next cancellation point
    tag_release = 6,   // coordinator -> worker: leave the loop
};

void send_text(const std::string& text, int destination, int tag) {
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, destination, tag, MPI_COMM_WORLD);
}

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

MpiPool::MpiPool(int size) : outstanding_(static_cast<std::size_t>(std::max(size - 1, 0)), 0) {}

MpiPool::~MpiPool() {
    for (std::size_t w = 0; w < outstanding_.size(); ++w) send_text("", static_cast<int>(w) + 1, tag_release);
}

std::size_t MpiPool::free_slots() const {
    if (stopped_) return 0;
    std::size_t free = 0;
    for (int n : outstanding_) free += static_cast<std::size_t>(std::max(jobs_per_worker - n, 0));
    return free;
}

void MpiPool::submit(Job job) {
    // The least loaded worker takes it; with the coordinator's longest-first order this balances.
    std::size_t best = 0;
    for (std::size_t w = 1; w < outstanding_.size(); ++w) {
        if (outstanding_[w] < outstanding_[best]) best = w;
    }
    if (outstanding_.empty() || outstanding_[best] >= jobs_per_worker) {
        throw std::logic_error("MpiPool::submit without a free slot");
    }
    ++outstanding_[best];
    send_text(to_json(job).dump(), static_cast<int>(best) + 1, tag_job);
}

PoolEvents MpiPool::poll(std::chrono::milliseconds timeout) {
    using Clock = std::chrono::steady_clock;
    const auto end = Clock::now() + timeout;
    PoolEvents events;
    Message message;
    while (true) {
        bool any = false;
        while (try_receive(message)) {
            any = true;
            const std::size_t worker = static_cast<std::size_t>(message.source - 1);
            const Json body = message.tag == tag_returned ? Json() : Json::parse(message.text);
            switch (message.tag) {
                case tag_started:
                    events.started.push_back({body.at("key").get<std::string>(), body.at("host").get<std::string>(),
                                              body.at("rank").get<int>(), body.at("started").get<double>()});
                    break;
                case tag_finished:
                    --outstanding_[worker];
                    events.finished.push_back(outcome_from_json(body));
                    break;
                case tag_returned:
                    --outstanding_[worker];
                    events.returned.push_back(message.text);
                    break;
                default: break;
            }
        }
        // Return as soon as something happened, else wait a little without blocking on any one rank.
        if (any || Clock::now() >= end) return events;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

void MpiPool::request_stop() {
    if (stopped_) return;
    stopped_ = true;
    for (std::size_t w = 0; w < outstanding_.size(); ++w) send_text("", static_cast<int>(w) + 1, tag_stop);
}

void run_worker(const std::filesystem::path& out_dir, const std::atomic<bool>& stop_signal) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    ThreadPool pool(1, out_dir, rank);
    bool stopped = false;
    Message message;
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
                case tag_job: pool.submit(job_from_json(Json::parse(message.text))); break;
                case tag_stop:
                    stopped = true;
                    pool.request_stop();
                    break;
                case tag_release: return;
                default: break;
            }
        }
        PoolEvents events = pool.poll(any ? std::chrono::milliseconds(0) : std::chrono::milliseconds(1));
        for (const JobStart& s : events.started) {
            send_text(Json{{"key", s.key}, {"host", s.host}, {"rank", s.rank}, {"started", s.started}}.dump(), 0,
                      tag_started);
        }
        for (const JobOutcome& o : events.finished) send_text(to_json(o).dump(), 0, tag_finished);
        for (const std::string& key : events.returned) send_text(key, 0, tag_returned);
    }
}

}  // namespace sr::mpi
