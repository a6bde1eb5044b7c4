"""FPGA part table: resource totals, DSP family and SLR count of the devices codesign targets.

Sources of the numbers (each row says which):

- ``report``: the ``available`` totals that Vivado HLS / Vitis HLS print in the utilisation section of the
  ``*_csynth.rpt`` reports under ``../shared/calibration/raw/`` (record parts listed in the row comment).
  The per-SLR totals printed by the same reports give ``slr`` (device total / per-SLR total).
- ``ds``: Xilinx/AMD product tables: DS890 (UltraScale architecture overview, UltraScale+ VU/KU and
  Zynq UltraScale+ tables), DS962 / DS963 / DS965 (Alveo U200/U250, U50, U280 data sheets), DS180
  (7-series overview). BRAM_18K is twice the number of 36 Kb block RAMs.

The DSP slice family follows the architecture: 7-series has DSP48E1 (25x18 signed multiplier),
UltraScale and UltraScale+ have DSP48E2 (27x18).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codesign.errors import SpecError


@dataclass(frozen=True)
class Part:
    """One FPGA device: its resource totals and DSP slice family."""

    name: str
    full_name: str
    family: str
    dsp_family: str
    lut: int
    ff: int
    dsp: int
    bram_18k: int
    uram: int
    slr: int = 1

    def total(self, resource: str) -> int:
        """Device total of ``resource`` (lut, ff, dsp, bram_18k, uram; case-insensitive)."""
        key = resource.lower()
        if key not in RESOURCES:
            raise SpecError(f"unknown resource '{resource}' (accepted: {', '.join(RESOURCES)})")
        return int(getattr(self, key))

    def to_dict(self) -> dict:
        """Plain-JSON form of the part."""
        return {
            "name": self.name,
            "full_name": self.full_name,
            "family": self.family,
            "dsp_family": self.dsp_family,
            "lut": self.lut,
            "ff": self.ff,
            "dsp": self.dsp,
            "bram_18k": self.bram_18k,
            "uram": self.uram,
            "slr": self.slr,
        }


RESOURCES = ("lut", "ff", "dsp", "bram_18k", "uram")

_E1, _E2 = "DSP48E1", "DSP48E2"
_USP, _US, _ZUSP, _S7 = "virtexuplus", "kintexu", "zynquplus", "7series"
#: the 7-series family by the letter after ``xc7``, as the HLS reports name it ("Product family")
_SERIES7_FAMILY = {"v": "virtex7", "k": "kintex7", "a": "artix7", "z": "zynq", "s": "spartan7"}

# name, full part string, family, dsp family, LUT, FF, DSP, BRAM_18K, URAM, SLR
_TABLE: tuple[Part, ...] = (
    # report: xcvu9p-flgb2104-2-i (per-SLR totals: 3 SLRs); ds: DS890
    Part("xcvu9p", "xcvu9p-flga2104-2L-e", _USP, _E2, 1182240, 2364480, 6840, 4320, 960, 3),
    # ds: DS890 (VU11P)
    Part("xcvu11p", "xcvu11p-flga2577-1-e", _USP, _E2, 1296000, 2592000, 9216, 4032, 960, 3),
    # report: xcvu13p-flga2577-2-e (4 SLRs)
    Part("xcvu13p", "xcvu13p-flga2577-2-e", _USP, _E2, 1728000, 3456000, 12288, 5376, 1280, 4),
    # report: xcku15p-ffve1517-1-i
    Part("xcku15p", "xcku15p-ffve1517-2-e", "kintexuplus", _E2, 522720, 1045440, 1968, 1968, 128, 1),
    # report: xcku5p-ffvb676-2-e
    Part("xcku5p", "xcku5p-ffvb676-2-e", "kintexuplus", _E2, 216960, 433920, 1824, 960, 64, 1),
    # report: xcku115-flvb2104-2-i and xcku115-flva1517-2-e (2 SLRs)
    Part("xcku115", "xcku115-flvb2104-2-e", _US, _E2, 663360, 1326720, 5520, 4320, 0, 2),
    # report: xcu250-figd2104-2L-e (4 SLRs)
    Part("xcu250", "xcu250-figd2104-2L-e", "alveo", _E2, 1728000, 3456000, 12288, 5376, 1280, 4),
    # ds: DS962 (U200 is a VU9P: same totals as xcvu9p)
    Part("xcu200", "xcu200-fsgd2104-2-e", "alveo", _E2, 1182240, 2364480, 6840, 4320, 960, 3),
    # report: xcu50-fsvh2104-2L-e (2 SLRs)
    Part("xcu50", "xcu50-fsvh2104-2L-e", "alveo", _E2, 871680, 1743360, 5952, 2688, 640, 2),
    # ds: DS963 (U280); same silicon totals as the U55C below
    Part("xcu280", "xcu280-fsvh2892-2L-e", "alveo", _E2, 1303680, 2607360, 9024, 4032, 960, 3),
    # report: xcu55c-fsvh2892-2L-e (3 SLRs)
    Part("xcu55c", "xcu55c-fsvh2892-2L-e", "alveo", _E2, 1303680, 2607360, 9024, 4032, 960, 3),
    # report: xczu9eg-ffvb1156-2-e (ZCU102)
    Part("xczu9eg", "xczu9eg-ffvb1156-2-e", _ZUSP, _E2, 274080, 548160, 2520, 1824, 0, 1),
    # report: xczu7ev-ffvc1156-2-e
    Part("xczu7ev", "xczu7ev-ffvc1156-2-e", _ZUSP, _E2, 230400, 460800, 1728, 624, 96, 1),
    # report: xczu5ev-sfvc784-2LV-e
    Part("xczu5ev", "xczu5ev-sfvc784-2LV-e", _ZUSP, _E2, 117120, 234240, 1248, 288, 64, 1),
    # report: xczu49dr-ffvf1760-2-e
    Part("xczu49dr", "xczu49dr-ffvf1760-2-e", "zynquplusRFSOC", _E2, 425280, 850560, 4272, 2160, 80, 1),
    # report: xc7vx690t-ffg1761-2 and xc7vx690tffg1927-2
    Part("xc7vx690t", "xc7vx690t-ffg1761-2", "virtex7", _E1, 433200, 866400, 3600, 2940, 0, 1),
    # report: xc7vx485tffg1761-2 (freaksie/ML-on-Chip)
    Part("xc7vx485t", "xc7vx485t-ffg1761-2", "virtex7", _E1, 303600, 607200, 2800, 2060, 0, 1),
    # report: xc7z020-clg400-1 (PYNQ-Z2)
    Part("xc7z020", "xc7z020-clg400-1", "zynq", _E1, 53200, 106400, 220, 280, 0, 1),
    # report: xc7z007s-clg225-2
    Part("xc7z007s", "xc7z007s-clg225-2", "zynq", _E1, 14400, 28800, 66, 100, 0, 1),
    # report: xc7a200tl-ffg1156-2L
    Part("xc7a200t", "xc7a200tl-ffg1156-2L", "artix7", _E1, 134600, 269200, 740, 730, 0, 1),
    # ds only (DS180 / DS890 product tables; no calibration report to cross-check):
    Part("xcvu7p", "xcvu7p-flvb2104-2-e", _USP, _E2, 788160, 1576320, 4560, 2880, 640, 2),
    Part("xcvu37p", "xcvu37p-fsvh2892-2L-e", _USP, _E2, 1303680, 2607360, 9024, 4032, 960, 3),
    Part("xcku040", "xcku040-ffva1156-2-e", _US, _E2, 242400, 484800, 1920, 1200, 0, 1),
    Part("xczu3eg", "xczu3eg-sbva484-1-e", _ZUSP, _E2, 70560, 141120, 360, 432, 0, 1),
    Part("xc7z010", "xc7z010-clg400-1", "zynq", _E1, 17600, 35200, 80, 120, 0, 1),
    Part("xc7z045", "xc7z045-ffg900-2", "zynq", _E1, 218600, 437200, 900, 1090, 0, 1),
    Part("xc7a100t", "xc7a100t-csg324-1", "artix7", _E1, 63400, 126800, 240, 270, 0, 1),
    Part("xc7k325t", "xc7k325t-ffg900-2", "kintex7", _E1, 203800, 407600, 840, 890, 0, 1),
)

PARTS: dict[str, Part] = {p.name: p for p in _TABLE}


def known_parts() -> tuple[str, ...]:
    """Short names of every part in the table."""
    return tuple(PARTS)


# What may follow a known device in a full Xilinx/AMD part string: an optional device letter (``xc7a200tl``),
# the package and pin count (``-flga2104``; 7-series report names may omit the dash), the speed grade with
# its voltage letters (``-2``, ``-2L``, ``-2LV``), the temperature grade (``-e``, ``-i``, ``-q``, ``-m``) and an
# engineering-sample suffix (``-es1``); older hls4ml configs put the speed grade first (``xc7vx690t-3ffg1930``).
# Anything else is refused rather than written into the tcl.
PART_SUFFIX = re.compile(
    r"^[a-z]?(-?[a-z]{2,5}\d{3,4}-\d[a-z]{0,3}|-\d[a-z]{2,6}\d{3,4})(-[eiqm])?(-es\d)?$", re.IGNORECASE
)
PART_PATTERN_DOC = "<device>-<package><pins>-<speed>[L|LV][-<temperature>], e.g. xcvu9p-flga2104-2L-e (or <device>-<speed><package><pins>)"


_VOLTAGE = re.compile(r"(-\d)(lv|l)(?=-|$)")


def canonical_part_name(text: str) -> str:
    """A full part string in AMD's spelling, as the HLS tools list their parts: lower case except the speed
    grade's voltage letters (``XCVU9P-FLGA2104-2l-E`` -> ``xcvu9p-flga2104-2L-e``)."""
    return _VOLTAGE.sub(lambda m: m.group(1) + m.group(2).upper(), text.strip().lower())


