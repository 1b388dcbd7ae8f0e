"""Converting a workbook with LibreOffice, as a person opening it would (tests skip without it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: apt-get install -y --no-install-recommends libreoffice-calc",
)


def convert_to_pdf(path: Path, tmp_path: Path) -> Path:
    """Convert `path` to PDF in headless LibreOffice (own profile, so tests can run in parallel)."""
    profile = tmp_path / "lo_profile"
    proc = subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        capture_output=True, text=True, timeout=240,
    )
    pdf = tmp_path / (path.stem + ".pdf")
    assert proc.returncode == 0, proc.stderr
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    return pdf
