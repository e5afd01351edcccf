#!/usr/bin/env python3
"""The Optuna peer of `runner-bench sampler` (Debian's python3-optuna): Optuna's TPESampler, its defaults, on the
same lookup table of real trials as Runner's samplers.

The table (CSV: cell, learning_rate, weight_decay, val_accuracy) is a dense grid per cell. A sampler proposes a
learning rate and a weight decay from log-uniform ranges spanning the grid; the proposal is snapped to the nearest
grid value of each (in log space) and scored with the table's validation accuracy. Each range reaches half a grid step
beyond the grid's ends, so every value has its share of it (the same rule as Runner's side). For each cell and each of REPEATS
seeds, the number of trials until one comes within TOLERANCE points of the cell's best is counted (BUDGET + 1 when
none does within BUDGET trials). Prints one JSON object: {cell: [count, ...]}.

    /usr/bin/python3 bench/sampler_optuna.py --table bench/sampler-table.csv --repeats 50
"""
import argparse
import csv
import json
import math

import optuna


def load(path):
    cells = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            cell = cells.setdefault(row["cell"], {})
            cell[(float(row["learning_rate"]), float(row["weight_decay"]))] = float(row["val_accuracy"])
    return cells


def nearest(values, x):
    return min(values, key=lambda v: abs(math.log(v) - math.log(x)))


def trials_to_reach(table, seed, tolerance, budget):
    rates = sorted({k[0] for k in table})
    decays = sorted({k[1] for k in table})
    best = max(table.values())

    def around(grid):
        return grid[0] / math.sqrt(grid[1] / grid[0]), grid[-1] * math.sqrt(grid[-1] / grid[-2])

    def objective(trial):
        lr = nearest(rates, trial.suggest_float("learning_rate", *around(rates), log=True))
        wd = nearest(decays, trial.suggest_float("weight_decay", *around(decays), log=True))
        return table[(lr, wd)]

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    for n in range(1, budget + 1):
        study.optimize(objective, n_trials=1)
        if study.trials[-1].value >= best - tolerance:
            return n
    return budget + 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--table", required=True)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--tolerance", type=float, default=0.005, help="as a fraction: 0.005 = 0.5 points")
    parser.add_argument("--budget", type=int, default=48)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cells = load(args.table)
    result = {cell: [trials_to_reach(table, seed, args.tolerance, args.budget) for seed in range(args.repeats)] for cell, table in cells.items()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
