// sweep_runner: the command line over the built-in models.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return sr::run_cli(argc, argv, sr::builtin_models()); }
