#pragma once
// The binary messages between the coordinator and worker ranks: batches of packed jobs out, events
// (starts, result headers, returned jobs) back. Fixed layouts instead of JSON texts: encoding and
// decoding them was a third of the coordinator's time per job, and binary numbers keep infinite
// metrics as they are. All ranks run the same binary, so numbers travel in native byte order;
// strings travel as a 32-bit length and their bytes.
#include "worker/worker_pool.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace sr::wire {

// Adds one job to a message for a worker.
void append_job(std::string& message, const PackedJob& job);
std::vector<PackedJob> decode_jobs(std::string_view message);

// A job that started and finished since the last message travels as its result header alone: the
// decoder recreates the start from it (key, host, rank, start time). For short jobs that halves
// what there is to send and decode. (A retry needs a round trip to the coordinator, so a start
// and a finish of the same key in one message are the same attempt.)
std::string encode_events(const PoolEvents& events);
PoolEvents decode_events(std::string_view message);

}  // namespace sr::wire
