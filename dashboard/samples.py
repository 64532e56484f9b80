"""Sample data sets a user can start from, generated (seeded) on demand."""
from __future__ import annotations

from pathlib import Path

from segmentation.synthetic import make_customers, make_orders

DEMO_OWNER = "demo"
SAMPLES = {
    "customers": {"filename": "demo_customers.csv",
                  "title": "Customer table: 2,000 customers, four planted segments"},
    "orders": {"filename": "demo_orders.csv",
               "title": "Order log: 600 customers over two years, with returns"},
}


def write_sample(name: str, path: Path) -> None:
    """Write sample `name` as CSV to path."""
    if name == "customers":
        table, _ = make_customers(2000, seed=0)
    else:
        table = make_orders(600, seed=0)
    table.to_csv(path, index=False)


def ensure_demo_run(store, settings) -> str | None:
    """Queue the public demo run unless one exists; returns its id when one was queued."""
    if store.runs.public(limit=1):
        return None
    from segmentation.options import RunOptions
    from service import usecases

    filename = SAMPLES["customers"]["filename"]
    upload = usecases.store_upload(store, settings, owner=DEMO_OWNER, filename=filename,
                                   save=lambda path: write_sample("customers", path))
    usecases.read_upload(store, settings, upload)   # at start-up: read it now, not by the runner
    options = RunOptions(method="kmeans", max_depth=3, seed=0, id_column="customer_id",
                         source=filename)
    run = usecases.submit_run(store, owner=DEMO_OWNER, upload_id=upload.id,
                              options_for=lambda _upload: options, title="Demo: customer table")
    usecases.set_visibility(store, owner=DEMO_OWNER, run_id=run.id, visibility="public")
    return run.id
