"""Benchmarks of opendynamo: `python bench/run.py` (see bench/README.md), `python bench/auth.py`."""
