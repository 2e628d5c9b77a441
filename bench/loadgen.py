"""A light HTTP load generator: one asyncio loop, one process, loopback only.

It runs beside the server (a second process on the same 2 cores), so it is kept lean: raw
HTTP/1.1 over asyncio streams, no HTTP library. Every simulated resident has its own loopback
source address (127.A.B.C; Linux routes all of 127.0.0.0/8 to the loopback interface), so the
app's per-client rate limits see what they would see on hearing night: many residents, each
sending a few comments. A resident sends at most ``--per-address`` comments, then the
generator moves on to a fresh address. 429 answers are counted apart, never as throughput.

Two flows:

- ``intake``: GET the comment form (its hidden CSRF and submission tokens, and the session
  cookie the CSRF token is tied to), POST it, and follow the 303 to the receipt page.
- ``read``: GET one page.

Two ways of loading:

- ``closed``: ``--concurrency`` clients, each starting its next flow as soon as the last one
  ended (saturation: how much the server can do).
- ``open``: flows start at ``--rate`` per second on a fixed schedule whatever the server does,
  and latency is measured from the scheduled start, so a slow server can't hide its queue
  (no coordinated omission).

Results are one JSON object on standard output. Bounded: the run stops by itself after
``--warmup`` + ``--seconds``, plus at most ``--drain`` seconds for flows still in flight.
"""

import argparse
import asyncio
import contextlib
import html
import json
import random
import re
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

HIDDEN_INPUT = re.compile(rb"<input\b[^>]*\btype=\"hidden\"[^>]*>")
ATTRIBUTE = re.compile(rb"\b(name|value)=\"([^\"]*)\"")

#: Words for comment bodies: varied enough that no two comments are the same letter.
_VOCABULARY = (
    "pilot police cameras privacy face recognition council data retention oversight accuracy "
    "neighbors trust safety community cost vendor audit warrant bias errors storage sharing "
    "federal agencies immigrants students transit stores protest rights evidence misidentified "
    "transparency contract public hearing vote months report consent youth elders library park"
)
WORDS = _VOCABULARY.split()

#: A valid comment for the pilot's form; "{random}" becomes a text of its own each time.
COMMENT_FIELDS: dict[str, Any] = {
    "body": "{random}",
    "position": "oppose",
    "topics": ["privacy-surveillance", "data-retention-security"],
    "neighborhood": "seward",
    "display_name": "",
    "contact_email": "",
    "website": "",
}


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[-1] if values else None


class Connection:
    """One keep-alive HTTP/1.1 connection from one source address; reopened when closed."""

    def __init__(self, host: str, port: int, source: str, timeout: float) -> None:
        self.host, self.port, self.source, self.timeout = host, port, source, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> Response:
        return await asyncio.wait_for(self._request(method, target, headers, body), self.timeout)

    async def _request(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, local_addr=(self.source, 0)
            )
        assert self.reader is not None
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, status, *_reason = status_line.split(" ", 2)
        parsed: dict[str, list[str]] = {}
        for line in header_lines:
            if line:
                name, _colon, value = line.partition(":")
                parsed.setdefault(name.strip().lower(), []).append(value.strip())
        response = Response(int(status), parsed, b"")
        if method == "HEAD" or response.status in (204, 304):
            pass
        elif "chunked" in (response.header("transfer-encoding") or ""):
            response.body = await self._chunked()
        elif (length := response.header("content-length")) is not None:
            response.body = await self.reader.readexactly(int(length))
        else:
            response.body = await self.reader.read()
            await self.close()
        connection = (response.header("connection") or "").lower()
        if connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive"):
            await self.close()
        return response

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


