#pragma once
// The whole command line (run, submit, merge, status, results, ...) as a function, so that a lab's
// own program can offer its models next to the built-in ones:
//
//     int main(int argc, char** argv) {
//         sr::ModelRegistry models = sr::builtin_models();
//         models.add(std::make_shared<const MyModel>());
//         return sr::run_cli(argc, argv, models);
//     }
//
// Under mpirun and Slurm every rank and array task runs that same program (submit writes its own
// path into the batch script), so workers know the same models. See docs/out_of_tree_model/.
#include "core/registry.hpp"

namespace sr {

// Returns the process exit code (0 done, 1 some jobs failed, 2 invalid input, 3 stopped).
int run_cli(int argc, char** argv, const ModelRegistry& models);

}  // namespace sr
