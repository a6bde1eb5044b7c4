"""Read the reports Vivado HLS / Vitis HLS and Vivado write: ``*_csynth.rpt``, ``*_csynth.xml``, utilisation.

Three formats are understood, each into a frozen result:

- the per-module text report (``myproject_csynth.rpt`` and every ``<module>_csynth.rpt``), written by
  Vivado HLS 2016.4-2020.1 ("Vivado HLS Report for") and Vitis HLS 2020.2+ ("Vitis HLS Report for");
- Vitis HLS's "Synthesis Summary Report" (``csynth.rpt``), one table of every module;
- the XML twin (``*_csynth.xml``), and Vivado's ``report_utilization`` text (``vivado_synth.rpt``).

A report that is not one of these raises :class:`DataError` naming the file.

Modules: ``results`` (the frozen results), ``cells`` (reading a report's text, its numbers and bordered tables),
``csynth_rpt`` (the text reports), ``csynth_xml`` (the XML report), ``vivado`` (``report_utilization``),
``discovery`` (finding a project's reports, choosing a parser, matching a layer to its module).
"""

from codesign.synth_reports.csynth_rpt import parse_csynth_rpt
from codesign.synth_reports.csynth_xml import parse_csynth_xml
from codesign.synth_reports.discovery import find_reports, module_for_config, parse_csynth
from codesign.synth_reports.results import (
    CHECKED_VERSIONS,
    CsynthReport,
    ModuleFigures,
    ProjectReports,
    VivadoUtilization,
)
from codesign.synth_reports.vivado import parse_vivado_utilization

__all__ = [
    "CHECKED_VERSIONS",
    "CsynthReport",
    "ModuleFigures",
    "ProjectReports",
    "VivadoUtilization",
    "find_reports",
    "module_for_config",
    "parse_csynth",
    "parse_csynth_rpt",
    "parse_csynth_xml",
    "parse_vivado_utilization",
]
