"""Sample data sets a user can start from, generated (seeded) on demand."""
from __future__ import annotations

from pathlib import Path

from segmentation.synthetic import make_customers, make_orders

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
    if store.public_runs(limit=1):
        return None
    from service.previews import safe_preview
    from service.store import new_id

    upload_id = new_id()
    folder = settings.upload_dir / upload_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "data.csv"
    write_sample("customers", path)
    preview, error = safe_preview(path, name=SAMPLES["customers"]["filename"])
    store.add_upload(owner="demo", filename=SAMPLES["customers"]["filename"], path=str(path),
                     size_bytes=path.stat().st_size, preview=preview, error=error, upload_id=upload_id)
    options = {"method": "kmeans", "k": None, "max_depth": 3, "seed": 0,
               "id_column": "customer_id", "source": SAMPLES["customers"]["filename"]}
    return store.submit(owner="demo", title="Demo: customer table", options=options,
                        upload_id=upload_id, visibility="public")
