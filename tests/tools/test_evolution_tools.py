"""tools/evolution_export.py writes e2l-cgp-snn's run layout (fitness_{i}.npy of generations x mu,
champion_{i}.txt, champion_evol_{i}.txt with one line per generation, res_{i}.pkl as Fig. 3/4 read it) for a small evolution sweep;
tools/evolution_plot.py prints its champions table and writes the plot; tools/evolution_compare.py
accepts the exported fitness as its own reference and refuses a changed one.

Usage: test_evolution_tools.py SWEEP_RUNNER_BINARY SOURCE_DIR
"""
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np

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
print("ok")
