"""Frozen SQL of the dashboard's rollup triggers, as careplus.reporting.rollups wrote it for migration 0002.

Not a migration (the name starts with "_", which Django's loader skips). Generated once from the live
code when migrations stopped importing it (issue 22, point 3), so that a later change to
careplus/reporting/rollups.py cannot change what an old migration installs: such a change needs a new
migration that drops these triggers and installs its own copy. Used by reporting 0002 and, on SQLite,
by cases 0009 (which rebuilds the cases table under these triggers).

INSTALL creates the triggers (and, on PostgreSQL, their functions), UNINSTALL drops them, and REBUILD
fills the rollup tables from their source rows, once.
"""

from __future__ import annotations

from typing import Any

INSTALL: dict[str, list[str]] = {
    "sqlite": [
        (
            'CREATE TRIGGER visitmonth_insert AFTER INSERT ON returns_visit BEGIN INSERT INTO '
            'reporting_visitmonth (programme_id, opened_month, closed_month, withdrawn, month, status, '
            'visits, economic, social, psychosocial, composite, economic_n, social_n, psychosocial_n, '
            "composite_n) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), "
            "date(NEW.planned_on, 'start of month'), NEW.status, 1 * (1), 1 * "
            '(COALESCE(CAST(ROUND(NEW.score_economic * 10000) AS INTEGER), 0)), 1 * '
            '(COALESCE(CAST(ROUND(NEW.score_social * 10000) AS INTEGER), 0)), 1 * '
            '(COALESCE(CAST(ROUND(NEW.score_psychosocial * 10000) AS INTEGER), 0)), 1 * '
            '(COALESCE(CAST(ROUND(NEW.score_composite * 10000) AS INTEGER), 0)), 1 * (CASE WHEN '
            'NEW.score_economic IS NULL THEN 0 ELSE 1 END), 1 * (CASE WHEN NEW.score_social IS NULL THEN 0 '
            'ELSE 1 END), 1 * (CASE WHEN NEW.score_psychosocial IS NULL THEN 0 ELSE 1 END), 1 * (CASE WHEN '
            'NEW.score_composite IS NULL THEN 0 ELSE 1 END) FROM cases_case c WHERE c.id = NEW.case_id AND '
            'c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, month, status) DO UPDATE SET visits = visits + excluded.visits, economic = economic '
            '+ excluded.economic, social = social + excluded.social, psychosocial = psychosocial + '
            'excluded.psychosocial, composite = composite + excluded.composite, economic_n = economic_n + '
            'excluded.economic_n, social_n = social_n + excluded.social_n, psychosocial_n = psychosocial_n + '
            'excluded.psychosocial_n, composite_n = composite_n + excluded.composite_n; END'
        ),
        (
            'CREATE TRIGGER visitmonth_delete AFTER DELETE ON returns_visit BEGIN INSERT INTO '
            'reporting_visitmonth (programme_id, opened_month, closed_month, withdrawn, month, status, '
            'visits, economic, social, psychosocial, composite, economic_n, social_n, psychosocial_n, '
            "composite_n) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), "
            "date(OLD.planned_on, 'start of month'), OLD.status, -1 * (1), -1 * "
            '(COALESCE(CAST(ROUND(OLD.score_economic * 10000) AS INTEGER), 0)), -1 * '
            '(COALESCE(CAST(ROUND(OLD.score_social * 10000) AS INTEGER), 0)), -1 * '
            '(COALESCE(CAST(ROUND(OLD.score_psychosocial * 10000) AS INTEGER), 0)), -1 * '
            '(COALESCE(CAST(ROUND(OLD.score_composite * 10000) AS INTEGER), 0)), -1 * (CASE WHEN '
            'OLD.score_economic IS NULL THEN 0 ELSE 1 END), -1 * (CASE WHEN OLD.score_social IS NULL THEN 0 '
            'ELSE 1 END), -1 * (CASE WHEN OLD.score_psychosocial IS NULL THEN 0 ELSE 1 END), -1 * (CASE WHEN '
            'OLD.score_composite IS NULL THEN 0 ELSE 1 END) FROM cases_case c WHERE c.id = OLD.case_id AND '
            'c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, month, status) DO UPDATE SET visits = visits + excluded.visits, economic = economic '
            '+ excluded.economic, social = social + excluded.social, psychosocial = psychosocial + '
            'excluded.psychosocial, composite = composite + excluded.composite, economic_n = economic_n + '
            'excluded.economic_n, social_n = social_n + excluded.social_n, psychosocial_n = psychosocial_n + '
            'excluded.psychosocial_n, composite_n = composite_n + excluded.composite_n; END'
        ),
        (
            'CREATE TRIGGER visitmonth_update AFTER UPDATE ON returns_visit BEGIN INSERT INTO '
            'reporting_visitmonth (programme_id, opened_month, closed_month, withdrawn, month, status, '
            'visits, economic, social, psychosocial, composite, economic_n, social_n, psychosocial_n, '
            "composite_n) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), "
            "date(OLD.planned_on, 'start of month'), OLD.status, -1 * (1), -1 * "
            '(COALESCE(CAST(ROUND(OLD.score_economic * 10000) AS INTEGER), 0)), -1 * '
            '(COALESCE(CAST(ROUND(OLD.score_social * 10000) AS INTEGER), 0)), -1 * '
            '(COALESCE(CAST(ROUND(OLD.score_psychosocial * 10000) AS INTEGER), 0)), -1 * '
            '(COALESCE(CAST(ROUND(OLD.score_composite * 10000) AS INTEGER), 0)), -1 * (CASE WHEN '
            'OLD.score_economic IS NULL THEN 0 ELSE 1 END), -1 * (CASE WHEN OLD.score_social IS NULL THEN 0 '
            'ELSE 1 END), -1 * (CASE WHEN OLD.score_psychosocial IS NULL THEN 0 ELSE 1 END), -1 * (CASE WHEN '
            'OLD.score_composite IS NULL THEN 0 ELSE 1 END) FROM cases_case c WHERE c.id = OLD.case_id AND '
            'c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, month, status) DO UPDATE SET visits = visits + excluded.visits, economic = economic '
            '+ excluded.economic, social = social + excluded.social, psychosocial = psychosocial + '
            'excluded.psychosocial, composite = composite + excluded.composite, economic_n = economic_n + '
            'excluded.economic_n, social_n = social_n + excluded.social_n, psychosocial_n = psychosocial_n + '
            'excluded.psychosocial_n, composite_n = composite_n + excluded.composite_n; INSERT INTO '
            'reporting_visitmonth (programme_id, opened_month, closed_month, withdrawn, month, status, '
            'visits, economic, social, psychosocial, composite, economic_n, social_n, psychosocial_n, '
            "composite_n) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), "
            "date(NEW.planned_on, 'start of month'), NEW.status, 1 * (1), 1 * "
            '(COALESCE(CAST(ROUND(NEW.score_economic * 10000) AS INTEGER), 0)), 1 * '
            '(COALESCE(CAST(ROUND(NEW.score_social * 10000) AS INTEGER), 0)), 1 * '
            '(COALESCE(CAST(ROUND(NEW.score_psychosocial * 10000) AS INTEGER), 0)), 1 * '
            '(COALESCE(CAST(ROUND(NEW.score_composite * 10000) AS INTEGER), 0)), 1 * (CASE WHEN '
            'NEW.score_economic IS NULL THEN 0 ELSE 1 END), 1 * (CASE WHEN NEW.score_social IS NULL THEN 0 '
            'ELSE 1 END), 1 * (CASE WHEN NEW.score_psychosocial IS NULL THEN 0 ELSE 1 END), 1 * (CASE WHEN '
            'NEW.score_composite IS NULL THEN 0 ELSE 1 END) FROM cases_case c WHERE c.id = NEW.case_id AND '
            'c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, month, status) DO UPDATE SET visits = visits + excluded.visits, economic = economic '
            '+ excluded.economic, social = social + excluded.social, psychosocial = psychosocial + '
            'excluded.psychosocial, composite = composite + excluded.composite, economic_n = economic_n + '
            'excluded.economic_n, social_n = social_n + excluded.social_n, psychosocial_n = psychosocial_n + '
            'excluded.psychosocial_n, composite_n = composite_n + excluded.composite_n; END'
        ),
        (
            'CREATE TRIGGER visitmonth_case AFTER UPDATE ON cases_case WHEN OLD.programme_id IS NOT '
            'NEW.programme_id OR OLD.opened_on IS NOT NEW.opened_on OR OLD.closed_on IS NOT NEW.closed_on OR '
            'OLD.status IS NOT NEW.status BEGIN INSERT INTO reporting_visitmonth (programme_id, '
            'opened_month, closed_month, withdrawn, month, status, visits, economic, social, psychosocial, '
            'composite, economic_n, social_n, psychosocial_n, composite_n) SELECT OLD.programme_id, '
            "date(OLD.opened_on, 'start of month'), COALESCE(date(OLD.closed_on, 'start of month'), "
            "'9999-12-01'), (OLD.status = 'withdrawn'), date(x.planned_on, 'start of month'), x.status, -1 * "
            'SUM(1), -1 * SUM(COALESCE(CAST(ROUND(x.score_economic * 10000) AS INTEGER), 0)), -1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_social * 10000) AS INTEGER), 0)), -1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_psychosocial * 10000) AS INTEGER), 0)), -1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_composite * 10000) AS INTEGER), 0)), -1 * SUM(CASE WHEN '
            'x.score_economic IS NULL THEN 0 ELSE 1 END), -1 * SUM(CASE WHEN x.score_social IS NULL THEN 0 '
            'ELSE 1 END), -1 * SUM(CASE WHEN x.score_psychosocial IS NULL THEN 0 ELSE 1 END), -1 * SUM(CASE '
            'WHEN x.score_composite IS NULL THEN 0 ELSE 1 END) FROM returns_visit x WHERE x.case_id = OLD.id '
            'AND OLD.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6 ON CONFLICT (programme_id, '
            'opened_month, closed_month, withdrawn, month, status) DO UPDATE SET visits = visits + '
            'excluded.visits, economic = economic + excluded.economic, social = social + excluded.social, '
            'psychosocial = psychosocial + excluded.psychosocial, composite = composite + '
            'excluded.composite, economic_n = economic_n + excluded.economic_n, social_n = social_n + '
            'excluded.social_n, psychosocial_n = psychosocial_n + excluded.psychosocial_n, composite_n = '
            'composite_n + excluded.composite_n; INSERT INTO reporting_visitmonth (programme_id, '
            'opened_month, closed_month, withdrawn, month, status, visits, economic, social, psychosocial, '
            'composite, economic_n, social_n, psychosocial_n, composite_n) SELECT NEW.programme_id, '
            "date(NEW.opened_on, 'start of month'), COALESCE(date(NEW.closed_on, 'start of month'), "
            "'9999-12-01'), (NEW.status = 'withdrawn'), date(x.planned_on, 'start of month'), x.status, 1 * "
            'SUM(1), 1 * SUM(COALESCE(CAST(ROUND(x.score_economic * 10000) AS INTEGER), 0)), 1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_social * 10000) AS INTEGER), 0)), 1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_psychosocial * 10000) AS INTEGER), 0)), 1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_composite * 10000) AS INTEGER), 0)), 1 * SUM(CASE WHEN '
            'x.score_economic IS NULL THEN 0 ELSE 1 END), 1 * SUM(CASE WHEN x.score_social IS NULL THEN 0 '
            'ELSE 1 END), 1 * SUM(CASE WHEN x.score_psychosocial IS NULL THEN 0 ELSE 1 END), 1 * SUM(CASE '
            'WHEN x.score_composite IS NULL THEN 0 ELSE 1 END) FROM returns_visit x WHERE x.case_id = NEW.id '
            'AND NEW.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6 ON CONFLICT (programme_id, '
            'opened_month, closed_month, withdrawn, month, status) DO UPDATE SET visits = visits + '
            'excluded.visits, economic = economic + excluded.economic, social = social + excluded.social, '
            'psychosocial = psychosocial + excluded.psychosocial, composite = composite + '
            'excluded.composite, economic_n = economic_n + excluded.economic_n, social_n = social_n + '
            'excluded.social_n, psychosocial_n = psychosocial_n + excluded.psychosocial_n, composite_n = '
            'composite_n + excluded.composite_n; END'
        ),
        (
            'CREATE TRIGGER deliverymonth_insert AFTER INSERT ON returns_planitem BEGIN INSERT INTO '
            'reporting_deliverymonth (programme_id, opened_month, closed_month, withdrawn, month, category, '
            "items, cents) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), "
            "date(NEW.delivered_on, 'start of month'), NEW.category, 1 * (1), 1 * "
            '(COALESCE(CAST(ROUND(COALESCE(NEW.actual_cost, NEW.planned_amount) * 100) AS INTEGER), 0)) FROM '
            'cases_case c WHERE c.id = NEW.case_id AND c.programme_id IS NOT NULL AND NEW.status = '
            "'delivered' AND NEW.delivered_on IS NOT NULL ON CONFLICT (programme_id, opened_month, "
            'closed_month, withdrawn, month, category) DO UPDATE SET items = items + excluded.items, cents = '
            'cents + excluded.cents; END'
        ),
        (
            'CREATE TRIGGER deliverymonth_delete AFTER DELETE ON returns_planitem BEGIN INSERT INTO '
            'reporting_deliverymonth (programme_id, opened_month, closed_month, withdrawn, month, category, '
            "items, cents) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), "
            "date(OLD.delivered_on, 'start of month'), OLD.category, -1 * (1), -1 * "
            '(COALESCE(CAST(ROUND(COALESCE(OLD.actual_cost, OLD.planned_amount) * 100) AS INTEGER), 0)) FROM '
            'cases_case c WHERE c.id = OLD.case_id AND c.programme_id IS NOT NULL AND OLD.status = '
            "'delivered' AND OLD.delivered_on IS NOT NULL ON CONFLICT (programme_id, opened_month, "
            'closed_month, withdrawn, month, category) DO UPDATE SET items = items + excluded.items, cents = '
            'cents + excluded.cents; END'
        ),
        (
            'CREATE TRIGGER deliverymonth_update AFTER UPDATE ON returns_planitem BEGIN INSERT INTO '
            'reporting_deliverymonth (programme_id, opened_month, closed_month, withdrawn, month, category, '
            "items, cents) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), "
            "date(OLD.delivered_on, 'start of month'), OLD.category, -1 * (1), -1 * "
            '(COALESCE(CAST(ROUND(COALESCE(OLD.actual_cost, OLD.planned_amount) * 100) AS INTEGER), 0)) FROM '
            'cases_case c WHERE c.id = OLD.case_id AND c.programme_id IS NOT NULL AND OLD.status = '
            "'delivered' AND OLD.delivered_on IS NOT NULL ON CONFLICT (programme_id, opened_month, "
            'closed_month, withdrawn, month, category) DO UPDATE SET items = items + excluded.items, cents = '
            'cents + excluded.cents; INSERT INTO reporting_deliverymonth (programme_id, opened_month, '
            'closed_month, withdrawn, month, category, items, cents) SELECT c.programme_id, '
            "date(c.opened_on, 'start of month'), COALESCE(date(c.closed_on, 'start of month'), "
            "'9999-12-01'), (c.status = 'withdrawn'), date(NEW.delivered_on, 'start of month'), "
            'NEW.category, 1 * (1), 1 * (COALESCE(CAST(ROUND(COALESCE(NEW.actual_cost, NEW.planned_amount) * '
            '100) AS INTEGER), 0)) FROM cases_case c WHERE c.id = NEW.case_id AND c.programme_id IS NOT NULL '
            "AND NEW.status = 'delivered' AND NEW.delivered_on IS NOT NULL ON CONFLICT (programme_id, "
            'opened_month, closed_month, withdrawn, month, category) DO UPDATE SET items = items + '
            'excluded.items, cents = cents + excluded.cents; END'
        ),
        (
            'CREATE TRIGGER deliverymonth_case AFTER UPDATE ON cases_case WHEN OLD.programme_id IS NOT '
            'NEW.programme_id OR OLD.opened_on IS NOT NEW.opened_on OR OLD.closed_on IS NOT NEW.closed_on OR '
            'OLD.status IS NOT NEW.status BEGIN INSERT INTO reporting_deliverymonth (programme_id, '
            'opened_month, closed_month, withdrawn, month, category, items, cents) SELECT OLD.programme_id, '
            "date(OLD.opened_on, 'start of month'), COALESCE(date(OLD.closed_on, 'start of month'), "
            "'9999-12-01'), (OLD.status = 'withdrawn'), date(x.delivered_on, 'start of month'), x.category, "
            '-1 * SUM(1), -1 * SUM(COALESCE(CAST(ROUND(COALESCE(x.actual_cost, x.planned_amount) * 100) AS '
            'INTEGER), 0)) FROM returns_planitem x WHERE x.case_id = OLD.id AND OLD.programme_id IS NOT NULL '
            "AND x.status = 'delivered' AND x.delivered_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6 ON CONFLICT "
            '(programme_id, opened_month, closed_month, withdrawn, month, category) DO UPDATE SET items = '
            'items + excluded.items, cents = cents + excluded.cents; INSERT INTO reporting_deliverymonth '
            '(programme_id, opened_month, closed_month, withdrawn, month, category, items, cents) SELECT '
            "NEW.programme_id, date(NEW.opened_on, 'start of month'), COALESCE(date(NEW.closed_on, 'start of "
            "month'), '9999-12-01'), (NEW.status = 'withdrawn'), date(x.delivered_on, 'start of month'), "
            'x.category, 1 * SUM(1), 1 * SUM(COALESCE(CAST(ROUND(COALESCE(x.actual_cost, x.planned_amount) * '
            '100) AS INTEGER), 0)) FROM returns_planitem x WHERE x.case_id = NEW.id AND NEW.programme_id IS '
            "NOT NULL AND x.status = 'delivered' AND x.delivered_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6 ON "
            'CONFLICT (programme_id, opened_month, closed_month, withdrawn, month, category) DO UPDATE SET '
            'items = items + excluded.items, cents = cents + excluded.cents; END'
        ),
        (
            'CREATE TRIGGER casefigure_status_insert AFTER INSERT ON cases_case BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT NEW.programme_id, date(NEW.opened_on, 'start of month'), "
            "COALESCE(date(NEW.closed_on, 'start of month'), '9999-12-01'), (NEW.status = 'withdrawn'), "
            "'status', NEW.status, 1 * (1) WHERE NEW.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT "
            '(programme_id, opened_month, closed_month, withdrawn, dimension, value) DO UPDATE SET cases = '
            'cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_status_delete AFTER DELETE ON cases_case BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT OLD.programme_id, date(OLD.opened_on, 'start of month'), "
            "COALESCE(date(OLD.closed_on, 'start of month'), '9999-12-01'), (OLD.status = 'withdrawn'), "
            "'status', OLD.status, -1 * (1) WHERE OLD.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT "
            '(programme_id, opened_month, closed_month, withdrawn, dimension, value) DO UPDATE SET cases = '
            'cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_status_update AFTER UPDATE ON cases_case WHEN OLD.programme_id IS NOT '
            'NEW.programme_id OR OLD.opened_on IS NOT NEW.opened_on OR OLD.closed_on IS NOT NEW.closed_on OR '
            'OLD.status IS NOT NEW.status OR OLD.country_of_return IS NOT NEW.country_of_return OR OLD.sex '
            'IS NOT NEW.sex OR OLD.is_minor IS NOT NEW.is_minor BEGIN INSERT INTO reporting_casefigure '
            '(programme_id, opened_month, closed_month, withdrawn, dimension, value, cases) SELECT '
            "OLD.programme_id, date(OLD.opened_on, 'start of month'), COALESCE(date(OLD.closed_on, 'start of "
            "month'), '9999-12-01'), (OLD.status = 'withdrawn'), 'status', OLD.status, -1 * (1) WHERE "
            'OLD.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, dimension, value) DO UPDATE SET cases = cases + excluded.cases; INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT NEW.programme_id, date(NEW.opened_on, 'start of month'), "
            "COALESCE(date(NEW.closed_on, 'start of month'), '9999-12-01'), (NEW.status = 'withdrawn'), "
            "'status', NEW.status, 1 * (1) WHERE NEW.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT "
            '(programme_id, opened_month, closed_month, withdrawn, dimension, value) DO UPDATE SET cases = '
            'cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_country_insert AFTER INSERT ON cases_case BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT NEW.programme_id, date(NEW.opened_on, 'start of month'), "
            "COALESCE(date(NEW.closed_on, 'start of month'), '9999-12-01'), (NEW.status = 'withdrawn'), "
            "'country', COALESCE(CAST(NEW.country_of_return AS text), ''), 1 * (1) WHERE NEW.programme_id IS "
            'NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, dimension, '
            'value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_country_delete AFTER DELETE ON cases_case BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT OLD.programme_id, date(OLD.opened_on, 'start of month'), "
            "COALESCE(date(OLD.closed_on, 'start of month'), '9999-12-01'), (OLD.status = 'withdrawn'), "
            "'country', COALESCE(CAST(OLD.country_of_return AS text), ''), -1 * (1) WHERE OLD.programme_id "
            'IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, '
            'dimension, value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_country_update AFTER UPDATE ON cases_case WHEN OLD.programme_id IS '
            'NOT NEW.programme_id OR OLD.opened_on IS NOT NEW.opened_on OR OLD.closed_on IS NOT '
            'NEW.closed_on OR OLD.status IS NOT NEW.status OR OLD.country_of_return IS NOT '
            'NEW.country_of_return OR OLD.sex IS NOT NEW.sex OR OLD.is_minor IS NOT NEW.is_minor BEGIN '
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT OLD.programme_id, date(OLD.opened_on, 'start of month'), "
            "COALESCE(date(OLD.closed_on, 'start of month'), '9999-12-01'), (OLD.status = 'withdrawn'), "
            "'country', COALESCE(CAST(OLD.country_of_return AS text), ''), -1 * (1) WHERE OLD.programme_id "
            'IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, '
            'dimension, value) DO UPDATE SET cases = cases + excluded.cases; INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT NEW.programme_id, date(NEW.opened_on, 'start of month'), "
            "COALESCE(date(NEW.closed_on, 'start of month'), '9999-12-01'), (NEW.status = 'withdrawn'), "
            "'country', COALESCE(CAST(NEW.country_of_return AS text), ''), 1 * (1) WHERE NEW.programme_id IS "
            'NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, dimension, '
            'value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_sex_insert AFTER INSERT ON cases_case BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT NEW.programme_id, date(NEW.opened_on, 'start of month'), "
            "COALESCE(date(NEW.closed_on, 'start of month'), '9999-12-01'), (NEW.status = 'withdrawn'), "
            "'sex', COALESCE(CAST(NEW.sex AS text), ''), 1 * (1) WHERE NEW.programme_id IS NOT NULL AND 1 = "
            '1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, dimension, value) DO UPDATE '
            'SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_sex_delete AFTER DELETE ON cases_case BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT OLD.programme_id, date(OLD.opened_on, 'start of month'), "
            "COALESCE(date(OLD.closed_on, 'start of month'), '9999-12-01'), (OLD.status = 'withdrawn'), "
            "'sex', COALESCE(CAST(OLD.sex AS text), ''), -1 * (1) WHERE OLD.programme_id IS NOT NULL AND 1 = "
            '1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, dimension, value) DO UPDATE '
            'SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_sex_update AFTER UPDATE ON cases_case WHEN OLD.programme_id IS NOT '
            'NEW.programme_id OR OLD.opened_on IS NOT NEW.opened_on OR OLD.closed_on IS NOT NEW.closed_on OR '
            'OLD.status IS NOT NEW.status OR OLD.country_of_return IS NOT NEW.country_of_return OR OLD.sex '
            'IS NOT NEW.sex OR OLD.is_minor IS NOT NEW.is_minor BEGIN INSERT INTO reporting_casefigure '
            '(programme_id, opened_month, closed_month, withdrawn, dimension, value, cases) SELECT '
            "OLD.programme_id, date(OLD.opened_on, 'start of month'), COALESCE(date(OLD.closed_on, 'start of "
            "month'), '9999-12-01'), (OLD.status = 'withdrawn'), 'sex', COALESCE(CAST(OLD.sex AS text), ''), "
            '-1 * (1) WHERE OLD.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, '
            'closed_month, withdrawn, dimension, value) DO UPDATE SET cases = cases + excluded.cases; INSERT '
            'INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, '
            "value, cases) SELECT NEW.programme_id, date(NEW.opened_on, 'start of month'), "
            "COALESCE(date(NEW.closed_on, 'start of month'), '9999-12-01'), (NEW.status = 'withdrawn'), "
            "'sex', COALESCE(CAST(NEW.sex AS text), ''), 1 * (1) WHERE NEW.programme_id IS NOT NULL AND 1 = "
            '1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, dimension, value) DO UPDATE '
            'SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_age_insert AFTER INSERT ON cases_case BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT NEW.programme_id, date(NEW.opened_on, 'start of month'), "
            "COALESCE(date(NEW.closed_on, 'start of month'), '9999-12-01'), (NEW.status = 'withdrawn'), "
            "'age', CASE WHEN NEW.is_minor THEN 'minor' ELSE 'adult' END, 1 * (1) WHERE NEW.programme_id IS "
            'NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, dimension, '
            'value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_age_delete AFTER DELETE ON cases_case BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT OLD.programme_id, date(OLD.opened_on, 'start of month'), "
            "COALESCE(date(OLD.closed_on, 'start of month'), '9999-12-01'), (OLD.status = 'withdrawn'), "
            "'age', CASE WHEN OLD.is_minor THEN 'minor' ELSE 'adult' END, -1 * (1) WHERE OLD.programme_id IS "
            'NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, dimension, '
            'value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_age_update AFTER UPDATE ON cases_case WHEN OLD.programme_id IS NOT '
            'NEW.programme_id OR OLD.opened_on IS NOT NEW.opened_on OR OLD.closed_on IS NOT NEW.closed_on OR '
            'OLD.status IS NOT NEW.status OR OLD.country_of_return IS NOT NEW.country_of_return OR OLD.sex '
            'IS NOT NEW.sex OR OLD.is_minor IS NOT NEW.is_minor BEGIN INSERT INTO reporting_casefigure '
            '(programme_id, opened_month, closed_month, withdrawn, dimension, value, cases) SELECT '
            "OLD.programme_id, date(OLD.opened_on, 'start of month'), COALESCE(date(OLD.closed_on, 'start of "
            "month'), '9999-12-01'), (OLD.status = 'withdrawn'), 'age', CASE WHEN OLD.is_minor THEN 'minor' "
            "ELSE 'adult' END, -1 * (1) WHERE OLD.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT "
            '(programme_id, opened_month, closed_month, withdrawn, dimension, value) DO UPDATE SET cases = '
            'cases + excluded.cases; INSERT INTO reporting_casefigure (programme_id, opened_month, '
            'closed_month, withdrawn, dimension, value, cases) SELECT NEW.programme_id, date(NEW.opened_on, '
            "'start of month'), COALESCE(date(NEW.closed_on, 'start of month'), '9999-12-01'), (NEW.status = "
            "'withdrawn'), 'age', CASE WHEN NEW.is_minor THEN 'minor' ELSE 'adult' END, 1 * (1) WHERE "
            'NEW.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, dimension, value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_forms_insert AFTER INSERT ON referrals_referral BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT c.programme_id, date(c.opened_on, 'start of month'), COALESCE(date(c.closed_on, "
            "'start of month'), '9999-12-01'), (c.status = 'withdrawn'), 'forms', "
            "COALESCE(CAST(NEW.forms_of_exploitation AS text), ''), 1 * (1) FROM cases_case c WHERE c.id = "
            'NEW.case_id AND c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, '
            'closed_month, withdrawn, dimension, value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_forms_delete AFTER DELETE ON referrals_referral BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT c.programme_id, date(c.opened_on, 'start of month'), COALESCE(date(c.closed_on, "
            "'start of month'), '9999-12-01'), (c.status = 'withdrawn'), 'forms', "
            "COALESCE(CAST(OLD.forms_of_exploitation AS text), ''), -1 * (1) FROM cases_case c WHERE c.id = "
            'OLD.case_id AND c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, '
            'closed_month, withdrawn, dimension, value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_forms_update AFTER UPDATE ON referrals_referral BEGIN INSERT INTO '
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT c.programme_id, date(c.opened_on, 'start of month'), COALESCE(date(c.closed_on, "
            "'start of month'), '9999-12-01'), (c.status = 'withdrawn'), 'forms', "
            "COALESCE(CAST(OLD.forms_of_exploitation AS text), ''), -1 * (1) FROM cases_case c WHERE c.id = "
            'OLD.case_id AND c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, '
            'closed_month, withdrawn, dimension, value) DO UPDATE SET cases = cases + excluded.cases; INSERT '
            'INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, '
            "value, cases) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), 'forms', "
            "COALESCE(CAST(NEW.forms_of_exploitation AS text), ''), 1 * (1) FROM cases_case c WHERE c.id = "
            'NEW.case_id AND c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, '
            'closed_month, withdrawn, dimension, value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
        (
            'CREATE TRIGGER casefigure_forms_case AFTER UPDATE ON cases_case WHEN OLD.programme_id IS NOT '
            'NEW.programme_id OR OLD.opened_on IS NOT NEW.opened_on OR OLD.closed_on IS NOT NEW.closed_on OR '
            'OLD.status IS NOT NEW.status BEGIN INSERT INTO reporting_casefigure (programme_id, '
            'opened_month, closed_month, withdrawn, dimension, value, cases) SELECT OLD.programme_id, '
            "date(OLD.opened_on, 'start of month'), COALESCE(date(OLD.closed_on, 'start of month'), "
            "'9999-12-01'), (OLD.status = 'withdrawn'), 'forms', COALESCE(CAST(x.forms_of_exploitation AS "
            "text), ''), -1 * SUM(1) FROM referrals_referral x WHERE x.case_id = OLD.id AND OLD.programme_id "
            'IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6 ON CONFLICT (programme_id, opened_month, '
            'closed_month, withdrawn, dimension, value) DO UPDATE SET cases = cases + excluded.cases; INSERT '
            'INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, '
            "value, cases) SELECT NEW.programme_id, date(NEW.opened_on, 'start of month'), "
            "COALESCE(date(NEW.closed_on, 'start of month'), '9999-12-01'), (NEW.status = 'withdrawn'), "
            "'forms', COALESCE(CAST(x.forms_of_exploitation AS text), ''), 1 * SUM(1) FROM "
            'referrals_referral x WHERE x.case_id = NEW.id AND NEW.programme_id IS NOT NULL AND 1 = 1 GROUP '
            'BY 1, 2, 3, 4, 5, 6 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, '
            'dimension, value) DO UPDATE SET cases = cases + excluded.cases; END'
        ),
    ],
    "postgresql": [
        (
            'CREATE FUNCTION visitmonth_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> '
            "'INSERT' THEN INSERT INTO reporting_visitmonth (programme_id, opened_month, closed_month, "
            'withdrawn, month, status, visits, economic, social, psychosocial, composite, economic_n, '
            "social_n, psychosocial_n, composite_n) SELECT c.programme_id, CAST(date_trunc('month', "
            "c.opened_on) AS date), COALESCE(CAST(date_trunc('month', c.closed_on) AS date), DATE "
            "'9999-12-01'), (c.status = 'withdrawn'), CAST(date_trunc('month', OLD.planned_on) AS date), "
            'OLD.status, -1 * (1), -1 * (COALESCE(CAST(ROUND(OLD.score_economic * 10000) AS bigint), 0)), -1 '
            '* (COALESCE(CAST(ROUND(OLD.score_social * 10000) AS bigint), 0)), -1 * '
            '(COALESCE(CAST(ROUND(OLD.score_psychosocial * 10000) AS bigint), 0)), -1 * '
            '(COALESCE(CAST(ROUND(OLD.score_composite * 10000) AS bigint), 0)), -1 * (CASE WHEN '
            'OLD.score_economic IS NULL THEN 0 ELSE 1 END), -1 * (CASE WHEN OLD.score_social IS NULL THEN 0 '
            'ELSE 1 END), -1 * (CASE WHEN OLD.score_psychosocial IS NULL THEN 0 ELSE 1 END), -1 * (CASE WHEN '
            'OLD.score_composite IS NULL THEN 0 ELSE 1 END) FROM cases_case c WHERE c.id = OLD.case_id AND '
            'c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, month, status) DO UPDATE SET visits = reporting_visitmonth.visits + excluded.visits, '
            'economic = reporting_visitmonth.economic + excluded.economic, social = '
            'reporting_visitmonth.social + excluded.social, psychosocial = reporting_visitmonth.psychosocial '
            '+ excluded.psychosocial, composite = reporting_visitmonth.composite + excluded.composite, '
            'economic_n = reporting_visitmonth.economic_n + excluded.economic_n, social_n = '
            'reporting_visitmonth.social_n + excluded.social_n, psychosocial_n = '
            'reporting_visitmonth.psychosocial_n + excluded.psychosocial_n, composite_n = '
            "reporting_visitmonth.composite_n + excluded.composite_n; END IF; IF TG_OP <> 'DELETE' THEN "
            'INSERT INTO reporting_visitmonth (programme_id, opened_month, closed_month, withdrawn, month, '
            'status, visits, economic, social, psychosocial, composite, economic_n, social_n, '
            "psychosocial_n, composite_n) SELECT c.programme_id, CAST(date_trunc('month', c.opened_on) AS "
            "date), COALESCE(CAST(date_trunc('month', c.closed_on) AS date), DATE '9999-12-01'), (c.status = "
            "'withdrawn'), CAST(date_trunc('month', NEW.planned_on) AS date), NEW.status, 1 * (1), 1 * "
            '(COALESCE(CAST(ROUND(NEW.score_economic * 10000) AS bigint), 0)), 1 * '
            '(COALESCE(CAST(ROUND(NEW.score_social * 10000) AS bigint), 0)), 1 * '
            '(COALESCE(CAST(ROUND(NEW.score_psychosocial * 10000) AS bigint), 0)), 1 * '
            '(COALESCE(CAST(ROUND(NEW.score_composite * 10000) AS bigint), 0)), 1 * (CASE WHEN '
            'NEW.score_economic IS NULL THEN 0 ELSE 1 END), 1 * (CASE WHEN NEW.score_social IS NULL THEN 0 '
            'ELSE 1 END), 1 * (CASE WHEN NEW.score_psychosocial IS NULL THEN 0 ELSE 1 END), 1 * (CASE WHEN '
            'NEW.score_composite IS NULL THEN 0 ELSE 1 END) FROM cases_case c WHERE c.id = NEW.case_id AND '
            'c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, month, status) DO UPDATE SET visits = reporting_visitmonth.visits + excluded.visits, '
            'economic = reporting_visitmonth.economic + excluded.economic, social = '
            'reporting_visitmonth.social + excluded.social, psychosocial = reporting_visitmonth.psychosocial '
            '+ excluded.psychosocial, composite = reporting_visitmonth.composite + excluded.composite, '
            'economic_n = reporting_visitmonth.economic_n + excluded.economic_n, social_n = '
            'reporting_visitmonth.social_n + excluded.social_n, psychosocial_n = '
            'reporting_visitmonth.psychosocial_n + excluded.psychosocial_n, composite_n = '
            'reporting_visitmonth.composite_n + excluded.composite_n; END IF; RETURN NULL; END $$'
        ),
        (
            'CREATE TRIGGER visitmonth_row AFTER INSERT OR DELETE ON returns_visit FOR EACH ROW EXECUTE '
            'FUNCTION visitmonth_row()'
        ),
        (
            'CREATE TRIGGER visitmonth_update AFTER UPDATE ON returns_visit FOR EACH ROW EXECUTE FUNCTION '
            'visitmonth_row()'
        ),
        (
            'CREATE FUNCTION visitmonth_case() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO '
            'reporting_visitmonth (programme_id, opened_month, closed_month, withdrawn, month, status, '
            'visits, economic, social, psychosocial, composite, economic_n, social_n, psychosocial_n, '
            "composite_n) SELECT OLD.programme_id, CAST(date_trunc('month', OLD.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', OLD.closed_on) AS date), DATE '9999-12-01'), (OLD.status = "
            "'withdrawn'), CAST(date_trunc('month', x.planned_on) AS date), x.status, -1 * SUM(1), -1 * "
            'SUM(COALESCE(CAST(ROUND(x.score_economic * 10000) AS bigint), 0)), -1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_social * 10000) AS bigint), 0)), -1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_psychosocial * 10000) AS bigint), 0)), -1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_composite * 10000) AS bigint), 0)), -1 * SUM(CASE WHEN '
            'x.score_economic IS NULL THEN 0 ELSE 1 END), -1 * SUM(CASE WHEN x.score_social IS NULL THEN 0 '
            'ELSE 1 END), -1 * SUM(CASE WHEN x.score_psychosocial IS NULL THEN 0 ELSE 1 END), -1 * SUM(CASE '
            'WHEN x.score_composite IS NULL THEN 0 ELSE 1 END) FROM returns_visit x WHERE x.case_id = OLD.id '
            'AND OLD.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6 ON CONFLICT (programme_id, '
            'opened_month, closed_month, withdrawn, month, status) DO UPDATE SET visits = '
            'reporting_visitmonth.visits + excluded.visits, economic = reporting_visitmonth.economic + '
            'excluded.economic, social = reporting_visitmonth.social + excluded.social, psychosocial = '
            'reporting_visitmonth.psychosocial + excluded.psychosocial, composite = '
            'reporting_visitmonth.composite + excluded.composite, economic_n = '
            'reporting_visitmonth.economic_n + excluded.economic_n, social_n = reporting_visitmonth.social_n '
            '+ excluded.social_n, psychosocial_n = reporting_visitmonth.psychosocial_n + '
            'excluded.psychosocial_n, composite_n = reporting_visitmonth.composite_n + excluded.composite_n; '
            'INSERT INTO reporting_visitmonth (programme_id, opened_month, closed_month, withdrawn, month, '
            'status, visits, economic, social, psychosocial, composite, economic_n, social_n, '
            "psychosocial_n, composite_n) SELECT NEW.programme_id, CAST(date_trunc('month', NEW.opened_on) "
            "AS date), COALESCE(CAST(date_trunc('month', NEW.closed_on) AS date), DATE '9999-12-01'), "
            "(NEW.status = 'withdrawn'), CAST(date_trunc('month', x.planned_on) AS date), x.status, 1 * "
            'SUM(1), 1 * SUM(COALESCE(CAST(ROUND(x.score_economic * 10000) AS bigint), 0)), 1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_social * 10000) AS bigint), 0)), 1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_psychosocial * 10000) AS bigint), 0)), 1 * '
            'SUM(COALESCE(CAST(ROUND(x.score_composite * 10000) AS bigint), 0)), 1 * SUM(CASE WHEN '
            'x.score_economic IS NULL THEN 0 ELSE 1 END), 1 * SUM(CASE WHEN x.score_social IS NULL THEN 0 '
            'ELSE 1 END), 1 * SUM(CASE WHEN x.score_psychosocial IS NULL THEN 0 ELSE 1 END), 1 * SUM(CASE '
            'WHEN x.score_composite IS NULL THEN 0 ELSE 1 END) FROM returns_visit x WHERE x.case_id = NEW.id '
            'AND NEW.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6 ON CONFLICT (programme_id, '
            'opened_month, closed_month, withdrawn, month, status) DO UPDATE SET visits = '
            'reporting_visitmonth.visits + excluded.visits, economic = reporting_visitmonth.economic + '
            'excluded.economic, social = reporting_visitmonth.social + excluded.social, psychosocial = '
            'reporting_visitmonth.psychosocial + excluded.psychosocial, composite = '
            'reporting_visitmonth.composite + excluded.composite, economic_n = '
            'reporting_visitmonth.economic_n + excluded.economic_n, social_n = reporting_visitmonth.social_n '
            '+ excluded.social_n, psychosocial_n = reporting_visitmonth.psychosocial_n + '
            'excluded.psychosocial_n, composite_n = reporting_visitmonth.composite_n + excluded.composite_n; '
            'RETURN NULL; END $$'
        ),
        (
            'CREATE TRIGGER visitmonth_case AFTER UPDATE ON cases_case FOR EACH ROW WHEN (OLD.programme_id '
            'IS DISTINCT FROM NEW.programme_id OR OLD.opened_on IS DISTINCT FROM NEW.opened_on OR '
            'OLD.closed_on IS DISTINCT FROM NEW.closed_on OR OLD.status IS DISTINCT FROM NEW.status) EXECUTE '
            'FUNCTION visitmonth_case()'
        ),
        (
            'CREATE FUNCTION deliverymonth_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> '
            "'INSERT' THEN INSERT INTO reporting_deliverymonth (programme_id, opened_month, closed_month, "
            "withdrawn, month, category, items, cents) SELECT c.programme_id, CAST(date_trunc('month', "
            "c.opened_on) AS date), COALESCE(CAST(date_trunc('month', c.closed_on) AS date), DATE "
            "'9999-12-01'), (c.status = 'withdrawn'), CAST(date_trunc('month', OLD.delivered_on) AS date), "
            'OLD.category, -1 * (1), -1 * (COALESCE(CAST(ROUND(COALESCE(OLD.actual_cost, OLD.planned_amount) '
            '* 100) AS bigint), 0)) FROM cases_case c WHERE c.id = OLD.case_id AND c.programme_id IS NOT '
            "NULL AND OLD.status = 'delivered' AND OLD.delivered_on IS NOT NULL ON CONFLICT (programme_id, "
            'opened_month, closed_month, withdrawn, month, category) DO UPDATE SET items = '
            'reporting_deliverymonth.items + excluded.items, cents = reporting_deliverymonth.cents + '
            "excluded.cents; END IF; IF TG_OP <> 'DELETE' THEN INSERT INTO reporting_deliverymonth "
            '(programme_id, opened_month, closed_month, withdrawn, month, category, items, cents) SELECT '
            "c.programme_id, CAST(date_trunc('month', c.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', c.closed_on) AS date), DATE '9999-12-01'), (c.status = "
            "'withdrawn'), CAST(date_trunc('month', NEW.delivered_on) AS date), NEW.category, 1 * (1), 1 * "
            '(COALESCE(CAST(ROUND(COALESCE(NEW.actual_cost, NEW.planned_amount) * 100) AS bigint), 0)) FROM '
            'cases_case c WHERE c.id = NEW.case_id AND c.programme_id IS NOT NULL AND NEW.status = '
            "'delivered' AND NEW.delivered_on IS NOT NULL ON CONFLICT (programme_id, opened_month, "
            'closed_month, withdrawn, month, category) DO UPDATE SET items = reporting_deliverymonth.items + '
            'excluded.items, cents = reporting_deliverymonth.cents + excluded.cents; END IF; RETURN NULL; '
            'END $$'
        ),
        (
            'CREATE TRIGGER deliverymonth_row AFTER INSERT OR DELETE ON returns_planitem FOR EACH ROW '
            'EXECUTE FUNCTION deliverymonth_row()'
        ),
        (
            'CREATE TRIGGER deliverymonth_update AFTER UPDATE ON returns_planitem FOR EACH ROW EXECUTE '
            'FUNCTION deliverymonth_row()'
        ),
        (
            'CREATE FUNCTION deliverymonth_case() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO '
            'reporting_deliverymonth (programme_id, opened_month, closed_month, withdrawn, month, category, '
            "items, cents) SELECT OLD.programme_id, CAST(date_trunc('month', OLD.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', OLD.closed_on) AS date), DATE '9999-12-01'), (OLD.status = "
            "'withdrawn'), CAST(date_trunc('month', x.delivered_on) AS date), x.category, -1 * SUM(1), -1 * "
            'SUM(COALESCE(CAST(ROUND(COALESCE(x.actual_cost, x.planned_amount) * 100) AS bigint), 0)) FROM '
            'returns_planitem x WHERE x.case_id = OLD.id AND OLD.programme_id IS NOT NULL AND x.status = '
            "'delivered' AND x.delivered_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6 ON CONFLICT (programme_id, "
            'opened_month, closed_month, withdrawn, month, category) DO UPDATE SET items = '
            'reporting_deliverymonth.items + excluded.items, cents = reporting_deliverymonth.cents + '
            'excluded.cents; INSERT INTO reporting_deliverymonth (programme_id, opened_month, closed_month, '
            "withdrawn, month, category, items, cents) SELECT NEW.programme_id, CAST(date_trunc('month', "
            "NEW.opened_on) AS date), COALESCE(CAST(date_trunc('month', NEW.closed_on) AS date), DATE "
            "'9999-12-01'), (NEW.status = 'withdrawn'), CAST(date_trunc('month', x.delivered_on) AS date), "
            'x.category, 1 * SUM(1), 1 * SUM(COALESCE(CAST(ROUND(COALESCE(x.actual_cost, x.planned_amount) * '
            '100) AS bigint), 0)) FROM returns_planitem x WHERE x.case_id = NEW.id AND NEW.programme_id IS '
            "NOT NULL AND x.status = 'delivered' AND x.delivered_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6 ON "
            'CONFLICT (programme_id, opened_month, closed_month, withdrawn, month, category) DO UPDATE SET '
            'items = reporting_deliverymonth.items + excluded.items, cents = reporting_deliverymonth.cents + '
            'excluded.cents; RETURN NULL; END $$'
        ),
        (
            'CREATE TRIGGER deliverymonth_case AFTER UPDATE ON cases_case FOR EACH ROW WHEN '
            '(OLD.programme_id IS DISTINCT FROM NEW.programme_id OR OLD.opened_on IS DISTINCT FROM '
            'NEW.opened_on OR OLD.closed_on IS DISTINCT FROM NEW.closed_on OR OLD.status IS DISTINCT FROM '
            'NEW.status) EXECUTE FUNCTION deliverymonth_case()'
        ),
        (
            'CREATE FUNCTION casefigure_status_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP '
            "<> 'INSERT' THEN INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, "
            "withdrawn, dimension, value, cases) SELECT OLD.programme_id, CAST(date_trunc('month', "
            "OLD.opened_on) AS date), COALESCE(CAST(date_trunc('month', OLD.closed_on) AS date), DATE "
            "'9999-12-01'), (OLD.status = 'withdrawn'), 'status', OLD.status, -1 * (1) WHERE "
            'OLD.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, dimension, value) DO UPDATE SET cases = reporting_casefigure.cases + excluded.cases; '
            "END IF; IF TG_OP <> 'DELETE' THEN INSERT INTO reporting_casefigure (programme_id, opened_month, "
            'closed_month, withdrawn, dimension, value, cases) SELECT NEW.programme_id, '
            "CAST(date_trunc('month', NEW.opened_on) AS date), COALESCE(CAST(date_trunc('month', "
            "NEW.closed_on) AS date), DATE '9999-12-01'), (NEW.status = 'withdrawn'), 'status', NEW.status, "
            '1 * (1) WHERE NEW.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, '
            'closed_month, withdrawn, dimension, value) DO UPDATE SET cases = reporting_casefigure.cases + '
            'excluded.cases; END IF; RETURN NULL; END $$'
        ),
        (
            'CREATE TRIGGER casefigure_status_row AFTER INSERT OR DELETE ON cases_case FOR EACH ROW EXECUTE '
            'FUNCTION casefigure_status_row()'
        ),
        (
            'CREATE TRIGGER casefigure_status_update AFTER UPDATE ON cases_case FOR EACH ROW WHEN '
            '(OLD.programme_id IS DISTINCT FROM NEW.programme_id OR OLD.opened_on IS DISTINCT FROM '
            'NEW.opened_on OR OLD.closed_on IS DISTINCT FROM NEW.closed_on OR OLD.status IS DISTINCT FROM '
            'NEW.status OR OLD.country_of_return IS DISTINCT FROM NEW.country_of_return OR OLD.sex IS '
            'DISTINCT FROM NEW.sex OR OLD.is_minor IS DISTINCT FROM NEW.is_minor) EXECUTE FUNCTION '
            'casefigure_status_row()'
        ),
        (
            'CREATE FUNCTION casefigure_country_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP '
            "<> 'INSERT' THEN INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, "
            "withdrawn, dimension, value, cases) SELECT OLD.programme_id, CAST(date_trunc('month', "
            "OLD.opened_on) AS date), COALESCE(CAST(date_trunc('month', OLD.closed_on) AS date), DATE "
            "'9999-12-01'), (OLD.status = 'withdrawn'), 'country', COALESCE(CAST(OLD.country_of_return AS "
            "text), ''), -1 * (1) WHERE OLD.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, "
            'opened_month, closed_month, withdrawn, dimension, value) DO UPDATE SET cases = '
            "reporting_casefigure.cases + excluded.cases; END IF; IF TG_OP <> 'DELETE' THEN INSERT INTO "
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT NEW.programme_id, CAST(date_trunc('month', NEW.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', NEW.closed_on) AS date), DATE '9999-12-01'), (NEW.status = "
            "'withdrawn'), 'country', COALESCE(CAST(NEW.country_of_return AS text), ''), 1 * (1) WHERE "
            'NEW.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, dimension, value) DO UPDATE SET cases = reporting_casefigure.cases + excluded.cases; '
            'END IF; RETURN NULL; END $$'
        ),
        (
            'CREATE TRIGGER casefigure_country_row AFTER INSERT OR DELETE ON cases_case FOR EACH ROW EXECUTE '
            'FUNCTION casefigure_country_row()'
        ),
        (
            'CREATE TRIGGER casefigure_country_update AFTER UPDATE ON cases_case FOR EACH ROW WHEN '
            '(OLD.programme_id IS DISTINCT FROM NEW.programme_id OR OLD.opened_on IS DISTINCT FROM '
            'NEW.opened_on OR OLD.closed_on IS DISTINCT FROM NEW.closed_on OR OLD.status IS DISTINCT FROM '
            'NEW.status OR OLD.country_of_return IS DISTINCT FROM NEW.country_of_return OR OLD.sex IS '
            'DISTINCT FROM NEW.sex OR OLD.is_minor IS DISTINCT FROM NEW.is_minor) EXECUTE FUNCTION '
            'casefigure_country_row()'
        ),
        (
            'CREATE FUNCTION casefigure_sex_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> '
            "'INSERT' THEN INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, "
            "withdrawn, dimension, value, cases) SELECT OLD.programme_id, CAST(date_trunc('month', "
            "OLD.opened_on) AS date), COALESCE(CAST(date_trunc('month', OLD.closed_on) AS date), DATE "
            "'9999-12-01'), (OLD.status = 'withdrawn'), 'sex', COALESCE(CAST(OLD.sex AS text), ''), -1 * (1) "
            'WHERE OLD.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, '
            'closed_month, withdrawn, dimension, value) DO UPDATE SET cases = reporting_casefigure.cases + '
            "excluded.cases; END IF; IF TG_OP <> 'DELETE' THEN INSERT INTO reporting_casefigure "
            '(programme_id, opened_month, closed_month, withdrawn, dimension, value, cases) SELECT '
            "NEW.programme_id, CAST(date_trunc('month', NEW.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', NEW.closed_on) AS date), DATE '9999-12-01'), (NEW.status = "
            "'withdrawn'), 'sex', COALESCE(CAST(NEW.sex AS text), ''), 1 * (1) WHERE NEW.programme_id IS NOT "
            'NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, dimension, '
            'value) DO UPDATE SET cases = reporting_casefigure.cases + excluded.cases; END IF; RETURN NULL; '
            'END $$'
        ),
        (
            'CREATE TRIGGER casefigure_sex_row AFTER INSERT OR DELETE ON cases_case FOR EACH ROW EXECUTE '
            'FUNCTION casefigure_sex_row()'
        ),
        (
            'CREATE TRIGGER casefigure_sex_update AFTER UPDATE ON cases_case FOR EACH ROW WHEN '
            '(OLD.programme_id IS DISTINCT FROM NEW.programme_id OR OLD.opened_on IS DISTINCT FROM '
            'NEW.opened_on OR OLD.closed_on IS DISTINCT FROM NEW.closed_on OR OLD.status IS DISTINCT FROM '
            'NEW.status OR OLD.country_of_return IS DISTINCT FROM NEW.country_of_return OR OLD.sex IS '
            'DISTINCT FROM NEW.sex OR OLD.is_minor IS DISTINCT FROM NEW.is_minor) EXECUTE FUNCTION '
            'casefigure_sex_row()'
        ),
        (
            'CREATE FUNCTION casefigure_age_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> '
            "'INSERT' THEN INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, "
            "withdrawn, dimension, value, cases) SELECT OLD.programme_id, CAST(date_trunc('month', "
            "OLD.opened_on) AS date), COALESCE(CAST(date_trunc('month', OLD.closed_on) AS date), DATE "
            "'9999-12-01'), (OLD.status = 'withdrawn'), 'age', CASE WHEN OLD.is_minor THEN 'minor' ELSE "
            "'adult' END, -1 * (1) WHERE OLD.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, "
            'opened_month, closed_month, withdrawn, dimension, value) DO UPDATE SET cases = '
            "reporting_casefigure.cases + excluded.cases; END IF; IF TG_OP <> 'DELETE' THEN INSERT INTO "
            'reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, value, '
            "cases) SELECT NEW.programme_id, CAST(date_trunc('month', NEW.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', NEW.closed_on) AS date), DATE '9999-12-01'), (NEW.status = "
            "'withdrawn'), 'age', CASE WHEN NEW.is_minor THEN 'minor' ELSE 'adult' END, 1 * (1) WHERE "
            'NEW.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, '
            'withdrawn, dimension, value) DO UPDATE SET cases = reporting_casefigure.cases + excluded.cases; '
            'END IF; RETURN NULL; END $$'
        ),
        (
            'CREATE TRIGGER casefigure_age_row AFTER INSERT OR DELETE ON cases_case FOR EACH ROW EXECUTE '
            'FUNCTION casefigure_age_row()'
        ),
        (
            'CREATE TRIGGER casefigure_age_update AFTER UPDATE ON cases_case FOR EACH ROW WHEN '
            '(OLD.programme_id IS DISTINCT FROM NEW.programme_id OR OLD.opened_on IS DISTINCT FROM '
            'NEW.opened_on OR OLD.closed_on IS DISTINCT FROM NEW.closed_on OR OLD.status IS DISTINCT FROM '
            'NEW.status OR OLD.country_of_return IS DISTINCT FROM NEW.country_of_return OR OLD.sex IS '
            'DISTINCT FROM NEW.sex OR OLD.is_minor IS DISTINCT FROM NEW.is_minor) EXECUTE FUNCTION '
            'casefigure_age_row()'
        ),
        (
            'CREATE FUNCTION casefigure_forms_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> '
            "'INSERT' THEN INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, "
            "withdrawn, dimension, value, cases) SELECT c.programme_id, CAST(date_trunc('month', "
            "c.opened_on) AS date), COALESCE(CAST(date_trunc('month', c.closed_on) AS date), DATE "
            "'9999-12-01'), (c.status = 'withdrawn'), 'forms', COALESCE(CAST(OLD.forms_of_exploitation AS "
            "text), ''), -1 * (1) FROM cases_case c WHERE c.id = OLD.case_id AND c.programme_id IS NOT NULL "
            'AND 1 = 1 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, dimension, value) '
            "DO UPDATE SET cases = reporting_casefigure.cases + excluded.cases; END IF; IF TG_OP <> 'DELETE' "
            'THEN INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT c.programme_id, CAST(date_trunc('month', c.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', c.closed_on) AS date), DATE '9999-12-01'), (c.status = "
            "'withdrawn'), 'forms', COALESCE(CAST(NEW.forms_of_exploitation AS text), ''), 1 * (1) FROM "
            'cases_case c WHERE c.id = NEW.case_id AND c.programme_id IS NOT NULL AND 1 = 1 ON CONFLICT '
            '(programme_id, opened_month, closed_month, withdrawn, dimension, value) DO UPDATE SET cases = '
            'reporting_casefigure.cases + excluded.cases; END IF; RETURN NULL; END $$'
        ),
        (
            'CREATE TRIGGER casefigure_forms_row AFTER INSERT OR DELETE ON referrals_referral FOR EACH ROW '
            'EXECUTE FUNCTION casefigure_forms_row()'
        ),
        (
            'CREATE TRIGGER casefigure_forms_update AFTER UPDATE ON referrals_referral FOR EACH ROW EXECUTE '
            'FUNCTION casefigure_forms_row()'
        ),
        (
            'CREATE FUNCTION casefigure_forms_case() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT '
            'INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, '
            "value, cases) SELECT OLD.programme_id, CAST(date_trunc('month', OLD.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', OLD.closed_on) AS date), DATE '9999-12-01'), (OLD.status = "
            "'withdrawn'), 'forms', COALESCE(CAST(x.forms_of_exploitation AS text), ''), -1 * SUM(1) FROM "
            'referrals_referral x WHERE x.case_id = OLD.id AND OLD.programme_id IS NOT NULL AND 1 = 1 GROUP '
            'BY 1, 2, 3, 4, 5, 6 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, '
            'dimension, value) DO UPDATE SET cases = reporting_casefigure.cases + excluded.cases; INSERT '
            'INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, dimension, '
            "value, cases) SELECT NEW.programme_id, CAST(date_trunc('month', NEW.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', NEW.closed_on) AS date), DATE '9999-12-01'), (NEW.status = "
            "'withdrawn'), 'forms', COALESCE(CAST(x.forms_of_exploitation AS text), ''), 1 * SUM(1) FROM "
            'referrals_referral x WHERE x.case_id = NEW.id AND NEW.programme_id IS NOT NULL AND 1 = 1 GROUP '
            'BY 1, 2, 3, 4, 5, 6 ON CONFLICT (programme_id, opened_month, closed_month, withdrawn, '
            'dimension, value) DO UPDATE SET cases = reporting_casefigure.cases + excluded.cases; RETURN '
            'NULL; END $$'
        ),
        (
            'CREATE TRIGGER casefigure_forms_case AFTER UPDATE ON cases_case FOR EACH ROW WHEN '
            '(OLD.programme_id IS DISTINCT FROM NEW.programme_id OR OLD.opened_on IS DISTINCT FROM '
            'NEW.opened_on OR OLD.closed_on IS DISTINCT FROM NEW.closed_on OR OLD.status IS DISTINCT FROM '
            'NEW.status) EXECUTE FUNCTION casefigure_forms_case()'
        ),
    ],
}

UNINSTALL: dict[str, list[str]] = {
    "sqlite": [
        'DROP TRIGGER IF EXISTS visitmonth_insert',
        'DROP TRIGGER IF EXISTS visitmonth_delete',
        'DROP TRIGGER IF EXISTS visitmonth_update',
        'DROP TRIGGER IF EXISTS visitmonth_case',
        'DROP TRIGGER IF EXISTS deliverymonth_insert',
        'DROP TRIGGER IF EXISTS deliverymonth_delete',
        'DROP TRIGGER IF EXISTS deliverymonth_update',
        'DROP TRIGGER IF EXISTS deliverymonth_case',
        'DROP TRIGGER IF EXISTS casefigure_status_insert',
        'DROP TRIGGER IF EXISTS casefigure_status_delete',
        'DROP TRIGGER IF EXISTS casefigure_status_update',
        'DROP TRIGGER IF EXISTS casefigure_status_case',
        'DROP TRIGGER IF EXISTS casefigure_country_insert',
        'DROP TRIGGER IF EXISTS casefigure_country_delete',
        'DROP TRIGGER IF EXISTS casefigure_country_update',
        'DROP TRIGGER IF EXISTS casefigure_country_case',
        'DROP TRIGGER IF EXISTS casefigure_sex_insert',
        'DROP TRIGGER IF EXISTS casefigure_sex_delete',
        'DROP TRIGGER IF EXISTS casefigure_sex_update',
        'DROP TRIGGER IF EXISTS casefigure_sex_case',
        'DROP TRIGGER IF EXISTS casefigure_age_insert',
        'DROP TRIGGER IF EXISTS casefigure_age_delete',
        'DROP TRIGGER IF EXISTS casefigure_age_update',
        'DROP TRIGGER IF EXISTS casefigure_age_case',
        'DROP TRIGGER IF EXISTS casefigure_forms_insert',
        'DROP TRIGGER IF EXISTS casefigure_forms_delete',
        'DROP TRIGGER IF EXISTS casefigure_forms_update',
        'DROP TRIGGER IF EXISTS casefigure_forms_case',
    ],
    "postgresql": [
        'DROP TRIGGER IF EXISTS visitmonth_row ON returns_visit',
        'DROP TRIGGER IF EXISTS visitmonth_update ON returns_visit',
        'DROP TRIGGER IF EXISTS visitmonth_case ON cases_case',
        'DROP FUNCTION IF EXISTS visitmonth_row()',
        'DROP FUNCTION IF EXISTS visitmonth_case()',
        'DROP TRIGGER IF EXISTS deliverymonth_row ON returns_planitem',
        'DROP TRIGGER IF EXISTS deliverymonth_update ON returns_planitem',
        'DROP TRIGGER IF EXISTS deliverymonth_case ON cases_case',
        'DROP FUNCTION IF EXISTS deliverymonth_row()',
        'DROP FUNCTION IF EXISTS deliverymonth_case()',
        'DROP TRIGGER IF EXISTS casefigure_status_row ON cases_case',
        'DROP TRIGGER IF EXISTS casefigure_status_update ON cases_case',
        'DROP TRIGGER IF EXISTS casefigure_status_case ON cases_case',
        'DROP FUNCTION IF EXISTS casefigure_status_row()',
        'DROP FUNCTION IF EXISTS casefigure_status_case()',
        'DROP TRIGGER IF EXISTS casefigure_country_row ON cases_case',
        'DROP TRIGGER IF EXISTS casefigure_country_update ON cases_case',
        'DROP TRIGGER IF EXISTS casefigure_country_case ON cases_case',
        'DROP FUNCTION IF EXISTS casefigure_country_row()',
        'DROP FUNCTION IF EXISTS casefigure_country_case()',
        'DROP TRIGGER IF EXISTS casefigure_sex_row ON cases_case',
        'DROP TRIGGER IF EXISTS casefigure_sex_update ON cases_case',
        'DROP TRIGGER IF EXISTS casefigure_sex_case ON cases_case',
        'DROP FUNCTION IF EXISTS casefigure_sex_row()',
        'DROP FUNCTION IF EXISTS casefigure_sex_case()',
        'DROP TRIGGER IF EXISTS casefigure_age_row ON cases_case',
        'DROP TRIGGER IF EXISTS casefigure_age_update ON cases_case',
        'DROP TRIGGER IF EXISTS casefigure_age_case ON cases_case',
        'DROP FUNCTION IF EXISTS casefigure_age_row()',
        'DROP FUNCTION IF EXISTS casefigure_age_case()',
        'DROP TRIGGER IF EXISTS casefigure_forms_row ON referrals_referral',
        'DROP TRIGGER IF EXISTS casefigure_forms_update ON referrals_referral',
        'DROP TRIGGER IF EXISTS casefigure_forms_case ON cases_case',
        'DROP FUNCTION IF EXISTS casefigure_forms_row()',
        'DROP FUNCTION IF EXISTS casefigure_forms_case()',
    ],
}

REBUILD: dict[str, list[str]] = {
    "sqlite": [
        'DELETE FROM reporting_visitmonth',
        (
            'INSERT INTO reporting_visitmonth (programme_id, opened_month, closed_month, withdrawn, month, '
            'status, visits, economic, social, psychosocial, composite, economic_n, social_n, '
            "psychosocial_n, composite_n) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), "
            "date(x.planned_on, 'start of month'), x.status, SUM(1), "
            'SUM(COALESCE(CAST(ROUND(x.score_economic * 10000) AS INTEGER), 0)), '
            'SUM(COALESCE(CAST(ROUND(x.score_social * 10000) AS INTEGER), 0)), '
            'SUM(COALESCE(CAST(ROUND(x.score_psychosocial * 10000) AS INTEGER), 0)), '
            'SUM(COALESCE(CAST(ROUND(x.score_composite * 10000) AS INTEGER), 0)), SUM(CASE WHEN '
            'x.score_economic IS NULL THEN 0 ELSE 1 END), SUM(CASE WHEN x.score_social IS NULL THEN 0 ELSE 1 '
            'END), SUM(CASE WHEN x.score_psychosocial IS NULL THEN 0 ELSE 1 END), SUM(CASE WHEN '
            'x.score_composite IS NULL THEN 0 ELSE 1 END) FROM returns_visit x JOIN cases_case c ON c.id = '
            'x.case_id WHERE c.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
        'DELETE FROM reporting_deliverymonth',
        (
            'INSERT INTO reporting_deliverymonth (programme_id, opened_month, closed_month, withdrawn, '
            "month, category, items, cents) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), "
            "date(x.delivered_on, 'start of month'), x.category, SUM(1), "
            'SUM(COALESCE(CAST(ROUND(COALESCE(x.actual_cost, x.planned_amount) * 100) AS INTEGER), 0)) FROM '
            'returns_planitem x JOIN cases_case c ON c.id = x.case_id WHERE c.programme_id IS NOT NULL AND '
            "x.status = 'delivered' AND x.delivered_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        'DELETE FROM reporting_casefigure',
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT x.programme_id, date(x.opened_on, 'start of month'), "
            "COALESCE(date(x.closed_on, 'start of month'), '9999-12-01'), (x.status = 'withdrawn'), "
            "'status', x.status, SUM(1) FROM cases_case x WHERE x.programme_id IS NOT NULL AND 1 = 1 GROUP "
            'BY 1, 2, 3, 4, 5, 6'
        ),
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT x.programme_id, date(x.opened_on, 'start of month'), "
            "COALESCE(date(x.closed_on, 'start of month'), '9999-12-01'), (x.status = 'withdrawn'), "
            "'country', COALESCE(CAST(x.country_of_return AS text), ''), SUM(1) FROM cases_case x WHERE "
            'x.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT x.programme_id, date(x.opened_on, 'start of month'), "
            "COALESCE(date(x.closed_on, 'start of month'), '9999-12-01'), (x.status = 'withdrawn'), 'sex', "
            "COALESCE(CAST(x.sex AS text), ''), SUM(1) FROM cases_case x WHERE x.programme_id IS NOT NULL "
            'AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT x.programme_id, date(x.opened_on, 'start of month'), "
            "COALESCE(date(x.closed_on, 'start of month'), '9999-12-01'), (x.status = 'withdrawn'), 'age', "
            "CASE WHEN x.is_minor THEN 'minor' ELSE 'adult' END, SUM(1) FROM cases_case x WHERE "
            'x.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT c.programme_id, date(c.opened_on, 'start of month'), "
            "COALESCE(date(c.closed_on, 'start of month'), '9999-12-01'), (c.status = 'withdrawn'), 'forms', "
            "COALESCE(CAST(x.forms_of_exploitation AS text), ''), SUM(1) FROM referrals_referral x JOIN "
            'cases_case c ON c.id = x.case_id WHERE c.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, '
            '4, 5, 6'
        ),
    ],
    "postgresql": [
        'DELETE FROM reporting_visitmonth',
        (
            'INSERT INTO reporting_visitmonth (programme_id, opened_month, closed_month, withdrawn, month, '
            'status, visits, economic, social, psychosocial, composite, economic_n, social_n, '
            "psychosocial_n, composite_n) SELECT c.programme_id, CAST(date_trunc('month', c.opened_on) AS "
            "date), COALESCE(CAST(date_trunc('month', c.closed_on) AS date), DATE '9999-12-01'), (c.status = "
            "'withdrawn'), CAST(date_trunc('month', x.planned_on) AS date), x.status, SUM(1), "
            'SUM(COALESCE(CAST(ROUND(x.score_economic * 10000) AS bigint), 0)), '
            'SUM(COALESCE(CAST(ROUND(x.score_social * 10000) AS bigint), 0)), '
            'SUM(COALESCE(CAST(ROUND(x.score_psychosocial * 10000) AS bigint), 0)), '
            'SUM(COALESCE(CAST(ROUND(x.score_composite * 10000) AS bigint), 0)), SUM(CASE WHEN '
            'x.score_economic IS NULL THEN 0 ELSE 1 END), SUM(CASE WHEN x.score_social IS NULL THEN 0 ELSE 1 '
            'END), SUM(CASE WHEN x.score_psychosocial IS NULL THEN 0 ELSE 1 END), SUM(CASE WHEN '
            'x.score_composite IS NULL THEN 0 ELSE 1 END) FROM returns_visit x JOIN cases_case c ON c.id = '
            'x.case_id WHERE c.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
        'DELETE FROM reporting_deliverymonth',
        (
            'INSERT INTO reporting_deliverymonth (programme_id, opened_month, closed_month, withdrawn, '
            "month, category, items, cents) SELECT c.programme_id, CAST(date_trunc('month', c.opened_on) AS "
            "date), COALESCE(CAST(date_trunc('month', c.closed_on) AS date), DATE '9999-12-01'), (c.status = "
            "'withdrawn'), CAST(date_trunc('month', x.delivered_on) AS date), x.category, SUM(1), "
            'SUM(COALESCE(CAST(ROUND(COALESCE(x.actual_cost, x.planned_amount) * 100) AS bigint), 0)) FROM '
            'returns_planitem x JOIN cases_case c ON c.id = x.case_id WHERE c.programme_id IS NOT NULL AND '
            "x.status = 'delivered' AND x.delivered_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        'DELETE FROM reporting_casefigure',
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT x.programme_id, CAST(date_trunc('month', x.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', x.closed_on) AS date), DATE '9999-12-01'), (x.status = "
            "'withdrawn'), 'status', x.status, SUM(1) FROM cases_case x WHERE x.programme_id IS NOT NULL AND "
            '1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT x.programme_id, CAST(date_trunc('month', x.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', x.closed_on) AS date), DATE '9999-12-01'), (x.status = "
            "'withdrawn'), 'country', COALESCE(CAST(x.country_of_return AS text), ''), SUM(1) FROM "
            'cases_case x WHERE x.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT x.programme_id, CAST(date_trunc('month', x.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', x.closed_on) AS date), DATE '9999-12-01'), (x.status = "
            "'withdrawn'), 'sex', COALESCE(CAST(x.sex AS text), ''), SUM(1) FROM cases_case x WHERE "
            'x.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT x.programme_id, CAST(date_trunc('month', x.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', x.closed_on) AS date), DATE '9999-12-01'), (x.status = "
            "'withdrawn'), 'age', CASE WHEN x.is_minor THEN 'minor' ELSE 'adult' END, SUM(1) FROM cases_case "
            'x WHERE x.programme_id IS NOT NULL AND 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
        (
            'INSERT INTO reporting_casefigure (programme_id, opened_month, closed_month, withdrawn, '
            "dimension, value, cases) SELECT c.programme_id, CAST(date_trunc('month', c.opened_on) AS date), "
            "COALESCE(CAST(date_trunc('month', c.closed_on) AS date), DATE '9999-12-01'), (c.status = "
            "'withdrawn'), 'forms', COALESCE(CAST(x.forms_of_exploitation AS text), ''), SUM(1) FROM "
            'referrals_referral x JOIN cases_case c ON c.id = x.case_id WHERE c.programme_id IS NOT NULL AND '
            '1 = 1 GROUP BY 1, 2, 3, 4, 5, 6'
        ),
    ],
}


def run(schema_editor: Any, statements: dict[str, list[str]]) -> None:
    """Execute the statements of the connection's engine."""
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def rebuild(connection: Any) -> None:
    """Recompute every rollup from its source rows (inside the migration's transaction)."""
    with connection.cursor() as cursor:
        for statement in REBUILD[connection.vendor]:
            cursor.execute(statement)
