"""Errors of residents' questions. Messages name fields and ids, never what a person wrote.

QuestionError
├── QuestionNotFound         no such question (or not one the caller may see)
└── QuestionValidationError  a field is out of bounds (kind, text, entry)
"""


class QuestionError(Exception):
    """Base class of every question error."""


class QuestionNotFound(QuestionError):
    def __init__(self, question_id: str) -> None:
        self.question_id = question_id
        super().__init__(f"question {question_id[:40]} not found")


class QuestionValidationError(QuestionError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
