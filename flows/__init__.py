"""Prefect flows (thin orchestration). Importing them has no side effects: each flow attaches the
run-log handler (:mod:`flows.runlog`) when it starts, so its progress lines reach its Prefect run
as well as the terminal."""
