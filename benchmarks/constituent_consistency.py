"""Are a jet file's stored constituents consistent with its stored jet? numpy and h5py only (no codesign).

    python benchmarks/constituent_consistency.py models/data/jets.h5
    python benchmarks/constituent_consistency.py models/data/jets.h5 --full /tmp/full150.h5

Rebuilds each jet's 4-vector from its stored constituents (pT = j1_ptrel x j_pt, eta = j_eta + j1_etarel,
phi = j1_phirel around a jet phi of 0, E = j1_erel x E_jet with E_jet from j_pt, j_eta, j_mass) and compares
pT, eta and mass with the stored j_pt, j_eta, j_mass (and j_mass_mmdt) per class; checks the conventions
(ordering, padding, wrap-around of j1_phirel, j1_deltaR = hypot(etarel, phirel), units of the ratios).
``--full FILE``: a file generated with the same command, seed and settings but every constituent kept
(``--constituents 150 --features all --dtype float32``, ``--n`` a multiple of 1,250): its jets are the first
ones of the shipped file in generation order; the same rebuild with all constituents must give the stored jet,
and its first 32 rows, cast to float16, must equal the shipped file's rows.
"""

from __future__ import annotations

import argparse
import json

import h5py
import numpy as np

CLASSES = ("g", "q", "w", "z", "t")
CHUNK = 250


def read(path: str) -> dict[str, object]:
    """Jets table by column name, constituents [N, n, F] float64 by feature name, labels 0..4."""
    with h5py.File(path, "r") as fh:
        jets = fh["jets"][:].astype(np.float64)
        jnames = [n.decode() for n in fh["jetFeatureNames"][:]]
        cons = fh["jetConstituentList"][:]
        cnames = [n.decode() for n in fh["particleFeatureNames"][:]][: cons.shape[2]]
        cfg = json.loads(fh.attrs["generation_config"]) if "generation_config" in fh.attrs else {}
    jet = {n: jets[:, i] for i, n in enumerate(jnames)}
    label = np.stack([jet[f"j_{c}"] for c in CLASSES], axis=1).argmax(axis=1)
    return {
        "jet": jet,
        "raw": cons,
        "c": {n: cons[:, :, i].astype(np.float64) for i, n in enumerate(cnames)},
        "label": label,
        "cfg": cfg,
    }


def four_vectors(d: dict, n: int | None = None) -> np.ndarray:
    """Constituent (px, py, pz, E) [N, n, 4] rebuilt from the stored ratios and the jet columns."""
    c, jet = d["c"], d["jet"]
    sl = slice(None, n)
    pt = c["j1_ptrel"][:, sl] * jet["j_pt"][:, None]
    eta = c["j1_etarel"][:, sl] + jet["j_eta"][:, None]
    phi = c["j1_phirel"][:, sl]
    e_jet = np.sqrt(jet["j_mass"] ** 2 + (jet["j_pt"] * np.cosh(jet["j_eta"])) ** 2)
    real = c["j1_ptrel"][:, sl] > 0
    e = np.where(real, c["j1_erel"][:, sl] * e_jet[:, None], 0.0)
    return np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta) * real, e], axis=2)


def kinematics(p: np.ndarray) -> dict[str, np.ndarray]:
    """pT, pseudorapidity and mass of the summed 4-vectors [N, 4]."""
    pt = np.hypot(p[:, 0], p[:, 1])
    eta = np.arcsinh(p[:, 2] / np.maximum(pt, 1e-12))
    m2 = p[:, 3] ** 2 - (p[:, :3] ** 2).sum(axis=1)
    return {"pt": pt, "eta": eta, "mass": np.sqrt(np.maximum(m2, 0.0))}


