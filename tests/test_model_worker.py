"""The model worker gets torch's cores and the window's thread keeps one (session/model_worker.py says why).
In a fresh interpreter: the thread counts are per process and per thread, and the test must not change this one's."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import torch
torch.set_num_threads(2)
from aria_desktop.session.model_worker import model_worker
worker = model_worker("test")
x = torch.randn(512, 512) @ torch.randn(512, 512)  # the window thread's own work after the worker started
print(torch.get_num_threads(), worker.submit(torch.get_num_threads).result(), torch.get_num_threads())
worker.shutdown()
"""


def test_the_model_worker_runs_torch_on_the_cores_and_the_window_thread_on_one():
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # the window's thread stays at one even after the worker set its own count to two
    assert done.stdout.split() == ["1", "2", "1"]
