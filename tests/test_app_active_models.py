"""The active models in the app: the launcher's block, and the Dream opening the active world model."""

from __future__ import annotations

import pytest
from dream_support import write_dream
from models_support import parent_of, write_run
from test_app_helpers import make_app, ticks
from torch_support import one_torch_thread  # noqa: F401 (autouse fixture)

from aria_desktop.app.active_models import active_model_lines
from aria_desktop.app.modes.dream import open_dream
from aria_desktop.errors import AriaError
from trainers.checkpoint import latest_checkpoint
from trainers.models_registry import ActiveModels


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setattr("aria_desktop.paths.DEFAULT_RUNS", tmp_path / "runs")
    monkeypatch.setattr("aria_desktop.paths.ACTIVE_MODELS", tmp_path / "active-models.json")
    return tmp_path


def test_the_launcher_shows_the_active_models_and_their_figures(data_dir):
    runs = data_dir / "runs"
    (vq,) = write_run(runs / "vq", "atari-vqvae", [5], 5, [{"psnr": 31.5}])
    wm = write_run(runs / "wm", "atari-wm", [2, 4], 4, [{"acc_1": 0.80}, {"acc_1": 0.91}], parent_of(vq))
    app = make_app(data_dir, "launcher", game="breakout")
    ticks(app, 1)
    lines = active_model_lines(app)
    assert any(line.startswith("Breakout VQ-VAE: vq") and "PSNR 31.50 dB" in line for line in lines)
    assert any("world model" in line and "step 4" in line and "token acc 91.00%" in line for line in lines)
    ActiveModels(data_dir / "active-models.json").choose(wm[0])
    app.cache.pop("active_models")  # the next scan (every few seconds) sees the choice
    ticks(app, 1)
    assert any("step 2" in line and "token acc 80.00%" in line for line in active_model_lines(app))
    app.close()


def test_without_models_the_launcher_names_the_setup_command(data_dir):
    app = make_app(data_dir, "launcher", game="breakout")
    ticks(app, 1)
    assert active_model_lines(app) == []
    app.close()


def test_a_model_chosen_outside_the_runs_folder_shows_before_that_folder_exists(data_dir):
    (vq,) = write_run(data_dir / "elsewhere" / "vq", "atari-vqvae", [5], 5, [{"psnr": 31.5}])
    ActiveModels(data_dir / "active-models.json").choose(vq)  # e.g. `aria train arc-setup --out elsewhere`
    assert not (data_dir / "runs").exists()
    app = make_app(data_dir, "launcher", game="breakout")
    ticks(app, 1)
    assert any(line.startswith("Breakout VQ-VAE: vq") and "PSNR 31.50 dB" in line for line in active_model_lines(app))
    app.close()


def test_the_dream_opens_the_active_world_model_else_the_newest(data_dir):
    runs = data_dir / "runs"
    older, newer = write_dream(runs / "a"), write_dream(runs / "b")
    assert open_dream().wm_checkpoint.path == latest_checkpoint(newer).resolve()  # nothing chosen: the newest
    ActiveModels(data_dir / "active-models.json").choose(older)
    app = make_app(data_dir, "dream")
    assert app.mode.name == "dream", app.error
    assert app.mode.dream.wm_checkpoint.path == latest_checkpoint(older).resolve()
    app.close()
    (latest_checkpoint(older) / "model.safetensors").write_bytes(b"broken")  # the chosen one is damaged: a sentence
    with pytest.raises(AriaError, match="not a readable safetensors file"):
        open_dream()
