"""Excel outputs and input templates, all written through one safe writer.

`workforce.excel.writer` holds the writer (text never becomes a formula, Tables, formats,
README, atomic save); `workforce.excel.workbooks` the workbooks people receive;
`workforce.excel.templates` the input templates. Names are loaded lazily so that importing
the package does not pull in openpyxl and pandas.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "write_allocation_workbook": "workforce.excel.workbooks",
    "write_risk_register": "workforce.excel.workbooks",
    "write_planner_workbook": "workforce.excel.workbooks",
    "SafeWorkbook": "workforce.excel.writer",
    "build_templates": "workforce.excel.templates",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'workforce.excel' has no attribute {name!r}")
