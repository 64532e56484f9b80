"""Page parts built from stored data: cards, tables, tabs, forms; every text shown as text."""
