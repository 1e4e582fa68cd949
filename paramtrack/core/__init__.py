"""The kernel every layer may use: errors, settings, units, progress.

It imports nothing else of paramtrack, so the library layers (flows, warehouse, review_queue,
...) can share one error root and one settings value without depending on the CLI on top.
"""
