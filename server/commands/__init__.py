"""Command groups of the `ledgerline` CLI, one module per job.

Each module listed in `server.cli.COMMAND_GROUPS` defines `register(group)`, adding
its commands to the named group (`ledgerline privacy export`, `ledgerline retention
purge`, ...). A module that does not exist yet contributes nothing, so work on one
group never edits another's file.
"""
