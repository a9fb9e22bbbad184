"""The import contracts in pyproject.toml ([tool.importlinter], checked by `lint-imports` in `make test`) catch what
they are there for: a wrong-way import between the apps, Django in the ML code, and a new import cycle in an app.
Each test adds one import to the real graph and checks the configured contract on it."""

from __future__ import annotations

import copy
from pathlib import Path

import grimp
import pytest
from importlinter import api
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


@pytest.fixture(scope="module")
def configuration() -> dict:
    return api.read_configuration(str(PYPROJECT))


@pytest.fixture(scope="module")
def project_graph(configuration) -> grimp.ImportGraph:
    return grimp.build_graph(
        *configuration["session_options"]["root_packages"], include_external_packages=True, cache_dir=None
    )


@pytest.fixture
def graph(project_graph) -> grimp.ImportGraph:
    return copy.deepcopy(project_graph)


def _contract(configuration, contract_class, contract_id: str):
    options = next(o for o in configuration["contracts_options"] if o["id"] == contract_id)
    return contract_class(
        name=options["name"], session_options=configuration["session_options"], contract_options=options
    )


def test_the_layers_hold_today(configuration, graph):
    assert _contract(configuration, LayersContract, "layers").check(graph, verbose=False).kept


def test_a_wrong_way_import_breaks_the_layers(configuration, graph):
    graph.add_import(importer="crm.models", imported="customers.models")
    assert not _contract(configuration, LayersContract, "layers").check(graph, verbose=False).kept


def test_the_ml_code_imports_no_django_today(configuration, graph):
    assert _contract(configuration, ForbiddenContract, "models-ml").check(graph, verbose=False).kept


def test_django_in_the_ml_code_breaks_its_contract(configuration, graph):
    graph.add_import(importer="recommendations.models_ml", imported="django")
    assert not _contract(configuration, ForbiddenContract, "models-ml").check(graph, verbose=False).kept


def _packages_with_cycles(configuration, graph) -> set[str]:
    check = _contract(configuration, AcyclicSiblingsContract, "acyclic").check(graph, verbose=False)
    return set(check.metadata["cycle_breakers_by_package"])


def test_crm_and_customers_have_no_cycles(configuration, graph):
    assert not {"crm", "customers"} & _packages_with_cycles(configuration, graph)


def test_a_service_importing_its_tasks_is_a_cycle(configuration, graph):
    graph.add_import(importer="customers.services", imported="customers.tasks")
    assert "customers" in _packages_with_cycles(configuration, graph)
