"""Exception types: every user-facing failure is one of these, with a message that names the culprit.

One kind of failure, one exception type, one exit code (the command line maps ``exit_code``; the README and
``codesign --help`` list them):

| code | type | meaning |
|---|---|---|
| 2 | SpecError, DataError | bad input: a spec, config, model, data file or command-line value |
| 3 | BitAccuracyError | the firmware does not reproduce its reference bit for bit |
| 4 | BudgetError | the design does not fit the budget (``--fail-on-budget``) |
| 5 | ToolError, ConversionError | an external tool (g++, vitis_hls, vivado_hls, vivado, verilator, yosys) is missing or failed, or hls4ml could not convert the model |
| 6 | ReferenceUnavailableError | codesign cannot compute the bit-exact reference for a layer (the layer is named) |
| 7 | InternalError | a bug in codesign: one line on the console, the traceback in a log file |
| 130 | Interrupted | Ctrl-C (SIGINT): the command stopped; what it finished is kept, nothing half-written is read back |
"""


class CodesignError(Exception):
    """Base class of the errors codesign reports to the user (printed without a traceback)."""

    exit_code = 2


class SpecError(CodesignError):
    """A spec, config or command-line value is wrong; the message names the file, key and what is accepted."""

    exit_code = 2


class DataError(CodesignError):
    """A data file is missing, has the wrong layout or holds invalid values."""

    exit_code = 2


class BitAccuracyError(CodesignError):
    """The firmware does not reproduce the quantized model bit for bit."""

    exit_code = 3


class BudgetError(CodesignError):
    """The design does not fit the budget and the user asked for that to fail the command."""

    exit_code = 4


class ToolError(CodesignError):
    """An external tool (g++, vivado_hls, vitis_hls, vivado) failed or is missing."""

    exit_code = 5


class ConversionError(ToolError):
    """hls4ml could not convert a model codesign accepted (a layer or setting hls4ml rejects, or a bug in it).

    A failing tool (exit 5), not bad input: codesign validates the spec and the config before conversion, so
    what reaches hls4ml is well-formed; the message carries hls4ml's own error and the layer when it names one.
    """

    exit_code = 5


class ReferenceUnavailableError(CodesignError):
    """The bit-exact reference cannot be computed for a layer of a quantized model; the message names it."""

    exit_code = 6


class InternalError(CodesignError):
    """An unexpected failure inside codesign (a bug); the traceback goes to a log file."""

    exit_code = 7


class Interrupted(CodesignError):
    """The command was interrupted (Ctrl-C, SIGINT); the message says what was kept and how to continue. 130 is
    128 + SIGINT, the status a shell gives a command that a Ctrl-C stopped."""

    exit_code = 130


def first_line(exc: BaseException) -> str:
    """An exception's first line of text (at most 300 characters), or its type name when it has none: what a
    message quoting a library's error (Keras, hls4ml) shows of it."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
