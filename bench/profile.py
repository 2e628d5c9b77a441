"""Where the time goes: py-spy samples of the gunicorn workers, summarised as text.

``py-spy record --format raw`` writes one line per distinct stack ("frame;frame;... count").
This adds them up two ways: by the frame the worker was in (self time: what to make faster)
and by each frame anywhere in the stack (inclusive time: which step of a request costs what).
Samples include idle time (``--idle``), so waiting on PostgreSQL or on a socket shows as such.
"""

import argparse
import re
import subprocess
from collections import Counter
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PY_SPY = str(PROJECT_ROOT / ".venv" / "bin" / "py-spy")
#: "function (path/to/file.py:123)" -> "function (file.py)"; line numbers would split one
#: function into many rows.
FRAME = re.compile(r"^(?P<function>.+?) \((?P<path>[^()]*?):?\d*\)$")


def record(pids: list[int], seconds: float, out_dir: Path) -> list[subprocess.Popen[bytes]]:
    """Start py-spy on each worker; each writes raw stacks to out_dir/<pid>.txt."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                PY_SPY,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "200",
                "--idle",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(out_dir / f"{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def _short(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["path"]
    marker = "site-packages/"
    if marker in path:
        path = path.split(marker, 1)[1]
    elif str(PROJECT_ROOT) in path:
        path = path.split(str(PROJECT_ROOT) + "/", 1)[1]
    return f"{match['function']} ({path})"


def summarise(files: list[Path], top: int = 25) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for file in files:
        for line in file.read_text().splitlines():
            stack, _space, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_short(frame) for frame in stack.split(";")]
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    if not total:
        return "no samples (py-spy needs ptrace permission)"
    lines = [f"{total} samples (idle included)", "", "self time (where the worker was):"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "inclusive time (frame anywhere on the stack), our code and key steps:"]
    interesting = [
        (frame, n)
        for frame, n in inclusive.most_common()
        if frame.split(" (", 1)[-1].startswith(("engagement", "templates", "jinja2/environment"))
        or frame.startswith(("execute ", "commit ", "_handle_request", "handle_request"))
    ]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in interesting[:top]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Summarise py-spy raw stack files.")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    options = parser.parse_args()
    print(summarise(options.files, options.top))


if __name__ == "__main__":
    main()
