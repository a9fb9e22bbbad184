"""The permission matrix: every URL pattern of the site, for every persona (anonymous, two reps, a manager, an
admin), answers the status written here, and a refused write changes nothing in the database.

A URL added without a row fails `test_every_url_has_a_row`. To add one, write one line in ROWS (or, for a model
registered in admin, one line in ADMIN_MODELS): the URL's name, its arguments (names of objects in `World`), and
the expected status per persona, usually one of the presets below. Each persona's request runs in a savepoint
that is rolled back, so a write one persona makes is not seen by the next.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from customers.models import ExportRecord, ImportRun, SavedFilter
from insights.models import CustomerSegment, ModelRun
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, OrderItemFactory, TagFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "alice", "bob", "charlie", "dana")


def each(anonymous, alice, bob, charlie, dana) -> dict[str, int]:
    """Expected statuses by persona, in PERSONAS order."""
    return dict(zip(PERSONAS, (anonymous, alice, bob, charlie, dana), strict=True))


# Presets. Pages send the anonymous to sign in (302); the API answers 401. "alice's" objects belong to alice, so bob
# answers 404 for them while the manager and the admin see every customer.
PUBLIC = each(200, 200, 200, 200, 200)
PAGE = each(302, 200, 200, 200, 200)
ALICES_PAGE = each(302, 200, 404, 200, 200)
MANAGERS_PAGE = each(302, 403, 403, 200, 200)
EXPORT = each(302, 403, 403, 200, 200)
POST_ONLY = each(302, 405, 405, 405, 405)
API = each(401, 200, 200, 200, 200)
ALICES_API = each(401, 200, 404, 200, 200)
MANAGERS_API = each(401, 403, 403, 200, 200)
ADMINS_API = each(401, 403, 403, 403, 200)


@dataclass(frozen=True)
class Row:
    """What one URL answers each persona, per method. `args` name World attributes (their pk is passed), or are
    literal values; `data` is what a write sends (JSON for the API)."""

    get: dict[str, int] | None = None
    post: dict[str, int] | None = None
    patch: dict[str, int] | None = None
    args: tuple = ()
    data: dict = field(default_factory=dict)


ROWS: dict[str, Row] = {
    # crm
    "healthz": Row(get=PUBLIC),
    "favicon": Row(get=each(301, 301, 301, 301, 301)),  # to the static file
    "home": Row(get=PAGE),
    "login": Row(get=each(200, 302, 302, 302, 302)),  # signed-in users are sent on
    "logout": Row(get=each(405, 405, 405, 405, 405), post=each(302, 302, 302, 302, 302)),
    # customers pages
    "customers:list": Row(get=PAGE),
    "customers:detail": Row(get=ALICES_PAGE, args=("alices_customer",)),
    "customers:timeline": Row(get=ALICES_PAGE, args=("alices_customer",)),
    "customers:log_interaction": Row(
        get=POST_ONLY,
        post=each(302, 302, 404, 302, 302),
        args=("alices_customer",),
        data={"kind": "call", "subject": "x"},
    ),
    "customers:add_tag": Row(
        get=POST_ONLY, post=each(302, 302, 404, 302, 302), args=("alices_customer",), data={"name": "vip"}
    ),
    "customers:remove_tag": Row(get=POST_ONLY, post=each(302, 302, 404, 302, 302), args=("alices_customer", "tag")),
    "customers:change_owner": Row(
        get=each(302, 403, 404, 200, 200),
        post=each(302, 403, 404, 302, 302),
        args=("alices_customer",),
        data={"owner": ""},
    ),
    "customers:change_consent": Row(
        get=POST_ONLY, post=each(302, 302, 404, 302, 302), args=("alices_customer",), data={"marketing_consent": "on"}
    ),
    "customers:save_filter": Row(get=POST_ONLY, post=each(302, 302, 302, 302, 302), data={"name": "n", "query": "q=a"}),
    "customers:open_filter": Row(get=each(302, 302, 404, 404, 404), args=("alices_filter",)),
    "customers:delete_filter": Row(get=POST_ONLY, post=each(302, 302, 404, 404, 404), args=("alices_filter",)),
    "customers:export": Row(get=EXPORT),
    "customers:export_data": Row(get=each(302, 403, 404, 200, 200), args=("alices_customer",)),
    "customers:erase": Row(  # a POST without the confirmation shows the form again
        get=each(302, 403, 404, 403, 200), post=each(302, 403, 404, 403, 200), args=("alices_customer",)
    ),
    "customers:export_orders": Row(get=EXPORT),
    "products:list": Row(get=PAGE),
    "products:detail": Row(get=PAGE, args=("product",)),
    # insights pages
    "insights:worklist": Row(get=PAGE),
    "insights:worklist_action": Row(
        get=POST_ONLY, post=each(302, 302, 404, 302, 302), args=("alices_customer",), data={"action": "done"}
    ),
    "insights:dashboards": Row(get=PAGE),
    "insights:label_interaction": Row(
        get=POST_ONLY, post=each(302, 302, 404, 302, 302), args=("alices_interaction",), data={"sentiment": "positive"}
    ),
    # recommendations pages
    "recommendations:rules": Row(get=MANAGERS_PAGE),
    "recommendations:what_will_sell": Row(get=MANAGERS_PAGE),
    # API: the token, the schema and its docs
    "api-token": Row(get=each(405, 405, 405, 405, 405), post=each(400, 400, 400, 400, 400)),
    "api-schema": Row(get=API),
    "api-docs": Row(get=API),
    # API: customers app
    "customers-api:customer-list": Row(get=API, post=each(401, 201, 201, 201, 201), data={"name": "New customer"}),
    "customers-api:customer-detail": Row(
        get=ALICES_API, patch=each(401, 200, 404, 200, 200), args=("alices_customer",), data={"city": "Leeds"}
    ),
    "customers-api:product-list": Row(get=API, post=each(401, 403, 403, 403, 405)),  # permission before method
    "customers-api:product-detail": Row(get=API, patch=each(401, 403, 403, 403, 405), args=("product",)),
    "customers-api:order-list": Row(get=API, post=each(401, 403, 403, 403, 405)),
    "customers-api:order-detail": Row(get=ALICES_API, args=("alices_order",)),
    "customers-api:interaction-list": Row(
        get=API,
        post=each(401, 201, 400, 201, 201),  # bob may log interactions, but not on alice's customer
        data={"customer": "alices_customer", "kind": "call", "subject": "Called"},
    ),
    "customers-api:interaction-detail": Row(
        get=ALICES_API, patch=each(401, 200, 404, 200, 200), args=("alices_interaction",), data={"subject": "x"}
    ),
    "customers-api:importrun-list": Row(get=ADMINS_API),
    "customers-api:importrun-detail": Row(get=ADMINS_API, args=("import_run",)),
    # API: insights app
    "insights-api:score-list": Row(get=API),
    "insights-api:score-detail": Row(get=ALICES_API, args=("alices_customer",)),
    "insights-api:modelrun-list": Row(get=MANAGERS_API, post=each(401, 403, 403, 403, 202), data={"family": "churn"}),
    "insights-api:modelrun-detail": Row(get=MANAGERS_API, args=("model_run",)),
    # API: recommendations app
    "recommendations-api:recommendation-list": Row(get=API),
    "recommendations-api:rule-list": Row(get=MANAGERS_API),
    "recommendations-api:rule-detail": Row(get=each(401, 403, 403, 404, 404), args=(0,)),  # no rule 0
    "recommendations-api:forecast-list": Row(get=MANAGERS_API),
    # admin pages of its own
    "admin:index": Row(get=each(302, 302, 302, 302, 200)),
    "admin:login": Row(get=each(200, 200, 200, 200, 302)),  # a signed-in non-staff user may sign in as another
    "admin:logout": Row(get=each(302, 302, 302, 302, 405)),
    "admin:password_change": Row(get=each(302, 302, 302, 302, 200)),
    "admin:password_change_done": Row(get=each(302, 302, 302, 302, 200)),
    "admin:autocomplete": Row(get=each(302, 302, 302, 302, 403)),  # without its query's parameters
    "admin:jsi18n": Row(get=each(302, 302, 302, 302, 200)),
    "admin:view_on_site": Row(get=each(302, 302, 302, 302, 404), args=(0, 0)),
    "admin:app_list": Row(get=each(302, 302, 302, 302, 200), args=("customers",)),
    "admin:auth_user_password_change": Row(get=each(302, 302, 302, 302, 200), args=("alice",)),  # a rep's
    "admin:insights_modelrun_retrain": Row(get=each(302, 302, 302, 302, 405), post=each(302, 302, 302, 302, 302)),
    "admin:insights_modelrun_progress": Row(get=each(302, 302, 302, 302, 200), args=("model_run",)),
    "admin:insights_modelrun_live": Row(get=each(302, 302, 302, 302, 200)),
    "admin:insights_modelrun_card": Row(get=each(302, 302, 302, 302, 200), args=("model_run",)),
    "admin:insights_modelrun_activate": Row(
        get=each(302, 302, 302, 302, 405), post=each(302, 302, 302, 302, 302), args=("model_run",)
    ),
    "admin:customers_importrun_errors": Row(get=each(302, 302, 302, 302, 404), args=("import_run",)),  # no file
    "admin:customers_importrun_progress": Row(get=each(302, 302, 302, 302, 200), args=("import_run",)),
    "admin:crm_workerping_check": Row(get=each(302, 302, 302, 302, 405)),
    # a posted form without its file answers the form again, naming the missing field
    "admin:customers_exchangerate_upload": Row(get=each(302, 302, 302, 302, 200), post=each(302, 302, 302, 302, 200)),
}

# Each model registered in admin: what the admin persona (dana, staff) gets from its changelist, add, change,
# delete and history pages; everyone else is sent to the admin's sign-in page (302). `object` names the World
# attribute whose pk the object pages get (a missing one is "0": a permission refusal still shows as 403).
ADMIN = ("changelist", "add", "change", "delete", "history")


@dataclass(frozen=True)
class AdminModel:
    changelist: int
    add: int
    change: int
    delete: int
    history: int
    object: str = ""


ADMIN_MODELS: dict[str, AdminModel] = {
    "auth_group": AdminModel(200, 403, 302, 403, 302),
    "auth_user": AdminModel(200, 200, 200, 403, 200, "alice"),
    "authtoken_tokenproxy": AdminModel(403, 403, 403, 403, 302),  # tokens: superusers only
    "django_celery_beat_periodictask": AdminModel(200, 200, 302, 302, 302),
    "django_celery_beat_clockedschedule": AdminModel(200, 200, 302, 302, 302),
    "django_celery_beat_crontabschedule": AdminModel(200, 200, 302, 302, 302),
    "django_celery_beat_solarschedule": AdminModel(200, 200, 302, 302, 302),
    "django_celery_beat_intervalschedule": AdminModel(200, 200, 302, 302, 302),
    "crm_workerping": AdminModel(200, 403, 302, 403, 302),
    "customers_tag": AdminModel(200, 200, 200, 200, 200, "tag"),
    "customers_customer": AdminModel(200, 200, 200, 200, 200, "alices_customer"),
    "customers_product": AdminModel(200, 200, 200, 200, 200, "product"),
    "customers_order": AdminModel(200, 200, 200, 200, 200, "alices_order"),
    "customers_orderitem": AdminModel(200, 200, 200, 200, 200, "alices_line"),
    "customers_interaction": AdminModel(200, 200, 200, 200, 200, "alices_interaction"),
    "customers_savedfilter": AdminModel(200, 403, 200, 200, 200, "alices_filter"),
    "customers_importrun": AdminModel(200, 200, 200, 403, 200, "import_run"),
    "customers_exportrecord": AdminModel(200, 403, 200, 403, 200, "export_record"),
    "insights_modelrun": AdminModel(200, 403, 200, 200, 200, "model_run"),
    "customers_exchangerate": AdminModel(200, 200, 302, 302, 302),
    "customers_topic": AdminModel(200, 200, 302, 302, 302),
    "customers_interactionlabel": AdminModel(200, 403, 302, 302, 302),  # labels are appended, never edited
    "insights_messagetemplate": AdminModel(200, 200, 302, 302, 302),
    "insights_suggestedaction": AdminModel(200, 403, 302, 403, 302),  # a record of what was suggested: read-only
    "auditlog_logentry": AdminModel(200, 403, 302, 403, 302),  # the audit trail: read-only
    "axes_accessattempt": AdminModel(403, 403, 403, 403, 302),  # sign-in attempts: superusers only
    "axes_accessfailurelog": AdminModel(403, 403, 403, 403, 302),
    "axes_accesslog": AdminModel(403, 403, 403, 403, 302),
}


class World:
    """The records the matrix requests: alice's customer with an order, a line, an interaction, a tag and a
    saved filter; bob's customer; a product; an import run, an export record and a model run."""

    def __init__(self, users: dict):
        self.users = users
        alice, bob = users["alice"], users["bob"]
        self.tag = TagFactory(name="regular")
        self.alices_customer = CustomerFactory(owner=alice, name="Alice's customer")
        self.alices_customer.tags.add(self.tag)
        self.bobs_customer = CustomerFactory(owner=bob, name="Bob's customer")
        self.alices_order = OrderFactory(customer=self.alices_customer)
        self.alices_line = OrderItemFactory(order=self.alices_order, line_number=1, unit_price=Decimal("5"))
        self.product = self.alices_line.product
        OrderItemFactory(order=OrderFactory(customer=self.bobs_customer), product=self.product, line_number=1)
        self.alices_interaction = InteractionFactory(customer=self.alices_customer, user=alice)
        self.alices_filter = SavedFilter.objects.create(user=alice, name="Mine", query="q=a")
        self.import_run = ImportRun.objects.create(format=ImportRun.Format.LODESTAR_CUSTOMERS, file_name="c.csv")
        self.export_record = ExportRecord.objects.create(kind=ExportRecord.Kind.CUSTOMERS, user=users["charlie"])
        self.model_run = ModelRun.objects.create(
            family="segments",
            status=ModelRun.Status.SUCCEEDED,
            is_active=True,
            as_of=timezone.localdate() - dt.timedelta(days=1),
        )
        CustomerSegment.objects.create(
            run=self.model_run,
            customer=self.alices_customer,
            cluster=0,
            segment="Loyal",
            rfm_r=5,
            rfm_f=5,
            rfm_m=5,
            rfm_segment="Champions",
        )

    def resolve(self, arg):
        """A World attribute's pk (a user's, for a persona name), or a literal argument as it is."""
        if isinstance(arg, str) and arg in self.users:
            return self.users[arg].pk
        if isinstance(arg, str) and hasattr(self, arg):
            return getattr(self, arg).pk
        return arg


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    """The personas' passwords hashed cheaply: the matrix makes them for every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(alice, bob, charlie, dana) -> World:
    return World({"alice": alice, "bob": bob, "charlie": charlie, "dana": dana})


@pytest.fixture
def clients(world) -> dict[str, Client]:
    found = {"anonymous": Client()}
    for name, user in world.users.items():
        found[name] = Client()
        found[name].force_login(user)
    return found


def walk(patterns, prefix: str = "", namespace: str | None = None):
    """Every URL pattern under `patterns` as (name with its namespaces, or None; the route), through the public
    `url_patterns` of each resolver."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            joined = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), joined)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, prefix + str(pattern.pattern)


