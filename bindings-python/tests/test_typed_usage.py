"""The typed usage script runs (scripts/test.sh also type-checks it with
`mypy --strict`)."""

from __future__ import annotations

import typed_usage


def test_typed_usage_runs() -> None:
    assert typed_usage.main() == {"ada": 2.0}
