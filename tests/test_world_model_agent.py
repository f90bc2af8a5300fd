"""The world-model agent: batched candidate scoring, play through the session runner, checkpoint sentences, bench."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from atari_support import one_thread  # noqa: F401 - fixture
from test_arc_train import _one_line_error, aria, trained  # noqa: F401 - the trained tiny models, reused

import aria_desktop.paths
from aria_desktop.agents import make_agent
from aria_desktop.agents.world_model_agent import (
    TRAIN_COMMAND,
    WorldModelAgent,
    WorldModelAgentConfig,
)
from aria_desktop.errors import AriaError
from aria_desktop.games.catalog import open_game
from aria_desktop.games.game import Action
from aria_desktop.session import AGENT, EpisodeRunner
from models.arc_agent_scoring import Candidate, ContextScorer, inference_threads
from models.arc_game_transformer import CLICK, ArcGameTransformer, ArcGameTransformerConfig
from models.arc_vqvae import ArcVQVAE, ArcVQVAEConfig

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def model() -> ArcGameTransformer:
    torch.manual_seed(0)
    m = ArcGameTransformer(ArcGameTransformerConfig.tiny()).eval()
    with torch.no_grad():  # untrained new rows are all alike: give them distinct values so scores differ
        for p in m.trainable_parameters():
            p.normal_(0.0, 0.3)
    return m


def _history(model: ArcGameTransformer, steps: int, seed: int = 0) -> list[int]:
    v, rng = model.vocab, np.random.default_rng(seed)
    out = [v.game_start]
    for _ in range(steps):
        out += v.step(rng.integers(0, v.n_codes, 64), int(rng.integers(1, 6)), None, bool(rng.random() < 0.2))
    return out + v.frame_tokens(rng.integers(0, v.n_codes, 64)) + [v.act]


def test_batched_scores_equal_one_at_a_time(model: ArcGameTransformer) -> None:
    scorer = ContextScorer(model)
    scorer.extend(_history(model, 4))
    candidates = [Candidate(a) for a in range(1, 6)] + [Candidate(CLICK, (3, 60)), Candidate(CLICK, (40, 7))]
    batched, single = scorer.score(candidates), scorer.score(candidates, batched=False)
    torch.testing.assert_close(batched.level, single.level, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(batched.policy_log, single.policy_log, rtol=1e-4, atol=1e-4)
    assert batched.level.std() > 1e-3  # the candidates are told apart, so equality is not trivial
    assert abs(float(batched.policy.sum()) - 1.0) < 1e-5
    # The same numbers from the whole sequence recomputed without a cache.
    v = model.vocab
    for i, c in enumerate(candidates):
        suffix = [v.action0 + c.action] + ([v.x0 + c.xy[0], v.y0 + c.xy[1]] if c.xy else [])
        ids = torch.tensor([scorer.tokens + suffix])
        with torch.no_grad():
            logp = model.lm(input_ids=ids).logits[0].float().log_softmax(-1)
        n = len(scorer.tokens)
        want = sum(float(logp[n - 1 + j, t]) for j, t in enumerate(suffix))
        end = logp[-1]
        assert abs(float(batched.policy_log[i]) - want) < 1e-3
        assert abs(float(batched.level[i]) - float(torch.sigmoid(end[v.level_complete] - end[v.frame]))) < 1e-4


def test_a_large_model_runs_on_the_cores_given_not_the_calling_threads(model: ArcGameTransformer) -> None:
    n = sum(p.numel() for p in model.parameters())
    assert inference_threads(model, cores=2, small=n + 1) == 1  # small: one thread
    assert inference_threads(model, cores=2, small=n) == 2  # large: the cores (the window's thread may have one)


def test_context_keeps_a_window_and_the_cache_matches_a_recompute(model: ArcGameTransformer) -> None:
    scorer = ContextScorer(model, context=300)
    history = _history(model, 8)
    logps = [scorer.extend(history[i : i + 67]) for i in range(0, len(history), 67)]
    assert len(scorer.tokens) <= 300 and scorer.tokens == history[-len(scorer.tokens) :]
    assert scorer.tokens[0] == model.vocab.frame  # trimmed at a step boundary
    with torch.no_grad():
        full = model.lm(input_ids=torch.tensor([scorer.tokens])).logits[0].float().log_softmax(-1)
    want = full[:-1].gather(1, torch.tensor(scorer.tokens[1:])[:, None])[:, 0]
    torch.testing.assert_close(logps[-1], want[-len(logps[-1]) :], rtol=1e-4, atol=1e-4)


def _agent(model: ArcGameTransformer, trained_games: tuple[str, ...] = (), **cfg) -> WorldModelAgent:
    return WorldModelAgent(model, ArcVQVAE(ArcVQVAEConfig.tiny()), WorldModelAgentConfig(**cfg), trained_games)


def _play(agent: WorldModelAgent, game, budget: int) -> list[tuple[str, int]]:
    """(branch, levels completed) per step, until the first level is done or the budget is spent."""
    agent.reset(game)
    trace = []
    for _ in range(budget):
        choice = agent.act(game)
        game.step(choice.action, choice.xy)
        trace.append((agent.insight().branch, int(game.info["levels_completed"])))
        if trace[-1][1] >= 1:
            break
    return trace


def test_on_a_game_it_does_not_know_the_explorer_acts_and_completes_a_level(model: ArcGameTransformer) -> None:
    agent = _agent(model, trained_games=("gems",), goal_threshold=2.0)  # no goal can be confident here
    trace = _play(agent, open_game("maze"), budget=150)
    assert trace[-1][1] == 1, f"no level in {len(trace)} actions"
    assert all(branch.startswith("explore (new game)") for branch, _ in trace), {b for b, _ in trace}
    assert any("maze is new to this model" in line for line in agent.report())


def test_a_confident_goal_candidate_overrides_the_explorer_once_per_frame(model: ArcGameTransformer) -> None:
    game = open_game("maze")
    agent = _agent(model)
    agent.reset(game)
    real_score = agent.scorer.score

    def down_completes(candidates, batched=True):  # the model's scores, with DOWN made a sure level completion
        scores = real_score(candidates, batched)
        scores.level[:] = 0.01
        scores.level[[c.action for c in candidates].index(2)] = 0.9
        return scores

    agent.scorer.score = down_completes
    first = agent.act(game)
    assert first.action == 2 and agent.insight().branch == "goal"
    assert agent.insight().goal["DOWN"] == pytest.approx(0.9)
    # DOWN did not complete the level from this frame: there it is not a goal any more, the explorer goes on.
    second = agent.act(game)
    assert agent.insight().branch.startswith("explore")
    assert agent.explorer.n_states >= 1 and second is not None


def test_the_explorer_graph_holds_the_moves_the_model_chose(model: ArcGameTransformer) -> None:
    game = open_game("maze")
    agent = _agent(model, trained_games=("maze",), policy_confidence=0.0, goal_threshold=2.0)  # policy: every move
    agent.reset(game)
    chosen = []
    for _ in range(12):
        choice = agent.act(game)
        assert agent.insight().branch == "policy"
        chosen.append(choice)
        game.step(choice.action, choice.xy)
    agent.act(game)  # the last move's outcome is read with the next frame
    explorer = agent.explorer
    assert [t.choice for t in explorer.log] == chosen
    edges = {c for node in explorer.nodes.values() for c in node.edges}
    assert edges == set(chosen)


def test_a_choice_that_changed_nothing_is_not_repeated_in_that_frame(model: ArcGameTransformer) -> None:
    """A frame that never changes (walls all round): the policy tries each move once before any again."""
    frame = np.zeros((64, 64), np.uint8)
    frame[30:33, 30:33] = 4
    game = SimpleNamespace(id="walls", frame=frame, info={"levels_completed": 0, "state": "NOT_FINISHED"},
                           actions=[Action(i, f"ACTION{i}", name) for i, name in enumerate(["reset", "up", "down", "left", "right"])])
    game.actions[0] = Action(0, "RESET", "reset", resets=True)
    agent = _agent(model, trained_games=("walls",), goal_threshold=2.0, surprise_ratio=float("inf"),
                   policy_confidence=0.0, temperature=0.0)
    agent.reset(game)
    chosen = [agent.act(game).action for _ in range(4)]
    assert sorted(chosen) == [1, 2, 3, 4], chosen
    assert {agent.insight().branch} == {"policy"}


@pytest.fixture
def runs(trained: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:  # noqa: F811
    """A runs folder holding the trained tiny world model, as the default place agents look."""
    folder = tmp_path / "runs"
    folder.mkdir()
    shutil.copytree(trained["wm"], folder / "arc-world-model")
    monkeypatch.setattr(aria_desktop.paths, "DEFAULT_RUNS", folder)
    return folder


@pytest.mark.parametrize("game_id", ["maze", "lamp"])  # keys, and clicks
def test_agent_plays_through_the_session_runner_and_fills_insight(runs: Path, game_id: str) -> None:
    game = open_game(game_id, seed=5)
    runner = EpisodeRunner(game, 5, "world-model", controller=AGENT, max_steps=12)
    try:
        agent = runner.ensure_agent()
        assert isinstance(agent, WorldModelAgent)
        branches = set()
        for _ in range(12):
            if runner.episode.done:
                runner.next_episode()
            result = runner.agent_step()
            insight = agent.insight()
            assert result is not None and insight is not None and insight.chosen is not None
            assert insight.chosen.action == result.action
            branches.add(insight.branch)
            if insight.branch != "reset":
                assert insight.goal and all(0.0 <= p <= 1.0 for p in insight.goal.values())
        assert insight.surprise is not None and np.isfinite(insight.surprise)
        assert {b.split(" ")[0] for b in branches} <= {"goal", "policy", "explore", "reset"}
        if game_id == "lamp":  # a click game: its candidates are positions on the frame
            assert insight.clicks and all(0 <= x < 64 and 0 <= y < 64 for x, y in insight.clicks)
        assert agent.report()
    finally:
        runner.close()
        game.close()


def test_eval_agent_world_model(runs: Path) -> None:
    code, out = aria("eval", "agent", "--game", "maze", "--agent", "world-model", "--max-actions", 15, "--json")
    assert code == 0, out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["agent"] == "world-model" and result["games"][0]["episodes"][0]["actions"] <= 15


def _edit(run: Path, change) -> None:
    for meta in run.glob("checkpoints/*/checkpoint.json"):
        data = json.loads(meta.read_text())
        change(data)
        meta.write_text(json.dumps(data))


def test_checkpoint_problems_are_one_sentence(trained: dict[str, Path], tmp_path: Path,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(checkpoint: Path | None, fragment: str) -> None:
        extra = ["--checkpoint", checkpoint] if checkpoint is not None else []
        _one_line_error(*aria("eval", "agent", "--game", "maze", "--agent", "world-model", *extra), fragment)

    monkeypatch.setattr(aria_desktop.paths, "DEFAULT_RUNS", tmp_path / "empty")
    refused(None, f"train one with `{TRAIN_COMMAND}`")
    refused(trained["vq"], "is a arc-vqvae checkpoint, not arc-world-model")
    # The VQ-VAE it names is another run's.
    other_vq = tmp_path / "other-vq"
    code, out = aria("train", "arc-vqvae", "--data", trained["data"], "--out", other_vq, "--steps", 1, "--batch-size", 2,
                     "--device", "cpu")  # fmt: skip
    assert code == 0, out
    swapped = tmp_path / "swapped"
    shutil.copytree(trained["wm"], swapped)
    _edit(swapped, lambda d: d["parents"]["vqvae"].update(path=str(other_vq.resolve())))
    refused(swapped, "is not the vqvae that")
    # Another vocabulary: the adapters' new rows do not fit.
    vocab = tmp_path / "vocab"
    shutil.copytree(trained["wm"], vocab)
    _edit(vocab, lambda d: d["config"]["model"].update(n_xy=32))
    refused(vocab, "another vocabulary")
    # A game whose actions the model has no tokens for.
    wide = SimpleNamespace(id="wide", kind=None, frame=np.zeros((64, 64), np.uint8),
                           actions=[Action(1, "ACTION1", "up"), Action(9, "ACTION9", "jump")])
    with pytest.raises(AriaError, match=r"offers action ACTION9, which the world model .* has no token for"):
        make_agent("world-model", wide, checkpoint=trained["wm"])


def test_bench_agent_prints_both_figures() -> None:
    code, out = aria("bench", "agent", "--preset", "tiny", "--decisions", 2, "--clicks", 2, "--threads", 1)
    assert code == 0, out
    text = " ".join(out.split())
    rows = [line for line in out.splitlines() if line.startswith("│") and line.lstrip("│ ").startswith(("batched", "one at"))]
    assert len(rows) == 2 and all(len(re.findall(r"\d+\.\d+", row)) == 4 for row in rows), out
    assert "faster than one at a time" in text and "largest difference between their scores" in text


def test_a_better_checkpoint_takes_over_between_decisions_and_the_episode_goes_on(runs: Path) -> None:
    from trainers.checkpoint import step_folder
    from trainers.models_registry import CheckpointWatcher

    game = open_game("maze", seed=5)
    try:
        agent = make_agent("world-model", game, seed=5)
        agent.reset(game)
        agent.act(game)
        old = agent.checkpoint
        assert old is not None and agent.model_label.startswith("arc-world-model step-")
        agent.watcher = CheckpointWatcher("arc-world-model", old, roots=[old.parent.parent], interval=0.0)
        game.step(agent.act(game).action)  # no better one yet: the same model decides
        assert agent.checkpoint == old
        meta = json.loads((old / "checkpoint.json").read_text())
        new = step_folder(old.parent.parent, meta["step"] + 1)  # the run trained on and wrote a newer one
        shutil.copytree(old, new)
        meta.update(step=meta["step"] + 1, id="f" * 32, created="2999-01-01T00:00:00+00:00")
        (new / "checkpoint.json").write_text(json.dumps(meta))
        context = list(agent.scorer.tokens)
        agent.act(game)
        assert agent.checkpoint == new.resolve() and agent.model_label.endswith(new.name)
        assert agent.scorer.tokens[:len(context)] == context  # the new model read the episode so far
    finally:
        game.close()
