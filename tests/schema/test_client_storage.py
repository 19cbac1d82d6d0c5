"""Policy section 7: the API lists every cookie it uses, and only strictly necessary,
first-party ones."""

from auth.sessions import CSRF_COOKIE, SESSION_COOKIE

QUERY = "{ clientStorage { name kind strictlyNecessary httpOnly thirdParty lifetime } }"


async def test_client_storage_lists_exactly_the_session_and_csrf_cookies(runner):
    result = await runner(None, QUERY)
    assert result.errors is None
    assert {i["name"] for i in result.data["clientStorage"]} == {SESSION_COOKIE, CSRF_COOKIE}


async def test_every_listed_item_is_strictly_necessary_and_first_party(runner):
    result = await runner(None, QUERY)
    items = result.data["clientStorage"]
    assert all(i["strictlyNecessary"] and not i["thirdParty"] for i in items)


async def test_session_cookie_is_listed_as_http_only(runner):
    result = await runner(None, QUERY)
    by_name = {i["name"]: i for i in result.data["clientStorage"]}
    assert by_name[SESSION_COOKIE]["httpOnly"] is True