def resolve_part(text: str) -> Part:
    """Find a part by short name (``xcvu9p``) or full part string (``xcvu9p-flga2104-2L-e``, see PART_SUFFIX)."""
    if isinstance(text, Part):
        return text
    key = str(text).strip().lower()
    if key in PARTS:
        return PARTS[key]
    # The device is the prefix before the package; 'xc7vx690tffg1927-2' and 'xc7a200tl-...' omit the dash or
    # add a speed/voltage letter, so match the longest short name that prefixes the string.
    hits = [name for name in PARTS if key.startswith(name) and PART_SUFFIX.match(key[len(name):])]
    if hits:
        from codesign.safe_names import part_text

        best = max(hits, key=len)
        part = PARTS[best]
        return Part(
            part.name,
            canonical_part_name(part_text(text)),
            part.family,
            part.dsp_family,
            part.lut,
            part.ff,
            part.dsp,
            part.bram_18k,
            part.uram,
            part.slr,
        )
    raise SpecError(
        f"unknown FPGA part '{text}' (accepted: a known device {', '.join(PARTS)}, or its full part string "
        f"{PART_PATTERN_DOC})"
    )


def check_part_argument(part: object, default_from: str) -> None:
    """A ``part`` argument of the API (``codesign.build``, ``run_scan``): None (the ``default_from`` file's part) or a
    non-empty string, which :func:`resolve_part` then reads; SpecError otherwise (``--part ''`` used the file's part)."""
    if part is not None and (not isinstance(part, str) or not part.strip()):
        raise SpecError(f"--part {part!r}: not a part name (accepted: a known device such as xcvu9p, or its full part "
                        f"string such as xcvu9p-flga2104-2L-e; leave it out to use the {default_from}'s part)")  # fmt: skip


