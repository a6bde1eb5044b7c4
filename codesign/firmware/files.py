"""Facts read from an emitted project's ``firmware/`` folder: file hashes, weights, type definitions.

Two of them matter for a check that the firmware is what was built and what will be synthesized:

- the SHA-256 of every firmware source, recorded by the build (``<build>/.codesign/firmware.json``) right
  after hls4ml writes the project, so ``codesign check`` can say which files changed since;
- each ``weights/wN.h`` holds the values HLS synthesizes (its ``#else`` branch, under ``__SYNTHESIS__``),
  while every C-simulation (hls4ml's library, Vitis csim, codesign's testbench) loads ``weights/wN.txt``
  instead. An edit to one of the two is invisible to the other; :func:`synthesized_weights` writes the
  ``.h`` values as ``.txt`` files so that a C-simulation runs the weights that go into the FPGA.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from codesign.errors import SpecError
from codesign.precision import FixedPrecision

RECORD = Path(".codesign") / "firmware.json"
SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".txt")

# the values up to the closing '};' (quantized_po2 weights are nested {sign, exponent} pairs)
_H_INIT = re.compile(r"#else\s*\n[^=]*=\s*\{(?P<values>[^;]*?)\}\s*;", re.DOTALL)
# one quantized_po2 weight as hls4ml's ExponentWeightVariable writes it: {sign, log2|w|}, sign 1 for w >= 0, 0 for w < 0
PO2_PAIR = re.compile(r"\{\s*([^,{}]+?)\s*,\s*([^,{}]+?)\s*\}")
_TYPEDEF = re.compile(r"^\s*typedef\s+(?P<type>.+?)\s+(?P<name>\w+)\s*;", re.MULTILINE)


def firmware_digests(firmware_dir: Path) -> dict[str, str]:
    """SHA-256 of each firmware source under ``firmware_dir`` (ap_types and compiled objects left out)."""
    out = {}
    for f in sorted(Path(firmware_dir).rglob("*")):
        rel = f.relative_to(firmware_dir)
        if f.is_file() and f.suffix in SOURCE_SUFFIXES and "ap_types" not in rel.parts:
            out[rel.as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def record_firmware(build_dir: Path, firmware_dir: Path) -> Path:
    """Write the hashes of the firmware as the build emitted it (atomically)."""
    path = Path(build_dir) / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"firmware": str(firmware_dir), "sha256": firmware_digests(firmware_dir)}, indent=1))
    tmp.replace(path)
    return path


@dataclass(frozen=True)
class FirmwareChanges:
    """Which firmware files differ from what the build recorded (``recorded`` False: no record to compare)."""

    recorded: bool
    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        """True when some file was edited, added or removed since the build."""
        return bool(self.changed or self.added or self.removed)

    def describe(self) -> str:
        """One line a person reads."""
        if not self.recorded:
            return "the build recorded no firmware hashes (built before codesign check existed)"
        if not self.any:
            return "unchanged since the build"
        parts = [f"{label}: {', '.join(files)}" for label, files in
                 (("edited", self.changed), ("added", self.added), ("removed", self.removed)) if files]  # fmt: skip
        return "changed since the build (" + "; ".join(parts) + ")"


def firmware_changes(build_dir: Path, firmware_dir: Path) -> FirmwareChanges:
    """Compare the firmware's files now with the hashes the build recorded."""
    path = Path(build_dir) / RECORD
    try:
        old = json.loads(path.read_text())["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return FirmwareChanges(recorded=False)
    now = firmware_digests(firmware_dir)
    return FirmwareChanges(
        recorded=True,
        changed=tuple(sorted(f for f in now if f in old and now[f] != old[f])),
        added=tuple(sorted(f for f in now if f not in old)),
        removed=tuple(sorted(f for f in old if f not in now)),
    )


def _values(text: str) -> list[str]:
    if "{" in text:  # quantized_po2 weights: {sign, exponent} pairs (PO2_PAIR)
        return [f"{{{a}, {b}}}" for a, b in PO2_PAIR.findall(text)]
    return [t.strip() for t in text.replace("\n", " ").split(",") if t.strip()]


def po2_value(sign: str, exponent: str) -> float:
    """The weight of one {sign, exponent} pair (:data:`PO2_PAIR`): +-2**exponent."""
    return (1.0 if float(sign) else -1.0) * 2.0 ** int(exponent)


def _float(token: str) -> float:
    pair = PO2_PAIR.fullmatch(token)
    return float(token) if pair is None else po2_value(*pair.groups())


def _floats(tokens: list[str], where: Path) -> list[float]:
    try:
        return [_float(t) for t in tokens]
    except ValueError as exc:
        raise SpecError(
            f"{where}: a weight is not a number ({exc}); accepted: comma-separated decimals or {{sign, exponent}} pairs"
        ) from None


@dataclass(frozen=True)
class WeightsMismatch:
    """A weights array whose synthesized (.h) and C-simulated (.txt) values differ."""

    name: str
    index: int | None
    h_value: float | None
    txt_value: float | None
    note: str = ""

    def describe(self) -> str:
        """One line a person reads."""
        if self.index is None:
            return f"weights/{self.name}: {self.note}"
        return (f"weights/{self.name}.h and {self.name}.txt differ at index {self.index} (synthesized .h: "
                f"{self.h_value!r}, C-simulated .txt: {self.txt_value!r})")  # fmt: skip


def synthesized_weights(firmware_dir: Path, out_dir: Path) -> tuple[Path | None, tuple[WeightsMismatch, ...]]:
    """Compare every ``weights/*.h`` with its ``.txt``; when any differ, write the ``.h`` values as ``.txt``
    files into ``out_dir`` and return that folder (else None: the project's own ``.txt`` hold the same values)."""
    wdir = Path(firmware_dir) / "weights"
    mismatches: list[WeightsMismatch] = []
    arrays: dict[str, list[str]] = {}
    for h in sorted(wdir.glob("*.h")):
        m = _H_INIT.search(h.read_text(errors="replace"))
        if m is None:
            continue  # a header without a synthesis initializer (hls4ml writes one per array)
        tokens = _values(m.group("values"))
        arrays[h.stem] = tokens
        txt = h.with_suffix(".txt")
        if not txt.is_file():
            mismatches.append(WeightsMismatch(h.stem, None, None, None, f"{txt.name} is missing"))
            continue
        hv = _floats(tokens, h)
        tv = _floats(_values(txt.read_text(errors="replace").splitlines()[0] if txt.stat().st_size else ""), txt)
        if len(hv) != len(tv):
            mismatches.append(WeightsMismatch(h.stem, None, None, None,
                                              f"{len(hv)} values in the .h, {len(tv)} in the .txt"))  # fmt: skip
            continue
        for i, (a, b) in enumerate(zip(hv, tv, strict=True)):
            if a != b:
                mismatches.append(WeightsMismatch(h.stem, i, a, b))
                break
    if not mismatches:
        return None, ()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.txt"):
        stale.unlink()
    for name, tokens in arrays.items():
        (out_dir / f"{name}.txt").write_text(", ".join(tokens) + "\n")
    for txt in wdir.glob("*.txt"):  # arrays without a .h initializer keep their C-simulation values
        if txt.stem not in arrays:
            (out_dir / txt.name).write_text(txt.read_text())
    return out_dir, tuple(mismatches)


def parse_typedefs(text: str) -> dict[str, str]:
    """``typedef <type> <name>;`` lines of a C++ header as {name: type} (a later line of the same name wins)."""
    return {m.group("name"): m.group("type").strip() for m in _TYPEDEF.finditer(text)}


def resolve_type(name: str, typedefs: dict[str, str], depth: int = 0) -> str:
    """Follow a typedef chain to the underlying ``ap_*`` / ``nnet::array`` type text."""
    name = name.strip()
    if depth > 20 or name not in typedefs:
        return name
    return resolve_type(typedefs[name], typedefs, depth + 1)


def typedefs(firmware_dir: Path) -> dict[str, str]:
    """``typedef`` names of ``defines.h`` (and ``parameters.h``) mapped to their C++ types as written."""
    out: dict[str, str] = {}
    for name in ("defines.h", "parameters.h"):
        f = Path(firmware_dir) / name
        if f.is_file():
            for m in _TYPEDEF.finditer(f.read_text(errors="replace")):
                out.setdefault(m.group("name"), m.group("type").strip())
    return out


def type_string(cpp_type: str | None) -> str | None:
    """A C++ type as codesign prints precisions (``ap_fixed<W,I>``), or as written when it is not fixed-point."""
    if cpp_type is None:
        return None
    try:
        return FixedPrecision.parse(cpp_type).to_hls()
    except SpecError:
        return cpp_type
