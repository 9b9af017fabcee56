"""Try trained word vectors: type one word for its nearest neighbours (FastText answers a word it never saw,
from its pieces), or three ("man king woman": man is to king as woman is to ?) for an analogy; the
ELMo-style model also takes a sentence and a word of it, and says how its vector there compares with the
same word in the other sentence."""

from __future__ import annotations

from typing import Any

import torch

from models_lib.kit.tryit import TryItError, TryLimits, text_input
from models_lib.registry import TryIt

from .corpus import WORD
from .training import analogy_answers

EXAMPLES = 4


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    words = module.corpus.words
    examples = [" ".join(q[:3]) for q in module.questions[:EXAMPLES]] or words[10 : 10 + EXAMPLES]
    return {
        "input": "words",
        "method": module.config.method,
        "unseen_words": module.config.method == "fasttext",
        "examples": [words[i] for i in module.query_words()[:2]] + examples,
        "vocab_size": len(words),
        "limits": limits.as_dict(),
    }


def _vector(module, word: str) -> tuple[torch.Tensor, bool]:
    index = module.corpus.index
    if word in index:
        return module.model.vectors()[index[word]], True
    if module.config.method == "fasttext":
        return module.model.unseen([word])[0], False
    raise TryItError("text", f"'{word}' is not a word the vectors learnt (it was not in the text)")


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    text = text_input(inputs.get("text"), "text", most=limits.max_text_chars)
    words = [w for w in WORD.findall(text.lower()) if w not in ".!?"]
    if not words:
        raise TryItError("text", "type a word, or three for an analogy (man king woman)")
    with torch.no_grad():
        if len(words) == 1:
            vector, known = _vector(module, words[0])
            exclude = [module.corpus.index[words[0]]] if known else []
            return {
                "word": words[0],
                "known": known,
                "neighbours": [{"word": w, "cosine": s} for w, s in module.neighbours(vector, exclude=exclude)],
            }
        if len(words) == 3:
            missing = [w for w in words if w not in module.corpus.index]
            if missing:
                raise TryItError("text", f"'{missing[0]}' is not a word the vectors learnt (it was not in the text)")
            ids = torch.tensor([[module.corpus.index[w] for w in words]], device=module.model.vectors().device)
            vectors = module.model.vectors()
            unit = vectors.float() / vectors.float().norm(dim=1, keepdim=True).clamp(min=1e-8)
            target = unit[ids[0, 1]] - unit[ids[0, 0]] + unit[ids[0, 2]]
            answer = int(analogy_answers(vectors, ids)[0])
            return {
                "analogy": words,
                "answer": module.corpus.words[answer],
                "candidates": [{"word": w, "cosine": s} for w, s in module.neighbours(target, exclude=ids[0].tolist())],
            }
    raise TryItError("text", f"type one word or three, not {len(words)}")


TRY_IT = TryIt(describe, run)
