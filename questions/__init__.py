"""A resident's questions and objections about entries of their own access log ("Klopt er
iets niet?"), and the privacy officer's answers. Models and service, no HTTP; the policy
decides who may ask, read and answer (resource type `question`)."""

from questions.errors import QuestionError, QuestionNotFound, QuestionValidationError
from questions.models import Question, QuestionAnswer, QuestionKind
from questions.service import (
    MAX_TEXT,
    MIN_TEXT,
    QuestionView,
    answer_question,
    ask_question,
    get_question,
    municipality_questions,
    resident_questions,
)

__all__ = [
    "MAX_TEXT",
    "MIN_TEXT",
    "Question",
    "QuestionAnswer",
    "QuestionError",
    "QuestionKind",
    "QuestionNotFound",
    "QuestionValidationError",
    "QuestionView",
    "answer_question",
    "ask_question",
    "get_question",
    "municipality_questions",
    "resident_questions",
]
