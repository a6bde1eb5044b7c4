"""Exception types: every user-facing failure is one of these, with a message that names the culprit."""


class CodesignError(Exception):
    """Base class of the errors codesign reports to the user (printed without a traceback)."""


class SpecError(CodesignError):
    """A spec, config or command-line value is wrong; the message names the file, key and what is accepted."""


class DataError(CodesignError):
    """A data file is missing, has the wrong layout or holds invalid values."""


class ToolError(CodesignError):
    """An external tool (g++, vivado_hls, vitis_hls, vivado) failed or is missing."""


class BitAccuracyError(CodesignError):
    """The firmware does not reproduce the quantized model bit for bit."""