def admin_names() -> dict[str, tuple[str, str]]:
    """Each admin URL name the ADMIN_MODELS table covers -> (model key, page)."""
    return {f"admin:{model}_{page}": (model, page) for model in ADMIN_MODELS for page in ADMIN}


def snapshot() -> dict:
    """Every row of the project's tables and of the users', groups' and tokens', to compare before and after."""
    labels = ("crm", "customers", "insights", "recommendations", "auth", "authtoken", "django_celery_beat")
    state = {}
    for label in labels:
        for model in apps.get_app_config(label).get_models():
            state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def refused(persona: str, status: int) -> bool:
    return persona == "anonymous" or status >= 400


def request(client: Client, method: str, url: str, data: dict, api: bool):
    if method == "get":
        return client.get(url)
    if api:
        return getattr(client, method)(url, data, content_type="application/json")
    return getattr(client, method)(url, data)


def check(world: World, clients: dict, name: str, url: str, method: str, expected: dict, data: dict) -> list[str]:
    """Request `url` as every persona, each in a savepoint rolled back afterwards; the differences from
    `expected`, and refused writes that changed something."""
    api = url.startswith("/api/")
    data = {key: world.resolve(value) if key == "customer" else value for key, value in data.items()}
    problems = []
    for persona in PERSONAS:
        with transaction.atomic():
            before = snapshot() if method != "get" else None
            response = request(clients[persona], method, url, data, api)
            if response.status_code != expected[persona]:
                problems.append(
                    f"{name} {method.upper()} as {persona}: {response.status_code}, not {expected[persona]}"
                )
            elif before is not None and refused(persona, response.status_code) and snapshot() != before:
                problems.append(f"{name} {method.upper()} as {persona} was refused but changed the database")
            transaction.set_rollback(True)
    return problems


