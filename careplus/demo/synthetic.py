"""Fictional data at scale, shaped as the services write it (encrypted fields, audit chain).

Bulk paths are used for speed, but every row is what the services would have produced: person
fields are encrypted under each case's own data key, blind indexes are keyed, visits carry scores
computed by the sustainability instrument, and the audit events form one valid HMAC chain, so
`verify_audit` passes on the result.

Rows are not written with `bulk_create`, whose per-value compilation cost most of the time, but
by `_insert`: one INSERT run with `executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL.
Each column's value is what Django would have sent (`_Table`): encrypted fields are sealed by the
field's own `pre_save`, other values go through `get_db_prep_save` unless the driver takes them as
they are.

The rows go into the real tables with the dashboard's rollup triggers off, and the rollups are
then recomputed from them in one pass (`rollups.rebuild`), the triggers back on, whatever happens
during the load: run a row at a time, the triggers took 3.2 of the 7.3 s spent inserting 3,000
files on SQLite, the recomputation 0.3 s. With
`workers` above one, worker processes build and encrypt the batches side by side while this
process seals the audit chain and inserts, batch after batch in order.
"""

from __future__ import annotations

import contextlib
import datetime
import multiprocessing
import operator
import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.pool import AsyncResult
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Model
from django.utils import timezone

from careplus.access.roles import Role
from careplus.accounts import services as account_services
from careplus.accounts.choices import OfficeKind, OrganisationType
from careplus.accounts.models import Office, Organisation, User
from careplus.audit import chain
from careplus.audit import services as audit_services
from careplus.audit.models import AuditCheckpoint, AuditEvent, AuditHead, AuditSegmentSeal
from careplus.cases import services as case_services
from careplus.cases.models import Case, CaseEvent, Consent
from careplus.cases.workflow import ADULT_AGE
from careplus.core import crypto, instruments
from careplus.core.dates import add_months
from careplus.core.fields import EncryptedField
from careplus.core.models import DataKey, Instrument
from careplus.core.numbering import reserve_numbers
from careplus.demo.accounts import ensure_demo_allowed
from careplus.programmes.models import Programme
from careplus.referrals.models import Referral
from careplus.reporting import rollups
from careplus.returns import sustainability
from careplus.returns.models import Departure, PlanItem, Visit

GIVEN = ["Sita", "Aminata", "Leila", "Grace", "Mai", "Nadia", "Ama", "Rita", "Chloé", "Esther", "Salma", "Joy"]
FAMILY = ["Gurung", "Ngono", "Haddad", "Okafor", "Nguyen", "Benali", "Tamang", "Mballa", "Trabelsi", "Eze"]
OFFICES = [("NP", "KTM", "Katmandou"), ("CM", "YAO", "Yaoundé"), ("TN", "TUN", "Tunis"), ("NG", "LOS", "Lagos")]
STATUSES = [("open", 5), ("pre_departure", 10), ("ready_to_depart", 5), ("returned", 40), ("closed", 40)]
MONTHLY_VISITS = 12
VISITS_PER_RETURN = 15  # twelve monthly visits and three extra ones within the year
EVENTS_PER_CASE = 20
BATCH = 1000
PHASES = ("build", "convert", "seal", "insert", "rollups")  # in the order a batch goes through them


@dataclass
class Report:
    cases: int = 0
    visits: int = 0
    plan_items: int = 0
    audit_events: int = 0
    referrals: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # Seconds per phase: "build" (rows in memory) and "convert" (column values, encryption
    # included), summed over the worker processes; "seal" (the audit chain), "insert" (the
    # database's own work) and "rollups" (recomputing the dashboard's rollups at the end).
    phases: dict[str, float] = field(default_factory=dict)

    def add(self, other: Report) -> None:
        """Count another part of the work (a batch built elsewhere) in this one."""
        self.cases += other.cases
        self.referrals += other.referrals
        self.visits += other.visits
        self.plan_items += other.plan_items
        for phase, seconds in other.phases.items():
            self.phases[phase] = self.phases.get(phase, 0.0) + seconds

    def timed(self, phase: str, started: float) -> float:
        """Add the time since `started` to `phase`; return now, the start of the next phase."""
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - started
        return now


@dataclass
class _World:
    programme: Programme
    offices: list[Office]
    coordinator: User
    caseworkers: dict[uuid.UUID, User]
    organisations: list[Organisation]
    instrument: Instrument
    answer_sets: list[tuple[dict[str, str], sustainability.Scores]]


