"""Try a trained encoder-decoder: type an input like the ones it learnt ("3rd of March 1999", "forty-two",
"hgfedcba") and read the answer it writes, character by character, with how sure it was of each one and,
with attention on, which input characters each answer character looked at."""

from __future__ import annotations

from typing import Any

import torch

from models_lib.kit.tryit import TryItError, TryLimits, text_input
from models_lib.registry import TryIt

from .model import BOS_ID, EOS_ID
from .views import attention_figure, decoded

EXAMPLES = 6
SPECIALS = 4  # <pad>, <s>, </s>, <unk> lead the vocabulary


def _longest_input(data, limits: TryLimits) -> int:
    """Twice the longest training input: the model can read longer ones than it saw, but not by much."""
    return min(limits.max_text_chars, 2 * int(data.X_train.shape[1]))


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    examples = [decoded(x, data.vocab, eos=-1) for x in data.X_test[:EXAMPLES]]
    return {
        "input": "translate",
        "examples": examples,
        "answers": [decoded(y[1:], data.vocab) for y in data.y_test[:EXAMPLES]],
        "characters": "".join(data.vocab[SPECIALS:]),
        "attention": bool(module.config.attention),
        "longest": _longest_input(data, limits),
        "limits": limits.as_dict(),
    }


def _ids(text: str, data) -> list[int]:
    index = {c: i for i, c in enumerate(data.vocab) if i >= SPECIALS}
    unknown = sorted({c for c in text if c not in index})
    if unknown:
        shown = " ".join(repr(c) for c in unknown[:8]) + (" ..." if len(unknown) > 8 else "")
        raise TryItError(
            "text",
            f"uses characters the model never saw ({shown}); use only the characters of its data: "
            + "".join(data.vocab[SPECIALS:]),
        )
    return [index[c] for c in text]


def translate(model, source: torch.Tensor, steps: int):
    """Greedy decoding of one input ``[1, T]``: the answer's ids (up to and with its ``</s>``), each one's
    probability, and the attention rows ``[len, T]`` (None without attention)."""
    memory = model.encode(source)
    h, c = memory["h"], memory["c"]
    prev = torch.full((1,), BOS_ID, dtype=torch.long, device=source.device)
    ids, probs, rows = [], [], []
    for _ in range(steps):
        scores, h, c, w = model.step(prev, h, c, memory)
        p = scores.float().softmax(-1)[0]
        prev = p.argmax()[None]
        ids.append(int(prev))
        probs.append(float(p[prev]))
        if w is not None:
            rows.append(w[0].float())
        if ids[-1] == EOS_ID:
            break
    return ids, probs, (torch.stack(rows).cpu().numpy() if rows else None)


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    longest = _longest_input(data, limits)
    text = text_input(inputs.get("text"), "text", most=longest)
    if not text.strip():
        raise TryItError("text", "is empty; type an input like the examples")
    source = torch.tensor([_ids(text, data)], device=module.device)
    steps = max(int(data.y_train.shape[1]) - 1, len(text) + 2)  # room for the longest answer and its end
    with torch.no_grad():
        ids, probs, weights = translate(module.model, source, steps)
    finished = ids[-1] == EOS_ID
    chars = [data.vocab[i] if i >= SPECIALS else "?" for i in (ids[:-1] if finished else ids)]
    answer = "".join(chars)
    out: dict[str, Any] = {
        "text": text,
        "answer": answer,
        "finished": finished,
        "characters": [{"char": ch, "p": round(p, 4)} for ch, p in zip(chars, probs, strict=False)],
        "end_p": round(probs[-1], 4) if finished else None,
    }
    if weights is not None:
        out["figure"] = attention_figure(
            weights,
            text,
            answer + ("■" if finished else ""),
            "where each answer character looked in your input (dark: most of its attention; ■ the end)",
        )
    return out


TRY_IT = TryIt(describe=describe, run=run)
