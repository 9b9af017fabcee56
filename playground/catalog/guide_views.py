from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .guide import QUESTIONS, best_trainable, clean_answers, label_note, suggest


def guide(request: HttpRequest) -> HttpResponse:
    answers, ignored = clean_answers(request.GET.get("data"), request.GET.get("labels"), request.GET.get("goal"))
    answered = any(answers.values())
    questions = [
        {"name": name, "legend": legend, "choices": choices, "selected": answers[name]}
        for name, legend, choices in QUESTIONS
    ]
    return render(
        request,
        "catalog/guide.html",
        {
            "questions": questions,
            "answers": answers,
            "answered": answered,
            "ignored": ignored,
            "suggestions": suggest(**answers) if answered else [],
            "best_trainable": best_trainable(**answers) if answered else None,
            "label_note": label_note(**answers),
        },
    )
