"""The concrete steps of ``codesign build``, by stage (:mod:`codesign.build_steps` lists them in order)."""
