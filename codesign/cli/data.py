"""``codesign data jets | l1 | info``: generate the jet and L1 data sets, and describe a data file."""

from __future__ import annotations

from pathlib import Path

import click

from codesign.cli.once import OnceGroup
from codesign.data import layouts as L
from codesign.durable import check_output_file

_FEATURES_HELP = "comma-separated constituent features to store (public names), or 'all'"


def _command_line(name: str, options: list[tuple[str, object]]) -> str:
    """The canonical command line that regenerates a file (options that change its content only)."""
    parts = ["codesign", "data", name]
    for flag, value in options:
        if value is None or value is False:
            continue
        parts.append(flag if value is True else f"{flag} {value}")
    return " ".join(parts)


def _features(text: str) -> tuple[str, ...]:
    """Parse --features: 'all', 'none' or a comma-separated list of public constituent feature names."""
    if text.strip().lower() == "all":
        return L.PARTICLE_FEATURE_NAMES
    if text.strip().lower() == "none":
        return ()
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    if not names:  # an empty shell variable: 'none' is how no constituent list is asked for
        raise click.BadParameter(f"{text!r} names no feature; accepted: all, none, or names among "
                                 f"{', '.join(L.PARTICLE_FEATURE_NAMES)}", param_hint="--features")  # fmt: skip
    unknown = [f for f in names if f not in L.PARTICLE_FEATURE_NAMES]
    if unknown:
        raise click.BadParameter(
            f"unknown {unknown}; accepted: all, none, {', '.join(L.PARTICLE_FEATURE_NAMES)}", param_hint="--features"
        )
    return names


def _given(*names: str) -> list[str]:
    """The options among ``names`` that the user set on the command line (not left at their default), as flags."""
    ctx = click.get_current_context()
    return [f"--{n.replace('_', '-')}" for n in names
            if ctx.get_parameter_source(n) is not click.core.ParameterSource.DEFAULT]  # fmt: skip


def _resume_or_force(resume: bool, force: bool) -> None:
    """Refuse --resume with --force: one keeps an interrupted run's chunks, the other restarts it (resume won, and
    the existing output was then replaced without the restart --force asks for)."""
    if resume and force:
        raise click.BadParameter("--resume keeps the finished chunks of an interrupted run and --force restarts it; "
                                 "accepted: one of the two", param_hint="--resume --force")  # fmt: skip


@click.group("data", cls=OnceGroup)
def data_group() -> None:
    """Generate jets and L1 events with Pythia8 + FastJet, and inspect data files."""


@data_group.command("jets")
@click.option("--n", "n", type=click.IntRange(min=1), required=True, help="number of jets, split evenly over the classes")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="output HDF5 file")
@click.option("--seed", type=int, default=1, show_default=True, help="seed: same seed and arguments, same arrays")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="worker processes (does not change the output)")
@click.option("--pt-min", type=float, default=800.0, show_default=True, help="jet pT window lower edge [GeV]")
@click.option("--pt-max", type=float, default=1200.0, show_default=True, help="jet pT window upper edge [GeV]")
@click.option("--constituents", type=int, default=150, show_default=True, help="constituents stored per jet (pT-ordered)")
@click.option("--features", default="all", show_default=True, help=_FEATURES_HELP)
@click.option("--dtype", type=click.Choice(["float16", "float32"]), default="float32", show_default=True,
              help="storage type of the constituent list")
@click.option("--jet-features", type=click.Choice(["all", "hlf"]), default="all", show_default=True,
              help="columns of the jets table: all, or hlf (pT, eta, mass, the 16 HLF, labels; no N-subjettiness)")
@click.option("--classes", default="g,q,w,z,t", show_default=True, help="comma-separated subset of g,q,w,z,t")
@click.option("--boson-process", type=click.Choice(["scalar", "wprime", "vjet"]), default="scalar", show_default=True,
              help="W/Z production: heavy scalar -> WW/ZZ, W' -> WZ (longitudinal bosons), or qqbar->Vg/qg->Vq (old)")
@click.option("--parton-pt", type=float, default=None,
              help="generate partons/bosons at this pT (pT-hat and resonance mass / 2 within 1 %) [GeV]; "
              "the jet pT window is then a cut (default: pT-hat window 0.9 pt-min .. 1.1 pt-max)")
