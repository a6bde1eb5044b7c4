"""Per-layer estimators, one module per kernel family (dense, conv, activation, element-wise); the dispatch from a
layer call to its estimator is :mod:`codesign.estimate.layers`."""
