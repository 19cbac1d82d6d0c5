"""The schema's own extension stack: cached validation must never cache a decision that
depends on the request's variables, and unexpected errors are masked."""

from auth.permissions import Role

NESTED = "query($n: Int!) { contacts(first: $n) { nodes { id deals(first: $n) { id } } } }"


async def test_cached_validation_still_costs_each_requests_variables(runner, tenant_a):
    sales = tenant_a.principal(Role.SALES)
    cheap = await runner(sales, NESTED, {"n": 5})
    assert cheap.errors is None
    costly = await runner(sales, NESTED, {"n": 1000})
    assert [e.extensions["code"] for e in costly.errors] == ["QUERY_TOO_COSTLY"]
    again = await runner(sales, NESTED, {"n": 5})
    assert again.errors is None


async def test_the_same_document_is_refused_every_time_it_is_too_deep(runner, tenant_a):
    deep = "{ contacts { nodes { company { contacts { company { contacts { company { contacts { company { contacts { company { name } } } } } } } } } } } }"  # noqa: E501
    sales = tenant_a.principal(Role.SALES)
    for _ in range(2):
        result = await runner(sales, deep)
        assert "QUERY_TOO_DEEP" in [e.extensions["code"] for e in result.errors]
        assert result.data is None
