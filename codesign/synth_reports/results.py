"""The frozen results of the report parsers: a C-synthesis report, its modules, Vivado utilisation, a project's set."""

from __future__ import annotations

from dataclasses import dataclass, field

from codesign.synth_reports.cells import _float

#: Vivado HLS / Vitis HLS releases whose reports are under ../shared/calibration/raw (the test parses them all).
CHECKED_VERSIONS = (2016.4, 2024.2)


@dataclass(frozen=True)
class ModuleFigures:
    """Latency, interval and resources of one sub-module (an hls4ml layer function) inside a report."""

    instance: str
    module: str
    latency_min: int | None = None
    latency_max: int | None = None
    interval_min: int | None = None
    interval_max: int | None = None
    pipeline_type: str | None = None
    BRAM_18K: int | None = None
    DSP: int | None = None
    FF: int | None = None
    LUT: int | None = None
    URAM: int | None = None


@dataclass(frozen=True)
class CsynthReport:
    """The figures of one C-synthesis report (top or one module)."""

    path: str
    format: str
    tool: str | None
    tool_version: str | None
    top: str | None
    part: str | None
    target_clock_ns: float | None
    estimated_clock_ns: float | None
    clock_uncertainty_ns: float | None
    latency_min: int | None
    latency_max: int | None
    interval_min: int | None
    interval_max: int | None
    pipeline_type: str | None
    BRAM_18K: int | None
    DSP: int | None
    FF: int | None
    LUT: int | None
    URAM: int | None
    available: dict[str, int] = field(default_factory=dict)
    modules: tuple[ModuleFigures, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """Warnings about the report: a tool version the parser was not checked on, figures it lacks."""
        out = []
        year = _float(self.tool_version) if self.tool_version else None
        if year is None or not CHECKED_VERSIONS[0] <= year <= CHECKED_VERSIONS[1]:
            out.append(
                f"{self.tool or 'HLS tool'} version {self.tool_version or 'unknown'} is outside the versions this "
                f"parser was checked on ({CHECKED_VERSIONS[0]:g}-{CHECKED_VERSIONS[1]:g}); check the figures"
            )
        missing = [k for k in ("latency_max", "interval_max", "LUT", "FF", "DSP") if getattr(self, k) is None]
        if missing:
            out.append(f"not reported: {', '.join(missing)}")
        return tuple(out)

    def to_dict(self) -> dict:
        """Plain-JSON form (modules included)."""
        out = {
            k: getattr(self, k)
            for k in (
                "path",
                "format",
                "tool",
                "tool_version",
                "top",
                "part",
                "target_clock_ns",
                "estimated_clock_ns",
                "clock_uncertainty_ns",
                "latency_min",
                "latency_max",
                "interval_min",
                "interval_max",
                "pipeline_type",
                "BRAM_18K",
                "DSP",
                "FF",
                "LUT",
                "URAM",
            )
        }
        out["available"] = dict(self.available)
        out["modules"] = [m.__dict__.copy() for m in self.modules]
        out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True)
class VivadoUtilization:
    """Post-synthesis utilisation from Vivado ``report_utilization``."""

    path: str
    tool_version: str | None
    device: str | None
    LUT: int | None
    FF: int | None
    DSP: int | None
    BRAM_tile: float | None
    URAM: int | None
    available: dict[str, float] = field(default_factory=dict)

    @property
    def BRAM_18K(self) -> int | None:
        """Block RAM in 18 Kb units (one 36 Kb tile = two)."""
        return None if self.BRAM_tile is None else int(round(self.BRAM_tile * 2))

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "path": self.path,
            "tool_version": self.tool_version,
            "device": self.device,
            "LUT": self.LUT,
            "FF": self.FF,
            "DSP": self.DSP,
            "BRAM_tile": self.BRAM_tile,
            "BRAM_18K": self.BRAM_18K,
            "URAM": self.URAM,
            "available": dict(self.available),
        }


@dataclass(frozen=True)
class ProjectReports:
    """The reports found in an hls4ml project directory."""

    csynth: CsynthReport | None
    layers: tuple[CsynthReport, ...]
    vivado_synth: VivadoUtilization | None
