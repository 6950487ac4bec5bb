"""Tokenizer files for a synthetic model: a small byte-level BPE in Qwen2's file format.

The vocabulary starts with the 256 byte symbols (so any text round-trips) and adds merges learned
from the texts the model actually sees: the prompts, the system message, the five level words and
the annotation template with the dimension names. Those become a few tokens each, and every level
word (with and without its leading space) becomes exactly one token, as the LM-head score needs.
transformers' slow `Qwen2Tokenizer` loads the files (`use_fast=False`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import regex
from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX, bytes_to_unicode

from humanaes_desktop.engine.model.timm_stand_in import ensure_timm_droppath

# In the order and (for the full preset) at the ids of the real InternVL2-1B tokenizer.
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<img>",
    "</img>",
    "<IMG_CONTEXT>",
    "<quad>",
    "</quad>",
    "<ref>",
    "</ref>",
    "<box>",
    "</box>",
)
REAL_FIRST_SPECIAL_ID = 151643  # <|endoftext|> in Qwen2 / InternVL2-1B

EXTRA_CORPUS = (
    "Please describe the aesthetics of the person in this picture.",
    "The image shows a person; the lighting, the pose and the background are rated.",
)


@dataclass(frozen=True)
class BytePairVocabulary:
    """A trained byte-level BPE: token -> id, and the merges in rank order."""

    vocab: dict[str, int]
    merges: list[tuple[str, str]]


def corpus_texts() -> list[str]:
    """The texts whose words should be compact tokens (taken from the model code templates)."""
    ensure_timm_droppath()  # the templates import timm's DropPath
    from humanaes_desktop.engine.synthetic.model_code.conversation import get_conv_template
    from humanaes_desktop.engine.synthetic.model_code.modeling_internvl_chat import (
        EXPERT_QUESTION,
        LEVEL_WORDS,
        SCORE_QUESTION,
    )
    from humanaes_desktop.engine.synthetic.model_code.modeling_qwen import DIMENSION_NAMES

    template_lines = [
        f"{i + 1}. {name} : {word}"
        for i, name in enumerate(DIMENSION_NAMES)
        for word in LEVEL_WORDS
    ]
    return [
        get_conv_template("Hermes-2").system_message,
        SCORE_QUESTION,
        EXPERT_QUESTION,
        *LEVEL_WORDS,
        "\n".join(template_lines),
        *EXTRA_CORPUS,
    ]


def _pretokenized_words(texts: list[str]) -> Counter[tuple[str, ...]]:
    byte_to_char = bytes_to_unicode()
    words: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        for piece in regex.findall(PRETOKENIZE_REGEX, text):
            symbols = tuple(byte_to_char[b] for b in piece.encode("utf-8"))
            words[symbols] += 1
    return words


def _merge_pair(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    merged: list[str] = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            merged.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            merged.append(symbols[i])
            i += 1
    return tuple(merged)


def train_byte_pair_vocabulary(texts: list[str]) -> BytePairVocabulary:
    """Merge until every pre-tokenized word of `texts` is a single token (deterministic)."""
    byte_to_char = bytes_to_unicode()
    vocab = {byte_to_char[b]: b for b in range(256)}
    merges: list[tuple[str, str]] = []
    words = _pretokenized_words(texts)
    while True:
        pairs: Counter[tuple[str, str]] = Counter()
        for symbols, count in words.items():
            for pair in zip(symbols, symbols[1:], strict=False):
                pairs[pair] += count
        if not pairs:
            break
        # Most frequent first; ties broken by the pair itself so every build is identical.
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merges.append(best)
        vocab.setdefault(best[0] + best[1], len(vocab))
        merged_words: Counter[tuple[str, ...]] = Counter()
        for symbols, count in words.items():
            merged_words[_merge_pair(symbols, best)] += count
        words = merged_words
    return BytePairVocabulary(vocab=vocab, merges=merges)


def special_token_ids(base_vocab_size: int, use_real_ids: bool) -> dict[str, int]:
    """Ids of the special tokens: the real ones (full preset) or right after the BPE vocab."""
    first = REAL_FIRST_SPECIAL_ID if use_real_ids else base_vocab_size
    return {token: first + offset for offset, token in enumerate(SPECIAL_TOKENS)}


def _added_token_entry(token: str) -> dict[str, object]:
    return {
        "content": token,
        "lstrip": False,
        "normalized": False,
        "rstrip": False,
        "single_word": False,
        "special": True,
    }


def write_tokenizer_files(
    out_dir: Path, bpe: BytePairVocabulary, special_ids: dict[str, int]
) -> None:
    """Write vocab.json, merges.txt, added_tokens.json, special_tokens_map.json, tokenizer_config.json."""
    additional = [t for t in SPECIAL_TOKENS if t != "<|endoftext|>"]
    _write_json(out_dir / "vocab.json", bpe.vocab)
    merges_text = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in bpe.merges)
    (out_dir / "merges.txt").write_text(merges_text, encoding="utf-8")
    _write_json(out_dir / "added_tokens.json", special_ids)
    _write_json(
        out_dir / "special_tokens_map.json",
        {
            "additional_special_tokens": additional,
            "eos_token": "<|im_end|>",
            "pad_token": "<|endoftext|>",
        },
    )
    config = {
        "add_prefix_space": False,
        "added_tokens_decoder": {str(i): _added_token_entry(t) for t, i in special_ids.items()},
        "additional_special_tokens": additional,
        "bos_token": None,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 8192,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    _write_json(out_dir / "tokenizer_config.json", config)


def _write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