def tau_ratios(p: np.ndarray, radius: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """tau21, tau32 (beta 1) of each jet's constituents [N, n, 4], axes = the 1 / 2 / 3 hardest constituents
    after a one-pass kT-like seeding (the hardest, then the hardest far from those): a cheap stand-in, not
    the stored exclusive-kT N-subjettiness."""
    pt = np.hypot(p[:, :, 0], p[:, :, 1])
    eta = np.arcsinh(p[:, :, 2] / np.maximum(pt, 1e-12))
    phi = np.arctan2(p[:, :, 1], p[:, :, 0])
    rows = np.arange(len(p))[:, None]
    axes = [np.zeros(len(p), dtype=int)]
    taus = []
    for _ in range(3):
        ae, ap = eta[rows, np.stack(axes, axis=1)], phi[rows, np.stack(axes, axis=1)]
        dr = np.hypot(eta[:, :, None] - ae[:, None, :], np.angle(np.exp(1j * (phi[:, :, None] - ap[:, None, :]))))
        dmin = dr.min(axis=2)
        taus.append((pt * dmin).sum(axis=1) / (pt.sum(axis=1) * radius))
        axes.append(np.argmax(pt * dmin**2, axis=1))  # next axis: the hardest-and-farthest constituent
    t1, t2, t3 = taus
    return t2 / np.maximum(t1, 1e-12), t3 / np.maximum(t2, 1e-12)


def conventions(d: dict) -> dict[str, float]:
    """Ordering, padding, angle ranges and units of the stored constituents."""
    c = d["c"]
    ptrel, raw = c["j1_ptrel"], d["raw"]
    pad = np.all(raw == 0, axis=2)
    real = ~pad
    out = {
        "jets": len(ptrel),
        "stored_per_jet": ptrel.shape[1],
        "jets_pt_descending": float(np.mean(np.all(np.diff(ptrel, axis=1) <= 0, axis=1))),
        "padding_only_trailing": float(np.mean(np.all(np.diff(pad.astype(int), axis=1) >= 0, axis=1))),
        "pad_slots_fraction": float(pad.mean()),
        "real_rows_with_ptrel_0": int(np.sum(real & (ptrel == 0))),
        "min_real_ptrel": float(ptrel[real].min()),
        "max_abs_etarel": float(np.abs(c["j1_etarel"][real]).max()),
        "max_abs_phirel": float(np.abs(c["j1_phirel"][real]).max()),
        "real_rows_dR_gt_R": float(np.mean(c["j1_deltaR"][real] > 0.8)),
        "max_abs_dR_minus_hypot": float(np.abs(c["j1_deltaR"] - np.hypot(c["j1_etarel"], c["j1_phirel"]))[real].max()),
    }
    # Unit checks: ptrel = pT / jet pT (sums to <= 1), erel = E / jet E, and each constituent massless-ish
    jet = d["jet"]
    e_jet = np.sqrt(jet["j_mass"] ** 2 + (jet["j_pt"] * np.cosh(jet["j_eta"])) ** 2)
    pt = ptrel * jet["j_pt"][:, None]
    e_massless = pt * np.cosh(c["j1_etarel"] + jet["j_eta"][:, None])
    ratio = (c["j1_erel"] * e_jet[:, None])[real] / e_massless[real]
    out["sum_ptrel_max"] = float(ptrel.sum(axis=1).max())
    out["erel_vs_massless_median"] = float(np.median(ratio))
    out["erel_vs_massless_within_1pct"] = float(np.mean(np.abs(ratio - 1) < 0.01))
    # the constituent pT- and E-weighted centroid: a jet axis in E-scheme puts sum pT_i phi_i ~ 0
    w = pt * real
    out["median_abs_pt_weighted_phirel"] = float(np.median(np.abs((w * c["j1_phirel"]).sum(1) / w.sum(1))))
    return out


def per_class(d: dict, n: int | None) -> list[dict[str, object]]:
    """Per class: rebuilt pT / eta / mass against the stored ones (fraction within 1 %, median ratio)."""
    p = four_vectors(d, n)
    k = kinematics(p.sum(axis=1))
    jet = d["jet"]
    ratio_m, ratio_mg = k["mass"] / jet["j_mass"], k["mass"] / np.maximum(jet["j_mass_mmdt"], 1e-9)
    t21, t32 = tau_ratios(p)
    rows = []
    for i, cls in enumerate(CLASSES):
        s = d["label"] == i
        rows.append(
            {
                "class": cls,
                "pt_within_1pct": float(np.mean(np.abs(k["pt"][s] / jet["j_pt"][s] - 1) < 0.01)),
                "eta_within_0.01": float(np.mean(np.abs(k["eta"][s] - jet["j_eta"][s]) < 0.01)),
                "mass_within_1pct": float(np.mean(np.abs(ratio_m[s] - 1) < 0.01)),
                "mass_ratio_q10_50_90": [float(v) for v in np.quantile(ratio_m[s], (0.1, 0.5, 0.9))],
                "mass_over_mmdt_q10_50_90": [float(v) for v in np.quantile(ratio_mg[s], (0.1, 0.5, 0.9))],
                "median_mass_rebuilt": float(np.median(k["mass"][s])),
                "median_j_mass": float(np.median(jet["j_mass"][s])),
                "median_j_mass_mmdt": float(np.median(jet["j_mass_mmdt"][s])),
                "median_tau21": float(np.median(t21[s])),
                "median_tau32": float(np.median(t32[s])),
            }
        )
    return rows


def generation_order(d: dict, n_first: int) -> np.ndarray:
    """Rows of the shipped file holding its first ``n_first`` jets in generation order (its shuffle undone)."""
    cfg = d["cfg"]
    n = len(d["label"])
    order = np.random.default_rng([int(cfg["seed"]), 0x5EED]).permutation(n)  # codesign.data.production.shuffle_order
    return np.argsort(order)[:n_first]


def subset(d: dict, rows: np.ndarray) -> dict:
    """The same dictionary restricted to some jets."""
    return {
        "jet": {k: v[rows] for k, v in d["jet"].items()},
        "raw": d["raw"][rows],
        "c": {k: v[rows] for k, v in d["c"].items()},
        "label": d["label"][rows],
        "cfg": d["cfg"],
    }


def full_check(shipped: dict, full: dict) -> dict[str, object]:
    """The fully stored regeneration: its first 32 rows against the shipped ones, and its sums against its jets."""
    n = len(full["label"])
    full = subset(full, generation_order(full, n))
    ship = subset(shipped, generation_order(shipped, n))
    names = list(ship["c"])
    first = np.stack([full["c"][k][:, :32] for k in names], axis=2).astype(np.float16)
    same_rows = np.all(first == ship["raw"], axis=(1, 2))
    same_jets = np.all(
        np.isclose(
            np.stack([full["jet"][k] for k in ("j_pt", "j_eta", "j_mass")], 1),
            np.stack([ship["jet"][k] for k in ("j_pt", "j_eta", "j_mass")], 1),
            rtol=1e-6,
        ),
        1,
    )
    # the 4-vector sum of every stored constituent (px, py, pz, E in GeV as generated) against the jet columns
    c = full["c"]
    psum = np.stack([c[f"j1_{k}"].sum(axis=1) for k in ("px", "py", "pz", "e")], axis=1)
    k = kinematics(psum)
    jet = full["jet"]
    return {
        "jets": n,
        "same_jets_as_shipped": float(same_rows.mean()),
        "same_jet_columns": float(same_jets.mean()),
        "multiplicity_over_150": int(np.sum(jet["j_multiplicity"] > 150)),
        "all_pt_rel_err_max": float(np.abs(k["pt"] / jet["j_pt"] - 1).max()),
        "all_mass_rel_err_max": float(np.abs(k["mass"] / jet["j_mass"] - 1).max()),
        "per_class_all_rebuilt_from_ratios": per_class(full, None),
        "per_class_32_rebuilt_from_ratios": per_class(full, 32),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--full", help="the same jets regenerated with every constituent stored")
    args = ap.parse_args()
    d = read(args.file)
    print(json.dumps({"conventions": conventions(d)}, indent=1))
    for n in (8, 16, 32):
        print(f"\nrebuilt from the {n} stored leading constituents (float16 ratios):")
        for r in per_class(d, n):
            print(json.dumps(r))
    if args.full:
        out = full_check(d, read(args.full))
        for key in ("per_class_all_rebuilt_from_ratios", "per_class_32_rebuilt_from_ratios"):
            print(f"\n{key} ({args.full}):")
            for r in out.pop(key):
                print(json.dumps(r))
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