def _setup(rng: random.Random) -> _World:
    programme, _created = Programme.objects.get_or_create(
        name="Programme synthétique",
        defaults={
            "funder": "Fictif",
            "starts_on": datetime.date(2017, 1, 1),
            "ends_on": datetime.date(2026, 12, 31),
            "target_beneficiaries": 100_000,
            "target_trainings": 200,
            "target_professionals": 5000,
            "budget": Decimal("250000000.00"),
            "ceiling_per_beneficiary": Decimal("2500.00"),
        },
    )
    offices = []
    for country, code, name in OFFICES:
        office, _created = Office.objects.get_or_create(
            code=f"S{code}",
            defaults={"name": f"Bureau synthétique de {name}", "country": country, "kind": OfficeKind.RETURN_COUNTRY},
        )
        offices.append(office)
    organisations = []
    kinds = [OrganisationType.NGO, OrganisationType.POLICE, OrganisationType.GENDARMERIE, OrganisationType.OFII]
    for index, kind in enumerate(kinds):
        organisation, _created = Organisation.objects.get_or_create(
            name=f"Organisation synthétique {index + 1}", defaults={"type": kind}
        )
        organisations.append(organisation)

    def user(email: str, role: Role, **scope: Any) -> User:  # scope: passed through to the grant
        existing = User.objects.filter(email=email).first()
        if existing is not None:
            return existing
        created = User.objects.create_user(email=email, password=None, full_name=email.split("@", 1)[0])
        account_services.role_grant_system(user=created, role=role, **scope)
        return created

    coordinator = user("coordination@synthetique.test", Role.COORDINATOR)
    caseworkers = {
        office.pk: user(f"{office.code.lower()}@synthetique.test", Role.CASEWORKER, office=office) for office in offices
    }
    instrument = instruments.current(sustainability.INSTRUMENT)
    items = instrument.data["items"]
    scales = instrument.data["scales"]
    answer_sets = []
    for _index in range(64):
        answers = {item["code"]: rng.choice(scales[item["scale"]])["code"] for item in items if rng.random() < 0.9}
        answer_sets.append((answers, sustainability.score(instrument.data, answers)))
    return _World(programme, offices, coordinator, caseworkers, organisations, instrument, answer_sets)


def _same(value: object) -> object:
    return value


# Per field type: the exact value type whose preparation is known, and that preparation.
Quick = dict[type, tuple[type, Callable[[object], object]]]


def _quick(vendor: str) -> Quick:
    """Per field type: the value type for which Django's preparation is known, and that preparation.

    Exact types only: `get_db_prep_save` is bypassed when it would return the same thing (text stays
    text, a Decimal stays a Decimal), and called for any other value (a str subclass, a datetime).
    """
    plain: Quick = {
        models.CharField: (str, _same),
        models.TextField: (str, _same),
        models.BooleanField: (bool, _same),
        models.DecimalField: (Decimal, _same),  # the drivers adapt Decimal (Django's own adapter on SQLite)
        models.BinaryField: (bytes, _same),  # as bytes, not the memoryview Django wraps it in: rows are pickled
    }
    for integer in (
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.AutoField,
        models.BigAutoField,
    ):
        plain[integer] = (int, _same)
    if vendor == "postgresql":  # psycopg adapts UUIDs and dates itself
        return plain | {models.UUIDField: (uuid.UUID, _same), models.DateField: (datetime.date, _same)}
    # Elsewhere (SQLite) a UUID is stored as 32 hex digits and a date as ISO text.
    return plain | {models.UUIDField: (uuid.UUID, operator.attrgetter("hex")), models.DateField: (datetime.date, str)}