def test_every_url_has_a_row():
    names = {name or route for name, route in walk(get_resolver().url_patterns) if not route.startswith("admin/")}
    admin = {name or route for name, route in walk(get_resolver().url_patterns) if route.startswith("admin/")}
    covered_admin = {name for name in admin if name in ROWS or name in admin_names() or not name.startswith("admin:")}
    missing = sorted((names - set(ROWS)) | (admin - covered_admin))
    assert not missing, f"URLs without a row in the permission matrix: {missing}"
    stale = sorted(set(ROWS) - names - admin) + sorted(set(admin_names()) - admin)
    assert not stale, f"Rows for URLs that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(ROWS))
def test_each_url_answers_each_persona_as_the_matrix_says(name, world, clients):
    row = ROWS[name]
    url = reverse(name, args=[world.resolve(arg) for arg in row.args])
    problems = []
    for method in ("get", "post", "patch"):
        expected = getattr(row, method)
        if expected is not None:
            problems += check(world, clients, name, url, method, expected, row.data)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("model", sorted(ADMIN_MODELS))
def test_each_admin_page_answers_each_persona_as_the_matrix_says(model, world, clients):
    spec = ADMIN_MODELS[model]
    object_id = world.resolve(spec.object) if spec.object else 0
    problems = []
    for page in ADMIN:
        args = [object_id] if page in ("change", "delete", "history") else []
        url = reverse(f"admin:{model}_{page}", args=args)
        expected = each(302, 302, 302, 302, getattr(spec, page))
        problems += check(world, clients, f"admin:{model}_{page}", url, "get", expected, {})
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route", ["admin/customers/customer/<path:object_id>/", "admin/(?P<url>.*)$"])
def test_the_admins_unnamed_urls_redirect_or_hide(route, world, clients):
    """Django admin's own unnamed patterns: `<id>/` redirects to the change page; anything else under /admin/ is
    sent to sign in, or is a 404 for staff."""
    url = f"/admin/customers/customer/{world.alices_customer.pk}/" if "object_id" in route else "/admin/nowhere/"
    expected = each(302, 302, 302, 302, 302 if "object_id" in route else 404)
    assert not check(world, clients, route, url, "get", expected, {})
