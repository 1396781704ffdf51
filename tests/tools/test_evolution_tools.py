"""tools/evolution_export.py writes e2l-cgp-snn's run layout (fitness_{i}.npy of generations x mu,
champion_{i}.txt, champion_evol_{i}.txt with one line per generation, res_{i}.pkl as Fig. 3/4 read it) for a small evolution sweep;
tools/evolution_plot.py prints its champions table and writes the plot; tools/evolution_compare.py
accepts the exported fitness as its own reference and refuses a changed one; tools/evolution_validation.py
writes the sweep validating the champions of an e2l.error evolution, whose per-trial fitness
evolution_export.py --validation writes as res_test_{i}.pkl.

Usage: test_evolution_tools.py SWEEP_RUNNER_BINARY SOURCE_DIR
"""
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np
import yaml

binary, source = sys.argv[1], sys.argv[2]
tools = os.path.join(source, "tools")
with tempfile.TemporaryDirectory() as tmp:
    sweep = os.path.join(tmp, "evo.yaml")
    with open(sweep, "w") as f:
        f.write("""name: evo
model: testing.symreg
evolution:
  genome: {n_inputs: 2, n_outputs: 1, n_columns: 5, n_rows: 1, levels_back: 5,
           primitives: [Add, Sub, Mul, Div, Pow, 0.1, 1.0, 10.0]}
  rules: [expr]
  n_parents: 3
  n_offsprings: 4
  n_breeding: 4
  tournament_size: 1
  mutation_rate: 0.1
  max_generations: 6
  min_fitness: 1.0
  seed: 1
grid:
  evolution.seed: [1, 2]
""")
    out = os.path.join(tmp, "out")
    subprocess.run([binary, "run", sweep, "--out", out, "-j", "2", "-q"], check=True)
    db = os.path.join(out, "index.db")
    exported = os.path.join(tmp, "exported")
    subprocess.run([sys.executable, os.path.join(tools, "evolution_export.py"), db, "--sweep", "evo", "-o", exported],
                   check=True)
    for i in (0, 1):
        fitness = np.load(os.path.join(exported, f"fitness_{i}.npy"))
        assert fitness.shape == (6, 3), fitness.shape
        assert np.all(np.diff(fitness, axis=1) <= 0), "parents best first"
        lines = open(os.path.join(exported, f"champion_evol_{i}.txt")).read().splitlines()
        assert len(lines) == 6 and all(line.startswith("[[") and line.endswith("]]") for line in lines), lines
        champion = open(os.path.join(exported, f"champion_{i}.txt")).read().split(",")
        assert champion[0] == "6" and float(champion[1]) == fitness[-1][0], champion
        assert lines[-1] == f"[[{champion[2]}]]", (lines[-1], champion)
        with open(os.path.join(exported, f"res_{i}.pkl"), "rb") as f:
            res = pickle.load(f)  # as figures/Fig3_reward_driven.py and Fig4_error_driven.py read it
        assert len(res["fitness_champion"]) == 6 and res["fitness_champion"][-1] == fitness[-1][0], res
        assert res["expr_champion"][-1] == champion[2], (res["expr_champion"], champion)
        assert [f"[[{e}]]" for e in res["expr_champion"]] == lines, (res["expr_champion"], lines)
    plot = subprocess.run([sys.executable, os.path.join(tools, "evolution_plot.py"), db, "--sweep", "evo",
                           "-o", os.path.join(tmp, "fitness.png")], check=True, capture_output=True, text=True)
    assert os.path.getsize(os.path.join(tmp, "fitness.png")) > 0
    assert plot.stdout.splitlines()[0].split() == ["run", "generations", "fitness", "rules"], plot.stdout
    compare = [sys.executable, os.path.join(tools, "evolution_compare.py"), db, "--sweep", "evo", "--evolution", "1"]
    subprocess.run(compare + [os.path.join(exported, "fitness_1.npy")], check=True)
    changed = np.load(os.path.join(exported, "fitness_1.npy"))
    changed[2, 1] += 1.0
    np.save(os.path.join(tmp, "changed.npy"), changed)
    assert subprocess.run(compare + [os.path.join(tmp, "changed.npy")]).returncode == 1

    # Validating the champions (run_validation_sim.py's res_test_{i}.pkl): a tiny e2l.error
    # evolution, its validation sweep on other inputs, and the per-trial fitness exported.
    error_sweep = os.path.join(tmp, "error.yaml")
    with open(error_sweep, "w") as f:
        f.write("""name: err
model: e2l.error
params: {t_sim: 300, inputs.trials: [0, 1], inputs.seed: 1}
evolution:
  genome: {n_inputs: 3, n_outputs: 1, n_columns: 6, n_rows: 1, levels_back: 6, primitives: [Add, Sub, Mul, Div, 1.0]}
  rules: [rule]
  n_parents: 2
  n_offsprings: 2
  n_breeding: 2
  tournament_size: 1
  mutation_rate: 0.1
  max_generations: 3
  min_fitness: 0.0
  seed: 1
grid:
  evolution.seed: [1, 2]
""")
    subprocess.run([binary, "run", error_sweep, "--out", out, "-j", "2", "-q"], check=True)
    validation = os.path.join(tmp, "err_validation.yaml")
    subprocess.run([sys.executable, os.path.join(tools, "evolution_validation.py"), db, "--sweep", "err",
                    "--set", "inputs.seed=2", "--set", "inputs.trials=[0, 1, 2]", "-o", validation], check=True)
    spec = yaml.safe_load(open(validation))
    assert spec["name"] == "err_validation" and spec["model"] == "e2l.error", spec
    assert spec["params"]["inputs.seed"] == 2 and spec["params"]["t_sim"] == 300, spec["params"]
    subprocess.run([sys.executable, os.path.join(tools, "evolution_export.py"), db, "--sweep", "err", "-o", exported],
                   check=True)
    for job in spec["jobs"]:
        i = job["tags"]["evolution"]
        assert job["rule"] == open(os.path.join(exported, f"champion_{i}.txt")).read().split(",")[2], job
    missing = subprocess.run([sys.executable, os.path.join(tools, "evolution_export.py"), db, "--sweep", "err",
                              "-o", exported, "--validation", "err_validation"], capture_output=True, text=True)
    assert missing.returncode != 0 and "no done validation jobs" in missing.stderr, missing.stderr
    subprocess.run([binary, "run", validation, "--out", out, "-j", "2", "-q"], check=True)
    subprocess.run([sys.executable, os.path.join(tools, "evolution_export.py"), db, "--sweep", "err", "-o", exported,
                    "--validation", "err_validation"], check=True)
    results = subprocess.run([binary, "results", db, "--sweep", "err_validation", "--columns", "tag.evolution,fitness",
                              "--format", "csv"], check=True, capture_output=True, text=True).stdout.splitlines()[1:]
    for line in results:
        i, fitness = line.split(",")
        with open(os.path.join(exported, f"res_test_{i}.pkl"), "rb") as f:
            trials = pickle.load(f)  # as figures/Fig4_error_driven.py reads it
        assert trials.shape == (3,) and np.all(trials < 0), trials
        assert abs(trials.mean() - float(fitness)) < 1e-9 * abs(float(fitness)), (trials, fitness)
    assert len(results) == 2, results
print("ok")
