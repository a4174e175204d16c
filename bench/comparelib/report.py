"""Tables of bench/compare's results: one Markdown table per workload with the value per target
and the ratio shoal/peer, for the terminal and for docs/benchmarks.md."""

from __future__ import annotations

from typing import Dict, List

KEY_LABELS = {
    "record_mb_per_s": "MB/s", "records_per_s": "records/s", "requests_per_s": "requests/s",
    "p50_ms": "p50 ms", "p99_ms": "p99 ms", "samples": "samples", "missing": "missing events",
    "setup_s": "s until ACTIVE + listed",
}
LOWER_IS_BETTER = {"p50_ms", "p99_ms", "setup_s", "missing"}


def fmt_num(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def cell(r, key: str) -> str:
    if r is None:
        return "—"
    if r["status"] == "unsupported":
        return "not supported"
    if r["status"] == "timeout":
        return "timed out"
    if r["status"] != "ok":
        return "failed"
    v = r["summary"].get(key)
    return "—" if v is None else fmt_num(float(v))


def ratio(shoal, peer, key: str) -> str:
    if not shoal or not peer or shoal["status"] != "ok" or peer["status"] != "ok":
        return ""
    a, b = shoal["summary"].get(key), peer["summary"].get(key)
    if a is None or b is None or float(b) == 0 or float(a) == 0:
        return ""
    return f"{float(a) / float(b):.3g}×"


def workload_table(w: dict, targets: List[str], results: Dict[tuple, dict]) -> List[str]:
    peers = [t for t in targets if t != "shoal"]
    better = "lower is better" if not w["higher_is_better"] else "higher is better"
    lines = [f"#### {w['title']} — {w['unit']} ({better})", ""]
    head = ["row"] + [targets[0]] + [x for p in peers for x in (p, f"shoal/{p}")]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    rows = []
    for client in ("loadgen", "boto3"):
        if client == "boto3" and not any((t, w["name"], "boto3") in results for t in targets):
            continue
        for key in [w["metric"]] + w["extra"]:
            if client == "boto3" and key in ("setup_s", "missing", "samples"):
                continue
            rows.append((client, key))
    for client, key in rows:
        label = f"{client}: {KEY_LABELS.get(key, key)}"
        sh = results.get(("shoal", w["name"], client))
        cells = [label, cell(sh, key)]
        for p in peers:
            pr = results.get((p, w["name"], client))
            cells += [cell(pr, key), ratio(sh, pr, key)]
        lines.append("| " + " | ".join(cells) + " |")
    res_cells = ["server CPU s / peak RSS MB"]
    for t in targets:
        r = results.get((t, w["name"], "loadgen"))
        res_cells.append("—" if r is None or r["status"] in ("unsupported",) and not r["server_cpu_s"]
                         else f"{r['server_cpu_s']:.1f} s / {r['server_rss_max_mb']:.0f} MB")
        if t != "shoal":
            res_cells.append("")
    lines.append("| " + " | ".join(res_cells) + " |")
    busy = ["other processes, cores busy"]
    for t in targets:
        r = results.get((t, w["name"], "loadgen"))
        busy.append("—" if r is None or not r.get("wall_s") else f"{r['other_cores']:.2f}")
        if t != "shoal":
            busy.append("")
    lines.append("| " + " | ".join(busy) + " |")
    notes = []
    for t in targets:
        for client in ("loadgen", "boto3"):
            r = results.get((t, w["name"], client))
            if r and r["status"] != "ok":
                reason = r["reason"].strip().splitlines()[0][:160] if r["reason"].strip() else r["status"]
                notes.append(f"{t} ({client}): {r['status']}: {reason}")
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    lines.append("")
    return lines


def tables(workloads: List[dict], targets: List[str], results: List[dict]) -> str:
    by_key = {(r["target"], r["workload"], r["client"]): r for r in results}
    out: List[str] = []
    for w in workloads:
        out += workload_table(w, targets, by_key)
    return "\n".join(out)
