#!/usr/bin/python3
"""Draws bench/compare's chart from its results.json: one panel per workload, one bar per target
(loadgen; boto3 hatched beside it where measured), log scale where the values span more than
20x. Runs with the system python3 (python3-matplotlib from apt).

  chart.py RESULTS_JSON OUT_PNG
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"shoal": "#1f77b4", "shoal-flush": "#9ecae1", "kinesalite": "#ff7f0e", "kinesis-mock": "#2ca02c", "moto": "#d62728"}


def value(results, target, workload, client, key):
    for r in results:
        if (r["target"], r["workload"], r["client"]) == (target, workload, client):
            if r["status"] != "ok":
                return None, r["status"]
            v = r["summary"].get(key)
            return (float(v), "ok") if v else (None, "n/a")
    return None, None


def panel(ax, w, targets, results):
    clients = ["loadgen"] + (["boto3"] if w.get("boto3") else [])
    width = 0.8 / len(clients)
    vals = []
    for ci, client in enumerate(clients):
        for ti, t in enumerate(targets):
            v, status = value(results, t, w["name"], client, w["metric"])
            x = ti + (ci - (len(clients) - 1) / 2) * width
            if v is None:
                if status:
                    ax.text(x, 0.02, "not supported" if status == "unsupported" else status,
                            rotation=90, ha="center", va="bottom", fontsize=7,
                            transform=ax.get_xaxis_transform())
                continue
            vals.append(v)
            ax.bar(x, v, width, color=COLORS.get(t, "grey"), hatch="//" if client == "boto3" else None,
                   edgecolor="white" if client == "boto3" else None)
    if vals and max(vals) / max(min(vals), 1e-12) > 20:
        ax.set_yscale("log")
    better = "higher" if w["higher_is_better"] else "lower"
    ax.set_title(f"{w['title']}\n{w['unit']}, {better} is better", fontsize=8)
    ax.set_xlim(-0.5, len(targets) - 0.5)
    ax.set_xticks(range(len(targets)))
    ax.set_xticklabels(targets, fontsize=7, rotation=20)
    ax.tick_params(axis="y", labelsize=7)


def main():
    data = json.load(open(sys.argv[1]))
    workloads, targets, results = data["workloads"], data["targets"], data["results"]
    cols = 3
    rows = (len(workloads) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for i, w in enumerate(workloads):
        panel(axes[i // cols][i % cols], w, targets, results)
    for j in range(len(workloads), rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle("shoal vs. peers, same machine, same load generator "
                 "(solid: loadgen, hatched: boto3)", fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
