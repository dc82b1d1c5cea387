"""Hand-written SQL computing the dashboard's figures: the floor the ORM version is compared with."""

from __future__ import annotations

from typing import Any


def _json_number(vendor: str, column: str, key: str) -> str:
    if vendor == "postgresql":
        return f"(({column})::jsonb ->> '{key}')::numeric"
    return f"json_extract({column}, '$.{key}')"


def _json_elements(vendor: str, column: str) -> str:
    if vendor == "postgresql":
        return f"jsonb_array_elements_text(({column})::jsonb)"
    return f"json_each({column})"


def dashboard_sql(connection: Any, programme: Any, period: Any) -> dict[str, Any]:
    """Run the dashboard's aggregates as plain SQL; return them (so nothing is optimised away)."""
    vendor = connection.vendor
    scope = (
        "FROM cases_case c WHERE c.programme_id = %(p)s AND c.opened_on <= %(end)s AND c.status <> 'withdrawn' "
        "AND (c.closed_on IS NULL OR c.closed_on >= %(start)s)"
    )
    element = "value" if vendor == "sqlite" else "e"
    elements = _json_elements(vendor, "r.forms_of_exploitation")
    forms_from = f"{elements}" if vendor == "sqlite" else f"{elements} AS e"
    scores = ", ".join(
        f"AVG({_json_number(vendor, 'v.scores', key)})" for key in ("economic", "social", "psychosocial", "composite")
    )
    queries = {
        "referrals": (
            "SELECT o.type, COUNT(*) FROM referrals_referral r JOIN accounts_organisation o "
            "ON o.id = r.organisation_id WHERE r.programme_id = %(p)s AND r.received_on BETWEEN %(start)s AND %(end)s "
            "GROUP BY o.type"
        ),
        "status": f"SELECT c.status, COUNT(*) {scope} GROUP BY c.status",
        "country": f"SELECT c.country_of_return, COUNT(*) {scope} GROUP BY c.country_of_return",
        "sex": f"SELECT c.sex, COUNT(*) {scope} GROUP BY c.sex",
        "minors": f"SELECT SUM(CASE WHEN c.is_minor THEN 1 ELSE 0 END), COUNT(*) {scope}",
        "forms": (
            f"SELECT {element}, COUNT(*) FROM referrals_referral r, {forms_from} "
            f"WHERE r.case_id IN (SELECT c.id {scope}) GROUP BY {element}"
        ),
        "spent": (
            "SELECT i.category, SUM(COALESCE(i.actual_cost, i.planned_amount)) FROM returns_planitem i "
            f"WHERE i.status = 'delivered' AND i.delivered_on BETWEEN %(start)s AND %(end)s "
            f"AND i.case_id IN (SELECT c.id {scope}) GROUP BY i.category"
        ),
        "visits": (
            "SELECT v.status, COUNT(*) FROM returns_visit v WHERE v.planned_on BETWEEN %(start)s AND %(end)s "
            f"AND v.case_id IN (SELECT c.id {scope}) GROUP BY v.status"
        ),
        "scores": (
            f"SELECT COUNT(*), {scores} FROM returns_visit v WHERE v.status = 'done' AND v.scores IS NOT NULL "
            f"AND v.planned_on BETWEEN %(start)s AND %(end)s AND v.case_id IN (SELECT c.id {scope})"
        ),
        "trainings": (
            "SELECT t.city, COUNT(*) FROM trainings_trainingsession t WHERE t.programme_id = %(p)s "
            "AND t.status = 'held' AND t.held_on BETWEEN %(start)s AND %(end)s GROUP BY t.city"
        ),
    }
    params = {
        "p": programme.pk if vendor == "postgresql" else programme.pk.hex,
        "start": period.start,
        "end": period.end,
    }
    figures: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, params)
            figures[name] = cursor.fetchall()
    return figures
