"""The export package: a person's data and the facts of its processing, as a ZIP
(policy section 9; GDPR Art. 15 and 20, CCPA's right to know; issue 10).

- `records`: a stored row as exported: only the columns the data map marks `exported`,
  every personal value through the policy runtime (privacy/render.py) with the subject
  access rule (privacy/decision.py `SubjectAccessPolicy`), so another person's data is
  redacted by the same rule everywhere.
- `collect`: what the package holds for a contact (the tenant is the controller) or
  an account holder (the service is).
- `processing`: processing.json, generated from the data map.
- `package`: the ZIP (manifest with hashes, JSON files validated against the committed
  JSON Schemas in `schemas/`, the CSV).
- `schemas`: the committed JSON Schemas (`schemas/*.schema.json`) and their validator.
- `storage`, `links`, `jobs`, `audit`: the file on disk and its expiry (and deletion on
  erasure), the signed download link, the background build, and their audit events.
"""
