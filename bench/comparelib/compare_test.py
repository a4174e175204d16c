"""Unit tests of bench/compare's pure parts: the table cells (never a 0 for a run without a
number), the ratios, and how a client's summary becomes a status. Run:
  python3 -m unittest -v comparelib.compare_test   (from bench/)"""

import unittest

from comparelib import report, runs


def result(target, status="ok", **summary):
    return {"target": target, "workload": "w", "client": "loadgen", "status": status,
            "reason": "why" if status != "ok" else "", "summary": summary,
            "server_cpu_s": 1.0, "server_rss_max_mb": 10.0, "wall_s": 2.0, "other_cores": 0.5}


WORKLOAD = {"name": "w", "title": "W", "metric": "record_mb_per_s", "unit": "MB/s",
            "higher_is_better": True, "extra": ["p50_ms"], "boto3": None}


class CellsAndRatios(unittest.TestCase):
    def test_statuses_are_words_never_zero(self):
        self.assertEqual(report.cell(result("a", "unsupported"), "record_mb_per_s"), "not supported")
        self.assertEqual(report.cell(result("a", "failed"), "record_mb_per_s"), "failed")
        self.assertEqual(report.cell(result("a", "timeout"), "record_mb_per_s"), "timed out")
        self.assertEqual(report.cell(None, "record_mb_per_s"), "—")
        self.assertEqual(report.cell(result("a", record_mb_per_s=12.345), "record_mb_per_s"), "12.3")

    def test_ratio_is_shoal_over_peer_and_empty_without_numbers(self):
        self.assertEqual(report.ratio(result("shoal", record_mb_per_s=100), result("p", record_mb_per_s=4),
                                      "record_mb_per_s"), "25×")
        self.assertEqual(report.ratio(result("shoal", record_mb_per_s=100), result("p", "failed"),
                                      "record_mb_per_s"), "")

    def test_table_lists_targets_ratios_and_reasons(self):
        rows = [result("shoal", record_mb_per_s=100, p50_ms=1), result("peer", "unsupported")]
        text = report.tables([WORKLOAD], ["shoal", "peer"], rows)
        self.assertIn("| row | shoal | peer | shoal/peer |", text)
        self.assertIn("| loadgen: MB/s | 100 | not supported |  |", text)
        self.assertIn("- peer (loadgen): unsupported: why", text)
        self.assertNotIn("boto3", text)


class Statuses(unittest.TestCase):
    def check(self, summary, metric="p50_ms"):
        w = runs.Workload("w", "W", metric, "ms", False, [])
        r = runs.Result("t", "w", "loadgen", summary=summary)
        runs._check_numbers(r, w)
        return r.status, r.reason

    def test_no_sample_or_zero_is_a_failure(self):
        self.assertEqual(self.check({"samples": 0, "p50_ms": 0, "missing": 3})[0], "failed")
        self.assertEqual(self.check({"p50_ms": 0})[0], "failed")
        self.assertEqual(self.check({})[0], "failed")
        self.assertEqual(self.check({"samples": 5, "p50_ms": 1.5}), ("ok", ""))

    def test_refused_create_stream_means_unsupported(self):
        self.assertTrue(runs._refused_create("CreateStream s: LimitExceededException"))
        self.assertFalse(runs._refused_create("cannot talk to http://x: ConnectError"))


if __name__ == "__main__":
    unittest.main()
