"""Retention and purge (policy section 5; issue 11): the tenant's periods (rules), the
trash (trash), the purge steps one per rule (steps), the run that applies them (purge),
the journal that outlives a restore from backup (journal) and the schedule (schedule)."""
