"""``make bench``: every benchmark in turn, one JSON line per figure on stdout.

    python -m bench                 # all of them
    python -m bench catalog webhook # some of them
    python -m bench peers           # Saleor against the shop (not part of "all")

Each runs in its own process (``python -m bench.<name>``) on ``BENCH_DATABASE_URL``
(default: the local PostgreSQL's ``test_bench`` database, created when missing, and
wiped). A benchmark that fails is reported and the others still run; the exit status says
whether all passed.
"""

from __future__ import annotations

import subprocess
import sys

from bench.harness import ROOT, check_database_name, database_url, emit, ensure_database

BENCHMARKS = ("catalog", "checkout", "webhook", "admin_orders", "hold_expiry",
              "order_history", "payment_history", "load_checkout", "archive", "search")
# Run only when named: "peers" measures another shop that bench/peers/saleor.sh serves.
ON_REQUEST = ("peers",)


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS + ON_REQUEST]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; "
              f"known: {', '.join(BENCHMARKS + ON_REQUEST)}",
              file=sys.stderr)
        return 2
    check_database_name(database_url())
    ensure_database(database_url())
    failed = []
    for name in chosen:
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=ROOT,
                          check=False).returncode != 0:
            failed.append(name)
    emit("all", "summary", ran=chosen, failed=failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
