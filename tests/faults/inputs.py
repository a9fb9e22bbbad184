"""What the bad-input tables share (tests/faults/test_inputs.py, test_input_files.py, test_export_formulas.py): the
World they run in (a rep with two customers, a manager, an admin, a catalogue with an active rules run), the
actions (a page, a form, a command, an admin upload), import files, what must hold of the stored data, and the Row
of a table with `check`, which runs one. Every row goes through the real stack: the test client with the full
middleware, the management commands, the admin upload and its task, PostgreSQL. Clients answer 500 as a status
instead of raising, so a crash is a failed row like any other wrong answer."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm import roles
from customers.models import Customer, ExportRecord, ImportRun, Interaction, Order, OrderItem, Product
from customers.tasks import import_uploaded_file
from insights import publishing
from insights.models import ModelRun
from recommendations.models import AssociationRule
from tests.customers.importing_helpers import RETAIL_HEADER
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, OrderItemFactory

OUT_OF_RANGE = "Enter a date between 1900 and 2100."
SALE = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom"
OTHER = "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28,1.85,13047,United Kingdom"
RETAIL_FILE = f"{RETAIL_HEADER}\n{SALE}\n{OTHER}\n"


@dataclass(frozen=True)
class Answer:
    """What came back: an HTTP status and body, or a command's exit code and output."""

    status: int | None = None
    text: str = ""
    exit_code: int | None = None
    location: str = ""


class World:
    """A rep (alice) with two customers, a manager, an admin, a small catalogue with an active rules run, and a
    folder for import files. Clients answer a crash as status 500 instead of raising it."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.rep = _member("alice", roles.SALES_REP)
        self.manager = _member("charlie", roles.MANAGER)
        self.admin = _member("dana", roles.ADMIN, is_staff=True)
        self.ada = CustomerFactory(name="Ada Lovelace", owner=self.rep, company="Analytical Engines")
        self.bertha = CustomerFactory(name="Bertha Benz", owner=self.rep)
        order = OrderFactory(customer=self.ada, placed_at=timezone.now() - dt.timedelta(days=10))
        self.mug = OrderItemFactory(order=order, product__name="Mug", product__category="Kitchen").product
        self.teapot = OrderItemFactory(order=order, product__name="Teapot", product__category="Tea").product
        InteractionFactory(customer=self.ada, user=self.rep)
        rules = ModelRun.objects.create(family="rules", as_of=dt.date(2026, 11, 1), status="running")
        publishing.publish(rules)
        AssociationRule.objects.create(
            run=rules, antecedent=self.mug, consequent=self.teapot, support=0.01, confidence=0.4, lift=3.0, count=30
        )
        self.clients = {who: _client(user) for who, user in (("rep", self.rep), ("manager", self.manager))}
        self.clients["admin"] = _client(self.admin)


def _member(username: str, role: str, **extra):
    # No password: hashing one costs a second of this machine per user, and the clients sign in by force_login.
    user = get_user_model().objects.create_user(username, password=None, **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


def _client(user, **options) -> Client:
    client = Client(raise_request_exception=False, **options)
    client.force_login(user)
    return client


def _answer(response) -> Answer:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return Answer(
        status=response.status_code, text=body.decode("utf-8", "replace"), location=response.get("Location", "")
    )


# Actions ------------------------------------------------------------------------------------------------------
def page(who: str, url: str) -> Callable[[World], Answer]:
    """GET `url` (with its raw query string, so %00 reaches the server as it is) as `who`."""
    return lambda world: _answer(world.clients[who].get(url))


def customer_page(who: str, name: str, query: str) -> Callable[[World], Answer]:
    """GET a URL by name with a raw query string."""
    return lambda world: _answer(world.clients[who].get(f"{reverse(name)}?{query}"))


def log_call(occurred_at: str) -> Callable[[World], Answer]:
    """The rep logs a call on Ada from her profile, dated `occurred_at`, and follows the answer."""

    def act(world: World) -> Answer:
        url = reverse("customers:log_interaction", args=[world.ada.pk])
        data = {"kind": "call", "direction": "outbound", "subject": "Catalogue", "occurred_at": occurred_at}
        return _answer(world.clients["rep"].post(url, data, follow=True))

    return act


def admin_adds_interaction(day: str) -> Callable[[World], Answer]:
    def act(world: World) -> Answer:
        data = {"customer": world.ada.pk, "kind": "call", "direction": "outbound", "subject": "Old call",
                "body": "", "external_id": "", "occurred_at_0": day, "occurred_at_1": "10:00"}  # fmt: skip
        return _answer(world.clients["admin"].post(reverse("admin:customers_interaction_add"), data))

    return act


def admin_adds_order(day: str) -> Callable[[World], Answer]:
    def act(world: World) -> Answer:
        data = {"external_number": "OLD-1", "customer": world.ada.pk, "placed_at_0": day, "placed_at_1": "10:00",
                "status": "completed", "channel": "web", "currency": "GBP", "items-TOTAL_FORMS": "0",
                "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "1000"}  # fmt: skip
        return _answer(world.clients["admin"].post(reverse("admin:customers_order_add"), data))

    return act


def expired_session_post(world: World) -> Answer:
    """The rep's session ends while the profile is open; the call form is sent anyway."""
    client = world.clients["rep"]
    session = client.session
    session.set_expiry(-60)
    session.save()
    profile = f"http://testserver{reverse('customers:detail', args=[world.ada.pk])}"
    url = reverse("customers:log_interaction", args=[world.ada.pk])
    response = client.post(url, {"kind": "call", "subject": "Lost?"}, HTTP_REFERER=profile)
    sign_in = client.get(response["Location"])
    return Answer(status=response.status_code, location=response["Location"], text=_answer(sign_in).text)


