"""Django's cached template loader, keeping one compiled copy of each template per language.

In each copy, every `{% translate "literal" %}` is replaced by its translation, as text: a page
holds fifty of them, and each would otherwise look its message up again at every render
(six microseconds a tag, a quarter of a millisecond on a file's page). The copy is made the
first time a template is asked for in a language, so a page rendered under
`translation.override` (an e-mail in its recipient's language) gets that language's copy. A
catalogue compiled anew under the development server drops the copies (Django reloads its own
translations then, without restarting).

Only the plain form is written in: a literal message with no filter, no `as`, no `noop` and no
`context`. What it renders to does not depend on the page: Django marks a template's literal
strings safe, so the translation is output as it stands (never escaped), with its doubled
percent signs restored, as `TranslateNode.render` does.
"""

from __future__ import annotations

from pathlib import Path

from django.dispatch import receiver
from django.template import Origin, Template
from django.template.autoreload import reset_loaders
from django.template.base import Node, NodeList, TextNode
from django.template.defaulttags import IfNode
from django.template.loaders import cached
from django.templatetags.i18n import TranslateNode
from django.utils.autoreload import file_changed
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext


class Loader(cached.Loader):
    def cache_key(self, template_name: str, skip: list[Origin] | None = None) -> str:
        return f"{get_language()}:{super().cache_key(template_name, skip)}"

    def get_template(self, template_name: str, skip: list[Origin] | None = None) -> Template:
        key = self.cache_key(template_name, skip)
        known = key in self.get_template_cache
        template: Template = super().get_template(template_name, skip)
        if not known:  # compiled just now for this language
            _write_in_translations(template.nodelist)
        return template


def _literal_message(node: Node) -> str | None:
    """The message of a `{% translate "literal" %}` in its plain form, else None."""
    if type(node) is not TranslateNode or node.noop or node.asvar or node.message_context is not None:
        return None
    expression = node.filter_expression
    if expression.filters or expression.var.literal is None:
        return None
    return str(expression.var.literal)


def _translated(message: str) -> str:
    # As Variable.resolve and TranslateNode.render: percent signs doubled for gettext, then restored.
    return mark_safe(gettext(message.replace("%", "%%")).replace("%%", "%"))  # noqa: S308 - a template's own literal


def _write_in_translations(nodelist: NodeList) -> None:
    for index, node in enumerate(nodelist):
        message = _literal_message(node)
        if message is not None:
            text = TextNode(_translated(message))
            text.origin, text.token = node.origin, node.token  # for Django's error pages
            nodelist[index] = text
            continue
        for child in _child_nodelists(node):
            _write_in_translations(child)


def _child_nodelists(node: Node) -> list[NodeList]:
    if isinstance(node, IfNode):  # its `nodelist` is a copy made on each access
        return [branch for _condition, branch in node.conditions_nodelists]
    found = [getattr(node, name, None) for name in node.child_nodelists]
    return [child for child in found if isinstance(child, NodeList)]


@receiver(file_changed, dispatch_uid="careplus_translated_templates")
def _catalogue_changed(sender: object, file_path: Path, **kwargs: object) -> None:
    if file_path.suffix == ".mo":
        reset_loaders()
