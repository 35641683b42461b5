"""Console input of the training pages (interface layer): the question bank as text.

One question per block, blocks separated by a blank line::

    ? 客户证件号码可以发到个人微信吗？ | May an ID number be sent to a personal chat?
    - 可以 | Yes
    * 不可以 | No

`?` opens a question (Chinese | English), `-` is a wrong option, `*` a right one; one
right option makes a single-choice question, several a multiple-choice one."""

from __future__ import annotations

from baomi.core.errors import FieldIssue, ValidationFailed

from .services import QuestionData


def _pair(text: str, n: int) -> tuple[str, str]:
    zh, sep, en = text.partition("|")
    if not sep or not zh.strip() or not en.strip():
        raise ValidationFailed(
            [
                FieldIssue(
                    "questions",
                    "question_format",
                    f"line {n}: write 中文 | English",
                    f"第 {n} 行：应为“中文 | English”",
                )
            ]
        )
    return zh.strip(), en.strip()


def parse_questions(text: str) -> list[QuestionData]:
    out: list[QuestionData] = []
    current: QuestionData | None = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        mark, body = line[:1], line[1:].strip()
        if mark == "?":
            zh, en = _pair(body, n)
            current = QuestionData("single", zh, en, [], [])
            out.append(current)
        elif mark in "-*" and current is not None:
            zh, en = _pair(body, n)
            if mark == "*":
                current.correct.append(len(current.options))
            current.options.append({"zh": zh, "en": en})
            current.kind = "multiple" if len(current.correct) > 1 else "single"
        else:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "questions",
                        "question_format",
                        f"line {n}: start with ?, - or *",
                        f"第 {n} 行：应以 ?、- 或 * 开头",
                    )
                ]
            )
    return out


def format_questions(questions: list[QuestionData]) -> str:
    blocks = []
    for q in questions:
        lines = [f"? {q.text_zh} | {q.text_en}"]
        for i, o in enumerate(q.options):
            lines.append(f"{'*' if i in q.correct else '-'} {o['zh']} | {o['en']}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
