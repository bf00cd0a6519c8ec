"""Per-call overhead of the Python binding over Rust, and a 100k-row listing
into pandas. Figures only (benchmarks are not tests); run via scripts/bench.sh.

    python scripts/bench.py RUST_PEER [--rows 100000] [--calls 200000]

Builds a SQLite file of ROWS bookings (100 resources, create_bookings in
batches of 10,000), then measures on it:
- get_booking: Python loop vs the same loop in Rust (rust_peer get-booking);
- list_bookings over every page: Rust alone (rust_peer list-bookings), the
  Python walk (Booking objects), to_pandas("bookings"), and
  pandas.DataFrame(booking_records()).
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import holdfast
from holdfast import analytics

RESOURCES = 100
BATCH = 10_000


def best_of(runs: int, work: Callable[[], Any]) -> Tuple[float, Any]:
    """The fastest of `runs` wall times in seconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        gc.collect()
        began = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - began)
    return best, result


def build(db: Path, rows: int) -> str:
    with holdfast.Engine.open(f"sqlite://{db}") as engine:
        engine.create_tenant("bench", "Bench")
        t = engine.tenant("bench")
        for r in range(RESOURCES):
            t.create_resource(id=f"r{r:03}", name=f"Resource {r}")
        base = datetime(2026, 1, 5, tzinfo=timezone.utc)
        per_resource = rows // RESOURCES
        items: List[Dict[str, Any]] = []
        some_id = ""
        for i in range(per_resource):
            start = base + timedelta(hours=6 * i)  # 4 h every 6 h: 1,000 fit in 250 days
            for r in range(RESOURCES):
                items.append(
                    {"resource_id": f"r{r:03}", "start": start, "end": start + timedelta(hours=4),
                     "status": "pencil" if i % 7 == 0 else "confirmed", "title": f"job {i}"}
                )
                if len(items) == BATCH:
                    some_id = t.create_bookings(items)[BATCH // 2].id
                    items = []
        if items:
            some_id = t.create_bookings(items)[0].id
        return some_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rust_peer")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "bench.db"
        began = time.perf_counter()
        some_id = build(db, args.rows)
        print(f"built {args.rows} bookings in {time.perf_counter() - began:.1f} s")

        rust = subprocess.run([args.rust_peer, "get-booking", str(db), "bench", some_id, str(args.calls)],
                              capture_output=True, text=True, check=True).stdout
        rust_ns = int(rust.split("=")[1])
        listing = subprocess.run([args.rust_peer, "list-bookings", str(db), "bench"],
                                 capture_output=True, text=True, check=True).stdout.split()
        rust_list_ms = float(listing[1].split("=")[1])

        with holdfast.Engine.open(f"sqlite://{db}") as engine:
            t = engine.tenant("bench")
            get = t.get_booking
            for _ in range(1_000):
                get(some_id)

            def loop() -> None:
                for _ in range(args.calls):
                    get(some_id)

            seconds, _ = best_of(3, loop)
            py_ns = seconds / args.calls * 1e9
            print(f"get_booking: Rust {rust_ns / 1e3:.2f} us, Python {py_ns / 1e3:.2f} us per call "
                  f"-> overhead {(py_ns - rust_ns) / 1e3:.2f} us ({args.calls} calls, best of 3)")
            b = get(some_id)
            fields, _ = best_of(3, lambda: [b.to_dict() for _ in range(10_000)])
            print(f"  Booking.to_dict(): {fields / 10_000 * 1e6:.2f} us (all 15 fields converted)")

            import pandas

            walk, bookings = best_of(3, lambda: list(analytics.iter_bookings(t)))
            frame_s, frame = best_of(3, lambda: t.to_pandas("bookings"))
            records_s, records = best_of(3, lambda: t.booking_records())
            plain_s, _ = best_of(3, lambda: pandas.DataFrame(records))
            assert len(bookings) == len(frame) == len(records) == args.rows
            print(f"list_bookings of {args.rows} rows (every page): Rust {rust_list_ms:.0f} ms; "
                  f"Python walk {walk * 1e3:.0f} ms")
            print(f"  to_pandas('bookings'): {frame_s * 1e3:.0f} ms (datetime64[us, UTC] columns)")
            print(f"  booking_records(): {records_s * 1e3:.0f} ms; pandas.DataFrame(records): {plain_s * 1e3:.0f} ms; "
                  f"together {(records_s + plain_s) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
