"""Clearseg's service layer: settings, the run store and its schema, the job queue and runner,
accounts, the parsing sandbox and the `python -m service` commands. The pure core (segmentation/,
explain/) knows nothing of it; the dashboard drives the core through it.
"""