def part_from_totals(full_name: str, available: dict) -> Part:
    """A part outside the table, from the totals a C-synthesis report printed for it (``available``).

    The DSP family follows the device prefix: ``xc7`` parts are 7-series (DSP48E1), the UltraScale(+) names
    (``xcvu``, ``xcku``, ``xczu``, ``xcu``, ``xcau``) have DSP48E2. The family is named as the table names it
    (``xc7v`` virtex7, ``xc7z`` zynq, ``xczu`` zynquplus, ``xcu`` alveo ...), since the estimator keys some prices
    on it. Raises SpecError when the name or totals do not allow that.
    """
    name = str(full_name).strip().lower()
    keys = ("LUT", "FF", "DSP", "BRAM_18K")
    if not available or any(not isinstance(available.get(k), int) for k in keys):
        raise SpecError(
            f"unknown FPGA part '{full_name}' and no LUT/FF/DSP/BRAM_18K totals to describe it "
            f"(known: {', '.join(PARTS)})"
        )
    if name.startswith("xc7"):
        family, dsp = _SERIES7_FAMILY.get(name[3:4], _S7), _E1
    elif name.startswith(("xcvu", "xcku", "xczu", "xcu", "xcau", "xcve", "xcvc")):
        plus = "p" in name.split("-")[0][4:] or name.startswith(("xczu", "xcu", "xcau"))
        family, dsp = (_USP if plus else _US), _E2
        if name.startswith("xczu"):  # the HLS reports' product family: Zynq UltraScale+ (RFSoC: the 'dr' parts)
            family = "zynquplusRFSOC" if re.match(r"xczu\d+dr", name) else _ZUSP
        elif name.startswith("xcku") and plus:
            family = "kintexuplus"
        elif name.startswith("xcu"):
            family = "alveo"
    else:
        raise SpecError(f"unknown FPGA part '{full_name}': cannot tell its DSP family (known: {', '.join(PARTS)})")
    short = name.split("-")[0]
    return Part(
        short,
        str(full_name).strip(),
        family,
        dsp,
        int(available["LUT"]),
        int(available["FF"]),
        int(available["DSP"]),
        int(available["BRAM_18K"]),
        int(available.get("URAM") or 0),
        1,
    )
