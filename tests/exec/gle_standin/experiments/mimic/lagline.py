#!/usr/bin/env python3
import argparse
import os
import pickle

import pandas as pd

from lib.schedule import decay

if __name__ == "__main__":
    params = {
        "seed": 0,
        "lr": 1e-6,
        "T_train": 4000,
        "use_neptune": True,
    }
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="gle")
    args = parser.parse_args()

    loss = [(1 + params["seed"]) * v for v in decay(params["lr"], params["T_train"])]
    log = pd.DataFrame({"time": range(params["T_train"]), "loss": loss, "model": args.model})
    with open(f"./results/lagline/{args.model}_metrics.pkl", "wb") as f:
        pickle.dump(log, f)