@click.option("--boson-decays", type=click.Choice(["udscb", "udsc"]), default="udscb", show_default=True,
              help="quark flavours the W and Z of the w/z classes decay to (udsc: no Z -> b bbar, whose "
              "semileptonic b decays lose neutrinos and pull the Z mass into the W peak)")
@click.option("--boson-width", type=click.Choice(["natural", "zero"]), default="natural", show_default=True,
              help="W/Z line shape: Breit-Wigner, or every boson at its pole mass (as the public set's on-shell "
              "MadGraph bosons)")
@click.option("--constituents-from", type=click.Choice(["particles", "towers"]), default="particles", show_default=True,
              help="what jets are clustered from and made of: generator-level visible particles, or tracks "
              "(charged, pT > 0.1 GeV, |eta| < 2.5) and calorimeter towers (Delphes CMS-card cells and thresholds)")
@click.option("--resume", is_flag=True, help="continue an interrupted run, keeping its finished chunks")
@click.option("--force", is_flag=True, help="overwrite an existing output")
@click.option("--quiet", is_flag=True, help="no progress bar")
def jets_command(
    n: int, out: Path, seed: int, workers: int, pt_min: float, pt_max: float, constituents: int, features: str,
    dtype: str, jet_features: str, classes: str, boson_process: str, parton_pt: float | None, boson_decays: str,
    boson_width: str, constituents_from: str, resume: bool, force: bool, quiet: bool,
) -> None:
    """Generate labelled jets (g, q, W, Z, t), one per Pythia event, in the public hls4ml layout."""
    from codesign.data.production import jet_config_from_options, produce_jets

    _resume_or_force(resume, force)
    feats = _features(features)
    class_list = tuple(c.strip() for c in classes.split(",") if c.strip())
    given = _given("boson_process", "boson_decays", "boson_width")
    if given and not {"w", "z"} & set(class_list):  # these options shape only the W and Z jets: refused, not dropped
        raise click.BadParameter(f"{' '.join(given)}: only the W and Z jets use it, and --classes {classes} has "
                                 "neither; accepted: --classes with w or z, or leave it out", param_hint=given[0])  # fmt: skip
    if _given("dtype") and not feats:  # --features none stores no constituent list: nothing to type
        raise click.BadParameter("sets the stored constituent list's type, and --features none stores none; "
                                 "accepted: --features with constituent features, or leave it out",
                                 param_hint="--dtype")  # fmt: skip
    command = _command_line(
        "jets",
        [("--n", n), ("--out", out), ("--seed", seed), ("--pt-min", f"{pt_min:g}"), ("--pt-max", f"{pt_max:g}"),
         ("--constituents", constituents), ("--features", features), ("--dtype", dtype),
         ("--jet-features", None if jet_features == "all" else jet_features), ("--classes", classes),
         ("--boson-process", boson_process), ("--parton-pt", None if parton_pt is None else f"{parton_pt:g}"),
         ("--boson-decays", None if boson_decays == "udscb" else boson_decays),
         ("--boson-width", None if boson_width == "natural" else boson_width),
         ("--constituents-from", None if constituents_from == "particles" else constituents_from)],
    )
    config = jet_config_from_options(pt_min, pt_max, constituents, boson_process, parton_pt, boson_decays,
                                     boson_width, constituents_from)
    columns = L.JET_COLUMNS if jet_features == "all" else L.HLF_JET_COLUMNS
    check_output_file(out)  # before any event is generated
    path = produce_jets(
        out, n, seed, config, workers, feats, dtype, class_list, resume, force, command, not quiet,
        jet_columns=columns,
    )
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@data_group.command("l1")
@click.option("--n", "n", type=click.IntRange(min=1), required=True, help="triggered events per process")
@click.option("--n-signal", type=click.IntRange(min=1), default=None, help="events per signal process when several are listed (default --n)")
@click.option("--n-process", "n_process", multiple=True, metavar="NAME=N",
              help="events for one listed process, overriding --n / --n-signal (repeatable)")
