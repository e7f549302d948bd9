"""Benchmarks (`make bench`): numbers for the README, never asserted in the test suite."""
