"""One local Spark session for every engine test that needs Spark (starting one takes seconds)."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def spark():
    """A one-thread local SparkSession; skips without pyspark or a Java runtime."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:  # pragma: no cover - depends on the machine
        pytest.skip("Spark needs a Java runtime")
    from procmine.engines.spark import local_session

    session = local_session(threads=1)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
