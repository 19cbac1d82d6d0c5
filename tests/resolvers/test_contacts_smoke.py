from auth.permissions import Role

CREATE = """
mutation($input: CreateContactInput!, $consents: [ConsentInput!]) {
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


def test_contact_filters_read_the_policy_the_fields_declare() -> None:
    """Search and the email filter check the very FieldPolicy objects the Contact type
    declares for firstName, lastName and email (no copy of permission or category)."""
    from resolvers.contacts import declared_policy
    from schema.policy import POLICY_KEY
    from schema.types.contacts import Contact

    definition = Contact.__strawberry_definition__
    for name in ("first_name", "last_name", "email"):
        field = definition.get_field(name)
        assert field is not None
        assert declared_policy(name) is field.metadata[POLICY_KEY].policy
