"""Templates take no decisions (issue 22, point 1; style.md §9): they read booleans the view computed.

Who may approve, deliver, cancel, screen or see a part of a file is decided once, in
`careplus.access.rules`, which the services call before writing and the views call to build the
page. A template that compared a status, a role or a date would be a second copy of a rule, free to
disagree with the service: this test fails on one. And forms, like views, write nothing.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent.parent
TEMPLATES = BASE / "templates"
CAREPLUS = BASE / "careplus"

# The {% if %} and {% elif %} tags (a condition may span lines).
CONDITION = re.compile(r"\{%-?\s*(?:if|elif)\b(.*?)-?%\}", re.S)
ROLES = "coordinator|caseworker|partner|trainer|auditor|dpo"
DECISIONS = {
    "a status compared": re.compile(r"\.status\s*(?:==|!=|\bnot\s+in\b|\bin\b)|(?:==|!=)\s*\S*\.status\b"),
    "a kind compared": re.compile(r"\.kind\s*(?:==|!=|\bnot\s+in\b|\bin\b)"),
    "a role read": re.compile(rf"\brole\w*\s*(?:==|!=|\bnot\s+in\b|\bin\b)|\bis_coordinator\b|[\"'](?:{ROLES})[\"']"),
    "a date compared with today": re.compile(r"[<>]=?\s*(?:today|now)\b|\b(?:today|now)\s*[<>]"),
    # A code spelt in the template (a key, a rating, an outcome): its label or the boolean comes
    # from the view. A filter's own argument (`|date:"Y" == x`) is not a comparison with a literal.
    "a value compared with a literal": re.compile(
        r"(?:==|!=|\bin)\s*[\"']|(?:^|[\s(])[\"'][^\"']*[\"']\s*(?:==|!=|\bin\b|\bnot\s+in\b)"
    ),
}

# A reason for each exception, next to it.
_WIDGET = "a field is drawn after its widget's kind, Django's own name for it: markup, not a rule"
ALLOWED: dict[tuple[str, str], str] = {
    ("components/field.html", 'field.widget_type == "checkbox"'): _WIDGET,
    ("components/field.html", 'field.widget_type == "textarea"'): _WIDGET,
    ("components/field.html", 'field.widget_type == "text"'): _WIDGET,
}


def _decisions(text: str) -> list[tuple[int, str, str]]:
    found: list[tuple[int, str, str]] = []
    for match in CONDITION.finditer(text):
        condition = match.group(1)
        # The first kind of decision that the condition takes, in the order above.
        what = next((what for what, pattern in DECISIONS.items() if pattern.search(condition)), None)
        if what is not None:
            line = text.count("\n", 0, match.start()) + 1
            found.append((line, what, condition.strip()))
    return found


def test_templates_compare_no_status_role_or_date() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50, "the templates were not found"
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{line}: {what} in {{% if {condition} %}}"
        for path in templates
        for line, what, condition in _decisions(path.read_text())
        if (str(path.relative_to(TEMPLATES)), condition) not in ALLOWED
    ]
    assert offenders == [], "compute the boolean in the view with careplus.access.rules:\n" + "\n".join(offenders)


def test_the_template_check_sees_each_kind_of_decision() -> None:
    text = (
        '{% if item.status == "planned" and can_approve %}a{% endif %}\n'
        '{% if referral.status in "received" %}b{% elif "approved" != item.status %}c{% endif %}\n'
        "{% if grant.role == 'coordinator' %}d{% endif %}\n"
        "{% if user.is_coordinator %}e{% endif %}\n"
        '{% if event.kind == "x" %}f{% endif %}\n'
        "{% if v.planned_on < today %}g{% endif %}\n"
        "{% if token.expires_at <= now %}h{% endif %}\n"
        "{% if actions.approve %}fine{% endif %}{% if overdue %}fine{% endif %}{% if value == status %}fine{% endif %}\n"
        '{% if s.key == "risk" %}i{% elif "high" != s.overall %}j{% elif code in \'ab\' %}k{% endif %}\n'
        '{% if fb.rating|stringformat:"s" == r %}fine{% endif %}{% if ind.code in chosen %}fine{% endif %}\n'
    )
    assert [(line, what) for line, what, _ in _decisions(text)] == [
        (1, "a status compared"),
        (2, "a status compared"),
        (2, "a status compared"),
        (3, "a role read"),
        (4, "a role read"),
        (5, "a kind compared"),
        (6, "a date compared with today"),
        (7, "a date compared with today"),
        (9, "a value compared with a literal"),
        (9, "a value compared with a literal"),
        (9, "a value compared with a literal"),
    ]


# Forms belong to the web layer: they validate what was typed and hand it to a service, which writes
# (with its audit event). CARE+ has no ModelForm, so no form has a save() of its own; were one added,
# `form.save()` in a view would be caught by tests/architecture/test_layers.py (views write nothing),
# and here a form module may not write either.
FORM_WRITES = {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "create"}


def _form_writes(tree: ast.AST) -> list[int]:
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"_default_manager", "_base_manager"}:
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, receiver = node.func.attr, ast.unparse(node.func.value)
            # A queryset's update (Model.objects.filter(...).update): a dict's update is left alone.
            through_manager = ".objects" in f".{receiver}" or "filter(" in receiver
            if name in FORM_WRITES - {"create"} or (name in {"create", "update"} and through_manager):
                lines.append(node.lineno)
    return sorted(lines)


def test_forms_write_nothing() -> None:
    modules = sorted([*CAREPLUS.glob("*/forms.py"), *CAREPLUS.glob("*/forms_*.py")])
    assert modules, "no form module found"
    offenders = [
        f"{path.relative_to(CAREPLUS)}:{line}" for path in modules for line in _form_writes(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_the_form_check_sees_a_write() -> None:
    tree = ast.parse(
        "def clean(self):\n"
        "    self.instance.save()\n"
        "    Case.objects.filter(pk=1).update(status='x')\n"
        "    Note.objects.create(text='x')\n"
        "    Case._default_manager.all()\n"
        "    data.update(rate=None)\n"
        "    initial.update({'a': 1})\n"
    )
    assert _form_writes(tree) == [2, 3, 4, 5]
