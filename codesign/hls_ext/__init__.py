"""hls4ml extension layers (Keras layer -> hls4ml layer -> fixed C++ template in ``firmware_templates/``).

Each extension lives in its own module with an idempotent ``register()``; :func:`register_all` registers them all
and runs before any conversion (:mod:`codesign.hls`).
"""


def register_all() -> None:
    """Register every codesign extension layer with hls4ml (safe to call more than once)."""
    from codesign.hls_ext import alpha_batchnorm, anomaly_score, cropping_types, interaction, qkeras_weight_types

    anomaly_score.register()
    cropping_types.register()
    alpha_batchnorm.register()  # after cropping_types: it wraps the type inference registered there
    interaction.register()
    qkeras_weight_types.register()
