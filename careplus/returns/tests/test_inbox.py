"""The home inbox groups tasks: alerts, overdue, due within a week, approvals, handovers, referrals."""

from __future__ import annotations

import datetime

from careplus.returns.selectors import Task, capped, inbox

DAY = datetime.date(2026, 11, 23)


def test_tasks_are_grouped_in_the_inbox_order_and_empty_groups_are_left_out() -> None:
    tasks = [
        Task(due=DAY, text="visit soon", url="/a"),
        Task(due=DAY - datetime.timedelta(days=3), text="visit late", url="/b", overdue=True),
        Task(due=None, text="approve", url="/c", kind="approval"),
        Task(due=DAY, text="late handover", url="/d", overdue=True, kind="handover"),
        Task(due=DAY, text="distress", url="/e", overdue=True, kind="alert"),
        Task(due=DAY, text="decide", url="/f", kind="referral"),
    ]
    sections = inbox(tasks)
    assert [key for key, _label, _items in sections] == ["alerts", "overdue", "week", "approval", "referral"]
    by_key = {key: [task.text for task in items] for key, _label, items in sections}
    assert by_key["overdue"] == ["visit late", "late handover"]
    assert by_key["week"] == ["visit soon"]
    assert inbox([]) == []


def test_the_inbox_says_it_is_capped_only_when_one_kind_reached_the_cap() -> None:
    visits = [Task(due=DAY, text=f"v{i}", url="/") for i in range(3)]
    mixed = [Task(due=DAY, text="v", url="/"), Task(due=None, text="a", url="/", kind="approval")]
    assert capped(visits, per_kind=3)
    assert not capped(mixed, per_kind=2)