@click.option("--process", "process", default="background", show_default=True,
              help=f"comma-separated processes, or 'all': {', '.join(L.L1_PROCESSES)}")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="output HDF5 file")
@click.option("--seed", type=int, default=1, show_default=True, help="seed: same seed and arguments, same arrays")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="worker processes (does not change the output)")
@click.option("--dtype", type=click.Choice(["float16", "float32"]), default="float32", show_default=True,
              help="storage type of Particles")
@click.option("--with-qcd", is_flag=True,
              help="include QCD b-bbar (forced semileptonic, weighted) in the background at the ADC2021 weight fraction")
@click.option("--n-qcd", type=click.IntRange(min=1), default=None,
              help="QCD events among the --n background events (default its fraction, 33.8 %); weights keep 33.8 %")
@click.option("--qcd-rehadronize", type=click.IntRange(min=1), default=10, show_default=True,
              help="hadronisations of each QCD parton-level event (each weighted 1/N)")
@click.option("--pileup", type=click.FloatRange(min=0.0, max=1000.0), default=0.0, show_default=True,
              help="mean number of minimum-bias interactions overlaid on each event (Poisson; 0: none)")
@click.option("--pileup-pool", type=click.IntRange(min=1), default=1000, show_default=True,
              help="minimum-bias events generated per chunk of 250 events and drawn from with replacement")
@click.option("--pileup-mitigation", type=click.Choice(["none", "chs", "chs-area"]), default="none", show_default=True,
              help="with --pileup: none; chs (charged pileup inside |eta| < 2.5 removed, perfect vertexing); "
                   "chs-area (chs, then rho x area subtraction of the jets and isolation sums)")
@click.option("--reuse", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="take the events of every sub-process whose count is unchanged from this earlier file (same seed "
                   "and detector settings), and the first chunks of a non-QCD one that grows, instead of generating "
                   "them; the output is the same")
@click.option("--resume", is_flag=True, help="continue an interrupted run, keeping its finished chunks")
@click.option("--force", is_flag=True, help="overwrite an existing output")
@click.option("--quiet", is_flag=True, help="no progress bar")
def l1_command(
    n: int, n_signal: int | None, n_process: tuple[str, ...], process: str, out: Path, seed: int, workers: int,
    dtype: str, with_qcd: bool, n_qcd: int | None, qcd_rehadronize: int, pileup: float, pileup_pool: int,
    pileup_mitigation: str, reuse: Path | None, resume: bool, force: bool, quiet: bool,
) -> None:
    """Generate single-lepton-triggered L1 events (19 objects x pT, eta, phi, type) in the ADC2021 layout."""
    from codesign.data.l1 import L1Config
    from codesign.data.production import produce_l1

    _resume_or_force(resume, force)
    names = L.L1_PROCESSES if process.strip() == "all" else tuple(p.strip() for p in process.split(",") if p.strip())
    bad = [p for p in names if p not in L.L1_PROCESSES]
    if bad or not names:
        raise click.BadParameter(f"unknown {bad}; accepted: all, {', '.join(L.L1_PROCESSES)}", param_hint="--process")
    if n_signal is not None and all(p == L.BACKGROUND for p in names):
        raise click.BadParameter(f"{n_signal}: sets the events of signal processes, and --process {process} lists "
                                 f"none; accepted: --process with a signal ({', '.join(L.L1_PROCESSES[1:])}), or "
                                 "leave --n-signal out", param_hint="--n-signal")  # fmt: skip
    per_process = {p: (n if p == L.BACKGROUND or n_signal is None else n_signal) for p in names}
    given_for: dict[str, str] = {}
    for item in n_process:
        name, _, count = item.partition("=")
        if name not in names or not count.strip().isdigit() or int(count) < 1:
            raise click.BadParameter(f"{item!r}: expected NAME=N with N >= 1 and NAME one of {', '.join(names)}",
                                     param_hint="--n-process")
        if name in given_for:  # the last one was kept without a word
            raise click.BadParameter(f"{given_for[name]!r} and {item!r} both set {name}; accepted: one --n-process "
                                     "per process", param_hint="--n-process")  # fmt: skip
        given_for[name] = item
        per_process[name] = int(count)
    command = _command_line(
        "l1",
        [("--n", n), ("--n-signal", n_signal), *[("--n-process", item) for item in n_process], ("--process", process),
         ("--out", out), ("--seed", seed),
         ("--dtype", dtype), ("--with-qcd", with_qcd), ("--n-qcd", n_qcd),
         ("--qcd-rehadronize", qcd_rehadronize if with_qcd else None), ("--pileup", pileup or None),
         ("--pileup-pool", pileup_pool if pileup else None),
         ("--pileup-mitigation", None if pileup_mitigation == "none" else pileup_mitigation)],
    )
    given = _given("n_qcd", "qcd_rehadronize")
    if given and not with_qcd:
        raise click.BadParameter(f"{' '.join(given)}: set the QCD part of the background, which needs --with-qcd",
                                 param_hint=given[0])  # fmt: skip
    if _given("pileup_pool") and not pileup:
        raise click.BadParameter("--pileup-pool needs --pileup above 0", param_hint="--pileup-pool")
    if pileup_mitigation != "none" and not pileup:
        raise click.BadParameter(f"{pileup_mitigation!r} needs --pileup above 0 (there is no pileup to mitigate)",
                                 param_hint="--pileup-mitigation")
    if pileup != pileup:  # NaN passes click's range; it was refused only once the generation had started
        raise click.BadParameter("nan: accepted: a mean number of interactions from 0 to 1000", param_hint="--pileup")
    config = L1Config(include_qcd=with_qcd, qcd_rehadronize=qcd_rehadronize, pileup=pileup, pileup_pool=pileup_pool,
                      pileup_mitigation=pileup_mitigation)
    check_output_file(out)  # before any event is generated
    path = produce_l1(out, n, names, seed, config, workers, per_process, dtype, resume, force, command, not quiet,
                      n_qcd=n_qcd, reuse=reuse)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@data_group.command("info")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
