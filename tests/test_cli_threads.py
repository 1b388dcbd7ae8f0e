"""The command line runs the numerical libraries on one thread unless the user says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workforce.cli import NUMERIC_THREAD_VARIABLES, one_numeric_thread

REPO = Path(__file__).resolve().parents[1]


def test_unset_thread_variables_are_set_to_one_and_the_users_own_stand():
    environ = {"OPENBLAS_NUM_THREADS": "4", "MKL_NUM_THREADS": ""}
    assert one_numeric_thread(environ) == ["OMP_NUM_THREADS", "MKL_NUM_THREADS"]
    assert environ == {"OPENBLAS_NUM_THREADS": "4", "MKL_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    assert one_numeric_thread(environ) == []  # nothing left unset


def test_the_console_entry_sets_them_before_numpy_loads():
    """`main` runs before any command imports numpy, so OpenBLAS starts with one thread (with its
    default, training the demo's churn model took 28 s on 2 cores against 8 s)."""
    code = ("import sys\n"
            "from workforce import cli\n"
            "assert 'numpy' not in sys.modules\n"
            "sys.argv = ['workforce', '--version']\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "import numpy  # noqa: F401\n"
            "from threadpoolctl import threadpool_info\n"
            "print(max((p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'), default=1))\n")
    env = {k: v for k, v in os.environ.items() if k not in NUMERIC_THREAD_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-1] == "1", proc.stdout
