"""Tiny random models saved from configs, for tests that need a real model directory.

Nothing is downloaded: weights are random (seeded), the tokenizer is a WordPiece
vocabulary written here.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TINY_WORDS", "make_tiny_bert"]

TINY_WORDS = (
    "the a an and or but not no is are was were be been good great bad terrible awful "
    "wonderful excellent poor best worst movie film plot actor story scene music ending "
    "i you he she it we they this that these those very really quite so too of in on at "
    "to for with by from about as like love hate liked loved boring fun funny sad long "
    "short new old time day night one two three first last more most ##s ##ed ##ing ##ly"
).split()


def make_tiny_bert(path: str | Path) -> Path:
    """Save a 2-layer, 32-wide BertModel and its WordPiece tokenizer to `path`.

    ~100-token vocabulary; `AutoModel`/`AutoTokenizer.from_pretrained(path)` load it offline.
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast  # type: ignore[attr-defined]

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *TINY_WORDS, *".,!?'"]
    vocab_file = path / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # transformers 5: `vocab_file=` is silently ignored by the fast tokenizer; `vocab=` works.
    tokenizer = BertTokenizerFast(vocab=str(vocab_file))
    tokenizer.save_pretrained(path)
    config = BertConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        vocab_size=len(vocab),
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    BertModel(config).eval().save_pretrained(path)
    return path
