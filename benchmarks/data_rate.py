"""Generation throughput: jets/s and L1 events/s with 1 and 2 worker processes, measured in one run.

    python benchmarks/data_rate.py [--jets 200] [--events 200]

Rates include Pythia initialisation and process start-up, as a user sees them; the ratio is the
2-worker rate over the 1-worker rate (ideal: 2 on two free cores).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from codesign.data.jets import JetConfig
from codesign.data.l1 import L1Config
from codesign.data.production import produce_jets, produce_l1


def _time(fn) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    """Measure and print the rates as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jets", type=int, default=200, help="jets per measurement")
    parser.add_argument("--events", type=int, default=200, help="background L1 events per measurement")
    args = parser.parse_args()
    result: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            out = Path(tmp) / f"jets{workers}.h5"
            # Chunks are per class: 4 chunks in each of the 5 classes (20 in all) so that two workers share
            # the work evenly although the classes differ in cost per jet.
            seconds = _time(lambda out=out, workers=workers: produce_jets(
                out, args.jets, 1, JetConfig(n_constituents=32), workers, progress=False,
                chunk_size=max(1, args.jets // 20),
            ))
            result[f"jets_per_s_{workers}w"] = args.jets / seconds
            out = Path(tmp) / f"l1_{workers}.h5"
            seconds = _time(lambda out=out, workers=workers: produce_l1(
                out, args.events, ("background",), 1, L1Config(), workers, progress=False,
                chunk_size=max(1, args.events // 8),
            ))
            result[f"l1_events_per_s_{workers}w"] = args.events / seconds
    result["jets_ratio_2w_over_1w"] = result["jets_per_s_2w"] / result["jets_per_s_1w"]
    result["l1_ratio_2w_over_1w"] = result["l1_events_per_s_2w"] / result["l1_events_per_s_1w"]
    result["jets_per_s_per_worker_2w"] = result["jets_per_s_2w"] / 2
    result["l1_events_per_s_per_worker_2w"] = result["l1_events_per_s_2w"] / 2
    print(json.dumps({k: round(v, 3) for k, v in result.items()}))


if __name__ == "__main__":
    main()