def post_without_csrf_token(world: World) -> Answer:
    client = _client(world.rep, enforce_csrf_checks=True)
    profile = f"http://testserver{reverse('customers:detail', args=[world.ada.pk])}"
    url = reverse("customers:log_interaction", args=[world.ada.pk])
    return _answer(client.post(url, {"kind": "call", "subject": "No token"}, HTTP_REFERER=profile))


def command(name: str, make_file: Callable[[Path], Path], *options: str) -> Callable[[World], Answer]:
    """Run `manage.py <name> FILE <options>`; a CommandError is exit code 1 with its message, as on a terminal.
    Any other exception is a traceback: it propagates and fails the row."""

    def act(world: World) -> Answer:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(name, str(make_file(world.tmp)), *options, "--no-progress", stdout=out, stderr=err)
        except CommandError as exc:
            return Answer(exit_code=1, text=f"{out.getvalue()}{err.getvalue()}{exc}")
        return Answer(exit_code=0, text=f"{out.getvalue()}{err.getvalue()}")

    return act


def admin_upload(make_file: Callable[[Path], Path], encoding: str = "") -> Callable[[World], Answer]:
    """The admin uploads the file, the worker's task imports it, and the admin opens the run's page."""

    def act(world: World) -> Answer:
        path = make_file(world.tmp)
        upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
        data = {"upload": upload, "format": "online-retail", "encoding": encoding}
        client = world.clients["admin"]
        response = client.post(reverse("admin:customers_importrun_add"), data)
        if response.status_code != 302:
            return _answer(response)
        run = ImportRun.objects.latest("pk")
        import_uploaded_file(run.pk)
        return _answer(client.get(reverse("admin:customers_importrun_change", args=[run.pk])))

    return act


# Import files ---------------------------------------------------------------------------------------------------
def file_of(text: str, encoding: str = "utf-8", name: str = "orders.csv") -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(text.encode(encoding))
        return path

    return make


def with_bom(text: str, encoding: str) -> Callable[[Path], Path]:
    """UTF-16 or UTF-32 text with its byte-order mark (Python's utf-16/utf-32 codecs write one)."""
    return file_of(text, encoding)


def truncated_gzip(folder: Path) -> Path:
    lines = [RETAIL_HEADER] + [
        f"5{n:05d},85123A,HEART,6,2010-12-01 08:26,2.55,17850,United Kingdom" for n in range(4000)
    ]
    data = gzip.compress("\n".join(lines).encode())
    path = folder / "orders.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    return path


def wide_file(folder: Path) -> Path:
    extra = 10_000 - 8
    path = folder / "wide.csv"
    path.write_text(f"{RETAIL_HEADER},{','.join(f'x{n}' for n in range(extra))}\n{SALE}{',' * extra}\n")
    return path


