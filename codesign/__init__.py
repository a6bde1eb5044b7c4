"""codesign: FPGA trigger inference compiler and codesign toolkit for the 40 MHz L1 trigger."""

__version__ = "0.1.0"
