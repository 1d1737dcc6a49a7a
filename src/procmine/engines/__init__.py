"""Engines that compute the same figures outside pandas (DuckDB out-of-core; Spark later)."""
