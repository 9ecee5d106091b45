"""Reading response files into the canonical table.

This package will hold one reader per survey platform; for now it reads tables that are
already in canonical form (CSV or Parquet).
"""

from toolkit.ingest.canonical import read_canonical

__all__ = ["read_canonical"]
