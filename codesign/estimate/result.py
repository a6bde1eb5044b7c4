"""Frozen results of the estimator: one per layer, one for the whole design."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESOURCE_FIELDS = ("lut", "ff", "dsp", "bram_18k")


@dataclass(frozen=True)
class LayerEstimate:
    """Latency, II and resources of one layer; all None with a ``declined`` reason when not estimated."""

    name: str
    kind: str
    latency_cycles: int | None
    ii_cycles: int | None
    lut: int | None
    ff: int | None
    dsp: int | None
    bram_18k: int | None
    declined: str | None = None
    #: the layer's config struct in parameters.h (``config2``): how C-synthesis names the layer's module
    config: str | None = None
    #: the layer's function is not itself pipelined (a loop inside it is): it takes its next input only once
    #: it has finished, so its II is its latency, and a DATAFLOW region adds a handshake cycle to it
    #: (:func:`codesign.estimate.network.dataflow_interval`)
    sequential: bool = False
    #: io_stream: cycles from a process's first input to its first output where that is not latency - II (a
    #: sequential layer whose loop streams pixels through: the loop's iteration depth); None: latency - II
    fill_cycles: int | None = None
    #: io_parallel, a 0-cycle (combinational) layer: the delays (ns) of the operations on its critical path, which a
    #: pipelined top chains with its combinational neighbours' (:func:`codesign.estimate.network.chained_run_cycles`)
    chain_ns: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "name": self.name,
            "config": self.config,
            "kind": self.kind,
            "latency_cycles": self.latency_cycles,
            "ii_cycles": self.ii_cycles,
            "lut": self.lut,
            "ff": self.ff,
            "dsp": self.dsp,
            "bram_18k": self.bram_18k,
            "declined": self.declined,
        }


    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LayerEstimate:
        """Read back :meth:`to_dict` (a report.json's ``estimate.per_layer`` entry)."""
        return cls(d["name"], d["kind"], d.get("latency_cycles"), d.get("ii_cycles"), d.get("lut"), d.get("ff"),
                   d.get("dsp"), d.get("bram_18k"), d.get("declined"), d.get("config"))  # fmt: skip


def declined(name: str, kind: str, reason: str) -> LayerEstimate:
    """A layer the estimator does not know: every figure unknown, with the reason."""
    return LayerEstimate(name, kind, None, None, None, None, None, None, reason)


@dataclass(frozen=True)
class Estimate:
    """Whole-design estimate: totals (None where any layer was declined) and the per-layer breakdown."""

    latency_cycles: int | None
    latency_ns: float | None
    ii_cycles: int | None
    lut: int | None
    ff: int | None
    dsp: int | None
    bram_18k: int | None
    uram: int | None
    per_layer: tuple[LayerEstimate, ...]
    source: str
    #: per figure (``latency_cycles``, ``latency_ns``, ``ii_cycles``, ``lut``, ``ff``, ``dsp``, ``bram_18k``): the
    #: 16th-84th percentile interval of the held-out residuals (codesign.estimate.uncertainty), None where the
    #: figure is unknown or no band describes the design
    interval: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    #: which population's band the interval comes from (``io_parallel latency``, ``io_stream`` ...)
    interval_basis: str | None = None
    #: io_parallel PIPELINE: the layer calls on the longest path through the top's call graph, whose latencies and
    #: registers make ``latency_cycles`` (estimate.call_graph); the others run beside it. Empty elsewhere.
    latency_path: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form with exactly the dataclass fields."""
        return {
            "latency_cycles": self.latency_cycles,
            "latency_ns": self.latency_ns,
            "ii_cycles": self.ii_cycles,
            "lut": self.lut,
            "ff": self.ff,
            "dsp": self.dsp,
            "bram_18k": self.bram_18k,
            "uram": self.uram,
            "per_layer": [x.to_dict() for x in self.per_layer],
            "source": self.source,
            "interval": {k: (list(v) if v is not None else None) for k, v in self.interval.items()},
            "interval_basis": self.interval_basis,
            "latency_path": list(self.latency_path),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Estimate:
        """Read back :meth:`to_dict` (a report.json's ``estimate``)."""
        return cls(
            d.get("latency_cycles"), d.get("latency_ns"), d.get("ii_cycles"), d.get("lut"), d.get("ff"),
            d.get("dsp"), d.get("bram_18k"), d.get("uram"),
            tuple(LayerEstimate.from_dict(x) for x in d.get("per_layer") or ()), d.get("source", ""),
            {k: (tuple(v) if v is not None else None) for k, v in (d.get("interval") or {}).items()},
            d.get("interval_basis"), tuple(d.get("latency_path") or ()),
        )  # fmt: skip

    @property
    def declined(self) -> tuple[str, ...]:
        """Reasons of the declined layers."""
        return tuple(f"{x.name}: {x.declined}" for x in self.per_layer if x.declined)
