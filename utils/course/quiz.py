"""A short multiple-choice quiz at the end of every notebook, checked by a function.

Introduced in notebook 01; every notebook ends with Summary, Quiz, Exercises. The learner reads ``QUIZ.show()``,
writes letters into ``my_answers = {1: "b", 2: "?", ...}`` and runs ``QUIZ.check(my_answers)``: one line per
question, the explanation after a wrong answer. A "?" (or a missing key) means "not answered yet" and never raises,
so the notebook still runs top to bottom in CI.
"""
from __future__ import annotations

from dataclasses import dataclass
from string import ascii_lowercase

UNANSWERED = "?"


@dataclass(frozen=True)
class Question:
    """``answer`` is the index of the right choice; ``why`` is printed when the learner picks another one."""

    text: str
    choices: list[str]
    answer: int
    why: str

    def __post_init__(self):
        if not 2 <= len(self.choices) <= len(ascii_lowercase):
            raise ValueError(f"a question needs 2 to 26 choices, got {len(self.choices)}: {self.text[:40]!r}")
        if not 0 <= self.answer < len(self.choices):
            raise ValueError(f"answer {self.answer} is not the index of a choice (0..{len(self.choices) - 1}): {self.text[:40]!r}")

    @property
    def letters(self) -> str:
        return ascii_lowercase[: len(self.choices)]


class Quiz:
    """Questions numbered from 1; ``show()`` renders them, ``check(answers)`` marks a dict ``{number: letter}``."""

    def __init__(self, questions: list[Question]):
        if not questions:
            raise ValueError("a quiz needs at least one question")
        self.questions = list(questions)

    def markdown(self) -> str:
        """The questions as Markdown, choices lettered a, b, c..."""
        blocks = []
        for number, q in enumerate(self.questions, 1):
            choices = "\n".join(f"- **{letter}.** {choice}" for letter, choice in zip(q.letters, q.choices))
            blocks.append(f"**{number}.** {q.text}\n\n{choices}")
        return "\n\n".join(blocks)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def show(self):
        """The quiz as an IPython ``Markdown`` object: the last line of a cell displays it."""
        from IPython.display import Markdown

        return Markdown(self.markdown())

    def check(self, answers: dict[int, str]) -> int:
        """Print one line per question (right, wrong and why, or not answered yet); return how many are right."""
        unknown = sorted(set(answers) - set(range(1, len(self.questions) + 1)), key=str)
        if unknown:
            raise KeyError(f"no question numbered {unknown}: this quiz has questions 1 to {len(self.questions)}")
        right = 0
        for number, q in enumerate(self.questions, 1):
            given = str(answers.get(number, UNANSWERED)).strip().lower()
            correct = q.letters[q.answer]
            if given == UNANSWERED:
                print(f"{number}. not answered yet")
            elif given not in q.letters or len(given) != 1:
                print(f"{number}. {given!r} is not one of the choices {', '.join(q.letters)}")
            elif given == correct:
                right += 1
                print(f"{number}. right ({correct})")
            else:
                print(f"{number}. wrong ({given}): {q.why}")
        print(f"{right} of {len(self.questions)} right")
        return right
