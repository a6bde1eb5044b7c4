"""The ``score:`` section: which anomaly score the firmware computes, and in which fixed-point types.

Parsed once at the edge into a frozen :class:`ScoreSpec` (precisions are :class:`~codesign.precision.FixedPrecision`
value objects). The same values travel in the Keras layer's config (:mod:`codesign.score_layer`), from which the
hls4ml extension (:mod:`codesign.hls_ext.anomaly_score`) and the numpy twin (:mod:`codesign.reference.score`) read
them, so all three agree by construction on what was asked.

Kinds: ``rz`` = sum mu^2 exp(-logvar) (VAE), ``mu2`` = sum mu^2 (VAE), ``kl`` = KL(q(z|x) || N(0,1)) (VAE),
``sse`` = sum (x - x_hat)^2 over the inputs (AE: n_features x the MSE, so the same ranking as the MSE).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, model_validator

from codesign.errors import SpecError
from codesign.precision import FixedPrecision, parse_field

MAX_TABLE_BITS = 14  # 16384 entries: a table beyond that is no longer a LUT-sized ROM
MAX_CODE_BITS = 62  # the twin computes in int64 codes: every aligned sum must fit
VAE_KINDS = ("rz", "mu2", "kl")
AE_KINDS = ("sse",)
KIND_CODES = {"mu2": 0, "rz": 1, "kl": 2, "sse": 3}


class ScoreKind(str, Enum):
    """The anomaly scores the firmware can compute."""

    RZ = "rz"
    MU2 = "mu2"
    KL = "kl"
    SSE = "sse"


def _precision(value: Any) -> FixedPrecision:
    p = parse_field(value, "ap_fixed<16,6,AP_RND_CONV,AP_SAT>")
    if p.width > 52:
        raise ValueError(f"'{value}' is wider than 52 bits (accepted: W <= 52, the twin's float64 output is exact)")
    return p


Prec = Annotated[FixedPrecision, BeforeValidator(_precision), PlainSerializer(lambda p: p.to_hls())]


class ScoreSpec(BaseModel):
    """The firmware's anomaly score and its fixed-point types (see README, "The anomaly score in firmware")."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    kind: ScoreKind | None = Field(None, description="rz, mu2, kl (vae) or sse (ae); default rz for vae, sse for ae")
    input_precision: Prec = Field(
        FixedPrecision.parse("ap_fixed<14,5,AP_RND_CONV,AP_SAT>"),
        description="type mu (vae) or the input and its reconstruction (ae) are cast to before squaring",
    )
    table_input: Prec = Field(
        FixedPrecision.parse("ap_fixed<10,5,AP_RND_CONV,AP_SAT>"),
        description="signed type the log-variance is cast to; its 2**W codes are the exp table's entries (W <= 14)",
    )
    table_precision: Prec = Field(
        FixedPrecision.parse("ap_ufixed<26,18,AP_RND_CONV,AP_SAT>"),
        description="type of the table entries exp(-logvar) (rz) or (exp(logvar) - 1 - logvar)/2 (kl)",
    )
    accum_precision: Prec = Field(
        FixedPrecision.parse("ap_ufixed<40,26,AP_TRN,AP_SAT>"), description="type of the running sum"
    )
    result_precision: Prec = Field(
        FixedPrecision.parse("ap_ufixed<32,26,AP_TRN,AP_SAT>"), description="type of the score the firmware outputs"
    )

    @model_validator(mode="after")
    def _consistent(self) -> ScoreSpec:
        if not self.table_input.signed:
            raise ValueError(f"table_input {self.table_input.to_hls()} must be signed (a log-variance is negative too)")
        if self.table_input.width > MAX_TABLE_BITS:
            raise ValueError(
                f"table_input {self.table_input.to_hls()} gives a table of 2**{self.table_input.width} entries "
                f"(accepted: width <= {MAX_TABLE_BITS})"
            )
        bits = code_bits(self)
        if bits > MAX_CODE_BITS:
            raise ValueError(
                f"the score's exact products and sums need {bits} bits (accepted: <= {MAX_CODE_BITS}); narrow "
                "input_precision, table_precision or accum_precision"
            )
        return self

    def resolved_kind(self, family: str) -> ScoreKind:
        """The kind for ``family`` ('vae' or 'ae'): the given one if it fits, else the family's default."""
        accepted = VAE_KINDS if family == "vae" else AE_KINDS
        if self.kind is None:
            return ScoreKind(accepted[0])
        if self.kind.value not in accepted:
            raise SpecError(
                f"score.kind {self.kind.value!r} does not apply to model.family {family!r} (accepted: {', '.join(accepted)})"
            )
        return self.kind

    def layer_config(self, family: str) -> dict[str, str]:
        """The settings as the Keras layer stores them (strings, JSON-serialisable)."""
        return {
            "kind": self.resolved_kind(family).value,
            "input_precision": self.input_precision.to_hls(),
            "table_input": self.table_input.to_hls(),
            "table_precision": self.table_precision.to_hls(),
            "accum_precision": self.accum_precision.to_hls(),
            "result_precision": self.result_precision.to_hls(),
        }


def term_frac(spec: ScoreSpec) -> int:
    """Fractional bits of one exact term of the sum (before it is cast to the accumulator)."""
    fi, ft = spec.input_precision.fractional, spec.table_precision.fractional
    kind = spec.kind.value if spec.kind is not None else "rz"
    return {"mu2": 2 * fi, "sse": 2 * fi, "rz": 2 * fi + ft, "kl": max(2 * fi + 1, ft)}.get(kind, 2 * fi + ft)


def code_bits(spec: ScoreSpec) -> int:
    """Bits of the widest integer code the twin forms: a term plus the accumulator, aligned (+1 for the carry)."""
    ip, tp, ap = spec.input_precision, spec.table_precision, spec.accum_precision
    frac = max(ap.fractional, term_frac(spec), 2 * ip.fractional + tp.fractional)
    integer = max(ap.integer, 2 * (ip.integer + 1) + tp.integer)
    return integer + frac + 1


def parse_score(raw: Any, where: str = "score") -> ScoreSpec:
    """A ScoreSpec from a mapping (a Keras layer's config or a spec section), with errors naming the key."""
    try:
        return ScoreSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        key = f"{where}.{loc}" if loc else where
        raise SpecError(f"{key}: {err['msg'].removeprefix('Value error, ')} (accepted: {', '.join(ScoreSpec.model_fields)})") from None
