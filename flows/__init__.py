"""Prefect flows (thin orchestration). Importing any of them routes paramtrack's progress lines
to the Prefect run they belong to as well as to the terminal (:mod:`flows.runlog`)."""

from paramtrack.flows import runlog as _runlog

_runlog.install()
