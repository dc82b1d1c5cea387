"""Hand-written SQL computing the dashboard's figures: the floor the ORM version is compared with.

It reads what the dashboard reads for a period of whole months: the referrals themselves, the
case, visit and delivery rollups (careplus.reporting.models) and the training sessions.
"""

from __future__ import annotations

from typing import Any

SCOPE = "programme_id = %(p)s AND opened_month <= %(end)s AND closed_month >= %(start)s AND NOT withdrawn"


def dashboard_sql(connection: Any, programme: Any, period: Any) -> dict[str, Any]:
    """Run the dashboard's aggregates as plain SQL; return them (so nothing is optimised away)."""
    queries = {
        "referrals": (
            "SELECT o.type, SUM(r.n) FROM (SELECT organisation_id, COUNT(*) AS n FROM referrals_referral "
            "WHERE programme_id = %(p)s AND received_on BETWEEN %(start)s AND %(end)s GROUP BY organisation_id) r "
            "LEFT JOIN accounts_organisation o ON o.id = r.organisation_id GROUP BY o.type"
        ),
        "cases": (
            f"SELECT dimension, value, SUM(cases) FROM reporting_casefigure WHERE {SCOPE} GROUP BY dimension, value"
        ),
        "spent": (
            "SELECT category, SUM(items), SUM(cents) FROM reporting_deliverymonth "
            f"WHERE {SCOPE} AND month BETWEEN %(start)s AND %(end)s GROUP BY category"
        ),
        "visits": (
            "SELECT status, SUM(visits), SUM(economic), SUM(social), SUM(psychosocial), SUM(composite), "
            "SUM(economic_n), SUM(social_n), SUM(psychosocial_n), SUM(composite_n) FROM reporting_visitmonth "
            f"WHERE {SCOPE} AND month BETWEEN %(start)s AND %(end)s GROUP BY status"
        ),
        "trainings": (
            "SELECT city, COUNT(*) FROM trainings_trainingsession WHERE programme_id = %(p)s "
            "AND status = 'held' AND held_on BETWEEN %(start)s AND %(end)s GROUP BY city"
        ),
        "professionals": (
            "SELECT p.organisation_type, COUNT(DISTINCT p.id) FROM trainings_professional p "
            "JOIN trainings_participation a ON a.professional_id = p.id "
            "JOIN trainings_trainingsession s ON s.id = a.session_id WHERE s.programme_id = %(p)s "
            "AND s.status = 'held' AND s.held_on BETWEEN %(start)s AND %(end)s AND a.present "
            "GROUP BY p.organisation_type"
        ),
    }
    params = {
        "p": programme.pk if connection.vendor == "postgresql" else programme.pk.hex,
        "start": period.start,
        "end": period.end,
    }
    figures: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, params)
            figures[name] = cursor.fetchall()
    return figures
