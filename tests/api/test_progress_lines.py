"""Progress lines: rate and ETA for work done here, no invented rate for work done elsewhere."""

from __future__ import annotations

import time

import pytest

from api.cli.output import ProgressPrinter


def test_a_stage_reports_its_rate_and_eta(capsys: pytest.CaptureFixture[str]) -> None:
    progress = ProgressPrinter(interval=0)
    progress("persons", 0, 100)
    time.sleep(0.05)
    progress("persons", 50, 100)
    line = capsys.readouterr().err.strip()
    assert line.startswith("c360: persons: 50/100 (50%) ")
    assert "/s ETA " in line


def test_a_stage_finished_elsewhere_has_no_rate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = ProgressPrinter()
    progress(
        "ticketing", 54195, 54195
    )  # read by a helper process: one report, complete
    assert capsys.readouterr().err.strip() == "c360: ticketing: 54195/54195 (100%)"


def test_a_slow_stage_in_coarse_units_gives_its_eta_without_a_rate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = ProgressPrinter(interval=0)
    progress("import (2/4)", 0, 100)
    time.sleep(1.1)
    progress("import (2/4)", 1, 100)  # percent: under one a second
    line = capsys.readouterr().err.strip()
    assert line.startswith("c360: import (2/4): 1/100 (1%) ETA ")
    assert "/s" not in line
