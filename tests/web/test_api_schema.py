"""The API answers generated requests as its OpenAPI description says (schemathesis): no server
error, only documented status codes, content types and headers, the error envelope on every
error, `Allow` on a 405. Bounded to a few hundred requests so it runs with the normal suite."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

EXAMPLES_PER_OPERATION = 40


@pytest.fixture(scope="session")
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_answers_as_its_openapi_description_says(case: Any) -> None:
    case.call_and_validate()
