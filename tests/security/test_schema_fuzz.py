"""A bounded schemathesis run against the OpenAPI schema: no input makes the API answer 5xx.

Every operation of ``/api/v1/openapi.json`` gets inputs that fit the schema and inputs that do
not (schemathesis' positive and negative modes), sent without a token and, separately, with
the admin's token and with a token of each role the route admits (an officer, a verifier, an
adjudicator), on SQLite and on PostgreSQL. Examples are derandomised, so a run is
reproducible; ``REKAP_FUZZ_EXAMPLES=200`` makes a deeper run.

Nothing is steered around: the 5xx this run once found (ids beyond the integer columns, NUL
characters, Unicode digits) are fixed, and each is also pinned by ``test_known_defects.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation

from rekap.capture.access import Role
from rekap.web.rate_limit import RateLimiter
from tests.security.checks import access_rules, routes_of
from tests.security.conftest import database_of
from tests.security.world import World, running_world

pytestmark = pytest.mark.slow
Operation = APIOperation[Any, Any, Any, Any]
EXAMPLES = int(os.environ.get("REKAP_FUZZ_EXAMPLES", "10"))
ACTOR_OF_ROLE = {
    Role.ADMIN: "admin",
    Role.OFFICER: "officer_a",
    Role.VERIFIER: "verifier_in",
    Role.ADJUDICATOR: "adjudicator",
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A world with one photographed TPS and an open task; no rate limit in the way."""
    root = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    unlimited = RateLimiter(per_second=1e9, burst=10**9)
    for url in database_of(request.param, root):
        with running_world(url, root, unlimited, unlimited) as world:
            world.photograph(world.actors["officer_a"])
            yield world


def operations(world: World) -> list[Operation]:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", world.app)
    found: list[Operation] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the schema itself is valid
        found.append(result.ok())
    assert len(found) >= 12
    return found


def callers(world: World, operation: Operation) -> list[str]:
    """The admin, and an account of every role the route admits."""
    roles: set[Role] = set()
    for method, path, dependant in routes_of(world.app):
        if method == operation.method.upper() and path == operation.path:
            for rule in access_rules(dependant):
                roles.update(rule.roles)
    return ["admin", *sorted({ACTOR_OF_ROLE[r] for r in roles} - {"admin"})]


def fuzz(operation: Operation, mode: GenerationMode, headers: dict[str, str]) -> str | None:
    """Run one operation in one mode; the failure, if any, as text."""

    @settings(
        max_examples=EXAMPLES,
        deadline=timedelta(seconds=5),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case[Any]) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:
        return None  # nothing in this mode (e.g. no parameter that could be wrong)
    except Exception as error:  # a check failed: report it with the operation
        return f"{operation.label} [{mode.value}]: {str(error)[:3000]}"
    return None


@pytest.mark.parametrize("who", ["public", "authenticated"])
def test_no_input_makes_the_api_answer_5xx(fuzz_world: World, who: str) -> None:
    failures = []
    for operation in operations(fuzz_world):
        names = ["public"] if who == "public" else callers(fuzz_world, operation)
        for name in names:
            headers = fuzz_world.actors[name].headers
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failure = fuzz(operation, mode, headers)
                if failure is not None:
                    failures.append(f"as {name}: {failure}")
    assert failures == [], "\n\n".join(failures)
