"""Keep the libraries' chatter off the console during a build, into ``<out>/build.log``.

TensorFlow writes C++/absl lines (``E0000 ... node_def_util``, ``cuInit``) straight to file descriptor 2,
and tf-keras/QKeras issue Python warnings about their own APIs on every build. Inside
:func:`library_output_to`, fd 2 points at the build log while Python's ``sys.stderr`` (click's messages,
tracebacks) keeps the console; a Python warning goes to the console when codesign issued it and to the
log otherwise. What the libraries said is kept, not lost: the log names where each part came from.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from pathlib import Path

_CODESIGN_DIR = str(Path(__file__).resolve().parent)

# where the command line writes the traceback of an internal error: the running build's .codesign folder
_error_log_dir: list[Path] = []


def set_error_log_dir(path: Path) -> None:
    """Write the traceback of an internal error under ``path`` (a build's ``.codesign`` folder)."""
    _error_log_dir[:] = [Path(path)]


@contextlib.contextmanager
def library_output_to(log_path: Path):
    """Send fd 2 (C++ output) and other packages' Python warnings to ``log_path``; codesign's own stay visible."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(log_path, "a", buffering=1) as log:
        log.write("# library output during the build (C++ stderr and other packages' warnings)\n")
        log.flush()
        saved_fd = os.dup(2)
        console = os.fdopen(os.dup(saved_fd), "w", buffering=1)
        old_stderr, old_show = sys.stderr, warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            text = warnings.formatwarning(message, category, filename, lineno, line)
            if str(filename).startswith(_CODESIGN_DIR):
                console.write(text)
            else:
                log.write(text)
                log.flush()

        os.dup2(log.fileno(), 2)
        sys.stderr = console
        warnings.showwarning = show
        # A library's logging record must not reach the console: without a root handler, the first module-level
        # ``logging.warning`` calls basicConfig, whose handler takes ``sys.stderr`` (the console copy), and
        # TensorFlow's records then propagate to it. Root gets a handler into the log for the build; TensorFlow's
        # logger, whose own handler already writes to fd 2 (the log), stops propagating meanwhile.
        root, tf_logger = logging.getLogger(), logging.getLogger("tensorflow")
        log_handler = logging.StreamHandler(log)
        log_handler.setFormatter(logging.Formatter(logging.BASIC_FORMAT))
        root.addHandler(log_handler)
        tf_propagates = tf_logger.propagate
        if tf_logger.handlers:
            tf_logger.propagate = False
        try:
            yield
        finally:
            tf_logger.propagate = tf_propagates
            root.removeHandler(log_handler)
            warnings.showwarning = old_show
            sys.stderr = old_stderr
            _restore_logging_streams(console, old_stderr)
            console.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            console.close()


@contextlib.contextmanager
def library_prints_to_fd2():
    """Send what a library ``print``s (stdout) to fd 2 meanwhile: the build log inside :func:`library_output_to`,
    stderr outside one. hls4ml 1.3 prints ``Unsupported quantizer: quantized_po2`` for each QKeras quantizer it only
    wraps (a QBatchNormalization's), which codesign handles itself; stdout stays codesign's own progress lines."""
    sys.stdout.flush()
    with os.fdopen(os.dup(2), "w", buffering=1) as stream, contextlib.redirect_stdout(stream):
        yield


def _restore_logging_streams(stream, original) -> None:
    """Point logging handlers created inside the redirect (TensorFlow's logger picks up ``sys.stderr`` lazily) back
    at the original stream, so they do not write to the console copy this module is about to close."""
    import logging

    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is stream:
                handler.setStream(original)
