from auth.permissions import Role

CREATE = """
mutation($input: ContactInput!, $consents: [ConsentInput!]) {
  createContact(input: $input, consents: $consents) {
    contact { id firstName lastName email phone dateOfBirth lifecycleStage }
  }
}
"""


async def test_created_contact_is_listed_with_its_personal_data_for_sales(runner, tenant_a):
    sales = tenant_a.principal(Role.SALES)
    result = await runner(
        sales,
        CREATE,
        {
            "input": {
                "firstName": "Ada",
                "lastName": "Lovelace",
                "email": "ada@example.com",
                "phone": "+442071838750",
                "dateOfBirth": "1985-12-10",
            }
        },
    )
    assert result.errors is None, result.errors
    contact = result.data["createContact"]["contact"]
    assert contact["email"] == "ada@example.com"
    listed = await runner(sales, "{ contacts(first: 5) { totalCount nodes { id email } } }")
    assert listed.errors is None, listed.errors
    assert listed.data["contacts"]["nodes"] == [{"id": contact["id"], "email": "ada@example.com"}]
    assert listed.data["contacts"]["totalCount"] == 1
