"""Excel writing speed and memory (run by hand; prints what it measured).

Targets: the demo planner workbook in <= 5 s; a 20,000-row allocation workbook in <= 10 s with
<= 500 MB peak memory. Each case runs in its own subprocess so the peak resident size
(ru_maxrss) belongs to that case alone; the figure includes the Python interpreter, pandas and
openpyxl (about 100 MB before any work).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/excel_bench.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CASE = r"""
import json, resource, sys, time, tempfile
from pathlib import Path
sys.path.insert(0, {tests!r})
case, out = sys.argv[1], Path(sys.argv[2])
import excel_fixtures as fx
from workforce.excel.workbooks import write_allocation_workbook, write_planner_workbook
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if case == "demo":
    # demo-sized frames (Sandwell scale: 220 workers, 12 quarters x 5 teams)
    kwargs = fx.planner_kwargs(hostile=True)
    kwargs["worker_loads"] = fx.worker_loads(n=220, hostile=True)
    kwargs["risk"] = fx.risk(n=220, hostile=True)
    t = time.perf_counter()
    write_planner_workbook(out, **kwargs)
elif case == "alloc20k":
    kwargs = fx.allocation_kwargs(hostile=True, n=20_000)
    kwargs["worker_loads"] = fx.worker_loads(n=220)
    t = time.perf_counter()
    write_allocation_workbook(out, **kwargs)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"case": case, "seconds": seconds, "peak_mb": peak / 1024, "before_mb": rss0 / 1024,
                  "bytes": out.stat().st_size}}))
"""


def run(case: str, target: float, mem_target: float | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "case.py"
        script.write_text(CASE.format(tests=str(REPO / "tests")))
        out = Path(tmp) / f"{case}.xlsx"
        proc = subprocess.run([sys.executable, str(script), case, str(out)], capture_output=True, text=True,
                              cwd=REPO, timeout=600)
        if proc.returncode:
            raise SystemExit(proc.stderr)
        res = json.loads(proc.stdout.strip().splitlines()[-1])
    ok = res["seconds"] <= target and (mem_target is None or res["peak_mb"] <= mem_target)
    mem = f", peak RSS {res['peak_mb']:.0f} MB (target <= {mem_target:.0f} MB; {res['before_mb']:.0f} MB before writing)" \
        if mem_target else f", peak RSS {res['peak_mb']:.0f} MB"
    print(f"{case:9s} {res['seconds']:.2f} s (target <= {target:.0f} s){mem}, {res['bytes'] / 1e6:.2f} MB file: "
          f"{'OK' if ok else 'OVER TARGET'}")
    return res


if __name__ == "__main__":
    print("timings are noisy on a shared machine; each case runs in a fresh subprocess")
    run("demo", 5.0, None)
    run("alloc20k", 10.0, 500.0)
