#!/usr/bin/python3
"""Peer `aiohttp`: Python asyncio + aiohttp, streaming the way vLLM's benchmark_serving does.

One ClientSession with a TCPConnector(limit=C), `session.post(...)`, then `async for line in
response.content` (aiohttp yields the body line by line); `data:` lines are gathered and a blank
line ends the event (the event-stream rule), then json.loads and the text of
candidates[0].content.parts. vLLM's harness strips each line, drops the "data: " prefix and
json.loads it, which is the same work for one-line events like these.

    /usr/bin/python3 aiohttp_peer.py --base-url http://127.0.0.1:PORT --concurrency 64 \\
        --per-stream 10 --events 20

Debian's python3-aiohttp (apt-get install -y python3-aiohttp); the pyenv interpreter on this
machine does not have it, and PyPI is not reachable. Prints one JSON line (bench/peers/README.md).
"""
import argparse
import asyncio
import json
import math
import resource
import sys
import time

import aiohttp

MODEL = "gemini-2.0-flash"
BODY = json.dumps({"contents": [{"role": "user", "parts": [{"text": "Say something."}]}]},
                  separators=(",", ":")).encode()
HEADERS = {"content-type": "application/json", "x-goog-api-key": "test-key"}


def percentile(sorted_samples, p):
    """Nearest rank."""
    if not sorted_samples:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_samples)))
    return sorted_samples[rank - 1]


def ms(x):
    return None if x is None else round(x * 1000, 3)


class Job:
    def __init__(self, args):
        self.args = args
        self.url = f"{args.base_url.rstrip('/')}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
        self.ttft = []
        self.itl = []
        self.events = 0
        self.errors = 0
        self.first_error = None

    async def one_request(self, session):
        """Returns the number of events; raises on any failure."""
        start = time.perf_counter()
        last = 0.0
        seen = 0
        have_ttft = False
        data = []
        async with session.post(self.url, data=BODY, headers=HEADERS) as response:
            if response.status != 200:
                await response.read()
                raise RuntimeError(f"HTTP {response.status}")
            async for line in response.content:
                line = line.rstrip(b"\r\n")
                if line:
                    if line.startswith(b"data:"):
                        value = line[5:]
                        data.append(value[1:] if value.startswith(b" ") else value)
                    continue
                if not data:
                    continue
                document = json.loads(b"\n".join(data))
                data.clear()
                parts = document["candidates"][0]["content"].get("parts", [])
                text = "".join(p.get("text", "") for p in parts)
                now = time.perf_counter()
                if seen > 0:
                    self.itl.append(now - last)
                if not have_ttft and text:
                    self.ttft.append(now - start)
                    have_ttft = True
                last = now
                seen += 1
        return seen

    async def one_stream(self, session):
        for _ in range(self.args.per_stream):
            seen = 0
            try:
                seen = await self.one_request(session)
                if seen != self.args.events:
                    raise RuntimeError(f"{seen} events, expected {self.args.events}")
            except Exception as e:  # counted and reported, never hidden
                self.errors += 1
                if self.first_error is None:
                    self.first_error = e
            self.events += seen

    async def run(self):
        connector = aiohttp.TCPConnector(limit=self.args.concurrency)
        timeout = aiohttp.ClientTimeout(total=6 * 60 * 60)   # vLLM's AIOHTTP_TIMEOUT
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await asyncio.gather(*(self.one_stream(session) for _ in range(self.args.concurrency)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--per-stream", type=int, required=True)
    parser.add_argument("--events", type=int, required=True)
    args = parser.parse_args()

    job = Job(args)
    # CPU and wall time of the job only (all threads of the process), not the imports.
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.perf_counter()
    asyncio.run(job.run())
    wall = time.perf_counter() - w0
    r1 = resource.getrusage(resource.RUSAGE_SELF)

    if job.first_error is not None:
        print(f"aiohttp: {job.errors} failed requests; the first: {job.first_error!r}", file=sys.stderr)
    job.ttft.sort()
    job.itl.sort()
    print(json.dumps({
        "peer": "aiohttp",
        "concurrency": args.concurrency,
        "requests": args.concurrency * args.per_stream,
        "events": job.events,
        "errors": job.errors,
        "wall_s": round(wall, 6),
        "cpu_user_s": round(r1.ru_utime - r0.ru_utime, 6),
        "cpu_sys_s": round(r1.ru_stime - r0.ru_stime, 6),
        "ttft_p50_ms": ms(percentile(job.ttft, 50)),
        "ttft_p99_ms": ms(percentile(job.ttft, 99)),
        "itl_p50_ms": ms(percentile(job.itl, 50)),
        "itl_p99_ms": ms(percentile(job.itl, 99)),
    }, separators=(",", ":")))


if __name__ == "__main__":
    main()
