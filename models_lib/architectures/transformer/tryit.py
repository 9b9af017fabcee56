"""Try a trained transformer. Pairs: type an input (a date, say), read the greedy answer and where every
layer's and head's cross-attention looked for each of its characters. Text: a seed to write on from, with a
temperature and top-k, and the next character's probabilities (the recurrent language model's panel)."""

from __future__ import annotations

from typing import Any

import torch

from models_lib.architectures.rnn.tryit import TEMPERATURE, _char_name
from models_lib.data.tensors import UNK
from models_lib.kit.tryit import TryItError, TryLimits, class_probabilities, integer, number, text_input
from models_lib.registry import TryIt

from .model import BOS_ID, EOS_ID
from .views import decoded, heads_figure

EXAMPLES = 5
SHOWN_CHARS = 60  # characters of the text whose attention is drawn


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    c = module.config
    if module.task == "classify":
        return {
            "input": "label_text",
            "examples": [" ".join(module.vocab[i] for i in x.tolist() if i) for x in data.X_test[:EXAMPLES]],
            "class_names": list(data.class_names),
            "limits": limits.as_dict(),
        }
    if module.task == "translate":
        return {
            "input": "translate",
            "examples": [decoded(x, module.vocab, eos=-1) for x in data.X_test[:EXAMPLES]],
            "answers": [decoded(y[1:], module.vocab) for y in data.y_test[:EXAMPLES]],
            "characters": "".join(module.vocab[4:]),
            "attention": True,
            "longest": min(limits.max_text_chars, int(module.model.length)),
            "limits": limits.as_dict(),
        }
    return {
        "input": "text",
        "vocab": list(module.vocab),
        "example": "".join(module.vocab[i] for i in module.test_ids[:40].tolist()),
        "temperature": c.temperature,
        "temperature_range": list(TEMPERATURE),
        "top_k": c.top_k,
        "length": min(200, limits.max_generate_chars),
    }


def _ids(text: str, vocab: list[str], field: str, lowest: int) -> list[int]:
    index = {ch: i for i, ch in enumerate(vocab) if i >= lowest}
    unknown = sorted({ch for ch in text if ch not in index})
    if unknown:
        shown = " ".join(repr(ch) for ch in unknown[:8])
        raise TryItError(field, f"uses characters the model never saw ({shown}); use only characters of its data")
    return [index[ch] for ch in text]


def _translate(module, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    model, vocab = module.model, module.vocab
    longest = int(model.length)
    text = text_input(inputs.get("text"), "text", most=min(limits.max_text_chars, longest))
    src = torch.tensor([_ids(text, vocab, "text", 4)], device=module.device)
    layers = [layer.cross for layer in model.decoder]
    with torch.no_grad():
        chars = model.greedy(src, longest - 1)
        answer = decoded(chars[0], vocab)
        n_out = min(len(answer) + 1, chars.shape[1])
        fed = torch.cat([torch.full((1, 1), BOS_ID, device=src.device), chars[:, : n_out - 1]], 1)
        for layer in layers:
            layer.keep = True
        try:
            scores = model(src, fed)[0].float()
        finally:
            for layer in layers:
                layer.keep = False
    weights = torch.stack([layer.weights[0] for layer in layers]).float().cpu().numpy()
    sure = scores.softmax(-1).max(-1).values.cpu().tolist()
    finished = bool((chars[0] == EOS_ID).any())
    return {  # as the encoder-decoder's try-it answers (the page draws both alike)
        "text": text,
        "answer": answer,
        "finished": finished,
        "characters": [{"char": ch, "p": round(float(p), 4)} for ch, p in zip(answer, sure, strict=False)],
        "end_p": round(float(sure[len(answer)]), 4) if finished and len(sure) > len(answer) else None,
        "figure": heads_figure(
            weights, list(answer) + ["■"], list(text), "where each answer character looks, per layer and head"
        ),
        "layers": len(layers),
        "heads": int(layers[0].heads),
    }


def _write(module, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    c = module.config
    seed = text_input(inputs.get("seed"), "seed", most=limits.max_text_chars)
    temperature = number(
        inputs.get("temperature", c.temperature), "temperature", low=TEMPERATURE[0], high=TEMPERATURE[1]
    )
    top_k = integer(inputs.get("top_k"), "top_k", low=0, high=len(module.vocab), default=c.top_k)
    length = integer(inputs.get("length"), "length", low=1, high=limits.max_generate_chars, default=200)
    sample_seed = integer(inputs.get("sample_seed"), "sample_seed", low=0, high=2**31 - 1, default=0)
    prompt = torch.tensor(_ids(seed, module.vocab, "seed", 0), device=module.device)
    generator = torch.Generator(device=module.device).manual_seed(sample_seed)
    with torch.no_grad():
        scores = module.model(prompt[None, -module.model.length :])[0, -1].float()
        ids = module.model.generate(prompt, length, temperature, top_k, generator).tolist()
    written = "".join(module.vocab[i] for i in ids)
    nxt = class_probabilities(scores / temperature, [_char_name(v) for v in module.vocab], limits.top_k)
    return {
        "seed": seed,
        "generated": written,
        "text": seed + written,
        "temperature": temperature,
        "top_k": top_k,
        "next": nxt,
    }


def _classify(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    from models_lib.data.ingest.result import _WORD  # the words as the upload was split into them

    text = text_input(inputs.get("text"), "text", most=limits.max_text_chars)
    index = {w: i for i, w in enumerate(module.vocab)}
    words = _WORD.findall(text.lower())[: module.model.length]
    if not words:
        raise TryItError("text", "has no words; type a sentence")
    ids = torch.tensor([[index.get(w, index[UNK]) for w in words]], device=module.device)
    layers = [layer.attention for layer in module.model.encoder]
    with torch.no_grad():
        for layer in layers:
            layer.keep = True
        try:
            scores = module.model(ids)[0].float()
        finally:
            for layer in layers:
                layer.keep = False
    weights = torch.stack([layer.weights[0] for layer in layers]).float().cpu().numpy()
    names = list(data.class_names)
    shown = [w if index.get(w) is not None else f"{w}?" for w in words]
    return {
        "class": names[int(scores.argmax())],
        "probabilities": class_probabilities(scores, names, limits.top_k),
        "unknown": [w for w in words if w not in index],
        "figure": heads_figure(weights, shown, shown, "each word (down) against every word (across)"),
        "layers": len(layers),
        "heads": int(layers[0].heads),
    }


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    if module.task == "classify":
        return _classify(module, data, inputs, limits)
    return (_translate if module.task == "translate" else _write)(module, inputs, limits)


TRY_IT = TryIt(describe=describe, run=run)
