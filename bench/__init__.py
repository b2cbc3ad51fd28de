"""Benchmarks: every figure is a median of several runs next to a baseline from the same run."""
