"""The model registry (trainers/models_registry.py) and `aria models list / use`."""

from __future__ import annotations

import json

import pytest
from models_support import parent_of, write_run
from typer.testing import CliRunner

from aria_desktop.cli import app as cli_app
from trainers.models_registry import (
    ActiveModels,
    CheckpointWatcher,
    RegistryError,
    better_checkpoint,
    find_checkpoints,
    models_overview,
)


@pytest.fixture
def runs(tmp_path):
    """A VQ-VAE run, a finished world-model run on it and a world-model run still going."""
    root = tmp_path / "runs"
    (vq,) = write_run(root / "vq", "atari-vqvae", [5], 5, [{"psnr": 31.5, "codebook_usage": 0.5}])
    wm = write_run(root / "wm", "atari-wm", [2, 4], 4, [{"acc_1": 0.80}, {"acc_1": 0.91}], parent_of(vq))
    going = write_run(root / "group" / "wm2", "atari-wm", [3], 10, [{"acc_1": 0.85}], parent_of(vq), done=False)
    return {"root": root, "vq": vq, "wm": wm, "going": going[0]}


def test_the_registry_finds_every_checkpoint_with_its_facts_and_figures(runs):
    entries, problems = find_checkpoints(runs["root"])
    assert problems == []
    by_path = {e.path: e for e in entries}
    assert set(by_path) == {runs["vq"], *runs["wm"], runs["going"]}
    vq, wm = by_path[runs["vq"]], by_path[runs["wm"][1]]
    assert (vq.kind, vq.games, vq.episodes, vq.data_steps, vq.step, vq.total_steps) == ("atari-vqvae", ["breakout"], 3, 120, 5, 5)
    assert vq.headline == 31.5 and vq.headline_text == "PSNR 31.50 dB" and vq.finished
    assert wm.headline_text == "token acc 91.00%" and wm.finished and wm.parents == {"vqvae": vq.id}
    assert not by_path[runs["wm"][0]].finished and not by_path[runs["going"]].finished
    assert by_path[runs["going"]].total_steps == 10


def test_figures_come_from_the_run_events_when_the_checkpoint_has_none(tmp_path):
    (ckpt,) = write_run(tmp_path / "arc", "arc-vqvae", [7], 7, [{}])
    events = tmp_path / "arc" / "events.jsonl"
    events.write_text(events.read_text() + json.dumps({"event": "eval", "step": 7, "metrics": {"pixel_accuracy": 0.9991}}) + "\n")
    (entry,), _ = find_checkpoints(tmp_path)
    assert entry.headline_text == "pixel acc 99.91%"


def test_the_default_active_is_the_newest_finished_and_a_choice_wins(runs, tmp_path):
    file = tmp_path / "data" / "active.json"
    overview = models_overview(runs["root"], file)
    assert overview.active["atari-wm"].path == runs["wm"][1]  # the running one is newer but not finished
    assert overview.active["atari-vqvae"].path == runs["vq"]
    ActiveModels(file).choose(runs["going"])
    overview = models_overview(runs["root"], file)
    assert overview.active["atari-wm"].path == runs["going"]
    assert [e.path for e in overview.entries if e.active and e.kind == "atari-wm"] == [runs["going"]]
    runs["going"].joinpath("checkpoint.json").write_text("{broken")  # the choice is damaged: defaults, and a sentence
    overview = models_overview(runs["root"], file)
    assert overview.active["atari-wm"].path == runs["wm"][1]
    assert any("active atari-wm" in p and "aria models use" in p for p in overview.problems)


def test_a_better_checkpoint_is_newer_of_the_same_lineage_and_not_worse(runs, tmp_path):
    entries, _ = find_checkpoints(runs["root"])
    first = next(e for e in entries if e.path == runs["wm"][0])
    assert better_checkpoint(first, entries).path == runs["wm"][1]  # 0.91 (newest, 0.85 is older than it)
    best = next(e for e in entries if e.path == runs["wm"][1])
    assert better_checkpoint(best, entries) is None  # 0.85 of the other run is older and worse
    (other_vq,) = write_run(tmp_path / "runs" / "vq2", "atari-vqvae", [5], 5, [{"psnr": 40.0}])
    write_run(tmp_path / "runs" / "wm3", "atari-wm", [9], 9, [{"acc_1": 0.99}], parent_of(other_vq))
    write_run(tmp_path / "runs" / "wm4", "atari-wm", [9], 9, [{"acc_1": 0.50}], parent_of(runs["vq"]))
    assert better_checkpoint(best, find_checkpoints(runs["root"])[0]) is None  # another VQ-VAE; worse


