"""fastjet's multi-event (awkward) interface against codesign's per-event PseudoJet loop: anti-kT R = 0.8.

    python benchmarks/fastjet_batch.py [--events 60]

Generates gluon events (the jets' default settings), clusters them both ways, and prints the CPU time
per event of each and in how many events the jets (as sets of constituent indices) are the same.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    """Cluster, compare and print one JSON object."""
    import awkward as ak
    import fastjet

    from codesign.data.clustering import _fastjet, antikt_jets
    from codesign.data.jets import JetConfig
    from codesign.data.pythia import final_state, make_pythia

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--pt-min", type=float, default=400.0)
    args = parser.parse_args()
    _fastjet()  # the banner and one-off set-up outside the timing
    pythia = make_pythia(JetConfig().pythia_settings("g"), 11)
    events: list[np.ndarray] = []
    while len(events) < args.events:
        if pythia.next():
            events.append(final_state(pythia.event)[:, :4])
    start = time.process_time()
    ours = [antikt_jets(e, 0.8, args.pt_min) for e in events]
    t_loop = time.process_time() - start
    arrays = ak.zip({k: ak.Array([e[:, i] for e in events]) for i, k in enumerate(("px", "py", "pz", "E"))})
    start = time.process_time()
    seq = fastjet.ClusterSequence(arrays, fastjet.JetDefinition(fastjet.antikt_algorithm, 0.8))
    index = seq.constituent_index(args.pt_min)
    t_batch = time.process_time() - start
    same = sum(
        sorted(sorted(j.tolist()) for j in ours[i]) == sorted(sorted(ak.to_list(c)) for c in index[i])
        for i in range(len(events))
    )
    print(json.dumps({
        "events": len(events),
        "mean_particles": float(np.mean([len(e) for e in events])),
        "loop_ms_per_event": 1e3 * t_loop / len(events),
        "awkward_ms_per_event": 1e3 * t_batch / len(events),
        "same_jets_events": same,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
