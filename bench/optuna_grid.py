#!/usr/bin/env python3
"""The Optuna peer of `runner-bench bookkeeping` (Debian's python3-optuna): the same grid of no-op trials, run by
Optuna's GridSampler with SQLite storage and several worker processes, as Optuna documents for parallel studies.

Each process runs study.optimize on the shared study until the grid is exhausted (GridSampler stops the study then).
Prints one JSON line: trials finished, distinct grid points, duplicates (grid points run more than once), wall seconds
and trials per second.

    /usr/bin/python3 bench/optuna_grid.py --learning-rates 100 --seeds 100 --processes 2 --folder /tmp/optuna-bench
"""
import argparse
import json
import logging
import multiprocessing
import os
import time

import optuna


def grid(learning_rates, seeds):
    # The same values as Runner's generated sweep file.
    return {"learning_rate": [1e-4 + i * 1e-6 for i in range(learning_rates)], "seed": list(range(seeds))}


def work(storage, name, space, seconds):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=name, storage=storage, sampler=optuna.samplers.GridSampler(space))

    def objective(trial):
        trial.suggest_float("learning_rate", 1e-5, 1.0)
        trial.suggest_int("seed", 0, 1_000_000)
        if seconds > 0:
            time.sleep(seconds)
        return 0.0

    study.optimize(objective, n_trials=None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning-rates", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--trial-seconds", type=float, default=0.0)
    parser.add_argument("--folder", required=True)
    args = parser.parse_args()

    os.makedirs(args.folder, exist_ok=True)
    db = os.path.join(args.folder, "optuna.db")
    if os.path.exists(db):
        os.remove(db)
    storage = "sqlite:///" + db
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = grid(args.learning_rates, args.seeds)
    study = optuna.create_study(study_name="bench", storage=storage, sampler=optuna.samplers.GridSampler(space))

    start = time.perf_counter()
    procs = [multiprocessing.Process(target=work, args=(storage, "bench", space, args.trial_seconds)) for _ in range(args.processes)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    wall = time.perf_counter() - start

    done = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
    points = {(t.params["learning_rate"], t.params["seed"]) for t in done}
    grid_size = args.learning_rates * args.seeds
    print(json.dumps({"peer": "optuna", "optuna": optuna.__version__, "grid": grid_size, "processes": args.processes,
                      "trials_finished": len(done), "distinct": len(points), "duplicates": len(done) - len(points),
                      "missing": grid_size - len(points), "seconds": wall, "trials_per_second": len(done) / wall}))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