def test_the_watcher_answers_once_per_better_checkpoint_and_at_its_pace(runs):
    now = [0.0]
    watcher = CheckpointWatcher("atari-wm", runs["wm"][1], roots=[runs["root"]], interval=5.0, clock=lambda: now[0])
    assert not watcher.due() and watcher.poll() is None
    (newer,) = write_run(runs["root"] / "wm5", "atari-wm", [6], 6, [{"acc_1": 0.93}], parent_of(runs["vq"]))
    assert watcher.poll() is None  # not due yet: no scan
    now[0] = 5.0
    assert watcher.due() and watcher.poll() == newer and watcher.current.path == newer
    now[0] = 10.0
    assert watcher.poll() is None
    with pytest.raises(RegistryError, match="not atari-vqvae"):
        CheckpointWatcher("atari-vqvae", newer)


def aria(*args):
    result = CliRunner().invoke(cli_app, [str(a) for a in args], env={"COLUMNS": "240"})
    return result.exit_code, result.output


def test_models_use_then_list_shows_it_active(runs, tmp_path, monkeypatch):
    monkeypatch.setattr("aria_desktop.paths.ACTIVE_MODELS", tmp_path / "active-models.json")
    monkeypatch.setattr("aria_desktop.paths.DEFAULT_RUNS", runs["root"])
    code, out = aria("models", "list", "--json")
    assert code == 0, out
    active = {e["path"] for e in json.loads(out) if e["active"]}
    assert active == {str(runs["vq"]), str(runs["wm"][1])}
    code, out = aria("models", "use", runs["going"].parent.parent)  # a run folder: its newest checkpoint
    assert code == 0 and "Active atari-wm" in out, out
    code, out = aria("models", "list", runs["root"], "--json")
    assert {e["path"] for e in json.loads(out) if e["active"]} == {str(runs["vq"]), str(runs["going"])}
    code, out = aria("models", "list")
    row = next(line for line in out.splitlines() if "wm2" in line)
    assert code == 0 and "●" in row and "atari-wm" in row and "token acc 85.00%" in row and "3/10" in row
    vq_id = next(e["id"] for e in json.loads(aria("models", "list", "--json")[1]) if e["kind"] == "atari-vqvae")
    code, out = aria("models", "use", vq_id[:8])  # an id prefix
    assert code == 0 and "Active atari-vqvae" in out


def test_bad_input_is_one_sentence_and_fails(tmp_path, monkeypatch):
    monkeypatch.setattr("aria_desktop.paths.ACTIVE_MODELS", tmp_path / "active-models.json")
    monkeypatch.setattr("aria_desktop.paths.DEFAULT_RUNS", tmp_path / "no-runs")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "checkpoint.json").write_bytes(b"\x00\xffnot json")
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("hello")
    cases = [
        (("models", "list"), "no checkpoints yet"),
        (("models", "list", tmp_path / "missing"), "does not exist"),
        (("models", "list", tmp_path / "file.txt"), "is a file"),
        (("models", "list", tmp_path / "empty"), "no checkpoints"),
        (("models", "list", damaged), "not valid JSON"),
        (("models", "use", damaged), "not valid JSON"),
        (("models", "use", tmp_path / "empty"), "holds no checkpoint"),
        (("models", "use", "deadbeef"), "does not exist"),
    ]
    for args, words in cases:
        code, out = aria(*args)
        lines = out.strip().splitlines()
        assert code != 0 and len(lines) == 1 and lines[0].startswith("Error:") and words in out, (args, out)
    assert not (tmp_path / "active-models.json").exists()


def test_a_damaged_checkpoint_in_a_runs_folder_is_named_and_the_others_listed(runs):
    meta = runs["vq"] / "checkpoint.json"
    meta.write_text(meta.read_text().replace('"step": 5', '"step": "five"'))
    (runs["wm"][0] / "model.safetensors").unlink()
    entries, problems = find_checkpoints(runs["root"])
    assert {e.path for e in entries} == {runs["wm"][1], runs["going"]}
    assert len(problems) == 2 and any("wrong type" in p for p in problems) and any("incomplete" in p for p in problems)
    code, out = aria("models", "list", runs["root"])
    assert code == 0 and out.count("Skipped:") == 2
