"""What every spec section is made of: the strict frozen base model and the shared field types."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationInfo, field_validator

from codesign.precision import FixedPrecision, parse_field

SEED_MAX = 2**32 - 1  # numpy's and TensorFlow's seed range
CLOCK_NS_RANGE = (1.0, 100.0)  # 1 GHz .. 10 MHz: outside it no FPGA fabric closes timing / no trigger runs


def _parse_precision(value: Any) -> FixedPrecision:
    p = parse_field(value)
    if p.integer > p.width:
        raise ValueError(f"'{value}' has more integer bits ({p.integer}) than bits ({p.width}); accepted: "
                         "ap_fixed<W,I> with 1 <= W and I <= W, e.g. ap_fixed<16,6>")  # fmt: skip
    return p


Seed = Annotated[int, Field(ge=0, le=SEED_MAX, description="random seed, 0 .. 2**32-1")]
# a layer wider than this holds more weights than any L1 FPGA (4096 x 4096 = 16.8 M), and a size such as 10**9
# reached TensorFlow as an out-of-memory internal error while building the model
MAX_LAYER_SIZE = 4096
Size = Annotated[int, Field(gt=0, le=MAX_LAYER_SIZE)]
# the float training stops at its patience long before this; the pruning fine-tuning has no early stop, so 10**12
# prune.epochs ran the schedule (target sparsity at end_fraction of epochs x steps) for longer than any build lasts
MAX_EPOCHS = 10_000
# a batch is one tensor in memory; Keras quietly trains a larger one as one batch of every row, so a value past the
# largest training set a trigger study holds (a million rows) is a typo, not a setting that is applied
MAX_BATCH_SIZE = 2**20
Fraction = Annotated[float, Field(gt=0, le=1, description="a fraction of the part, in (0, 1]")]
Precision = Annotated[FixedPrecision, BeforeValidator(_parse_precision), PlainSerializer(lambda p: p.to_hls())]
PathStr = Annotated[Path, PlainSerializer(lambda p: str(p))]


def text_not_number(value: object, reads: str, example: str) -> object:
    """A text key given as a YAML number (``name: 001`` is 1, ``2022.10`` is 2022.1): a ValueError saying to quote
    it, rather than pydantic's "a valid string" with the number YAML made of it. ``reads``: what YAML reads as what;
    ``example``: the line in quotes."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"a number ({value!r}); YAML reads {reads}, so write it in quotes: {example}")
    return value


def _types_in(annotation: Any) -> set:
    """Every type an annotation names (``int | None``, ``list[int]``, ``Annotated[int, ...]``, nested)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        args = args[:1]
    return {annotation, *(t for a in args for t in _types_in(a))}


def _has_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_bool(v) for v in value)
    if isinstance(value, dict):
        return any(_has_bool(v) for v in value.values())
    return False


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_as_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """true/false where a number goes is refused: pydantic would read them as 1 and 0 (``epochs: true`` trained
        one epoch; ``epochs: yes`` in YAML is the same true)."""
        types = _types_in(cls.model_fields[info.field_name].annotation)
        if bool not in types and types & {int, float} and _has_bool(value):
            raise ValueError("true/false is not a number")
        return value
