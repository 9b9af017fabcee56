from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .guide import QUESTIONS, clean_answers, label_note, suggest


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
            "label_note": label_note(**answers),
        },
    )
