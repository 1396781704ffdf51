// lab_sweeps: `sweep_runner` with one more model. Every verb works as in sweep_runner
// (run, submit, status, results, ...), and `lab_sweeps models lab.lif_rate` lists the new one.
#include "cli/cli.hpp"
#include "lif_rate_model.hpp"

int main(int argc, char** argv) {
    sr::ModelRegistry models = sr::builtin_models();
    models.add(lab::make_lif_rate_model());
    return sr::run_cli(argc, argv, models);
}
