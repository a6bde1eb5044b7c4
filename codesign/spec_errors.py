"""Pydantic validation errors of a spec as messages for people: file, key path, bad value, what is accepted."""

from __future__ import annotations

import difflib
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


def _field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _model_at(loc: tuple, root: type[BaseModel]) -> type[BaseModel] | None:
    """The pydantic model class that owns the key at ``loc`` (for listing accepted keys)."""
    current: Any = root
    for part in loc[:-1]:
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            ann = current.model_fields[part].annotation
            args = getattr(ann, "__args__", ()) or ()
            candidates = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
            if candidates:
                current = candidates[0]
                continue
            dict_vals = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            current = dict_vals[0] if dict_vals else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            continue  # a dict key such as a layer name
        else:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _accepted(loc: tuple, root: type[BaseModel]) -> str:
    """' (accepted: <description>)' of the innermost documented field on ``loc``, or ''."""
    for end in range(len(loc), 0, -1):
        owner = _model_at(loc[:end], root)
        name = loc[end - 1]
        if owner is not None and isinstance(name, str) and name in owner.model_fields:
            field = owner.model_fields[name]
            if field.description:
                return f" (accepted: {field.description})"
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, Enum):
                return f" (accepted: {', '.join(m.value for m in ann)})"
            return ""
    return ""


def format_validation_error(path: Path, exc: ValidationError, root: type[BaseModel]) -> str:
    """One line per pydantic error: the key path, the bad value, why, and what is accepted."""
    lines = [f"{path}: invalid spec"]
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        key = ".".join(str(p) for p in loc) or "(top level)"
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            owner = _model_at(loc, root)
            names = _field_names(owner) if owner else []
            accepted = ", ".join(names) if owner else "see the README spec reference"
            close = difflib.get_close_matches(str(loc[-1]), names, n=1) if loc else []
            hint = f"did you mean '{close[0]}'? " if close else ""
            lines.append(f"  key '{key}': unknown key ({hint}accepted here: {accepted})")
        elif err["type"] == "missing":
            lines.append(f"  key '{key}': required key is missing")
        elif err["type"] == "model_type" and value is None and (section := _model_at((*loc, "_"), root)):
            # 'prune:' with nothing under it is null to YAML; the message named pydantic's class (PruneSpec)
            owner = _model_at(loc, root)
            field = owner.model_fields.get(loc[-1]) if owner is not None and isinstance(loc[-1], str) else None
            rest = "; it is required" if field is not None and field.is_required() else (
                ", or leave the key out for its defaults")  # fmt: skip
            lines.append(f"  key '{key}': empty (YAML reads '{loc[-1]}:' with nothing under it as null; accepted: a "
                         f"mapping of its keys ({', '.join(_field_names(section))}){rest})")  # fmt: skip
        else:
            msg = err["msg"].removeprefix("Value error, ")
            shown = repr(value) if not isinstance(value, dict) else "{...}"
            accepted = _accepted(loc, root) if "accepted" not in msg else ""
            lines.append(f"  key '{key}': bad value {shown}: {msg}{accepted}")
    return "\n".join(lines)