class Browser:
    """One resident: a source address, a cookie jar and a connection."""

    def __init__(self, host: str, port: int, source: str, timeout: float) -> None:
        self.connection = Connection(host, port, source, timeout)
        self.cookies: dict[str, str] = {}

    async def send(self, method: str, target: str, body: dict[str, Any] | None = None) -> Response:
        headers = {"Accept": "text/html", "User-Agent": "bench-loadgen"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = b""
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urlencode(body, doseq=True).encode()
        try:
            response = await self.connection.request(method, target, headers, data)
        except BaseException:
            await self.connection.close()
            raise
        for cookie in response.headers.get("set-cookie", []):
            name, _eq, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return response

    async def close(self) -> None:
        await self.connection.close()


def hidden_fields(page: bytes) -> dict[str, str]:
    fields = {}
    for tag in HIDDEN_INPUT.findall(page):
        attributes = dict(ATTRIBUTE.findall(tag))
        if b"name" in attributes:
            fields[attributes[b"name"].decode()] = html.unescape(
                attributes.get(b"value", b"").decode()
            )
    return fields


def source_address(octet: int, index: int) -> str:
    """The index-th resident's loopback address: 127.<octet>.B.C, never .0 or .255."""
    return f"127.{octet}.{(index // 250) % 256}.{index % 250 + 1}"


def percentile(sorted_values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, round(share * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Tally:
    """What happened during the measured window (and, for receipts, during the whole run)."""

    window_start: float = 0.0
    window_end: float = 0.0
    flows: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    post_latencies: list[float] = field(default_factory=list)
    request_latencies: list[float] = field(default_factory=list)
    #: Every 303 to a receipt, warm-up and drain included, to compare with rows stored.
    receipts_total: int = 0
    rate_limited_total: int = 0
    completed_in_window: int = 0
    #: Flows of the window still running when the run ended (slower than --drain allows).
    unfinished: int = 0
    #: POSTs sent whose answer never came (a timeout, a reset, the end of the run).
    posts_unanswered: int = 0
    started: int = 0
    shed: int = 0
    max_lag: float = 0.0

    def in_window(self, moment: float) -> bool:
        return self.window_start <= moment < self.window_end


class Run:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        parts = urlsplit(options.url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.tally = Tally()
        self.random = random.Random(options.seed)
        self.next_address = 0
        self.paths = options.path

    def new_browser(self, index: int) -> Browser:
        source = source_address(self.options.address_octet, index)
        return Browser(self.host, self.port, source, self.options.timeout)

    def comment_fields(self) -> dict[str, Any]:
        words = self.random.choices(WORDS, k=self.random.randint(30, 90))
        body = " ".join(words).capitalize() + "."
        fields: dict[str, Any] = json.loads(self.options.fields)
        fields.setdefault("body", body)
        if fields.get("body") == "{random}":
            fields["body"] = body
        return fields

    async def flow(self, browser: Browser, scheduled: float, number: int) -> None:
        tally = self.tally
        counted = tally.in_window(scheduled)
        if counted:
            tally.unfinished += 1
        try:
            if self.options.flow == "intake":
                outcome = await self._intake(browser, counted)
            else:
                outcome = await self._read(browser, number, counted)
        except Exception as error:  # every failure is a figure, never a crash of the run
            outcome = "error"
            if counted:
                tally.errors[type(error).__name__] += 1
        end = time.perf_counter()
        if counted:
            tally.unfinished -= 1
            tally.flows[outcome] += 1
            if outcome == "ok":
                tally.latencies.append(end - scheduled)
        if outcome == "ok" and tally.in_window(end):
            tally.completed_in_window += 1

    async def _timed(self, browser: Browser, counted: bool, *args: Any) -> tuple[Response, float]:
        start = time.perf_counter()
        response = await browser.send(*args)
        elapsed = time.perf_counter() - start
        if counted:
            self.tally.statuses[str(response.status)] += 1
            self.tally.request_latencies.append(elapsed)
        return response, elapsed

    async def _intake(self, browser: Browser, counted: bool) -> str:
        options = self.options
        form, _elapsed = await self._timed(browser, counted, "GET", options.form_path)
        if form.status != 200:
            return "error"
        data = {**hidden_fields(form.body), **self.comment_fields()}
        # A POST cut off by the end of the run may still be stored: count it apart.
        self.tally.posts_unanswered += 1
        sent, post_elapsed = await self._timed(browser, counted, "POST", options.post_path, data)
        self.tally.posts_unanswered -= 1
        if sent.status == 429:
            self.tally.rate_limited_total += 1
            return "rate_limited"
        location = sent.header("location") or ""
        if sent.status != 303 or options.receipt_marker not in location:
            return "error"
        self.tally.receipts_total += 1
        if counted:
            self.tally.post_latencies.append(post_elapsed)
        receipt, _elapsed = await self._timed(browser, counted, "GET", urlsplit(location).path)
        return "ok" if receipt.status == 200 else "error"

    async def _read(self, browser: Browser, number: int, counted: bool) -> str:
        path = self.paths[number % len(self.paths)]
        page, _elapsed = await self._timed(browser, counted, "GET", path)
        if page.status == 429:
            self.tally.rate_limited_total += 1
            return "rate_limited"
        return "ok" if page.status == 200 else "error"

    async def closed_loop(self, deadline: float) -> None:
        counter = iter(range(10**9))

        async def client() -> None:
            while time.perf_counter() < deadline:
                index = self.next_address
                self.next_address += 1
                browser = self.new_browser(index)
                try:
                    for _flow in range(self.options.per_address):
                        if time.perf_counter() >= deadline:
                            break
                        self.tally.started += 1
                        await self.flow(browser, time.perf_counter(), next(counter))
                finally:
                    await browser.close()

        await asyncio.gather(*(client() for _ in range(self.options.concurrency)))

    async def open_loop(self, start: float, deadline: float) -> None:
        interval = 1.0 / self.options.rate
        in_flight: set[asyncio.Task[None]] = set()
        number = 0
        while True:
            scheduled = start + number * interval
            if scheduled >= deadline:
                break
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.tally.max_lag = max(self.tally.max_lag, -delay)
            if len(in_flight) >= self.options.max_in_flight:
                self.tally.shed += 1
            else:
                task = asyncio.create_task(self._one(number, scheduled))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                self.tally.started += 1
            number += 1
        if in_flight:
            await asyncio.wait(in_flight, timeout=self.options.drain)
        for task in list(in_flight):
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)

    async def _one(self, number: int, scheduled: float) -> None:
        browser = self.new_browser(number // self.options.per_address)
        try:
            await self.flow(browser, scheduled, number)
        finally:
            await browser.close()

    async def run(self) -> dict[str, Any]:
        options = self.options
        start = time.perf_counter()
        self.tally.window_start = start + options.warmup
        self.tally.window_end = self.tally.window_start + options.seconds
        deadline = self.tally.window_end
        if options.mode == "closed":
            try:
                limit = options.warmup + options.seconds + options.drain
                await asyncio.wait_for(self.closed_loop(deadline), limit)
            except TimeoutError:
                self.tally.errors["DrainTimeout"] += 1
        else:
            await self.open_loop(start, deadline)
        return self.report(time.perf_counter() - start)

    def report(self, wall: float) -> dict[str, Any]:
        tally = self.tally
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime

        def summary(values: list[float], unfinished: int = 0) -> dict[str, float | None]:
            # Flows still running at the end were slower than any that ended: they take the
            # top ranks, and a percentile that falls on one of them is unknown (None).
            ordered = sorted(values) + [float("inf")] * unfinished
            return {
                name: (
                    None
                    if (value := percentile(ordered, share)) is None or value == float("inf")
                    else value * 1000
                )
                for name, share in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
            }

        return {
            "flow": self.options.flow,
            "mode": self.options.mode,
            "seconds": self.options.seconds,
            "concurrency": self.options.concurrency if self.options.mode == "closed" else None,
            "rate": self.options.rate if self.options.mode == "open" else None,
            "throughput": tally.completed_in_window / self.options.seconds,
            "flows": dict(tally.flows),
            "statuses": dict(tally.statuses),
            "errors": dict(tally.errors),
            "latency_ms": summary(tally.latencies, tally.unfinished),
            "post_latency_ms": summary(tally.post_latencies),
            "request_latency_ms": summary(tally.request_latencies),
            "receipts_total": tally.receipts_total,
            "unfinished": tally.unfinished,
            "posts_unanswered": tally.posts_unanswered,
            "rate_limited_total": tally.rate_limited_total,
            "addresses_used": (self.next_address if self.options.mode == "closed" else None),
            "started": tally.started,
            "shed": tally.shed,
            "max_schedule_lag_ms": tally.max_lag * 1000,
            "generator_cpu_seconds": cpu,
            "generator_cpu_share": cpu / wall if wall else None,
        }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--flow", choices=["intake", "read"], required=True)
    parser.add_argument("--mode", choices=["closed", "open"], required=True)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not measured")
    parser.add_argument("--drain", type=float, default=15.0, help="max wait for flows in flight")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=float, default=150.0, help="flows started per second")
    parser.add_argument("--max-in-flight", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=30.0, help="per request")
    parser.add_argument("--per-address", type=int, default=3, help="flows per source address")
    parser.add_argument("--address-octet", type=int, default=10, help="127.<this>.x.y")
    parser.add_argument("--form-path", default="/en/consultations/clearview-ai-pilot")
    parser.add_argument("--post-path", default="/en/consultations/clearview-ai-pilot/comments")
    parser.add_argument("--receipt-marker", default="/receipts/")
    parser.add_argument(
        "--fields",
        default=json.dumps(COMMENT_FIELDS),
        help="form fields as JSON; body '{random}' gets varied words",
    )
    parser.add_argument("--path", action="append", default=[], help="read flow: page(s) to GET")
    parser.add_argument("--seed", type=int, default=9)
    options = parser.parse_args(argv)
    if options.flow == "read" and not options.path:
        parser.error("--flow read needs at least one --path")
    return options


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    result = asyncio.run(Run(options).run())
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
