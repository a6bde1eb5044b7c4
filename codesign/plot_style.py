"""The look of codesign's plots: mplhep's CMS style (HEP fonts, inward ticks on all sides, minor ticks), scaled
down from its 10 x 10 inch, 26 pt poster size to report-sized figures; matplotlib on the Agg backend."""

from __future__ import annotations

import contextlib

import matplotlib

matplotlib.use("Agg")  # no display: builds run on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
import mplhep  # noqa: E402

# the CMS style's sizes are for a 10-inch panel; these keep its look at about 5 inches per panel
REPORT_SIZES = {
    "font.size": 11,
    "legend.fontsize": 8,
    "axes.titlesize": 11,
    "xtick.major.size": 6,
    "xtick.minor.size": 3,
    "ytick.major.size": 6,
    "ytick.minor.size": 3,
    "lines.linewidth": 1.6,
    "savefig.dpi": 110,
}


def style() -> contextlib.AbstractContextManager:
    """Context in which figures are made and saved in the house style."""
    return plt.style.context([mplhep.style.CMS, REPORT_SIZES])


def pyplot():
    """matplotlib.pyplot on the Agg backend."""
    return plt


def colors() -> list[str]:
    """The style's colour cycle."""
    return plt.rcParams["axes.prop_cycle"].by_key()["color"]
