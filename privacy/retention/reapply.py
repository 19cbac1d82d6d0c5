"""Re-apply erasures and purges after a restore from backup (policy section 5; issue 11).

A backup taken before an erasure or a purge brings the data back when it is restored.
`reapply` replays the journal (privacy/retention/journal.py), which lives outside the
database: every erasure and every purge action since `since` (default: all of them),
tenant by tenant, one committed transaction per entry. Every action is idempotent, so
replaying what the restored copy already reflects changes nothing, and a replay can be
interrupted and run again. The replay journals nothing itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from core.services import Services
from privacy.crypto import KeyUnavailableError
from privacy.retention import actions
from privacy.retention.journal import PATH_KEY, Entry, read

BATCH = 500


async def _apply(services: Services, entry: Entry) -> None:
    if entry.action == "purge_usage_log":
        assert entry.cutoff is not None
        while True:
            async with services.db.session(entry.tenant_id) as session:
                session.info[PATH_KEY] = None
                removed = await actions.purge_usage_log(session, entry.cutoff, BATCH, entry.rule)
                await session.commit()
            if not removed:
                return
    async with services.db.session(entry.tenant_id) as session:
        session.info[PATH_KEY] = None
        try:
            cipher = await services.keyring.cipher(session, entry.tenant_id)
        except KeyUnavailableError:
            return  # the tenant is not in this copy (or was offboarded): nothing to undo
        await actions.ACTIONS[entry.action](session, cipher, entry.ids, entry.rule)
        await session.commit()


async def reapply(
    services: Services,
    *,
    since: datetime | None = None,
    progress: Callable[[Entry], None] | None = None,
) -> Counter[str]:
    """Replay the journal's entries after `since`; returns how many of each action."""
    done: Counter[str] = Counter()
    for entry in read(services.settings.retention_journal):
        if since is not None and entry.at <= since:
            continue
        await _apply(services, entry)
        done[entry.action] += 1
        if progress is not None:
            progress(entry)
    return done
