"""External conformance suites: graphql-http audit, schemathesis, a real JS client
and GraphiQL in Chromium (see README.md here)."""
