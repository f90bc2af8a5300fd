"""Benchmarks behind `aria bench ...`: each prints figures and ratios measured side by side in one run."""
