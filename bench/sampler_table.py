#!/usr/bin/env python3
"""Turns `runner trials sampler-grid --format csv` (the real trials of experiments/sampler-grid.yaml) into the lookup
table of `runner-bench sampler`: one row per trial, cell = freeze depth and dataset size, its learning rate, weight
decay and best validation accuracy.

    runner trials sampler-grid --format csv --state S | /usr/bin/python3 bench/sampler_table.py > bench/sampler-table.csv
"""
import csv
import sys

rows = list(csv.DictReader(sys.stdin))
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["cell", "learning_rate", "weight_decay", "val_accuracy"])
for r in rows:
    if r["status"] != "completed":
        sys.exit(f"trial {r['trial_id']} is {r['status']}: run the whole grid first")
    out.writerow([f"freeze{r['freeze_depth']}-n{r['dataset_size']}", r["learning_rate"], r["weight_decay"], r["best_val_accuracy"]])
