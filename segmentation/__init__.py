"""Clearseg's computing core: read, prepare, cluster, choose k, and run a whole segmentation.

Import what you need from its modules, e.g. `from segmentation.pipeline import run_segmentation`.
"""

__version__ = "0.1.0"
