"""The firmware after conversion: its files, the checks run on it, and the per-layer comparison."""
