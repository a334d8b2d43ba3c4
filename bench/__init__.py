"""Benchmarks and the small process runners they (and the crash tests) start."""
