"""The firmware after conversion: its plain description and a bit-exact fixed-point emulator of it, its files,
and ``codesign check`` (the checks run on it and the per-layer comparison)."""
