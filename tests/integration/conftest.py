"""Integration fixtures live in tests/conftest.py (`emulator`, `fresh_stack`), shared with tests/security."""
