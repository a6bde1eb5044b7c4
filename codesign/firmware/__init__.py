"""The firmware as configured: its plain description and a bit-exact fixed-point emulator of it."""
