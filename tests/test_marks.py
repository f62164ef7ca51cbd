"""The ``registry`` mark is set by tests/conftest.py, never by hand: every way a test can
start a registry gets it, and a start the rule cannot see fails the test that made it.

``pytest -m "not registry"`` (a machine without docker-registry) depends on both.
"""

from __future__ import annotations

import re

import pytest

import lab.registry

STARTERS = """
from lab.registry import running_registry, start_registry as launch


def indirect(path):
    with running_registry(path):
        pass


def deeper(path):
    indirect(path)


class Lab:
    def start(self, path):
        return launch(path)
"""

PLANTED = """
import lab.registry
import pytest

from starters import Lab, deeper


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    return Lab().start(tmp_path_factory.mktemp("own"))


@pytest.fixture
def wrapped(own):
    return own


def test_a_session_registry(plain_registry):
    pass


def test_a_module_attribute(tmp_path):
    with lab.registry.running_registry(tmp_path):
        pass


def test_a_helper_of_a_helper_in_another_module(tmp_path):
    deeper(tmp_path)


def test_a_fixture_of_a_fixture(wrapped):
    pass


def test_an_aliased_starter_in_a_method(tmp_path):
    Lab().start(tmp_path)


def test_no_registry(tmp_path):
    pass


def test_a_start_the_rule_cannot_see(tmp_path):
    getattr(lab.registry, "start_" + "registry")(tmp_path)


class TestGroup:
    def test_in_a_class(self, own):
        pass

    def test_plain_in_a_class(self):
        pass
"""


def test_every_start_is_marked_and_an_unseen_one_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest("from tests.conftest import *  # noqa: F403\n")
    pytester.makepyfile(starters=STARTERS, test_planted=PLANTED)
    pytester.syspathinsert()
    # The planted suite's check alone: this test, not marked, would fail this run's.
    monkeypatch.setattr(lab.registry, "before_start", [])
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-v", "-m", "not registry")
    ran = dict(
        re.findall(r"^test_planted\.py::(\S+) (PASSED|FAILED|ERROR)", result.stdout.str(), re.M)
    )
    assert ran == {
        "test_no_registry": "PASSED",
        "TestGroup::test_plain_in_a_class": "PASSED",
        "test_a_start_the_rule_cannot_see": "FAILED",
    }, result.stdout.str()
    result.assert_outcomes(passed=2, failed=1, deselected=6)
    result.stdout.fnmatch_lines(
        [
            "*test_planted.py::test_a_start_the_rule_cannot_see starts a registry but is not "
            "marked 'registry': make the rule in tests/conftest.py see how*"
        ]
    )
