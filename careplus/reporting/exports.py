"""Donor report files: XLSX (one sheet per component) and PDF, with disclosure control applied."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from careplus.core.exports import safe_cell
from careplus.programmes.models import Programme
from careplus.reporting.figures import Block
from careplus.reporting.periods import Period


def _cell(value: object, k: int) -> object:
    if value is None:
        return f"< {k}"
    if isinstance(value, str):
        return safe_cell(value)
    return value


# An amount stays a number the donor can add up; its format states the currency's ISO code.
EUR_FORMAT = '#,##0.00 "EUR"'


def donor_xlsx(programme: Programme, period: Period, blocks: list[Block], *, k: int) -> bytes:
    """Return the XLSX donor report (write-only workbook, formula-safe text, amounts marked EUR)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)

    def figure(sheet: object, block: Block, value: object) -> object:
        cell = _cell(value, k)
        if block.kind != "amount" or isinstance(cell, str):
            return cell
        written = WriteOnlyCell(sheet, value=cell)
        written.number_format = EUR_FORMAT
        return written

    with translation.override("fr"):
        for component, title in (("I", _("Component I — reintegration")), ("II", _("Component II — trainings"))):
            sheet = book.create_sheet(title=f"Composante {component}")
            sheet.append([safe_cell(f"{programme.name} — {title}")])
            sheet.append([safe_cell(f"{period.label} ({period.start:%d/%m/%Y} – {period.end:%d/%m/%Y})")])
            sheet.append([safe_cell(_("Cells below %(k)d are shown as “< %(k)d”.") % {"k": k})])
            sheet.append([])
            for block in (b for b in blocks if b.component == component):
                sheet.append([safe_cell(block.title), _("Total"), _("Target")])
                target = figure(sheet, block, block.target) if block.target is not None else ""
                sheet.append(["", figure(sheet, block, block.total), target])
                for label, value in block.rows:
                    code = block.codes.get(label)  # a country keeps its ISO code beside its name
                    sheet.append([safe_cell(label), figure(sheet, block, value), *([code] if code else [])])
                if block.suppressed:
                    sheet.append([_("Breakdown withheld: too few cases to publish it without re-identifying anyone.")])
                sheet.append([])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def donor_pdf(programme: Programme, period: Period, blocks: list[Block], *, k: int) -> bytes:
    """Return the PDF donor report (WeasyPrint, French)."""
    from weasyprint import HTML

    with translation.override("fr"):
        html = render_to_string(
            "reporting/donor_report.html", {"programme": programme, "period": period, "blocks": blocks, "k": k}
        )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
