"""Bad inputs of round ten: bounds of the training counts, scan axes that do not define a design, and hls4ml
settings of the wrong type. Rows in the format of ``bad_input_cases.py``, run by ``test_bad_inputs.py``; each
fails before any training, event generation or g++ build.
"""

from __future__ import annotations

from bad_input_cases import ACC, Case, build, spec
from command_cases import scan, scan_file

S = "spec.yaml"

ROUND_TEN_CASES: list[Case] = [
    # training counts: 10**12 was accepted (the prune schedule spread over 10**12 epochs never reached its sparsity)
    Case("train-epochs-10-to-the-12", {S: spec(train={"epochs": 10**12})}, build(),
         (S, "train.epochs", "1000000000000", "an integer from 0 to 10000")),
    Case("train-batch-size-10-to-the-12", {S: spec(train={"batch_size": 10**12})}, build(),
         (S, "train.batch_size", "1000000000000", "an integer from 1 to 1048576")),
    Case("quantize-epochs-10-to-the-12", {S: spec(quantize={"epochs": 10**12})}, build(),
         (S, "quantize.epochs", "QAT epochs, 0 to 10000")),
    Case("prune-epochs-10-to-the-12", {S: spec(prune={"sparsity": 0.5, "epochs": 10**12})}, build(),
         (S, "prune.epochs", "fine-tuning epochs while pruning, 1 to 10000")),
    # scan axes that name or run a point: 'name' was replaced by <base>_<id> in every point without a word
    Case("scan-axis-over-name", {"s.yaml": scan_file(axes={"name": ["a", "b"]})}, scan(),
         ("s.yaml", "axes.name", "each point's name is the scan's", ACC)),
    Case("scan-axis-over-check-workers", {"s.yaml": scan_file(axes={"check.workers": [1, 2]})}, scan(),
         ("s.yaml", "axes.check.workers", "the same design and figures", ACC)),
]
