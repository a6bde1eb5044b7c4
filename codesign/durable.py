"""Durability of a build folder: one build at a time, files replaced whole or not at all, clear write errors.

- :func:`build_lock` takes ``<out>/.codesign/lock`` with ``fcntl.flock``. A second build into the same folder
  does not wait: it is refused at once with a :class:`SpecError` naming the folder and the holder's pid
  (two builds interleaving their g++ objects is how a folder gets corrupt; waiting could hang CI forever).
  The kernel drops the lock when its process dies, so a killed build never leaves a stale lock behind.
- :func:`atomic_path` yields a temporary path beside the target and moves it into place only when the
  writer finished; on any failure the temporary file is removed, so no half-written file is ever left.
- :func:`write_error` turns a failed write (full disk, read-only folder, no permission) into a SpecError
  that names the path and what is accepted, instead of a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from codesign.errors import SpecError

LOCK_NAME = "lock"
IN_PROGRESS = "in_progress"
REPORT_DIGEST = "report.sha256"  # in <out>/.codesign: report.json + report.md as codesign last wrote them

# errno values that mean "this folder cannot take the build's output", not a bug in codesign
FULL_BELOW_BYTES = 64 * 1024  # a file system with less than this free is full for a build
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def write_error(exc: OSError, where: Path | str, flag: str = "--out") -> SpecError:
    """A SpecError for an OSError raised while writing into ``where`` (the folder of ``flag``: ``--out``, or the API's
    ``cache_dir``), naming the path and the cause."""
    path = exc.filename or where
    cause = exc.strerror or disk_problem(where) or str(exc)
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT) or cause == "No space left on device"
    hint = f"free some space or pass {flag} on another disk" if full else f"pass {flag} on a folder you can write"
    what = "the build output" if flag == "--out" else f"{flag} {where}"
    return SpecError(f"{path}: cannot write {what}: {cause} ({hint}; accepted: a writable folder with free space)")


def is_write_error(exc: BaseException, where: Path | str | None = None) -> bool:
    """True for an OSError that says the output folder cannot be written (full, read-only, forbidden).

    Some writers lose the errno (numpy's ``tofile``: "65536 requested and 11248 written"); then the folder's
    file system is asked whether it is full or read-only."""
    if not isinstance(exc, OSError):
        return False
    if exc.errno in WRITE_ERRNOS:
        return True
    text = str(exc)  # h5py and zipfile wrap the errno into their own message
    if "No space left on device" in text or "Read-only file system" in text or "Disk quota exceeded" in text:
        return True
    return where is not None and disk_problem(where) is not None


def disk_problem(where: Path | str) -> str | None:
    """'No space left on device' / 'Read-only file system' when the file system holding ``where`` is so."""
    path = Path(where)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return "Read-only file system"
    if st.f_bavail * st.f_frsize < FULL_BELOW_BYTES:
        return "No space left on device"
    return None


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on failure it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        # asked before the partial file is removed, while the disk is still as full as the write found it
        problem = disk_problem(path.parent) if exc.errno not in WRITE_ERRNOS else None
        tmp.unlink(missing_ok=True)
        if problem is not None:
            code = errno.ENOSPC if problem.startswith("No space") else errno.EROFS
            raise OSError(code, problem, str(path)) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write a text file atomically (all of it or, on any failure, the previous file untouched)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


class BuildLock:
    """An exclusive ``flock`` on ``<out>/.codesign/lock``, held for the whole build."""

    def __init__(self, out_dir: Path | str, what: str = "build"):
        self.out_dir = Path(out_dir)
        self.what = what
        self.path = self.out_dir / ".codesign" / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise SpecError naming the folder and the pid that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise SpecError(
                f"{self.out_dir}: another codesign {self.what} (pid {holder}) is writing into this folder; wait for it "
                f"to finish or pass another --out (accepted: one {self.what} per output folder at a time)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (the kernel drops it too when the process dies)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> BuildLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def report_digest(out_dir: Path | str) -> str | None:
    """sha256 of the folder's report.json and, when there, report.md; None without report.json."""
    h = hashlib.sha256()
    for name in ("report.json", "report.md"):
        try:
            data = (Path(out_dir) / name).read_bytes()
        except FileNotFoundError:
            if name == "report.json":
                return None
            h.update(b"report.md missing")
            continue
        except OSError:
            return None
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()


def record_report_digest(out_dir: Path | str, trusted: bool = True) -> None:
    """Remember the digest of the reports codesign just wrote, in a build folder (one with ``.codesign/``): a build
    trusts an unchanged report.json as up to date only while its digest is this one. ``trusted=False`` (reports
    rewritten from a report.json that was edited by hand) forgets it, so the next build writes them from its steps."""
    marker = Path(out_dir) / ".codesign"
    digest = report_digest(out_dir)
    if not trusted or digest is None:
        (marker / REPORT_DIGEST).unlink(missing_ok=True)
    elif marker.is_dir():
        atomic_write_text(marker / REPORT_DIGEST, digest + "\n")


def report_as_written(out_dir: Path | str) -> bool:
    """True when report.json and report.md are the ones codesign last wrote (not edited, damaged or replaced)."""
    try:
        recorded = (Path(out_dir) / ".codesign" / REPORT_DIGEST).read_text().strip()
    except OSError:
        return False
    return recorded == report_digest(out_dir)


def build_lock(out_dir: Path | str, what: str = "build") -> BuildLock:
    """The lock of one output folder (use as a context manager); ``what`` holds it (a build, a scan)."""
    return BuildLock(out_dir, what)


NAME_MAX, PATH_MAX = 255, 4096  # bytes of one file or folder name, of a whole path (Linux)
FOLDER_HEADROOM = 256  # bytes a build folder's path leaves for what is written under it (hls/firmware/weights/...)


def check_path_length(path: Path, flag: str, headroom: int) -> None:
    """Refuse a path the file system cannot hold (a name over 255 bytes, a path over 4096 minus ``headroom``) before
    any work: Path.exists() raises on it (errno ENAMETOOLONG), and a deep file written later would fail."""
    full = os.fsencode(os.path.abspath(path))
    longest = max((os.fsencode(part) for part in Path(path).parts), key=len, default=b"")
    if len(longest) > NAME_MAX:
        start = longest[:40].decode(errors="replace")
        raise SpecError(f"{flag} {path}: a name in this path is {len(longest)} bytes long ({start}...); accepted: "
                        f"names of at most {NAME_MAX} bytes")  # fmt: skip
    if len(full) > PATH_MAX - headroom:
        raise SpecError(f"{flag} {path}: the path is {len(full)} bytes long; accepted: at most {PATH_MAX - headroom} "
                        f"bytes{f', leaving {headroom} for the files written under it' if headroom else ''}")  # fmt: skip


# what a build writes, replaces or removes at the top of its folder (report.json/report.md are removed when it starts)
BUILD_OUTPUTS = ("report.json", "report.md", "build.log", "hls", "models", "plots", "csim", "rtl", "logs", "check")
SCAN_FILE = "scan.json"  # a scan folder's marker (codesign/scan_study.py writes it)
# and a scan (optuna.db: codesign/scan_study.py)
SCAN_OUTPUTS = (SCAN_FILE, "optuna.db", "points.jsonl", "points_retried.jsonl", "points", "cache", "pareto.csv",
                "pareto.png", "scan.md")  # fmt: skip


def check_not_foreign(out: Path, owned: tuple[str, ...], flag: str = "--out") -> None:
    """Refuse an existing folder that codesign did not make (no ``.codesign`` in it, nor a scan's marker) holding
    files with the names a build or scan writes or removes there: they are the user's (their own report.md,
    models/), not an earlier build's, and would be replaced or deleted."""
    if not out.is_dir() or (out / ".codesign").is_dir() or (SCAN_FILE in owned and (out / SCAN_FILE).is_file()):
        return  # a scan folder's scan.json is checked by the scan itself (codesign/scan_study.py)
    taken = [name for name in owned if (out / name).exists()]
    if taken:
        raise SpecError(
            f"{flag} {out}: this folder holds {', '.join(taken)} and is not a codesign output folder (no .codesign "
            f"in it); codesign writes or removes {', '.join(taken)} there, so they would be replaced or deleted "
            "(accepted: a new or empty folder, a folder without those names, or one codesign made earlier)"
        )


def check_writable(out_dir: Path | str, flag: str = "--out", owned: tuple[str, ...] = ()) -> Path:
    """Create ``out_dir`` and prove a file can be written there; SpecError naming the folder otherwise. ``owned``:
    the names the command writes at the top of the folder (:func:`check_not_foreign`)."""
    if not str(out_dir).strip():
        raise SpecError(f"{flag} '{out_dir}': would write the build into the working directory "
                        "(accepted: a folder name, e.g. --out vivado_projects/my_build)")  # fmt: skip
    out = Path(out_dir)
    check_path_length(out, flag, FOLDER_HEADROOM)
    if out.exists() and not out.is_dir():
        raise SpecError(f"{flag} {out}: is a file, not a folder (accepted: a new or existing folder)")
    check_not_foreign(out, owned, flag)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".codesign" / f".probe-{os.getpid()}"
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except FileExistsError as exc:
        raise SpecError(f"{flag} {out}: {exc.filename or out} is a file, not a folder "
                        "(accepted: a new or existing folder)") from None  # fmt: skip
    except NotADirectoryError:
        raise SpecError(f"{flag} {out}: a parent of this path is a file, not a folder "
                        "(accepted: a path whose parents are folders)") from None  # fmt: skip
    except OSError as exc:
        # the way out is another --out unless the folder is the API's cache_dir (flag may also name where the
        # build folder came from: 'name', a config's OutputDir)
        raise write_error(exc, out, "cache_dir" if flag == "cache_dir" else "--out") from None
    return out


def check_output_file(path: Path | str, flag: str = "--out") -> Path:
    """Prove a file can be written at ``path`` (its folder made if missing) before any work; SpecError otherwise."""
    if not str(path).strip():
        raise SpecError(f"{flag} '{path}': empty (accepted: a file path, e.g. {flag} out.json)")
    target = Path(path)
    check_path_length(target, flag, 0)
    if target.is_dir():
        raise SpecError(f"{flag} {target}: is a folder, not a file (accepted: a file path in an existing folder)")
    if target.exists() and not target.is_file():  # the file is renamed into place: that would replace /dev/full
        raise SpecError(f"{flag} {target}: not a regular file (a device, FIFO or socket), which writing the file "
                        "(to a temporary name, renamed into place) would replace (accepted: a regular file path)")  # fmt: skip
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=target.parent)
        os.close(fd)
        os.unlink(probe)
        if target.exists() and not os.access(target, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
    except (FileExistsError, NotADirectoryError):
        raise SpecError(f"{flag} {target}: a parent of this path is a file, not a folder "
                        "(accepted: a path whose parents are folders)") from None  # fmt: skip
    except OSError as exc:
        cause = exc.strerror or disk_problem(target.parent) or str(exc)
        raise SpecError(f"{flag} {target}: cannot write the file: {cause} "
                        "(accepted: a file path in a folder you can write)") from None  # fmt: skip
    return target


def check_not_an_input(target: Path | str, folder: Path | str, flag: str, earlier: Callable[[Path], bool],
                       what: str) -> None:  # fmt: skip
    """Refuse an output file ``target`` that is an existing file inside ``folder`` (the folder the command reads)
    unless ``earlier`` says it is this command's own earlier output (``what``): writing there would replace a file the
    folder is made of (a build's report.json, a project's parameters.h)."""
    target, folder = Path(target), Path(folder).resolve()
    where = target.resolve()
    if target.is_file() and folder in where.parents and not earlier(target):
        raise SpecError(f"{flag} {target}: an existing file of {folder} ({where.relative_to(folder)}), the folder "
                        f"this command reads, and not {what}; writing there would replace it (accepted: a new file, "
                        f"{what}, or a path outside the folder)")  # fmt: skip