def info_command(path: Path, as_json: bool) -> None:
    """Describe a jets or L1 file: keys, the command that made it, and what is inside per class."""
    import json

    from codesign.data.summary import summarize

    summary = summarize(path)
    if as_json:
        from codesign.report import jsonable

        # NaN/Inf (an empty class's mean, say) are not JSON: they are written as null
        click.echo(json.dumps(jsonable(summary), indent=1, default=str, allow_nan=False))
        return
    click.echo(f"{path}: {summary['kind']} file, {summary['n']} entries")
    for key, meta in summary["keys"].items():
        click.echo(f"  {key:22s} {meta['shape']} {meta['dtype']}")
    command = summary["attrs"].get(L.ATTR_COMMAND)
    if command:
        click.echo(f"  made by: {command}")
    if summary["kind"] == "jets":
        click.echo(f"  {'class':6s} {'n':>7s} {'frac':>6s} {'mMDT peak':>10s} {'width':>6s} {'<mult>':>7s} {'<D2 b1>':>8s}")
        for name, c in summary["per_class"].items():
            means = c["hlf_mean"]
            click.echo(
                f"  {name:6s} {c['n']:7d} {c['fraction']:6.3f} {c['mass_mmdt_peak']:10.1f} {c['mass_mmdt_width']:6.1f} "
                f"{means.get('j_multiplicity', float('nan')):7.1f} {means.get('j_d2_b1_mmdt', float('nan')):8.3f}"
            )
    else:
        click.echo(f"  {'process':10s} {'n':>7s} {'<e>':>5s} {'<mu>':>5s} {'<jets>':>6s} {'<MET>':>6s}  mixture")
        for name, p in summary["per_process"].items():
            weighted = p.get("weight_mixture", {})
            mix = ", ".join(
                f"{k} {v:.3f}" + (f" (weight {weighted[k]:.3f})" if k in weighted else "") for k, v in p.get("mixture", {}).items()
            )
            click.echo(
                f"  {name:10s} {p['n']:7d} {p['electrons']:5.2f} {p['muons']:5.2f} {p['jets']:6.2f} {p['met_mean']:6.1f}  {mix}"
            )


def register(main: click.Group) -> None:
    """Add the ``data`` command group to the codesign CLI."""
    main.add_command(data_group)
