"""The console bench's pure helpers: what it counts on a page, reads from a stamp, reports."""

from __future__ import annotations

import re

import pytest
from bench.console.browser import best_offset
from bench.console.listing import page_counts
from bench.console.live import Update, latencies, seq_in
from bench.console.report import row

PAGE = """
<section class="mine" id="waiting-on-me"><h2>Waiting on me</h2>
<ul class="gates-for-me"><li><a href="/r/a/gates/qa">a</a></li>
<li><a href="/r/b/gates/qa">b</a></li></ul></section>
<section><table><tbody>
<tr data-release="ns/a"><td>a</td></tr><tr data-release="ns/b"><td>b</td></tr>
<tr data-release="ns/c"><td>c</td></tr>
<tr><td><ul><li>not a gate</li></ul></td></tr>
</tbody></table></section>
"""


def test_page_counts_rows_and_only_the_gates_under_waiting_on_me() -> None:
    assert page_counts(PAGE) == (3, 2)


def test_page_counts_no_gates_when_nothing_waits() -> None:
    nothing = '<section id="waiting-on-me"><p>Nothing waits on you.</p></section><li>x</li>'
    assert page_counts(nothing) == (0, 0)


def test_seq_in_reads_the_number_of_the_mark() -> None:
    assert seq_in("ui-tests: bench-write-17 done") == 17
    assert seq_in("bench-write-") is None
    assert seq_in("step <b>bench-write-3</b>", re.compile(r"write-(\d+)")) == 3


def test_latencies_from_the_sent_stamps_of_their_own_clock() -> None:
    update = Update(
        seq=1, sent_wall=1000.0, sent=50.0, returned=50.02, watch=50.03,
        message_wall=1000.05, dom_wall=1000.06,
    )  # fmt: skip
    unseen = Update(seq=2, sent_wall=2000.0, sent=60.0, returned=60.01)
    series = latencies([update, unseen])
    assert series["patch"] == pytest.approx([0.02, 0.01])
    assert series["watch"] == pytest.approx([0.03])
    assert series["message"] == pytest.approx([0.05])
    assert series["dom"] == pytest.approx([0.06])


def test_best_offset_uses_the_tightest_reading() -> None:
    # (bench before, page, bench after): the second has the shortest round trip.
    readings = [(10.0, 10.5, 11.0), (20.0, 20.003, 20.002), (30.0, 29.0, 30.5)]
    offset, bound = best_offset(readings)
    assert offset == pytest.approx(0.002)
    assert bound == pytest.approx(0.001)


def test_best_offset_needs_a_reading() -> None:
    with pytest.raises(ValueError, match="no clock readings"):
        best_offset([])


def test_row_reports_nearest_rank_percentiles_in_milliseconds() -> None:
    samples = [i / 1000 for i in range(1, 101)]  # 1 ms … 100 ms
    assert row("x", samples) == "| x | 100 | 50.0 ms | 99.0 ms | 100.0 ms | 50.5 ms |"
    assert row("none", []) == "| none | 0 | - | - | - | - |"
