"""Every benchmark in one run, and the README's table of figures.

    python -m bench.all --quick            # a few minutes: small data sets
    python -m bench.all                    # the sizes the README quotes
    python -m bench.all --quick --readme   # also rewrite the README's table

Each benchmark runs in a database of its own (``bench.common``) and prints its
own report to stderr; this prints one table of every figure it gives: the
product's throughput, the raw floor of the same work measured in the same run,
and the product's share of the floor (1.00 would be as fast as the floor).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import common

README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- bench.all figures: start -->"
END = "<!-- bench.all figures: end -->"

# benchmark -> (arguments of a quick run, arguments of a full run)
SUITES: dict[str, tuple[list[str], list[str]]] = {
    "load_and_rebuild": (["--events", "20000"], ["--events", "100000"]),
    "rule_change": (
        ["--agents", "100", "--events", "20000"],
        ["--agents", "400", "--events", "200000"],
    ),
    "imports": (["--agents", "40"], ["--agents", "400"]),
    "reads": (
        ["--agents", "200", "--facts", "10", "--seconds", "3"],
        ["--agents", "1000", "--facts", "30", "--seconds", "10"],
    ),
    "pages": (
        ["--agents", "200", "--facts", "3", "--seconds", "3"],
        ["--agents", "1000", "--facts", "10", "--seconds", "10"],
    ),
    "embedded": (
        ["--agents", "200", "--facts", "10", "--seconds", "3", "--import-agents", "60"],
        ["--agents", "1000", "--facts", "30", "--seconds", "10"],
    ),
    "deliveries": (
        ["--moments", "200", "--subscriptions", "2", "--delay-moments", "40"],
        ["--moments", "250", "--subscriptions", "4", "--delay-moments", "50"],
    ),
}


def run_suite(name: str, argv: list[str]) -> list[common.Figure]:
    """Run ``bench.<name>`` with ``argv``; its figures (its report to stderr)."""
    module = importlib.import_module(f"bench.{name}")
    args = module.parse_args(argv)
    print(f"== bench.{name} {' '.join(argv)}", file=sys.stderr)
    report, figures = module.suite(args)
    print(report, file=sys.stderr)
    return list(figures)


def table(figures: Sequence[common.Figure]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| work | the product | raw floor, same run | share of floor |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {f.work} | {f.rate:,.0f} {f.unit} | {f.floor}: {f.floor_rate:,.0f} "
        f"{f.floor_unit} | {f.share:.3f} |"
        for f in figures
    ]
    return "\n".join(lines)


def rewrite_readme(text: str, readme: Path = README) -> None:
    """Put ``text`` between the README's figure markers."""
    content = readme.read_text(encoding="utf-8")
    before, found, rest = content.partition(START)
    _, ended, after = rest.partition(END)
    if not (found and ended):
        raise SystemExit(f"{readme.name} has no {START} ... {END} markers")
    readme.write_text(f"{before}{START}\n{text}\n{END}{after}", encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.all", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data sets")
    parser.add_argument(
        "--readme", action="store_true", help="rewrite the README's figures table"
    )
    parser.add_argument("--only", choices=sorted(SUITES), action="append")
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    common.raise_on_sigterm()
    figures: list[common.Figure] = []
    try:
        for name in args.only or SUITES:
            quick, full = SUITES[name]
            chosen = quick if args.quick else full
            figures += run_suite(name, [*chosen, "--database-url", args.database_url])
    except common.BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    text = table(figures)
    print(text)
    if args.readme:
        rewrite_readme(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
