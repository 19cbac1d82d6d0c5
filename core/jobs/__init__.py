"""Background jobs: one definition per job, two runners chosen by settings (issue 15).

A job is an async function of `(services, **arguments)` registered with `@job`
(core/jobs/registry.py); the functions themselves live in core/jobs/tasks.py. On the
embedded default (SQLite, one process) they run as in-process tasks
(core/jobs/inprocess.py, on core/background.py); in production on PostgreSQL the
procrastinate queue runs them (core/jobs/queue.py): retried with backoff, visible to
admins, and a job whose worker died is picked up again. Callers only ever use
`enqueue_after_commit` (core/jobs/runner.py).
"""
