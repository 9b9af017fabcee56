"""The time column of a series: reading a column of dates (one format per column), writing times
back as text, and finding the steps a regular series lacks (missing days, hours, months...)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

__all__ = ["DateReader", "any_date", "date_reader", "describe_times", "time_labels"]

DAY = 86_400
# Every format below starts with three groups of digits split by - / or . (a cheap first look).
_LOOKS_LIKE_A_DATE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
# Written the way people write dates; day-first before month-first (a tie is settled by the order of the rows).
_FORMATS = (
    ("%d/%m/%Y", "day/month/year"),
    ("%m/%d/%Y", "month/day/year"),
    ("%d.%m.%Y", "day.month.year"),
    ("%d-%m-%Y", "day-month-year"),
    ("%m-%d-%Y", "month-day-year"),
    ("%Y/%m/%d", "year/month/day"),
    ("%d/%m/%Y %H:%M", "day/month/year hour:minute"),
    ("%m/%d/%Y %H:%M", "month/day/year hour:minute"),
    ("%d/%m/%Y %H:%M:%S", "day/month/year hour:minute:second"),
    ("%m/%d/%Y %H:%M:%S", "month/day/year hour:minute:second"),
    ("%Y/%m/%d %H:%M", "year/month/day hour:minute"),
    ("%Y/%m/%d %H:%M:%S", "year/month/day hour:minute:second"),
)


def _stamp(dt: datetime) -> float:
    return (dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)).timestamp()


def _iso(cell: str) -> float | None:
    text = cell.strip()
    # 20240131 would pass as an ISO date, but a column of such numbers is numbers.
    if len(text) < 7 or not text[0].isdigit() or "-" not in text[:8]:
        return None
    try:
        return _stamp(datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text))
    except ValueError:
        return None


def _strptime(fmt: str) -> Callable[[str], float | None]:
    def read(cell: str) -> float | None:
        try:
            return _stamp(datetime.strptime(cell.strip(), fmt))
        except ValueError:
            return None

    return read


@dataclass(frozen=True)
class DateReader:
    """Reads one column's cells as UTC timestamps (seconds), in the one format found for the column."""

    read: Callable[[str], float | None]
    format: str  # in words: "ISO dates (2024-01-31)", "day/month/year"

    def __call__(self, cell: str) -> float | None:
        return self.read(cell)


_ISO = DateReader(_iso, "dates like 2024-01-31 or 2024-01-31 12:00")
_CANDIDATES = [_ISO] + [DateReader(_strptime(fmt), words) for fmt, words in _FORMATS]


def _disorder(values: list[float]) -> tuple[int, int]:
    """How far from a tidy series: (times going backwards, different steps between rows)."""
    d = np.diff(np.asarray(values, dtype=np.float64))
    return int(np.count_nonzero(d < 0)), len(np.unique(d))


def _reads(reader: DateReader, cells: Sequence[str], allowed: int) -> list[float] | None:
    """The times ``reader`` reads from ``cells``, or None once more than ``allowed`` cells fail."""
    values, failed = [], 0
    for cell in cells:
        value = reader(cell)
        if value is None:
            failed += 1
            if failed > allowed:
                return None
        else:
            values.append(value)
    return values


def date_reader(cells: Sequence[str], *, share: float = 0.95) -> DateReader | None:
    """The reader that reads at least ``share`` of ``cells`` (the present, non-numeric cells of a
    column's sample) as dates or times, or None when they are not dates. (A typo or two does not
    hide a column of dates; the full read names the line of each cell that is not a date.) Where
    two formats both fit (01/02/2024 is 1 February or 2 January), the one that keeps the rows in
    time order, with the most even steps, wins; then day-first."""
    cells = [c for c in cells if c.strip()]
    if not cells:
        return None
    allowed = int(len(cells) * (1 - share))
    if sum(not _LOOKS_LIKE_A_DATE.match(c) for c in cells) > allowed:
        return None
    fits = []
    for reader in _CANDIDATES:
        values = _reads(reader, cells, allowed)
        if values is not None:
            fits.append((_disorder(values), len(fits), reader))
    return min(fits, key=lambda fit: fit[:2])[2] if fits else None


