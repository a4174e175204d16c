"""bench/compare's parts: targets (start/stop servers), runs (workloads), report (tables)."""
