"""The thread that runs a model's work off the window's thread, with the machine's cores for torch.

Why not a plain worker thread: torch's CPU operations run on OpenMP (libgomp), which gives every thread that runs
parallel work its own team of helper threads. Once the window's thread has run parallel work too (loading the
models, an encode), there are more helpers than cores and the worker's helpers stop keeping up: measured with the
seed-size dream, a step took 1.4× as long in the window as alone, on 150 % of the two cores instead of 200 %. So the
window's thread runs torch on one thread (no team) from before its first model work to the end of the process, and
the worker gets the cores. torch keeps the count per thread once a thread has used it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

_cores: int | None = None  # torch's threads for this machine, before the window's thread gave its own up


def model_cores() -> int:
    """torch's thread count as the process started with it (all cores, or what the person set)."""
    global _cores
    if _cores is None:
        import torch

        _cores = torch.get_num_threads()
    return _cores


def keep_window_thread_light(cores: int | None = None) -> None:
    """From now on the calling (window) thread runs torch on one thread, and model workers on `cores` (default:
    torch's count before). Call it before the thread's first model work: a team of helpers it made before stays."""
    import torch

    global _cores
    _cores = cores or model_cores()
    torch.set_num_threads(1)
    torch.get_num_threads()  # torch fixes the thread's own count at its first use: now, at one


def model_worker(name: str) -> ThreadPoolExecutor:
    """A one-thread pool whose thread runs torch on `model_cores()` threads, the window's thread on one."""
    import torch

    keep_window_thread_light()
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=name, initializer=torch.set_num_threads,
                              initargs=(model_cores(),))
