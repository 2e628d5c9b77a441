"""`python -m bench [--seconds 30]`: every benchmark of issue 9, then one table of figures and
targets, headed by the machine, its load and the date (the README's table comes from it).

``--only weight,intake,reading`` runs some of them; ``--seconds`` is per measurement (30 for
the figures we publish, a few while developing).
"""

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import intake, reading, weight

BENCHMARKS = {"weight": weight, "intake": intake, "reading": reading}


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="per load measurement")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="weight,intake,reading")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the intake workers")
    options = parser.parse_args(argv)
    started = datetime.now(UTC)
    print(f"machine: {machine()}")
    print(f"date: {started:%Y-%m-%d %H:%M} UTC; load average before: {load()}")
    rows: list[dict[str, Any]] = []
    for name in options.only.split(","):
        module = BENCHMARKS[name]
        arguments = [] if name == "weight" else ["--seconds", str(options.seconds)]
        if name == "intake" and options.profile:
            arguments += ["--profile", options.profile]
        rows += module.run(module.parser().parse_args(arguments))
    print(f"\nload average after: {load()} (1, 5, 15 min; 2 cores: above 2 means contention)")
    print(f"\n{'benchmark':46} {'figure':70} {'target':28} result")
    for row in rows:
        result = {True: "met", False: "MISSED", None: "-"}[row["met"]]
        print(f"{row['benchmark']:46} {row['figure']:70} {row['target']:28} {result}")
    missed = [row for row in rows if row["met"] is False]
    if missed:
        print(f"\n{len(missed)} target(s) missed; see the figures above.")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
