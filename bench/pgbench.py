"""Running pgbench with a custom script and reading its per-transaction log.

pgbench's summary gives the mean latency only; p50 and p99 come from its transaction
log (`-l`), one line per transaction: client, transaction number, latency in µs, script,
and the epoch second and microsecond at which the transaction ended.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.databases import percentile
from bench.server import allow_descriptors, binary

# One read as the website's API makes it: PostgREST runs each request as a transaction
# that switches to the caller's role and sets its claims locally, then runs the query.
ANON_READ = """BEGIN;
SELECT set_config('role', 'anon', true), set_config('request.jwt.claims', '{{"role": "anon"}}', true);
{query};
COMMIT;
"""


@dataclass
class Run:
    clients: int
    seconds: float
    rate: float | None
    tps: float
    transactions: int
    # (ended at, in µs since the epoch; latency in µs), one per completed transaction
    log: list[tuple[int, int]] = field(repr=False, default_factory=list)

    def latencies_ms(self, during: list[tuple[int, int]] | None = None) -> list[float]:
        """Latencies of all transactions, or of those that overlapped any of the
        `during` windows (µs since the epoch)."""
        if during is None:
            return [latency / 1000 for _, latency in self.log]
        return [latency / 1000 for ended, latency in self.log
                if any(ended - latency < stop and ended > start for start, stop in during)]

    def summary(self) -> dict:
        latencies = self.latencies_ms()
        return {"clients": self.clients, "rate": self.rate, "tps": self.tps, "transactions": self.transactions,
                "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}


def parse_log(text: str) -> list[tuple[int, int]]:
    """(ended at µs, latency µs) of each completed transaction in a pgbench log."""
    entries = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 6 or not parts[2].isdigit():
            continue  # "failed" / "skipped" transactions carry no latency
        entries.append((int(parts[4]) * 1_000_000 + int(parts[5]), int(parts[2])))
    return entries


def parse_tps(output: str, errors: str = "") -> float:
    match = re.search(r"^tps = ([0-9.]+)", output, re.MULTILINE)
    if match is None:
        # pgbench leaves tps out when no transaction completed; what each client hit is
        # on stderr ("client 3 aborted in command 1 ...: ERROR: ...").
        raise RuntimeError(f"pgbench completed no transaction:\n{output.strip()}\n{errors.strip()[-2000:]}")
    return float(match.group(1))


def run(url: str, script: str, clients: int, seconds: float, threads: int = 2, rate: float | None = None) -> Run:
    """pgbench against `url` (any libpq URL) for `seconds`, `clients` connections made
    up front and kept, in simple query protocol (what a transaction-mode pool allows).

    Without `rate` every client sends its next transaction as soon as the last one
    ends (the server's capacity). With `rate` (transactions/s, all clients together)
    transactions start on a Poisson schedule, as independent visitors arrive, and each
    latency counts from its scheduled start, so time spent queueing is included."""
    allow_descriptors(clients + 64)
    with tempfile.TemporaryDirectory(prefix="carnivore-pgbench-") as folder:
        script_path = Path(folder) / "script.sql"
        script_path.write_text(script)
        command = [binary("pgbench"), "--no-vacuum", "--file", str(script_path), "--client", str(clients),
                   "--jobs", str(min(threads, clients)), "--time", str(max(1, round(seconds))), "--log",
                   "--log-prefix", str(Path(folder) / "log"), url]
        if rate is not None:
            command[1:1] = ["--rate", str(rate)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench exited with {done.returncode}:\n{done.stderr.strip()[-2000:]}")
        log = [entry for path in Path(folder).glob("log.*") for entry in parse_log(path.read_text())]
    match = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    return Run(clients=clients, seconds=seconds, rate=rate, tps=parse_tps(done.stdout, done.stderr),
               transactions=int(match.group(1)) if match else len(log), log=sorted(log))
