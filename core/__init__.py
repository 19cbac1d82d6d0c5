"""The small core both sides of the request path use: the request context, error codes,
settings, the service container, mail and the rate-limit counters.

Everything below `server/` (auth, privacy, resolvers, schema, models) imports from here,
never from `server/`, which composes the application on top (a test checks it).
"""