class _Table:
    """One model's columns and, for each, how to read the value Django would send for an instance."""

    def __init__(self, model: type[Model], now: datetime.datetime) -> None:
        self.connection = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is read for every value
        meta = model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.auto_field]  # the database numbers rows
        self.table = meta.db_table
        self.columns = [f.column for f in fields]
        quick = _quick(self.connection.vendor)
        self.readers = [self._reader(f, now, quick) for f in fields]

    def _reader(
        self,
        field: models.Field[object, object],
        now: datetime.datetime,
        quick: Quick,
    ) -> Callable[[Model], object]:
        connection, prepare = self.connection, field.get_db_prep_save
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            stamp = prepare(now, connection)  # one time for the whole batch
            return lambda obj: stamp
        if isinstance(field, EncryptedField):
            pre_save = field.pre_save  # seals the value under the row's data key, as save() does
            return lambda obj: pre_save(obj, True)
        kind = type(getattr(field, "target_field", field) if field.is_relation else field)
        if kind not in quick:
            return lambda obj: prepare(field.pre_save(obj, True), connection)
        value_type, convert = quick[kind]
        get = operator.attrgetter(field.attname)  # what pre_save returns for these field types

        def read(obj: Model) -> object:
            value = get(obj)
            if value is None:
                return None
            return convert(value) if type(value) is value_type else prepare(value, connection)

        return read

    def rows(self, objects: Iterable[Model]) -> list[tuple[object, ...]]:
        readers = self.readers
        return [tuple([read(obj) for read in readers]) for obj in objects]


