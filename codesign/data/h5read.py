"""Opening a user's HDF5 file and one of its datasets, with an error that says what is wrong with the file: held
open for writing by another program (HDF5 file locking), damaged, a key under a group, a compression filter this
h5py cannot decode. Every reader of data files goes through here, so each case has one message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codesign.errors import DataError

SHOWN_KEYS = 20  # dataset paths listed in a message


def open_file(path: Path) -> Any:
    """``h5py.File(path, "r")``, or a DataError naming the file and why it cannot be opened."""
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as exc:
        if "unable to lock file" in str(exc):
            raise DataError(
                f"{path}: another program holds this file open for writing (HDF5 file locking: {exc}); a file being "
                "written is not read half-way (accepted: the file once that program closed it)"
            ) from None
        raise DataError(f"{path}: cannot open as HDF5 ({exc}); accepted: an HDF5 file (.h5); this one may be empty, "
                        "truncated or of another format") from None  # fmt: skip


def dataset_paths(handle: Any) -> list[str]:
    """Every dataset's path in the file (``events/x`` for one under a group), in the file's order."""
    import h5py

    found: list[str] = []

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and len(found) <= SHOWN_KEYS:
            found.append(name)

    try:
        handle.visititems(visit)
    except (KeyError, OSError, RuntimeError):  # a damaged object: list what was reached
        pass
    return found


def listing(handle: Any) -> str:
    """The file's datasets by path, the first SHOWN_KEYS of them, or 'none'."""
    paths = dataset_paths(handle)
    more = ", ..." if len(paths) > SHOWN_KEYS else ""
    return ", ".join(paths[:SHOWN_KEYS]) + more if paths else "none"


def member(path: Path, handle: Any, key: str) -> Any:
    """The group or dataset at ``key``, None when there is none, or a DataError when the file is damaged there."""
    try:
        return handle[key] if key in handle else None
    except (KeyError, OSError, RuntimeError) as exc:
        raise DataError(f"{path}: key '{key}' cannot be opened: the file is damaged ({exc}); accepted: an HDF5 file "
                        "written whole (rewrite or copy it again)") from None  # fmt: skip


def dataset(path: Path, handle: Any, key: str, spec_key: str = "") -> Any:
    """The dataset at ``key`` (a path such as ``events/x`` reaches one under a group): a DataError names the file and
    key when it is missing (listing the file's datasets by path), a group, or damaged."""
    import h5py

    named = f"{spec_key} " if spec_key else ""
    obj = member(path, handle, key)
    if obj is None:
        raise DataError(f"{path}: {named}key '{key}' not found (datasets in the file: {listing(handle)}; accepted: "
                        f"{spec_key or 'a key'} naming one of them, with its group path as in events/x)")  # fmt: skip
    if not isinstance(obj, h5py.Dataset):
        inside = ", ".join(f"{key}/{k}" for k in list(obj.keys())[:SHOWN_KEYS]) or "nothing"
        raise DataError(f"{path}: {named}key '{key}' is a group, not an array (it holds {inside}; accepted: a numeric "
                        "dataset, with its group path as in events/x)")  # fmt: skip
    return obj


def undecodable_filters(ds: Any) -> str:
    """The compression filters of a dataset this h5py has no decoder for (a plugin filter such as blosc or zstd, or
    an unknown id), as text for an error message, or "" when there is none. Called when reading failed: HDF5's own
    message names its plugin folder, not the filter."""
    from h5py import h5z

    plist = ds.id.get_create_plist()
    missing = []
    for i in range(plist.get_nfilters()):
        code, _flags, _values, name = plist.get_filter(i)
        if not h5z.filter_avail(code):
            missing.append(f"{code} ('{name.decode(errors='replace') if isinstance(name, bytes) else name}')")
    if not missing:
        return ""
    return (f"compressed with HDF5 filter {', '.join(missing)}, which this h5py cannot decode (its plugin is not "
            "installed); accepted: data stored uncompressed or with gzip, lzf, szip, shuffle, fletcher32 or scaleoffset "
            "(e.g. rewrite it with `h5repack -f NONE in.h5 out.h5`)")  # fmt: skip


NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integer, float: what a cast to float reads as the same numbers


def values(path: Path, ds: Any, key: str, index: Any = Ellipsis, numeric: bool = True) -> Any:
    """``ds[index]`` as a numpy array, or a DataError naming the file and key: values that are not numbers when
    ``numeric`` (text would be parsed digit by digit, a fixed-length string cut short reads as another number), a
    compression filter this h5py cannot decode, or chunks that cannot be read (truncated, damaged)."""
    if numeric and ds.dtype.kind not in NUMERIC_KINDS:
        raise DataError(f"{path}: key '{key}' holds {ds.dtype} values, not numbers (accepted: a float, integer or bool "
                        "dataset)")  # fmt: skip
    try:
        return ds[index]
    except (OSError, ValueError, TypeError) as exc:
        if why := undecodable_filters(ds):
            raise DataError(f"{path}: key '{key}' is {why}") from None
        raise DataError(f"{path}: key '{key}' cannot be read ({exc}); accepted: an HDF5 file written whole (this one "
                        "may be truncated or damaged)") from None  # fmt: skip