def huge_field(folder: Path) -> Path:
    path = folder / "huge.csv"
    path.write_text(f"{RETAIL_HEADER}\n{SALE.replace('WHITE', 'W' * 10_000_000)}\n{OTHER}\n")
    return path


YEAR_1 = "0001-01-01T00:30:00+01:00"
RETAIL_YEAR_1 = f"{RETAIL_HEADER}\n{SALE}\n{OTHER.replace('2010-12-01 08:28', YEAR_1)}\n"
INTERACTIONS_YEAR_1 = (
    "customer_id,occurred_at,kind,subject\n"
    "ADA,2024-03-01 10:00,call,Spring catalogue\n"
    f"ADA,{YEAR_1},call,Before time\n"
    "ADA,2024-03-02 11:00,email,Samples sent\n"
)
NUL_IN_A_FIELD = f"{RETAIL_HEADER}\n{SALE.replace('HEART', 'HE' + chr(0) + 'ART')}\n{OTHER}\n"
LATIN_1 = f"{RETAIL_HEADER}\n{SALE.replace('WHITE', 'CAFÃ©')}\n"  # as UTF-8 bytes; read as latin-1: "CAFÃ©"


# What must hold of the stored data ---------------------------------------------------------------------------
def snapshot() -> tuple:
    """Everything a faulty input could change: the CRM's records and the export audit trail."""
    return (
        Customer.objects.count(),
        Order.objects.count(),
        OrderItem.objects.count(),
        Product.objects.count(),
        Interaction.objects.count(),
        ExportRecord.objects.count(),
        list(Interaction.objects.order_by("pk").values_list("pk", "occurred_at")),
    )


def unchanged(world: World, before: tuple) -> None:
    assert snapshot() == before


def one_export_recorded(world: World, before: tuple) -> None:
    assert ExportRecord.objects.count() == before[5] + 1
    assert snapshot()[:5] == before[:5]


def nothing_imported(world: World, before: tuple) -> None:
    assert snapshot() == before
    assert ImportRun.objects.latest("pk").status == ImportRun.Status.FAILED


def orders_imported(*numbers: str, rejected_lines: tuple[int, ...] = ()) -> Callable[[World, tuple], None]:
    """The run succeeded, every named order is stored with its line, and the rejected lines are reported."""

    def check(world: World, before: tuple) -> None:
        run = ImportRun.objects.latest("pk")
        assert run.status == ImportRun.Status.SUCCEEDED, run.error
        stored = set(Order.objects.filter(external_number__in=numbers).values_list("external_number", flat=True))
        assert stored == set(numbers)
        assert OrderItem.objects.filter(order__external_number__in=numbers).count() == len(numbers)
        assert tuple(error["line"] for error in run.errors) == rejected_lines

    return check


def product_named(name: str, encoding: str) -> Callable[[World, tuple], None]:
    def check(world: World, before: tuple) -> None:
        run = ImportRun.objects.latest("pk")
        assert (run.status, run.encoding) == (ImportRun.Status.SUCCEEDED, encoding)
        assert Product.objects.filter(sku="85123A").values_list("name", flat=True).get().startswith(name)

    return check


def interactions_imported(world: World, before: tuple) -> None:
    run = ImportRun.objects.latest("pk")
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert sorted(world.ada.interactions.values_list("subject", flat=True)) == [
        "Follow-up call", "Samples sent", "Spring catalogue",
    ]  # fmt: skip
    assert [(e["line"], e["column"]) for e in run.errors] == [(3, "occurred_at")]


# The table -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    id: str
    act: Callable[[World], Answer]
    status: int | None = None
    exit_code: int | None = None
    says: tuple[str, ...] = ()  # words the answer must hold
    not_shown: tuple[str, ...] = ()  # words it must not (a filter that was ignored instead of applied)
    stored: Callable[[World, tuple], None] = field(default=unchanged)


def check(row: Row, world: World) -> None:
    """Run `row` in `world`: its answer and what must hold of the stored data afterwards."""
    before = snapshot()
    answer = row.act(world)
    if row.status is not None:
        assert answer.status == row.status, answer.text[:2000]
    if row.exit_code is not None:
        assert answer.exit_code == row.exit_code, answer.text[-2000:]
    for words in row.says:
        assert words in answer.text, answer.text[-3000:]
    for words in row.not_shown:
        assert words not in answer.text
    row.stored(world, before)