def any_date(cell: str) -> float | None:
    """A cell as a timestamp in any known format (for a column whose format changes from row to row)."""
    for reader in _CANDIDATES:
        value = reader(cell)
        if value is not None:
            return value
    return None


# ---------------------------------------------------------------- writing times


def _date_unit(times: np.ndarray) -> str:
    """'D' when every time is a midnight, else 'm' (minutes) or 's' (seconds)."""
    t = np.asarray(times, dtype=np.float64)
    if t.size == 0 or np.all(np.mod(t, DAY) == 0):
        return "D"
    return "m" if np.all(np.mod(t, 60) == 0) else "s"


def time_labels(times: np.ndarray, kind: str, unit: str | None = None) -> list:
    """Times as a chart or a person reads them: dates as ISO text ('2024-01-31', '2024-01-31T12:00'),
    numbers as numbers."""
    t = np.asarray(times, dtype=np.float64)
    if kind != "datetime":
        return [int(v) if float(v).is_integer() and abs(v) < 1e15 else float(v) for v in t.tolist()]
    unit = unit or _date_unit(t)
    stamps = np.round(t).astype(np.int64).astype("datetime64[s]")
    return np.datetime_as_string(stamps, unit=unit).tolist()


# ---------------------------------------------------------------- gaps


_UNITS = (("week", 7 * DAY), ("day", DAY), ("hour", 3600), ("minute", 60), ("second", 1))


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _step_words(step: float, kind: str) -> tuple[str, str, str]:
    """(one row <every>, one missing step, several missing steps) for a regular step."""
    if kind == "datetime":
        for name, size in _UNITS:
            if step % size == 0:
                n = int(step // size)
                if n == 1:
                    return f"each {name}", name, f"{name}s"
                return f"every {n} {name}s", f"step of {n} {name}s", f"steps of {n} {name}s"
        return f"every {step:g} seconds", "time step", "time steps"
    return f"each time the time column goes up by {step:g}", "time step", "time steps"


@dataclass
class _Gap:
    first: float  # the first missing time
    last: float  # the last missing time
    count: int


def _months(t: np.ndarray) -> np.ndarray:
    m = np.round(t).astype(np.int64).astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return m


def _calendar_gaps(t: np.ndarray, d: np.ndarray) -> tuple[str, str, str, list[_Gap]] | None:
    """Monthly or yearly series (steps of 28-31 or 365-366 days): gaps counted in months or years."""
    days = d / DAY
    for lo, hi, per, name in ((28, 31, 1, "month"), (365, 366, 12, "year")):
        if days.min() >= lo and lo <= float(np.median(days)) <= hi:
            months = _months(t)
            steps = np.diff(months)
            if np.any(steps % per) or np.any(steps < per):
                return None
            gaps = []
            for i in np.flatnonzero(steps > per):
                first, last = _month_start(months[i] + per), _month_start(months[i + 1] - per)
                gaps.append(_Gap(first, last, int(steps[i] // per) - 1))
            return f"each {name}", name, f"{name}s", gaps
    return None


def _month_start(month: int) -> float:
    return float(np.datetime64(int(month), "M").astype("datetime64[s]").astype(np.int64))


def _seconds(day: np.datetime64) -> float:
    return float(day.astype("datetime64[s]").astype(np.int64))


def _weekday_gaps(t: np.ndarray) -> list[_Gap] | None:
    """A daily series with no row on any Saturday or Sunday counts only weekdays as missing."""
    days = np.floor(t / DAY).astype(np.int64).astype("datetime64[D]")
    if days[-1] - days[0] < np.timedelta64(14, "D") or not np.all(np.is_busday(days)):
        return None
    after = days[:-1] + np.timedelta64(1, "D")
    counts = np.busday_count(after, days[1:])
    gaps = []
    for i in np.flatnonzero(counts > 0):
        first = np.busday_offset(after[i], 0, roll="forward")
        last = np.busday_offset(days[i + 1] - np.timedelta64(1, "D"), 0, roll="backward")
        gaps.append(_Gap(_seconds(first), _seconds(last), int(counts[i])))
    return gaps


def _uneven(d: np.ndarray, kind: str) -> str:
    lo, hi = _duration(float(d.min()), kind), _duration(float(d.max()), kind)
    return (
        f"The times are not evenly spaced: from one row to the next they move on by {lo} to {hi}. The network "
        "reads the rows as evenly spaced steps, so where rows are far apart it sees the series squeezed together."
    )


def describe_times(times: np.ndarray, kind: str, *, most_listed: int = 5) -> dict:
    """What a person should know about a series' times (``kind`` "datetime" or "number"):
    ``first`` and ``last`` (as text), ``every`` (how often a row comes: "each day"), ``missing`` (how
    many steps the series lacks), ``gaps`` (the first ``most_listed``: first and last missing time,
    how many), ``more_gaps``, ``regular``, and a ``message`` for the uploader when there are gaps
    or the steps are uneven. A daily series with no weekend rows counts only missing weekdays."""
    t = np.unique(np.asarray(times, dtype=np.float64))
    unit = _date_unit(t) if kind == "datetime" else None

    def labels(values) -> list[str]:
        return [str(v).replace("T", " ") for v in time_labels(np.asarray(values, dtype=np.float64), kind, unit)]

    out: dict = {"kind": kind, "missing": 0, "gaps": [], "more_gaps": 0, "regular": True, "message": ""}
    if len(t):
        out["first"], out["last"] = labels([t[0], t[-1]])
    if len(t) < 4:
        return out
    d = np.diff(t)
    calendar = _calendar_gaps(t, d) if kind == "datetime" else None
    if calendar is not None:
        every, one, many, gaps = calendar
        unit = "M" if one == "month" else "Y"
        out["first"], out["last"] = labels([t[0], t[-1]])
    else:
        values, counts = np.unique(d, return_counts=True)
        if counts.max() < 0.5 * len(d):
            out["regular"] = False
            out["message"] = _uneven(d, kind)
            return out
        step = float(values[int(np.argmax(counts))])
        every, one, many = _step_words(step, kind)
        weekdays = _weekday_gaps(t) if kind == "datetime" and step == DAY else None
        if weekdays is not None:
            every, one, many, gaps = "each weekday", "weekday", "weekdays", weekdays
        else:
            ratio = d / step
            gaps = [
                _Gap(float(t[i] + step), float(t[i + 1] - step), int(round(ratio[i])) - 1)
                for i in np.flatnonzero(ratio > 1.5)
            ]
    missing = sum(g.count for g in gaps)
    shown = gaps[:most_listed]
    out.update(
        every=every,
        step_name=one,
        missing=missing,
        missing_text=_count(missing, one, many),
        more_gaps=len(gaps) - len(shown),
    )
    if shown:
        firsts, lasts = labels([g.first for g in shown]), labels([g.last for g in shown])
        out["gaps"] = [{"first": f, "last": la, "count": g.count} for f, la, g in zip(firsts, lasts, shown)]
    if missing:
        where = [
            g["first"] if g["count"] == 1 else f"{g['first']} to {g['last']} ({_count(g['count'], one, many)})"
            for g in out["gaps"]
        ]
        if out["more_gaps"]:
            where.append(_count(out["more_gaps"], "more gap", "more gaps"))
        out["message"] = (
            f"{_count(missing, one, many)} {'is' if missing == 1 else 'are'} missing from this series (one row "
            f"{every}), in {_count(len(gaps), 'gap', 'gaps')}: {_join(where)}. The network reads the rows on either "
            f"side of a gap as one {one} apart. To fill a gap, add its rows with the time and empty values: empty "
            "values are filled in from their neighbours."
        )
        if one == "weekday":
            out["message"] += " Weekends are not counted: the series has no row on a Saturday or Sunday."
    return out


def _duration(seconds: float, kind: str) -> str:
    """A step in words: '3 days', '1.5 hours' (for dates), '2.5' (for numbers)."""
    if kind != "datetime":
        return f"{seconds:g}"
    for name, size in _UNITS:
        if seconds >= size:
            n = seconds / size
            return _count(int(n), name, f"{name}s") if float(n).is_integer() else f"{n:.1f} {name}s"
    return f"{seconds:g} seconds"
