"""Data: generate jets and L1 events (Pythia8 + FastJet), read and write the public HDF5 layouts.

Generation needs ``pythia8mc`` and ``fastjet``; reading and writing need only ``h5py``.
"""

from codesign.data.hdf5io import read_attrs, read_jets, read_l1, write_jets, write_l1
from codesign.data.layouts import CLASS_NAMES, HLF_NAMES, L1_PROCESSES, PARTICLE_FEATURE_NAMES
from codesign.data.samples import JetSample, L1Sample
from codesign.data.shipped import SHIPPED_JETS, SHIPPED_L1

__all__ = [
    "CLASS_NAMES",
    "HLF_NAMES",
    "L1_PROCESSES",
    "PARTICLE_FEATURE_NAMES",
    "SHIPPED_JETS",
    "SHIPPED_L1",
    "JetSample",
    "L1Sample",
    "read_attrs",
    "read_jets",
    "read_l1",
    "write_jets",
    "write_l1",
]
