"""Benchmarks: ``make bench`` (or ``python -m bench [name ...] [--seconds N]``).

Each benchmark times an operation of the app against a baseline measured in the same run, on
the same machine, and reports the ratio of the two, so that a slow or busy machine does not
mislead: the absolute times move with the machine, the ratio much less. Rounds of the
operation and of the baseline alternate, and each side keeps the median of its rounds.

Everything runs in this process: the app through Flask's test client, SQLite on a temporary
file (under $TMPDIR: point it at the disk you deploy on to measure that disk's fsync), and no
HTTP request ever leaves the process (Represent is stubbed with `responses`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 5


@dataclass(frozen=True)
class Result:
    name: str
    baseline: str
    seconds: float  # per call, median of the rounds
    baseline_seconds: float
    iterations: int  # calls timed, all rounds together
    baseline_iterations: int

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds


def _per_call(function: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - started) / calls


def _calls_for(function: Callable[[], object], seconds: float) -> int:
    """How many calls of ``function`` take about ``seconds`` (at least one)."""
    calls = 1
    while True:
        spent = _per_call(function, calls) * calls
        if spent >= seconds / 10 or calls >= 1_000_000:
            return max(1, round(calls * seconds / max(spent, 1e-9)))
        calls *= 10


def compare(
    name: str,
    subject: Callable[[], object],
    baseline_name: str,
    baseline: Callable[[], object],
    seconds: float,
    rounds: int = ROUNDS,
) -> Result:
    """Time ``subject`` and ``baseline`` in alternating rounds, within about ``seconds`` in
    all (each round gets an equal share), after a few warm-up calls of each."""
    for _ in range(3):
        subject()
        baseline()
    share = seconds / (2 * rounds)
    calls, baseline_calls = _calls_for(subject, share / 2), _calls_for(baseline, share / 2)
    times: list[float] = []
    baseline_times: list[float] = []
    for _ in range(rounds):
        baseline_times.append(_per_call(baseline, baseline_calls))
        times.append(_per_call(subject, calls))
    return Result(
        name=name,
        baseline=baseline_name,
        seconds=statistics.median(times),
        baseline_seconds=statistics.median(baseline_times),
        iterations=calls * rounds,
        baseline_iterations=baseline_calls * rounds,
    )


def format_time(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


# -- the app, as the benchmarks set it up ------------------------------------------------------

DEMO_SLUG = "canada-beijing-policy"
POSTCODE = "K1P 5G4"
REPRESENT = "https://represent.bench.invalid"  # never reached: stubbed, then cached
REPRESENT_FIXTURE = ROOT / "tests" / "fixtures" / "represent" / "K1P5G4.json"


def demo_app(directory: Path):
    """The app on a fresh SQLite file in ``directory``, with the demo campaign."""
    from advocacy import create_app

    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough",
            "DATABASE_URL": f"sqlite:///{directory / 'bench.db'}",
            "REPRESENT_URL": REPRESENT,
            "HTTP_BACKOFF": 0.0,
        }
    )
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        if result.exit_code != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.output}")
    return app


def represent_body() -> dict:
    """Represent's answer for K1P 5G4, from the test fixtures (see their README.md)."""
    import json

    return json.loads(REPRESENT_FIXTURE.read_text(encoding="utf-8"))


def demo_official():
    """The MP for K1P 5G4, as the Represent provider parses the fixture."""
    from advocacy.civic.represent import parse_postcode

    result = parse_postcode(represent_body(), POSTCODE)
    return next(o for o in result.officials if o.elected_office == "MP")
