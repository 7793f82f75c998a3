"""The quiz module: rendering, marking, explanations on wrong answers, no error for unanswered questions."""
import pytest

from utils.course.quiz import Question, Quiz

QUIZ = Quiz([
    Question("Two plus two?", ["3", "4", "5"], answer=1, why="2 + 2 = 4."),
    Question("Is the sky green?", ["yes", "no"], answer=1, why="It is blue on a clear day."),
    Question("First letter?", ["a", "b", "c", "d"], answer=0, why="The alphabet starts with a."),
])


def test_show_letters_every_choice():
    text = QUIZ.show().data
    assert "**1.** Two plus two?" in text and "**3.** First letter?" in text
    assert "- **a.** 3" in text and "- **b.** 4" in text and "- **c.** 5" in text
    assert "- **d.** d" in text and "- **c.** " not in text.split("**2.**")[1].split("**3.**")[0]


def test_all_right(capsys):
    assert QUIZ.check({1: "b", 2: "b", 3: "a"}) == 3
    out = capsys.readouterr().out
    assert "3 of 3 right" in out and "wrong" not in out


def test_wrong_answer_prints_the_explanation(capsys):
    assert QUIZ.check({1: "c", 2: "B ", 3: "a"}) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("1. wrong") and "2 + 2 = 4." in lines[0]
    assert lines[1].startswith("2. right") and "It is blue" not in "\n".join(lines)


def test_unanswered_does_not_raise(capsys):
    assert QUIZ.check({1: "?", 2: "?"}) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["1. not answered yet", "2. not answered yet", "3. not answered yet"]


def test_a_letter_out_of_range_is_named_not_marked(capsys):
    assert QUIZ.check({1: "z", 2: "ab", 3: ""}) == 0
    out = capsys.readouterr().out
    assert "'z' is not one of the choices a, b, c" in out and "'ab'" in out and "wrong" not in out


def test_unknown_question_number_raises():
    with pytest.raises(KeyError, match="questions 1 to 3"):
        QUIZ.check({4: "a"})


def test_a_question_must_point_at_a_choice():
    with pytest.raises(ValueError, match="not the index"):
        Question("?", ["x", "y"], answer=2, why="")
    with pytest.raises(ValueError, match="2 to 26 choices"):
        Question("?", ["x"], answer=0, why="")


def course_quizzes() -> dict[str, Quiz]:
    """Every notebook's quiz, by notebook number: 01-04 in utils.theory.quizzes, 00, 05, 06 in utils.walkers.quizzes."""
    from utils.theory import quizzes as theory
    from utils.walkers import quizzes as walkers

    return {name.removeprefix("QUIZ_"): getattr(module, name) for module in (theory, walkers)
            for name in dir(module) if name.startswith("QUIZ_")}


def right_is_longest(q: Question) -> bool:
    """True when no wrong choice is longer than the right one (a tie counts: the length gives it away as well)."""
    return len(q.choices[q.answer]) >= max(len(c) for i, c in enumerate(q.choices) if i != q.answer)


def test_every_notebook_has_a_quiz():
    assert sorted(course_quizzes()) == ["00", "01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("number", ["00", "01", "02", "03", "04", "05", "06"])
def test_a_quiz_cannot_be_passed_by_picking_the_longest_choice_or_one_letter(number):
    """The right answer is the longest choice in at most a third of a quiz's questions, and no letter holds the
    right answer of more than a third of them (rounded up): the position and the length give nothing away."""
    import math

    quiz = course_quizzes()[number]
    n = len(quiz.questions)
    longest = [i for i, q in enumerate(quiz.questions, 1) if right_is_longest(q)]
    assert len(longest) <= n / 3, f"QUIZ_{number}: the right answer is the longest choice in questions {longest}"
    letters = [q.letters[q.answer] for q in quiz.questions]
    top = max(set(letters), key=letters.count)
    assert letters.count(top) <= math.ceil(n / 3), f"QUIZ_{number}: {letters.count(top)} of {n} answers are ({top})"


def test_over_all_quizzes_the_longest_choice_is_right_at_most_30_percent_of_the_time():
    questions = [q for quiz in course_quizzes().values() for q in quiz.questions]
    share = sum(map(right_is_longest, questions)) / len(questions)
    assert share <= 0.30, f"the right answer is the longest choice in {share:.0%} of {len(questions)} questions"


def test_the_balance_check_catches_a_quiz_that_gives_itself_away():
    """The rule above fails on the old habit: a detailed right answer among short distractors, always at (b)."""
    telling = Question("?", ["no", "yes, and here is the careful reason why it is so", "maybe"], answer=1, why="")
    assert right_is_longest(telling)
    assert not right_is_longest(Question("?", ["a long but wrong explanation of it", "short, right"], 1, ""))


@pytest.mark.parametrize("number", ["00", "01", "02", "03", "04", "05", "06"])
def test_notebooks_ask_their_quiz(number):
    """The notebook imports its own quiz, and its answers cell has one "?" per question, numbered from 1."""
    import ast

    import nbformat

    from utils.course.notebooks import NOTEBOOKS

    quiz = course_quizzes()[number]
    assert 3 <= len(quiz.questions) <= 5, "3 to 5 questions"
    book = nbformat.read(next(NOTEBOOKS.glob(f"{number}_*.ipynb")), as_version=4)
    sources = [c.source for c in book.cells if c.cell_type == "code"]
    assert any(f"import QUIZ_{number} as QUIZ" in s and "QUIZ.show()" in s for s in sources)
    answers = [s for s in sources if s.startswith("my_answers = ")]
    assert len(answers) == 1 and "QUIZ.check(my_answers)" in answers[0]
    given = ast.literal_eval(answers[0].splitlines()[0].removeprefix("my_answers = "))
    assert given == {i: "?" for i in range(1, len(quiz.questions) + 1)}, "commit the answers cell unanswered"
