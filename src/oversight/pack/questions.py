"""A community monitoring group's questions to the police and the answers received, as a CSV
file, so each month's pack shows what is still outstanding. The format is in
docs/community-monitoring.md:

    borough,raised,question,answered,answer,status
    Lambeth,2018-11-14,Why did searches for weapons rise in October?,2018-12-12,"Operation ...",answered
    Lambeth,2018-12-12,How many searches under section 60 were authorised?,,,outstanding

`read_questions` checks every row and raises one `QuestionsError` listing every problem (file,
row, field, reason), so a coordinator can fix the file in one pass; nothing is silently dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from oversight.errors import OversightError

COLUMNS: Final = ("borough", "raised", "question", "answered", "answer", "status")
OUTSTANDING: Final = "outstanding"
ANSWERED: Final = "answered"
WITHDRAWN: Final = "withdrawn"
STATUSES: Final = (OUTSTANDING, ANSWERED, WITHDRAWN)
MAX_ERRORS: Final = 50


@dataclass(frozen=True)
class Question:
    borough: str
    raised: dt.date
    question: str
    answered: dt.date | None
    answer: str
    status: str
    row: int  # its row in the file (the header is row 1)


class QuestionsError(OversightError):
    """The questions file breaks the format; `problems` lists every row-level error."""

    def __init__(self, problems: list[OversightError], path: str) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problems in the questions file: {shown}{more}", path=path)


def read_questions(path: str | os.PathLike[str], is_borough: Callable[[str], bool] | None = None) -> list[Question]:
    """Every question in the file, checked; `is_borough` says whether a borough name or code is
    known (a row naming an unknown borough is an error). Raises QuestionsError listing the problems."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise OversightError("no such file", path=where) from None
    except UnicodeDecodeError as exc:
        raise OversightError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=where) from None
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader, [])]
    if tuple(header) != COLUMNS:
        raise OversightError(f"the header must be {','.join(COLUMNS)}; found {','.join(header) or 'nothing'}",
                             path=where, row=1)
    questions: list[Question] = []
    problems: list[OversightError] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        found = _row(cells, number, where, is_borough)
        if isinstance(found, Question):
            questions.append(found)
        else:
            problems += found
        if len(problems) >= MAX_ERRORS:
            break
    if problems:
        raise QuestionsError(problems, where)
    return questions


def _row(cells: list[str], number: int, where: str,
         is_borough: Callable[[str], bool] | None) -> Question | list[OversightError]:
    problems: list[OversightError] = []

    def problem(field: str, reason: str) -> None:
        problems.append(OversightError(reason, path=where, row=number, field=field))

    if len(cells) != len(COLUMNS):
        problem("row", f"has {len(cells)} fields, not {len(COLUMNS)} (quote a text containing a comma)")
        return problems
    value = dict(zip(COLUMNS, (c.strip() for c in cells), strict=True))
    if not value["borough"]:
        problem("borough", "is empty")
    elif is_borough is not None and not is_borough(value["borough"]):
        problem("borough", f"{value['borough']!r} is not a borough with stop and search figures")
    raised = _date(value["raised"], "raised", problem, required=True)
    answered = _date(value["answered"], "answered", problem, required=False)
    if not value["question"]:
        problem("question", "is empty")
    status = value["status"].lower()
    if status not in STATUSES:
        problem("status", f"{value['status']!r} is not one of {', '.join(STATUSES)}")
    if status == ANSWERED:
        if not value["answered"]:
            problem("answered", "an answered question needs the date the answer was received")
        if not value["answer"]:
            problem("answer", "an answered question needs the answer received")
    if status == OUTSTANDING and (value["answered"] or value["answer"]):
        problem("status", "is outstanding but the row gives an answer; set it to answered")
    if raised and answered and answered < raised:
        problem("answered", f"{answered} is before the question was raised ({raised})")
    if problems or raised is None:
        return problems
    return Question(value["borough"], raised, value["question"], answered, value["answer"], status, number)


def _date(text: str, field: str, problem: Callable[[str, str], None], *, required: bool) -> dt.date | None:
    if not text:
        if required:
            problem(field, "is empty; write the date as YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problem(field, f"{text!r} is not a date; write it as YYYY-MM-DD")
        return None


@dataclass(frozen=True)
class Questions:
    """A borough's questions as its pack shows them: those still open, then those answered."""

    outstanding: list[Question]
    answered: list[Question]
    withdrawn: int

    @classmethod
    def of(cls, questions: list[Question], borough_matches: Callable[[str], bool]) -> Questions:
        """The borough's questions as the file stands: outstanding ones oldest first (the longest
        wait at the top); answered ones newest answer first."""
        mine = [q for q in questions if borough_matches(q.borough)]
        return cls(
            outstanding=sorted((q for q in mine if q.status == OUTSTANDING), key=lambda q: (q.raised, q.row)),
            answered=sorted((q for q in mine if q.status == ANSWERED),
                            key=lambda q: (q.answered or q.raised, q.row), reverse=True),
            withdrawn=sum(q.status == WITHDRAWN for q in mine))