def _insert(table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Insert rows into a table: COPY on PostgreSQL, one prepared INSERT run many times elsewhere."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608  # names from the models
            cursor.executemany(sql, rows)  # type: ignore[arg-type]  # the values Django would send


def disk_use() -> int:
    """Return the size of the database in bytes (its pages on SQLite, the database on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
        else:  # pages written to the write-ahead log count too, before they reach the file
            cursor.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        return int(cursor.fetchone()[0])


def _new_keys(count: int) -> list[DataKey]:
    """New data keys, wrapped under the master key and remembered unwrapped for the batch's fields."""
    keys = []
    for _index in range(count):
        key_id = uuid.uuid4()
        material = crypto.new_data_key()
        master_id, wrapped = crypto.wrap_key(material, key_id=key_id)
        crypto.remember_key(key_id, material)
        keys.append(DataKey(id=key_id, master_key_id=master_id, wrapped=wrapped))
    return keys


def _add_months(day: datetime.date, months: int) -> datetime.date:
    return add_months(day, months)


def _columns(model: type[Model], names: Sequence[str]) -> list[str]:
    column = {f.name: f.column for f in model._meta.concrete_fields}
    return [column[name] for name in names]


# An audit event before its place in the chain: ts, actor's id and email, roles, action, object
# type, object id and fields, the columns the seal reads after the sequence number.
_Event = tuple[int, str, str, str, str, str, str, str]


class _Chain:
    """Appends sealed audit events in bulk, continuing the current head."""

    def __init__(self) -> None:
        self.chain = chain
        self.key = chain.audit_key()
        head = AuditHead.objects.select_for_update().get(pk=1)
        self.seq, self.prev, self.ts = head.seq, head.hash, head.ts
        self.head_seq = head.seq
        self.rows: list[list[object]] = []  # chain.COLUMNS of each event
        self.checkpoints: list[tuple[int, str, int, str]] = []
        # The rows since the last checkpoint, to seal its segment as record_event does. A chain
        # continued from between two checkpoints has the start of its first segment in the
        # database: that segment is sealed once written, from its stored rows (`flush`).
        self.segment: list[str] | None = [] if self.seq % chain.CHECKPOINT_EVERY == 0 else None
        self.seals: list[tuple[int, str]] = []
        self.to_seal_from_stored_rows: list[tuple[int, str]] = []  # (checkpoint's seq, its event's hash)
        self.written = 0

    def add(self, event: _Event) -> None:
        self.seq += 1
        values: list[object] = [self.seq, *event, "10.0.0.1", "", "success", self.prev]
        digest = self.chain.seal(values, self.key)
        values.append(digest)
        self.rows.append(values)
        self.prev = digest
        self.ts = event[0]
        if self.segment is not None:
            self.segment.append(chain.SEP.join(str(value) for value in values))
        if self.seq % chain.CHECKPOINT_EVERY == 0:  # as record_event stores them
            mark = chain.Checkpoint.make(self.seq, digest, self.key, ts=self.ts)
            self.checkpoints.append((mark.seq, mark.hash, mark.ts, mark.mac))
            segment = None if self.segment is None else chain.segment_digest(self.segment)
            if segment is not None:
                after = self.seq - chain.CHECKPOINT_EVERY
                self.seals.append((self.seq, chain.segment_seal(after, self.seq, segment, self.key)))
            elif self.segment is None:
                self.to_seal_from_stored_rows.append((self.seq, digest))
            self.segment = []

    def flush(self) -> None:
        # Plain strings and integers: the values are the columns, in the order the seal reads them.
        _insert(AuditEvent._meta.db_table, _columns(AuditEvent, chain.COLUMNS), self.rows)
        checkpoint_columns = _columns(AuditCheckpoint, ("seq", "hash", "ts", "mac"))
        _insert(AuditCheckpoint._meta.db_table, checkpoint_columns, self.checkpoints)  # after their events
        _insert(AuditSegmentSeal._meta.db_table, _columns(AuditSegmentSeal, ("seq", "mac")), self.seals)
        for seq, digest in self.to_seal_from_stored_rows:  # verified one by one first, as record_event does
            audit_services.seal_segment(seq, digest, self.key)
        self.written += len(self.rows)
        self.rows, self.checkpoints, self.seals, self.to_seal_from_stored_rows = [], [], [], []
        if self.seq == self.head_seq:
            return  # the head's triggers let it only move forward
        mac = self.chain.head_seal(self.seq, self.prev, self.ts, self.key)
        AuditHead.objects.filter(pk=1).update(seq=self.seq, hash=self.prev, ts=self.ts, mac=mac)
        self.head_seq = self.seq


def _weighted_status(rng: random.Random) -> str:
    roll = rng.uniform(0, 100)
    for status, weight in STATUSES:
        roll -= weight
        if roll <= 0:
            return status
    return "closed"


@dataclass
class _Batch:
    """The rows of one batch of cases, written together."""

    world: _World
    rng: random.Random
    today: datetime.date
    rows: dict[str, list[Any]] = field(default_factory=dict)  # by kind, each kind's model (`KINDS`)
    events: list[_Event] = field(default_factory=list)  # audit events, sealed when written

    def put(self, kind: str, *objects: Model) -> None:
        self.rows.setdefault(kind, []).extend(objects)

    def add_case(self, number: int, referral_number: int, key: DataKey) -> None:
        rng, world = self.rng, self.world
        office = world.offices[number % len(world.offices)]
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        birth = datetime.date(rng.randint(1965, 2009), rng.randint(1, 12), rng.randint(1, 28))
        opened = datetime.date(rng.randint(2017, 2025), rng.randint(1, 12), rng.randint(1, 28))
        status = _weighted_status(rng)
        case = Case(
            id=uuid.uuid4(),
            reference=f"SYN-{number:07d}",
            status=status,
            office=office,
            data_key=key,
            programme=world.programme,
            sex=rng.choice("ffffmx"),
            nationality=office.country,
            country_of_return=office.country,
            birth_year=birth.year,
            opened_on=opened,
            is_minor=(opened.year - birth.year) < ADULT_AGE,
            person_index=case_services.person_index(given_names=given, family_name=family, date_of_birth=birth),
            name_index=case_services.name_index(given_names=given, family_name=family),
            closure_reason="completed" if status == "closed" else "",
            closed_on=opened + datetime.timedelta(days=400) if status == "closed" else None,
        )
        case.given_names, case.family_name, case.date_of_birth = given, family, birth
        case.safe_contact = {"channel": "phone", "alias": rng.choice(GIVEN)}
        self.put("cases", case)
        self.put("referrals", self._referral(case, referral_number, given, family, birth))
        self.put(
            "consents",
            *[
                Consent(case=case, scope=scope, given_on=opened, recorded_by=world.coordinator)
                for scope in ("data_processing", "share_return_office")
            ],
        )
        self.put("events", CaseEvent(case=case, actor=world.coordinator, kind="opened", params={}))
        case_id = str(case.pk)
        ts = int(datetime.datetime(opened.year, opened.month, opened.day, 9, tzinfo=datetime.UTC).timestamp() * 1e6)
        coordinator = (str(world.coordinator.pk), world.coordinator.email, "coordinator")
        self.events.append((ts, *coordinator, "create", "cases.case", case_id, ""))
        if status in {"returned", "closed"}:
            self._return(case, number, opened)
        worker = world.caseworkers[office.pk]
        caseworker = (str(worker.pk), worker.email, "caseworker")
        for index in range(EVENTS_PER_CASE - 1):
            action, fields = ("view", "") if index % 3 else ("change", "visits.answers,visits.notes")
            day = ts + (index + 1) * 86_400_000_000
            self.events.append((day, *caseworker, action, "cases.case", case_id, fields))

    def _referral(self, case: Case, number: int, given: str, family: str, birth: datetime.date) -> Referral:
        referral = Referral(
            id=uuid.uuid4(),
            programme=self.world.programme,
            reference=f"SYNR-{number:07d}",
            status="accepted",
            organisation=self.world.organisations[number % len(self.world.organisations)],
            channel="portal",
            received_on=case.opened_on - datetime.timedelta(days=self.rng.randint(1, 30)),
            data_key=case.data_key,
            sex=case.sex,
            nationality=case.nationality,
            departement=self.rng.choice(["69", "33", "75", "13", "59"]),
            identification_status="identified",
            identified_by="police",
            forms_of_exploitation=[self.rng.choice(["sexual", "forced_labour", "domestic_servitude"])],
            wishes_voluntary_return=True,
            country_of_return=case.country_of_return,
            is_minor=case.is_minor,
            consent_referral=True,
            consent_data_processing=True,
            consent_date=case.opened_on,
            person_index=case.person_index,
            name_index=case.name_index,
            case=case,
        )
        referral.given_names, referral.family_name, referral.date_of_birth = given, family, birth
        referral.referrer_name, referral.referrer_contact = "Référent fictif", "referent@synthetique.test"
        referral.city = "Lyon"
        return referral

    def _return(self, case: Case, number: int, opened: datetime.date) -> None:
        world, rng = self.world, self.rng
        arrival = min(opened + datetime.timedelta(days=rng.randint(30, 120)), self.today)
        departure = Departure(
            case=case,
            actual_departure_on=arrival,
            arrival_on=arrival,
            airport="CDG",
            fit_to_travel=True,
            wish_reconfirmed_on=arrival - datetime.timedelta(days=2),
            wish_reconfirmed_by=world.coordinator,
            updated_by=world.coordinator,
        )
        departure.return_file, departure.escort = f"OFII-{number}", ""
        self.put("departures", departure)
        assert case.office is not None  # every synthetic case has its office
        worker = world.caseworkers[case.office.pk]
        for index in range(VISITS_PER_RETURN):
            if index < MONTHLY_VISITS:
                planned = _add_months(arrival, index + 1)
            else:
                planned = arrival + datetime.timedelta(days=45 + 90 * (index - MONTHLY_VISITS))
            visit = Visit(case=case, planned_on=planned, version=1)
            if planned <= self.today or case.status == "closed":
                answers, scores = rng.choice(world.answer_sets)
                visit.status, visit.done_on, visit.mode, visit.conducted_by = "done", planned, "in_person", worker
                visit.progress, visit.notes, visit.answers = "Activité en cours.", "", answers
                visit.put_scores(scores)
                visit.instrument, visit.version = world.instrument, 2
            self.put("visits", visit)
        for category, amount in (("iga", "900.00"), ("medical", "300.00"), ("housing", "450.00")):
            item = PlanItem(
                case=case,
                category=category,
                provider="Prestataire fictif",
                delivery_mode="in_kind",
                planned_amount=Decimal(amount),
                status="delivered",
                actual_cost=Decimal(amount),
                delivered_on=arrival + datetime.timedelta(days=30),
                approved_by=world.coordinator,
                version=3,
            )
            item.description = f"Aide {category}"
            self.put("plan_items", item)
        targets = ["pre_departure", "ready_to_depart", "returned"] + (["closed"] if case.status == "closed" else [])
        self.put(
            "events",
            *[CaseEvent(case=case, actor=world.coordinator, kind="transition", params={"to": t}) for t in targets],
        )

    def built(self, report: Report) -> _Built:
        """The batch as rows to insert, each column as Django would send it (encrypted fields sealed)."""
        now = timezone.now()
        started = time.perf_counter()
        tables = []
        for kind, model in KINDS:
            table = _Table(model, now)
            tables.append((table.table, table.columns, table.rows(self.rows.get(kind, []))))
        report.timed("convert", started)
        report.cases += len(self.rows.get("cases", []))
        report.referrals += len(self.rows.get("referrals", []))
        report.visits += len(self.rows.get("visits", []))
        report.plan_items += len(self.rows.get("plan_items", []))
        return _Built(tables, self.events, report)


# The order rows are inserted in: data keys first; consents before their cases (the foreign keys
# are checked at commit), so that the sharing trigger finds them when the case row goes in instead
# of updating every case row again.
KINDS: tuple[tuple[str, type[Model]], ...] = (
    ("keys", DataKey),
    ("consents", Consent),
    ("cases", Case),
    ("referrals", Referral),
    ("events", CaseEvent),
    ("departures", Departure),
    ("visits", Visit),
    ("plan_items", PlanItem),
)


@dataclass
class _Built:
    """One batch ready to write: its rows by table, its audit events in order, what building it took."""

    tables: list[tuple[str, list[str], list[tuple[object, ...]]]]
    events: list[_Event]
    report: Report  # counts and the build and convert phases


@dataclass(frozen=True)
class _Job:
    """One batch to build: its place, its first case and referral numbers and its size."""

    index: int
    first_case: int
    first_referral: int
    size: int
    seed: int
    today: datetime.date


def _build(world: _World, job: _Job) -> _Built:
    """Build one batch of cases; each batch has its own random stream, so any process may build it."""
    report = Report()
    started = time.perf_counter()
    rng = random.Random(f"{job.seed}:{job.index}")  # noqa: S311  # fictional data, reproducible on purpose
    batch = _Batch(world, rng, job.today)
    keys = _new_keys(job.size)
    batch.put("keys", *keys)
    for offset, key in enumerate(keys):
        batch.add_case(job.first_case + offset, job.first_referral + offset, key)
    report.timed("build", started)
    built = batch.built(report)
    crypto.forget_keys()  # sealed: the unwrapped keys are no longer needed
    return built


def _built(world: _World, jobs: Sequence[_Job], workers: int) -> Iterator[_Built]:
    """Build the batches in order: here, or in `workers` forked processes a few batches ahead."""
    if workers == 1:
        for job in jobs:
            yield _build(world, job)
        return
    connections.close_all()  # no worker inherits an open connection it could use by mistake
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque[AsyncResult[_Built]] = deque()
        for job in jobs:
            pending.append(pool.apply_async(_build, (world, job)))
            if len(pending) > workers:  # a batch ahead per worker: memory stays bounded
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _write(built: _Built, report: Report) -> int:
    """Insert one built batch and append its audit events to the chain, in one transaction."""
    started = time.perf_counter()
    with transaction.atomic():
        audit = _Chain()
        for table, columns, rows in built.tables:
            _insert(table, columns, rows)
        started = report.timed("insert", started)
        for event in built.events:
            audit.add(event)
        started = report.timed("seal", started)
        audit.flush()
        report.timed("insert", started)
    return audit.written


@contextlib.contextmanager
def _rollups_rebuilt_at_the_end(report: Report) -> Iterator[None]:
    """Insert with the rollup triggers off; put them back and recompute the rollups, whatever happens."""
    vendor = connection.vendor
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in rollups.uninstall_sql(vendor):
            cursor.execute(statement)
    try:
        yield
    finally:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in rollups.install_sql(vendor):
                cursor.execute(statement)
            rollups.rebuild(connection)
        report.timed("rollups", started)


def generate(
    *,
    cases: int,
    seed: int = 2017,
    today: datetime.date | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
) -> Report:
    """Create `cases` synthetic case files with their history; return what was written.

    Refused unless the settings allow demo data (never in production): thousands of fictional files
    must never be mixed with real ones. Nothing else may write to the database meanwhile: the
    rollups are recomputed from every row at the end, and writes made while their triggers are off
    would count only if committed before that.
    """
    ensure_demo_allowed()
    if workers < 1:
        raise ValueError("at least one worker")
    if workers > 1 and connection.in_atomic_block:  # checked before anything is written or reserved
        raise RuntimeError("worker processes are started outside any transaction: use workers=1 inside one")
    started = time.perf_counter()
    report = Report()
    world = _setup(random.Random(seed))  # noqa: S311  # fictional data, not secrets: reproducible on purpose
    first_case = reserve_numbers("SYN-CASE", cases)
    first_referral = reserve_numbers("SYN-REF", cases)
    today = today or datetime.date(2026, 6, 30)
    jobs = [
        _Job(index, first_case + done, first_referral + done, min(BATCH, cases - done), seed, today)
        for index, done in enumerate(range(0, cases, BATCH))
    ]
    with _rollups_rebuilt_at_the_end(report):
        for built in _built(world, jobs, workers):
            report.audit_events += _write(built, report)
            report.add(built.report)
            if progress is not None:
                progress(f"{report.cases}/{cases} cases, {report.visits} visits, {report.audit_events} audit events")
    report.seconds = round(time.perf_counter() - started, 1)
    report.phases = {phase: round(report.phases[phase], 1) for phase in PHASES if phase in report.phases}
    return report
