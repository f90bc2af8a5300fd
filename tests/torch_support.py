"""For the torch model tests: one torch thread per test process (pytest -n 2 already fills both cores, and
two intra-op threads per worker on a shared 2-core machine spend their time waiting for each other)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
